"""`flowstudio twilio pull/push/status`: the flows folder and a Twilio Studio account, in step.

A local flow and a Studio flow are the same flow when the file records the Studio
flow's SID (`sid:`). They are compared by their Studio definitions (spec/studio.py's
export of the file against Studio's newest published revision, each through the same
conversion, which is exact both ways) and their names.

What was in step at the last pull or push is kept in `<flows>/.twilio-sync.json`
(per SID: the file, the Studio revision, a hash of the definition), so `status` can
tell a flow changed here from one changed in Studio, and neither `pull` nor `push`
overwrites a change it has not seen: a flow changed on both sides is refused unless
`--force` says which side wins. The record is a hidden file, which the server does not
serve; commit it with the flows.

Push checks before it sends: every flow it would send must validate (as `flowstudio
validate`) and the flow tests of those flows, and of the flows that run them as subflows,
must pass (as `flowstudio test`); otherwise nothing is sent. `--dry-run` shows, per flow,
the diff of Studio's definition against the one that would be sent, and sends nothing.

Studio is reached through the official `twilio` package's `Client`, with the account's
`TWILIO_ACCOUNT_SID` and `TWILIO_AUTH_TOKEN`, or an API key (`TWILIO_API_KEY`,
`TWILIO_API_SECRET`) with the account SID; `studio_url` replaces Studio's address
(another FlowStudio's `/v2` API answers the same, as does the tests' fake of Studio).
A 429 is retried after a pause growing each time (`BACKOFF`), then reported. A failure
that concerns one flow (reading it, Studio refusing its definition) is reported for that
flow and the others go on; files and the record are written atomically, and only for a
flow whose pull or push fully succeeded.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .repository import FLOW_ID
from .spec.flowfile import dump_flow, is_test_file, load_flow_file, load_flow_text, write_atomic
from .spec.flowindex import is_flow_sid
from .spec.issues import FlowLoadError
from .spec.model import Flow
from .spec.studio import StudioFormatError, from_studio, to_studio

RECORD = ".twilio-sync.json"
HISTORY = 50               # commits of a flow file searched for the version Studio has (see compare)
BACKOFF = (1.0, 2.0, 4.0)   # seconds before each retry of a request Studio answered 429
TIMEOUT = 30.0              # seconds a request may take: a Studio that stops answering must not hang CI

IN_SYNC, LOCAL_ONLY, REMOTE_ONLY = "in sync", "only here", "only in Studio"
CHANGED_HERE, CHANGED_THERE, CHANGED_BOTH, DIFFERENT = \
    "changed here", "changed in Studio", "changed on both sides", "different (never synced)"
UNREADABLE = "not read from Studio"


class SyncError(Exception):
    """Something that stops a command as a whole (no credentials, Studio unreachable)."""


@dataclass
class Local:
    """A flow file of the folder."""

    flow_id: str
    path: Path
    flow: Flow | None
    problem: str | None = None


@dataclass
class Remote:
    """A Studio flow: its SID, name, newest revision number and published definition."""

    sid: str
    name: str
    revision: int
    definition: dict | None
    problem: str | None = None   # why it could not be read (its row then says so)


@dataclass
class Row:
    """One flow's state for `status`, and what pull/push would do with it."""

    state: str
    flow_id: str | None = None
    sid: str | None = None
    name: str | None = None
    note: str = ""
    local: Local | None = field(default=None, repr=False)
    remote: Remote | None = field(default=None, repr=False)


