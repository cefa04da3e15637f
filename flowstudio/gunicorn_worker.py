"""The gunicorn worker `flowstudio serve` runs: gunicorn's gthread worker, except that a
request is read whole in the worker's event loop before a pool thread gets it.

Why: gthread hands a connection to a pool thread as soon as it has a byte to read, and
that thread then blocks until the client has sent the headers and the body. Seventy
clients that announce `Content-Length: 500` and send 14 bytes held all 64 threads, and
nothing else was answered (issue 14). Here the event loop (one thread, non-blocking
sockets) collects the bytes of every connection, and a pool thread gets a connection
only once its whole request is in memory, so threads run turns and never wait on a
client. A client too slow or too large gets an answer saying so and is disconnected:

- `FLOWSTUDIO_HEADER_TIMEOUT` (seconds, default 10): from the connection's accept (or,
  on a kept-alive connection, its next request's first byte) to the end of the headers;
  then 408 (a connection that sent nothing is closed without an answer).
- `FLOWSTUDIO_BODY_TIMEOUT` (seconds, default 30): from the end of the headers to the
  end of the body; then 408.
- `FLOWSTUDIO_SEND_TIMEOUT` (seconds, default 30): to take an answer whole, from its
  first byte; then the connection is closed. A websocket, which lives on, is closed when its client takes
  nothing for that long (the socket's SO_SNDTIMEO). (So files are not sent with
  sendfile(), which would wait past both.)
- headers larger than 64 KiB: 431; a body larger than the app accepts (10 MiB): 413.
- `FLOWSTUDIO_READ_BUFFER_MB` (default 256): the bytes of unfinished requests the
  server's workers hold in all (`WorkerCounts`: each worker's count in memory the master
  shares with them). A thousand connections each sending most of a 10 MiB body would
  hold 10 GB; past this total, the connection whose bytes cross it gets 503 and is closed.

Connections are shared out evenly between the workers. The workers of a server all
wait on one listening socket, and whichever wakes first takes what is waiting: a burst
of 32 connections (a load generator's, a proxy's kept-alive pool) went 2-10 to one
worker and 22-30 to the other, and with keep-alive they stay there, so one worker ran
flat out while the other idled (PostgreSQL, 2 workers: 686-974 turns/s from round to
round, the workers at 0.03 and 0.97 of a core in the worst). Each worker now publishes
its open connections in `WorkerCounts`; a worker holding more than another live worker
leaves a new connection to it for ACCEPT_DEFER (5 ms) and takes it itself only if it
is still waiting then. The same bursts now split 16/16 (tests/test_worker_counts.py),
and the PostgreSQL rounds give 895-923 turns/s; `cd benchmarks && ../.venv/bin/python
run.py -k "against SQLite"` went from 0.99 to 1.16-1.19 times one SQLite process (three
runs), and `-k "server:"` (SQLite, 2 workers) from 765 to 1,151 turns/s, its workers
from 1.1 to 1.4 cores.

Kept-alive connections wait in the event loop as in gthread (gunicorn's `keepalive`).
Bodies are held in memory while they arrive (at most the size limit each, and at most
`worker_connections` connections). TLS, HTTP/2, uWSGI and the PROXY protocol are not
read ahead: with any of them configured the worker behaves exactly like gthread.
"""
from __future__ import annotations

import json
import math
import multiprocessing
import os
import selectors
import socket
import struct
import time
from functools import partial

from gunicorn import http
from gunicorn.http.body import CHUNK_EXT_RE
from gunicorn.workers.gthread import ThreadWorker

HEADER_LIMIT = 64 * 1024  # bytes of request line and headers together (nginx allows 32 KiB)
READ_SIZE = 64 * 1024     # per recv(): larger buffers are mmap()ed and unmapped at each call
# Seconds a worker holding more open connections than another worker of the server
# leaves a new connection to that one before taking it itself (see the module docstring).
ACCEPT_DEFER = 0.005
_REASONS = {408: "Request Timeout", 413: "Content Too Large", 431: "Request Header Fields Too Large",
            503: "Service Unavailable"}


def _seconds(name: str, default: float, unit: str = "seconds") -> float:
    """A positive number (of seconds, or `unit`) from the environment variable `name`."""
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive number of {unit}, not {text!r}")
    return value


