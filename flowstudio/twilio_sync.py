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

Studio is reached through the official `twilio` package's `Client`, with the account's
`TWILIO_ACCOUNT_SID` and `TWILIO_AUTH_TOKEN`; `studio_url` replaces Studio's address
(another FlowStudio's `/v2` API answers the same, which is how the tests run it).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .repository import FLOW_ID
from .spec.flowfile import dump_flow, is_test_file, load_flow_file, write_atomic
from .spec.flowindex import is_flow_sid
from .spec.issues import FlowLoadError
from .spec.model import Flow
from .spec.studio import StudioFormatError, from_studio, to_studio

RECORD = ".twilio-sync.json"
COMMIT_MESSAGE = "Pushed from FlowStudio"

IN_SYNC, LOCAL_ONLY, REMOTE_ONLY = "in sync", "only here", "only in Studio"
CHANGED_HERE, CHANGED_THERE, CHANGED_BOTH, DIFFERENT = \
    "changed here", "changed in Studio", "changed on both sides", "different (never synced)"


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

    def __init__(self, account_sid: str | None, auth_token: str | None, studio_url: str | None = None):
        if not account_sid or not auth_token:
            raise SyncError("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the Studio account to pull from and "
                            "push to), or give --account-sid and --auth-token")
        from twilio.rest import Client

        self.client = Client(account_sid, auth_token)
        if studio_url:
            self.client.studio.base_url = studio_url.rstrip("/")
        self.v2 = self.client.studio.v2

    def flows(self) -> dict[str, Remote]:
        """Every flow of the account, by SID, with its published definition."""
        out = {}
        for f in self._call(lambda: self.v2.flows.list()):
            out[f.sid] = self.flow(f.sid, f.friendly_name, f.revision)
        return out

    def flow(self, sid: str, name: str | None = None, revision: int | None = None) -> Remote:
        """One flow, with the definition of its newest published revision (what runs)."""
        from twilio.base.exceptions import TwilioRestException

        if name is None:
            fetched = self._call(lambda: self.v2.flows(sid).fetch())
            name, revision = fetched.friendly_name, fetched.revision
        try:
            published = self.v2.flows(sid).revisions("LatestPublished").fetch()
            definition = published.definition
        except TwilioRestException as exc:
            if exc.status != 404:
                raise SyncError(_message(exc)) from None
            definition = None   # never published
        return Remote(sid, name or sid, int(revision or 0), definition)

    def create(self, name: str, definition: dict) -> Remote:
        """A new published Studio flow."""
        f = self._call(lambda: self.v2.flows.create(friendly_name=name, status="published", definition=definition,
                                                    commit_message=COMMIT_MESSAGE))
        return Remote(f.sid, f.friendly_name, int(f.revision or 0), f.definition)

    def update(self, sid: str, name: str, definition: dict) -> Remote:
        """Publish a new revision of a Studio flow."""
        f = self._call(lambda: self.v2.flows(sid).update(status="published", friendly_name=name,
                                                         definition=definition, commit_message=COMMIT_MESSAGE))
        return Remote(f.sid, f.friendly_name, int(f.revision or 0), f.definition)

    @staticmethod
    def _call(action):
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            return action()
        except TwilioRestException as exc:
            raise SyncError(_message(exc)) from None
        except TwilioException as exc:   # a list page that failed: ('Unable to fetch page', response)
            raise SyncError(f"Studio refused the request: {exc.args[-1] if exc.args else exc}") from None
        except OSError as exc:   # requests' connection errors are OSErrors
            raise SyncError(f"cannot reach Studio: {exc}") from None


def _message(exc) -> str:
    details = exc.details if isinstance(getattr(exc, "details", None), dict) else {}
    problems = "; ".join(e.get("message", "") for e in (details.get("errors") or [])[:5] if isinstance(e, dict))
    return f"Studio answered {exc.status} (code {exc.code}): {exc.msg}" + (f": {problems}" if problems else "")


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

    def remember(self, sid: str, flow_id: str, revision: int, definition: dict) -> None:
        """Record that this flow and Studio's agree now."""
        self.record.setdefault("flows", {})[sid] = {"file": f"{flow_id}.yaml", "revision": revision,
                                                    "definition": definition_hash(definition)}
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
        if only and flow_id not in only and sid not in only:
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
        mine, theirs = studio_definition(local, sids), normalized(remote)
        same = theirs is not None and definition_hash(mine) == definition_hash(theirs) and \
            local.flow.name == remote.name
        kept = record.get(sid)
        if same:
            state = IN_SYNC
        elif kept is None:
            state = DIFFERENT
        else:
            here = definition_hash(mine) != kept.get("definition")
            there = remote.revision != kept.get("revision")
            state = CHANGED_BOTH if here and there else CHANGED_THERE if there else CHANGED_HERE
        rows.append(Row(state, flow_id, sid, local.flow.name, local=local, remote=remote))
    for sid, remote in remotes.items():
        if sid in seen or (only and sid not in only):
            continue
        rows.append(Row(REMOTE_ONLY, None, sid, remote.name, remote=remote))
    return rows


def pull(folder: Folder, studio: Studio, only: set[str] | None, force: bool) -> tuple[list[str], list[str]]:
    """Bring Studio's published flows into the folder; (done, refused) as lines."""
    done, refused = [], []
    for row in compare(folder, studio, only):
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
        path = folder.write_flow(flow_id, flow)
        folder.remember(row.sid, flow_id, row.remote.revision, normalized(row.remote))
        done.append(f"pulled {row.name} ({row.sid}, revision {row.remote.revision}) into {path}")
    return done, refused


def push(folder: Folder, studio: Studio, only: set[str] | None, force: bool) -> tuple[list[str], list[str]]:
    """Publish the folder's flows to Studio; (done, refused) as lines."""
    done, refused = [], []
    rows = [r for r in compare(folder, studio, only) if r.local is not None]
    # children first: a Run Subflow names its child by SID, which a new child gets when created
    rows.sort(key=lambda r: _depth(r.local, {x.flow_id: x.local for x in rows}, set()))
    for row in rows:
        local = row.local
        if local.flow is None:
            refused.append(f"{local.path}: {local.problem}")
            continue
        if row.state == IN_SYNC:
            folder.remember(row.sid, row.flow_id, row.remote.revision, normalized(row.remote))
            continue
        if row.state in (CHANGED_THERE, CHANGED_BOTH, DIFFERENT) and not force:
            refused.append(f"{row.flow_id}.yaml: {row.state}; push would overwrite Studio's version (pull it, or "
                           "push --force to replace it)")
            continue
        if row.state == LOCAL_ONLY and row.sid:
            refused.append(f"{row.flow_id}.yaml: records {row.sid}, which this Studio account does not have "
                           "(remove its `sid:` line to create it anew)")
            continue
        sids = folder.sids(folder.flows())
        definition = studio_definition(local, sids)
        try:
            if row.sid:
                remote = studio.update(row.sid, local.flow.name, definition)
                what = "published"
            else:
                remote = studio.create(local.flow.name, definition)
                folder.record_sid(local, remote.sid)
                what = "created"
        except SyncError as exc:
            refused.append(f"{row.flow_id}.yaml: {exc}")
            continue
        folder.remember(remote.sid, row.flow_id, remote.revision, definition)
        done.append(f"{what} {local.flow.name} ({remote.sid}, revision {remote.revision}) from {local.path}")
    return done, refused


def _depth(local: Local | None, by_id: dict, seen: set) -> int:
    """How deep a flow's Run Subflow children go among the flows pushed (cycles stop)."""
    if local is None or local.flow is None or local.flow_id in seen:
        return 0
    seen = seen | {local.flow_id}
    children = [w.properties.get("flow_sid") for w in local.flow.widgets if w.type == "run-subflow"]
    return max([1 + _depth(by_id.get(c), by_id, seen) for c in children if c in by_id] or [0])
