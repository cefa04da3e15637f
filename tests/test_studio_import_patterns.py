"""Patterns of public Studio flows (hand-written here, not copied) that ran wrongly or
not at all after import: each goes from Studio JSON through a YAML flow file to the
running service."""
from __future__ import annotations

import json

from flowstudio.conversation import Conversation, local_service
from flowstudio.engine import effects as fx
from flowstudio.spec.flowfile import dump_flow
from flowstudio.spec.studio import from_studio
from flowstudio.spec.validate import validate_flow


def trigger(**events) -> dict:
    """Studio's trigger state with `events` wired (event -> next)."""
    return {"name": "Trigger", "type": "trigger", "properties": {"offset": {"x": 0, "y": 0}},
            "transitions": [{"event": e, **({"next": n} if n else {})} for e, n in events.items()]}


def imported(tmp_path, name: str, states: list) -> Conversation:
    """The Studio definition imported, written as a flow file, and a contact talking to it."""
    flow = from_studio({"description": name, "states": states, "initial_state": "Trigger",
                        "flags": {"allow_concurrent_calls": True}}, name)
    (tmp_path / f"{name}.yaml").write_text(dump_flow(flow))
    return Conversation(local_service(tmp_path), name)


REDIRECT = {"name": "handoff", "type": "add-twiml-redirect",
            "properties": {"offset": {"x": 0, "y": 200}, "method": "POST", "url": "https://example.com/twiml",
                           "timeout": "14400"},
            "transitions": [{"event": "return"}, {"event": "timeout"}, {"event": "fail", "next": "sorry"}]}
SORRY = {"name": "sorry", "type": "send-message", "properties": {"offset": {"x": 0, "y": 400}, "body": "Sorry"},
         "transitions": [{"event": "sent"}, {"event": "failed"}]}


def test_twiml_redirect_wired_to_every_trigger_runs_calls_and_fails_messages(tmp_path):
    """Studio accepts a TwiML Redirect reached by messages (it redirects them too): the flow
    runs here, a call is redirected and a message follows `fail`, saying why."""
    states = [trigger(incomingMessage="handoff", incomingCall="handoff", incomingRequest="handoff"), REDIRECT, SORRY]
    talk = imported(tmp_path, "redirect_all", states)
    [issue] = validate_flow(talk.service.flows.latest("redirect_all").flow)
    assert (issue.widget, issue.code, issue.severity) == ("handoff", "voice_from_message", "warning")
    [redirect] = talk.call().voice
    assert isinstance(redirect, fx.Redirect) and redirect.url == "https://example.com/twiml"
    texted = Conversation(talk.service, "redirect_all", contact="+15550001111").send("hi")
    assert [(s["from"], s["event"]) for s in texted.steps] == [("Trigger", "incomingMessage"), ("handoff", "fail"),
                                                              ("sorry", "sent")]
    assert any("has no call" in t.get("message", "") for t in texted.trace)


def test_outgoing_call_with_trim_true_from_twilios_sample_runs(tmp_path):
    """Twilio's own flow-definition sample writes Make Outgoing Call's trim as "true"."""
    call = {"name": "call_user_1", "type": "make-outgoing-call-v2",
            "properties": {"offset": {"x": 0, "y": 200}, "trim": "true", "record": False, "timeout": 60,
                           "from": "{{flow.channel.address}}", "to": "{{contact.channel.address}}"},
            "transitions": [{"event": "answered", "next": "hello"}, {"event": "busy"}, {"event": "noAnswer"},
                            {"event": "failed"}]}
    hello = {"name": "hello", "type": "say-play", "properties": {"offset": {"x": 0, "y": 400}, "say": "Hello"},
             "transitions": [{"event": "audioComplete"}]}
    talk = imported(tmp_path, "outgoing", [trigger(incomingRequest="call_user_1"), call, hello])
    assert talk.start().waiting["widget"] == "call_user_1"
    answered = talk.callback({"CallSid": "CA" + "1" * 32, "CallStatus": "in-progress"})
    assert [e.text for e in answered.voice] == ["Hello"] and answered.status == "ended"


