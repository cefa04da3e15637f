"""Trying "Send to a list" in the test console: a few test numbers, nothing sent.

Before sending a flow to a list, the person picks a few test numbers (prefilled from
the first rows of the list, editable) and each is started in the test console exactly
as the campaign would start it (campaigns.py, `CampaignRunner.start_contact`):

- through the REST trigger path (`incomingRequest`, `FlowService.start_request`), to
  the test number, from the campaign's sending number, with the row's other columns as
  `flow.data.<column>`;
- on the flow's published version (what the list would get), not the draft;
- as console sessions (console.py): their own session keys, a channel that sends
  nothing, the console's clock. So no message reaches Twilio, no campaign is recorded,
  and a real contact's execution (keyed by its address) is never met or blocked.

Each test contact is one `ConsoleSession`, so the person can reply as any of them and
the canvas lights up as the console always does. The list is read with campaigns.py's
own parsing and checks (imported, not copied), so a row means the same in both.
"""
from __future__ import annotations

import json

from .campaigns import (CampaignInputError, Campaigns, ContactList, contacts_from_csv, contacts_from_json,
                        contacts_from_text, parse_country, sending_address)
from .console import ConsoleError, ConsoleSession
from .conversation import DEFAULT_NUMBER
from .service import FlowService

MAX_TEST_CONTACTS = 5
MAX_SAMPLE = 256 * 1024        # characters of the list's beginning the panel sends to pick rows from
MAX_PARAMETERS = 32 * 1024     # one test contact's columns, as JSON
_FIELDS = {"file": "the CSV file", "numbers": "the pasted numbers", "from": "Send from",
           "country": "Numbers without + are in"}


def sample_rows(data) -> dict:
    """The first rows of a list (`{"csv": text}` or `{"numbers": text}`, the list's
    beginning when `partial`; `country` as a campaign's) to prefill the test numbers from: at most
    MAX_TEST_CONTACTS valid rows `{row, to, parameters}`, the columns, and how many
    rows of the sample were invalid (with the first few errors)."""
    data = data if isinstance(data, dict) else {}
    text, field = (data.get("csv"), "file") if data.get("csv") is not None else (data.get("numbers"), "numbers")
    if not isinstance(text, str) or not text.strip():
        raise ConsoleError("choose a CSV file or paste numbers first: the test numbers are taken from your list")
    if len(text) > MAX_SAMPLE:
        raise ConsoleError(f"{_FIELDS[field]}: send at most the first {MAX_SAMPLE // 1024} KB to pick test numbers from")
    if "\x00" in text:
        raise ConsoleError(f"{_FIELDS[field]}: it holds NUL characters, expected text")
    if field == "file" and data.get("partial") is True:
        text = _whole_records(text)
    try:
        country = parse_country(data.get("country"))
        contacts = contacts_from_csv(text.encode(), country) if field == "file" else contacts_from_text(text, country)
    except CampaignInputError as exc:
        raise ConsoleError(_words(exc)) from None
    rows = [{"row": row, "to": to, "parameters": parameters} for row, to, parameters in
            contacts.rows[:MAX_TEST_CONTACTS]]
    columns = list(dict.fromkeys(k for r in rows for k in r["parameters"]))
    return {"rows": rows, "columns": columns, "max": MAX_TEST_CONTACTS,
            "invalid": contacts.invalid[:3], "invalid_count": len(contacts.invalid)}


def trial_contacts(data) -> tuple[str, list[dict]]:
    """The sending number and the test contacts of a try (`{"from", "country", "contacts":
    [{to, parameters, row?}]}`), checked; ConsoleError names the test number and what is wrong."""
    data = data if isinstance(data, dict) else {}
    raw_from = data.get("from")
    try:
        country = parse_country(data.get("country"))
        from_ = DEFAULT_NUMBER if raw_from in (None, "") or (isinstance(raw_from, str) and not raw_from.strip()) \
            else sending_address(raw_from, country)
    except CampaignInputError as exc:
        raise ConsoleError(_words(exc)) from None
    items = data.get("contacts")
    if not isinstance(items, list) or not items:
        raise ConsoleError("add at least one test number")
    if len(items) > MAX_TEST_CONTACTS:
        raise ConsoleError(f"{len(items)} test numbers: try with at most {MAX_TEST_CONTACTS}")
    for n, item in enumerate(items, 1):
        if isinstance(item, dict):
            _check_parameters(n, item.get("parameters"))
    checked = contacts_from_json(items, country)
    if checked.invalid:
        bad = checked.invalid[0]
        raise ConsoleError(f"test number {bad['row']}: {bad['error']}")
    contacts, seen = [], {}
    for n, to, parameters in checked.rows:
        if to in seen:
            raise ConsoleError(f"test number {n} is the same as test number {seen[to]} ({to}): use different numbers")
        seen[to] = n
        row = items[n - 1].get("row")
        contacts.append({"to": to, "parameters": parameters,
                         "row": row if isinstance(row, int) and not isinstance(row, bool) else None})
    return from_, contacts


