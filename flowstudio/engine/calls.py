"""Whether an execution has a call to work on (voice widgets need one)."""
from __future__ import annotations

ANSWERED = ("in-progress", "answered")


def in_call(state) -> bool:
    """True while the execution has a call: it started from one, or one of its outgoing
    calls was answered (Make Outgoing Call's `answered`)."""
    if state.channel == "voice":
        return True
    for frame in state.frames:
        for outputs in (frame.context.get("widgets") or {}).values():
            if isinstance(outputs, dict) and outputs.get("CallSid") and outputs.get("CallStatus") in ANSWERED:
                return True
    return False
