"""Runs the validator case files in tests/spec/cases/: exact messages, lines and order.

A case's `known_flows` is a list of the other flows' ids, or a mapping of their ids to
their file text (then Run Subflow is looked through and recorded Studio SIDs resolve)."""
from pathlib import Path

import pytest
import yaml

from flowstudio.spec.flowfile import load_flow_text
from flowstudio.spec.flowindex import FlowIndex
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
    known = case.get("known_flows")
    if isinstance(known, dict):  # the other flows' files: subflows are looked through, SIDs resolve
        known = FlowIndex.of_flows({k: load_flow_text(text, f"{k}.yaml").data for k, text in known.items()})
    elif known is not None:
        known = set(known)
    return [i.format() for i in validate_document(doc, known)]


@pytest.mark.parametrize("case", _cases())
def test_case(case):
    assert issues_of(case) == case["issues"]


def test_there_are_cases():
    assert len(list(_cases())) >= 20
