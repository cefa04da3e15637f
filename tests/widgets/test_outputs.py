"""Widget outputs: what the catalog promises under `widgets.<name>` really exists.

The editor suggests `widgets.<name>.<output>` in Liquid fields from each widget type's
`outputs`. A suggestion the engine never sets would print an empty string, so each
widget with outputs is run here through the real engine (start, then the callbacks
Twilio or the service would send) and every listed path must appear in the execution's
context under that widget. A widget that declares outputs without a run here fails.
"""
from __future__ import annotations

import pytest

from flowstudio.engine import events as ev
from flowstudio.engine.runner import resume, start
from flowstudio.widgets.registry import all_widgets, catalog
from tests.engine.flows import NOW, Library, call, header, program, sms


def _flow(trigger_event: str, widget_type: str, properties: str) -> str:
    """A flow where the trigger leads straight to one widget called `w`, which ends the flow."""
    return header() + f"""\
  - name: Trigger
    type: trigger
    transitions: {{{trigger_event}: w}}
  - name: w
    type: {widget_type}
    properties: {properties}
"""


def _callback(params: dict):
    return lambda: ev.CallbackReceived("w", params)


def _io(result: dict):
    return lambda: ev.IoCompleted("w", result)


MMS = dict(sms("see picture"), NumMedia="1", MediaUrl0="https://api.twilio.com/media/ME1",
           MediaContentType0="image/jpeg")
JSON_ANSWER = {"status_code": 200, "content_type": "application/json", "body": '{"order": {"status": "shipped"}}'}

# widget type -> runs: (trigger event, properties, start event, follow-up events).
# Outputs set only on some paths (Digits vs SpeechResult) take several runs; every
# listed output must appear in at least one of them.
RUNS = {
    "send-message": [("incomingMessage", "{body: hi}", ev.MessageReceived(sms("x")),
                      [_io({"status": "sent", "sid": "SM9"})])],
    "send-and-wait-for-reply": [("incomingMessage", "{body: 'Send a photo'}", ev.MessageReceived(sms("x")),
                                 [lambda: ev.MessageReceived(MMS)])],
    "gather-input-on-call": [
        ("incomingCall", "{say: Press 1}", ev.CallReceived(call()),
         [_callback({"Digits": "1", "FinishedOnKey": "", "CallStatus": "in-progress"})]),
        ("incomingCall", "{say: Say yes}", ev.CallReceived(call()),
         [_callback({"SpeechResult": "Yes.", "Confidence": "0.92"})]),
    ],
    "connect-call-to": [("incomingCall", "{to: '+15555550101'}", ev.CallReceived(call()),
                         [_callback({"DialCallStatus": "completed", "DialCallSid": "CA2", "DialCallDuration": "42",
                                     "CallStatus": "in-progress"})])],
    "record-voicemail": [("incomingCall", "{max_length: 60}", ev.CallReceived(call()),
                          [_callback({"RecordingUrl": "https://r/1", "RecordingDuration": "7",
                                      "RecordingSid": "RE1", "CallStatus": "in-progress"})])],
    "record-call": [("incomingCall", "{record_call: true}", ev.CallReceived(call()),
                     [_io({"status": "recording", "sid": "RE1"})])],
    "enqueue-call": [("incomingCall", "{queue_name: support}", ev.CallReceived(call()),
                      [_callback({"QueueResult": "bridged", "QueueSid": "QU1", "QueueTime": "30"})])],
    "send-to-flex": [("incomingCall", "{workflow: WW1, attributes: '{\"a\": 1}'}", ev.CallReceived(call()),
                      [_callback({"QueueResult": "bridged", "QueueSid": "QU1", "QueueTime": "30"})]),
                     ("incomingMessage", "{workflow: WW1, channel: chat}", ev.MessageReceived(sms("agent")),
                      [_io({"status": "created", "sid": "KD1"})])],
    "start-conversation": [("incomingRequest", "{conversation_service_sid: IS1}",
                            ev.RequestReceived(to="+15555550123", from_="+15555550100"),
                            [_io({"status": "created", "sid": "CH1", "participant_sid": "MB1"})])],
    "capture-payments": [("incomingCall", "{payment_connector: Default, payment_amount: '9.99'}",
                          ev.CallReceived(call()),
                          [_callback({"Result": "success", "PaymentConfirmationCode": "ch_1",
                                      "PaymentCardNumber": "xxxx-xxxx-xxxx-1111", "PaymentCardType": "visa",
                                      "ExpirationDate": "1230", "PaymentToken": "tok_1", "ConnectorError": "",
                                      "PaymentError": ""})])],
    "connect-virtual-agent": [("incomingCall", "{connector: bot}", ev.CallReceived(call()),
                               [_callback({"VirtualAgentStatus": "failed", "VirtualAgentProvider": "dialogflow",
                                           "VirtualAgentProviderData": '{"intent": "x"}',
                                           "VirtualAgentErrorCode": "1", "VirtualAgentError": "down"})])],
    "connect-virtual-agent-v2": [("incomingCall", "{connector: bot}", ev.CallReceived(call()),
                                  [_callback({"VirtualAgentStatus": "completed", "VirtualAgentProvider": "cx",
                                              "VirtualAgentProviderData": "{}", "VirtualAgentErrorCode": "",
                                              "VirtualAgentError": ""})])],
    "make-outgoing-call-v2": [("incomingMessage", "{}", ev.MessageReceived(sms("call me")),
                               [_callback({"CallSid": "CA3", "CallStatus": "in-progress", "AnsweredBy": "human",
                                           "To": "+15555550123", "From": "+15555550100"})])],
    "make-http-request": [("incomingMessage", "{url: 'https://api.example.com/x'}", ev.MessageReceived(sms("x")),
                           [_io(JSON_ANSWER)])],
    "run-function": [("incomingMessage", "{url: 'https://f.example.com/x'}", ev.MessageReceived(sms("x")),
                      [_io(JSON_ANSWER)])],
}


def _has_path(data, path: str) -> bool:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def _outputs_after(widget_type: str, run) -> dict:
    """widgets.w in the context once the run's events have been handled."""
    trigger_event, properties, first, follow = run
    p = program(_flow(trigger_event, widget_type, properties))
    lib = Library(p)
    step = start(p, first, NOW, "EX1", lib)
    for make_event in follow:
        step = resume(lib, step.state, make_event(), NOW)
    return step.state.frame.context["widgets"].get("w", {})


@pytest.mark.parametrize("widget_type", sorted(RUNS))
def test_every_listed_output_is_set_by_the_engine(widget_type):
    declared = all_widgets()[widget_type].outputs
    assert declared, f"{widget_type} has a run here but lists no outputs"
    seen = [_outputs_after(widget_type, run) for run in RUNS[widget_type]]
    missing = [path for path in declared if not any(_has_path(out, path) for out in seen)]
    assert not missing, f"{widget_type} lists outputs the engine never sets: {missing} (got {seen})"


def test_every_widget_with_outputs_is_run_here():
    untested = sorted(t for t, w in all_widgets().items() if w.outputs and t not in RUNS)
    assert not untested, f"add a run to RUNS for {untested}"


def test_catalog_entries_carry_outputs():
    entries = {e["type"]: e for e in catalog()}
    assert entries["gather-input-on-call"]["outputs"] == ["Digits", "SpeechResult", "Confidence", "FinishedOnKey",
                                                          "CallStatus"]
    assert "inbound.Body" in entries["send-and-wait-for-reply"]["outputs"]
    assert all(isinstance(e["outputs"], list) for e in entries.values())
