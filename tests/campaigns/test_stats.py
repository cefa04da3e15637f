"""The Results view's numbers (stats.py) on SQLite and PostgreSQL: equal to what the
turns and executions tables say, computed here in Python from the stored steps; the
executions behind a count; and the executions CSV."""
import csv
import io
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flowstudio import stats
from flowstudio.adapters import schema as t
from flowstudio.web.app import runtime

FLOW = "sms-survey"
N = "+1555557"


def text(client, contact, body, sid):
    answer = client.post(f"/webhooks/{FLOW}", data={"MessageSid": f"SM{sid:032d}", "From": contact,
                                                   "To": "+15555550100", "Body": body})
    assert answer.status_code == 200, answer.text


@pytest.fixture
def scripted(client, app, clock):
    """A few conversations: finished ones (one with a bad rating first), some that
    stopped answering (their timeouts fire), one started through the REST API, one
    still waiting, and one from the day before (outside today's range)."""
    service = runtime(app).service
    sid = iter(range(1, 10_000))
    text(client, N + "0000", "hi", next(sid))   # yesterday's
    clock.advance(86400)
    day_start = clock()
    scripts = {"0001": ["hi", "5", "coffee", "NO"], "0002": ["hi", "9", "3", "cake", "more seats"],
               "0003": ["hi", "4"], "0004": ["hi"], "0005": ["hi", "2", "view"]}
    for suffix, messages in scripts.items():
        for body in messages:
            text(client, N + suffix, body, next(sid))
        clock.advance(60)
    service.start_request(FLOW, N + "0006", "+15555550100", {"visit_id": "v6"})
    clock.advance(3601)                          # the unanswered questions time out
    service.fire_due()
    text(client, N + "0007", "hi", next(sid))       # a new one, still waiting
    clock.advance(60)
    return day_start, clock()


def reference(store, flow_id, start, end):
    """The numbers, from the tables, in plain Python."""
    executions = [r for r in store.executions(flow_id=flow_id, limit=500)
                  if start <= r.created_at.replace(tzinfo=start.tzinfo) < end]
    counts = {"started": len(executions), "ended": 0, "failed": 0, "active": 0, "expired": 0}
    transitions, entered, stopped = {}, {}, {}
    for row in executions:
        how = "expired" if row.ended_reason == "the execution expired" else row.status
        counts[how] += 1
        own = row.revision_id.split("@")[0].split("~")[0]   # the flow it started as (before any rename)
        steps = [s for s in store.steps(row.id) if s.flow_id == own]
        for key in {(s.from_widget, s.event, s.to_widget) for s in steps}:
            transitions[key] = transitions.get(key, 0) + 1
        for name in {s.to_widget for s in steps if s.to_widget}:
            entered[name] = entered.get(name, 0) + 1
        last = row.state["last_widget"]
        stopped[last] = stopped.get(last, 0) + 1
    return counts, transitions, entered, stopped


@pytest.mark.parametrize("summarised", [0, 2, 500])
@pytest.mark.parametrize("wide", [False, True])
def test_stats_equal_what_the_turns_table_says(client, app, scripted, summarised, wide):
    """Counted live from the turns, from the summaries of finished executions, or some
    of each; over a range within two hours, or over two days (whole hours read from the
    hourly sums, the partial ones around them from the summaries): the same numbers,
    equal to the tables'."""
    start, end = scripted
    if wide:
        start, end = start - timedelta(days=1, minutes=17), end + timedelta(hours=20, minutes=3)
    store = runtime(app).service.store
    if summarised:
        finished = store.count("ended") + store.count("failed")
        assert stats.summarize(store, limit=summarised) == min(summarised, finished)
    q = {"from": start.isoformat(), "to": end.isoformat()}
    body = client.get(f"/api/flows/{FLOW}/stats", query_string=q).json
    counts, transitions, entered, stopped = reference(store, FLOW, start, end)
    assert body["executions"] == counts
    assert counts["started"] == 7 + wide and counts["active"] >= 1 and counts["ended"] >= 1   # as scripted
    assert {(t["from"], t["event"], t["to"]): t["count"] for t in body["transitions"]} == transitions
    assert {w["name"]: w["entered"] for w in body["widgets"] if w["entered"]} == entered
    assert {w["name"]: w["stopped_here"] for w in body["widgets"] if w["stopped_here"]} == stopped
    for w in body["widgets"]:
        assert sum(w["stopped"].values()) == w["stopped_here"]
    # the first question was reached by every one, the bad rating by one
    assert entered["ask_rating"] == 7 + wide and transitions[("check_rating", "noMatch", "invalid_rating")] == 1