def test_voice_ivr_wired_to_every_trigger_runs_calls_and_ends_messages(tmp_path):
    """Studio publishes an IVR whose trigger sends messages to its menu too: calls run it,
    and an execution a message starts ends at the first voice widget, failed, saying
    why (it does not wait for key presses that cannot come)."""
    menu = {"name": "menu", "type": "gather-input-on-call",
            "properties": {"offset": {"x": 0, "y": 200}, "say": "Press 1 for sales", "number_of_digits": 1},
            "transitions": [{"event": "keypress", "next": "sales"}, {"event": "speech"}, {"event": "timeout"}]}
    sales = {"name": "sales", "type": "connect-call-to",
             "properties": {"offset": {"x": 0, "y": 400}, "noun": "number", "to": "+15555550123"},
             "transitions": [{"event": "callCompleted"}]}
    talk = imported(tmp_path, "ivr_all", [trigger(incomingMessage="menu", incomingCall="menu",
                                                  incomingRequest="menu"), menu, sales])
    issues = validate_flow(talk.service.flows.latest("ivr_all").flow)
    assert [(i.widget, i.severity) for i in issues] == [("menu", "warning")]
    assert isinstance(talk.call().voice[0], fx.Gather)
    assert isinstance(talk.press("1").voice[0], fx.Dial)
    for start in (lambda c: c.send("hi"), lambda c: c.start()):
        ended = start(Conversation(talk.service, "ivr_all", contact="+15550002222"))
        assert ended.status == "failed" and ended.voice == [] and ended.waiting is None
        assert any("'menu' (Gather Input On Call) only works during a call" in t.get("reason", "")
                   for t in ended.trace)


def test_voicemail_callbacks_reach_the_record_twiml(tmp_path):
    """Studio's Record Voicemail hands its transcription and recording status callback
    URLs (Liquid allowed) to Twilio: voicemail-to-email flows depend on them."""
    from flowstudio.adapters import twiml

    config = {"name": "config", "type": "set-variables",
              "properties": {"offset": {"x": 0, "y": 100},
                             "variables": [{"key": "host", "value": "jokes-1234-dev.twil.io"}]},
              "transitions": [{"event": "next", "next": "voicemail"}]}
    voicemail = {"name": "voicemail", "type": "record-voicemail",
                 "properties": {"offset": {"x": 0, "y": 200}, "transcribe": True, "play_beep": "true",
                                "transcription_callback_url": "https://{{flow.variables.host}}/save-submission",
                                "recording_status_callback_url": "https://hooks.example.com/catch/1/"},
                 "transitions": [{"event": "recordingComplete"}, {"event": "noAudio"}, {"event": "hangup"}]}
    talk = imported(tmp_path, "voicemail", [trigger(incomingCall="config"), config, voicemail])
    xml = twiml.voice(talk.call().voice, lambda widget, token=None, **extra: f"https://flow/cb?w={widget}", None,
                      False)
    assert 'transcribeCallback="https://jokes-1234-dev.twil.io/save-submission"' in xml
    assert 'recordingStatusCallback="https://hooks.example.com/catch/1/"' in xml


def test_voicemail_without_callbacks_prints_none(tmp_path):
    from flowstudio.adapters import twiml

    voicemail = {"name": "voicemail", "type": "record-voicemail", "properties": {"transcribe": False},
                 "transitions": [{"event": "recordingComplete"}, {"event": "noAudio"}, {"event": "hangup"}]}
    talk = imported(tmp_path, "plain_voicemail", [trigger(incomingCall="voicemail"), voicemail])
    xml = twiml.voice(talk.call().voice, lambda widget, token=None, **extra: "https://flow/cb", None, False)
    assert "<Record " in xml and "Callback" not in xml


