"""The Conversations trigger through signed webhooks: `onMessageAdded` starts and
resumes the Conversation's execution, replies are posted to the Conversation (the
outbox, without credentials) and not answered as TwiML, retries run once."""
from pathlib import Path

import pytest

from flowstudio.web.app import runtime

CH = "CH" + "a" * 32
FLOW = """\
spec_version: 1
name: chat-desk
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingConversationMessage: ask_name}
  - name: ask_name
    type: send-and-wait-for-reply
    properties:
      body: "Hi! You wrote '{{trigger.conversation.Body}}' from {{trigger.conversation.Source}}. Your name?"
      from: Cloud City Healthcare
      attributes: '{"selections": ["A", "B"]}'
      timeout: "600"
    transitions: {incomingMessage: to_agent, timeout: bye}
  - name: to_agent
    type: send-to-flex
    properties:
      workflow: WW00000000000000000000000000000001
      channel: chat
      attributes: '{"name": "{{widgets.ask_name.inbound.Body}}", "conversation": "{{flow.channel.sid}}"}'
    transitions: {callComplete: null, failedToEnqueue: bye, callFailure: null}
  - name: bye
    type: send-message
    properties: {body: Bye for now.}
    transitions: {}
"""


def added(sid: str, body: str, **extra) -> dict:
    return {"EventType": "onMessageAdded", "AccountSid": "AC" + "0" * 32, "ChatServiceSid": "IS" + "0" * 32,
            "ConversationSid": CH, "MessageSid": sid, "ParticipantSid": "MB" + "b" * 32,
            "Author": "whatsapp:+15555550142", "Body": body, "Source": "WHATSAPP", "Index": "0",
            "Attributes": '{"lang": "en"}', "RetryCount": "0", **extra}


@pytest.fixture
def chat(app):
    (Path(app.config["FLOWS_DIR"]) / "chat-desk.yaml").write_text(FLOW)
    return "/webhooks/chat-desk"


def test_a_conversation_message_starts_and_resumes_its_execution(app, phone, chat):
    first = phone.post(chat, added("IM1", "hello"))
    assert first.status_code == 200 and first.data == b""    # no TwiML: replies go through the API
    store = runtime(app).service.store
    (row,) = store.executions()
    assert (row.status, row.contact, row.session_key) == ("active", "whatsapp:+15555550142", f"conversation:{CH}")
    context = row.state["frames"][0]["context"]
    assert context["trigger"]["conversation"]["ConversationSid"] == CH
    assert context["trigger"]["conversation"]["Attributes"] == {"lang": "en"}   # JSON text as data, as Studio
    assert context["flow"]["channel"]["sid"] == CH
    [posted] = store.outbox(row.id)
    assert posted.effect["conversation_sid"] == CH and posted.effect["from_"] == "Cloud City Healthcare"
    assert posted.effect["body"] == "Hi! You wrote 'hello' from WHATSAPP. Your name?"
    assert posted.effect["attributes"] == '{"selections": ["A", "B"]}'

    phone.post(chat, added("IM2", "Ada", Index="2"))
    (row,) = store.executions()
    assert row.status == "ended"
    task = store.outbox(row.id)[-1].effect
    assert task["type"] == "flexTask" and task["conversation_sid"] == CH and task["channel_type"] == "whatsapp"
    assert task["attributes"] == '{"name":"Ada","conversation":"%s"}' % CH


def test_a_retried_delivery_is_processed_once(app, phone, chat):
    phone.post(chat, added("IM1", "hello"))
    again = phone.post(chat, added("IM1", "hello", RetryCount="1"))
    assert again.status_code == 200
    store = runtime(app).service.store
    (row,) = store.executions()
    assert len(store.outbox(row.id)) == 1 and row.status == "active"


def test_other_conversation_events_are_not_the_flows(app, phone, chat):
    joined = {"EventType": "onParticipantAdded", "ConversationSid": CH, "ParticipantSid": "MB1",
              "AccountSid": "AC" + "0" * 32}
    assert phone.post(chat, joined).status_code == 200
    assert runtime(app).service.store.executions() == []


def test_an_unsigned_conversation_webhook_is_refused(app, phone, chat):
    assert phone.post(chat, added("IM1", "hello"), sign=False).status_code == 403
    assert runtime(app).service.store.executions() == []


def test_no_reply_in_time_follows_timeout(app, phone, chat, clock):
    phone.post(chat, added("IM1", "hello"))
    clock.advance(601)
    runtime(app).service.fire_due()
    store = runtime(app).service.store
    (row,) = store.executions()
    assert row.status == "ended" and store.outbox(row.id)[-1].effect["body"] == "Bye for now."


def test_after_the_hand_off_to_flex_the_conversations_messages_are_the_agents(app, phone, chat):
    phone.post(chat, added("IM1", "hello"))
    phone.post(chat, added("IM2", "Ada"))                 # handed to Flex: the execution ends
    agent = added("IM3", "Hi Ada, I'm Sam from support", Author="sam@example.com", Source="SDK")
    assert phone.post(chat, agent).status_code == 200
    customer = added("IM4", "thanks")
    assert phone.post(chat, customer).status_code == 200
    store = runtime(app).service.store
    (row,) = store.executions()                            # no new execution for either
    assert row.status == "ended"


def test_an_undelivered_question_follows_delivery_failure(app, phone, chat):
    phone.post(chat, added("IM1", "hello"))
    receipt = {"EventType": "onDeliveryUpdated", "AccountSid": "AC" + "0" * 32, "ConversationSid": CH,
               "MessageSid": "IM" + "9" * 32, "DeliveryReceiptSid": "DY1", "Status": "undelivered",
               "ErrorCode": "63016"}
    delivered = dict(receipt, Status="delivered", DeliveryReceiptSid="DY0")
    assert phone.post(chat, delivered).status_code == 200      # a delivery is nothing to act on
    store = runtime(app).service.store
    (row,) = store.executions()
    assert row.status == "active"
    assert phone.post(chat, receipt).status_code == 200
    (row,) = store.executions()
    assert row.status == "ended"      # ask_name's deliveryFailure is not connected: the flow ends there
    assert row.state["frames"][0]["context"]["widgets"]["ask_name"]["delivery"]["ErrorCode"] == "63016"


def test_a_conversation_opened_by_start_conversation_is_answered_through_its_signed_webhook(app, phone):
    from tests.test_start_conversation import FLOW as OUTREACH
    (Path(app.config["FLOWS_DIR"]) / "outreach.yaml").write_text(OUTREACH)
    started = app.test_client().post("/api/flows/outreach/executions",
                                     json={"to": "+15555550123", "from": "+15555550100",
                                           "parameters": {"order": "42"}})
    assert started.status_code == 201, started.get_json()
    store = runtime(app).service.store
    (row,) = store.executions()
    conversation = row.state["flow_address"]
    assert conversation.startswith("CH") and row.status == "active"
    answer = added("IM7", "yes please", ConversationSid=conversation, Author="+15555550123", Source="SMS")
    assert phone.post("/webhooks/outreach", answer).status_code == 200
    (row,) = store.executions()
    assert row.status == "ended"
    assert store.outbox(row.id)[-1].effect["body"] == "Thanks: yes please"
