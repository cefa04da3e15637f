"""A FlowService in its own process, driven by tests/test_durability.py.

    python tests/procs/worker.py URL FLOWS_DIR [options] send SID=BODY ...
    python tests/procs/worker.py URL FLOWS_DIR [options] fire
    python tests/procs/worker.py URL FLOWS_DIR [options] serve

Options: --flow ID, --contact NUMBER, --now ISO (the FakeClock's time), --limit N (`fire`
in rounds of N timers until one finds nothing),
--kill-at {http,commit} with --kill-on-sid SID and --marker PATH (die with SIGKILL in the
middle of that message's turn), --wait (print a "ready" line, then start on a stdin line).

`send` processes the messages in order, `fire` calls `fire_due(now)` once, `serve`
reads JSON commands from stdin, one a line, until EOF or {"op": "quit"}:
{"op": "send", "sid": ..., "body": ...}, {"op": "fire", "now": ISO}.

Output: one JSON line per processed event on stdout ({"event": "turn"} or {"event":
"fired"}), one per message the channel was asked to send ({"event": "channel"}, printed
when the send happens, before the turn is saved), and a "ready" line first. Exit 0.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

import psycopg
from sqlalchemy import event

from flowstudio.adapters.store import Store
from flowstudio.conversation import START, FakeClock, MockHttp
from flowstudio.repository import FlowRepository
from flowstudio.service import FlowService, LocalChannel

HTTP_ANSWERS = {"lookup": {"body": {"status": "shipped"}}}


def emit(**data) -> None:
    """One JSON line on stdout, flushed at once (the parent reads it while we run)."""
    sys.stdout.write(json.dumps(data, default=str) + "\n")
    sys.stdout.flush()


class Killer:
    """Dies with SIGKILL at the chosen point of the chosen message's turn."""

    def __init__(self, where: str | None, sid: str | None, marker: str | None):
        self.where, self.sid, self.marker = where, sid, marker
        self.current_sid: str | None = None

    def armed(self, where: str) -> bool:
        return self.where == where and self.current_sid is not None and self.current_sid == self.sid

    def die(self, what: str) -> None:
        # The marker proves to the parent that the process got this far (and no further).
        Path(self.marker).write_text(json.dumps({"pid": os.getpid(), "sid": self.current_sid, "at": what}))
        os.kill(os.getpid(), signal.SIGKILL)


class RecordingChannel(LocalChannel):
    """LocalChannel that reports every send as it happens (before the turn commits)."""

    def send_message(self, message, *args, **kwargs):
        emit(event="channel", to=message.to, body=message.body)
        return super().send_message(message, *args, **kwargs)


def summary(result) -> dict:
    return {"execution_id": result.execution_id, "status": result.status, "duplicate": result.duplicate,
            "replies": [m.body for m in result.replies],
            "sent": [s["effect"].get("body") for s in result.sent],
            "waiting": (result.waiting or {}).get("widget"), "note": result.note}


def build(args, killer: Killer) -> FlowService:
    store = Store(args.url)
    clock = FakeClock(datetime.fromisoformat(args.now) if args.now else START)
    mock = MockHttp(HTTP_ANSWERS)

    def http(call):
        if killer.armed("http"):
            killer.die(f"http {call.widget} {call.url}")
        return mock(call)

    @event.listens_for(store.engine, "after_cursor_execute")
    def _in_transaction(conn, cursor, statement, parameters, context, executemany):
        # After the execution row was updated and the turn (steps, log) inserted, before COMMIT.
        if killer.armed("commit") and statement.lstrip().upper().startswith("INSERT INTO TURNS"):
            killer.die("inside save_turn, before commit")

    @event.listens_for(store.engine, "connect")
    def _trace(dbapi_conn, _record):
        # On SQLite, save_turn runs its statements on the sqlite3 connection, without
        # Core's events: die as its COMMIT starts, after the turn was inserted.
        if not hasattr(dbapi_conn, "set_trace_callback"):
            return
        seen = {"turn": False}

        def statement(sql: str) -> None:
            sql = sql.lstrip().upper()
            if sql.startswith("BEGIN"):
                seen["turn"] = False
            elif sql.startswith("INSERT INTO TURNS"):
                seen["turn"] = True
            elif sql.startswith("COMMIT") and seen["turn"] and killer.armed("commit"):
                killer.die("inside save_turn, before commit")

        dbapi_conn.set_trace_callback(statement)

    if store.is_postgres:
        _die_before_pg_commit(killer)
    service = FlowService(store, FlowRepository(args.flows, store, clock), http=http, channel=RecordingChannel(),
                          clock=clock)
    if args.flow:
        service.flows.latest(args.flow)  # records the revision now, not in the middle of the race
    return service