def definition_hash(definition: dict) -> str:
    """A hash of a Studio definition, independent of key order."""
    return hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class Studio:
    """The Studio flows of one account, through the `twilio` client."""

    def __init__(self, account_sid: str | None, auth_token: str | None, studio_url: str | None = None,
                 api_key: str | None = None, api_secret: str | None = None):
        if api_key or api_secret:
            if not (api_key and api_secret and account_sid):
                raise SyncError("an API key needs TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_ACCOUNT_SID (the "
                                "account it belongs to), or --api-key, --api-secret and --account-sid")
        elif not account_sid or not auth_token:
            raise SyncError("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the Studio account to pull from and "
                            "push to), or TWILIO_API_KEY and TWILIO_API_SECRET with TWILIO_ACCOUNT_SID, or give "
                            "--account-sid and --auth-token")
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        http = TwilioHttpClient(timeout=TIMEOUT)
        if api_key:   # as the twilio package takes an API key: user name the key, password its secret
            self.client = Client(api_key, api_secret, account_sid=account_sid, http_client=http)
        else:
            self.client = Client(account_sid, auth_token, http_client=http)
        if studio_url:
            self.client.studio.base_url = studio_url.rstrip("/")
        self.v2 = self.client.studio.v2
        self.known: dict[str, Remote] = {}   # every flow of the account, as `flows` last read them

    def flows(self) -> dict[str, Remote]:
        """Every flow of the account, by SID, with its published definition; a flow that
        cannot be read carries the reason (`problem`) instead."""
        out = self.known = {}
        for f in self._call(lambda: self.v2.flows.list()):
            try:
                out[f.sid] = self.flow(f.sid, f.friendly_name, f.revision)
            except SyncError as exc:
                out[f.sid] = Remote(f.sid, f.friendly_name or f.sid, int(f.revision or 0), None, str(exc))
        return out

    def flow(self, sid: str, name: str | None = None, revision: int | None = None) -> Remote:
        """One flow, with the definition of its newest published revision (what runs)."""
        if name is None:
            fetched = self._call(lambda: self.v2.flows(sid).fetch())
            name, revision = fetched.friendly_name, fetched.revision
        published = self._call(lambda: self.v2.flows(sid).revisions("LatestPublished").fetch(), missing_ok=True)
        definition = published.definition if published is not None else None   # None: never published
        return Remote(sid, name or sid, int(revision or 0), definition)

    def create(self, name: str, definition: dict, status: str = "published", message: str | None = None) -> Remote:
        """A new Studio flow (`status` published or draft)."""
        f = self._call(lambda: self.v2.flows.create(friendly_name=name, status=status, definition=definition,
                                                    **_commit(message)))
        return Remote(f.sid, f.friendly_name, int(f.revision or 0), f.definition)

    def update(self, sid: str, name: str, definition: dict, status: str = "published",
               message: str | None = None) -> Remote:
        """A new revision of a Studio flow, published or a draft."""
        f = self._call(lambda: self.v2.flows(sid).update(status=status, friendly_name=name,
                                                         definition=definition, **_commit(message)))
        return Remote(f.sid, f.friendly_name, int(f.revision or 0), f.definition)

    @staticmethod
    def _call(action, missing_ok: bool = False):
        """Run one request; retry a 429 after BACKOFF's pauses; any other failure is a SyncError
        saying what Studio answered (`missing_ok`: a 404 is None)."""
        from twilio.base.exceptions import TwilioException, TwilioRestException

        for pause in (*BACKOFF, None):
            try:
                return action()
            except TwilioRestException as exc:
                if exc.status == 404 and missing_ok:
                    return None
                if exc.status == 429 and pause is not None:
                    _pause(pause)
                    continue
                raise SyncError(_message(exc)) from None
            except TwilioException as exc:   # a list page that failed: ('Unable to fetch page', response)
                response = exc.args[-1] if exc.args else None
                if getattr(response, "status_code", None) == 429 and pause is not None:
                    _pause(pause)
                    continue
                raise SyncError(_page_message(response, exc)) from None
            except OSError as exc:   # requests' connection errors are OSErrors
                raise SyncError(f"cannot reach Studio: {exc}") from None


def _pause(seconds: float) -> None:
    """Wait before retrying (a function of its own so the tests need not wait)."""
    time.sleep(seconds)


def _commit(message: str | None) -> dict:
    # Studio's CommitMessage is optional: none is sent rather than an empty one
    return {"commit_message": message} if message else {}


def _page_message(response, exc) -> str:
    """What Studio answered to a list request, from Twilio's error body when there is one."""
    status = getattr(response, "status_code", None)
    try:
        body = json.loads(response.text)
        return f"Studio answered {status} (code {body.get('code')}): {body.get('message')}"
    except (AttributeError, TypeError, ValueError):
        return f"Studio refused the request: {status or exc}"


def _message(exc) -> str:
    details = exc.details if isinstance(getattr(exc, "details", None), dict) else {}
    problems = "; ".join(e.get("message", "") + (f" (at {e['property_path']})" if e.get("property_path") else "")
                         for e in (details.get("errors") or [])[:5] if isinstance(e, dict))
    said = re.sub(r"^Unable to \w+ record: ", "", str(exc.msg))   # the client's prefix to Studio's message
    if exc.status == 429:
        return f"Studio answered 429 (code {exc.code}): {said}, still after {len(BACKOFF)} retries"
    return f"Studio answered {exc.status} (code {exc.code}): {said}" + (f": {problems}" if problems else "")


