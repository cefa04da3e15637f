"""Whole conversations through the webhooks, with signed requests and golden TwiML."""
import io
from urllib.parse import urlencode

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from flowstudio.web import webhooks
from flowstudio.web.app import runtime

from .conftest import action_of, assert_golden

CONTACT, NUMBER = "+15555550142", "+15555550100"


def sms(sid, body):
    return {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": CONTACT, "To": NUMBER, "Body": body,
            "NumMedia": "0", "SmsStatus": "received"}


def call_params(**extra):
    return {"CallSid": "CA" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": CONTACT, "To": NUMBER,
            "CallStatus": "in-progress", "Direction": "inbound", **extra}


def test_sms_conversation_with_a_timeout(app, phone, clock):
    url = "/webhooks/appointment-confirmation"
    first = phone.post(url, sms("SM1", "hi"))
    assert first.status_code == 200 and first.mimetype == "text/xml"
    assert_golden("sms-first", first.data.decode())
    clock.advance(3600)
    (fired,) = runtime(app).service.fire_due()  # the reminder goes out through the channel
    assert fired.sent[0]["effect"]["body"].startswith("Reminder from Bright Smile Dental")
    again = phone.post(url, sms("SM2", "yes"))
    assert_golden("sms-confirmed", again.data.decode())
    row = runtime(app).service.store.executions(flow_id="appointment-confirmation")[0]
    assert row.status == "ended"


def test_a_retried_message_is_answered_the_same_and_processed_once(app, phone):
    url = "/webhooks/appointment-confirmation"
    one = phone.post(url, sms("SM1", "hi")).data
    two = phone.post(url, sms("SM1", "hi")).data
    assert one == two
    store = runtime(app).service.store
    (row,) = store.executions()
    assert len(store.steps(row.id)) == 1


@pytest.mark.parametrize("sender", [None, "", "  "])
def test_a_message_without_a_sender_is_400_naming_from(app, phone, sender):
    """Before: 200, and every message without a From joined one conversation (contact "")."""
    params = {k: v for k, v in sms("SM9", "hi").items() if k != "From"}
    if sender is not None:
        params["From"] = sender
    answer = phone.post("/webhooks/appointment-confirmation", params)
    assert answer.status_code == 400 and answer.json["error"]["field"] == "From"
    assert runtime(app).service.store.executions() == []


def test_ivr_call_keypress_dial_and_voicemail(app, phone):
    url = "/webhooks/ivr-menu"
    menu = phone.post(url, call_params(CallStatus="ringing")).data.decode()
    assert_golden("ivr-menu", menu)
    dial = phone.post(action_of(menu), call_params(Digits="1")).data.decode()
    assert_golden("ivr-dial-sales", dial)
    prompt = phone.post(action_of(dial, "Dial"), call_params(DialCallStatus="no-answer")).data.decode()
    assert_golden("ivr-voicemail", prompt)
    bye = phone.post(action_of(prompt, "Record"), call_params(RecordingUrl="https://api.twilio.com/rec/RE1",
                                                             RecordingDuration="12")).data.decode()
    assert_golden("ivr-voicemail-thanks", bye)
    assert bye.endswith("<Hangup /></Response>")


def test_ivr_speech_and_no_input(app, phone):
    url = "/webhooks/ivr-menu"
    menu = phone.post(url, call_params(CallStatus="ringing")).data.decode()
    timeout_url = action_of(menu, "Redirect")
    assert "FlowEvent=timeout" in timeout_url
    again = phone.post(timeout_url, call_params()).data.decode()  # silence: Twilio falls through to the redirect
    assert "<Gather" in again and action_of(again) != action_of(menu)  # a new wait, a new token
    speech = phone.post(action_of(again), call_params(SpeechResult="Support, please.", Confidence="0.87"))
    assert "connect you to customer support" in speech.data.decode()
    assert "<Number>+15555550101</Number>" in speech.data.decode()


