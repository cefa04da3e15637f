"""The HTTP client against a real local server (pytest-httpserver); no mocks of requests."""
import base64
import json
import socket
import threading
import time

import pytest
from werkzeug import Response

from flowstudio import __version__
from flowstudio.adapters.http import HttpClient, HttpRequest

JSON = "application/json;charset=utf-8"
KB64 = 64 * 1024


@pytest.fixture
def client():
    return HttpClient()


def last_request(httpserver):
    """The werkzeug Request the server received last."""
    assert httpserver.log, "the server received nothing"
    return httpserver.log[-1][0]


def test_get_sends_parameters_in_query_string_and_no_body(httpserver, client):
    httpserver.expect_request("/orders", method="GET").respond_with_json({"ok": True})
    res = client.perform(HttpRequest("GET", httpserver.url_for("/orders"),
                                     parameters=(("id", "42"), ("name", "Zoë & co"))))
    assert (res.status_code, res.error) == (200, None)
    assert json.loads(res.body) == {"ok": True}
    assert res.content_type.startswith("application/json")
    sent = last_request(httpserver)
    assert sent.args.to_dict() == {"id": "42", "name": "Zoë & co"}
    assert sent.get_data() == b""


def test_post_form_sends_parameters_as_fields(httpserver, client):
    httpserver.expect_request("/hook", method="POST").respond_with_data("thanks")
    res = client.perform(HttpRequest("POST", httpserver.url_for("/hook"), parameters=(("a", "1"), ("b", "é"))))
    assert (res.status_code, res.body, res.error) == (200, "thanks", None)
    sent = last_request(httpserver)
    assert sent.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert sent.form.to_dict() == {"a": "1", "b": "é"}


def test_post_form_body_is_sent_as_is(httpserver, client):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    client.perform(HttpRequest("POST", httpserver.url_for("/hook"), body="x=1&y=two", parameters=(("z", "3"),)))
    assert last_request(httpserver).get_data() == b"x=1&y=two"


def test_post_json_body_is_sent_as_is(httpserver, client):
    httpserver.expect_request("/json", method="POST").respond_with_json({"status": "shipped"}, status=201)
    body = '{"phone": "+15551234567", "n": 3}'
    res = client.perform(HttpRequest("POST", httpserver.url_for("/json"), content_type=JSON, body=body))
    assert (res.status_code, res.error) == (201, None)
    sent = last_request(httpserver)
    assert sent.headers["Content-Type"].startswith("application/json")
    assert sent.get_data(as_text=True) == body


def test_post_json_without_body_sends_parameters_as_object(httpserver, client):
    httpserver.expect_request("/json", method="POST").respond_with_data("ok")
    client.perform(HttpRequest("POST", httpserver.url_for("/json"), content_type=JSON,
                               parameters=(("a", "1"), ("b", "two"))))
    sent = last_request(httpserver)
    assert sent.headers["Content-Type"].startswith("application/json")
    assert json.loads(sent.get_data()) == {"a": "1", "b": "two"}


@pytest.mark.parametrize("status", [404, 500])
def test_error_statuses_come_back_with_their_body(httpserver, client, status):
    httpserver.expect_request("/broken").respond_with_data(f"status {status}", status=status)
    res = client.perform(HttpRequest("GET", httpserver.url_for("/broken")))
    assert (res.status_code, res.body, res.error) == (status, f"status {status}", None)


def test_response_of_exactly_64_kb_is_fine(httpserver, client):
    httpserver.expect_request("/big").respond_with_data(b"a" * KB64)
    res = client.perform(HttpRequest("GET", httpserver.url_for("/big")))
    assert (res.status_code, res.error, len(res.body)) == (200, None, KB64)


def test_response_one_byte_over_64_kb_is_an_error(httpserver, client):
    httpserver.expect_request("/big").respond_with_data(b"a" * (KB64 + 1))
    res = client.perform(HttpRequest("GET", httpserver.url_for("/big")))
    assert res.status_code == 200
    assert res.error == "response larger than 64 KB"
    assert res.body == "a" * KB64