class Folder:
    """The flows folder and its sync record."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise SyncError(f"{self.directory} is not a folder of flows")
        self.record_path = self.directory / RECORD
        self.record = self._read_record()

    def flows(self) -> dict[str, Local]:
        """The flows the server would serve: `<id>.yaml` directly in the folder."""
        out = {}
        for path in sorted(self.directory.glob("*.yaml")):
            if is_test_file(path) or not FLOW_ID.fullmatch(path.stem):
                continue
            try:
                data = load_flow_file(path).data
                out[path.stem] = Local(path.stem, path, Flow.from_data(data))
            except (FlowLoadError, KeyError, TypeError, AttributeError, ValueError) as exc:
                out[path.stem] = Local(path.stem, path, None, f"cannot be read: {exc}".splitlines()[0])
        return out

    def sids(self, flows: dict[str, Local]) -> dict[str, str]:
        """Flow id -> recorded SID."""
        return {i: f.flow.sid for i, f in flows.items() if f.flow is not None and is_flow_sid(f.flow.sid)}

    def remember(self, sid: str, flow_id: str, revision: int, definition: dict, draft: bool = False) -> None:
        """Record that this flow and Studio's agree now (Studio's newest revision is this
        flow; with `draft`, as a draft not yet published)."""
        entry = {"file": f"{flow_id}.yaml", "revision": revision, "definition": definition_hash(definition)}
        self.record.setdefault("flows", {})[sid] = entry | ({"draft": True} if draft else {})
        write_atomic(self.record_path, json.dumps(self.record, indent=2, sort_keys=True) + "\n")

    def write_flow(self, flow_id: str, flow: Flow) -> Path:
        """Write a flow file in canonical form."""
        path = self.directory / f"{flow_id}.yaml"
        write_atomic(path, dump_flow(flow))
        return path

    def record_sid(self, local: Local, sid: str) -> None:
        """Write `sid: …` into a flow file, leaving the rest of it (comments, layout) as it is."""
        text = local.path.read_text(encoding="utf-8")
        line = f"sid: {sid}\n"
        match = re.search(r"^spec_version:.*\n", text, re.MULTILINE)
        new = text[:match.end()] + line + text[match.end():] if match else line + text
        write_atomic(local.path, new)
        if load_flow_file(local.path).data.get("sid") != sid:   # an unusual file: write it canonically
            local.flow.sid = sid
            write_atomic(local.path, dump_flow(local.flow))
        local.flow.sid = sid

    def new_id(self, name: str) -> str:
        """A free file name for a flow pulled from Studio."""
        base = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")[:90] or "flow"
        candidate, n = base, 1
        while (self.directory / f"{candidate}.yaml").exists():
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def _read_record(self) -> dict:
        try:
            data = json.loads(self.record_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"flows": {}}
        except (OSError, ValueError) as exc:
            raise SyncError(f"{self.record_path} cannot be read ({exc}): fix or delete it (status then treats "
                            "every flow as never synced)") from None
        return data if isinstance(data, dict) and isinstance(data.get("flows"), dict) else {"flows": {}}


def studio_definition(local: Local, sids: dict[str, str]) -> dict:
    """The Studio definition of a local flow (Run Subflow by SID, as Studio names them)."""
    return to_studio(local.flow, sids)


def normalized(remote: Remote) -> dict | None:
    """Studio's definition through the same conversion as the local one (exact both ways)."""
    if remote.definition is None:
        return None
    try:
        return to_studio(from_studio(remote.definition, remote.name))
    except StudioFormatError:
        return remote.definition


