"""Slow clients against a real server (issue 14, "Hardening", slow clients).

Hundreds of connections that never finish their request (header lines one byte a
second, a body that stops after 14 of its 500 bytes, connections that send nothing,
kept-alive connections left idle) are held open, and reopened whenever the server
closes them, while the test checks that `/healthz` and a webhook turn still answer.
The server is started exactly as `flowstudio serve` and the README's production
command (read from the README) start it. A second test, with short deadlines, checks
what each slow or oversized client gets: 408, 431 or 413, and a closed connection.

Every wait is bounded and every process and socket opened here is closed.
"""
import json
import re
import selectors
import shlex
import shutil
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from ..web.test_server_process import HELP, REPO, SignedPhone, clean_env, free_port, messages, servers, sms  # noqa: F401

TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC = "https://flows.example.com"
HOOK = "/webhooks/keyword-router"
SLOW = 100          # connections of each slow kind held open at once (four kinds: 400)
ATTACK_TIME = 13.0  # seconds of checks under attack: longer than the default header deadline
ANSWER_WAIT = 5.0   # seconds any one check may take (the issue saw 10 s, then 75 s, of nothing)


def readme_production_command(port: int) -> list:
    """The gunicorn command of the README's "In production" section, on `port`."""
    section = (REPO / "README.md").read_text().split("### In production", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    args = shlex.split(block.replace("\\\n", " "))
    assert args[0] == "gunicorn", block
    bind = args.index("--bind")
    args[bind + 1] = f"127.0.0.1:{port}"
    return [sys.executable, "-m", "gunicorn", *args[1:]]


def serve_command(port: int, flows: Path) -> list:
    return [sys.executable, "-m", "flowstudio.cli", "serve", "--flows", flows, "--host", "127.0.0.1",
            "--port", port]


@pytest.fixture
def start(tmp_path, servers):  # noqa: F811 - the fixture of test_server_process
    """`start(how, **env)`: a server on a copy of the example flows, signed webhooks on."""
    flows = tmp_path / "flows"
    shutil.copytree(REPO / "flows", flows)

    def run(how: str, **extra):
        port = free_port()
        env = clean_env(FLOWSTUDIO_FLOWS_DIR=str(flows), FLOWSTUDIO_DATA_DIR=str(tmp_path / "data"),
                        TWILIO_AUTH_TOKEN=TOKEN, FLOWSTUDIO_PUBLIC_URL=PUBLIC, **extra)
        cmd = serve_command(port, flows) if how == "serve" else readme_production_command(port)
        server = servers(cmd, env, port)
        server.wait_ready()
        return server

    return run


# ---------------------------------------------------------------- the attack

HEAD = b"POST " + HOOK.encode() + b" HTTP/1.1\r\nHost: localhost\r\n"
SCRIPTS = {
    # kind: (sent at once, then dripped one byte a second, cycling)
    "headers": (HEAD, b"X-Slow: 1\r\n"),
    "body": (HEAD + b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n"
             + b"Body=fourteen!"[:14], b"a"),
    "idle": (b"", b""),
    "keepalive": (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", b""),
}


class SlowClients:
    """Keeps `count` connections of each kind in SCRIPTS open to `port`, from one thread;
    one the server closes is opened again at once."""

    def __init__(self, port: int, count: int):
        self.port, self.count = port, count
        # every key there from the start: the test's thread reads these while this one counts
        self.opened = Counter(dict.fromkeys(SCRIPTS, 0))
        self.closed_by_server = Counter(dict.fromkeys(SCRIPTS, 0))
        self.open_now = Counter(dict.fromkeys(SCRIPTS, 0))
        self.failures: list = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._sel = selectors.DefaultSelector()

    def __enter__(self):
        self._thread.start()
        self.in_place(30)
        return self

    def in_place(self, wait: float) -> int:
        """Wait until at least 90 % of the connections are open (the server closes
        some at each deadline; they are opened again within a fraction of a second)."""
        deadline = time.monotonic() + wait
        while (held := sum(self.open_now.values())) < self.count * len(SCRIPTS) * 0.9:
            assert time.monotonic() < deadline, (f"could not keep the slow connections open: {dict(self.open_now)}, "
                                                 f"{self.failures[-3:]}")
            time.sleep(0.05)
        return held

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)

    def _open(self, kind: str) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(SCRIPTS[kind][0])
        except OSError as exc:
            self.failures.append(exc)
            return
        sock.setblocking(False)
        # state: kind, position in the drip, time of the next byte
        self._sel.register(sock, selectors.EVENT_READ, [kind, 0, time.monotonic() + 1])
        self.opened[kind] += 1
        self.open_now[kind] += 1

    def _close(self, sock, kind: str, by_server: bool) -> None:
        self._sel.unregister(sock)
        sock.close()
        self.open_now[kind] -= 1
        if by_server:
            self.closed_by_server[kind] += 1

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                for kind in SCRIPTS:
                    for _ in range(self.count - self.open_now[kind]):
                        self._open(kind)
                for key, _ in self._sel.select(0.2):
                    try:
                        data = key.fileobj.recv(65536)  # answers (a kept-alive /healthz, a 408) are dropped
                    except OSError:
                        data = b""
                    if not data:
                        self._close(key.fileobj, key.data[0], by_server=True)
                now = time.monotonic()
                for key in list(self._sel.get_map().values()):
                    kind, pos, due = key.data
                    drip = SCRIPTS[kind][1]
                    if drip and now >= due:
                        try:
                            key.fileobj.send(drip[pos % len(drip):pos % len(drip) + 1])
                        except BlockingIOError:
                            pass
                        except OSError:
                            self._close(key.fileobj, kind, by_server=True)
                            continue
                        key.data[1:] = [pos + 1, now + 1]
        finally:
            for key in list(self._sel.get_map().values()):
                self._close(key.fileobj, key.data[0], by_server=False)
            self._sel.close()


@pytest.mark.parametrize("how", ["serve", "readme-gunicorn"])
def test_server_keeps_answering_while_hundreds_of_slow_clients_hold_connections(start, how):
    server = start(how)
    phone = SignedPhone(server.base, TOKEN, PUBLIC)
    with SlowClients(server.port, SLOW) as attack:
        end = time.monotonic() + ATTACK_TIME
        turns = 0
        while time.monotonic() < end:
            held = attack.in_place(3)
            started = time.monotonic()
            try:
                health = requests.get(server.base + "/healthz", timeout=ANSWER_WAIT)
                contact = f"+1555555{3000 + turns}"
                data = sms(f"SM{contact[1:]}{'c' * 21}", contact, "HELP")
                signature = phone.validator.compute_signature(PUBLIC + HOOK, data)
                turn = requests.post(server.base + HOOK, data=data, headers={"X-Twilio-Signature": signature},
                                     timeout=ANSWER_WAIT)
            except requests.Timeout:
                pytest.fail(f"no answer within {ANSWER_WAIT} s while {held} slow connections were open "
                            f"({dict(attack.open_now)})")
            assert health.status_code == 200, health.text
            assert messages(turn) == [HELP]
            turns += 1
            time.sleep(max(0.0, 0.5 - (time.monotonic() - started)))
    assert turns >= 10
    # The server closed the connections that missed the header deadline (10 s by default),
    # and the attacker opened new ones.
    assert attack.closed_by_server["headers"] >= SLOW * 0.9, dict(attack.closed_by_server)
    assert attack.closed_by_server["idle"] >= SLOW * 0.9, dict(attack.closed_by_server)


# ---------------------------------------------------------------- each deadline and limit

DEADLINE = 1.0  # seconds, for headers, body and sends alike
GRACE = 4.0     # seconds more for the server (it checks deadlines once a second) and a busy machine


def _answer(sock: socket.socket, wait: float) -> tuple:
    """Everything the server sends until it closes the connection, and when it closed."""
    sock.settimeout(wait)
    chunks = []
    started = time.monotonic()
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            pytest.fail(f"the server did not close the connection within {wait} s; it sent {b''.join(chunks)!r}")
        if not data:
            return b"".join(chunks), time.monotonic() - started
        chunks.append(data)


def _error(answer: bytes) -> str:
    """The message of a refusal, which is JSON as every API error is (`{"error": {"status",
    "message"}}`), so the editor shows what went wrong (before: plain text, and the
    editor said only "The server answered 413")."""
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"\r\nContent-Type: application/json\r\n" in head + b"\r\n", head
    error = json.loads(body)["error"]
    assert error["status"] == int(head.split()[1])
    return error["message"]


def _connect(server, data: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(data)
    return sock


def test_each_slow_or_oversized_client_gets_a_clear_answer_and_is_disconnected(start):
    server = start("serve", FLOWSTUDIO_HEADER_TIMEOUT=str(DEADLINE), FLOWSTUDIO_BODY_TIMEOUT=str(DEADLINE),
                   FLOWSTUDIO_SEND_TIMEOUT=str(DEADLINE))

    headers = _connect(server, HEAD + b"X-Slow: 1")
    answer, _ = _answer(headers, DEADLINE + GRACE)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
    assert _error(answer) == "the request's headers did not arrive within 1 s", answer

    body = _connect(server, SCRIPTS["body"][0])
    answer, _ = _answer(body, DEADLINE + GRACE)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert _error(answer) == "the request's body did not arrive within 1 s", answer

    idle = _connect(server)
    assert _answer(idle, DEADLINE + GRACE)[0] == b""  # it said nothing: nothing to answer

    kept = _connect(server, SCRIPTS["keepalive"][0])
    answer, took = _answer(kept, 2 + GRACE)  # gunicorn's keepalive: 2 s
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close" not in answer, answer

    huge = _connect(server, HEAD)
    try:
        for _ in range(10):
            huge.sendall(b"X-Big: " + b"b" * 8000 + b"\r\n")
    except OSError:
        pass  # the server refused and closed while we were still sending
    answer, _ = _answer(huge, GRACE)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer
    assert _error(answer) == "the request's headers are larger than 64 KiB", answer

    large = _connect(server, HEAD + b"Content-Length: 20000000\r\n\r\n")
    answer, took = _answer(large, GRACE)
    assert answer.startswith(b"HTTP/1.1 413 Content Too Large\r\n"), answer
    assert _error(answer) == "request bodies are limited to 10 MiB", answer
    assert took < DEADLINE, "refused at once, without waiting for the body"

    # Requests that take their time within the deadlines, in pieces, pipelined, chunked,
    # or with a long request line (a GET webhook with a long SMS), are answered as usual.
    long_line = requests.get(server.base + "/healthz?Body=" + "%F0%9F%99%82" * 600, timeout=GRACE)
    assert long_line.status_code == 200, long_line.text
    pieces = _connect(server, b"GET /healthz HTTP/1.1\r\n")
    time.sleep(DEADLINE / 3)
    pieces.sendall(b"Host: localhost\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    answer, _ = _answer(pieces, GRACE)
    assert answer.count(b"HTTP/1.1 200 OK\r\n") == 2, answer
    data = sms("SM" + "e" * 32, "+15555550160", "HELP")
    signature = SignedPhone(server.base, TOKEN, PUBLIC).validator.compute_signature(PUBLIC + HOOK, data)
    form = urlencode(data).encode()
    chunked = requests.post(server.base + HOOK, data=iter([form[:20], form[20:]]), timeout=GRACE,
                            headers={"X-Twilio-Signature": signature,
                                     "Content-Type": "application/x-www-form-urlencoded"})
    assert chunked.request.headers.get("Transfer-Encoding") == "chunked"
    assert messages(chunked) == [HELP]
    assert requests.get(server.base + "/healthz", timeout=GRACE).status_code == 200


@pytest.mark.parametrize("reads", ["never", "slowly"])
def test_a_client_that_does_not_take_its_answer_is_disconnected(start, reads):
    """Answers bigger than the socket buffers, asked for and never read, or read 4 KiB
    at a time: the thread writing them gives up after the send timeout instead of
    waiting for as long as the client likes."""
    server = start("serve", FLOWSTUDIO_SEND_TIMEOUT=str(DEADLINE))
    asset = max((REPO / "flowstudio/web/static/assets").glob("*.js"), key=lambda p: p.stat().st_size)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    asks = 20
    sock.sendall(f"GET /assets/{asset.name} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode() * asks)
    received = []
    deadline = time.monotonic() + 30  # the socket buffers grow for a while before sends block
    while "did not take its answer within 1 s" not in server.output():
        assert time.monotonic() < deadline, server.output()
        if reads == "slowly":  # 4 KiB every 0.1 s: never a second without progress
            sock.settimeout(0.1)
            try:
                received.append(sock.recv(4096))
            except socket.timeout:
                pass
        time.sleep(0.1)
    rest, _ = _answer(sock, GRACE)
    total = len(b"".join(received) + rest)
    assert 0 < total < asks * asset.stat().st_size  # what was sent, then the end
    assert requests.get(server.base + "/healthz", timeout=GRACE).status_code == 200


# ---------------------------------------------------------------- where a request ends

WHOLE = [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /w HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\nBody=hi",
    b"POST /w HTTP/1.1\r\nHost: x\r\ncontent-length:0\r\n\r\n",
    b"POST /w HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nBody=\r\n2\r\nhi\r\n0\r\n\r\n",
    b"POST /w HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n",
]


def _end(buf: bytearray):
    """Where the first request in `buf` ends, as the worker finds it; None until it has all arrived."""
    from flowstudio.gunicorn_worker import _chunked_end, _framing, _header_end

    head = _header_end(buf)
    if head < 0:
        return None
    framing = _framing(bytes(buf[:head]))
    if framing[0] == "length":
        return head + framing[1] if len(buf) >= head + framing[1] else None
    if framing[0] == "chunked":
        return _chunked_end(buf, head, 10**9)
    return head


@pytest.mark.parametrize("request_bytes", WHOLE)
def test_the_worker_finds_where_a_request_ends_however_its_bytes_are_split(request_bytes):
    for cut in range(len(request_bytes)):
        assert _end(bytearray(request_bytes[:cut])) is None, request_bytes[:cut]
    assert _end(bytearray(request_bytes)) == len(request_bytes)
    pipelined = bytearray(request_bytes + b"GET / HTTP/1.1\r\n\r\n")
    assert _end(pipelined) == len(request_bytes)


def test_invalid_framing_goes_at_once_to_gunicorns_parser():
    """Which answers 400 itself; the worker does not wait for a body it cannot measure."""
    from flowstudio.gunicorn_worker import _chunked_end, _framing

    assert _framing(b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") == ("now",)
    assert _framing(b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n") == ("now",)
    assert _framing(b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n") == ("now",)
    from flowstudio.gunicorn_worker import MALFORMED, TOO_LARGE

    for size_line in [b"zz", b"-1", b"0x10", b"+5", b"1_0", b" 5", b"5;ext=\x00", b"\xff", b"5\n"]:
        assert _chunked_end(bytearray(size_line + b"\r\nabcde\r\n0\r\n\r\n"), 0, 10**6) == MALFORMED, size_line
    assert _chunked_end(bytearray(b"3\r\nabcdef\r\n0\r\n\r\n"), 0, 10**6) == MALFORMED  # no CRLF after the data
    assert _chunked_end(bytearray(b"0\r\nX: 1\n\n"), 0, 10**6) == MALFORMED  # a bare LF in the trailers
    # gunicorn reads on until a CRLF: so does the worker (until the body deadline), not a thread
    assert _chunked_end(bytearray(b"5\nabcde\n0\n\n"), 0, 10**6) is None
    assert _chunked_end(bytearray(b"5" * 2000 + b"\r\n"), 0, 10**6) == TOO_LARGE
    assert _chunked_end(bytearray(b"ffffffff\r\n"), 0, 10**6) == TOO_LARGE  # refused before it is sent
    assert _chunked_end(bytearray(b"8\r\n12345678\r\n3\r\n"), 0, 10) == TOO_LARGE


def test_unfinished_bodies_together_cannot_take_all_the_memory(start):
    """Each body may be 10 MiB, and a worker takes 1,000 connections: without a total,
    slow senders of big bodies could make it hold 10 GB. Past FLOWSTUDIO_READ_BUFFER_MB
    (1 MB here) the connection whose bytes cross it gets 503; the others, and new
    requests once the bytes are gone, are answered as usual."""
    server = start("serve", FLOWSTUDIO_READ_BUFFER_MB="1", FLOWSTUDIO_BODY_TIMEOUT="20")
    part = b"x" * 400_000
    held = []
    try:
        for _ in range(2):   # 800 KB held: under the total
            held.append(_connect(server, b"POST /api/flows HTTP/1.1\r\nHost: localhost\r\n"
                                         b"Content-Type: application/json\r\nContent-Length: 900000\r\n\r\n" + part))
        time.sleep(0.5)
        assert requests.get(server.base + "/healthz", timeout=GRACE).status_code == 200
        third = _connect(server, b"POST /api/flows HTTP/1.1\r\nHost: localhost\r\n"
                                 b"Content-Type: application/json\r\nContent-Length: 900000\r\n\r\n" + part)
        held.append(third)
        answer, _ = _answer(third, GRACE)
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), answer[:200]
        assert b"too many unfinished requests" in answer
        assert requests.get(server.base + "/healthz", timeout=GRACE).status_code == 200
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.5)   # the closed connections' bytes are let go
    again = _connect(server, b"POST /api/flows HTTP/1.1\r\nHost: localhost\r\n"
                             b"Content-Type: application/json\r\nContent-Length: 900000\r\n\r\n" + part)
    try:
        again.sendall(b"x" * 500_000)
        answer, _ = _answer(again, GRACE)
        assert not answer.startswith(b"HTTP/1.1 503"), answer[:200]
    finally:
        again.close()