def _die_before_pg_commit(killer: Killer) -> None:
    """On PostgreSQL, a turn runs its statements straight on psycopg, without Core's
    events (store._PgTurn): die as its COMMIT starts, once the server has run the
    statement that updates the execution and inserts the turn."""
    seen = {"turn": False}
    execute, commit = psycopg.Cursor.execute, psycopg.Connection.commit

    def traced_execute(self, query, *args, **kwargs):
        if isinstance(query, str) and "INSERT INTO TURNS" in query.upper():
            seen["turn"] = True
        return execute(self, query, *args, **kwargs)

    def traced_commit(self):
        if seen["turn"] and killer.armed("commit"):
            killer.die("inside save_turn, before commit")
        seen["turn"] = False
        return commit(self)

    psycopg.Cursor.execute, psycopg.Connection.commit = traced_execute, traced_commit


def send(service: FlowService, killer: Killer, args, sid: str, body: str) -> None:
    killer.current_sid = sid
    params = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": args.contact, "To": "+15555550100",
              "Body": body, "NumMedia": "0"}
    result = service.inbound_message(args.flow, params)
    killer.current_sid = None
    emit(event="turn", pid=os.getpid(), sid=sid, body=body, **summary(result))


def fire(service: FlowService, now: str | None, limit: int | None = None) -> None:
    """One `fire_due` of up to 1,000 timers; with `limit`, rounds of `limit` until a
    round finds nothing (like a scheduler working through a backlog)."""
    if now:
        service.clock.now = datetime.fromisoformat(now)
    while True:
        results = service.fire_due(service.clock(), limit=limit or 1000)
        for result in results:
            emit(event="fired", pid=os.getpid(), **summary(result))
        if limit is None or not results:
            return


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("flows")
    parser.add_argument("mode", choices=["send", "fire", "serve"])
    parser.add_argument("messages", nargs="*", help="SID=BODY")
    parser.add_argument("--flow")
    parser.add_argument("--contact", default="+15555550123")
    parser.add_argument("--now")
    parser.add_argument("--kill-at", choices=["http", "commit"])
    parser.add_argument("--kill-on-sid")
    parser.add_argument("--marker")
    parser.add_argument("--wait", action="store_true")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)

    killer = Killer(args.kill_at, args.kill_on_sid, args.marker)
    service = build(args, killer)
    emit(event="ready", pid=os.getpid())
    if args.wait and args.mode != "serve":
        sys.stdin.readline()  # the parent's "go", written to every worker at once
    if args.mode == "send":
        for item in args.messages:
            sid, _, body = item.partition("=")
            send(service, killer, args, sid, body)
    elif args.mode == "fire":
        fire(service, None, args.limit)
    else:
        for line in sys.stdin:
            command = json.loads(line)
            if command["op"] == "quit":
                break
            if command["op"] == "send":
                send(service, killer, args, command["sid"], command["body"])
            elif command["op"] == "fire":
                fire(service, command.get("now"))
            emit(event="done", op=command["op"])
    service.store.close()
    emit(event="exit", pid=os.getpid())
    return 0


if __name__ == "__main__":
    sys.exit(main())
