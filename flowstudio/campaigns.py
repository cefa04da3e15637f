"""Campaigns: start a flow for a list of contacts, at a rate; and opt-outs.

A campaign is rows in the database (adapters/campaignstore.py), so it survives a
restart and is shared by every process. Each process runs a `CampaignRunner` (a
daemon thread, like the timer scheduler): it claims a small batch of contacts, starts
each at its slot (rate pacing) through the REST trigger path (`incomingRequest`,
`FlowService.start_request`), and records what became of it.

Exactly once: each contact's start carries an idempotency key,
`campaign:<id>:<row>`, saved with the new execution in the turn's one transaction
(the `turns.key` a retried webhook uses). A contact claimed again after its process
died is started with the same key: if the first start committed, the stored answer
comes back instead of a second execution, and the contact is recorded as started.

A contact is skipped (and counted) when it has an active execution of this flow,
when it opted out, or when it is a repeat of an earlier row of the same list.

Opt-outs: an inbound SMS to any flow whose whole body is one of Twilio's standard
opt-out words (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) records the sender as
opted out; START, UNSTOP or YES undo it.
"""
from __future__ import annotations

import codecs
import csv
import io
import logging
import math
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import phonenumbers

from .adapters.campaignstore import CANCELLABLE, LIVE, CampaignStore
from .adapters.store import iso_utc, utc
from .background import Background
from .repository import FlowUnavailable
from .service import ExecutionBusy

log = logging.getLogger("flowstudio.campaigns")

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})
KEYWORDS = OPT_OUT_WORDS | OPT_IN_WORDS
MAX_ROWS = 100_000
MAX_RATE = 1000.0                     # messages per second; Twilio's short codes do 100
# One a day: slower, and a contact's slot (1/rate seconds after the last) could lie
# beyond the calendar, failing every claim of the runner, for every campaign after it.
MIN_RATE = 1 / 86400
MAX_AHEAD = timedelta(days=366)       # a start time at most a year ahead
MAX_COLUMNS = 100
MAX_INVALID_LISTED = 1000
DEFAULT_RATE = 1.0                    # Twilio's long-code rate
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_SHORT_CODE = re.compile(r"[0-9]{5,6}")
_SHORTENED = re.compile(r"[0-9]+([.,][0-9]+)?[eE]\+?[0-9]+")   # Excel's 1.5555E+10
# what people put between digits: spaces (no-break, thin, narrow: digit grouping in some
# locales; zero-width, left by copying), hyphens and the dashes word processors make of them
# the two-letter codes of the countries libphonenumber knows ("001" is its non-geographic code)
_COUNTRIES = frozenset(r for r in phonenumbers.SUPPORTED_REGIONS if r.isalpha() and len(r) == 2)
_PUNCTUATION = str.maketrans("", "", " -.()\u00a0\t\u2007\u2009\u202f\u200b\ufeff\u2010\u2011\u2012\u2013\u2212")


class CampaignInputError(ValueError):
    """Bad campaign input; `field` names it (`from`, `rate`, `start_at`, `file`...)."""

    def __init__(self, field: str, message: str, **extra):
        super().__init__(message)
        self.field, self.message, self.extra = field, message, extra


@dataclass
class ContactList:
    """The rows of a list, checked: the valid ones (row number, address, parameters)
    and why the others are invalid."""

    rows: list[tuple[int, str, dict]] = field(default_factory=list)
    invalid: list[dict] = field(default_factory=list)


# ---------------------------------------------------------------- input


def normalise_address(text: str, country: str | None = None) -> str:
    """A contact's address as Twilio wants it (`+15555550142`, `whatsapp:+15555550142`);
    spaces, dashes, dots and brackets are dropped. With `country` (a code from
    `parse_country`), a number without + is read as that country's people write it
    ("(212) 555-0142" in the US) and must be a real number of it. Raises ValueError
    saying why not."""
    if not isinstance(text, str):
        raise ValueError("must be a phone number in text, like +15555550142")
    raw = shown = text.strip()   # quoted as written, without the \r a browser's form puts at line ends
    prefix = ""
    if raw.lower().startswith("whatsapp:"):
        prefix, raw = "whatsapp:", raw[len("whatsapp:"):]
    number = raw.translate(_PUNCTUATION)
    if not number:
        raise ValueError("is empty")
    if not _E164.fullmatch(number):
        if number.isdigit() and country:
            return prefix + _national(shown, number, country)
        if number.isdigit():
            # In words a person typing local numbers understands (not "E.164").
            raise ValueError(f"'{_short(shown)}' needs + and the country code in front (+1 for the US and Canada), "
                             f"like +15555550142")
        if _SHORTENED.fullmatch(raw):
            raise ValueError(f"'{_short(shown)}' is a number a spreadsheet shortened: format the column as text, "
                             "with the numbers written out like +15555550142, and save the file again")
        raise ValueError(f"'{_short(shown)}' is not a phone number like +15555550142 or whatsapp:+15555550142")
    return prefix + number


