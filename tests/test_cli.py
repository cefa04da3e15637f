"""The `flowstudio` command as a user runs it."""
import json
import os

import pytest
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
    assert "lonely: warning: nothing leads here from the Trigger" in result.output
    assert "2 flows checked: 0 errors, 1 warning" in result.output


def test_validate_reports_unreadable_files_without_crashing(tmp_path):
    (tmp_path / "a.yaml").write_text("spec_version: 1\nname: a\nname: b\n")
    (tmp_path / "b.yaml").write_text(GOOD)
    result = run("validate", tmp_path)
    assert result.exit_code == 1
    assert f"{tmp_path}/a.yaml:3:1: duplicate key 'name' (first defined on line 2)" in result.output


@pytest.mark.parametrize("wrapped", [False, True])
def test_validating_a_studio_export_says_to_import_it_first(tmp_path, wrapped):
    """Before: "spec_version must be a whole number (this FlowStudio writes 1), found None"
    for the JSON a Studio user has (the export, or the REST API's Flow with its `definition`)."""
    definition = {"description": "A New Flow", "initial_state": "Trigger", "flags": {"allow_concurrent_calls": True},
                  "states": [{"name": "Trigger", "type": "trigger", "transitions": [], "properties": {}}]}
    source = tmp_path / "studio.json"
    source.write_text(json.dumps({"sid": "FW" + "0" * 32, "definition": definition} if wrapped else definition))
    result = run("validate", source)
    assert result.exit_code == 1
    assert (f"{source}:1: this is a Twilio Studio flow (its JSON, with 'states'), not a FlowStudio flow yet: "
            f"convert it with `flowstudio import-studio {source} -o flows/`") in result.output


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


@pytest.mark.parametrize("in_a_list", [False, True])
def test_import_studio_takes_the_rest_apis_flow_resource_with_its_sid(tmp_path, in_a_list):
    """Before: "a Studio flow definition needs a 'states' list, found none" for what
    `twilio api:studio:v2:flows:fetch -o json` prints (the Flow, its definition inside)."""
    definition = {"description": "", "initial_state": "Trigger", "flags": {"allow_concurrent_calls": True},
                  "states": [{"name": "Trigger", "type": "trigger", "properties": {},
                              "transitions": [{"event": "incomingMessage", "next": "hi"}]},
                             {"name": "hi", "type": "send-message", "properties": {"body": "Hi"},
                              "transitions": []}]}
    sid = "FW" + "ab" * 16
    source = tmp_path / "survey.json"
    resource = {"sid": sid, "friendly_name": "Survey", "status": "published", "definition": definition}
    source.write_text(json.dumps([resource] if in_a_list else resource))
    result = run("import-studio", source, "-o", tmp_path / "survey.yaml")
    assert result.exit_code == 0, result.output
    flow = load_flow_text((tmp_path / "survey.yaml").read_text()).data
    assert flow["sid"] == sid and [w["name"] for w in flow["widgets"]] == ["Trigger", "hi"]
    assert run("validate", tmp_path / "survey.yaml").exit_code == 0


def test_import_studio_reports_bad_json(tmp_path):
    src = tmp_path / "bad.json"
    src.write_text('{"states": [}')
    result = run("import-studio", src)
    assert result.exit_code == 1
    assert f"{src}:1:13: invalid JSON" in result.output


def _definition_text() -> str:
    definition = {"description": "IVR", "initial_state": "Trigger", "flags": {"allow_concurrent_calls": True},
                  "states": [{"name": "Trigger", "type": "trigger", "properties": {"offset": {"x": 0, "y": 0}},
                              "transitions": [{"event": "incomingCall", "next": "hi"}]},
                             {"name": "hi", "type": "say-play", "properties": {"say": "Hello {{trigger.call.From}}"},
                              "transitions": [{"event": "audioComplete"}]}]}
    return json.dumps(definition, indent=2)


@pytest.mark.parametrize("wrapped, line", [
    # a Twilio Functions asset (assets/studio_flow.private.js) exporting the definition
    ("// Studio flow\nconst flowDefinition = {};\n\nmodule.exports = flowDefinition;\n", 2),
    # a README's JSON block, after a first `{` that is not a definition
    ("# Setup\n\nSet `{region}` first. Import this:\n\n```json\n{}\n```\n", 6),
    # a Terraform heredoc
    ('resource "twilio_studio_flow" "ivr" {\n  definition = <<EOF\n{}\nEOF\n}\n', 3),
    # the REST API's Flow resource inside a script (an SDK call's argument)
    ('client.studio.v2.flows.create(\n  {"friendlyName": "IVR", "status": "published", "definition": {}}\n)\n', 2),
], ids=["js-module", "markdown", "terraform-heredoc", "rest-api-resource"])
def test_import_studio_reads_a_definition_embedded_in_code_or_docs(tmp_path, wrapped, line):
    plain, src = tmp_path / "plain.json", tmp_path / "wrapped.txt"
    plain.write_text(_definition_text())
    src.write_text(wrapped.replace("{}", _definition_text(), 1))
    result = run("import-studio", src, "-o", tmp_path / "wrapped.yaml")
    assert result.exit_code == 0, result.output
    assert f"{src}:{line}: not JSON; read the Studio definition found at line {line}" in result.output
    assert run("import-studio", plain, "-o", tmp_path / "plain.yaml").exit_code == 0
    assert (tmp_path / "wrapped.yaml").read_text() == (tmp_path / "plain.yaml").read_text().replace(
        "name: plain", "name: wrapped")