def test_call_status_callback_ends_the_execution(app, phone):
    phone.post("/webhooks/ivr-menu", call_params(CallStatus="ringing"))
    status = phone.post("/webhooks/ivr-menu/status", call_params(CallStatus="completed", CallDuration="7"))
    assert status.status_code == 204
    (row,) = runtime(app).service.store.executions(flow_id="ivr-menu")
    assert (row.status, row.ended_reason) == ("ended", "the call ended")


def test_undelivered_question_follows_delivery_failure(app, phone):
    first = phone.post("/webhooks/keyword-router", sms("SM1", "news")).data.decode()
    status_url = action_of(first, "Message")
    assert "widget=ask_email" in status_url
    phone.post(status_url, {"MessageSid": "SM9", "MessageStatus": "undelivered", "ErrorCode": "30003"})
    (row,) = runtime(app).service.store.executions(flow_id="keyword-router")
    assert row.status == "ended"
    sent = runtime(app).service.store.outbox(row.id)
    assert [s.effect["body"] for s in sent] == [
        "Sorry, we couldn't sign you up just now. Please try again later or sign up at example.com/news."]


def test_a_retried_callback_is_processed_once(app, phone):
    menu = phone.post("/webhooks/ivr-menu", call_params(CallStatus="ringing")).data.decode()
    one = phone.post(action_of(menu), call_params(Digits="2")).data
    two = phone.post(action_of(menu), call_params(Digits="2")).data
    assert one == two
    (row,) = runtime(app).service.store.executions(flow_id="ivr-menu")
    assert row.version == 2


def test_unsigned_or_wrongly_signed_webhooks_are_refused(app, phone):
    assert phone.post("/webhooks/keyword-router", sms("SM1", "help"), sign=False).status_code == 403
    bad = phone.client.post("/webhooks/keyword-router", data=sms("SM1", "help"),
                            headers={"X-Twilio-Signature": "AAAA"})
    assert bad.status_code == 403
    assert "X-Twilio-Signature" in bad.json["error"]["message"]
    assert runtime(app).service.store.count() == 0


def test_signature_checks_the_public_url_behind_a_proxy(app):
    from .conftest import Phone

    wrong_host = Phone(app.test_client(), public="http://internal:8000")
    assert wrong_host.post("/webhooks/keyword-router", sms("SM1", "help")).status_code == 403


def test_bad_requests_are_clear_and_store_nothing(app, phone):
    unknown = phone.post("/webhooks/no-such-flow", sms("SM1", "hi"))
    assert (unknown.status_code, unknown.json["error"]["message"]) == (404, "there is no flow 'no-such-flow'")
    neither = phone.post("/webhooks/keyword-router", {"Body": "hi"})
    assert neither.status_code == 400 and neither.json["error"]["field"] == "MessageSid"
    big = phone.post("/webhooks/keyword-router", sms("SM1", "x" * 70_000))
    assert big.status_code == 413
    bad_token = phone.post("/webhooks/ivr-menu?execution=FN1&widget=main_menu&token=abc", call_params())
    assert bad_token.status_code == 400 and bad_token.json["error"]["field"] == "token"
    missing = phone.post("/webhooks/ivr-menu?execution=FN404&widget=main_menu&token=1", call_params())
    assert missing.status_code == 404
    assert runtime(app).service.store.count() == 0


def test_a_broken_flow_apologises_and_the_others_keep_working(app, phone):
    flows = runtime(app).settings.flows_dir
    (flows / "keyword-router.yaml").write_text("spec_version: 1\nname: x\nname: y\n")
    text = phone.post("/webhooks/keyword-router", sms("SM1", "help")).data.decode()
    assert "<Message>Sorry, this service is not available right now." in text
    voice = phone.post("/webhooks/keyword-router", call_params()).data.decode()
    assert "<Say>Sorry" in voice and "<Hangup />" in voice
    ok = phone.post("/webhooks/appointment-confirmation", sms("SM2", "hi")).data.decode()
    assert "Bright Smile Dental" in ok


