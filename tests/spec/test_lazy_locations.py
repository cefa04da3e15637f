"""A flow file is read without locations (yamlio.load_yaml); they are worked out when an
issue first asks for a line. Pinned here to the careful reader: the same data, source
text of scalars, locations and validation issues (file, line, widget, field, message),
on every flow of the project, the real Studio exports converted, and broken copies of them."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from generate import generate_flow  # noqa: E402

from flowstudio.spec import yamlio  # noqa: E402
from flowstudio.spec.flowfile import FlowDocument, dump_flow, load_flow_text  # noqa: E402
from flowstudio.spec.issues import FlowLoadError  # noqa: E402
from flowstudio.spec.studio import from_studio  # noqa: E402
from flowstudio.spec.validate import validate_document  # noqa: E402

from .test_studio_corpus import FILES as STUDIO_EXPORTS  # noqa: E402
from .test_yamlfast import PLAIN, UNUSUAL  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def careful_document(text: str, file: str) -> FlowDocument:
    """load_flow_text with the careful reader alone (always located), as before the fast ways."""
    fast, canonical = yamlio._read_plain, yamlio._read_canonical
    yamlio._read_plain = yamlio._read_canonical = lambda *args, **kwargs: None
    try:
        return load_flow_text(text, file)
    finally:
        yamlio._read_plain, yamlio._read_canonical = fast, canonical


def issues(doc: FlowDocument) -> list[str]:
    return [json.dumps(i.to_dict(), sort_keys=True) for i in validate_document(doc, set())]


def broken(text: str) -> list[str]:
    """Copies of a flow with problems an issue must locate: a transition to a missing
    widget, a number where a string is wanted, an unknown property, a duplicate name."""
    data = load_flow_text(text).data
    out = []
    widgets = data.get("widgets") or []
    if len(widgets) > 1:
        bad = json.loads(json.dumps(data))
        last = bad["widgets"][-1]
        last["transitions"] = {**(last.get("transitions") or {}), "nowhere": "no_such_widget"}
        last.setdefault("properties", {})["speechTimeout"] = 5
        bad["widgets"][1]["name"] = bad["widgets"][0]["name"]
        out.append(dump_flow(bad))
        typed = json.loads(json.dumps(data))
        sends = [w for w in typed["widgets"] if w.get("type") == "send-message"]
        for w in sends:
            w["properties"]["body"] = 7
            w["properties"]["to"] = ["not", "a", "string"]
        if sends:
            out.append(dump_flow(typed))
    return out


def corpus() -> list[tuple[str, str]]:
    texts = [(str(f.relative_to(ROOT)), f.read_text(encoding="utf-8"))
             for pattern in ("flows/**/*.yaml", "tests/**/*.yaml") for f in sorted(ROOT.glob(pattern))]
    texts += [(f.name, dump_flow(from_studio(json.loads(f.read_text(encoding="utf-8")), f.stem)))
              for f in STUDIO_EXPORTS]
    texts.append(("generated-300", dump_flow(generate_flow(300, seed=1))))
    texts += [(f"{name} (broken {k})", b) for name, text in list(texts) if _flow(text)
              for k, b in enumerate(broken(text))]
    return texts


def _flow(text: str) -> bool:
    try:
        data = load_flow_text(text).data
    except Exception:
        return False
    return isinstance(data.get("widgets"), list)


CORPUS = corpus()


def test_the_corpus_has_the_studio_exports_and_broken_flows():
    names = [name for name, _ in CORPUS]
    assert sum(".json" in n for n in names) >= len(STUDIO_EXPORTS)
    assert sum("broken" in n for n in names) > 20


@pytest.mark.parametrize("name,text", CORPUS, ids=[n for n, _ in CORPUS])
def test_the_same_flow_and_issues_as_the_careful_reader(name, text):
    try:
        expected = careful_document(text, "f.yaml")
    except FlowLoadError as exc:   # refused (a test fixture of a bad file): refused the same way
        with pytest.raises(FlowLoadError) as got:
            load_flow_text(text, "f.yaml")
        assert [i.to_dict() for i in got.value.issues] == [i.to_dict() for i in exc.issues]
        return
    fast = load_flow_text(text, "f.yaml")
    assert fast.data == expected.data
    assert json.dumps(fast.data, sort_keys=True, default=repr) == json.dumps(expected.data, sort_keys=True,
                                                                             default=repr)
    assert fast.source.raw_scalars == expected.source.raw_scalars
    assert issues(fast) == issues(expected)
    if "broken" in name:   # the lines came from the locations worked out late
        assert any(json.loads(i)["line"] for i in issues(fast))
    assert fast.source.locations == expected.source.locations


@pytest.mark.parametrize("text", PLAIN + UNUSUAL)
def test_read_without_locations_gives_up_on_the_same_documents_and_reads_the_same(text):
    located, unlocated = yamlio._read_plain(text), yamlio._read_plain(text, located=False)
    assert (located is None) == (unlocated is None)
    if located is not None:
        assert unlocated[1] is None
        assert (unlocated[0], unlocated[2]) == (located[0], located[2])


def test_locations_are_worked_out_only_when_asked_for(monkeypatch):
    text = dump_flow(generate_flow(20, seed=0))
    reads = []
    plain, canonical = yamlio._read_plain, yamlio._read_canonical
    monkeypatch.setattr(yamlio, "_read_plain", lambda t, located=True: reads.append(located) or plain(t, located))
    monkeypatch.setattr(yamlio, "_read_canonical", lambda t: reads.append("canonical") or canonical(t))
    doc = load_flow_text(text, "f.yaml")
    assert issues(doc) == []
    assert reads == ["canonical"]          # a valid flow as written: read once, no locations
    assert doc.line_of(("widgets", 3, "name")) == yamlio._load_careful(text, "f").line_of(("widgets", 3, "name"))
    assert reads == ["canonical", True]    # the first line asked for: read again, located
    doc.line_of(("widgets", 4))
    assert reads == ["canonical", True]