def test_yesterday_is_counted_in_its_own_range(client, app, scripted):
    start, end = scripted
    q = {"from": (start - timedelta(days=1)).isoformat(), "to": start.isoformat()}
    body = client.get(f"/api/flows/{FLOW}/stats", query_string=q).json
    assert body["executions"]["started"] == 1
    assert {(t["from"], t["event"], t["to"]) for t in body["transitions"]} == {
        ("Trigger", "incomingMessage", "survey_intro"), ("survey_intro", "sent", "ask_rating"),
        ("ask_rating", "timeout", "Ended")}   # its question timed out the next day: counted with the day it started


@pytest.mark.parametrize("summarised", [False, True])
def test_the_executions_behind_a_count(client, app, scripted, summarised):
    start, end = scripted
    if summarised:
        stats.summarize(runtime(app).service.store)
    q = {"from": start.isoformat(), "to": end.isoformat()}
    took = client.get(f"/api/flows/{FLOW}/stats/executions", query_string={
        **q, "transition_from": "check_rating", "event": "noMatch", "transition_to": "invalid_rating"}).json
    assert [e["contact"] for e in took["executions"]] == [N + "0002"]
    waiting = client.get(f"/api/flows/{FLOW}/stats/executions",
                         query_string={**q, "widget": "ask_rating", "stopped": "waiting"}).json["executions"]
    assert [e["contact"] for e in waiting] == [N + "0007"]
    entered = client.get(f"/api/flows/{FLOW}/stats/executions",
                         query_string={**q, "widget": "ask_highlight"}).json["executions"]
    body = client.get(f"/api/flows/{FLOW}/stats", query_string=q).json
    assert len(entered) == next(w["entered"] for w in body["widgets"] if w["name"] == "ask_highlight")


def test_the_list_behind_a_count_says_when_it_stops_short(client, app, scripted, monkeypatch):
    """Before: a count of thousands listed the oldest 200, and nothing said there were more."""
    from flowstudio.web import stats_api

    start, end = scripted
    q = {"from": start.isoformat(), "to": end.isoformat(), "widget": "ask_highlight"}
    entered = client.get(f"/api/flows/{FLOW}/stats/executions", query_string=q).json
    assert entered["more"] is False and len(entered["executions"]) >= 3
    monkeypatch.setattr(stats_api, "LISTED", 2)
    shortened = client.get(f"/api/flows/{FLOW}/stats/executions", query_string=q).json
    assert shortened["more"] is True and shortened["executions"] == entered["executions"][:2]


def test_the_executions_csv(client, app, scripted):
    start, end = scripted
    answer = client.get(f"/api/flows/{FLOW}/executions.csv", query_string={"from": start.isoformat(),
                                                                            "to": end.isoformat()})
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert len(rows) == 7
    by = {r["contact"]: r for r in rows}
    assert by[N + "0001"]["widgets.ask_rating.inbound.Body"] == "5"
    assert by[N + "0001"]["widgets.ask_improvement.inbound.Body"] == "NO"
    assert by[N + "0001"]["flow.variables.highlight"] == "coffee"
    assert by[N + "0002"]["widgets.ask_rating.inbound.Body"] == "3"    # the last answer to a question asked twice
    assert by[N + "0007"]["status"] == "active" and by[N + "0007"]["last_widget"] == "ask_rating"
    assert by[N + "0001"]["status"] == "ended" and by[N + "0001"]["ended"]


