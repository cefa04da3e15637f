"""The interpreter, purely: events in, state/effects/trace out."""
import json

import pytest

from flowstudio.engine import effects as fx
from flowstudio.engine import events as ev
from flowstudio.engine.runner import MAX_REPEATS, EngineError, resume, start
from flowstudio.engine.state import ENDED, FAILED, WAIT_IO, WAIT_MESSAGE, ExecutionState

from .flows import CONTACT, NOW, NUMBER, Library, call, header, program, sms

CONFIRM = header("confirm") + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: remember, incomingRequest: remember}
  - name: remember
    type: set-variables
    properties:
      variables:
        - {key: name, value: "{{flow.data.name | default: 'there'}}"}
        - {key: greeting, value: "Hi {{flow.variables.name}}"}
    transitions: {next: ask}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "{{flow.variables.greeting}}, reply YES to confirm", timeout: 60}
    transitions: {incomingMessage: check, timeout: bye}
  - name: check
    type: split-based-on
    properties: {input: "{{widgets.ask.inbound.Body}}"}
    transitions:
      noMatch: ask
      match:
        - next: yes_reply
          conditions: [{type: matches_any_of, value: "yes,y"}]
  - name: yes_reply
    type: send-message
    properties: {body: "Confirmed, {{contact.channel.address}}"}
  - name: bye
    type: send-message
    properties: {body: "No answer, bye"}
"""


def run_until_waiting_for_message(step, library):
    """Complete I/O waits (sends) the way the service would."""
    while step.state.active and step.state.waiting and step.state.waiting.kind == WAIT_IO:
        step = resume(library, step.state, ev.IoCompleted(step.state.waiting.widget, {"status": "sent"}), NOW)
    return step


def test_sms_turn_sends_and_waits():
    p = program(CONFIRM)
    step = start(p, ev.MessageReceived(sms("hello")), NOW, "EX1")
    assert [type(e) for e in step.effects] == [fx.SendMessage]
    msg = step.effects[0]
    assert (msg.to, msg.from_, msg.body, msg.reply) == (CONTACT, NUMBER, "Hi there, reply YES to confirm", True)
    assert step.state.waiting.kind == WAIT_MESSAGE and step.state.waiting.widget == "ask"
    assert step.state.waiting.due == "2026-11-21T15:31:00+00:00"
    assert [(s["event"], s["from"], s["to"]) for s in step.steps] == [
        ("incomingMessage", "Trigger", "remember"), ("next", "remember", "ask")]
    assert json.loads(step.steps[-1]["context"])["flow"]["variables"] == {"name": "there", "greeting": "Hi there"}


def test_reply_resumes_and_ends():
    p = program(CONFIRM)
    lib = Library(p)
    step = start(p, ev.MessageReceived(sms("hello")), NOW, "EX1")
    step = resume(lib, step.state, ev.MessageReceived(sms(" YES ", "SM2")), NOW)
    assert step.effects[0].body == f"Confirmed, {CONTACT}"
    assert step.state.waiting.kind == WAIT_IO  # the send's result
    step = run_until_waiting_for_message(step, lib)
    assert step.state.status == ENDED
    assert step.state.frame.context["widgets"]["ask"]["inbound"]["Body"] == " YES "
    assert [s["to"] for s in step.steps] == ["Ended"]


def test_no_match_asks_again_and_timeout_says_bye():
    p = program(CONFIRM)
    lib = Library(p)
    step = start(p, ev.MessageReceived(sms("hello")), NOW, "EX1")
    token = step.state.waiting.token
    step = resume(lib, step.state, ev.MessageReceived(sms("maybe")), NOW)
    assert step.effects[0].body.startswith("Hi there")
    assert step.state.waiting.token > token
    with pytest.raises(EngineError):  # the old wait's timer is stale now
        resume(lib, step.state, ev.TimeoutElapsed("ask", token), NOW)
    step = resume(lib, step.state, ev.TimeoutElapsed("ask", step.state.waiting.token), NOW)
    assert step.effects[0].body == "No answer, bye"


def test_rest_trigger_fills_flow_data():
    p = program(CONFIRM)
    step = start(p, ev.RequestReceived(to=CONTACT, from_=NUMBER, parameters={"name": "Ada"}), NOW, "EX1")
    assert step.effects[0].body == "Hi Ada, reply YES to confirm"
    assert step.state.frame.context["flow"]["data"] == {"name": "Ada"}
    assert step.state.channel == "rest"


def test_engine_is_pure_and_repeatable():
    p = program(CONFIRM)
    a = start(p, ev.MessageReceived(sms("hello")), NOW, "EX1")
    b = start(program(CONFIRM), ev.MessageReceived(sms("hello")), NOW, "EX1")
    dump = lambda s: json.dumps([s.state.to_dict(), [e.to_dict() for e in s.effects], s.trace, s.steps])
    assert dump(a) == dump(b)
    before = json.dumps(a.state.to_dict())
    resume(Library(p), a.state, ev.MessageReceived(sms("yes")), NOW)
    assert json.dumps(a.state.to_dict()) == before  # resume never mutates its input


def test_state_survives_json():
    p = program(CONFIRM)
    step = start(p, ev.MessageReceived(sms("hello")), NOW, "EX1")
    again = ExecutionState.from_dict(json.loads(json.dumps(step.state.to_dict())))
    assert again == step.state


def test_template_error_follows_failure_transition():
    p = program(header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: big}
  - name: big
    type: send-message
    properties: {body: "{% for i in (1..5000) %}x{% endfor %}"}
    transitions: {failed: sorry}
  - name: sorry
    type: send-message
    properties: {body: "Sorry"}
""")
    step = start(p, ev.MessageReceived(sms("hi")), NOW, "EX1")
    errors = [t for t in step.trace if t["type"] == "error"]
    assert errors[0]["widget"] == "big" and "loops may run at most 1,000 times" in errors[0]["message"]
    assert [e.body for e in step.effects] == ["Sorry"]
    assert ("failed", "big", "sorry") in [(s["event"], s["from"], s["to"]) for s in step.steps]


