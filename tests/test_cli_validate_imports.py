"""`flowstudio validate` loads only what checking a flow needs (start-up is part of
every run a person makes): no web stack, no database, no networkx, no jsonschema for a
valid flow (its quick check passes it; jsonschema is imported for the errors of a broken
one)."""
import json
import subprocess
import sys

from tests.test_cli import BROKEN, GOOD

PROBE = """
import json, sys
from flowstudio.cli import main
try:
    main(["validate", sys.argv[1]])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""
HEAVY = {"flask", "flask_socketio", "sqlalchemy", "gunicorn", "psycopg", "psycopg2", "redis", "twilio", "requests",
         "networkx"}


def modules_after_validate(path):
    done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, timeout=120)
    result = json.loads(done.stdout.splitlines()[-1])
    return result["code"], set(result["modules"])


def test_validating_a_good_flow_imports_no_web_database_or_jsonschema(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    code, modules = modules_after_validate(path)
    assert code == 0
    assert modules & HEAVY == set()
    assert "jsonschema" not in modules


def test_a_broken_flow_still_gets_jsonschema_s_located_errors(tmp_path):
    path = tmp_path / "survey.yaml"
    path.write_text(BROKEN)
    code, modules = modules_after_validate(path)
    assert code == 1
    assert "jsonschema" in modules and modules & HEAVY == set()
