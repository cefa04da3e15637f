"""What `GET /metrics` reports, in Prometheus's format (the `prometheus-client` package).

Recorded as things happen, in each process:

- `flowstudio_turns_total{flow, outcome}`: saved turns; `outcome` is the execution's
  status after the turn (`active`: it waits for more, `ended`, `failed`).
- `flowstudio_turn_seconds`: how long a turn took, from asking for the contact's lock
  (waiting for it included) to the commit (histogram).
- `flowstudio_webhook_responses_total{status}`: answers under `/webhooks/`, by HTTP status.
- `flowstudio_timers_fired_total`: timers (reply timeouts, expiries) fired by the scheduler.
- `flowstudio_http_widget_seconds` (histogram) and
  `flowstudio_http_widget_requests_total{outcome}`: HTTP widgets' requests; `outcome`
  is `ok`, `error_status` (an answer of 400 or more) or `failed` (no answer: refused,
  timed out, too large).
- `flowstudio_socket_clients`: editor tabs connected over the websocket.

Read from the database when scraped (so they are right whichever process answers):

- `flowstudio_executions_active`: executions in progress.
- `flowstudio_timers_due`: timers due now and not fired yet; `flowstudio_timers_late_seconds`:
  how long the oldest of them has been due (0 when none is).

With several worker processes, each writes its figures to files in
`PROMETHEUS_MULTIPROC_DIR` and the one answering the scrape adds them up
(prometheus-client's multiprocess mode). `flowstudio serve --workers N` sets that
folder up itself (server.py); the variable must be set before this module is first
imported in a process, since prometheus-client chooses where values live on import.
"""
from __future__ import annotations

import os
import time

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest)
from prometheus_client.core import GaugeMetricFamily

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
CONTENT_TYPE = CONTENT_TYPE_LATEST

# An ordinary turn takes about a millisecond; a turn waiting on an HTTP widget, seconds.
_TURN_BUCKETS = (.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)
_HTTP_BUCKETS = (.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)

TURNS = Counter("flowstudio_turns", "Turns saved, by flow and the execution's status after the turn",
                ["flow", "outcome"])
TURN_SECONDS = Histogram("flowstudio_turn_seconds", "Time of one turn, from asking for the contact's lock to the commit",
                         buckets=_TURN_BUCKETS)
WEBHOOK_RESPONSES = Counter("flowstudio_webhook_responses", "Answers to webhook requests, by HTTP status",
                            ["status"])
TIMERS_FIRED = Counter("flowstudio_timers_fired", "Timers (reply timeouts, expiries) fired by the scheduler")
HTTP_SECONDS = Histogram("flowstudio_http_widget_seconds", "Time of an HTTP widget's request",
                         buckets=_HTTP_BUCKETS)
HTTP_REQUESTS = Counter("flowstudio_http_widget_requests",
                        "HTTP widgets' requests: ok, error_status (400 or more) or failed (no answer)", ["outcome"])
SOCKET_CLIENTS = Gauge("flowstudio_socket_clients", "Editor tabs connected over the websocket",
                       multiprocess_mode="livesum")

# The labelled children, by label: `labels()` takes a lock and builds a key at every
# call; a turn only needs a dictionary lookup.
_turn_children: dict = {}
_status_children: dict = {}


def turn(flow_id: str, outcome: str, seconds: float) -> None:
    """Count a saved turn and its duration."""
    child = _turn_children.get((flow_id, outcome))
    if child is None:
        child = _turn_children.setdefault((flow_id, outcome), TURNS.labels(flow_id, outcome))
    child.inc()
    TURN_SECONDS.observe(seconds)


def webhook_answered(status: str) -> None:
    """Count a webhook's answer; `status` is WSGI's status line ("200 OK")."""
    code = status[:3]
    child = _status_children.get(code)
    if child is None:
        child = _status_children.setdefault(code, WEBHOOK_RESPONSES.labels(code))
    child.inc()


def timers_fired(n: int) -> None:
    """Count timers the scheduler fired."""
    if n:
        TIMERS_FIRED.inc(n)


def timed_http(perform):
    """An HTTP widget performer (service.HttpPerformer) that also counts and times its requests."""
    ok, error_status, failed = (HTTP_REQUESTS.labels(o) for o in ("ok", "error_status", "failed"))

    def timed(call) -> dict:
        started = time.perf_counter()
        answer = perform(call)
        HTTP_SECONDS.observe(time.perf_counter() - started)
        if answer.get("error") or not answer.get("status_code"):
            failed.inc()
        elif answer["status_code"] >= 400:
            error_status.inc()
        else:
            ok.inc()
        return answer

    return timed


def socket_clients(n: int) -> None:
    """This process's number of connected editor tabs."""
    SOCKET_CLIENTS.set(n)


class DatabaseCollector:
    """The figures read from the database at each scrape (see module docstring)."""

    def __init__(self, store, clock):
        self.store, self.clock = store, clock

    def collect(self):
        """Prometheus's collector protocol: yield the metric families."""
        now = self.clock()
        due, oldest = self.store.due_timers(now)
        yield GaugeMetricFamily("flowstudio_executions_active", "Executions in progress",
                                value=self.store.count("active"))
        yield GaugeMetricFamily("flowstudio_timers_due", "Timers due now and not fired yet", value=due)
        yield GaugeMetricFamily("flowstudio_timers_late_seconds", "How long the oldest due timer has waited",
                                value=max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)


def exposition(store, clock) -> bytes:
    """The text a scrape gets: this process's figures (every process's, in multiprocess
    mode) and those read from the database."""
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(store, clock))
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        recorded = CollectorRegistry()
        multiprocess.MultiProcessCollector(recorded)
    else:
        recorded = REGISTRY   # with the process's own memory, CPU and garbage-collector figures
    return generate_latest(recorded) + generate_latest(database)