def compare(folder: Folder, studio: Studio, only: set[str] | None = None) -> list[Row]:
    """Every flow here and in Studio, paired by SID, with its state."""
    locals_ = folder.flows()
    sids = folder.sids(locals_)
    remotes = studio.flows()
    record = folder.record.get("flows", {})
    rows, seen = [], set()
    for flow_id, local in locals_.items():
        sid = sids.get(flow_id)
        names = {flow_id, sid, local.flow.name if local.flow else None, remotes[sid].name if sid in remotes else None}
        if only and not names & only:
            continue
        if local.flow is None:
            rows.append(Row(LOCAL_ONLY, flow_id, None, None, local.problem or "", local=local))
            continue
        remote = remotes.get(sid) if sid else None
        if remote is None:
            note = "records a SID this Studio account does not have" if sid else ""
            rows.append(Row(LOCAL_ONLY, flow_id, sid, local.flow.name, note, local=local))
            continue
        seen.add(sid)
        if remote.problem:
            rows.append(Row(UNREADABLE, flow_id, sid, local.flow.name, remote.problem, local=local, remote=remote))
            continue
        mine, theirs = studio_definition(local, sids), normalized(remote)
        same = theirs is not None and definition_hash(mine) == definition_hash(theirs) and \
            local.flow.name == remote.name
        kept = record.get(sid)
        note = ""
        if same:
            state = IN_SYNC
        elif kept is None:
            state = DIFFERENT
        else:
            here = definition_hash(mine) != kept.get("definition")
            there = remote.revision != kept.get("revision")
            state = CHANGED_BOTH if here and there else CHANGED_THERE if there else CHANGED_HERE
            if not here and not there and kept.get("draft"):
                note = "pushed as a draft, not published in Studio"
        if state in (CHANGED_BOTH, DIFFERENT) and theirs is not None and \
                _committed_here(local.path, definition_hash(theirs), sids):
            # Studio runs an earlier committed version of this file: pushed from another checkout
            # (CI, say) whose record was not committed. Nothing changed in Studio.
            state, note = CHANGED_HERE, "Studio has an earlier committed version of this file"
        rows.append(Row(state, flow_id, sid, local.flow.name, note, local=local, remote=remote))
    for sid, remote in remotes.items():
        if sid in seen or (only and not {sid, remote.name} & only):
            continue
        rows.append(Row(UNREADABLE if remote.problem else REMOTE_ONLY, None, sid, remote.name, remote.problem or "",
                        remote=remote))
    return rows


def pull(folder: Folder, studio: Studio, only: set[str] | None, force: bool) -> tuple[list[str], list[str]]:
    """Bring Studio's published flows into the folder; (done, refused) as lines."""
    done, refused = [], []
    rows = compare(folder, studio, only)
    refused += _unknown(only, rows)
    for row in rows:
        if row.state == UNREADABLE:
            refused.append(f"{row.name} ({row.sid}): {row.note}")
            continue
        if row.remote is None or row.state == IN_SYNC:
            if row.state == IN_SYNC and row.remote is not None:
                folder.remember(row.sid, row.flow_id, row.remote.revision, normalized(row.remote))
            continue
        if row.remote.definition is None:
            refused.append(f"{row.name} ({row.sid}): never published in Studio; nothing to pull")
            continue
        if row.state in (CHANGED_HERE, CHANGED_BOTH, DIFFERENT) and not force:
            refused.append(f"{row.flow_id}.yaml: {row.state}; pull would overwrite it (push it, or pull "
                           "--force to take Studio's version)")
            continue
        try:
            flow = from_studio(row.remote.definition, row.remote.name)
        except StudioFormatError as exc:
            refused.append(f"{row.name} ({row.sid}): Studio's definition cannot be read: {exc}")
            continue
        flow.sid = row.sid
        flow_id = row.flow_id or folder.new_id(row.remote.name)
        try:
            path = folder.write_flow(flow_id, flow)
            folder.remember(row.sid, flow_id, row.remote.revision, normalized(row.remote))
        except OSError as exc:
            refused.append(f"{flow_id}.yaml: cannot be written: {exc}")
            continue
        done.append(f"pulled {row.name} ({row.sid}, revision {row.remote.revision}) into {path}")
    return done, refused