def read_buffer_bytes() -> int:
    """The bytes of unfinished requests one worker may hold in all, from
    `FLOWSTUDIO_READ_BUFFER_MB` (ValueError, naming it, when not a positive number)."""
    return int(_seconds("FLOWSTUDIO_READ_BUFFER_MB", 256.0, "megabytes") * 1024 * 1024)


def deadlines() -> tuple[float, float, float]:
    """The header, body and send timeouts in seconds, from the environment (ValueError,
    naming the variable, for a value that is not a positive number)."""
    return (_seconds("FLOWSTUDIO_HEADER_TIMEOUT", 10.0), _seconds("FLOWSTUDIO_BODY_TIMEOUT", 30.0),
            _seconds("FLOWSTUDIO_SEND_TIMEOUT", 30.0))


def _header_end(buf: bytearray) -> int:
    """Where the headers end (the index after their blank line), or -1 if not yet.
    Bare LF lines count too: gunicorn's parser then decides whether they are valid."""
    ends = [i + n for i, n in ((buf.find(b"\r\n\r\n"), 4), (buf.find(b"\n\n"), 2)) if i >= 0]
    return min(ends) if ends else -1


def _framing(head: bytes) -> tuple:
    """How the body after these headers ends: ("length", n), ("chunked",), or ("now",)
    when there is no body or the framing is invalid (gunicorn's parser answers 400)."""
    lengths, codings = [], []
    for line in head.split(b"\n")[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            continue
        name = name.strip().lower()
        if name == b"content-length":
            lengths.append(value.strip())
        elif name == b"transfer-encoding":
            codings += [c.strip().lower() for c in value.split(b",")]
    if codings:
        return ("chunked",) if codings[-1] == b"chunked" and not lengths else ("now",)
    if len(set(lengths)) == 1 and lengths[0].isdigit():
        return ("length", int(lengths[0]))
    return ("now",)


MALFORMED, TOO_LARGE = -1, -2  # what _chunked_end finds besides an end
_HEXDIGITS = frozenset(b"0123456789abcdefABCDEF")


def _chunked_end(buf: bytearray, start: int, limit: int) -> int | None:
    """The index after the end of a chunked body that starts at `start` (its last chunk
    and trailers); None if it has not all arrived; TOO_LARGE once its chunks announce
    more than `limit` bytes; MALFORMED for framing that gunicorn's parser (http/body.py,
    whose rules this follows) refuses from the bytes already here, without reading
    more: a thread must never get a body that makes it wait on the client."""
    pos, total = start, 0
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size, semicolon, extension = bytes(buf[pos:eol]).partition(b";")
        if semicolon:
            if b"\r" in extension:
                return MALFORMED
            size = size.rstrip(b" \t")
        if not size or not _HEXDIGITS.issuperset(size):
            return MALFORMED
        if semicolon and not CHUNK_EXT_RE.fullmatch(b";" + extension):
            return MALFORMED
        total += int(size, 16)
        if total > limit:
            return TOO_LARGE
        pos = eol + 2
        if int(size, 16) == 0:  # the last chunk: trailers (none, usually), then a blank line
            if buf.startswith(b"\r\n", pos):
                return pos + 2
            end = buf.find(b"\r\n\r\n", pos)
            if end >= 0:
                return end + 4
            rest = buf[pos:]
            return MALFORMED if rest.count(b"\n") != rest.count(b"\r\n") else None
        pos += int(size, 16)
        if len(buf) < pos + 2:
            return None
        if buf[pos:pos + 2] != b"\r\n":
            return MALFORMED
        pos += 2


class _Reading:
    """A connection whose request is arriving: its bytes so far and its deadline."""

    __slots__ = ("conn", "buf", "deadline", "body_start", "body_end", "what", "registered")

    def __init__(self, conn, data: bytes, deadline: float):
        self.conn, self.buf, self.deadline = conn, bytearray(data), deadline
        self.body_start = None  # index after the headers, once they have arrived
        self.body_end = None    # index after the body, when its length is known
        self.what = "headers"
        self.registered = False  # with the poller


STOPPING = 2**62   # the connections a stopping worker shows, so that none are left to it


class WorkerCounts:
    """What each worker of this server holds, in memory shared by the master with the
    workers it forks: one slot per worker (its pid, the bytes of unfinished requests it
    holds, and its open connections). A worker writes only its own slot. The master
    gives a new worker a free slot (never used, or its worker dead), so a killed
    worker's counts stand until its replacement takes the slot (gunicorn starts it
    within a second)."""

    SLOTS = 128   # more than `flowstudio serve --workers` allows (64)

    def __init__(self):
        self.pids = multiprocessing.RawArray("q", self.SLOTS)
        self.held = multiprocessing.RawArray("q", self.SLOTS)
        self.conns = multiprocessing.RawArray("q", self.SLOTS)
        self.used = multiprocessing.RawValue("q", 0)   # slots ever given: the sums stop there

    def claim(self) -> int:
        """A free slot for a worker about to be forked (called in the master)."""
        for slot in range(self.SLOTS):
            pid = self.pids[slot]
            if pid == 0 or (pid > 0 and not _alive(pid)):
                # reserved until the worker writes its pid
                self.pids[slot], self.held[slot], self.conns[slot] = -1, 0, 0
                self.used.value = max(self.used.value, slot + 1)
                return slot
        raise RuntimeError(f"more than {self.SLOTS} workers")

    def total(self) -> int:
        """The bytes every worker holds, together (asked at every read: summing all 128
        slots took 3.4 % of a bare Flask request's time, py-spy --gil; the slots in use,
        0.2 %)."""
        held = self.held
        return sum(held[:self.used.value])

    def fewest_conns_elsewhere(self, slot: int) -> int | None:
        """The fewest open connections another live worker of this server has (None
        when there is no other)."""
        used = self.used.value
        pids, conns = self.pids[:used], self.conns[:used]
        for count, pid in sorted((conns[i], pids[i]) for i in range(used) if i != slot and pids[i] > 0):
            if count >= STOPPING:
                return None
            if _alive(pid):   # a worker that died keeps its slot until a new one takes it
                return count
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_worker_counts: WorkerCounts | None = None


def worker_counts() -> WorkerCounts:
    """The server's WorkerCounts: made by the master at its first worker, before any fork."""
    global _worker_counts
    if _worker_counts is None:
        _worker_counts = WorkerCounts()
    return _worker_counts


class DeadlineWorker(ThreadWorker):
    """gthread, with each request read whole in the event loop under deadlines (see
    the module's docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .web.app import MAX_BODY

        self.header_timeout, self.body_timeout, self.send_timeout = deadlines()
        self.max_body = MAX_BODY
        self.max_buffered = read_buffer_bytes()
        self.buffered = 0         # bytes held in self.reading's buffers
        self.shared = worker_counts()   # gunicorn makes workers in the master, then forks
        self.slot = self.shared.claim()
        cfg = self.cfg
        self.read_ahead = not (cfg.is_ssl or getattr(cfg, "protocol", "http") != "http"
                               or "h2" in (getattr(cfg, "http_protocols", None) or ())
                               or getattr(cfg, "proxy_protocol", "off") not in ("off", False, None))
        if self.read_ahead:
            # Python's socket.sendfile waits, without end, whenever the send timeout
            # strikes: answers go out through sendall, which gives up.
            cfg.set("sendfile", False)
        self.reading: dict = {}   # connection -> _Reading
        self.ready: set = set()   # connections whose request is whole, on their way to a thread
        self.next_sweep = 0.0     # when murder_pending next looks for missed deadlines
        self.defer_until = 0.0    # until then, new connections are left to the other workers
        self.take_next = False    # the deferral is over: a connection still waiting is ours

    def enqueue_req(self, conn):
        """gthread calls this for a new connection, a kept-alive one that turned
        readable, and one with bytes of its next request already read: each goes to
        the event loop's reading first, and to a pool thread once its request is whole."""
        if not self.read_ahead or conn in self.ready:
            self.ready.discard(conn)
            super().enqueue_req(conn)
            return
        if conn.parser is None and not conn.initialized:  # just accepted
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(self.send_timeout))
            leftover = b""
        else:
            leftover = conn.parser.unreader.take_buffered()
        if conn.sock.gettimeout() != 0.0:  # a kept-alive connection is non-blocking already
            conn.sock.setblocking(False)
        reading = _Reading(conn, leftover, time.monotonic() + self.header_timeout)
        self.reading[conn] = reading
        self._held(len(leftover))
        if leftover and self._advance(reading):
            return
        # The request is often there already (a kept-alive connection turned readable):
        # read it before asking the poller.
        if self._on_readable(reading, conn.sock):
            return
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, reading))
        reading.registered = True

    def init_process(self):
        """In the forked worker: its pid in its slot of the shared counts, then gthread's."""
        self.shared.pids[self.slot] = os.getpid()
        super().init_process()

    def accept(self, listener):
        """gthread's, except that a worker holding more open connections than another
        worker of this server leaves a new connection to that one for ACCEPT_DEFER
        seconds, and takes it only if it is still waiting then (see the module
        docstring)."""
        if not self.take_next:
            fewest = self.shared.fewest_conns_elsewhere(self.slot)
            if fewest is not None and self.nr_conns > fewest:
                self.defer_until = time.monotonic() + ACCEPT_DEFER
                self.set_accept_enabled(False)
                return
        super().accept(listener)
        self.shared.conns[self.slot] = self.nr_conns

    def set_accept_enabled(self, enabled):
        """gthread's, kept off while a deferral lasts; a worker that is stopping tells
        the others not to leave it connections."""
        if enabled and time.monotonic() < self.defer_until:
            return
        super().set_accept_enabled(enabled)
        if not self.alive:
            self.shared.conns[self.slot] = STOPPING

    def wait_for_and_dispatch_events(self, timeout):
        """gthread's, publishing this worker's open connections first; during a
        deferral it waits no longer than the deferral, and the round after it takes a
        connection still waiting (only that round: a later one is weighed again)."""
        if self.alive:
            self.shared.conns[self.slot] = self.nr_conns
        if not self.defer_until:
            return super().wait_for_and_dispatch_events(timeout)
        left = self.defer_until - time.monotonic()
        if left > 0:
            return super().wait_for_and_dispatch_events(min(timeout, left))
        self.defer_until = 0.0
        self.set_accept_enabled(self.alive and self.nr_conns < self.worker_connections)
        self.take_next = True
        try:
            return super().wait_for_and_dispatch_events(0)
        finally:
            self.take_next = False

    def _held(self, change: int) -> None:
        self.buffered += change
        self.shared.held[self.slot] = self.buffered

    def _on_readable(self, reading: _Reading, sock) -> bool:
        """Read what has arrived; returns whether the connection left the reading stage."""
        try:
            data = sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            data = b""
        if not data:  # the client went away
            self._drop(reading)
            return True
        reading.buf += data
        self._held(len(data))
        if self.shared.total() > self.max_buffered:
            return self._refuse(reading, 503, "the server holds too many unfinished requests at once; try again soon")
        return self._advance(reading)

    def _advance(self, r: _Reading) -> bool:
        """Look at what has arrived; hand the request to a thread when it is whole, or
        refuse it. Returns whether the connection left the reading stage."""
        if r.body_start is None:
            end = _header_end(r.buf)
            if end < 0 and r.buf.count(b"\n") != r.buf.count(b"\r\n"):
                end = len(r.buf)  # a bare LF: gunicorn's parser refuses it at once (400)
            if end < 0 or end > HEADER_LIMIT:
                if len(r.buf) > HEADER_LIMIT:
                    return self._refuse(r, 431, f"the request's headers are larger than {HEADER_LIMIT // 1024} KiB")
                return False
            r.body_start = end
            framing = _framing(bytes(r.buf[:end]))
            if framing[0] == "length":
                if framing[1] > self.max_body:
                    return self._refuse(r, 413, f"request bodies are limited to {self.max_body // 1024 // 1024} MiB")
                r.body_end = end + framing[1]
            elif framing[0] == "now":
                r.body_end = end
            r.what = "body"
            r.deadline = time.monotonic() + self.body_timeout
            if r.body_end != end and b"100-continue" in bytes(r.buf[:end]).lower():
                _send_quietly(r.conn.sock, b"HTTP/1.1 100 Continue\r\n\r\n")
        if r.body_end is None:  # chunked
            found = _chunked_end(r.buf, r.body_start, self.max_body)
            if found == TOO_LARGE:
                return self._refuse(r, 413, f"request bodies are limited to {self.max_body // 1024 // 1024} MiB")
            if found is None:
                return False
            r.body_end = r.body_start if found == MALFORMED else found  # gunicorn's parser answers 400
        if len(r.buf) < r.body_end:
            return False
        self._hand_over(r)
        return True

    def _hand_over(self, r: _Reading) -> None:
        """The request is whole: a pool thread parses and runs it from memory."""
        conn = self._leave(r)
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(bytes(r.buf))
        conn.data_ready = True
        self.ready.add(conn)
        self.enqueue_req(conn)

    def _leave(self, r: _Reading):
        del self.reading[r.conn]
        self._held(-len(r.buf))
        if r.registered:
            self.poller.unregister(r.conn.sock)
        return r.conn

    def _drop(self, r: _Reading) -> None:
        self._leave(r)
        self.nr_conns -= 1
        r.conn.close()

    def _refuse(self, r: _Reading, status: int, why: str) -> bool:
        """Answer `status` with `why` (if the client sent anything) and disconnect. The
        body is the API's JSON error, so the editor shows `why` (a list over 10 MiB)."""
        if r.buf.strip():
            body = json.dumps({"error": {"status": status, "message": why}}).encode()
            _send_quietly(r.conn.sock, b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                          % (status, _REASONS[status].encode(), len(body), body))
            self.log.info("%s %s: %s", r.conn.client[0] if r.conn.client else "-", status, why)
        self._drop(r)
        return True

    def handle_request(self, req, conn):
        """gthread's, with the answer's sends under one deadline (a websocket, which
        lives on, has the socket's SO_SNDTIMEO only), and a clear log line when the
        client did not take its answer in time."""
        if not self.read_ahead:
            return super().handle_request(req, conn)
        websocket = any(name == "UPGRADE" and value.strip().lower() == "websocket" for name, value in req.headers)
        sock = conn.sock
        if not websocket:
            conn.sock = _SendDeadline(sock, self.send_timeout)
        try:
            return super().handle_request(req, conn)
        except (BlockingIOError, TimeoutError):  # BlockingIOError: SO_SNDTIMEO struck
            self.log.info("%s: %s %s: the client did not take its answer within %g s: disconnected",
                          conn.client[0] if conn.client else "-", req.method, req.path, self.send_timeout)
            return False
        finally:
            if conn.sock is not sock:
                conn.sock.done()
                conn.sock = sock

    def murder_pending(self):
        """gthread's clean-up round (each second at most): also refuse the connections
        whose headers or body missed their deadline."""
        super().murder_pending()
        now = time.monotonic()
        if now < self.next_sweep:  # gthread calls this after every event: under load, thousands a second
            return
        self.next_sweep = now + 0.25
        for r in [r for r in self.reading.values() if r.deadline <= now]:
            limit = self.header_timeout if r.what == "headers" else self.body_timeout
            self._refuse(r, 408, f"the request's {r.what} did not arrive within {limit:g} s")