def test_a_range_with_more_executions_than_a_csv_holds_is_400(client, app, scripted, monkeypatch):
    """Before: the first MAX_CSV_ROWS rows, and nothing said the others were left out."""
    start, end = scripted
    query = {"from": start.isoformat(), "to": end.isoformat()}
    monkeypatch.setattr(stats, "MAX_CSV_ROWS", 7)
    assert len(client.get(f"/api/flows/{FLOW}/executions.csv", query_string=query).get_data().splitlines()) == 8
    monkeypatch.setattr(stats, "MAX_CSV_ROWS", 6)
    answer = client.get(f"/api/flows/{FLOW}/executions.csv", query_string=query)
    assert answer.status_code == 400 and answer.json["error"]["field"] == "from"
    assert "at most 6" in answer.json["error"]["message"]


def test_a_formula_in_a_reply_is_made_inert_in_the_csv(client, app, clock):
    for i, body in enumerate(["hi", "5", "=HYPERLINK(\"http://x\")"]):
        text(client, N + "0009", body, 500 + i)
    answer = client.get(f"/api/flows/{FLOW}/executions.csv")
    [row] = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert row["widgets.ask_highlight.inbound.Body"] == "'=HYPERLINK(\"http://x\")"
    assert row["contact"] == N + "0009"


@pytest.mark.parametrize("query,field", [({"from": "yesterday"}, "from"), ({"to": "2026-99-01"}, "to"),
                                         ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
                                         ({"from": "x" * 10_000}, "from")])
def test_a_bad_range_is_400_naming_it(client, query, field):
    for path in ("stats", "executions.csv", "stats/executions"):
        answer = client.get(f"/api/flows/{FLOW}/{path}", query_string=query)
        assert answer.status_code == 400, (path, answer.data[:200])
        assert answer.json["error"]["field"] == field


def test_times_at_the_ends_of_the_calendar_are_answered(client, app, scripted):
    """Before: 500 (OverflowError) for times whose UTC falls outside years 1 to 9999, for
    a `to` in the first week of year 1 (the default `from` is a week before it), and
    for a range in the last hour of year 9999."""
    everything = client.get(f"/api/flows/{FLOW}/stats", query_string={"from": "2000-01-01T00:00:00Z"}).json
    assert everything["executions"]["started"] == 8
    whole = {"from": "0001-01-01T00:00:00+05:00", "to": "9999-12-31T23:59:59-05:00"}
    assert client.get(f"/api/flows/{FLOW}/stats", query_string=whole).json["executions"] == everything["executions"]
    assert len(list(csv.DictReader(io.StringIO(client.get(f"/api/flows/{FLOW}/executions.csv",
                                                          query_string=whole).get_data(as_text=True))))) == 8
    for query in ({"to": "0001-01-03T00:00:00Z"}, {"from": "9999-12-31T23:10:00Z", "to": "9999-12-31T23:50:00Z"},
                  {"from": "0001-01-01T00:00:00Z", "to": "0001-01-01T00:30:00Z"}):
        for path in ("stats", "executions.csv", "stats/executions"):
            answer = client.get(f"/api/flows/{FLOW}/{path}", query_string=query)
            assert answer.status_code == 200, (path, query, answer.data[:200])
        assert client.get(f"/api/flows/{FLOW}/stats", query_string=query).json["executions"]["started"] == 0


def test_unknown_flow_is_404(client):
    assert client.get("/api/flows/nope/stats").status_code == 404
    assert client.get("/api/flows/nope/executions.csv").status_code == 404


def test_a_deleted_execution_leaves_the_counts_once_tidied(client, app, scripted):
    start, end = scripted
    store = runtime(app).service.store
    stats.summarize(store)
    gone = next(r for r in store.executions(flow_id=FLOW) if r.status == "ended" and r.contact == N + "0001")
    assert store.delete_execution(gone.id)
    assert stats.tidy(store) == 1
    start, end = start - timedelta(days=2), end + timedelta(days=1)   # whole hours: the hourly sums too
    body = stats.flow_stats(store, FLOW, start, end)
    counts, transitions, _entered, _stopped = reference(store, FLOW, start, end)
    assert body["executions"] == counts and counts["started"] == 7
    assert {(t["from"], t["event"], t["to"]): t["count"] for t in body["transitions"]} == transitions


