"""Fork Stream, Capture Payments and Connect Virtual Agent through signed webhooks:
golden TwiML for `<Start><Stream>`, `<Pay>`, `<Connect><VirtualAgent>` and
`<Stop><Stream>`, and each outcome of their action callbacks."""
import json
from pathlib import Path

import pytest

from flowstudio.web.app import runtime

from .conftest import action_of, assert_golden
from .test_webhooks import call_params

FLOW = """\
spec_version: 1
name: pay-desk
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingCall: stream_audio}
  - name: stream_audio
    type: fork-stream
    properties:
      stream_action: start
      stream_name: transcribe
      stream_url: wss://example.com/audio
      stream_track: both_tracks
      stream_parameters: [{key: caller, value: "{{trigger.call.From}}"}]
    transitions: {next: take_payment}
  - name: take_payment
    type: capture-payments
    properties:
      payment_connector: Stripe_Connector
      payment_amount: "19.99"
      currency: usd
      payment_method: credit-card
      valid_card_types: visa mastercard
      security_code: true
      postal_code: "false"
      timeout: "7"
      max_attempts: 2
      language: en-US
      description: Order 42
    transitions: {success: assistant, maxFailedAttempts: sorry, providerError: sorry, payInterrupted: sorry,
                  hangup: null, validationError: sorry}
  - name: assistant
    type: connect-virtual-agent-v2
    properties:
      connector: support-bot
      language: en-US
      sentiment_analysis: "true"
      status_callback: https://example.com/va-status
      parameters: [{key: order, value: "{{widgets.take_payment.PaymentConfirmationCode}}"}]
    transitions: {completed: stop_stream, live-agent-handoff: sorry, hangup: null, timeout: sorry, failed: sorry}
  - name: stop_stream
    type: fork-stream
    properties: {stream_action: stop, stream_name: transcribe}
    transitions: {next: bye}
  - name: bye
    type: say-play
    properties: {say: "Paid with card {{widgets.take_payment.PaymentCardNumber}}. Goodbye."}
  - name: sorry
    type: say-play
    properties: {say: "Sorry: {{widgets.take_payment.Result}}{{widgets.assistant.VirtualAgentStatus}}"}
"""


@pytest.fixture
def desk(app):
    (Path(app.config["FLOWS_DIR"]) / "pay-desk.yaml").write_text(FLOW)
    return "/webhooks/pay-desk"


def test_stream_pay_virtual_agent_and_stop(app, phone, desk):
    pay = phone.post(desk, call_params(CallStatus="ringing")).data.decode()
    assert_golden("fork-stream-and-pay", pay)
    agent = phone.post(action_of(pay, "Pay"), call_params(
        Result="success", PaymentConfirmationCode="ch_42", PaymentCardNumber="4111 1111 1111 1111",
        PaymentCardType="visa", ExpirationDate="1230")).data.decode()
    assert_golden("virtual-agent", agent)
    done = phone.post(action_of(agent, "Connect"), call_params(
        VirtualAgentStatus="completed", VirtualAgentProvider="dialogflow-cx",
        VirtualAgentProviderData='{"intent": "paid"}')).data.decode()
    assert_golden("stream-stop", done)
    assert "Paid with card xxxxxxxxxxxx1111. Goodbye." in done    # a full number never stays
    store = runtime(app).service.store
    (row,) = store.executions()
    widgets = row.state["frames"][0]["context"]["widgets"]
    assert widgets["assistant"]["VirtualAgentProviderData"] == {"intent": "paid"}
    everything = json.dumps([row.state, [s.context for s in store.steps(row.id)], store.logs(row.id)], default=str)
    assert "4111 1111 1111 1111" not in everything and "4111111111111111" not in everything


@pytest.mark.parametrize("result, said", [("too-many-failed-attempts", "too-many-failed-attempts"),
                                          ("payment-connector-error", "payment-connector-error"),
                                          ("caller-interrupted-with-star", "caller-interrupted-with-star"),
                                          ("validation-error", "validation-error")])
def test_each_payment_outcome_follows_its_transition(app, phone, desk, result, said):
    pay = phone.post(desk, call_params(CallStatus="ringing")).data.decode()
    sorry = phone.post(action_of(pay, "Pay"), call_params(Result=result)).data.decode()
    assert f"Sorry: {said}" in sorry


def test_a_caller_who_hangs_up_during_payment_follows_hangup(app, phone, desk):
    phone.post(desk, call_params(CallStatus="ringing"))
    phone.post("/webhooks/pay-desk/status", call_params(CallStatus="completed"))
    (row,) = runtime(app).service.store.executions()
    assert row.status == "ended"
    last = runtime(app).service.store.steps(row.id)[-1]
    assert (last.from_widget, last.event) == ("take_payment", "hangup")


@pytest.mark.parametrize("status, said", [("live-agent-handoff", "live-agent-handoff"), ("failed", "failed")])
def test_virtual_agent_outcomes(app, phone, desk, status, said):
    pay = phone.post(desk, call_params(CallStatus="ringing")).data.decode()
    agent = phone.post(action_of(pay, "Pay"), call_params(Result="success")).data.decode()
    sorry = phone.post(action_of(agent, "Connect"), call_params(VirtualAgentStatus=status)).data.decode()
    assert f"Sorry: success{said}" in sorry
