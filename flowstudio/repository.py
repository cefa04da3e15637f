"""The flows the runtime runs: YAML files in a folder, published as revisions.

A flow's id is its file name without `.yaml`. The newest revision in the database is
the one new executions run, in every process (a process looks again at most once a
second, so a publish from another process or machine is seen within a second);
executions stay pinned to the revision they started on.

The files stay the source people edit and commit:
- publishing from the editor records a revision, then rewrites the file;
- a file whose content changes on disk while the server runs, and still validates, is
  published as a new revision ("changed on disk");
- at start, a file holding an *older* published revision is behind (another machine
  published since): it is rewritten from the newest revision, not published back;
  content never seen before is an edit made while the server was down: published.
A file that stops loading or validating never takes its flow down: the last good
revision keeps running and the problem is reported (`problems(flow_id)`).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from .adapters.flowstore import FlowStore
from .adapters.store import Store
from .engine.runner import Program
from .spec.flowindex import FlowIndex
from .spec.flowfile import SUFFIXES, dump_flow, is_test_file, load_flow_text, read_flow_bytes, write_atomic
from .spec.issues import FlowLoadError, Issue
from .spec.model import Flow
from .spec.validate import validate_document

log = logging.getLogger("flowstudio.flows")

HEAD_TTL = 1.0          # seconds between looks at the newest revision in the database
EXISTS_TTL = 1.0        # seconds a flow file seen is believed to exist (exists())
DISK_AUTHOR = "file on disk"
SNAPSHOT_MARK = "~"
# A flow's id: its file name, its webhook URL, its editor address.
FLOW_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")     # in a pinned id: a console snapshot (FlowStore.snapshot), not a revision


def minted_for(revision: str, flow_id: str) -> bool:
    """Whether a revision or snapshot id was made for a flow of this id (`<flow>@<n>`,
    `<flow>~<sha12>`): flow ids hold neither mark, so the prefix names the flow exactly."""
    return revision.startswith((f"{flow_id}@", f"{flow_id}{SNAPSHOT_MARK}"))


class FlowUnavailable(Exception):
    """No valid revision of this flow exists (missing file, or broken since the start)."""

    def __init__(self, flow_id: str, issues: list[Issue]):
        # The file by its name in the flows folder: the message reaches API answers, which
        # must not tell a caller where the server keeps its files.
        named = [replace(i, file=Path(i.file).name) if i.file else i for i in issues[:3]]
        super().__init__(f"flow '{flow_id}' cannot run: " + ("; ".join(i.format() for i in named)
                                                              or "no such flow"))
        self.flow_id = flow_id
        self.issues = issues


@dataclass
class _Entry:
    stat: tuple | None = None
    sha: str | None = None
    program: Program | None = None
    issues: list[Issue] = field(default_factory=list)
    checked: float = 0.0    # time.monotonic() of the last look at the newest revision


class FlowRepository:
    """Flows from `directory`, revisions in `store`, programs cached per revision."""

    def __init__(self, directory: str | os.PathLike, store: Store, clock):
        self.directory = Path(directory)
        self.store = store
        self.history = FlowStore(store)
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._programs: dict[tuple[str, str], Program] = {}
        self._seen: dict[str, float] = {}   # flow id -> when exists() last saw its file
        self._lock = threading.Lock()
        self._list_cache: tuple | None = None   # (folder mtime, ids, ignored)

    def ids(self) -> list[str]:
        """The ids of the flows this server serves: `<id>.yaml` files directly in the
        folder, with ids people can use in a URL (see `_listing`)."""
        return self._listing()[0]

    def ignored(self) -> list[dict]:
        """The other files that look like flows, each with why it is not served
        (`{"file", "reason"}`, the file relative to the folder), so the editor can say so."""
        return self._listing()[1]

    def index(self) -> FlowIndex:
        """The served flows as the validator's index: subflows named by id or by a
        recorded Studio SID resolve, and the checks can look through them."""
        return FlowIndex.of_paths({flow_id: self.path(flow_id) for flow_id in self.ids()})

    def _listing(self) -> tuple[list[str], list[dict]]:
        """Served ids and ignored files, read again only when the folder changes (its
        modification time moves whenever a file is added, removed or renamed in it)."""
        try:
            stamp = self.directory.stat().st_mtime_ns
        except OSError:
            return [], []
        cached = self._list_cache
        if cached is not None and cached[0] == stamp:
            return cached[1], cached[2]
        ids, ignored = listing(self.directory)
        self._list_cache = (stamp, ids, ignored)
        return ids, ignored

    def exists(self, flow_id: str) -> bool:
        """Whether `flow_id` names a flow this server serves. Asked for every webhook: a
        file seen is believed to be there for EXISTS_TTL seconds (forget() drops that at
        once), so most webhooks make no stat() call, which would also hand the GIL on."""
        now = time.monotonic()
        if now - self._seen.get(flow_id, -EXISTS_TTL) < EXISTS_TTL:
            return True
        if not flow_id or not FLOW_ID.fullmatch(flow_id):
            return False
        path = os.path.join(self.directory, f"{flow_id}.yaml")
        if not os.path.isfile(path) or not _inside(self.directory, Path(path)):
            self._seen.pop(flow_id, None)
            return False
        self._seen[flow_id] = now
        return True

    def path(self, flow_id: str) -> Path:
        """The file of a flow."""
        return self.directory / f"{flow_id}.yaml"

    def latest(self, flow_id: str) -> Program:
        """The program new executions of `flow_id` run (re-reading the file if it changed)."""
        self._refresh(flow_id)
        entry = self._entries[flow_id]
        if time.monotonic() - entry.checked > HEAD_TTL:
            self._follow_head(flow_id, entry)
        if entry.program is None:
            raise FlowUnavailable(flow_id, entry.issues)
        return entry.program

    def forget(self, flow_id: str) -> None:
        """Look at the file and the database afresh next time (after a publish, a
        rename or a delete made by this process)."""
        with self._lock:
            self._entries.pop(flow_id, None)
            self._seen.pop(flow_id, None)
            self._list_cache = None

    def problems(self, flow_id: str) -> list[Issue]:
        """Why the current file of a flow is not the one running (empty when it is)."""
        self._refresh(flow_id)
        return self._entries[flow_id].issues

    def program(self, flow_id: str, revision: str | None = None) -> Program | None:
        """A pinned revision (for executions in flight) or, with None, the latest. A
        console snapshot id (`<flow>~<sha12>`) loads the snapshot."""
        if revision is None:
            try:
                return self.latest(flow_id)
            except FlowUnavailable:
                return None
        program = self._programs.get((flow_id, revision))
        if program is None:
            # "<flow>~<sha12>" is a console snapshot (a draft that was test-run), not a revision
            row = self.history.snapshot_row(revision) if SNAPSHOT_MARK in revision else self.store.revision(revision)
            # A revision belongs to the flow that has it now, and stays loadable under the
            # id it was minted for: executions that started before a rename or a delete
            # keep running the document they started on.
            if row is None or (row.flow_id != flow_id and not minted_for(revision, flow_id)):
                return None
            program = self._programs.setdefault((flow_id, revision), Program(Flow.from_data(row.data), flow_id,
                                                                             revision))
        return program

    def _refresh(self, flow_id: str) -> None:
        path = self.path(flow_id)
        try:
            st = path.stat()
            stat = (st.st_mtime_ns, st.st_size)
        except OSError:
            stat = None
        entry = self._entries.get(flow_id)
        if entry is not None and entry.stat == stat and stat is not None:
            return  # unchanged since last look: the common case costs one stat()
        with self._lock:
            entry = self._entries.setdefault(flow_id, _Entry())
            if entry.stat == stat and stat is not None:
                return  # another thread loaded it while we waited
            if stat is None:
                entry.stat, entry.issues = None, [Issue("missing", "error", "no such flow file", file=str(path))]
                if entry.program is None:
                    entry.program = self._last_recorded(flow_id)
                return
            self._load(flow_id, path, entry, stat)

    def _load(self, flow_id: str, path: Path, entry: _Entry, stat: tuple) -> None:
        self._parse(flow_id, path, entry)
        # Last, and only on success: other threads take the unlocked fast path only once
        # the work is done, and a failure (say, the database) is tried again next time.
        entry.stat = stat

    def _parse(self, flow_id: str, path: Path, entry: _Entry) -> None:
        try:
            raw = read_flow_bytes(path)   # an oversized file is refused before it is read
        except FlowLoadError as exc:  # reported once per change of the file; the last good revision runs
            entry.sha, entry.issues = None, exc.issues
            if entry.program is None:
                entry.program = self._last_recorded(flow_id)
            return
        sha = hashlib.sha256(raw).hexdigest()
        if sha == entry.sha:
            return
        first_sight, entry.sha = entry.sha is None, sha
        try:
            doc = load_flow_text(raw, str(path))
            issues = validate_document(doc, self.index())
        except FlowLoadError as exc:
            doc, issues = None, exc.issues
        errors = [i for i in issues if i.is_error]
        latest = self.store.latest_revision(flow_id)
        if latest is not None and (latest.sha256 == sha or (doc is not None and doc.data == latest.data)):
            entry.issues, running = [], latest.id   # what runs already (perhaps written in another layout)
        elif first_sight and latest is not None and self.history.known_sha(flow_id, sha):
            # An older revision: this folder is behind the database. Catch the file up.
            log.info("%s holds an older revision of '%s' than the published %s: rewriting it", path, flow_id,
                     latest.id)
            self._write_file(path, latest.data, entry)
            entry.issues, running = [], latest.id
        elif errors or doc is None:
            entry.issues = errors
            if entry.program is None and latest is not None:
                entry.program = self.program(flow_id, latest.id)
            return
        else:
            entry.issues = []
            running = self.store.ensure_revision(flow_id, sha, doc.data, self._now(), author=DISK_AUTHOR,
                                                 message=f"{path.name} changed on disk")
        entry.program = self.program(flow_id, running)
        entry.checked = time.monotonic()

    def _follow_head(self, flow_id: str, entry: _Entry) -> None:
        """Run the newest revision, wherever it was published."""
        row = self.store.latest_revision_id(flow_id)
        entry.checked = time.monotonic()
        if row is not None and (entry.program is None or entry.program.revision != row):
            entry.program = self.program(flow_id, row)

    def _write_file(self, path: Path, data: dict, entry: _Entry) -> None:
        text = dump_flow(data)
        write_atomic(path, text)
        entry.sha = hashlib.sha256(text.encode()).hexdigest()
        st = path.stat()
        entry.stat = (st.st_mtime_ns, st.st_size)

    def _last_recorded(self, flow_id: str) -> Program | None:
        row = self.store.latest_revision(flow_id)
        return self.program(flow_id, row.id) if row else None

    def _now(self) -> datetime:
        return self.clock()


def listing(directory: Path) -> tuple[list[str], list[dict]]:
    """The ids of the flows served from `directory` and the flow-looking files it holds
    that are not served (`{"file", "reason"}`): what the editor lists, and what
    `flowstudio serve` prints at its start."""
    ids, ignored = [], []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if (path.suffix not in SUFFIXES or is_test_file(path) or any(p.startswith(".") for p in relative.parts)
                or not path.is_file()):
            continue
        reason = _refusal(directory, path, relative)
        if reason:
            ignored.append({"file": str(relative), "reason": reason})
        else:
            ids.append(path.stem)
    return ids, ignored


def _refusal(directory: Path, path: Path, relative: Path) -> str | None:
    """Why a flow-looking file is not served, or None when it is."""
    if len(relative.parts) > 1:
        return "it is in a sub-folder: move it into the flows folder itself to use it"
    if path.suffix != ".yaml":
        return f"its name ends in {path.suffix}: rename it to {path.stem}.yaml to use it"
    if not FLOW_ID.fullmatch(path.stem):
        return ("its name becomes the flow's webhook URL, so it may hold only letters, digits, '-' and '_' "
                "(1 to 100, starting with a letter or digit): rename it to use it")
    if not _inside(directory, path):
        return "it is a link to a file outside the flows folder, which this server does not open"
    return None


def _inside(directory: Path, path: Path) -> bool:
    """Whether `path`, links followed, stays inside the folder `directory`."""
    if not path.is_symlink():
        return True
    try:
        return path.resolve(strict=True).is_relative_to(directory.resolve(strict=True))
    except OSError:
        return False