@pytest.mark.parametrize("summarised", [False, True])
def test_a_renamed_flows_earlier_executions_stay_on_its_canvas(client, app, scripted, summarised):
    """A rename moves the executions to the new id, but their steps name the old one:
    they are still the flow's own steps, and count on the canvas under the new id."""
    start, end = scripted
    start, end = start - timedelta(days=2), end + timedelta(days=1)   # whole hours: the hourly sums too
    store = runtime(app).service.store
    if summarised:
        stats.summarize(store)
    before = stats.flow_stats(store, FLOW, start, end)
    assert client.post(f"/api/flows/{FLOW}/rename", json={"id": "satisfaction"}).status_code == 200
    stats.tidy(store)          # what the Summarizer does within a minute
    stats.summarize(store)
    after = stats.flow_stats(store, "satisfaction", start, end)
    assert after["executions"] == before["executions"] and after["executions"]["started"] == 8
    assert after["transitions"] == before["transitions"] and after["widgets"] == before["widgets"]
    counts, transitions, entered, _stopped = reference(store, "satisfaction", start, end)
    assert {(t["from"], t["event"], t["to"]): t["count"] for t in after["transitions"]} == transitions
    assert transitions[("Trigger", "incomingMessage", "survey_intro")] == 7   # one started by the REST API
    ask = client.get("/api/flows/satisfaction/stats/executions", query_string={
        "from": start.isoformat(), "to": end.isoformat(), "widget": "ask_highlight"}).json["executions"]
    assert len(ask) == entered["ask_highlight"] > 0
    assert stats.flow_stats(store, FLOW, start, end)["executions"]["started"] == 0


def test_the_summarizer_looks_only_at_recent_ends_once_caught_up(client, app, scripted, clock):
    """After a round that catches up, a round finds executions that ended since (through
    the end-time index), not every execution again; an execution whose end time is older
    than that (a long transaction committing late) is found by the next full look."""
    store = runtime(app).service.store
    summarizer = stats.Summarizer(store)
    first = summarizer.round()      # the finished ones, and the paths so far of the one still waiting
    assert first == store.count("ended") + store.count("failed") + 1 and summarizer.since is not None
    for i, body in enumerate(("hi", "5", "coffee", "NO")):   # a new survey, finished now
        text(client, N + "0011", body, 900 + i)
    assert summarizer.since < clock() and summarizer.round() == 1
    # one that ended long ago but was written just now (as if its transaction ran late)
    for i, body in enumerate(("hi", "5", "tea", "NO")):
        text(client, N + "0012", body, 950 + i)
    late = next(r for r in store.executions(flow_id=FLOW) if r.contact == N + "0012")
    with store.engine.begin() as conn:
        conn.execute(t.executions.update().where(t.executions.c.id == late.id).values(
            ended_at=summarizer.since - timedelta(hours=1)))
    assert summarizer.round() == 0                         # not among the recent ends
    summarizer._full -= summarizer.FULL_EVERY              # an hour later
    assert summarizer.round() == 1                         # the full look finds it
    start, end = scripted
    start, end = start - timedelta(days=2), end + timedelta(days=1)
    counts, transitions, _entered, _stopped = reference(store, FLOW, start, end)
    body = stats.flow_stats(store, FLOW, start, end)
    assert body["executions"] == counts and counts["started"] == 10
    assert {(t["from"], t["event"], t["to"]): t["count"] for t in body["transitions"]} == transitions


def test_tidy_takes_a_summary_away_once_when_run_twice(client, app, scripted):
    """Tidied twice, a deleted execution leaves the hourly sums once."""
    start, end = scripted
    store = runtime(app).service.store
    stats.summarize(store)
    gone = next(r for r in store.executions(flow_id=FLOW) if r.status == "ended" and r.contact == N + "0001")
    assert store.delete_execution(gone.id)
    assert stats.tidy(store) == 1 and stats.tidy(store) == 0
    start, end = start - timedelta(days=2), end + timedelta(days=1)
    assert stats.flow_stats(store, FLOW, start, end)["executions"]["started"] == 7