def _national(shown: str, digits: str, country: str) -> str:
    """`digits` (no +; `shown` as written) read as a number of `country`, in E.164;
    ValueError in plain words."""
    try:
        parsed = phonenumbers.parse(digits, country)
    except phonenumbers.NumberParseException:
        raise ValueError(f"'{_short(shown)}' is not a {country} phone number") from None
    if phonenumbers.is_valid_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:   # dialled within a town: 555-0147
        raise ValueError(f"'{_short(shown)}' is not a full {country} phone number: the area code is missing")
    if reason == phonenumbers.ValidationResult.TOO_SHORT:
        raise ValueError(f"'{_short(shown)}' is not a full {country} phone number: it has too few digits")
    if reason == phonenumbers.ValidationResult.INVALID_LENGTH:
        raise ValueError(f"'{_short(shown)}' has a wrong number of digits for a {country} phone number")
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        raise ValueError(f"'{_short(shown)}' has too many digits for a {country} phone number")
    # the right length, but no such number there (an area code not in use, say): most
    # often a number of another country, which needs its + and country code
    raise ValueError(f"'{_short(shown)}' is not a {country} phone number in use: check its digits (a number "
                     f"of another country needs + and its country code in front)")


def readable(address: str) -> str:
    """An address as people read it (`+1 212-555-0142`, `whatsapp:+33 6 12 34 56 78`):
    the same number, grouped the way its country groups it; as given when it is none."""
    prefix, number = ("whatsapp:", address[9:]) if address.startswith("whatsapp:") else ("", address)
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return address
    return prefix + phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def parse_country(value) -> str | None:
    """The country whose numbers are written without + (`country`: a two-letter code
    like US, GB or FR, any case), upper-cased; None when not given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    code = value.strip().upper() if isinstance(value, str) else None
    if code is None or code not in _COUNTRIES:
        raise CampaignInputError("country", f"country must be a two-letter country code like US, GB or FR, "
                                            f"not {_short(value)!r}")
    return code


def sending_address(value, country: str | None = None) -> str:
    """The `from` number: an E.164 number, a `whatsapp:` address or a short code (with
    `country`, also a number of it written without +)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CampaignInputError("from", "from is required: the number the flow sends from, e.g. +15555550100")
    if isinstance(value, str) and _SHORT_CODE.fullmatch(value.strip()):
        return value.strip()
    try:
        return normalise_address(value, country)
    except ValueError as exc:
        raise CampaignInputError("from", f"from {exc}") from None


