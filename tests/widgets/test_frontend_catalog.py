"""The frontend's unit tests run on a saved copy of the widget catalog: it must be today's."""
import json
from pathlib import Path

from flowstudio.widgets import registry

SAVED = Path(__file__).resolve().parents[2] / "frontend" / "src" / "test" / "catalog.json"


def test_the_frontend_tests_use_the_current_catalog():
    saved = json.loads(SAVED.read_text())
    assert saved == json.loads(json.dumps({"widgets": registry.catalog()})), (
        "frontend/src/test/catalog.json is out of date: regenerate it with\n"
        "  .venv/bin/python -c \"from flowstudio.widgets import registry; import json; "
        "print(json.dumps({'widgets': registry.catalog()}, indent=1))\" > frontend/src/test/catalog.json")