class _SendDeadline:
    """The socket an answer is written to, as gunicorn sees it: its sends, all together,
    end within `seconds` of the first (TimeoutError after), so a client reading a few
    bytes at a time does not hold a thread; everything else is the socket's own."""

    def __init__(self, sock, seconds: float):
        self._sock, self._seconds, self._deadline = sock, seconds, None

    def sendall(self, data) -> None:
        """Send `data` whole before the deadline."""
        if self._deadline is None:  # the app's own time (a slow HTTP widget) does not count
            self._deadline = time.monotonic() + self._seconds
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("send deadline passed")
        self._sock.settimeout(left)  # sendall's whole duration (Python 3.5+); blocking again in done()
        self._sock.sendall(data)

    def done(self) -> None:
        """The answer is written (or abandoned): the socket blocks again, with no timeout."""
        if self._deadline is not None:
            self._sock.settimeout(None)

    def send(self, data) -> int:
        """The socket's own (gunicorn sends its "100 Continue" with it, before the app
        runs): no deadline starts."""
        return self._sock.send(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


def _timeval(seconds: float) -> bytes:
    whole = int(seconds)
    return struct.pack("ll", whole, int((seconds - whole) * 1e6))


def _send_quietly(sock, data: bytes) -> None:
    """Send what the socket takes now, never waiting (the client may not read)."""
    try:
        sock.send(data)
    except OSError:
        pass