def test_outgoing_call_options_of_a_studio_export_reach_the_call(tmp_path):
    """Every Make Outgoing Call option of a Studio export is placed with the call (they
    were accepted and dropped): recording (older trim "true" as trim-silence), the
    answering machine detection's tuning (strings in exports), SIP credentials."""
    call = {"name": "call_user_1", "type": "make-outgoing-call-v2",
            "properties": {"offset": {"x": 0, "y": 200}, "from": "{{flow.channel.address}}",
                           "to": "{{contact.channel.address}}", "record": True, "recording_channels": "dual",
                           "recording_status_callback": "https://hooks.example.com/{{flow.data.campaign}}",
                           "trim": "true", "detect_answering_machine": True, "machine_detection": "Enable",
                           "machine_detection_timeout": "30", "machine_detection_speech_threshold": "2400",
                           "machine_detection_speech_end_threshold": "1200",
                           "machine_detection_silence_timeout": "5000", "sip_auth_username": "agent",
                           "sip_auth_password": "s3cret", "send_digits": "", "timeout": 60},
            "transitions": [{"event": "answered"}, {"event": "busy"}, {"event": "noAnswer"}, {"event": "failed"}]}
    talk = imported(tmp_path, "dialer", [trigger(incomingRequest="call_user_1"), call])
    [placed] = talk.start({"campaign": "spring"}).sent
    effect = placed["effect"]
    assert (effect["recording_channels"], effect["recording_status_callback"], effect["trim"]) == (
        "dual", "https://hooks.example.com/spring", "trim-silence")
    assert (effect["machine_detection_timeout"], effect["machine_detection_speech_threshold"],
            effect["machine_detection_speech_end_threshold"], effect["machine_detection_silence_timeout"]) == (
        30, 2400, 1200, 5000)
    # the password goes to Twilio (the adapter's test) but the turn's log only says it is set
    assert (effect["sip_auth_username"], effect["sip_auth_password"]) == ("agent", "(set)")
    assert "s3cret" not in json.dumps(talk.log[-1].to_dict())


def test_outgoing_call_leaves_recording_and_detection_options_off_when_their_switch_is(tmp_path):
    call = {"name": "call_user_1", "type": "make-outgoing-call-v2",
            "properties": {"record": False, "recording_channels": "dual", "trim": "trim-silence",
                           "detect_answering_machine": False, "machine_detection_timeout": "30"},
            "transitions": [{"event": "answered"}, {"event": "busy"}, {"event": "noAnswer"}, {"event": "failed"}]}
    talk = imported(tmp_path, "dialer", [trigger(incomingRequest="call_user_1"), call])
    effect = talk.start().sent[0]["effect"]
    assert (effect["recording_channels"], effect["trim"], effect["machine_detection_timeout"]) == ("", "", None)


def test_sip_credentials_and_the_wait_url_method_reach_the_twiml(tmp_path):
    """Connect Call To's SIP username/password and Enqueue Call's wait URL method."""
    from flowstudio.adapters import twiml

    sip = {"name": "to_pbx", "type": "connect-call-to",
           "properties": {"noun": "sip", "sip_endpoint": "sip:desk@pbx.example.com", "sip_username": "desk",
                          "sip_password": "s3cret"},
           "transitions": [{"event": "callCompleted", "next": "queue"}, {"event": "hangup"}]}
    queue = {"name": "queue", "type": "enqueue-call",
             "properties": {"queue_name": "support", "wait_url": "https://example.com/hold", "wait_url_method": "GET"},
             "transitions": [{"event": "callComplete"}, {"event": "failedToEnqueue"}, {"event": "callFailure"}]}
    talk = imported(tmp_path, "pbx", [trigger(incomingCall="to_pbx"), sip, queue])

    def xml(result):
        return twiml.voice(result.voice, lambda widget, token=None, **extra: "https://flow/cb", None, False)

    assert '<Sip password="s3cret" username="desk">sip:desk@pbx.example.com</Sip>' in xml(talk.call())
    assert 'waitUrlMethod="GET"' in xml(talk.callback({"DialCallStatus": "completed"}))
