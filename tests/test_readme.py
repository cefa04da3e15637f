"""The README's example flow is a real, valid flow."""
import re

from flowstudio.spec.flowfile import dump_flow, load_flow_text
from flowstudio.spec.validate import validate_document


def test_readme_flow_example_is_valid(repo):
    text = (repo / "README.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    doc = load_flow_text(block, "README.md")
    assert [i.format() for i in validate_document(doc)] == []
    # It is written in the canonical form, comments aside.
    without_comments = re.sub(r" +#.*", "", block)
    assert dump_flow(doc.data) == without_comments