JS_ASSET = """\
// Twilio Functions asset, as twilio-labs/function-templates ship their flows
const flowDefinition = {
  description: 'Standby list',
  states: [
    {
      name: 'Trigger', type: 'trigger',
      transitions: [{ next: 'Welcome', event: 'incomingMessage' }, { event: 'incomingCall' },],
      properties: { offset: { x: 0, y: 0 } },
    },
    {
      name: 'Welcome', type: 'send-message',  /* the only reply */
      transitions: [{ event: 'sent' }, { event: 'failed' }],
      properties: {
        offset: { x: 0, y: 200 }, from: '{{flow.channel.address}}', to: '{{contact.channel.address}}',
        body: "It's your turn: reply \\"YES\\" to book. {{flow.data.name}}",
      },
    },
  ],
  initial_state: 'Trigger',
  flags: { allow_concurrent_calls: true },
};

module.exports = flowDefinition;
"""


def test_import_studio_reads_a_definition_written_as_a_javascript_object(tmp_path):
    src = tmp_path / "studio_flow.private.js"
    src.write_text(JS_ASSET)
    result = run("import-studio", src, "-o", tmp_path / "standby.yaml")
    assert result.exit_code == 0, result.output
    assert f"{src}:2: not JSON; read the Studio definition written as a JavaScript object at line 2" in result.output
    result = run("export-studio", tmp_path / "standby.yaml", "-o", tmp_path / "back.json")
    assert result.exit_code == 0, result.output
    back = json.loads((tmp_path / "back.json").read_text())
    assert back["states"][1]["properties"]["body"] == 'It\'s your turn: reply "YES" to book. {{flow.data.name}}'
    assert back["states"][0]["transitions"] == [{"next": "Welcome", "event": "incomingMessage"},
                                                {"event": "incomingCall"}]
    assert back["flags"] == {"allow_concurrent_calls": True} and back["description"] == "Standby list"


def test_import_studio_says_when_no_definition_is_embedded(tmp_path):
    """A definition built with code (a variable, a `+`) is neither JSON nor a plain
    JavaScript object: refused, saying so."""
    src = tmp_path / "flow.js"
    src.write_text("module.exports = {\n  states: [{name: 'Trigger', type: 'trigger', url: base + '/x'}],\n};\n")
    result = run("import-studio", src)
    assert result.exit_code == 1
    assert (f"{src}:1:1: invalid JSON: Expecting value (nor does the file hold a Studio definition as JSON or "
            "as a plain JavaScript object: an object with states, built without variables or code)") in result.output


