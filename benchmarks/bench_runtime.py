"""Running flows: one engine turn in process, SMS turns through the service on SQLite.

Every row uses the same 10-widget SMS loop (`FLOW` below): a reply to the
send-and-wait-for-reply `ask` walks remember (set-variables) -> classify (split) ->
number (set-variables) -> tally (set-variables) -> check_total (split) -> prepare
(set-variables) -> route (split) -> ask again, where it waits for the next reply:
9 widgets, 8 transitions and 12 Liquid templates rendered per reply (the reply is a number).

Rows (every baseline is measured in the same run):
- engine SMS turn (10 widgets): `engine.runner.resume` of an execution waiting at `ask`
  with a reply, in process, no I/O; one `Program` built once (templates parsed once),
  median of 2,000 calls; target <= 0.5 ms. Baseline: rendering the same Liquid
  templates the turn renders (recorded from a real turn), pre-parsed, with a plain
  python-liquid `Environment`, against the turn's final context: the part of the turn
  no engine can avoid, so the ratio reads "the engine costs N template passes".
- SQLite inbound SMS turns/s (1 process): `FlowService.inbound_message` for 1,000
  contacts each waiting at `ask` (read + engine + one write transaction with the
  execution, its steps, its log and the inbound delivery), on an SQLite file in a temp
  folder, one thread; 3 batches of 1,000 turns, turns/s of the median batch; target
  >= 2,000 turns/s. Baseline: as many bare write transactions on a file with the same
  settings (the store's engine: WAL, synchronous=NORMAL, BEGIN IMMEDIATE), each an
  UPDATE of one execution row (a real state) + an INSERT of one log row, through
  SQLAlchemy Core. The ratio (below 1) is the share of the database's bare
  transaction rate the service reaches.
- inbound turn latency with 100,000 waiting executions: the median latency of one
  inbound turn when the database holds 100,000 waiting executions (10 made through
  the service, the rest bulk-copied from them with new ids, contacts and session keys).
  Baseline: the same with 100. Turns alternate between the two databases, each for a
  contact among the waiting ones; target ratio <= 1.2 (within 20 %).
"""
from __future__ import annotations

import gc
import itertools
import json
import random
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from liquid import Environment
from sqlalchemy import insert, select as sql_select, update

from harness import Row, measure_many, timing

from flowstudio.adapters import schema
from flowstudio.adapters.store import Store
from flowstudio.conversation import local_service
from flowstudio.engine import events as ev
from flowstudio.engine.runner import Program, resume, start
from flowstudio.spec.flowfile import load_flow_text
from flowstudio.spec.model import Flow
from flowstudio.spec.validate import validate_document

ENGINE = "engine SMS turn (10 widgets)"
SQLITE = "SQLite inbound SMS turns/s (1 process)"
# The persistence rows time a typical SMS turn: the reply is saved, checked by a split,
# and the question asked again (3 widgets). The engine row times a heavier 10-widget flow.
LATENCY = "inbound turn latency with 100,000 waiting executions"

FLOW_ID = "bench-loop"
NUMBER = "+15555550100"
NOW = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)

ENGINE_CALLS = 2_000
CONTACTS = 1_000          # SQLite turns/s: contacts waiting, one turn each per batch
BATCHES = 3               # timed batches (3 x 1,000 = 3,000 turns), after one warm-up batch
MANY, FEW = 100_000, 100  # waiting executions in the latency row's two databases
SEEDS = 10                # executions made through the service, then copied
LATENCY_TURNS = 400       # timed turns per database
INSERT_BATCH = 5_000

