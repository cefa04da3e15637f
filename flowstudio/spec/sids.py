"""Twilio-style SIDs for flows, executions and steps (Studio's REST API v2, web/studio_api.py).

- A flow's SID (`FW` + 32 hex digits) is the one its file records as `sid:` (the same
  field `flowstudio import-studio --sid` writes and `FlowIndex.sids()` reads, so Run
  Subflow references and the API agree). A flow that records none has one derived
  from its id: the same in every process and after every restart, with nothing
  stored. Creating or updating a flow through the API writes that SID into the file,
  so from then on it survives a rename too.
- An execution's SID is its id: executions are made with ids `FN` + 32 hex digits.
- A step's SID (`FT`) encodes the `turns` row that holds it and its place in that row
  (`FT` + 24 hex digits of the row id + 8 of the index): stable, stored nowhere, and
  a step is found again from its SID with one query.
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
import uuid
from pathlib import Path
from typing import Iterable

from .flowindex import is_flow_sid

EXECUTION_SID = re.compile(r"^FN[0-9a-fA-F]{32}$")
STEP_SID = re.compile(r"^FT([0-9a-f]{24})([0-9a-f]{8})$")
MAX_ROW_ID = 2**63 - 1   # the turns table's ids are 64-bit integers


def derived_flow_sid(flow_id: str) -> str:
    """The SID of a flow whose file records none: a hash of its id (stable everywhere)."""
    return "FW" + hashlib.sha256(f"flowstudio-flow:{flow_id}".encode()).hexdigest()[:32]


def new_flow_sid() -> str:
    """A fresh random flow SID, for a flow created through the API."""
    return "FW" + uuid.uuid4().hex


def is_execution_sid(value) -> bool:
    """True for an execution SID (`FN` followed by 32 hex digits)."""
    return isinstance(value, str) and bool(EXECUTION_SID.match(value))


def step_sid(turn_id: int, index: int) -> str:
    """The SID of the `index`-th step of turn row `turn_id`."""
    return f"FT{turn_id:024x}{index:08x}"


def parse_step_sid(sid: str) -> tuple[int, int] | None:
    """(turn row id, index) of a step SID made by `step_sid`, or None."""
    match = STEP_SID.match(sid or "")
    if not match or int(match.group(1), 16) > MAX_ROW_ID:
        return None   # not made by step_sid; a database cannot even look such a row id up
    return int(match.group(1), 16), int(match.group(2), 16)


def recorded_sid(path: Path) -> str | None:
    """The `sid:` a flow file records, read without parsing the whole file when it has
    none: top-level keys start a line, so a file without a `sid:` line records none."""
    from .flowfile import load_flow_file

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not re.search(r"^sid\s*:", text, re.MULTILINE):
        return None
    try:
        data = load_flow_file(path).data
    except Exception:  # noqa: BLE001 - a broken file's problems are reported where it is validated
        return None
    sid = data.get("sid") if isinstance(data, dict) else None
    return sid if is_flow_sid(sid) else None


class FlowSids:
    """Flow id <-> SID for the flows of a folder; each file's recorded SID is read
    again only when the file changes (its stat)."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self._cache: dict[str, tuple[tuple, str]] = {}
        self._lock = threading.Lock()

    def sid(self, flow_id: str) -> str:
        """The SID of flow `flow_id`: the recorded one, else the derived one."""
        path = self.directory / f"{flow_id}.yaml"
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            return derived_flow_sid(flow_id)
        with self._lock:
            cached = self._cache.get(flow_id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        sid = recorded_sid(path) or derived_flow_sid(flow_id)
        with self._lock:
            self._cache[flow_id] = (stamp, sid)
        return sid

    def mapping(self, ids: Iterable[str]) -> dict[str, str]:
        """Flow id -> SID for `ids`."""
        return {flow_id: self.sid(flow_id) for flow_id in ids}

    def derived(self, ids: Iterable[str]) -> dict[str, str]:
        """Derived SID -> flow id, for the flows among `ids` that record no SID."""
        out = {}
        for flow_id in ids:
            sid = derived_flow_sid(flow_id)
            if self.sid(flow_id) == sid:
                out[sid] = flow_id
        return out

    def resolve(self, sid: str, ids: Iterable[str]) -> str | None:
        """The id of the flow among `ids` with this SID (the first by id when two
        files record the same SID, as FlowIndex.sids() decides), or None."""
        if not is_flow_sid(sid):
            return None
        for flow_id in sorted(ids):
            if self.sid(flow_id).lower() == sid.lower():
                return flow_id
        return None
