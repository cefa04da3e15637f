"""Real Studio exports (../shared/studio-flows) survive import/export, directly and
through a YAML flow file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowstudio.spec.flowfile import dump_flow, load_flow_text
from flowstudio.spec.model import Flow
from flowstudio.spec.studio import from_studio, to_studio

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "studio-flows"
FILES = sorted(CORPUS.glob("*.json")) if CORPUS.is_dir() else []
KEYS = ("description", "initial_state", "flags", "states")

pytestmark = pytest.mark.skipif(not FILES, reason=f"no Studio flow exports found in {CORPUS}")


def kept(definition: dict) -> dict:
    """The parts of a definition that a round trip must keep."""
    return {k: definition[k] for k in KEYS if k in definition}


def assert_same(actual: dict, expected: dict) -> None:
    assert kept(actual) == kept(expected)
    # Python's == says True == 1; JSON text does not.
    assert json.dumps(kept(actual), sort_keys=True) == json.dumps(kept(expected), sort_keys=True)


@pytest.fixture(params=FILES or [None], ids=lambda p: p.name if p else "none")
def export(request) -> dict:
    return json.loads(request.param.read_text(encoding="utf-8"))


def test_round_trip(export):
    assert_same(to_studio(from_studio(export, "flow")), export)


def test_round_trip_through_yaml(export):
    text = dump_flow(from_studio(export, "flow"))
    assert_same(to_studio(Flow.from_data(load_flow_text(text).data)), export)