def _same_as_the_tables(client, store, start, end):
    counts, transitions, entered, stopped = reference(store, FLOW, start, end)
    body = client.get(f"/api/flows/{FLOW}/stats", query_string={"from": start.isoformat(),
                                                                "to": end.isoformat()}).json
    assert body["executions"] == counts
    assert {(t["from"], t["event"], t["to"]): t["count"] for t in body["transitions"]} == transitions
    assert {w["name"]: w["entered"] for w in body["widgets"] if w["entered"]} == entered
    assert {w["name"]: w["stopped_here"] for w in body["widgets"] if w["stopped_here"]} == stopped
    return body


@pytest.mark.parametrize("wide", [False, True])
def test_active_executions_summarised_as_they_go(client, app, scripted, wide):
    """An active execution's paths are summarised up to its last turn; the counts read
    those and only its later turns from the steps; when it finishes, its summary adds
    only what was not there. Exact at every point, and no path is stored twice."""
    start, end = scripted
    if wide:
        start, end = start - timedelta(days=1, minutes=17), end + timedelta(hours=20, minutes=3)
    store = runtime(app).service.store
    waiting = N + "0007"
    done, last = stats.summarize_active(store)          # after a restart: every active execution behind
    assert done == 1 and last > 0
    _same_as_the_tables(client, store, start, end)
    text(client, waiting, "9", 700)                     # a bad rating: a turn its summary has not reached
    body = _same_as_the_tables(client, store, start, end)
    assert {(t["from"], t["event"], t["to"]): t["count"] for t in body["transitions"]}[
        ("check_rating", "noMatch", "invalid_rating")] == 2
    assert stats.summarize_active(store, after=last) == (1, last + 1)
    assert stats.summarize_active(store, after=last + 1) == (0, last + 1)    # nothing new
    _same_as_the_tables(client, store, start, end)
    for i, body in enumerate(["3", "cake", "more seats"]):   # answered again and finished
        text(client, waiting, body, 710 + i)
    assert not [r for r in store.executions(flow_id=FLOW) if r.contact == waiting and r.status == "active"]
    _same_as_the_tables(client, store, start, end)
    stats.summarize(store)
    _same_as_the_tables(client, store, start, end)
    assert stats.summarize_active(store) == (0, last + 4)
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT execution_id, src, event, dst, count(*) FROM execution_paths "
                                    "GROUP BY execution_id, src, event, dst HAVING count(*) > 1").all()
        entered = conn.exec_driver_sql("SELECT execution_id, dst, sum(enters) FROM execution_paths "
                                       "GROUP BY execution_id, dst HAVING sum(enters) != 1").all()
    assert rows == [] and entered == []


def test_a_late_summary_of_an_active_execution_gives_way(client, app, scripted):
    """Two processes summarising one active execution: the one that read it at an old
    progress writes nothing (its progress moved meanwhile)."""
    start, end = scripted
    store = runtime(app).service.store
    stats.summarize_active(store)
    with store.engine.connect() as conn:
        [(eid, was)] = conn.exec_driver_sql("SELECT execution_id, turn_id FROM execution_progress").all()
    with store._write() as conn:
        assert stats._move_progress(conn, [(eid, FLOW, None, was + 1)]) == set()     # it has a progress now
        assert stats._move_progress(conn, [(eid, FLOW, was - 1, was + 1)]) == set()  # not where that process read it
    _same_as_the_tables(client, store, start, end)