def push(folder: Folder, studio: Studio, only: set[str] | None, force: bool, *, draft: bool = False,
         message: str | None = None, dry_run: bool = False) -> tuple[list[str], list[str]]:
    """Send the folder's flows to Studio, published (or as drafts); (done, refused) as lines.

    Nothing is sent unless every flow to send validates and its flow tests pass; with
    `dry_run`, each flow's change is shown as a diff and nothing is sent or written."""
    done, refused = [], []
    rows = compare(folder, studio, only)
    refused += _unknown(only, rows)
    rows = [r for r in rows if r.local is not None]
    # children first: a Run Subflow names its child by SID, which a new child gets when created
    rows.sort(key=lambda r: _depth(r.local, {x.flow_id: x.local for x in rows}, set()))
    plan = []
    for row in rows:
        local = row.local
        if local.flow is None:
            refused.append(f"{local.path}: {local.problem}")
        elif row.state == UNREADABLE:
            refused.append(f"{row.flow_id}.yaml: {row.note}")
        elif row.state == IN_SYNC:
            if not dry_run:
                folder.remember(row.sid, row.flow_id, row.remote.revision, normalized(row.remote))
        elif row.state in (CHANGED_THERE, CHANGED_BOTH, DIFFERENT) and not force:
            refused.append(f"{row.flow_id}.yaml: {row.state}; push would overwrite Studio's version (pull it, or "
                           "push --force to replace it)")
        elif row.state == LOCAL_ONLY and row.sid:
            refused.append(f"{row.flow_id}.yaml: records {row.sid}, which this Studio account does not have "
                           "(remove its `sid:` line to create it anew)")
        elif row.state == LOCAL_ONLY and not force and (twin := _unclaimed_twin(row, studio, rows)):
            refused.append(f"{row.flow_id}.yaml: Studio already has a flow named {twin.name!r} ({twin.sid}) that no "
                           f"file here records; pull it, or write `sid: {twin.sid}` into the file, or push --force "
                           "to create another")
        else:
            plan.append(row)
    failures = preflight(folder, [r.local for r in plan]) if plan else []
    if failures:
        refused += failures + [f"nothing pushed: {len(failures)} check(s) failed (fix them, then push again)"]
        return done, refused
    if dry_run:
        sids = folder.sids(folder.flows())
        for row in plan:
            done.append(_planned_change(row, studio_definition(row.local, sids)))
        return done, refused
    status = "draft" if draft else "published"
    for row in plan:
        local = row.local
        sids = folder.sids(folder.flows())   # again: a child created just now has its SID
        definition = studio_definition(local, sids)
        try:
            if row.sid:
                remote = studio.update(row.sid, local.flow.name, definition, status, message)
                what = "pushed a draft of" if draft else "published"
            else:
                remote = studio.create(local.flow.name, definition, status, message)
                what = "created (as a draft)" if draft else "created"
                folder.record_sid(local, remote.sid)
            folder.remember(remote.sid, row.flow_id, remote.revision, definition, draft)
        except SyncError as exc:
            refused.append(f"{row.flow_id}.yaml: {exc}")
            continue
        except OSError as exc:
            refused.append(f"{row.flow_id}.yaml: sent, but cannot be written here: {exc}")
            continue
        done.append(f"{what} {local.flow.name} ({remote.sid}, revision {remote.revision}) from {local.path}")
    return done, refused


def _unclaimed_twin(row: Row, studio: Studio, rows: list[Row]) -> Remote | None:
    """A Studio flow of the same name as a flow about to be created, that no file records:
    most likely this flow, created by a push whose SID was not kept (a CI checkout)."""
    claimed = {r.sid for r in rows if r.local is not None and r.sid}
    return next((r for r in studio.known.values() if r.name == row.local.flow.name and r.sid not in claimed), None)


def _committed_here(path: Path, target: str, sids: dict[str, str]) -> bool:
    """Whether a committed version of the flow file (among its last HISTORY commits) has
    the Studio definition whose hash is `target`."""
    for text in committed_versions(path, HISTORY):
        try:
            flow = Flow.from_data(load_flow_text(text, str(path)).data)
            if definition_hash(to_studio(flow, sids)) == target:
                return True
        except (FlowLoadError, KeyError, TypeError, AttributeError, ValueError):
            continue   # a version that does not read: not the one Studio has
    return False


def committed_versions(path: Path, limit: int):
    """The texts of a file in the last `limit` commits that changed it, newest first;
    nothing outside a git repository."""
    def git(*args):
        return subprocess.run(["git", "-C", str(path.parent), *args], capture_output=True, text=True, timeout=30)

    try:
        log = git("log", f"-{limit}", "--format=%H", "--", path.name)
        if log.returncode != 0:
            return
        for commit in log.stdout.split():
            shown = git("show", f"{commit}:./{path.name}")
            if shown.returncode == 0:
                yield shown.stdout
    except (OSError, subprocess.SubprocessError):
        return


