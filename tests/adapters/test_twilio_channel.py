"""TwilioChannel through the real `twilio` package against a local fake of Twilio's
REST API (pytest-httpserver): requests really go over HTTP, only the host is changed."""
import json
import re
import socket
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from werkzeug import Response

from flowstudio.adapters.twilio_channel import NO_PUBLIC_URL, TwilioChannel
from flowstudio.engine import effects as fx
from flowstudio.engine.state import WAIT_CALL, WAIT_IO, WAIT_MESSAGE, ExecutionState, Frame, Waiting

AC = "AC" + "a" * 32
TOKEN = "secret-token"
PUBLIC = "https://flows.example.com"
BASE = f"/2010-04-01/Accounts/{AC}"
INVALID_TO = {"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.",
              "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}
UNAVAILABLE = {"code": 20503, "message": "Service Unavailable", "status": 503}


class LocalTwilioHttpClient(TwilioHttpClient):
    """The real Twilio HTTP client, sending to `base` instead of https://api.twilio.com."""

    def __init__(self, base: str):
        super().__init__(timeout=5)
        self.base = urlsplit(base)

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        url = urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)


class FakeTwilio:
    """Answers like Twilio's REST API; `failures` is a list of (status, json) answered first."""

    def __init__(self, httpserver):
        self.failures, self.requests = [], []
        self.workspaces = [{"sid": "WS" + "4" * 32, "friendly_name": "Flex Task Assignment"}]
        # the REST API (api.twilio.com), and the Flex, TaskRouter and Conversations APIs (their own hosts,
        # all sent here by LocalTwilioHttpClient)
        httpserver.expect_request(re.compile("^" + re.escape(BASE) + "/.+[.]json$"),
                                  method="POST").respond_with_handler(self.handle)
        httpserver.expect_request(re.compile("^/v1/.+$")).respond_with_handler(self.handle)

    def handle(self, request):
        self.requests.append(request)
        if self.failures:
            status, body = self.failures.pop(0)
            return _json(body, status)
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (AC, TOKEN):
            return _json({"code": 20003, "message": "Authenticate", "status": 401}, 401)
        path = request.path
        if path.endswith("/Messages.json"):
            return _json({"sid": "SM" + "1" * 32, "account_sid": AC, "status": "queued",
                          "to": request.form["To"], "from": request.form["From"], "body": request.form.get("Body", "")}, 201)
        if path.endswith("/Calls.json"):
            return _json({"sid": "CA" + "2" * 32, "account_sid": AC, "status": "queued",
                          "to": request.form["To"], "from": request.form["From"]}, 201)
        if path.endswith("/Recordings.json"):
            return _json({"sid": "RE" + "3" * 32, "account_sid": AC, "status": "in-progress",
                          "call_sid": path.split("/")[-2]}, 201)
        if path == "/v1/Workspaces" and request.method == "GET":
            return _json({"workspaces": self.workspaces, "meta": {"key": "workspaces", "next_page_url": None,
                                                                    "page": 0, "page_size": 2}}, 200)
        conv = re.fullmatch(r"/v1(?:/Services/IS\w+)?/Conversations(?:/(CH\w+)/(Participants|Webhooks))?", path)
        if conv and request.method == "POST" and conv.group(2) is None:
            return _json({"sid": "CH" + "c" * 32, "friendly_name": request.form.get("FriendlyName")}, 201)
        if conv and request.method == "POST":
            prefix = "MB" if conv.group(2) == "Participants" else "WH"
            return _json({"sid": prefix + "d" * 32, "conversation_sid": conv.group(1)}, 201)
        if "/Conversations/" in path and path.endswith("/Messages") and request.method == "POST":
            return _json({"sid": "IM" + "6" * 32, "conversation_sid": path.split("/")[3],
                          "author": request.form.get("Author", "system"), "body": request.form.get("Body")}, 201)
        if path == "/v1/Interactions" and request.method == "POST":
            return _json({"sid": "KD" + "5" * 32, "channel": json.loads(request.form["Channel"]),
                          "routing": json.loads(request.form["Routing"])}, 201)
        if path.endswith("/Recordings/Twilio.CURRENT.json"):
            return _json({"sid": "RE" + "3" * 32, "account_sid": AC, "status": "stopped"}, 200)
        return _json({"code": 20404, "message": "not found", "status": 404}, 404)