def test_the_summarizer_holds_the_turn_gate_per_chunk_not_per_pass(client, app, scripted, monkeypatch):
    """On SQLite the Summarizer's reads and writes hold the process's turn gate, as a
    turn does: its Python work running beside a turn made the turn wait for the GIL at
    each of its SQLite calls (a convoy: one worker's p99 under `wrk -c16` went from
    about 100 ms with the Summarizer off to 470-730 ms with it). It takes the gate
    again to read and to write each chunk, so turns get through between them: a whole
    pass under the gate held turns up for about 150 ms, and the reads of a pass of 100
    finished executions up to 360 ms while a campaign ran. On PostgreSQL there is no
    gate."""
    store = runtime(app).service.store
    taken, writes = [], []
    held, write = store.gate.held, store._write

    def counting_held():
        taken.append(store.gate.holding())   # False: taken here, not already held
        return held()

    def watching_write(*args, **kwargs):
        writes.append(store.gate.holding())
        return write(*args, **kwargs)

    monkeypatch.setattr(store.gate, "held", counting_held)
    monkeypatch.setattr(store, "_write", watching_write)
    done, _ = stats.summarize_active(store, chunk=1)
    assert done >= 1 and len(writes) == done       # one write per chunk of one execution
    assert all(writes)                             # each under the gate (always "held" without one)
    gates = 0 if store.is_postgres else 2 * len(writes)
    assert taken.count(False) == gates             # taken anew to read and to write each chunk
    taken.clear(), writes.clear()
    done = stats.summarize(store, chunk=1)
    assert done >= 1 and len(writes) == done and all(writes)
    assert taken.count(False) == (0 if store.is_postgres else 2 * len(writes))
    assert store.gate.holding() is store.is_postgres   # let go after (no gate: always "held")


def test_the_summarizer_gives_way_to_turns(client, app, scripted, monkeypatch):
    """While the process runs turns, the Summarizer waits between its chunks for nine
    times the CPU time it used (it takes SHARE = 10 % of the time at most): with every
    request a new execution, summarising took more of a saturated worker than the
    turns. With no turn begun since its last chunk, it goes on at once."""
    store = runtime(app).service.store
    summarizer = stats.Summarizer(store)
    waits, paced = [], []
    monkeypatch.setattr(summarizer._stop, "wait", waits.append)
    summarizer._give_way()                          # its first chunk: nothing used yet
    burn = time.thread_time() + 0.02
    while time.thread_time() < burn:                # 20 ms of this thread's CPU, as a chunk would
        pass
    summarizer._give_way()                          # no turn begun meanwhile: no wait
    assert waits == []
    text(client, "+15550009999", "hi", 99999)
    assert store.turns_begun != summarizer._begun   # a turn began
    burn = time.thread_time() + 0.02
    while time.thread_time() < burn:
        pass
    summarizer._give_way()
    assert len(waits) == 1 and 0.18 <= waits[0] <= 0.5   # 9 x 20 ms (the loop's own overshoot aside)
    # its rounds call it before each chunk (of 25 executions)
    monkeypatch.setattr(summarizer, "_give_way", lambda: paced.append(1))
    assert summarizer.round() >= 1 and len(paced) >= 1


def test_the_csv_gives_times_a_spreadsheet_reads_in_the_zone_asked(client, app, scripted):
    start, end = scripted
    q = {"from": start.isoformat(), "to": end.isoformat()}
    iso = {r["execution"]: r for r in csv.DictReader(io.StringIO(
        client.get(f"/api/flows/{FLOW}/executions.csv", query_string=q).get_data(as_text=True)))}
    answer = client.get(f"/api/flows/{FLOW}/executions.csv", query_string={**q, "tz": "America/New_York"})
    assert answer.status_code == 200
    for row in csv.DictReader(io.StringIO(answer.get_data(as_text=True))):
        before = iso[row["execution"]]
        for column in ("started", "ended"):
            if not before[column]:
                assert row[column] == ""
                continue
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row[column]), row[column]
            local = datetime.fromisoformat(before[column]).astimezone(ZoneInfo("America/New_York"))
            assert row[column] == local.strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../etc/passwd", "x" * 300, "Europe/"])
def test_an_unknown_time_zone_for_the_csv_is_a_400_naming_tz(client, app, zone):
    answer = client.get(f"/api/flows/{FLOW}/executions.csv", query_string={"tz": zone})
    assert answer.status_code == 400
    assert answer.json["error"]["field"] == "tz" and "time zone" in answer.json["error"]["message"]
