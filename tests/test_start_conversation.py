"""Start Conversation through the service: a REST-started execution opens a
Conversation, posts to it, and the contact's answer in it resumes that execution."""
from flowstudio.conversation import Conversation, local_service

FLOW = """\
spec_version: 1
name: outreach
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingRequest: open, incomingMessage: open}
  - name: open
    type: start-conversation
    properties: {friendly_name: "Order {{flow.data.order}}"}
    transitions: {created: ask, failed: sorry}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "Is order {{flow.data.order}} still wanted? (conversation {{flow.channel.sid}})"}
    transitions: {incomingMessage: thanks}
  - name: thanks
    type: send-message
    properties: {body: "Thanks: {{widgets.ask.inbound.Body}}"}
  - name: sorry
    type: send-message
    properties: {body: "Could not open: {{widgets.open.error}}"}
"""


def service(tmp_path):
    (tmp_path / "outreach.yaml").write_text(FLOW)
    return local_service(tmp_path)


def test_a_rest_start_opens_a_conversation_and_the_answer_in_it_resumes(tmp_path):
    svc = service(tmp_path)
    talk = Conversation(svc, "outreach", contact="+15555550123")
    first = talk.start({"order": "42"})
    assert first.waiting["widget"] == "ask"
    opened, question = [s["effect"] for s in first.sent]
    assert opened["type"] == "openConversation" and opened["friendly_name"] == "Order 42"
    assert opened["address"] == "+15555550123" and opened["proxy_address"] == talk.number
    conversation = svc.store.execution(first.execution_id).state["flow_address"]
    assert conversation.startswith("CH") and question["conversation_sid"] == conversation
    assert question["body"] == f"Is order 42 still wanted? (conversation {conversation})"
    params = {"EventType": "onMessageAdded", "ConversationSid": conversation, "MessageSid": "IM1",
              "Author": "+15555550123", "Body": "yes", "Source": "SMS"}
    answer = svc.inbound_conversation("outreach", params)
    assert answer.execution_id == first.execution_id and answer.status == "ended"
    [thanks] = [s["effect"] for s in answer.sent]
    assert thanks["body"] == "Thanks: yes" and thanks["conversation_sid"] == conversation
    assert len(svc.store.executions("outreach")) == 1


def test_an_execution_that_already_has_a_channel_cannot_open_one(tmp_path):
    talk = Conversation(service(tmp_path), "outreach")
    result = talk.send("hi")
    assert result.status == "ended"
    assert [r.body for r in result.replies] == ["Could not open: the execution already has a channel: "
                                                "it started from a message"]
