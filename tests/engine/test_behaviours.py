"""Each widget's behaviour: the effect it asks for and the transition it takes."""
from pathlib import Path

import yaml

from flowstudio.engine import effects as fx
from flowstudio.engine import events as ev
from flowstudio.engine.runner import resume, start
from flowstudio.engine.state import ENDED, WAIT_CALL, WAIT_IO

from flowstudio.spec.flowfile import load_flow_text
from flowstudio.spec.validate import validate_document

from .flows import CONTACT, NOW, NUMBER, Library, call, header, program, sms

IVR = header("ivr") + """\
  - name: Trigger
    type: trigger
    transitions: {incomingCall: menu}
  - name: menu
    type: gather-input-on-call
    properties: {say: "Press 1 or say sales", number_of_digits: 1, voice: Polly.Joanna, finish_on_key: ""}
    transitions: {keypress: dial, speech: record, timeout: bye}
  - name: dial
    type: connect-call-to
    properties: {noun: number-multi, to: "+15555550101, +15555550102", timeout: "20"}
    transitions: {callCompleted: bye, hangup: null}
  - name: record
    type: record-voicemail
    properties: {max_length: 60, play_beep: "true"}
    transitions: {recordingComplete: bye, noAudio: bye, hangup: null}
  - name: bye
    type: say-play
    properties: {say: "Goodbye {{widgets.menu.Digits}}{{widgets.menu.SpeechResult}}", loop: "2"}
"""


def ivr():
    p = program(IVR)
    step = start(p, ev.CallReceived(call()), NOW, "EX1")
    return p, Library(p), step


def test_gather_asks_and_waits_for_the_call():
    _, _, step = ivr()
    (gather,) = step.effects
    assert isinstance(gather, fx.Gather)
    assert (gather.num_digits, gather.finish_on_key, gather.timeout) == (1, "", 5)
    assert gather.prompts == (fx.Say("menu", text="Press 1 or say sales", voice="Polly.Joanna", language="", loop=1),)
    assert step.state.waiting.kind == WAIT_CALL


def test_keypress_dials_several_numbers_then_says_goodbye():
    _, lib, step = ivr()
    step = resume(lib, step.state, ev.CallbackReceived("menu", {"Digits": "1"}), NOW)
    (dial,) = step.effects
    assert (dial.noun, dial.to, dial.timeout, dial.caller_id) == ("number-multi", ("+15555550101", "+15555550102"),
                                                                    20, NUMBER)
    step = resume(lib, step.state, ev.CallbackReceived("dial", {"DialCallStatus": "completed",
                                                                "CallStatus": "in-progress"}), NOW)
    assert step.effects == [fx.Say("bye", text="Goodbye 1", voice="", language="", loop=2)]
    assert step.state.status == ENDED
    assert step.state.frame.context["widgets"]["dial"] == {"DialCallStatus": "completed", "CallStatus": "in-progress"}


def test_caller_hanging_up_during_dial_takes_hangup():
    _, lib, step = ivr()
    step = resume(lib, step.state, ev.CallbackReceived("menu", {"Digits": "1"}), NOW)
    step = resume(lib, step.state, ev.CallEnded({"CallStatus": "completed"}), NOW)
    assert [s["event"] for s in step.steps] == ["hangup"]
    assert step.state.status == ENDED


def test_speech_records_a_voicemail():
    _, lib, step = ivr()
    step = resume(lib, step.state, ev.CallbackReceived("menu", {"SpeechResult": "Sales.", "Confidence": "0.9"}), NOW)
    (record,) = step.effects
    assert (record.max_length, record.play_beep, record.finish_on_key) == (60, True, "#")
    step = resume(lib, step.state, ev.CallbackReceived("record", {"RecordingUrl": "https://r/1",
                                                                  "RecordingDuration": "7"}), NOW)
    assert step.effects[0].text == "Goodbye Sales."
    assert step.state.frame.context["widgets"]["record"]["RecordingDuration"] == "7"


def test_no_audio_and_gather_timeout():
    _, lib, step = ivr()
    after = resume(lib, step.state, ev.CallbackReceived("menu", {}), NOW)
    assert after.effects[0].text == "Goodbye "
    step = resume(lib, step.state, ev.CallbackReceived("menu", {"SpeechResult": "x"}), NOW)
    step = resume(lib, step.state, ev.CallbackReceived("record", {"RecordingDuration": "0"}), NOW)
    assert [s["event"] for s in step.steps][0] == "noAudio"


