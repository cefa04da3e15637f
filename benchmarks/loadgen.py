"""A load generator for the webhook benchmark: inbound SMS webhooks from many contacts.

It runs as its own process (so its work does not share the server's interpreter) and
prints one JSON object. It keeps `--connections` keep-alive HTTP/1.1 connections open
and drives them all from ONE thread with `selectors`: no thread hand-offs or GIL waits
between a request falling due and its bytes leaving, so the generator adds little to
the latencies it measures (`late_ms` says how much it did). Each request is the form
Twilio posts for an inbound SMS (20 fields), from one of `--contacts` contacts
(`+1202000xxxx`), each with a new MessageSid.

Modes:
- `max`: closed loop for `--duration` seconds: each connection sends its next request
  as soon as the previous answer arrived. Contacts are split between connections, so
  a contact never has two messages in flight (like a person). Gives requests/s: the
  answers completed inside the window / the window.
- `rate`: open loop at `--rate` requests/s for `--duration` seconds: request i is due at
  start + i / rate whatever happened to earlier ones, and its latency is measured from
  that due time, not from when it could be sent (no coordinated omission: a stalled
  server cannot hide its queue). A due request goes out on the connection idle the
  longest; when all are busy it waits (its wait counts). Request i is for contact
  i mod `--contacts`.
- `once`: one message from every contact (to start their conversations).

Every answer must be HTTP 200 and contain `--expect` (when given); anything else
(status, missing text, connection error, `--timeout`) counts as an error, with a few
samples in the output. A request whose idle keep-alive connection the server had
closed is sent again once on a new connection (`reconnects`).

`--procs P` runs P copies of itself (connections, contacts and rate split between them)
and merges their results, for when one process cannot produce the load: `cpu_share`
(the generator's CPU seconds / wall seconds) near 1.0 per process means the generator,
not the server, is the limit.

Examples:
    python benchmarks/loadgen.py http://127.0.0.1:5000/webhooks/demo --mode max --duration 5
    python benchmarks/loadgen.py http://127.0.0.1:5000/webhooks/demo --mode rate --rate 200 --duration 5
"""
from __future__ import annotations

import argparse
import collections
import itertools
import json
import math
import os
import resource
import selectors
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode, urlsplit

ACCOUNT = "AC" + "0" * 32
MAX_SAMPLES = 5
MAX_HEAD = 64 * 1024


def contact(c: int) -> str:
    return f"+1202{c:07d}" if c < 10_000_000 else f"+1{c:010d}"


def sms_form(number: str, sender: str, sid: str, body: str) -> bytes:
    """The form Twilio posts for an inbound SMS (the fields it sends for a US number)."""
    return urlencode({
        "ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "SAN FRANCISCO",
        "FromZip": "20001", "SmsSid": sid, "FromState": "DC", "SmsStatus": "received", "FromCity": "WASHINGTON",
        "Body": body, "FromCountry": "US", "To": number, "ToZip": "94105", "NumSegments": "1",
        "MessageSid": sid, "AccountSid": ACCOUNT, "From": sender, "ApiVersion": "2010-04-01",
        "MessagingServiceSid": "MG" + "0" * 32,
    }).encode()


