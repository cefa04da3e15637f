"""The other flows a flow can run as subflows, and the Studio SIDs they record.

In Studio, Run Subflow names its child by flow SID (`FW` + 32 hex digits). A Studio
definition does not carry its own SID, so a flow file records it in a top-level `sid:`
field (`flowstudio import-studio FLOW.json --sid FW…` writes it). A `FlowIndex` answers
"which flow is this reference?" for a flow id or a recorded SID, and gives the other
flows' widgets to the checks that look through Run Subflow (a subflow that never waits).
Flows are read lazily: most flows name no subflow, and a folder is only read for SIDs
when a reference is not a flow id.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterable

from .model import Flow

SID = re.compile(r"^FW[0-9a-fA-F]{32}$")


def is_flow_sid(value) -> bool:
    """True for a Studio flow SID (`FW` followed by 32 hex digits)."""
    return isinstance(value, str) and bool(SID.match(value))


class FlowIndex:
    """Flow ids, with a way to read each flow (`load(id) -> Flow | None`) when known."""

    def __init__(self, ids: Iterable[str], load: Callable[[str], Flow | None] | None = None):
        self._ids = set(ids)
        self._load = load
        self._flows: dict[str, Flow | None] = {}
        self._sids: dict[str, str] | None = None

    def __contains__(self, flow_id) -> bool:
        return flow_id in self._ids

    def __iter__(self):
        return iter(sorted(self._ids))

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def readable(self) -> bool:
        """True when the flows themselves can be read (not only their ids)."""
        return self._load is not None

    def flow(self, flow_id: str) -> Flow | None:
        """The flow called `flow_id`, or None when it is unknown or cannot be read."""
        if flow_id not in self._ids or self._load is None:
            return None
        if flow_id not in self._flows:
            try:
                self._flows[flow_id] = self._load(flow_id)
            except Exception:  # a broken sibling is reported when it is validated itself
                self._flows[flow_id] = None
        return self._flows[flow_id]

    def resolve(self, ref: str) -> str | None:
        """The id of the flow that `ref` names: a flow id, or a SID a flow records."""
        if ref in self._ids:
            return ref
        if not is_flow_sid(ref):
            return None
        return self.sids().get(ref)

    def sids(self) -> dict[str, str]:
        """Every recorded SID, mapped to its flow's id (the first flow, by id, when two
        flows record the same SID)."""
        if self._sids is None:
            self._sids = {}
            for flow_id in sorted(self._ids):
                flow = self.flow(flow_id)
                if flow is not None and flow.sid:
                    self._sids.setdefault(flow.sid, flow_id)
        return self._sids

    @classmethod
    def of(cls, known) -> "FlowIndex | None":
        """`known` as an index: an index as is, a set of ids as an index of ids only."""
        if known is None or isinstance(known, FlowIndex):
            return known
        return cls(known)

    @classmethod
    def of_flows(cls, flows: dict[str, Flow | dict]) -> "FlowIndex":
        """An index of flows already in memory (Flow objects or flow data)."""
        built = {k: v if isinstance(v, Flow) else Flow.from_data(v) for k, v in flows.items()}
        return cls(built, built.get)

    @classmethod
    def of_folder(cls, folder: str | Path) -> "FlowIndex":
        """An index of the flow files in `folder` (recursively, as `flowstudio validate`
        finds them), each read when first needed."""
        from .flowfile import flow_files, flow_id  # flowfile imports the model too

        paths = {flow_id(p): p for p in reversed(flow_files([folder]))} if Path(folder).is_dir() else {}
        return cls.of_paths(paths)

    @classmethod
    def of_paths(cls, paths: dict[str, Path]) -> "FlowIndex":
        """An index of the flow files `paths` (flow id -> file), each read when first needed."""
        from .flowfile import load_flow_file

        def load(fid: str) -> Flow | None:
            data = load_flow_file(paths[fid]).data
            return Flow.from_data(data) if isinstance(data, dict) and isinstance(data.get("widgets"), list) \
                and isinstance(data.get("name"), str) else None

        return cls(paths, load)