def _json(body, status):
    return Response(json.dumps(body), status=status, content_type="application/json")


@pytest.fixture
def twilio(httpserver):
    return FakeTwilio(httpserver)


@pytest.fixture
def sleeps():
    return []


def channel_for(base: str, sleeps: list, public_url=PUBLIC, **kwargs) -> TwilioChannel:
    client = Client(AC, TOKEN, http_client=LocalTwilioHttpClient(base))
    return TwilioChannel(AC, TOKEN, public_url, client=client, sleep=sleeps.append, **kwargs)


@pytest.fixture
def channel(httpserver, twilio, sleeps):
    return channel_for(httpserver.url_for("/"), sleeps)


def execution(trigger=None, widgets=None, waiting=None) -> ExecutionState:
    context = {"trigger": trigger or {"message": {"From": "+15555550123"}}, "flow": {}, "contact": {},
               "widgets": widgets or {}}
    return ExecutionState(id="FN123", flow_id="reminders", revision="r1", contact="+15555550123",
                          flow_address="+15555550100", channel="sms", started_at="2024-01-01T00:00:00+00:00",
                          frames=[Frame("reminders", "r1", context)], waiting=waiting)


MESSAGE = fx.SendMessage("notify", to="+15555550123", from_="+15555550100", body="Hi Zoë & co", reply=False)
CALL = fx.PlaceCall("call_back", to="+15555550123", from_="+15555550100", timeout=25)


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# ---------------------------------------------------------------- messages


def test_message_is_sent_with_twilio_form_fields_and_basic_auth(channel, twilio):
    result = channel.send_message(MESSAGE, execution=execution(waiting=Waiting("ask", WAIT_MESSAGE, 3)))
    assert result == {"status": "sent", "sid": "SM" + "1" * 32}
    [sent] = twilio.requests
    assert sent.path == f"{BASE}/Messages.json"
    assert (sent.authorization.username, sent.authorization.password) == (AC, TOKEN)
    form = sent.form
    assert (form["To"], form["From"], form["Body"]) == ("+15555550123", "+15555550100", "Hi Zoë & co")
    assert "MediaUrl" not in form
    callback = form["StatusCallback"]
    assert callback.startswith(f"{PUBLIC}/webhooks/reminders/status?")
    assert query_of(callback) == {"execution": "FN123", "widget": "notify"}


def test_media_urls_are_sent_and_no_callback_without_execution(channel, twilio):
    media = fx.SendMessage("pic", to="+1555", from_="+1556", body="look",
                           media_urls=("https://a/1.png", "https://a/2.png"))
    assert channel.send_message(media)["status"] == "sent"
    form = twilio.requests[-1].form
    assert form.getlist("MediaUrl") == ["https://a/1.png", "https://a/2.png"]
    assert "StatusCallback" not in form


def test_invalid_number_fails_at_once_with_twilios_message_and_code(channel, twilio, sleeps):
    twilio.failures = [(400, INVALID_TO)]
    result = channel.send_message(MESSAGE)
    assert result["status"] == "failed"
    assert "21211" in result["error"] and "is not a valid phone number" in result["error"]
    assert "HTTP 400" in result["error"]
    assert len(twilio.requests) == 1 and sleeps == []


def test_wrong_credentials_are_not_retried(httpserver, twilio, sleeps):
    client = Client(AC, "wrong", http_client=LocalTwilioHttpClient(httpserver.url_for("/")))
    result = TwilioChannel(AC, "wrong", PUBLIC, client=client, sleep=sleeps.append).send_message(MESSAGE)
    assert result["status"] == "failed" and "20003" in result["error"] and "HTTP 401" in result["error"]
    assert len(twilio.requests) == 1 and sleeps == []