class Conn:
    """One keep-alive connection and the request in flight on it (if any)."""

    def __init__(self, number: int, address: tuple[str, int]):
        self.number, self.address = number, address
        self.sock: socket.socket | None = None
        self.used = False          # answered a request since it was opened
        self.request: bytes | None = None
        self.due = self.sent = 0.0
        self.buf = bytearray()
        self.retried = False

    def open(self) -> None:
        self.sock = socket.create_connection(self.address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.used = False

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def parse_response(buf: bytearray) -> tuple[int, bytes, bool] | None:
    """(status, body, server closes) when `buf` holds a whole response, else None.
    Needs Content-Length (what gunicorn sends for a Flask answer)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > MAX_HEAD:
            raise ValueError("response head too large")
        return None
    head = bytes(buf[:end]).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
    if "content-length" not in headers:
        raise ValueError(f"response without Content-Length: {head[0]}")
    length = int(headers["content-length"])
    if len(buf) < end + 4 + length:
        return None
    body = bytes(buf[end + 4:end + 4 + length])
    closes = headers.get("connection", "").lower() == "close" or head[0].startswith("HTTP/1.0")
    return status, body, closes


class Run:
    """This process's share of the load, driven by one selector loop."""

    def __init__(self, args, part: int):
        url = urlsplit(args.url)
        if url.scheme != "http" or not url.hostname:
            raise SystemExit(f"expected an http:// URL, not {args.url!r}")
        self.args, self.part = args, part
        self.path = url.path + (f"?{url.query}" if url.query else "")
        self.host = url.netloc
        numbers = [k for k in range(args.connections) if k % args.procs == part]  # global connection numbers
        self.conns = [Conn(k, (url.hostname, url.port or 80)) for k in numbers]
        self.expect = args.expect.encode() if args.expect else None
        self.tag = os.urandom(4).hex() + f"{part:02x}"  # MessageSids never repeat across runs
        self.sids = itertools.count()
        self.latencies: list[float] = []
        self.late: list[float] = []
        self.errors, self.samples, self.reconnects = 0, [], 0
        self.sel = selectors.DefaultSelector()
        self.clock = time.perf_counter

    # -------------------------------------------------------------- requests

    def request(self, who: int) -> bytes:
        sid = f"SM{self.tag}{next(self.sids):022x}"
        body = sms_form(self.args.number, contact(who), sid, str(10 + who % 90))
        return (f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUser-Agent: TwilioProxy/1.1\r\n"
                f"Accept: */*\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    def connect(self, conn: Conn) -> None:
        if conn.sock is not None:
            self.sel.unregister(conn.sock)
            conn.close()
        conn.open()
        self.sel.register(conn.sock, selectors.EVENT_READ, conn)

    def send(self, conn: Conn, data: bytes, due: float) -> bool:
        conn.request, conn.due, conn.buf, conn.retried = data, due, bytearray(), False
        conn.sent = self.clock()
        try:
            if conn.sock is None:
                self.connect(conn)
            conn.sock.sendall(data)
            return True
        except OSError as exc:
            return self.retry(conn, f"{type(exc).__name__}: {exc}")

    def retry(self, conn: Conn, problem: str) -> bool:
        """The connection failed with a request on it: send it again once on a new
        connection when the server had closed an idle keep-alive connection."""
        if conn.used and not conn.retried and not conn.buf:
            self.reconnects += 1
            try:
                self.connect(conn)
                conn.sock.sendall(conn.request)
                conn.retried = True
                return True
            except OSError as exc:
                problem = f"{type(exc).__name__}: {exc}"
        self.fail(conn, problem)
        return False

    def fail(self, conn: Conn, problem: str) -> None:
        self.errors += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(problem)
        conn.request = None
        if conn.sock is not None:
            self.sel.unregister(conn.sock)
            conn.close()

    def readable(self, conn: Conn) -> tuple[float, int, bytes] | None:
        """Read what arrived; (time, status, body) when an answer is complete."""
        try:
            chunk = conn.sock.recv(65536)
        except OSError as exc:
            chunk, problem = b"", f"{type(exc).__name__}: {exc}"
        else:
            problem = "the server closed the connection"
        if not chunk:
            if conn.request is None:  # an idle connection closed by the server: reopen when needed
                self.sel.unregister(conn.sock)
                conn.close()
            else:
                self.retry(conn, problem)
            return None
        if conn.request is None:
            self.fail(conn, f"unexpected bytes on an idle connection: {chunk[:100]!r}")
            return None
        conn.buf += chunk
        try:
            parsed = parse_response(conn.buf)
        except ValueError as exc:
            self.fail(conn, str(exc))
            return None
        if parsed is None:
            return None
        done = self.clock()
        status, body, closes = parsed
        conn.request, conn.used = None, True
        if closes:
            self.sel.unregister(conn.sock)
            conn.close()
        if status != 200:
            self.fail(conn, f"HTTP {status}: {body[:200]!r}")
            return None
        if self.expect is not None and self.expect not in body:
            self.fail(conn, f"answer without {self.expect!r}: {body[:200]!r}")
            return None
        return done, status, body

    def expire(self, now: float) -> None:
        for conn in self.conns:
            if conn.request is not None and now - conn.sent > self.args.timeout:
                self.fail(conn, f"no answer within {self.args.timeout:g} s")

    # -------------------------------------------------------------- modes

    def start(self) -> float:
        try:
            for conn in self.conns:
                self.connect(conn)
        except OSError as exc:
            raise SystemExit(f"cannot connect to {self.args.url}: {exc}") from None
        if self.args.start_at:  # every part starts at the same wall-clock moment
            time.sleep(max(0.0, self.args.start_at - time.time()))
        return self.clock() + 0.01

    def closed_loop(self, once: bool) -> None:
        """`max` (until the window ends) and `once` (each contact once)."""
        args = self.args
        start = self.start()
        end = start + args.duration
        hard_end = end + args.timeout + 5
        mine = {c.number: [w for w in range(args.contacts) if w % args.connections == c.number] for c in self.conns}
        queues = {k: iter(v) if once else itertools.cycle(v) for k, v in mine.items() if v}
        time.sleep(max(0.0, start - self.clock()))

        def next_request(conn: Conn) -> None:
            q = queues.get(conn.number)
            now = self.clock()
            if q is None or (not once and now >= end):
                return
            who = next(q, None)
            if who is not None:
                self.send(conn, self.request(who), now)

        for conn in self.conns:
            next_request(conn)
        while any(c.request is not None for c in self.conns) or (not once and self.clock() < end):
            now = self.clock()
            if now > hard_end:
                self.expire(float("inf"))
                break
            for key, _ in self.sel.select(0.1):
                conn = key.data
                answer = self.readable(conn)
                if answer is not None and (once or answer[0] <= end):
                    self.latencies.append(answer[0] - conn.sent)
                if conn.request is None:
                    next_request(conn)
            self.expire(self.clock())
            for conn in self.conns:  # after an error, carry on with the next request
                if conn.request is None and conn.sock is None:
                    next_request(conn)

    def open_loop(self) -> None:
        """`rate`: request g (of this part: g = i * procs + part) is due at start + g / rate."""
        args = self.args
        total = math.ceil(args.rate * args.duration)
        mine = range(self.part, total, args.procs)
        idle = collections.deque(self.conns)  # longest idle first, so every connection stays warm
        start = self.start()
        hard_end = start + args.duration + args.timeout + 5
        k = 0
        while k < len(mine) or len(idle) < len(self.conns):
            now = self.clock()
            if now > hard_end:
                self.expire(float("inf"))
                break
            while k < len(mine) and idle and start + mine[k] / args.rate <= now:
                g = mine[k]
                due = start + g / args.rate
                conn = idle.popleft()
                if self.send(conn, self.request(args.first_contact + g % args.contacts), due):
                    self.late.append(conn.sent - due)
                else:
                    idle.append(conn)
                k += 1
                now = self.clock()
            if k < len(mine) and idle:
                wait = max(0.0, start + mine[k] / args.rate - self.clock())
            else:
                wait = 0.1
            for key, _ in self.sel.select(wait):
                conn = key.data
                busy = conn.request is not None
                answer = self.readable(conn)
                if answer is not None:
                    self.latencies.append(answer[0] - conn.due)
                if busy and conn.request is None:
                    idle.append(conn)
            before = [c for c in self.conns if c.request is not None]
            self.expire(self.clock())
            idle.extend(c for c in before if c.request is None)

    def run(self) -> dict:
        usage0, wall0 = resource.getrusage(resource.RUSAGE_SELF), self.clock()
        if self.conns:
            if self.args.mode == "rate":
                self.open_loop()
            else:
                self.closed_loop(once=self.args.mode == "once")
        usage1, wall1 = resource.getrusage(resource.RUSAGE_SELF), self.clock()
        for conn in self.conns:
            conn.close()
        cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
        return {"latencies": self.latencies, "late": self.late, "errors": self.errors, "samples": self.samples,
                "cpu_s": cpu, "wall_s": wall1 - wall0, "reconnects": self.reconnects}


def percentiles(values: list[float]) -> dict:
    """p50/p90/p99/max/mean in milliseconds (nearest rank)."""
    if not values:
        return {}
    s = sorted(values)

    def rank(p: float) -> float:
        return s[max(0, math.ceil(p / 100 * len(s)) - 1)] * 1000

    return {"p50": rank(50), "p90": rank(90), "p99": rank(99), "max": s[-1] * 1000, "mean": sum(s) / len(s) * 1000}


def summary(args, parts: list[dict]) -> dict:
    latencies = [x for p in parts for x in p["latencies"]]
    late = [x for p in parts for x in p["late"]]
    cpu, wall = sum(p["cpu_s"] for p in parts), max(p["wall_s"] for p in parts)
    out = {"mode": args.mode, "url": args.url, "connections": args.connections, "procs": args.procs,
           "contacts": args.contacts, "duration_s": args.duration, "requests": len(latencies),
           "errors": sum(p["errors"] for p in parts),
           "error_samples": [s for p in parts for s in p["samples"]][:MAX_SAMPLES],
           "rps": len(latencies) / args.duration if args.mode != "once" else None,
           "latency_ms": percentiles(latencies), "cpu_s": round(cpu, 3),
           "cpu_share": round(cpu / wall, 3) if wall else None,
           "reconnects": sum(p["reconnects"] for p in parts)}
    if args.mode == "rate":
        out["rate"] = args.rate
        out["late_ms"] = percentiles(late)  # how late the generator sent: its own share of the latency
    if args.raw:
        out["latencies_ms"] = [round(x * 1000, 3) for x in latencies]
    return out


def parse(argv: list[str] | None = None):
    p = argparse.ArgumentParser(description="Inbound-SMS webhook load generator (prints JSON).")
    p.add_argument("url", help="http://127.0.0.1:PORT/webhooks/<flow-id>")
    p.add_argument("--mode", choices=["max", "rate", "once"], default="max")
    p.add_argument("--duration", type=float, default=5.0, help="seconds (max, rate)")
    p.add_argument("--rate", type=float, default=100.0, help="requests/s (rate mode)")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--contacts", type=int, default=500)
    p.add_argument("--first-contact", type=int, default=0,
                   help="contact numbers start here (rate mode: fresh contacts for every run)")
    p.add_argument("--number", default="+15555550100", help="the flow's number (To)")
    p.add_argument("--expect", default="", help="text every answer must contain")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds an answer may take")
    p.add_argument("--procs", type=int, default=1, help="processes to spread the connections over")
    p.add_argument("--raw", action="store_true", help="also print every latency (latencies_ms), to pool runs")
    p.add_argument("--part", type=int, default=None, help=argparse.SUPPRESS)  # internal: one of --procs
    p.add_argument("--start-at", type=float, default=None, help=argparse.SUPPRESS)  # internal: time.time()
    args = p.parse_args(argv)
    if not 1 <= args.procs <= args.connections <= 1000:
        p.error("need 1 <= --procs <= --connections <= 1000")
    if not 0 < args.duration <= 600 or not 0 < args.rate <= 100_000 or not 1 <= args.contacts <= 10_000_000:
        p.error("--duration must be in (0, 600], --rate in (0, 100000], --contacts in [1, 10000000]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.part is not None:  # a child: raw results for the parent to merge
        print(json.dumps(Run(args, args.part).run()))
        return 0
    if args.procs == 1:
        parts = [Run(args, 0).run()]
    else:
        argv = list(argv if argv is not None else sys.argv[1:])
        start_at = time.time() + 1.0  # after every child has started and connected
        children = [subprocess.Popen([sys.executable, os.path.abspath(__file__), *argv, "--part", str(p),
                                      "--start-at", repr(start_at)], stdout=subprocess.PIPE, text=True)
                    for p in range(args.procs)]
        try:
            outputs = [c.communicate(timeout=args.duration + args.timeout + 30)[0] for c in children]
        finally:
            for c in children:
                if c.poll() is None:
                    c.kill()
                    c.wait()
        if any(c.returncode for c in children):
            raise SystemExit("a load generator process failed")
        parts = [json.loads(o) for o in outputs]
    print(json.dumps(summary(args, parts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