def test_the_webhook_app_answers_paths_methods_and_failures_in_json(app, phone, monkeypatch, caplog):
    """The webhooks are their own WSGI app in front of Flask: what Flask's routing and
    error handlers did for them, they do themselves, in the API's JSON."""
    for path in ("/webhooks/", "/webhooks/keyword-router/other", "/webhooks/keyword-router/status/x"):
        lost = phone.post(path, sms("SM1", "hi"))
        assert (lost.status_code, lost.json["error"]["message"]) == (404, "no such page"), path
    put = phone.client.put("/webhooks/keyword-router", data=sms("SM1", "hi"))
    assert put.status_code == 405 and put.headers["Allow"] == "POST, GET"
    # a chunked body has no Content-Length to refuse up front: the limit holds while reading
    big = sms("SM1", "x" * 70_000)
    signature = phone.validator.compute_signature(phone.public + "/webhooks/keyword-router", big)
    chunks = phone.client.post("/webhooks/keyword-router", input_stream=io.BytesIO(urlencode(big).encode()),
                               content_type="application/x-www-form-urlencoded",
                               headers={"Transfer-Encoding": "chunked", "X-Twilio-Signature": signature},
                               environ_overrides={"wsgi.input_terminated": True})  # as gunicorn marks it
    assert chunks.status_code == 413 and "64 KB" in chunks.json["error"]["message"]
    small = sms("SM3", "help")
    signature = phone.validator.compute_signature(phone.public + "/webhooks/keyword-router", small)
    chunked = phone.client.post("/webhooks/keyword-router", input_stream=io.BytesIO(urlencode(small).encode()),
                                content_type="application/x-www-form-urlencoded",
                                headers={"Transfer-Encoding": "chunked", "X-Twilio-Signature": signature},
                                environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 200 and "<Message" in chunked.data.decode()
    runtime(app).service.store.delete_all()

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(runtime(app).service, "inbound_message", explode)
    failed = phone.post("/webhooks/keyword-router", sms("SM2", "hi"))
    assert failed.status_code == 500 and failed.json["error"]["message"].startswith("internal error")
    assert "disk on fire" in caplog.text
    assert runtime(app).service.store.count() == 0
    # everything else still reaches Flask
    assert app.test_client().get("/api/flows").status_code == 200


def test_callback_urls_are_quoted_as_url_for_quoted_them():
    """_url writes plain values as they are and quotes the rest with urlencode."""
    request = webhooks._Hook(EnvironBuilder(path="/webhooks/x").get_environ())
    for execution, widget, token in (("FN0a1b", "ask_1", 3), ("FN1", "say hello", None), ("FN2", "a&b=c/é", 12)):
        query = [(k, str(v)) for k, v in (("execution", execution), ("widget", widget), ("token", token))
                 if v is not None]
        expected = "/webhooks/my%20flow/status?" + urlencode(query, safe=webhooks._QUERY_SAFE)
        assert webhooks._url(request, "my flow", "/status", execution=execution, widget=widget,
                             token=token) == expected
    assert webhooks._url(request, "f", "") == "/webhooks/f"


@pytest.mark.parametrize("path, script, query, headers", [
    ("/webhooks/ivr-menu", "", "", {}),
    ("/webhooks//caf\u00e9/status", "/app/", "execution=FN1&widget=a%20b", {"Content-Length": "12"}),
    ("/webhooks/x", "", "", {"Transfer-Encoding": "chunked"}),
    ("/webhooks/x", "", "", {"Content-Length": "-3"}),
])
def test_the_webhooks_read_a_request_as_werkzeug_does(path, script, query, headers):
    environ = EnvironBuilder(path=path, base_url=f"http://example.com{script}", query_string=query, method="post",
                             headers=headers).get_environ()
    hook, full = webhooks._Hook(environ), Request(dict(environ))
    for name in ("method", "path", "query_string", "script_root", "content_length", "remote_addr", "url"):
        assert getattr(hook, name) == getattr(full, name), name
    assert hook.args == full.args