def parse_rate(value) -> float:
    """Messages per second: at least MIN_RATE (one a day), at most MAX_RATE (default 1)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_RATE
    if isinstance(value, bool):
        raise CampaignInputError("rate", "rate must be a number of messages per second, not true or false")
    try:
        rate = float(value)
    except (TypeError, ValueError, OverflowError):
        raise CampaignInputError("rate", f"rate must be a number of messages per second, not {_short(value)!r}") from None
    if not math.isfinite(rate) or rate <= 0:
        raise CampaignInputError("rate", f"rate must be more than 0 messages per second, not {_short(value)}")
    if rate > MAX_RATE:
        raise CampaignInputError("rate", f"rate may be at most {MAX_RATE:g} messages per second, not {_short(value)}")
    if rate < MIN_RATE:
        raise CampaignInputError("rate", f"rate must be at least one message a day ({MIN_RATE:.7f} per second), "
                                         f"not {_short(value)}")
    return rate


def parse_start(value, now: datetime) -> datetime:
    """When to start: None (now) or an ISO 8601 time (UTC when it names no zone), at
    most a year ahead; a time already past means now."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return now
    if not isinstance(value, str):
        raise CampaignInputError("start_at", "start_at must be an ISO 8601 time like 2026-05-01T09:00:00Z, or null")
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CampaignInputError("start_at", f"start_at must be an ISO 8601 time like 2026-05-01T09:00:00Z, "
                                             f"not {_short(value)!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    # compared before converting to UTC: 0001-01-01T00:00+05:00 or 9999-12-31T23:00-05:00
    # in UTC lie outside the calendar (OverflowError); a difference never does
    ahead = when - now
    if ahead > MAX_AHEAD:
        raise CampaignInputError("start_at", f"start_at may be at most a year ahead, not {_short(value)}")
    return when.astimezone(timezone.utc) if ahead > timedelta(0) else now


def contacts_from_json(items, country: str | None = None) -> ContactList:
    """`[{"to": ..., "parameters": {...}}]`; rows are numbered from 1 in list order.
    With `country`, numbers without + are read as its numbers (see normalise_address)."""
    if not isinstance(items, list):
        raise CampaignInputError("contacts", "contacts must be a list of {\"to\": ..., \"parameters\": {...}}")
    _check_count(len(items), "contacts")
    out = ContactList()
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            out.invalid.append({"row": number, "error": "must be an object with to and parameters"})
            continue
        parameters = item.get("parameters") or {}
        if not isinstance(parameters, dict):
            out.invalid.append({"row": number, "error": "parameters must be an object (it becomes flow.data)"})
            continue
        _add(out, number, item.get("to"), parameters, country)
    return out


def contacts_from_csv(data: bytes, country: str | None = None) -> ContactList:
    """A CSV file with a `to` column; every other column becomes `flow.data.<column>`.
    Rows are numbered as a spreadsheet shows them (the header is row 1). Read as
    spreadsheets save lists: UTF-8 (with or without Excel's mark) or UTF-16 with its
    mark (Excel's "Unicode Text"), its values separated by commas, semicolons (Excel
    where the decimal mark is a comma) or tabs, whichever the header's `to` is found
    with; blank lines, and empty values past the header's columns, are passed over.
    With `country`, numbers without + are read as its numbers (see normalise_address)."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        header = next((row for row in reader if any(v.strip() for v in row)), None)
        if header is None:
            raise CampaignInputError("file", "the file is empty: expected a header line with a 'to' column")
        names = [h.strip() for h in header]
        if len(names) > MAX_COLUMNS:
            raise CampaignInputError("file", f"the file has {len(names)} columns; at most {MAX_COLUMNS}")
        lowered = [n.lower() for n in names]
        if "to" not in lowered:
            raise CampaignInputError("file", f"the header line has no 'to' column (it has: {', '.join(names)[:200]})")
        for name in names:
            if name and lowered.count(name.lower()) > 1:
                raise CampaignInputError("file", f"the header line names the column '{name[:50]}' twice")
        to_at = lowered.index("to")
        out = ContactList()
        count = 0
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue   # blank lines, as spreadsheets leave at the end
            count += 1
            _check_count(count, "file")
            if len(values) > len(names) and any(v.strip() for v in values[len(names):]):
                out.invalid.append({"row": line, "error": f"has {len(values)} values but the header has {len(names)}"})
                continue
            parameters = {names[i]: v for i, v in enumerate(values[:len(names)]) if i != to_at and names[i]}
            _add(out, line, values[to_at] if to_at < len(values) else "", parameters, country)
        return out
    except csv.Error as exc:
        raise CampaignInputError("file", f"line {reader.line_num}: not valid CSV: {exc}") from None


def _decode(data: bytes) -> str:
    """The file's text: UTF-16 when it starts with UTF-16's mark, else UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CampaignInputError("file", f"the file starts as UTF-16 text but is not (byte {exc.start}); "
                                             "save the list as CSV UTF-8") from None
    elif b"\x00" in data:
        raise CampaignInputError("file", "the file contains NUL bytes: expected a CSV text file (a UTF-16 file "
                                         "without its byte-order mark? save the list as CSV UTF-8)")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            # Excel on Windows saves "CSV (Comma delimited)" in the PC's own code page, which
            # cannot be told apart from the others with certainty on a short list: refused, not guessed
            raise CampaignInputError("file", f"line {line} has letters that are not saved as UTF-8 text (byte "
                                             f"{exc.start}), so they cannot be read for sure. In Excel, use File > "
                                             "Save As and choose \"CSV UTF-8 (Comma delimited)\"; Google Sheets' "
                                             "File > Download > CSV is already right") from None
    if "\x00" in text:
        raise CampaignInputError("file", "the file contains NUL characters: expected a CSV text file")
    return text


def _delimiter(text: str) -> str:
    """The separator with which the first line that is not blank has a `to` column
    (a comma when none has)."""
    for delimiter in (",", ";", "\t"):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next((row for row in reader if any(v.strip() for v in row)), [])
        except csv.Error:
            continue   # reported when the file is read with the comma
        if any(h.strip().lower() == "to" for h in header):
            return delimiter
    return ","


def contacts_from_text(text: str, country: str | None = None) -> ContactList:
    """Pasted numbers: one per line, or separated by commas or semicolons (with
    `country`, numbers without + are read as its numbers)."""
    if "\x00" in text:
        raise CampaignInputError("numbers", "numbers contains NUL characters")
    items = [p for p in re.split(r"[\n,;]+", text) if p.strip()]
    _check_count(len(items), "numbers")
    out = ContactList()
    for number, item in enumerate(items, 1):
        _add(out, number, item, {}, country)
    return out


def within_channel(contacts: ContactList, from_: str) -> ContactList:
    """The list without the rows whose message Twilio would refuse from `from_`, listed
    as invalid instead: a `whatsapp:` contact from an SMS number or the other way round
    (Twilio's error 21910: From and To of one channel), and the sending number itself
    (21266)."""
    whatsapp = from_.startswith("whatsapp:")
    out = ContactList(invalid=list(contacts.invalid))
    for row, address, parameters in contacts.rows:
        if address == from_:
            out.invalid.append({"row": row, "error": "to is the number the list is sent from"})
        elif address.startswith("whatsapp:") != whatsapp:
            kind = "an SMS number, not a WhatsApp address," if whatsapp else "a WhatsApp address"
            out.invalid.append({"row": row, "error": f"to {address} is {kind} but the list is sent from {from_}: "
                                                     "Twilio sends a message only within one channel"})
        else:
            out.rows.append((row, address, parameters))
    out.invalid.sort(key=lambda item: item["row"])
    return out


def _add(out: ContactList, row: int, to, parameters: dict, country: str | None = None) -> None:
    try:
        out.rows.append((row, normalise_address(to if to is not None else "", country), parameters))
    except ValueError as exc:
        out.invalid.append({"row": row, "error": f"to {exc}"})


def _check_count(count: int, name: str) -> None:
    if count > MAX_ROWS:
        raise CampaignInputError(name, f"at most {MAX_ROWS:,} contacts per campaign")


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------- campaigns


class CampaignNotFound(LookupError):
    """No such campaign of this flow."""


class CampaignStateError(Exception):
    """The campaign cannot do that in its current status (409)."""


class Campaigns:
    """Creating, reading and steering campaigns (the API's and the editor's way in)."""

    def __init__(self, service, store: CampaignStore | None = None):
        self.service = service
        self.store = store or CampaignStore(service.store)

    def plan(self, flow_id: str, contacts: ContactList) -> list[dict]:
        """Each valid row with what will happen to it: skipped (with why) or pending.
        Repeats of an earlier row, opted-out contacts and contacts with an active
        execution of this flow are skipped."""
        addresses = [a for _, a, _ in contacts.rows]
        opted = self.store.opted_out_among(sorted(set(addresses)))
        active = self.store.active_contacts(flow_id, sorted(set(addresses)))
        seen: dict[str, int] = {}
        planned = []
        for row, address, parameters in contacts.rows:
            reason = None
            if address in seen:
                reason = f"the same number as row {seen[address]}"
            elif address in opted:
                reason = "opted out (texted STOP)"
            elif address in active:
                reason = "already in an active execution of this flow"
            seen.setdefault(address, row)
            planned.append({"row": row, "to": address, "parameters": parameters, "skip": reason})
        return planned

    def create(self, flow_id: str, from_: str, rate: float, start_at: datetime, contacts: ContactList):
        """Record a new campaign; its rows are sent from `start_at` on. Repeats of an
        earlier row are recorded as skipped at once; opt-outs and active executions
        are checked again when each contact's turn comes."""
        now = self.service.clock()
        campaign_id = "CM" + uuid.uuid4().hex
        rows = []
        for item in self.plan(flow_id, contacts):
            repeat = item["skip"] if item["skip"] and item["skip"].startswith("the same number") else None
            rows.append({"row": item["row"], "address": item["to"], "parameters": item["parameters"],
                         "status": "skipped" if repeat else "pending", "reason": repeat, "updated_at": now})
        status = "scheduled" if start_at > now else "running"
        self.store.create({"id": campaign_id, "flow_id": flow_id, "from_address": from_, "rate": rate,
                           "status": status, "start_at": start_at, "next_at": start_at, "total": len(rows),
                           "created_at": now, "updated_at": now}, rows)
        return self.get(flow_id, campaign_id)

    def get(self, flow_id: str, campaign_id: str) -> dict:
        """A campaign with its counts (what the API shows)."""
        row = self.store.get(campaign_id)
        if row is None or row.flow_id != flow_id:
            raise CampaignNotFound(f"no campaign {campaign_id} of flow '{flow_id}'")
        return self.summary(row)

    def of_flow(self, flow_id: str) -> list[dict]:
        """A flow's campaigns, newest first."""
        return [self.summary(r) for r in self.store.of_flow(flow_id)]

    def summary(self, row) -> dict:
        """The API's view of a campaign row."""
        counts = self.store.counts(row.id)
        return {"id": row.id, "flow_id": row.flow_id, "status": row.status, "total": row.total,
                "started": counts.get("started", 0), "skipped": counts.get("skipped", 0),
                "failed": counts.get("failed", 0), "pending": counts.get("pending", 0) + counts.get("claimed", 0),
                "rate": row.rate, "from": row.from_address, "start_at": iso_utc(row.start_at),
                "created_at": iso_utc(row.created_at), "updated_at": iso_utc(row.updated_at)}

    def pause(self, flow_id: str, campaign_id: str) -> dict:
        """Stop sending until resumed (contacts being sent finish their turn)."""
        return self._move(flow_id, campaign_id, LIVE, "paused")

    def resume(self, flow_id: str, campaign_id: str) -> dict:
        """Send again, from the next contact, at the campaign's rate."""
        row = self._row(flow_id, campaign_id)
        now = self.service.clock()
        start = max(utc(row.start_at), now)
        return self._move(flow_id, campaign_id, ("paused",), "scheduled" if start > now else "running", start)

    def cancel(self, flow_id: str, campaign_id: str) -> dict:
        """Send no more (the contacts not yet sent stay counted as pending)."""
        return self._move(flow_id, campaign_id, CANCELLABLE, "cancelled")

    def _row(self, flow_id: str, campaign_id: str):
        row = self.store.get(campaign_id)
        if row is None or row.flow_id != flow_id:
            raise CampaignNotFound(f"no campaign {campaign_id} of flow '{flow_id}'")
        return row

    def _move(self, flow_id, campaign_id, allowed, status, next_at=None) -> dict:
        row = self._row(flow_id, campaign_id)
        if not self.store.set_status(campaign_id, allowed, status, self.service.clock(), next_at):
            current = self.store.status(campaign_id) or row.status
            raise CampaignStateError(f"campaign {campaign_id} is {current}: it cannot be {_verb(status)}")
        return self.get(flow_id, campaign_id)

def record_keyword(service, flow_id: str, params: dict) -> None:
    """Record an opt-out or opt-in if this inbound SMS (Twilio's parameters) is one of
    Twilio's words: the whole body, any case."""
    word = (params.get("Body") or "").strip().upper()
    sender = params.get("From") or ""
    if not sender or word not in KEYWORDS:
        return
    store = CampaignStore(service.store)
    if word in OPT_OUT_WORDS:
        store.opt_out(sender, flow_id, word, service.clock())
    else:
        store.opt_in(sender)


def _verb(status: str) -> str:
    return {"paused": "paused", "running": "resumed", "scheduled": "resumed", "cancelled": "cancelled"}[status]




# ---------------------------------------------------------------- the runner


class CampaignRunner(Background):
    """A daemon thread that sends campaigns' contacts at their rate (see the module
    docstring). `sleep` and the service's clock are replaceable for tests."""

    thread_name = "flowstudio-campaigns"

    # claim the next batch a little before its first slot: more than a polling interval
    # ahead, so a runner that polls finds it in time and the rate holds without gaps
    LOOKAHEAD = timedelta(milliseconds=300)
    WINDOW = timedelta(milliseconds=500)      # a batch covers this long at the campaign's rate
    LEASE = timedelta(seconds=10)             # a claim outlives its last slot by this much
    STATUS_EVERY = 0.25                       # seconds between checks for a pause or cancel mid-batch
    # Starts in flight at once. On SQLite turns take the process's turn gate one at a
    # time anyway: more threads would only queue ahead of other flows' webhooks.
    THREADS = {"sqlite": 1, "postgresql": 4}

    def __init__(self, service, campaigns: Campaigns, interval: float = 0.2, sleep=time.sleep):
        self.service = service
        self.campaigns = campaigns
        self.store = campaigns.store
        self.interval = interval
        self.sleep = sleep
        super().__init__()
        threads = self.THREADS["postgresql" if service.store.is_postgres else "sqlite"]
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="flowstudio-campaign-start")

    def run_once(self) -> int:
        """Claim one batch and start its contacts, each at its slot; how many were handled.

        Starts are handed to a few threads at their slots, so a slow start (an HTTP
        widget, a loaded database) does not push back the next one; what became of each
        contact is written once for the batch. Should the process die before that
        write, the contacts are claimed again later and their starts, already saved
        under their keys, come back as they were (exactly once)."""
        claim = self.store.claim(self.service.clock(), self.LOOKAHEAD, self.WINDOW, self.LEASE)
        if claim is None:
            return 0
        campaign = claim.campaign
        opted = self.store.opted_out_among(sorted({c.address for c in claim.contacts}))
        outcomes, futures, checked = [], [], None
        try:
            for i, (contact, slot) in enumerate(zip(claim.contacts, claim.slots)):
                wait = (slot - self.service.clock()).total_seconds()
                if wait > 0:
                    self.sleep(wait)
                now = self.service.clock()
                if checked is None or (now - checked).total_seconds() >= self.STATUS_EVERY:
                    checked = now
                    live = not self._stop.is_set() and self.store.status(campaign.id) in LIVE
                    if not live:
                        # paused, cancelled or stopping: the rest go back, for whoever sends next
                        self.store.release(campaign.id, [c.row for c in claim.contacts[i:]], self.service.clock())
                        break
                if contact.address in opted:
                    outcomes.append((contact.row, "skipped", None, "opted out (texted STOP)"))
                    continue
                futures.append(self._pool.submit(self.start_contact, campaign, contact))
            outcomes += [f.result() for f in futures]
        finally:
            if outcomes:
                self.store.finish_many(campaign.id, outcomes, self.service.clock())
        return len(outcomes)

    def start_contact(self, campaign, contact) -> tuple:
        """Start one contact exactly once: (row, status, execution id, reason)."""
        key = f"campaign:{campaign.id}:{contact.row}"
        try:
            result = self.service.start_request(campaign.flow_id, contact.address, campaign.from_address,
                                                dict(contact.parameters or {}), key=key)
        except ExecutionBusy:
            return contact.row, "skipped", None, "already in an active execution of this flow"
        except FlowUnavailable as exc:
            return contact.row, "failed", None, str(exc)[:1000]
        except Exception as exc:  # noqa: BLE001 - one contact's failure must not stop the campaign
            log.exception("campaign %s: starting row %s failed", campaign.id, contact.row)
            return contact.row, "failed", None, f"{type(exc).__name__}: {exc}"[:1000]
        return contact.row, "started", result.execution_id, None

    def _loop(self) -> None:
        while not self._stop.is_set():
            handled = 0
            try:
                handled = self.run_once()
            except Exception:  # noqa: BLE001 - a failing round must not kill the runner
                log.exception("sending campaigns failed; trying again in %.1f s", self.interval)
            if not handled:
                self._stop.wait(self.interval)
