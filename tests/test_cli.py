"""The `flowstudio` command as a user runs it."""
import json

from click.testing import CliRunner
from jsonschema import Draft202012Validator

from flowstudio.cli import main
from flowstudio.spec.flowfile import load_flow_text

GOOD = """\
spec_version: 1
name: good
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: hello}
  - name: hello
    type: send-message
    properties: {body: Hi}
"""

BROKEN = """\
spec_version: 1
name: survey
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: ask_age}
  - name: ask_age
    type: send-and-wait-for-reply
    properties:
      body: How old are you?
      timeout: soon
"""

WARNS = GOOD + "  - name: lonely\n    type: send-message\n    properties: {body: nobody calls me}\n"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_validate_prints_file_line_widget_path_and_message(tmp_path):
    (tmp_path / "survey.yaml").write_text(BROKEN)
    result = run("validate", tmp_path / "survey.yaml")
    assert result.exit_code == 1
    assert f"{tmp_path}/survey.yaml:11: ask_age.properties.timeout: must be a whole number of seconds" in result.output
    assert "1 flow checked: 1 error, 0 warnings" in result.output


def test_validate_exits_0_with_only_warnings_and_walks_folders(tmp_path):
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "warns.yaml").write_text(WARNS)
    (tmp_path / "good.test.yaml").write_text("not a flow: [")  # flow tests are skipped
    result = run("validate", tmp_path)
    assert result.exit_code == 0, result.output
    assert "lonely: warning: no transition leads here" in result.output
    assert "2 flows checked: 0 errors, 1 warning" in result.output


def test_validate_reports_unreadable_files_without_crashing(tmp_path):
    (tmp_path / "a.yaml").write_text("spec_version: 1\nname: a\nname: b\n")
    (tmp_path / "b.yaml").write_text(GOOD)
    result = run("validate", tmp_path)
    assert result.exit_code == 1
    assert f"{tmp_path}/a.yaml:3:1: duplicate key 'name' (first defined on line 2)" in result.output


def test_validate_json_format(tmp_path):
    (tmp_path / "survey.yaml").write_text(BROKEN)
    result = run("validate", "--format", "json", tmp_path)
    assert result.exit_code == 1
    report = json.loads(result.output)
    (issue,) = report["files"][str(tmp_path / "survey.yaml")]
    assert issue == {"code": "property", "severity": "error", "message": "must be a whole number of seconds",
                     "widget": "ask_age", "path": "properties.timeout", "file": str(tmp_path / "survey.yaml"),
                     "line": 11, "column": None}
    assert (report["errors"], report["warnings"]) == (1, 0)


def test_validate_checks_subflows_against_sibling_files(tmp_path):
    parent = GOOD.replace("body: Hi}", "body: Hi}\n    transitions: {sent: sub}") + \
        "  - name: sub\n    type: run-subflow\n    properties: {flow_sid: child}\n"
    (tmp_path / "parent.yaml").write_text(parent)
    assert "no flow with that id" in run("validate", tmp_path).output
    (tmp_path / "child.yaml").write_text(GOOD.replace("incomingMessage", "incomingParent"))
    result = run("validate", tmp_path)
    assert result.exit_code == 0, result.output


def test_schema_command_writes_a_schema_that_checks_flows(tmp_path):
    out = tmp_path / "flow.schema.json"
    assert run("schema", "-o", out).exit_code == 0
    schema = json.loads(out.read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(load_flow_text(GOOD).data)) == []
    errors = list(validator.iter_errors(load_flow_text(BROKEN).data))
    assert [list(e.absolute_path) for e in errors] == [["widgets", 1, "properties", "timeout"]]


def test_import_then_export_studio(tmp_path):
    studio = {"description": "Hello flow", "initial_state": "Trigger", "flags": {"allow_concurrent_calls": True},
              "states": [
                  {"name": "Trigger", "type": "trigger", "properties": {"offset": {"x": 0, "y": 0}},
                   "transitions": [{"event": "incomingMessage", "next": "hello"}, {"event": "incomingCall"},
                                   {"event": "incomingRequest"}]},
                  {"name": "hello", "type": "send-message",
                   "properties": {"offset": {"x": 0, "y": 200}, "body": "Hi", "from": "{{flow.channel.address}}",
                                  "to": "{{contact.channel.address}}"},
                   "transitions": [{"event": "sent"}, {"event": "failed"}]}]}
    src = tmp_path / "hello.json"
    src.write_text(json.dumps(studio))
    result = run("import-studio", src, "-o", tmp_path / "hello.yaml")
    assert result.exit_code == 0, result.output
    assert run("validate", tmp_path / "hello.yaml").exit_code == 0
    result = run("export-studio", tmp_path / "hello.yaml", "-o", tmp_path / "back.json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "back.json").read_text()) == studio


def test_import_studio_reports_bad_json(tmp_path):
    src = tmp_path / "bad.json"
    src.write_text('{"states": [}')
    result = run("import-studio", src)
    assert result.exit_code == 1
    assert f"{src}:1:13: invalid JSON" in result.output


def test_serve_refuses_a_deadline_that_is_not_a_positive_number(tmp_path, monkeypatch):
    # serve sets these two itself: monkeypatch puts them back as they were afterwards
    for name in ("FLOWSTUDIO_FLOWS_DIR", "FLOWSTUDIO_LISTEN_HOST"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("FLOWSTUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FLOWSTUDIO_BODY_TIMEOUT", "ten")
    result = CliRunner().invoke(main, ["serve", "--flows", str(tmp_path)])
    assert result.exit_code == 1
    assert "FLOWSTUDIO_BODY_TIMEOUT must be a positive number of seconds, not 'ten'" in result.output
    monkeypatch.setenv("FLOWSTUDIO_BODY_TIMEOUT", "30")
    monkeypatch.setenv("FLOWSTUDIO_HEADER_TIMEOUT", "0")
    result = CliRunner().invoke(main, ["serve", "--flows", str(tmp_path)])
    assert result.exit_code == 1
    assert "FLOWSTUDIO_HEADER_TIMEOUT must be a positive number of seconds, not '0'" in result.output