class Trial:
    """A try of a campaign: one console session per test contact (see the module docstring)."""

    def __init__(self, service: FlowService, flow_id: str, from_: str, contacts: list[dict]):
        self.flow_id, self.from_ = flow_id, from_
        self.contacts = contacts
        self.sessions = {f"t{n}": ConsoleSession(service, flow_id, contact=c["to"], number=from_, published=True)
                         for n, c in enumerate(contacts, 1)}
        self.notes = _would_skip(service, flow_id, contacts)

    def start(self) -> list[dict]:
        """Start every test contact as the campaign would; what each saw. Should one
        start fail, those already started are ended and the error is raised."""
        out = []
        try:
            for (key, session), contact, note in zip(self.sessions.items(), self.contacts, self.notes):
                report = session.act("start", dict(contact["parameters"]))
                out.append({"id": key, "to": contact["to"], "row": contact["row"],
                            "parameters": contact["parameters"], "skip": note, "report": report})
        except Exception:
            self.close("ended: the try could not start")
            raise
        return out

    def session(self, key) -> ConsoleSession:
        """The console session of test contact `key` (t1, t2...)."""
        found = self.sessions.get(key) if isinstance(key, str) else None
        if found is None:
            raise ConsoleError("that test number is not part of this try: start the try again")
        return found

    def close(self, reason: str = "ended: the test phone was closed") -> None:
        """End every test contact's active execution."""
        for session in self.sessions.values():
            session.close(reason)


def _would_skip(service: FlowService, flow_id: str, contacts: list[dict]) -> list[str | None]:
    """Why a real send would skip each test number now (opted out, already in an
    execution of this flow), by the campaign's own rules; None where it would not."""
    planned = Campaigns(service).plan(flow_id, ContactList(rows=[(n, c["to"], c["parameters"])
                                                                 for n, c in enumerate(contacts, 1)]))
    return [p["skip"] for p in planned]


def _whole_records(text: str) -> str:
    """A CSV cut off at some length, up to the end of its last whole record: the panel
    cuts at a line end, which may fall inside a quoted value that spans lines."""
    inside, kept, at = False, 0, 0
    for line in text.split("\n")[:-1]:
        at += len(line) + 1
        inside ^= line.count('"') % 2 == 1   # "" inside a quoted value counts twice: no change
        if not inside:
            kept = at
    return text[:kept] if kept else text


def _check_parameters(n: int, parameters) -> None:
    if parameters is None or not isinstance(parameters, dict):
        return   # contacts_from_json says what is wrong with it
    for key, value in parameters.items():
        if "\x00" in key or (isinstance(value, str) and "\x00" in value):
            raise ConsoleError(f"test number {n}: the column '{key.replace(chr(0), '')[:40]}' contains a NUL character")
    size = len(json.dumps(parameters, ensure_ascii=False))
    if size > MAX_PARAMETERS:
        raise ConsoleError(f"test number {n}: its columns are too large for a try ({size // 1024} KB; "
                           f"at most {MAX_PARAMETERS // 1024} KB)")


def _words(exc: CampaignInputError) -> str:
    """A campaign input error with the field named as the panel labels it."""
    where = _FIELDS.get(exc.field, exc.field)
    if exc.field == "from" and exc.message.startswith("from "):
        return f"{where}: {exc.message[len('from '):]}"
    return exc.message if exc.message.lower().startswith(where.lower()) else f"{where}: {exc.message}"
