"""The test phone in headless Chromium: a web chat contact in a Conversation handed to
Flex, and a call that pays and talks to a virtual agent, all without a phone; what is
handed over is shown plainly (screenshots: FLOWSTUDIO_SCREENSHOTS=1)."""
import re
import uuid

from playwright.sync_api import Page, expect

from tests.web.test_conversation_webhooks import FLOW as CHAT_FLOW
from tests.web.test_voice_widgets_webhooks import FLOW as PAY_FLOW

from .test_console import flow_bubbles, shot, start_console


def place(server, prefix: str, text: str) -> str:
    flow_id = f"{prefix}-{uuid.uuid4().hex[:6]}"
    (server.flows / f"{flow_id}.yaml").write_text(text.replace("name: chat-desk", f"name: {flow_id}")
                                                  .replace("name: pay-desk", f"name: {flow_id}"))
    return flow_id


def write(page: Page, channel: str, message: str) -> None:
    page.get_by_label("Write on").select_option(channel)
    page.get_by_label("Your message").fill(message)
    page.locator(".sms-area button[type=submit]").click()


def test_a_web_chat_contact_is_handed_to_flex(page, server):
    start_console(page, place(server, "console-chat", CHAT_FLOW))
    write(page, "chat", "hello")
    expect(flow_bubbles(page)).to_have_text([re.compile("Cloud City Healthcare\\s*Hi! You wrote 'hello' from SDK")])
    write(page, "chat", "Ada")
    handover = page.get_by_test_id("transcript").locator('[data-kind="handover"]')
    expect(handover).to_contain_text("handed to Flex: an agent answers from now on")
    expect(handover.locator(".detail")).to_contain_text("TaskRouter workflow WW00000000000000000000000000000001")
    expect(handover).to_contain_text('"name":"Ada"')
    expect(handover).to_contain_text("POST flex-api.twilio.com/v1/Interactions")
    expect(page.get_by_test_id("console-status")).to_have_text("Ended")
    shot(page, "chat-handed-to-flex")


def test_a_call_pays_then_talks_to_a_virtual_agent(page, server):
    start_console(page, place(server, "console-pay", PAY_FLOW))
    page.locator(".sms-area button", has_text="Call").click()
    transcript = page.get_by_test_id("transcript")
    expect(transcript.locator('[data-kind="pay"]')).to_contain_text("pay 19.99 usd")
    expect(transcript.locator('[data-kind="pay"] .detail')).to_have_text("with connector Stripe_Connector (<Pay>)")
    expect(transcript.locator('[data-kind="note"]', has_text="streams to wss://example.com/audio")).to_have_count(1)
    shot(page, "call-payment")
    page.get_by_test_id("payment-side").get_by_role("button", name="Pay", exact=True).click()
    expect(transcript.locator('[data-kind="agent"]')).to_contain_text("virtual agent support-bot")
    page.get_by_test_id("virtual-agent-side").get_by_role("button", name="The agent is done").click()
    expect(transcript.locator('[data-kind="say"]').last).to_contain_text("Paid with card xxxx-xxxx-xxxx-4242. Goodbye.")
    expect(page.get_by_test_id("console-status")).to_have_text("Ended")


def test_too_many_failed_card_attempts(page, server):
    start_console(page, place(server, "console-pay", PAY_FLOW))
    page.locator(".sms-area button", has_text="Call").click()
    page.get_by_test_id("payment-side").get_by_role("button", name="Wrong card, too many times").click()
    expect(page.get_by_test_id("transcript").locator('[data-kind="say"]').last).to_contain_text(
        "Sorry: too-many-failed-attempts")
