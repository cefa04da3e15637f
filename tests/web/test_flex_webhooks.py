"""Send to Flex through signed webhooks: the call's `<Enqueue>`/`<Task>` TwiML (golden),
its action callback's outcomes, and a message handed to Flex (the outbox)."""
from pathlib import Path

import pytest

from flowstudio.web.app import runtime

from .conftest import action_of, assert_golden
from .test_webhooks import call_params, sms

FLOW = """\
spec_version: 1
name: flex-support
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingCall: to_agent, incomingMessage: chat_to_agent}
  - name: to_agent
    type: send-to-flex
    properties:
      workflow: WW00000000000000000000000000000001
      channel: TC00000000000000000000000000000002
      attributes: '{"type": "inbound", "name": "{{contact.channel.address}}", "note": "Zoë & <co>"}'
      priority: "5"
      timeout: "600"
      waitUrl: https://example.com/hold.xml
      waitUrlMethod: GET
    transitions: {callComplete: null, failedToEnqueue: sorry, callFailure: null}
  - name: sorry
    type: say-play
    properties: {say: No agent can take your call now.}
    transitions: {}
  - name: chat_to_agent
    type: send-to-flex
    properties: {workflow: WW00000000000000000000000000000001, channel: chat}
    transitions: {callComplete: null, failedToEnqueue: sorry_text, callFailure: null}
  - name: sorry_text
    type: send-message
    properties: {body: No agent can chat now.}
    transitions: {}
"""


@pytest.fixture
def flex_flow(app):
    folder = Path(app.config["FLOWS_DIR"])
    (folder / "flex-support.yaml").write_text(FLOW)
    return "/webhooks/flex-support"


def test_a_call_is_enqueued_to_the_workflow_with_its_task(app, phone, flex_flow):
    twiml = phone.post(flex_flow, call_params(CallStatus="ringing")).data.decode()
    assert_golden("flex-enqueue", twiml)
    assert '<Enqueue action="/webhooks/flex-support?execution=' in twiml
    assert 'workflowSid="WW00000000000000000000000000000001"' in twiml and 'waitUrlMethod="GET"' in twiml
    assert '<Task priority="5" timeout="600">' in twiml
    assert "&quot;name&quot;:&quot;+15555550142&quot;" in twiml or '"name":"+15555550142"' in twiml
    done = phone.post(action_of(twiml, "Enqueue"), call_params(QueueResult="bridged", QueueSid="QU1",
                                                               QueueTime="42")).data.decode()
    assert done.endswith("<Hangup /></Response>")
    (row,) = runtime(app).service.store.executions()
    assert row.status == "ended"
    outputs = row.state["frames"][0]["context"]["widgets"]["to_agent"]
    assert (outputs["QueueResult"], outputs["QueueTime"]) == ("bridged", "42")


def test_a_call_that_cannot_be_enqueued_follows_failed_to_enqueue(app, phone, flex_flow):
    twiml = phone.post(flex_flow, call_params(CallStatus="ringing")).data.decode()
    sorry = phone.post(action_of(twiml, "Enqueue"), call_params(QueueResult="error")).data.decode()
    assert "No agent can take your call now." in sorry


def test_bad_attributes_follow_failed_to_enqueue_with_the_reason(app, phone, flex_flow):
    folder = Path(app.config["FLOWS_DIR"])
    (folder / "flex-support.yaml").write_text(FLOW.replace('"note": "Zoë & <co>"}', '"note": }'))
    sorry = phone.post(flex_flow, call_params(CallStatus="ringing")).data.decode()
    assert "No agent can take your call now." in sorry and "<Enqueue" not in sorry
    (row,) = runtime(app).service.store.executions()
    errors = [e["message"] for e in runtime(app).service.store.logs(row.id) if e.get("type") == "error"]
    assert any("attributes must be a JSON object" in m for m in errors)


def test_a_message_is_handed_to_flex_through_the_outbox(app, phone, flex_flow):
    answer = phone.post(flex_flow, sms("SM1", "I need a person")).data.decode()
    assert "<Message>" not in answer
    store = runtime(app).service.store
    (row,) = store.executions()
    [entry] = store.outbox(row.id)
    effect = entry.effect
    assert effect["type"] == "flexTask" and effect["workflow_sid"] == "WW00000000000000000000000000000001"
    assert effect["task_channel"] == "chat" and effect["attributes"] == "{}"
    assert effect["contact"] == "+15555550142" and effect["channel_type"] == "sms"
    assert row.status == "ended"
    assert row.state["frames"][0]["context"]["widgets"]["chat_to_agent"]["sid"].startswith("KD")
