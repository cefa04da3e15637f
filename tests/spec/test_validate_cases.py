"""Runs the validator case files in tests/spec/cases/: exact messages, lines and order."""
from pathlib import Path

import pytest
import yaml

from flowstudio.spec.flowfile import load_flow_text
from flowstudio.spec.issues import FlowLoadError
from flowstudio.spec.validate import validate_document

CASES = Path(__file__).parent / "cases"


def _cases():
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()):
            yield pytest.param(case, id=f"{path.stem}: {case['description']}")


def issues_of(case) -> list[str]:
    try:
        doc = load_flow_text(case["flow"], "flow.yaml")
    except FlowLoadError as exc:
        return [i.format() for i in exc.issues]
    known = set(case["known_flows"]) if "known_flows" in case else None
    return [i.format() for i in validate_document(doc, known)]


@pytest.mark.parametrize("case", _cases())
def test_case(case):
    assert issues_of(case) == case["issues"]


def test_there_are_cases():
    assert len(list(_cases())) >= 20