def _unknown(only: set[str] | None, rows: list[Row]) -> list[str]:
    """A line for each name given that is no flow here (id or name) nor in Studio (SID or name)."""
    known = {r.flow_id for r in rows} | {r.sid for r in rows} | {r.name for r in rows} | \
        {r.remote.name for r in rows if r.remote is not None}
    return [f"{name}: no flow of that id or name here nor of that SID or name in Studio"
            for name in sorted((only or set()) - known)]


def _planned_change(row: Row, definition: dict) -> str:
    """What push would do to one flow: "new flow", or a unified diff of the definitions."""
    local = row.local
    if not row.sid:
        return f"{local.path}: new flow {local.flow.name!r} (would be created)"
    current = normalized(row.remote)
    before = json.dumps(current, indent=2, sort_keys=True, ensure_ascii=False).splitlines() if current else []
    after = json.dumps(definition, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    label = f"Studio {row.sid} revision {row.remote.revision}" + ("" if current else " (never published)")
    diff = difflib.unified_diff(before, after, label, str(local.path), lineterm="")
    head = f"{local.path}: would update {row.sid}"
    if row.remote.name != local.flow.name:
        head += f" (name {row.remote.name!r} -> {local.flow.name!r})"
    return head + "\n" + "\n".join(diff)


def preflight(folder: Folder, flows: list[Local]) -> list[str]:
    """The checks push makes first, one line per failure: each flow validates (errors,
    not warnings, as `flowstudio validate` exits), and the flow tests of these flows and
    of the flows that run them as subflows pass (as `flowstudio test`)."""
    from .flowtests import FlowTestError, flow_test_files, run_file
    from .spec.flowindex import FlowIndex
    from .spec.validate import validate_document

    failures = []
    known = FlowIndex.of_folder(folder.directory)
    for local in flows:
        try:
            issues = validate_document(load_flow_file(local.path), known)
        except FlowLoadError as exc:
            issues = exc.issues
        errors = [i for i in issues if i.is_error]
        if errors:
            failures.append(f"{local.flow_id}.yaml: does not validate: " + "; ".join(i.format() for i in errors[:5]))
    tested = _with_parents(folder, {f.flow_id for f in flows})
    for path in flow_test_files([folder.directory]):
        if path.parent != folder.directory or _tested_flow(path) not in tested:
            continue
        try:
            results = run_file(path)
        except FlowTestError as exc:
            failures.append(f"{path.name}: cannot run: {exc}")
            continue
        for result in results:
            if not result.passed:
                first = result.failures[0].splitlines()[0]
                failures.append(f"{path.name}: test {result.name!r} fails: {first}")
    return failures


def _tested_flow(path: Path) -> str:
    """The flow a test file tests: its `flow:`, else its name (as flowtests reads it)."""
    from .spec.yamlio import load_yaml

    try:
        data = load_yaml(path.read_bytes(), str(path)).data
        return data.get("flow") or path.name[: -len(".test.yaml")]
    except (FlowLoadError, OSError, AttributeError):
        return path.name[: -len(".test.yaml")]   # run it: it then reports why it cannot be read


def _with_parents(folder: Folder, ids: set[str]) -> set[str]:
    """`ids` and every flow of the folder that runs one of them as a subflow, at any depth."""
    flows = folder.flows()
    by_sid = {sid: i for i, sid in folder.sids(flows).items()}
    children = {i: {by_sid.get(c, c) for c in (w.properties.get("flow_sid") for w in f.flow.widgets
                                               if w.type == "run-subflow") if isinstance(c, str)}
                for i, f in flows.items() if f.flow is not None}
    out = set(ids)
    while True:
        more = {i for i, kids in children.items() if i not in out and kids & out}
        if not more:
            return out
        out |= more


def last_commit_subject(directory: Path) -> str | None:
    """The subject of the last commit of the git repository holding `directory`; None
    when it is not in one (or git is missing)."""
    try:
        done = subprocess.run(["git", "-C", str(directory), "log", "-1", "--format=%s"], capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def _depth(local: Local | None, by_id: dict, seen: set) -> int:
    """How deep a flow's Run Subflow children go among the flows pushed (cycles stop)."""
    if local is None or local.flow is None or local.flow_id in seen:
        return 0
    seen = seen | {local.flow_id}
    children = [w.properties.get("flow_sid") for w in local.flow.widgets if w.type == "run-subflow"]
    return max([1 + _depth(by_id.get(c), by_id, seen) for c in children if c in by_id] or [0])