def test_slow_endpoint_times_out(httpserver):
    release = threading.Event()

    def slow(request):
        release.wait(5)  # released at the end of the test so the (single-threaded) server moves on
        return Response("too late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    try:
        t0 = time.monotonic()
        res = HttpClient(timeout=0.5).perform(HttpRequest("GET", httpserver.url_for("/slow")))
        took = time.monotonic() - t0
    finally:
        release.set()
    assert res.status_code is None
    assert "timed out" in res.error
    assert took < 2


def test_trickling_endpoint_is_cut_at_the_total_timeout(httpserver):
    stop = threading.Event()

    def trickle(request):
        def chunks():
            while not stop.is_set():  # each byte well within the read timeout, but never done
                yield b"x"
                time.sleep(0.1)
        return Response(chunks(), content_type="text/plain")

    httpserver.expect_request("/trickle").respond_with_handler(trickle)
    try:
        t0 = time.monotonic()
        res = HttpClient(timeout=0.5).perform(HttpRequest("GET", httpserver.url_for("/trickle")))
        took = time.monotonic() - t0
    finally:
        stop.set()
    assert "timed out" in res.error
    assert took < 2


def test_connection_refused_is_an_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = HttpClient(timeout=2).perform(HttpRequest("GET", f"http://127.0.0.1:{port}/"))
    assert res.status_code is None
    assert "could not connect" in res.error


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/file", "file:///etc/passwd", "javascript:alert(1)", "example.com"])
def test_only_http_and_https_urls_are_called(httpserver, client, url):
    res = client.perform(HttpRequest("GET", url))
    assert res.status_code is None
    assert res.error == "only http and https addresses can be called"
    assert httpserver.log == []


def test_url_without_host_is_an_error(client):
    res = client.perform(HttpRequest("GET", "http:///path"))
    assert res.status_code is None and "bad URL" in res.error


def test_body_is_decoded_with_the_response_charset(httpserver, client):
    httpserver.expect_request("/latin").respond_with_data("café crème".encode("latin-1"),
                                                          content_type="text/plain; charset=iso-8859-1")
    res = client.perform(HttpRequest("GET", httpserver.url_for("/latin")))
    assert res.body == "café crème"


def test_body_without_charset_is_decoded_as_utf8_with_replacement(httpserver, client):
    httpserver.expect_request("/utf8").respond_with_data("café".encode() + b"\xff", content_type="text/plain")
    res = client.perform(HttpRequest("GET", httpserver.url_for("/utf8")))
    assert res.body == "café\ufffd"


def test_basic_auth_is_sent_when_given(httpserver, client):
    httpserver.expect_request("/auth").respond_with_data("ok")
    client.perform(HttpRequest("POST", httpserver.url_for("/auth"), auth=("AC123", "secret")))
    expected = "Basic " + base64.b64encode(b"AC123:secret").decode()
    assert last_request(httpserver).headers["Authorization"] == expected


def test_no_auth_header_without_auth(httpserver, client):
    httpserver.expect_request("/auth").respond_with_data("ok")
    client.perform(HttpRequest("GET", httpserver.url_for("/auth")))
    assert "Authorization" not in last_request(httpserver).headers


def test_user_agent_and_extra_headers_are_sent(httpserver, client):
    httpserver.expect_request("/ua").respond_with_data("ok")
    client.perform(HttpRequest("GET", httpserver.url_for("/ua"), headers=(("X-Flow", "FW1"),)))
    sent = last_request(httpserver)
    assert sent.headers["User-Agent"] == f"FlowStudio/{__version__}"
    assert sent.headers["X-Flow"] == "FW1"


def test_redirects_are_followed_up_to_five(httpserver, client):
    for i in range(5):
        httpserver.expect_request(f"/r{i}").respond_with_response(Response(status=302, headers={"Location": f"/r{i + 1}"}))
    httpserver.expect_request("/r5").respond_with_data("arrived")
    res = client.perform(HttpRequest("GET", httpserver.url_for("/r0")))
    assert (res.status_code, res.body, res.error) == (200, "arrived", None)


def test_redirect_loop_is_an_error(httpserver, client):
    httpserver.expect_request("/loop").respond_with_response(Response(status=302, headers={"Location": "/loop"}))
    res = client.perform(HttpRequest("GET", httpserver.url_for("/loop")))
    assert "too many redirects" in res.error
    assert len(httpserver.log) == 6  # the first request and five redirects, no more


def test_redirect_to_another_scheme_is_refused(httpserver, client):
    httpserver.expect_request("/away").respond_with_response(
        Response(status=302, headers={"Location": "file:///etc/passwd"}))
    res = client.perform(HttpRequest("GET", httpserver.url_for("/away")))
    assert res.error == "only http and https addresses can be called"


def test_gzip_answer_is_limited_after_decompression(httpserver, client):
    import gzip
    httpserver.expect_request("/gz").respond_with_data(gzip.compress(b"a" * (KB64 * 4)),
                                                       headers={"Content-Encoding": "gzip"})
    res = client.perform(HttpRequest("GET", httpserver.url_for("/gz")))
    assert res.error == "response larger than 64 KB"
    assert res.body == "a" * KB64


def test_answer_cut_off_midway_is_an_error(client):
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]

        def serve():
            conn, _ = srv.accept()
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
            conn.close()

        t = threading.Thread(target=serve)
        t.start()
        res = client.perform(HttpRequest("GET", f"http://127.0.0.1:{port}/"))
        t.join(5)
    assert res.status_code == 200
    assert res.error and "broke off" in res.error


def test_invalid_url_is_an_error_not_an_exception(client):
    res = client.perform(HttpRequest("GET", "http://[::1/x"))
    assert res.status_code is None and "bad URL" in res.error


@pytest.mark.parametrize("charset", ["no-such-charset", "base64"])
def test_unusable_charset_falls_back_to_utf8(httpserver, client, charset):
    httpserver.expect_request("/odd").respond_with_data("café".encode(), content_type=f"text/plain; charset={charset}")
    assert client.perform(HttpRequest("GET", httpserver.url_for("/odd"))).body == "café"


def test_widgets_with_add_twilio_auth_sign_in_with_the_account(httpserver):
    from flowstudio.engine.effects import HttpCall
    from flowstudio.service import default_http

    httpserver.expect_request("/lookup", headers={"Authorization": "Basic QUMxMjM6c2VjcmV0"}).respond_with_data("ok")
    httpserver.expect_request("/open").respond_with_data("open")
    perform = default_http(("AC123", "secret"))
    assert perform(HttpCall("w", url=httpserver.url_for("/lookup"), add_twilio_auth=True))["status_code"] == 200
    plain = perform(HttpCall("w", url=httpserver.url_for("/open")))
    assert plain["status_code"] == 200
    assert "Authorization" not in httpserver.log[-1][0].headers
