"""The example flows in flows/ are valid, canonical and survive a Studio round trip."""
import pytest

from flowstudio.spec.flowfile import dump_flow, flow_files, flow_id, load_flow_file
from flowstudio.spec.model import Flow
from flowstudio.spec.studio import from_studio, to_studio
from flowstudio.spec.validate import validate_document

from .conftest import REPO

FLOWS = flow_files([REPO / "flows"])
KNOWN = {flow_id(p) for p in FLOWS}


def test_there_are_at_least_five_examples():
    assert len(FLOWS) >= 5


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: p.stem)
def test_example_validates_clean(path):
    assert [i.format() for i in validate_document(load_flow_file(path), KNOWN)] == []


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: p.stem)
def test_example_is_canonical(path):
    assert dump_flow(load_flow_file(path).data) == path.read_text()


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: p.stem)
def test_example_survives_studio_round_trip(path):
    flow = Flow.from_data(load_flow_file(path).data)
    assert from_studio(to_studio(flow), flow.name) == flow
