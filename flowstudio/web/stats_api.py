"""What happened in a flow (stats.py), for the editor's Results view and scripts.

- `GET /api/flows/<flow>/stats?from=<iso>&to=<iso>`: counts of the executions started
  in [from, to) (default: the last 7 days): `executions`, `transitions`, `widgets`.
- `GET /api/flows/<flow>/stats/executions?from=&to=&widget=&stopped=` or
  `&transition_from=&event=&transition_to=`: the executions behind a count, the oldest
  LISTED (200); `more` says whether there are others (the CSV has them all).
- `GET /api/flows/<flow>/executions.csv?from=&to=&tz=`: one row per execution; with
  `tz` (a time zone name, as the editor sends its browser's) the times are local ones a
  spreadsheet reads as dates (`2026-05-01 09:00:00`) instead of ISO 8601 UTC.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Response, current_app, request

from .. import stats
from .app import runtime
from .errors import ApiError

blueprint = Blueprint("stats_api", __name__, url_prefix="/api")
DEFAULT_RANGE = timedelta(days=7)
STOPPED = ("ended", "failed", "expired", "waiting", "any")
LISTED = 200   # executions listed behind one count: a list to click through, not an export


@blueprint.get("/flows/<flow_id>/stats")
def flow_stats(flow_id: str):
    """Counts per transition and widget, with the funnel."""
    store = _store(flow_id)
    start, end = _range()
    return stats.flow_stats(store, flow_id, start, end)


@blueprint.get("/flows/<flow_id>/stats/executions")
def executions(flow_id: str):
    """The executions behind one count of the Results view."""
    store = _store(flow_id)
    start, end = _range()
    args = request.args
    widget, stopped = args.get("widget") or None, args.get("stopped") or None
    if stopped is not None and stopped not in STOPPED:
        raise ApiError(400, f"stopped must be one of {', '.join(STOPPED)}", field="stopped")
    if stopped is not None and widget is None:
        raise ApiError(400, "stopped needs widget", field="widget")
    transition = None
    if args.get("transition_from"):
        if not args.get("event"):
            raise ApiError(400, "a transition needs its event", field="event")
        transition = (args["transition_from"], args["event"], args.get("transition_to") or None)
    found = stats.executions_of(store, flow_id, start, end, widget=widget, stopped=stopped, transition=transition,
                                limit=LISTED + 1)
    # `more`: the list stops at LISTED, and says so (the CSV has them all)
    return {"executions": found[:LISTED], "more": len(found) > LISTED}


@blueprint.get("/flows/<flow_id>/executions.csv")
def executions_csv(flow_id: str):
    """The executions as a CSV file (a spreadsheet's download)."""
    store = _store(flow_id)
    start, end = _range()
    try:
        body = stats.executions_csv(store, flow_id, start, end, zone=_zone())
    except stats.TooManyRows as exc:
        raise ApiError(400, str(exc), field="from") from None
    name = f"{flow_id}-executions-{start.date().isoformat()}-{end.date().isoformat()}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _store(flow_id: str):
    service = runtime(current_app).service
    if not service.flows.exists(flow_id) and service.store.latest_revision(flow_id) is None:
        raise ApiError(404, f"there is no flow '{flow_id}'")
    return service.store


def _range() -> tuple[datetime, datetime]:
    now = runtime(current_app).service.clock()
    given_end, start = _time("to"), _time("from")
    end = _utc(given_end) if given_end is not None else now + timedelta(seconds=1)
    if start is None:
        start = end - DEFAULT_RANGE if end - EARLIEST > DEFAULT_RANGE else EARLIEST
    if start >= (given_end or end):   # as given: aware times compare across zones without converting
        raise ApiError(400, "from must be before to", field="from")
    return _utc(start), end


def _zone() -> ZoneInfo | None:
    """The `tz` asked for (an IANA name like America/New_York), or None for UTC ISO times."""
    raw = (request.args.get("tz") or "").strip()
    if not raw:
        return None
    try:
        if len(raw) > 64 or "\x00" in raw:
            raise ValueError(raw)
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ApiError(400, f"tz must be a time zone name like America/New_York, not {raw[:60]!r}",
                       field="tz") from None


# The calendar's ends as far as the counts go: no execution starts out there, so a time
# beyond them is taken as the end it passes, and the results are the same. Converting
# 0001-01-01T00:00+05:00 or 9999-12-31T23:00-05:00 to UTC would leave the calendar
# (OverflowError), and so would the counts' step to the next whole hour in its last hour.
EARLIEST = datetime(1, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9999, 12, 31, tzinfo=timezone.utc)


def _utc(value: datetime) -> datetime:
    """An aware time in UTC, within [EARLIEST, LATEST]."""
    try:
        value = value.astimezone(timezone.utc)
    except OverflowError:
        return EARLIEST if value.year < 5000 else LATEST
    return min(max(value, EARLIEST), LATEST)


def _time(name: str) -> datetime | None:
    """The query's time `name` (UTC when it names no zone), or None when not given."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    if " " in raw and "+" not in raw:  # ?from=...T10:00:00+02:00 unencoded: the + arrives as a space
        raw = raw.replace(" ", "+", 1)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an ISO 8601 time like 2026-05-01T00:00:00Z, not {raw[:60]!r}",
                       field=name) from None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
