"""The flows the runtime runs: YAML files in a folder, recorded as revisions.

A flow's id is its file name without `.yaml`. Each time a file's content changes and
still validates, it is recorded as a new revision in the store; executions pin the
revision they started on, and the repository can give back any revision it recorded.
A file that stops loading or validating never takes its flow down: the last good
revision keeps running and the problem is reported (`problems(flow_id)`).
"""
from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .adapters.store import Store
from .engine.runner import Program
from .spec.flowfile import flow_files, flow_id as id_of, load_flow_text
from .spec.issues import FlowLoadError, Issue
from .spec.model import Flow
from .spec.validate import validate_document


class FlowUnavailable(Exception):
    """No valid revision of this flow exists (missing file, or broken since the start)."""

    def __init__(self, flow_id: str, issues: list[Issue]):
        super().__init__(f"flow '{flow_id}' cannot run: " + ("; ".join(i.format() for i in issues[:3])
                                                              or "no such flow"))
        self.flow_id = flow_id
        self.issues = issues


@dataclass
class _Entry:
    stat: tuple | None = None
    sha: str | None = None
    program: Program | None = None
    issues: list[Issue] = field(default_factory=list)


class FlowRepository:
    """Flows from `directory`, revisions in `store`, programs cached per revision."""

    def __init__(self, directory: str | os.PathLike, store: Store, clock):
        self.directory = Path(directory)
        self.store = store
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._programs: dict[str, Program] = {}
        self._lock = threading.Lock()

    def ids(self) -> list[str]:
        """The ids of every flow file in the folder."""
        return sorted(id_of(p) for p in flow_files([self.directory])) if self.directory.is_dir() else []

    def exists(self, flow_id: str) -> bool:
        """Whether `flow_id` names a flow file (one stat, for every webhook)."""
        return (bool(flow_id) and not flow_id.startswith(".") and not flow_id.endswith(".test")
                and self.path(flow_id).is_file())

    def path(self, flow_id: str) -> Path:
        """The file of a flow."""
        return self.directory / f"{flow_id}.yaml"

    def latest(self, flow_id: str) -> Program:
        """The program new executions of `flow_id` run (re-reading the file if it changed)."""
        self._refresh(flow_id)
        entry = self._entries[flow_id]
        if entry.program is None:
            raise FlowUnavailable(flow_id, entry.issues)
        return entry.program

    def problems(self, flow_id: str) -> list[Issue]:
        """Why the current file of a flow is not the one running (empty when it is)."""
        self._refresh(flow_id)
        return self._entries[flow_id].issues

    def program(self, flow_id: str, revision: str | None = None) -> Program | None:
        """A pinned revision (for executions in flight) or, with None, the latest."""
        if revision is None:
            try:
                return self.latest(flow_id)
            except FlowUnavailable:
                return None
        program = self._programs.get(revision)
        if program is None:
            row = self.store.revision(revision)
            if row is None or row.flow_id != flow_id:
                return None
            program = self._programs.setdefault(revision, Program(Flow.from_data(row.data), flow_id, revision))
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
        raw = path.read_bytes()
        sha = hashlib.sha256(raw).hexdigest()
        if sha == entry.sha:
            return
        entry.sha = sha
        try:
            doc = load_flow_text(raw, str(path))
            issues = validate_document(doc, set(self.ids()))
        except FlowLoadError as exc:
            doc, issues = None, exc.issues
        errors = [i for i in issues if i.is_error]
        if errors or doc is None:
            entry.issues = errors
            if entry.program is None:
                entry.program = self._last_recorded(flow_id)
            return
        entry.issues = []
        revision = self.store.ensure_revision(flow_id, sha, doc.data, self._now())
        entry.program = self._programs.setdefault(revision, Program(Flow.from_data(doc.data), flow_id, revision))

    def _last_recorded(self, flow_id: str) -> Program | None:
        row = self.store.latest_revision(flow_id)
        return self.program(flow_id, row.id) if row else None

    def _now(self) -> datetime:
        return self.clock()