def test_call_ending_while_waiting_on_a_gather_ends_the_execution():
    _, lib, step = ivr()
    step = resume(lib, step.state, ev.CallEnded({"CallStatus": "completed"}), NOW)
    assert (step.state.status, step.state.ended_reason) == (ENDED, "the call ended")


HTTP = header("http") + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: lookup}
  - name: lookup
    type: make-http-request
    properties:
      method: post
      url: "https://api.example.com/orders?phone={{contact.channel.address | url_encode}}"
      content_type: application/json;charset=utf-8
      body: '{"text": {{trigger.message.Body | to_json}}}'
      parameters: [{key: a, value: "{{trigger.message.Body}}"}]
    transitions: {success: found, failed: sorry}
  - name: found
    type: send-message
    properties: {body: "Order {{widgets.lookup.parsed.order.status}}"}
  - name: sorry
    type: send-message
    properties: {body: "Lookup failed ({{widgets.lookup.status_code}})"}
"""


def test_http_request_effect_and_parsed_json_answer():
    p = program(HTTP)
    step = start(p, ev.MessageReceived(sms("where is it")), NOW, "EX1")
    (call_,) = step.effects
    assert call_ == fx.HttpCall("lookup", method="POST", url="https://api.example.com/orders?phone=%2B15555550123",
                                content_type="application/json;charset=utf-8", body='{"text": "where is it"}',
                                parameters=(("a", "where is it"),))
    assert step.state.waiting.kind == WAIT_IO
    result = {"status_code": 200, "content_type": "application/json", "body": '{"order": {"status": "shipped"}}'}
    step = resume(Library(p), step.state, ev.IoCompleted("lookup", result), NOW)
    assert step.effects[0].body == "Order shipped"


def test_http_failure_goes_to_failed():
    p = program(HTTP)
    step = start(p, ev.MessageReceived(sms("x")), NOW, "EX1")
    step = resume(Library(p), step.state, ev.IoCompleted("lookup", {"status_code": 503, "body": "down"}), NOW)
    assert step.effects[0].body == "Lookup failed (503)"
    assert any("HTTP status 503" in t.get("message", "") for t in step.trace)


PARENT = header("parent") + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: get_email}
  - name: get_email
    type: run-subflow
    properties:
      flow_sid: child
      parameters: [{key: prompt, value: "Email for {{contact.channel.address}}?"}]
    transitions: {completed: done, failed: oops}
  - name: done
    type: send-message
    properties: {body: "Got {{widgets.get_email.email}}"}
  - name: oops
    type: send-message
    properties: {body: "Subflow failed"}
"""
CHILD = header("child") + """\
  - name: Trigger
    type: trigger
    transitions: {incomingParent: ask}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "{{trigger.parent.parameters.prompt}}"}
    transitions: {incomingMessage: save}
  - name: save
    type: set-variables
    properties: {variables: [{key: email, value: "{{widgets.ask.inbound.Body | downcase}}"}]}
"""


def test_subflow_runs_with_parameters_and_returns_its_variables():
    parent, child = program(PARENT, "parent"), program(CHILD, "child")
    lib = Library(parent, child)
    step = start(parent, ev.MessageReceived(sms("news")), NOW, "EX1", lib)
    assert step.effects[0].body == f"Email for {CONTACT}?"
    assert [f.flow_id for f in step.state.frames] == ["parent", "child"]
    step = resume(lib, step.state, ev.MessageReceived(sms("ADA@EXAMPLE.COM")), NOW)
    assert step.effects[0].body == "Got ada@example.com"
    assert [f.flow_id for f in step.state.frames] == ["parent"]


def test_missing_subflow_follows_failed():
    parent = program(PARENT, "parent")
    step = start(parent, ev.MessageReceived(sms("news")), NOW, "EX1", Library(parent))
    assert step.effects[0].body == "Subflow failed"
    assert any(t["type"] == "error" and "no flow 'child'" in t["message"] for t in step.trace)


def test_set_variables_parse_json():
    p = program(header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: vars}
  - name: vars
    type: set-variables
    properties:
      parse_json: true
      variables: [{key: order, value: '{"id": 7, "items": ["a"]}'}, {key: note, value: "{not json"}]
    transitions: {next: say}
  - name: say
    type: send-message
    properties: {body: "{{flow.variables.order.id}} {{flow.variables.order.items[0]}} {{flow.variables.note}}"}