FLOW = """\
spec_version: 1
name: bench-loop
description: A typical SMS turn for the persistence benchmarks; every reply walks 3 widgets.
widgets:
  - name: Trigger
    type: trigger
    transitions:
      incomingMessage: ask
  - name: ask
    type: send-and-wait-for-reply
    properties:
      body: '{% if flow.variables.answer %}Got {{flow.variables.answer}}.{% else %}Hi!{% endif %} Send a number, or STOP.'
      timeout: 3600
    transitions:
      incomingMessage: save
  - name: save
    type: set-variables
    properties:
      variables:
        - key: answer
          value: '{{widgets.ask.inbound.Body | strip}}'
    transitions:
      next: check
  - name: check
    type: split-based-on
    properties:
      input: '{{flow.variables.answer}}'
    transitions:
      noMatch: ask
      match:
        - next: null
          conditions:
            - type: matches_any_of
              value: stop,quit
"""
WALK = ["ask", "save", "check", "ask"]

ENGINE_FLOW = """\
spec_version: 1
name: bench-loop
description: A send-and-wait loop for the engine benchmark; every reply walks 9 widgets.
widgets:
  - name: Trigger
    type: trigger
    transitions:
      incomingMessage: init
  - name: init
    type: set-variables
    properties:
      variables:
        - key: count
          value: '0'
        - key: total
          value: '0'
        - key: prompt
          value: 'Hi {{trigger.message.From | slice: -4, 4}}, send a number (STOP to end).'
    transitions:
      next: ask
  - name: ask
    type: send-and-wait-for-reply
    properties:
      body: '{{flow.variables.count | plus: 1}}. {{flow.variables.prompt}}'
      timeout: 3600
    transitions:
      incomingMessage: remember
      timeout: null
  - name: remember
    type: set-variables
    properties:
      variables:
        - key: answer
          value: '{{widgets.ask.inbound.Body | strip | downcase}}'
        - key: count
          value: '{{flow.variables.count | plus: 1}}'
    transitions:
      next: classify
  - name: classify
    type: split-based-on
    properties:
      input: '{{flow.variables.answer}}'
    transitions:
      noMatch: tally
      match:
        - next: null
          conditions:
            - type: matches_any_of
              value: stop,quit,cancel
        - next: number
          conditions:
            - type: regex
              value: ^[0-9]+$
  - name: number
    type: set-variables
    properties:
      variables:
        - key: score
          value: '{{flow.variables.answer | times: 2}}'
    transitions:
      next: tally
  - name: tally
    type: set-variables
    properties:
      variables:
        - key: total
          value: '{{flow.variables.total | plus: flow.variables.score}}'
        - key: last
          value: '{{widgets.ask.inbound.Body | truncate: 20}}'
    transitions:
      next: check_total
  - name: check_total
    type: split-based-on
    properties:
      input: '{{flow.variables.total}}'
    transitions:
      noMatch: null
      match:
        - next: prepare
          conditions:
            - type: less_than
              value: '1000000000'
  - name: prepare
    type: set-variables
    properties:
      variables:
        - key: prompt
          value: 'Got {{flow.variables.last}}: {{flow.variables.total}} in {{flow.variables.count}} replies. Next?'
    transitions:
      next: route
  - name: route
    type: split-based-on
    properties:
      input: '{{widgets.ask.inbound.Body}}'
    transitions:
      noMatch: ask
      match:
        - next: ask
          conditions:
            - type: contains
              value: help
"""
ENGINE_WALK = ["ask", "remember", "classify", "number", "tally", "check_total", "prepare", "route", "ask"]


def flow_data(text: str = FLOW) -> dict:
    """A benchmark flow's data; refuses a flow with any validation issue."""
    doc = load_flow_text(text)
    issues = validate_document(doc, set())
    if issues:
        raise RuntimeError("the benchmark flow has issues:\n" + "\n".join(i.format() for i in issues))
    return doc.data


def sms(contact: str, body: str, sid: str) -> dict:
    """Twilio's inbound SMS parameters."""
    return {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": contact, "To": NUMBER, "Body": body,
            "NumMedia": "0"}


def check_walk(steps: list[dict], expected: list[str] = WALK) -> None:
    """Refuse to time a turn that does not take the intended path (and wait again)."""
    walked = [s["from"] for s in steps] + [steps[-1]["to"]] if steps else []
    if walked != expected:
        raise RuntimeError(f"the benchmark turn walked {walked}, not {expected}")