def test_unavailable_twice_then_sent_after_backoff(channel, twilio, sleeps):
    twilio.failures = [(503, UNAVAILABLE), (503, UNAVAILABLE)]
    assert channel.send_message(MESSAGE) == {"status": "sent", "sid": "SM" + "1" * 32}
    assert len(twilio.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_too_many_requests_is_retried(channel, twilio, sleeps):
    twilio.failures = [(429, {"code": 20429, "message": "Too Many Requests", "status": 429})]
    assert channel.send_message(MESSAGE)["status"] == "sent"
    assert len(twilio.requests) == 2 and sleeps == [0.5]


def test_unavailable_always_fails_after_all_retries(channel, twilio, sleeps):
    twilio.failures = [(503, UNAVAILABLE)] * 10
    result = channel.send_message(MESSAGE)
    assert result["status"] == "failed"
    assert "20503" in result["error"] and "gave up after 4 attempts" in result["error"]
    assert len(twilio.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_unreachable_twilio_is_retried_then_fails(sleeps):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: connections are refused
    channel = channel_for(f"http://127.0.0.1:{port}", sleeps, retries=2, backoff=0.1)
    result = channel.send_message(MESSAGE)
    assert result["status"] == "failed" and "could not reach Twilio" in result["error"]
    assert sleeps == [0.1, 0.2]


# ---------------------------------------------------------------- calls


def test_place_call_sends_answer_url_status_callback_and_timeout(channel, twilio):
    state = execution(waiting=Waiting("call_back", WAIT_CALL, 7))
    call = fx.PlaceCall("call_back", to="+15555550123", from_="+15555550100", timeout=25, record=True,
                        machine_detection="Enable", send_digits="ww1")
    assert channel.place_call(call, state) == {"status": "queued", "sid": "CA" + "2" * 32}
    [sent] = twilio.requests
    assert sent.path == f"{BASE}/Calls.json"
    form = sent.form
    assert (form["To"], form["From"], form["Timeout"], form["Record"]) == ("+15555550123", "+15555550100", "25", "true")
    assert (form["MachineDetection"], form["SendDigits"]) == ("Enable", "ww1")
    assert form["Url"].startswith(f"{PUBLIC}/webhooks/reminders?")
    assert form["StatusCallback"].startswith(f"{PUBLIC}/webhooks/reminders/status?")
    ours = {"execution": "FN123", "widget": "call_back", "token": "7"}
    assert query_of(form["Url"]) == ours and query_of(form["StatusCallback"]) == ours
    assert form.getlist("StatusCallbackEvent") == ["completed"]


def test_place_call_leaves_out_unset_options(channel, twilio):
    channel.place_call(CALL, execution(waiting=Waiting("call_back", WAIT_CALL, 1)))
    form = twilio.requests[-1].form
    assert "MachineDetection" not in form and "SendDigits" not in form
    assert form["Record"] == "false"
    assert not {"RecordingChannels", "RecordingStatusCallback", "Trim", "MachineDetectionTimeout",
                "SipAuthUsername", "SipAuthPassword"} & set(form)


def test_place_call_sends_studios_recording_amd_and_sip_options(channel, twilio):
    """Make Outgoing Call's recording, answering-machine tuning and SIP credentials reach
    the Calls API under Twilio's names."""
    call = fx.PlaceCall("call_back", to="sip:agent@example.com", from_="+15555550100", record=True,
                        recording_channels="dual", recording_status_callback="https://hooks.example.com/rec",
                        trim="do-not-trim", machine_detection="DetectMessageEnd", machine_detection_timeout=30,
                        machine_detection_speech_threshold=2400, machine_detection_speech_end_threshold=1200,
                        machine_detection_silence_timeout=5000, sip_auth_username="agent",
                        sip_auth_password="s3cret")
    channel.place_call(call, execution(waiting=Waiting("call_back", WAIT_CALL, 1)))
    form = twilio.requests[-1].form
    assert (form["RecordingChannels"], form["RecordingStatusCallback"], form["Trim"]) == (
        "dual", "https://hooks.example.com/rec", "do-not-trim")
    assert (form["MachineDetectionTimeout"], form["MachineDetectionSpeechThreshold"],
            form["MachineDetectionSpeechEndThreshold"], form["MachineDetectionSilenceTimeout"]) == (
        "30", "2400", "1200", "5000")
    assert (form["SipAuthUsername"], form["SipAuthPassword"]) == ("agent", "s3cret")


def test_place_call_without_public_url_fails_without_a_request(httpserver, twilio, sleeps):
    channel = channel_for(httpserver.url_for("/"), sleeps, public_url=None)
    assert channel.place_call(CALL, execution(waiting=Waiting("call_back", WAIT_CALL, 1))) == {
        "status": "failed", "error": NO_PUBLIC_URL}
    assert twilio.requests == []


def test_place_call_refused_fails(channel, twilio):
    twilio.failures = [(400, INVALID_TO)]
    result = channel.place_call(CALL, execution(waiting=Waiting("call_back", WAIT_CALL, 1)))
    assert result["status"] == "failed" and "21211" in result["error"]


# ---------------------------------------------------------------- recordings


def test_record_call_records_the_inbound_call(channel, twilio):
    state = execution(trigger={"call": {"CallSid": "CA" + "9" * 32, "From": "+15555550123"}},
                      waiting=Waiting("start_recording", WAIT_IO, 2))
    effect = fx.StartRecording("start_recording", channels="dual", trim="trim-silence",
                               status_callback="https://hooks.example.com/rec")
    assert channel.record_call(effect, state) == {"status": "recording", "sid": "RE" + "3" * 32}
    [sent] = twilio.requests
    assert sent.path == f"{BASE}/Calls/{'CA' + '9' * 32}/Recordings.json"
    assert sent.form["RecordingChannels"] == "dual" and sent.form["Trim"] == "trim-silence"
    assert sent.form["RecordingStatusCallback"] == "https://hooks.example.com/rec"


def test_record_call_sends_the_callback_method_and_events(channel, twilio):
    state = execution(trigger={"call": {"CallSid": "CA" + "9" * 32}})
    effect = fx.StartRecording("rec", status_callback="https://hooks.example.com/rec", status_callback_method="GET",
                               status_callback_events=("in-progress", "completed"))
    assert channel.record_call(effect, state)["status"] == "recording"
    form = twilio.requests[-1].form
    assert form["RecordingStatusCallbackMethod"] == "GET"
    assert form.getlist("RecordingStatusCallbackEvent") == ["in-progress", "completed"]


def test_record_call_uses_the_answered_outgoing_call(channel, twilio):
    state = execution(widgets={"call_back": {"CallSid": "CA" + "8" * 32, "CallStatus": "in-progress"}})
    assert channel.record_call(fx.StartRecording("rec"), state)["status"] == "recording"
    assert twilio.requests[-1].path == f"{BASE}/Calls/{'CA' + '8' * 32}/Recordings.json"


def test_record_call_stop_stops_the_current_recording(channel, twilio):
    state = execution(trigger={"call": {"CallSid": "CA" + "9" * 32}})
    assert channel.record_call(fx.StartRecording("rec", record=False), state)["status"] == "stopped"
    sent = twilio.requests[-1]
    assert sent.path == f"{BASE}/Calls/{'CA' + '9' * 32}/Recordings/Twilio.CURRENT.json"
    assert sent.form["Status"] == "stopped"


def test_record_call_without_a_call_fails_clearly(channel, twilio):
    state = execution(widgets={"call_back": {"CallSid": "CA1", "CallStatus": "busy"}})
    result = channel.record_call(fx.StartRecording("rec"), state)
    assert result["status"] == "failed" and "no call to record" in result["error"]
    assert twilio.requests == []


def test_default_client_has_a_timeout():
    channel = TwilioChannel(AC, TOKEN, PUBLIC + "/")
    assert channel.client.http_client.timeout == 10.0
    assert channel.public_url == PUBLIC


def test_a_content_template_is_sent_as_content_sid_and_variables_without_a_body(channel, twilio):
    template = fx.SendMessage("offer", to="+15555550123", from_="+15555550100", body="",
                              content_sid="HX" + "0" * 32, content_variables='{"1": "Ada"}', reply=False)
    assert channel.send_message(template)["status"] == "sent"
    [sent] = twilio.requests
    assert (sent.form["ContentSid"], sent.form["ContentVariables"]) == ("HX" + "0" * 32, '{"1": "Ada"}')
    assert "Body" not in sent.form


# ---------------------------------------------------------------- Flex


FLEX = fx.FlexTask("to_agent", workflow_sid="WW" + "6" * 32, task_channel="TC" + "7" * 32,
                   attributes='{"name":"Ada","selected_queue":"sales"}', priority=5, timeout=600,
                   conversation_sid="CH" + "8" * 32, channel_type="whatsapp", contact="whatsapp:+15555550123",
                   flow_address="whatsapp:+15555550100")


def test_flex_task_for_a_conversation_posts_an_interaction(channel, twilio):
    assert channel.create_flex_task(FLEX, execution()) == {"status": "created", "sid": "KD" + "5" * 32}
    lookup, sent = twilio.requests
    assert (lookup.method, lookup.path) == ("GET", "/v1/Workspaces")
    assert (sent.method, sent.path) == ("POST", "/v1/Interactions")
    assert (sent.authorization.username, sent.authorization.password) == (AC, TOKEN)
    assert json.loads(sent.form["Channel"]) == {"type": "whatsapp", "initiated_by": "customer",
                                                "properties": {"media_channel_sid": "CH" + "8" * 32}}
    assert json.loads(sent.form["Routing"]) == {"properties": {
        "workspace_sid": "WS" + "4" * 32, "workflow_sid": "WW" + "6" * 32, "task_channel_sid": "TC" + "7" * 32,
        "attributes": {"name": "Ada", "selected_queue": "sales"}, "priority": 5, "timeout": 600}}
    channel.create_flex_task(FLEX, execution())   # the workspace is looked up once
    assert [r.path for r in twilio.requests[2:]] == ["/v1/Interactions"]


def test_flex_task_for_a_plain_message_names_both_addresses(channel, twilio):
    task = fx.FlexTask("to_agent", workflow_sid="WW1", task_channel="sms", contact="+15555550123",
                       flow_address="+15555550100")
    channel.workspace_sid = "WS" + "9" * 32
    assert channel.create_flex_task(task, execution())["status"] == "created"
    [sent] = twilio.requests
    assert json.loads(sent.form["Channel"]) == {"type": "sms", "initiated_by": "customer", "participants": [
        {"address": "+15555550123", "proxy_address": "+15555550100"}]}
    routing = json.loads(sent.form["Routing"])["properties"]
    assert routing["task_channel_unique_name"] == "sms" and routing["workspace_sid"] == "WS" + "9" * 32
    assert "priority" not in routing and routing["attributes"] == {}


def test_flex_task_refused_fails_with_twilios_message(channel, twilio):
    channel.workspace_sid = "WS1"
    twilio.failures = [(400, {"code": 20001, "message": "Invalid workflow_sid", "status": 400})]
    result = channel.create_flex_task(FLEX, execution())
    assert result["status"] == "failed" and "20001" in result["error"] and "Invalid workflow_sid" in result["error"]


def test_flex_task_without_one_workspace_says_which_setting_to_set(channel, twilio):
    twilio.workspaces = []
    result = channel.create_flex_task(FLEX, execution())
    assert result["status"] == "failed" and "FLOWSTUDIO_TWILIO_WORKSPACE_SID" in result["error"]
    assert [r.path for r in twilio.requests] == ["/v1/Workspaces"]


# ---------------------------------------------------------------- Conversations


def test_a_reply_in_a_conversation_is_posted_to_it_not_sent_as_sms(channel, twilio):
    reply = fx.SendMessage("ask", to="whatsapp:+15555550123", from_="Cloud City Healthcare", body="Your name?",
                           conversation_sid="CH" + "8" * 32, attributes='{"selections": ["A", "B"]}')
    assert channel.send_message(reply, execution()) == {"status": "sent", "sid": "IM" + "6" * 32}
    [sent] = twilio.requests
    assert (sent.method, sent.path) == ("POST", f"/v1/Conversations/{'CH' + '8' * 32}/Messages")
    assert (sent.form["Author"], sent.form["Body"]) == ("Cloud City Healthcare", "Your name?")
    assert sent.form["Attributes"] == '{"selections": ["A", "B"]}'
    assert "To" not in sent.form and "StatusCallback" not in sent.form


def test_a_reply_from_the_conversation_itself_leaves_the_author_to_twilio(channel, twilio):
    reply = fx.SendMessage("hi", to="web-ada", from_="CH" + "8" * 32, body="Hello", conversation_sid="CH" + "8" * 32)
    assert channel.send_message(reply)["status"] == "sent"
    assert "Author" not in twilio.requests[-1].form and "Attributes" not in twilio.requests[-1].form


def test_a_refused_conversation_post_fails(channel, twilio):
    twilio.failures = [(404, {"code": 20404, "message": "Conversation not found", "status": 404})]
    reply = fx.SendMessage("hi", to="web-ada", body="Hello", conversation_sid="CH" + "8" * 32)
    result = channel.send_message(reply)
    assert result["status"] == "failed" and "20404" in result["error"]



OPEN = fx.OpenConversation("open", friendly_name="Order 42", attributes='{"order": 42}',
                           address="whatsapp:+15555550123", proxy_address="whatsapp:+15555550100")


def test_start_conversation_creates_it_its_participant_and_the_flows_webhook(channel, twilio):
    assert channel.start_conversation(OPEN, execution()) == {"status": "created", "sid": "CH" + "c" * 32,
                                                             "participant_sid": "MB" + "d" * 32}
    made, joined, hook = twilio.requests
    assert (made.path, made.form["FriendlyName"], made.form["Attributes"]) == (
        "/v1/Conversations", "Order 42", '{"order": 42}')
    assert joined.path == f"/v1/Conversations/{'CH' + 'c' * 32}/Participants"
    assert (joined.form["MessagingBinding.Address"], joined.form["MessagingBinding.ProxyAddress"]) == (
        "whatsapp:+15555550123", "whatsapp:+15555550100")
    assert hook.path == f"/v1/Conversations/{'CH' + 'c' * 32}/Webhooks"
    assert (hook.form["Target"], hook.form["Configuration.Url"], hook.form["Configuration.Method"]) == (
        "webhook", f"{PUBLIC}/webhooks/reminders", "POST")
    assert hook.form.getlist("Configuration.Filters") == ["onMessageAdded"]


def test_start_conversation_in_a_service_for_a_chat_identity(channel, twilio):
    effect = fx.OpenConversation("open", service_sid="IS" + "1" * 32, identity="ada")
    assert channel.start_conversation(effect, execution())["status"] == "created"
    made, joined, _ = twilio.requests
    assert made.path == f"/v1/Services/{'IS' + '1' * 32}/Conversations"
    assert joined.form["Identity"] == "ada" and "MessagingBinding.Address" not in joined.form


def test_start_conversation_refused_participant_fails_naming_the_conversation(channel, twilio):
    twilio.failures = [(201, {"sid": "CH" + "c" * 32}),
                       (400, {"code": 50416, "message": "A binding for this participant already exists", "status": 400})]
    result = channel.start_conversation(OPEN, execution())
    assert result["status"] == "failed" and "50416" in result["error"] and result["sid"] == "CH" + "c" * 32


def test_start_conversation_without_public_url_fails_without_a_request(httpserver, twilio, sleeps):
    channel = channel_for(httpserver.url_for("/"), sleeps, public_url=None)
    result = channel.start_conversation(OPEN, execution())
    assert result["status"] == "failed" and "FLOWSTUDIO_PUBLIC_URL" in result["error"]
    assert twilio.requests == []