def test_template_error_without_failure_transition_ends_the_execution():
    p = program(header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: vars}
  - name: vars
    type: set-variables
    properties:
      variables: [{key: x, value: "{{ 'a' | append: 'b' | nosuchfilter }}{% for i in (1..5000) %}x{% endfor %}"}]
""")
    step = start(p, ev.MessageReceived(sms("hi")), NOW, "EX1")
    assert step.state.status == FAILED
    assert "'vars' failed and has no failure transition" in step.state.ended_reason


def test_repeat_guard_stops_a_widget_run_too_often_in_a_row():
    p = program(header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: again}
  - name: again
    type: set-variables
    properties: {variables: [{key: n, value: "{{flow.variables.n | plus: 1}}"}]}
    transitions: {next: again}
""")
    step = start(p, ev.MessageReceived(sms("hi")), NOW, "EX1")
    assert step.state.status == FAILED
    assert step.state.frame.context["flow"]["variables"]["n"] == str(MAX_REPEATS)
    assert "at most 10 times in a row" in step.state.ended_reason


def test_step_guard_stops_long_executions():
    p = program(header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: a}
  - name: a
    type: set-variables
    properties: {variables: [{key: n, value: "{{flow.variables.n | plus: 1}}"}]}
    transitions: {next: b}
  - name: b
    type: set-variables
    transitions: {next: a}
""")
    step = start(p, ev.MessageReceived(sms("hi")), NOW, "EX1")
    assert step.state.status == FAILED
    assert step.state.frame.context["flow"]["variables"]["n"] == "500"
    assert "at most 1,000 steps" in step.state.ended_reason


def test_unsupported_widget_ends_with_a_clear_reason():
    p = program(header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingCall: flex}
  - name: flex
    type: some-future-widget
    properties: {workflow: WW1}
""")
    step = start(p, ev.CallReceived(call()), NOW, "EX1")
    assert step.state.status == FAILED
    assert step.state.ended_reason == "'flex' (some-future-widget) is not supported by this runtime"


def test_resuming_an_ended_execution_is_misuse():
    p = program(header() + "  - name: Trigger\n    type: trigger\n")
    step = start(p, ev.MessageReceived(sms("hi")), NOW, "EX1")
    assert step.state.status == ENDED
    with pytest.raises(EngineError):
        resume(Library(p), step.state, ev.MessageReceived(sms("again")), NOW)


def test_execution_keeps_its_revision():
    old = program(CONFIRM, revision="r1")
    new = program(CONFIRM.replace("reply YES to confirm", "CHANGED"), revision="r2")
    lib = Library(old, new)
    step = start(old, ev.MessageReceived(sms("hello")), NOW, "EX1")
    step = resume(lib, step.state, ev.MessageReceived(sms("maybe")), NOW)
    assert step.effects[0].body == "Hi there, reply YES to confirm"  # still r1


def test_liquid_now_uses_the_engine_clock_and_to_json_exists():
    p = program(header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: say}
  - name: say
    type: send-message
    properties: {body: "{{ 'now' | date: '%H:%M %A' }} {{ trigger.message.Body | to_json }}"}
""")
    step = start(p, ev.MessageReceived(sms('say "hi"')), NOW, "EX1")
    assert step.effects[0].body == '15:30 Saturday "say \\"hi\\""'


def test_end_requested():
    p = program(CONFIRM)
    step = start(p, ev.MessageReceived(sms("hello")), NOW, "EX1")
    step = resume(Library(p), step.state, ev.EndRequested("ended from the console"), NOW)
    assert (step.state.status, step.state.ended_reason) == (ENDED, "ended from the console")


def test_a_split_condition_tests_its_own_value_only_once_one_is_typed():
    """Issue 16, item 13: "Test a different value…" adds an empty value to test; until
    something is typed there the condition tests the split's input."""
    flow = header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: check}
  - name: check
    type: split-based-on
    properties: {input: "{{trigger.message.Body}}"}
    transitions:
      noMatch: null
      match:
        - next: yes_
          conditions: [{type: equal_to, value: "yes", arguments: ["  "]}]
        - next: other
          conditions: [{type: equal_to, value: "+15555550100", arguments: ["{{trigger.message.To}}"]}]
  - name: yes_
    type: set-variables
    properties: {variables: [{key: said, value: "yes"}]}
  - name: other
    type: set-variables
    properties: {variables: [{key: said, value: "to"}]}
"""
    step = start(program(flow), ev.MessageReceived(sms("yes")), NOW, "EX1")
    assert [s["to"] for s in step.steps][:2] == ["check", "yes_"]
    step = start(program(flow), ev.MessageReceived(sms("no")), NOW, "EX2")
    assert [s["to"] for s in step.steps][:2] == ["check", "other"]