def per_call_medians(fns: list, calls: int) -> list[float]:
    """Median seconds of single calls of each function, called in turns (a, b, a, b...)."""
    times: list[list[float]] = [[] for _ in fns]
    clock = time.perf_counter
    gc.collect()
    for _ in range(calls):
        for k, fn in enumerate(fns):
            t0 = clock()
            fn()
            times[k].append(clock() - t0)
    return [statistics.median(t) for t in times]


# ---------------------------------------------------------------- row 1: the engine alone

class _Library:
    def __init__(self, program: Program):
        self._program = program

    def program(self, flow_id: str, revision: str | None = None) -> Program | None:
        return self._program if flow_id == self._program.flow_id else None


class _RecordingTemplates:
    """Wraps a program's Templates to note which sources a turn renders."""

    def __init__(self, inner):
        self.inner = inner
        self.sources: list = []

    def render(self, source, context, now):
        self.sources.append(source)
        return self.inner.render(source, context, now)


def engine_row() -> Row:
    program = Program(Flow.from_data(flow_data(ENGINE_FLOW)), FLOW_ID, FLOW_ID + "@1")
    library = _Library(program)
    contact = "+15555550123"
    step = start(program, ev.MessageReceived(sms(contact, "hi", "SM0")), NOW, "FN" + "0" * 32)
    step = resume(library, step.state, ev.MessageReceived(sms(contact, "42", "SM1")), NOW)  # every widget has run
    state = step.state
    reply = ev.MessageReceived(sms(contact, "7", "SM2"))

    templates, program.templates = program.templates, _RecordingTemplates(program.templates)
    try:
        turn = resume(library, state, reply, NOW)
        sources = program.templates.sources
    finally:
        program.templates = templates
    check_walk(turn.steps, ENGINE_WALK)
    env = Environment()
    parsed = [env.from_string(s) for s in sources if isinstance(s, str) and "{" in s]
    context = turn.state.frame.context

    def render_all():
        for template in parsed:
            template.render(**context)

    ours, base = per_call_medians([lambda: resume(library, state, reply, NOW), render_all], ENGINE_CALLS)
    return timing(ENGINE, ours, f"python-liquid rendering the turn's {len(parsed)} templates", base, max_ms=0.5)


# ---------------------------------------------------------------- the service on SQLite

def new_service(folder: Path, name: str):
    """A FlowService (local_service: fixed clock, mocked HTTP) on the SQLite file
    `folder/name.db`, running the loop flow from `folder/flows`."""
    flows = folder / "flows"
    flows.mkdir(exist_ok=True)
    (flows / f"{FLOW_ID}.yaml").write_text(FLOW)
    return local_service(flows, database_url=f"sqlite:///{folder / name}.db")


_SIDS = itertools.count(1)


def sid() -> str:
    """A new MessageSid: each turn is a new delivery, never a retry of an earlier one."""
    return f"SM{next(_SIDS):032d}"


def turn(service, contact: str, message_sid: str, body: str = "7"):
    """One inbound SMS through the service; refuses anything but a turn that waits again."""
    result = service.inbound_message(FLOW_ID, sms(contact, body, message_sid))
    if result.status != "active" or not result.waiting or result.duplicate:
        raise RuntimeError(f"unexpected turn for {contact}: {result.status}, waiting {result.waiting}, "
                           f"duplicate {result.duplicate} {result.note}")
    return result