@pytest.mark.parametrize("text, said", [
    ('{"states": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested deeper than a flow definition can be"),  # a traceback
    ('{"states": ' + "[" * 100 + "]" * 100 + "}", "nested deeper than 64 levels (at states[0][0]"),
    ('{"description": "a\\u0000b", "states": []}', "description holds a NUL character"),
], ids=["deep-100k", "deep-100", "nul"])
def test_import_studio_refuses_hostile_definitions_cleanly(tmp_path, text, said):
    src = tmp_path / "hostile.json"
    src.write_text(text)
    result = run("import-studio", src)
    assert result.exit_code == 1 and said in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


MAIN_SID, SURVEY_SID = "FW" + "a" * 32, "FW" + "b" * 32


def _studio_pair(tmp_path):
    """A Studio parent flow whose Run Subflow names its child by SID, and the child."""
    main_flow = {"description": "main", "initial_state": "Trigger", "states": [
        {"name": "Trigger", "type": "trigger", "properties": {"offset": {"x": 0, "y": 0}},
         "transitions": [{"event": "incomingMessage", "next": "survey"}]},
        {"name": "survey", "type": "run-subflow",
         "properties": {"flow_sid": SURVEY_SID, "flow_revision": "LatestPublished", "parameters": []},
         "transitions": [{"event": "completed"}, {"event": "failed"}]}]}
    survey = {"description": "survey", "initial_state": "Trigger", "states": [
        {"name": "Trigger", "type": "trigger", "properties": {},
         "transitions": [{"event": "incomingParent", "next": "ask"}]},
        {"name": "ask", "type": "send-and-wait-for-reply", "properties": {"body": "Rate us"},
         "transitions": [{"event": "incomingMessage"}, {"event": "timeout"}, {"event": "deliveryFailure"}]}]}
    (tmp_path / "main.json").write_text(json.dumps(main_flow))
    (tmp_path / "survey.json").write_text(json.dumps(survey))
    return main_flow, survey


def test_import_studio_records_sids_and_subflows_named_by_sid_resolve(tmp_path):
    main_flow, survey = _studio_pair(tmp_path)
    flows = tmp_path / "flows"
    flows.mkdir()
    result = run("import-studio", tmp_path / "main.json", tmp_path / "survey.json",
                 "--sid", MAIN_SID, "--sid", SURVEY_SID, "-o", flows)
    assert result.exit_code == 0, result.output
    assert load_flow_text((flows / "survey.yaml").read_text()).data["sid"] == SURVEY_SID
    assert load_flow_text((flows / "main.yaml").read_text()).data["sid"] == MAIN_SID
    result = run("validate", flows)
    assert result.exit_code == 0 and "0 errors, 0 warnings" in result.output, result.output
    for name, original in (("main", main_flow), ("survey", survey)):
        result = run("export-studio", flows / f"{name}.yaml", "-o", tmp_path / f"{name}.back.json")
        assert result.exit_code == 0, result.output
        assert json.loads((tmp_path / f"{name}.back.json").read_text()) == original


def test_a_subflow_sid_nothing_records_is_a_warning_that_says_how_to_record_it(tmp_path):
    _studio_pair(tmp_path)
    flows = tmp_path / "flows"
    flows.mkdir()
    assert run("import-studio", tmp_path / "main.json", "-o", flows / "main.yaml").exit_code == 0
    result = run("validate", flows)
    assert result.exit_code == 0, result.output
    assert f"warning: runs Studio flow {SURVEY_SID}, which no flow here records" in result.output
    assert f"flowstudio import-studio FILE.json --sid {SURVEY_SID}" in result.output


def test_export_studio_names_a_local_subflow_by_the_sid_its_file_records(tmp_path):
    (tmp_path / "child.yaml").write_text(f"sid: {SURVEY_SID}\n" + GOOD.replace("incomingMessage", "incomingParent"))
    parent = GOOD.replace("body: Hi}", "body: Hi}\n    transitions: {sent: sub}") + \
        "  - name: sub\n    type: run-subflow\n    properties: {flow_sid: child}\n"
    (tmp_path / "parent.yaml").write_text(parent)
    result = run("export-studio", tmp_path / "parent.yaml")
    assert result.exit_code == 0, result.output
    states = {s["name"]: s for s in json.loads(result.output)["states"]}
    assert states["sub"]["properties"]["flow_sid"] == SURVEY_SID


def test_import_studio_refuses_bad_sids_and_mismatched_counts(tmp_path):
    _studio_pair(tmp_path)
    result = run("import-studio", tmp_path / "main.json", "--sid", "FW12")
    assert result.exit_code == 2 and "'FW12' is not a Studio flow SID" in result.output
    result = run("import-studio", tmp_path / "main.json", tmp_path / "survey.json", "--sid", MAIN_SID,
                 "-o", tmp_path)
    assert result.exit_code == 2 and "give one --sid per source: 2 source(s), 1 --sid" in result.output
    result = run("import-studio", tmp_path / "main.json", tmp_path / "survey.json")
    assert result.exit_code == 2 and "-o must name a folder" in result.output
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "main.json").write_text((tmp_path / "main.json").read_text())
    result = run("import-studio", tmp_path / "main.json", tmp_path / "other" / "main.json", "-o", tmp_path)
    assert result.exit_code == 2 and "both be written as main.yaml" in result.output


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


def test_serve_refuses_a_retention_that_is_not_a_number_of_days(tmp_path, monkeypatch):
    for name in ("FLOWSTUDIO_FLOWS_DIR", "FLOWSTUDIO_LISTEN_HOST"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("FLOWSTUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FLOWSTUDIO_RETENTION_DAYS", "a month")
    result = CliRunner().invoke(main, ["serve", "--flows", str(tmp_path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)   # a message, not a traceback
    assert "FLOWSTUDIO_RETENTION_DAYS must be a number of days (0 keeps everything), not 'a month'" in result.output


def test_serve_runs_a_worker_per_core_by_default_at_most_eight(monkeypatch):
    from flowstudio import cli

    for cores, workers in ((1, 1), (2, 2), (6, 6), (32, 8)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid, n=cores: set(range(n)))
        assert cli.default_workers() == workers


def test_serve_refuses_a_worker_count_out_of_range_and_a_refused_start_leaves_the_environment(tmp_path,
                                                                                           monkeypatch):
    for name in ("FLOWSTUDIO_FLOWS_DIR", "FLOWSTUDIO_LISTEN_HOST"):
        monkeypatch.setenv(name, "")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setenv("FLOWSTUDIO_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["serve", "--flows", str(tmp_path), "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output and "0 is not in the range" in result.output
    monkeypatch.setenv("FLOWSTUDIO_SEND_TIMEOUT", "-1")
    result = CliRunner().invoke(main, ["serve", "--flows", str(tmp_path), "--workers", "2"])
    assert result.exit_code == 1 and "FLOWSTUDIO_SEND_TIMEOUT" in result.output
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ   # no metrics folder made for a server that never ran
