"""Flow tests as a user feature: the examples' own tests, failures, --update, the console."""
import io
import shutil

import pytest
from click.testing import CliRunner

from flowstudio.cli import main
from flowstudio.flowtests import FlowTestError, branches_of, flow_test_files, run_file
from flowstudio.spec import load_flow_file
from flowstudio.spec.flowfile import flow_files
from flowstudio.spec.model import Flow
from flowstudio.terminal import run_console

from .conftest import REPO

FLOWS = REPO / "flows"
TEST_FILES = flow_test_files([FLOWS])


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_example_flow_tests_pass(path):
    results = run_file(path)
    assert [(r.name, r.failures) for r in results if not r.passed] == []


def test_every_example_flow_has_every_branch_covered():
    taken: dict[str, set] = {}
    for path in TEST_FILES:
        for result in run_file(path):
            for flow, *branch in result.branches:
                taken.setdefault(flow, set()).add(tuple(branch))
    for path in flow_files([FLOWS]):
        flow = Flow.from_data(load_flow_file(path).data)
        missing = branches_of(flow) - taken.get(path.stem, set())
        assert not missing, f"{path.name}: no test takes {sorted(missing)}"


@pytest.fixture
def workdir(tmp_path):
    shutil.copy(FLOWS / "appointment-confirmation.yaml", tmp_path)
    return tmp_path


TEST = """\
tests:
  - name: confirm
    steps:
      - send: hi
        status: active
      - send: "yes"
        replies: ["Wrong text"]
        status: ended
"""


def test_a_failing_expectation_shows_a_readable_diff(workdir):
    path = workdir / "appointment-confirmation.test.yaml"
    path.write_text(TEST)
    result = CliRunner().invoke(main, ["test", str(workdir)])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "step 2 (send: 'yes'): replies differ" in result.output
    assert "-  - Wrong text" in result.output
    assert "+  - Thank you! Your appointment is confirmed." in result.output
    assert result.output.strip().endswith("0 passed, 1 failed")


def test_update_rewrites_expectations_then_they_pass(workdir):
    path = workdir / "appointment-confirmation.test.yaml"
    path.write_text(TEST)
    assert CliRunner().invoke(main, ["test", "--update", str(path)]).exit_code == 0
    assert "Wrong text" not in path.read_text()
    assert "- Thank you! Your appointment is confirmed." in path.read_text()
    result = CliRunner().invoke(main, ["test", str(path)])
    assert result.exit_code == 0 and "1 passed, 0 failed" in result.output


def test_variables_and_path_expectations(workdir):
    path = workdir / "appointment-confirmation.test.yaml"
    path.write_text("""\
tests:
  - steps:
      - send: hi
        path: [ask_confirmation]
      - send: NO
        variables: {reply: "NO"}
        path: [save_reply, check_reply, cancel_appointment, cancellation_pending]
""")
    (result,) = run_file(path)
    assert result.passed, result.failures


@pytest.mark.parametrize("text, message", [
    ("tests: []\n", "needs a list of tests"),
    ("tests:\n  - steps:\n      - {send: hi, press: '1'}\n", "needs exactly one action"),
    ("tests:\n  - steps:\n      - {send: hi, reply: [x]}\n", "unknown key reply (did you mean replies?)"),
    # before: "needs exactly one action of: ..." with no line, for a misspelt action
    ("tests:\n  - name: t\n    steps:\n      - send: hi\n      - sned: yes\n",
     "test.yaml:5: test 't' step 2: unknown key sned (did you mean send?)"),
    ("tests:\n  - name: t\n    steps:\n      - send: hi\n      - replies: [x]\n",
     "test.yaml:5: test 't' step 2: needs exactly one action of: send,"),
    ("tests:\n  - name: t\n    steps:\n      - send hi\n", "test.yaml:4: test 't' step 1: a step is one action"),
    ("tests:\n  - name: a\n  - name: a\n    name: b\n", "duplicate key 'name'"),
])
def test_malformed_test_files_are_reported(workdir, text, message):
    path = workdir / "appointment-confirmation.test.yaml"
    path.write_text(text)
    with pytest.raises(FlowTestError) as info:
        run_file(path)
    assert message in str(info.value)


def test_terminal_console_plays_the_phone(workdir):
    lines = iter(["hello", "/wait 3600", "maybe", "yes", "/quit"])
    out = io.StringIO()
    run_console(workdir / "appointment-confirmation.yaml", read=lambda prompt: next(lines), out=out)
    text = out.getvalue()
    assert "flow> Hi, this is Bright Smile Dental." in text
    assert "flow> Reminder from Bright Smile Dental" in text
    assert "flow> Sorry, we didn't understand your reply." in text
    assert "flow> Thank you! Your appointment is confirmed." in text
    # where it ended (before: "[execution ended]", not saying which output led nowhere)
    assert "[execution ended after confirmed_message, the last widget of this path]" in text


def test_terminal_console_names_the_output_a_call_found_unconnected(workdir):
    """An SMS flow called: before, "[execution ended]" without saying why."""
    lines = iter(["/call", "/quit"])
    out = io.StringIO()
    run_console(workdir / "appointment-confirmation.yaml", read=lambda prompt: next(lines), out=out)
    assert "[execution ended after Trigger: its incomingCall output is not connected to another widget]" in out.getvalue()


def test_terminal_console_voice(tmp_path):
    shutil.copy(FLOWS / "ivr-menu.yaml", tmp_path)
    lines = iter(["/call", "/say support", "/dial busy", "/record 12", "/quit"])
    out = io.StringIO()
    run_console(tmp_path / "ivr-menu.yaml", read=lambda prompt: next(lines), out=out)
    text = out.getvalue()
    assert "flow (says)> Thanks for calling Acme Home Services." in text
    assert "(dialling +15555550101" in text
    assert "flow (says)> Thanks for your message." in text


def test_one_long_wait_fires_every_timer_that_falls_due_in_order(workdir):
    """Issue 16, item 3: `wait: 10800` does what two `wait: 3600` do."""
    path = workdir / "appointment-confirmation.test.yaml"
    path.write_text("""\
tests:
  - name: no answer for three hours
    steps:
      - send: hi
        status: active
      - wait: 10800
        status: ended
""")
    [result] = run_file(path, update=True)
    written = path.read_text()
    assert "Reminder from Bright Smile Dental" in written and "We haven't heard back" in written
    assert written.index("Reminder from") < written.index("We haven't heard back")
    [result] = run_file(path)
    assert result.passed, result.failures