def throughput_row(folder: Path) -> Row:
    service = new_service(folder, "turns")
    base_store = Store(f"sqlite:///{folder / 'bare'}.db")  # the same engine settings
    base_store.create_schema()
    try:
        contacts = [f"+1222{i:07d}" for i in range(CONTACTS)]
        for c in contacts:
            turn(service, c, sid(), "hi")
        check_walk(turn(service, contacts[0], sid()).steps)

        # The baseline's rows: copies of the real execution rows, the state a real one.
        with service.store.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(sql_select(schema.executions))]
        state = rows[0]["state"]
        with base_store.engine.begin() as conn:
            conn.execute(insert(schema.executions), rows)
        entry = {"type": "transition", "widget": "route", "flow": FLOW_ID, "event": "noMatch", "to": "ask"}
        ex = schema.executions

        def bare(execution_id: str):
            with base_store.engine.connect() as conn:
                conn = conn.execution_options(flowstudio_write=True)  # BEGIN IMMEDIATE, as the store writes
                with conn.begin():
                    conn.execute(update(ex).where(ex.c.id == execution_id)
                                 .values(state=state, version=ex.c.version + 1, updated_at=NOW))
                    conn.execute(insert(schema.turns).values(execution_id=execution_id, at=NOW, steps="[]",
                                                             trace=[entry]))

        ids = [r["id"] for r in rows]

        def service_batch():
            for c in contacts:
                turn(service, c, sid())

        def bare_batch():
            for i in ids:
                bare(i)

        ours, base = measure_many([service_batch, bare_batch], repeat=BATCHES, warmup=1)
    finally:
        service.store.close()
        base_store.close()
    figure, baseline = len(contacts) / ours, len(ids) / base
    return Row(SQLITE, figure, "turns/s", "bare UPDATE + INSERT transactions/s: SQLAlchemy Core, same SQLite settings",
               baseline, figure / baseline, ">= 2,000 turns/s", figure >= 2_000)


def populated(folder: Path, name: str, total: int):
    """A service whose database holds `total` executions waiting at `ask`: SEEDS made
    through the service, the rest bulk-copied from them. Returns (service, contacts)."""
    service = new_service(folder, name)
    seeds = [f"+1333{i:07d}" for i in range(SEEDS)]
    for c in seeds:
        turn(service, c, sid(), "hi")
        turn(service, c, sid())  # a state as it is after a reply
    ex = schema.executions
    with service.store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sql_select(ex))]
    templates = [(r, json.dumps(r.pop("state"))) for r in rows]
    contacts = list(seeds)
    batch = []

    def flush():
        with service.store.engine.begin() as conn:
            conn.execute(insert(ex), batch)
        batch.clear()

    for i in range(total - len(rows)):
        row, text = templates[i % len(templates)]
        contact, execution_id = f"+1444{i:07d}", f"FB{i:032d}"
        state = json.loads(text.replace(row["contact"], contact).replace(row["id"], execution_id))
        batch.append(dict(row, id=execution_id, contact=contact, session_key=contact, state=state))
        contacts.append(contact)
        if len(batch) >= INSERT_BATCH:
            flush()
    if batch:
        flush()
    if service.store.count("active") != total:
        raise RuntimeError(f"expected {total:,} waiting executions, found {service.store.count('active'):,}")
    return service, contacts


def latency_row(folder: Path) -> Row:
    few, few_contacts = populated(folder, "few", FEW)
    many, many_contacts = populated(folder, "many", MANY)
    try:
        rng = random.Random(0)
        picked = rng.sample(many_contacts, LATENCY_TURNS + 50)
        few_cycle = itertools.cycle(rng.sample(few_contacts, len(few_contacts)))
        check_walk(turn(many, picked[0], sid()).steps)
        for c in picked[1:50]:  # warm up both
            turn(many, c, sid())
            turn(few, next(few_cycle), sid())
        todo = iter(picked[50:])
        ours, base = per_call_medians([lambda: turn(many, next(todo), sid()),
                                       lambda: turn(few, next(few_cycle), sid())], LATENCY_TURNS)
    finally:
        few.store.close()
        many.store.close()
    return timing(LATENCY, ours, f"with {FEW} waiting executions", base, max_ratio=1.2, note="within 20 %")


def run(select=lambda name: True) -> list[Row]:
    rows = []
    if select(ENGINE):
        rows.append(engine_row())
    if select(SQLITE) or select(LATENCY):
        folder = Path(tempfile.mkdtemp(prefix="flowstudio-bench-"))
        try:
            if select(SQLITE):
                rows.append(throughput_row(folder))
            if select(LATENCY):
                rows.append(latency_row(folder))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return rows
