"""Imports point one way: the pure core never imports the web, the database or the network."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "flowstudio"
PURE = ["spec", "widgets", "engine"]
FORBIDDEN = {"flask", "flask_socketio", "sqlalchemy", "requests", "httpx", "urllib.request", "socket",
             "twilio", "psycopg", "psycopg2", "redis", "flowstudio.web", "flowstudio.adapters",
             "flowstudio.service"}


def imports_of(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("package", PURE)
def test_pure_core_does_no_io(package):
    files = list((PACKAGE / package).rglob("*.py"))
    if not files:
        pytest.skip(f"flowstudio/{package} does not exist yet")
    bad = [(f.name, name) for f in files for name in imports_of(f)
           if any(name == x or name.startswith(x + ".") for x in FORBIDDEN)]
    assert bad == []