""")
    step = start(p, ev.MessageReceived(sms("x")), NOW, "EX1")
    assert step.effects[0].body == "7 a {not json"


def test_outgoing_call_and_twiml_redirect():
    p = program(header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingRequest: call_out}
  - name: call_out
    type: make-outgoing-call-v2
    properties: {timeout: 15}
    transitions: {answered: hand_off, busy: busy_text, noAnswer: busy_text, failed: busy_text}
  - name: hand_off
    type: add-twiml-redirect
    properties: {url: "https://example.com/twiml", timeout: "60"}
    transitions: {return: thanks, timeout: null, fail: null}
  - name: thanks
    type: say-play
    properties: {say: "Thanks {{widgets.hand_off.choice}}"}
  - name: busy_text
    type: send-message
    properties: {body: "We tried to call"}
""")
    lib = Library(p)
    step = start(p, ev.RequestReceived(to=CONTACT, from_=NUMBER), NOW, "EX1")
    assert step.effects == [fx.PlaceCall("call_out", to=CONTACT, from_=NUMBER, timeout=15)]
    busy = resume(lib, step.state, ev.CallbackReceived("call_out", {"CallStatus": "busy"}), NOW)
    assert busy.effects[0].body == "We tried to call"
    step = resume(lib, step.state, ev.CallbackReceived("call_out", {"CallStatus": "in-progress", "CallSid": "CA9"}), NOW)
    assert step.effects == [fx.Redirect("hand_off", url="https://example.com/twiml", method="POST")]
    assert step.state.waiting.due == "2026-11-21T15:31:00+00:00"
    step = resume(lib, step.state, ev.CallbackReceived("hand_off", {"FlowEvent": "return", "choice": "2"}), NOW)
    assert step.effects[0].text == "Thanks 2"


class _ListingLibrary(Library):
    """A library that can list its flows, as the flows folder can."""

    def ids(self):
        return sorted({flow_id for flow_id, _ in self.programs})


def test_subflow_named_by_a_recorded_studio_sid_runs_and_flow_sid_is_the_sid():
    sid = "FW" + "c" * 32
    parent = program(PARENT.replace("flow_sid: child", f"flow_sid: {sid}"), "parent")
    child = program(CHILD.replace("name: child\n", f"name: child\nsid: {sid}\n").replace(
        "{{trigger.parent.parameters.prompt}}", "{{trigger.parent.parameters.prompt}} {{flow.flow_sid}}"), "child")
    lib = _ListingLibrary(parent, child)
    step = start(parent, ev.MessageReceived(sms("news")), NOW, "EX1", lib)
    assert [f.flow_id for f in step.state.frames] == ["parent", "child"]
    assert step.effects[0].body == f"Email for {CONTACT}? {sid}"
    step = resume(lib, step.state, ev.MessageReceived(sms("ADA@EXAMPLE.COM")), NOW)
    assert step.effects[0].body == "Got ada@example.com"


def test_subflow_named_by_a_sid_nothing_records_follows_failed_and_says_why():
    sid = "FW" + "d" * 32
    parent = program(PARENT.replace("flow_sid: child", f"flow_sid: {sid}"), "parent")
    step = start(parent, ev.MessageReceived(sms("news")), NOW, "EX1", _ListingLibrary(parent, program(CHILD, "child")))
    assert step.effects[0].body == "Subflow failed"
    assert any(t["type"] == "error" and f"no flow records the Studio SID {sid}" in t["message"] for t in step.trace)


def test_the_bounded_retry_loop_the_validator_only_warns_about_leaves_after_three_tries():
    """The retry case of tests/spec/cases/studio_false_errors.yaml, run: the validator
    warns (it no longer refuses the flow), and the engine leaves the loop on the third
    failure, as the warning says it should."""
    cases = Path(__file__).parents[1] / "spec" / "cases" / "studio_false_errors.yaml"
    case = next(c for c in yaml.safe_load(cases.read_text()) if c["description"].startswith("a bounded retry loop"))
    issues = validate_document(load_flow_text(case["flow"]), None)
    assert [(i.code, i.severity) for i in issues] == [("busy_loop", "warning")]
    p = program(case["flow"].replace("{incomingRequest: call_api}", "{incomingMessage: call_api}"))
    lib = Library(p)
    step = start(p, ev.MessageReceived(sms("x")), NOW, "EX1", lib)
    calls = 1
    while step.state.waiting is not None and step.state.waiting.widget == "call_api":
        step = resume(lib, step.state, ev.IoCompleted("call_api", {"status_code": 500, "body": "busy"}), NOW)
        calls += step.state.waiting is not None and step.state.waiting.widget == "call_api"
    assert calls == 3
    assert step.state.waiting.widget == "give_up"
    assert step.effects[0].body == "Sorry, try later"
