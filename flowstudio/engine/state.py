"""The state of one execution, JSON-serialisable, and the Step an engine call returns.

An execution is a stack of frames: the flow it started on, plus one frame per
subflow it is running. Each frame pins the flow revision it started with and holds its
own Studio context (`trigger`, `flow`, `contact`, `widgets`). `waiting` says what
the execution waits for, with a `token` that grows with each wait, so a late callback
or timer meant for an earlier wait is recognised and ignored.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from . import jsontext

ACTIVE = "active"
ENDED = "ended"
FAILED = "failed"

# The channel of an execution that runs in a Twilio Conversation (others: sms, voice, rest).
CONVERSATION = "conversation"

# What a waiting widget waits for.
WAIT_MESSAGE = "message"   # an SMS from the contact
WAIT_CALL = "call"         # a callback from the call (gather, dial, record, ...)
WAIT_IO = "io"             # the service performing an HTTP request, a send, ...
WAIT_SUBFLOW = "subflow"   # a subflow frame above this one finishing


@dataclass
class Frame:
    """One flow being run: the top-level flow or a subflow."""

    flow_id: str
    revision: str
    context: dict
    parent_widget: str | None = None


@dataclass
class Waiting:
    """What the execution waits for: `kind`, at which `widget`, until `due` (ISO time)."""

    widget: str
    kind: str
    token: int
    due: str | None = None


@dataclass
class ExecutionState:
    """Everything the engine needs to continue an execution later."""

    id: str
    flow_id: str
    revision: str
    contact: str
    flow_address: str
    channel: str
    started_at: str
    frames: list[Frame] = field(default_factory=list)
    status: str = ACTIVE
    waiting: Waiting | None = None
    steps: int = 0
    last_widget: str | None = None
    repeats: int = 0
    tokens: int = 0
    ended_reason: str | None = None

    @property
    def frame(self) -> Frame:
        """The frame being run (the innermost subflow, or the flow itself)."""
        return self.frames[-1]

    @property
    def active(self) -> bool:
        """True until the execution ends."""
        return self.status == ACTIVE

    def to_dict(self) -> dict:
        """Plain JSON-ready data. Frame contexts are shared, not copied: serialise the
        result (or use `copy()`) rather than changing it."""
        out = {f: getattr(self, f) for f in _SCALARS}
        out["frames"] = [{"flow_id": f.flow_id, "revision": f.revision, "context": f.context,
                          "parent_widget": f.parent_widget} for f in self.frames]
        w = self.waiting
        out["waiting"] = {"widget": w.widget, "kind": w.kind, "token": w.token, "due": w.due} if w else None
        return out

    def copy(self) -> "ExecutionState":
        """An independent deep copy (through JSON, which is what it is made of)."""
        return ExecutionState.from_dict(jsontext.loads(jsontext.dumps(self.to_dict())))

    @classmethod
    def from_dict(cls, data: dict) -> "ExecutionState":
        """Rebuild from `to_dict()` output."""
        data = dict(data)
        data["frames"] = [Frame(**f) for f in data.get("frames", [])]
        data["waiting"] = Waiting(**data["waiting"]) if data.get("waiting") else None
        return cls(**data)


_SCALARS = tuple(f.name for f in fields(ExecutionState) if f.name not in ("frames", "waiting"))


@dataclass
class Step:
    """What one engine call returns: the new `state`, the `effects` to perform, the
    `trace` (facts, for people) and the Studio-style `steps` taken (event, from, to,
    time, context snapshot), to be stored."""

    state: ExecutionState
    effects: list = field(default_factory=list)
    trace: list[dict] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        """True when the execution ended in this call."""
        return not self.state.active
