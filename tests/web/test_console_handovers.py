"""The test console (socket.io) tries Conversations, Send to Flex, payments and virtual
agents without a phone: what was handed over is shown plainly, and the conversation
saves as a flow test that passes."""
from pathlib import Path

from flowstudio.flowtests import run_file

from .test_console import act, ask, console, texts
from .test_conversation_webhooks import FLOW as CHAT_FLOW
from .test_voice_widgets_webhooks import FLOW as PAY_FLOW


def flows(app):
    folder = Path(app.config["FLOWS_DIR"])
    (folder / "chat-desk.yaml").write_text(CHAT_FLOW)
    (folder / "pay-desk.yaml").write_text(PAY_FLOW)


def test_a_web_chat_contact_is_handed_to_flex_and_saved_as_a_test(app):
    flows(app)
    tab = console(app, "chat-desk")
    first = act(tab, "chat", {"body": "hello", "channel": "chat"})
    assert texts(first) == ["Hi! You wrote 'hello' from SDK. Your name?"]
    assert first["transcript"][0]["author"] == "Cloud City Healthcare"
    done = act(tab, "chat", {"body": "Ada", "channel": "chat"})
    [handover] = [i for i in done["transcript"] if i["kind"] == "handover"]
    assert handover["workflow"] == "WW00000000000000000000000000000001" and handover["task_channel"] == "chat"
    assert '"name":"Ada"' in handover["attributes"] and "POST flex-api.twilio.com/v1/Interactions" in handover["detail"]
    assert done["status"] == "ended"
    saved = ask(tab, "console:save_test", {"name": "chat to an agent"})
    assert [next(iter(s)) for s in saved["test"]["steps"]] == ["chat", "chat"]
    [result] = [r for r in run_file(Path(saved["path"])) if r.name == "chat to an agent"]
    assert result.passed, result.failures


def test_whatsapp_is_the_default_and_a_wrong_channel_is_refused_in_words(app):
    flows(app)
    tab = console(app, "chat-desk")
    first = act(tab, "chat", "hi")
    assert texts(first) == ["Hi! You wrote 'hi' from WHATSAPP. Your name?"]
    answer = ask(tab, "console:act", {"action": "chat", "arg": {"body": "x", "channel": "fax"}})
    assert "WhatsApp, SMS or web chat" in answer["error"]


def test_a_payment_and_a_virtual_agent_on_a_console_call(app):
    flows(app)
    tab = console(app, "pay-desk")
    pay = act(tab, "call")
    [item] = [i for i in pay["transcript"] if i["kind"] == "pay"]
    assert "19.99 usd" in item["text"] and "Stripe_Connector" in item["detail"]
    assert any("streams to wss://example.com/audio" in i.get("text", "") for i in pay["transcript"])
    agent = act(tab, "callback", {"Result": "success", "PaymentCardNumber": "xxxx-xxxx-xxxx-4242"})
    [item] = [i for i in agent["transcript"] if i["kind"] == "agent"]
    assert "support-bot" in item["text"]
    bye = act(tab, "callback", {"VirtualAgentStatus": "completed"})
    assert "Paid with card xxxx-xxxx-xxxx-4242. Goodbye." in texts(bye, "say")
    saved = ask(tab, "console:save_test", {"name": "pays and talks to the bot"})
    [result] = [r for r in run_file(Path(saved["path"])) if r.name == "pays and talks to the bot"]
    assert result.passed, result.failures


def test_a_hang_up_during_payment_follows_hangup(app):
    flows(app)
    tab = console(app, "pay-desk")
    act(tab, "call")
    done = act(tab, "hang_up")
    assert done["status"] == "ended"
    assert [(s["from"], s["event"]) for s in done["steps"]] == [("take_payment", "hangup")]


def test_a_call_handed_to_flex_shows_the_workflow_and_attributes(app):
    folder = Path(app.config["FLOWS_DIR"])
    from .test_flex_webhooks import FLOW
    (folder / "flex-support.yaml").write_text(FLOW)
    tab = console(app, "flex-support")
    first = act(tab, "call")
    [handover] = [i for i in first["transcript"] if i["kind"] == "handover"]
    assert handover["workflow"] == "WW00000000000000000000000000000001" and handover["priority"] == 5
    assert "Zoë" in handover["attributes"]
    failed = act(tab, "callback", {"QueueResult": "error"})
    assert texts(failed, "say") == ["No agent can take your call now."]
