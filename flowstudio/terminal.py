"""`flowstudio run FLOW.yaml`: try a flow in the terminal, playing the phone.

Type a message to text the flow; commands start with `/`. Runs the real service on
an in-memory database, with a clock that moves only with `/wait`.
"""
from __future__ import annotations

import shlex
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TextIO

from .conversation import DEFAULT_CONTACT, DEFAULT_NUMBER, Conversation, FakeClock, local_service
from .engine import effects as fx
from .repository import FlowUnavailable
from .service import ExecutionBusy, TurnResult, default_http

HELP = """\
Type a message and press Enter to text the flow. Commands:
  /call              call the flow           /press 1#        press keys on the call
  /say words         speak on the call       /silence         say nothing (gather times out)
  /hangup            hang up                 /dial completed  the dialled call ends (busy, no-answer...)
  /record 12         leave a 12 s recording  /start k=v ...   start through the REST API
  /wait 3600         let time pass           /end             end the execution
  /restart           forget everything       /help  /quit"""


def run_console(flow_file: Path, contact: str = DEFAULT_CONTACT, number: str = DEFAULT_NUMBER,
                read: Callable[[str], str] = input, out: TextIO | None = None) -> None:
    """The interactive loop; `read` and `out` are swappable for tests."""
    write = (lambda text: print(text, file=out)) if out else print
    flow_id = flow_file.name[: -len(flow_file.suffix)]

    def fresh() -> Conversation:
        service = local_service(flow_file.parent, FakeClock(datetime.now(timezone.utc)), http=default_http())
        return Conversation(service, flow_id, contact=contact, number=number)

    talk = fresh()
    write(f"FlowStudio console: {flow_id} (you are {contact}, the flow is {number}). /help for commands.")
    while True:
        try:
            line = read("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return
        if line == "/help":
            write(HELP)
            continue
        if line == "/restart":
            talk.service.store.close()
            talk = fresh()
            write("(started over)")
            continue
        try:
            for result in _do(talk, line):
                for text in describe(result, contact):
                    write(text)
        except (FlowUnavailable, ExecutionBusy, RuntimeError, ValueError) as exc:
            write(f"(!) {exc}")


def _do(talk: Conversation, line: str) -> list[TurnResult]:
    if not line.startswith("/"):
        return [talk.send(line)]
    command, _, rest = line.partition(" ")
    simple = {"/call": talk.call, "/silence": talk.no_input, "/hangup": talk.hang_up, "/end": talk.end}
    if command in simple:
        return [simple[command]()]
    if command == "/press":
        return [talk.press(rest.strip())]
    if command == "/say":
        return [talk.speak(rest.strip())]
    if command == "/wait":
        return talk.wait(float(rest or 0)) or []
    if command == "/dial":
        return [talk.callback({"DialCallStatus": rest.strip() or "completed", "DialCallDuration": "30"})]
    if command == "/record":
        seconds = rest.strip() or "10"
        return [talk.callback({"RecordingUrl": "https://example.com/recording.mp3", "RecordingDuration": seconds})]
    if command == "/start":
        return [talk.start(dict(p.split("=", 1) for p in shlex.split(rest) if "=" in p))]
    raise ValueError(f"unknown command {command}; /help lists them")


def describe(result: TurnResult, contact: str) -> list[str]:
    """What happened in one turn, as lines for a person."""
    lines = [f"flow> {m.body}" for m in result.replies]
    for sent in result.sent:
        effect = sent["effect"]
        if effect["type"] == "message":
            who = "" if effect["to"] == contact else f" (to {effect['to']})"
            lines.append(f"flow{who}> {effect['body']}")
        else:
            lines.append(f"(flow {effect['type']}: {effect.get('to', '')})")
    for effect in result.voice:
        lines += _voice(effect)
    for entry in result.trace:
        if entry["type"] == "error" or (entry["type"] == "note" and entry.get("message")):
            lines.append(f"  ! {entry.get('widget') or 'flow'}: {entry['message']}")
    if result.note:
        lines.append(f"  ({result.note})")
    if result.status == "active" and result.waiting:
        w = result.waiting
        due = f", until {w['due']}" if w.get("due") else ""
        what = {"message": "a reply", "call": "the caller"}.get(w["kind"], w["kind"])
        lines.append(f"  [waiting at {w['widget']} for {what}{due}]")
    elif result.status in ("ended", "failed"):
        lines.append(f"  [execution {result.status}{_where_it_ended(result)}]")
    return lines


# The outputs taken when something did not go as planned (as console/store.ts's UNHAPPY).
UNHAPPY = frozenset({"timeout", "failed", "fail", "deliveryFailure", "noMatch", "callFailure", "failedToEnqueue",
                     "busy", "noAnswer", "hangup", "error"})


def _where_it_ended(result: TurnResult) -> str:
    """Where a flow reached its end (the last step's output leads nowhere: Studio names
    that end `Ended`), worded as the browser's test phone words it (console/store.ts):
    the natural end of a path after a message sent, or the output left unconnected when it
    is one taken when something did not go as planned, or a Trigger's start."""
    last = result.steps[-1] if result.steps and result.status == "ended" else None
    if not last or last.get("to") not in (None, "Ended") or not last.get("from") or not last.get("event"):
        return ""
    if last["event"] in UNHAPPY or last["event"].startswith("incoming"):
        return f" after {last['from']}: its {last['event']} output is not connected to another widget"
    return f" after {last['from']}, the last widget of this path"


def _voice(effect) -> list[str]:
    if isinstance(effect, fx.Say):
        return [f"flow (says)> {effect.text}"]
    if isinstance(effect, fx.Play):
        return [f"flow (plays)> {effect.url or effect.digits}"]
    if isinstance(effect, fx.Gather):
        return [line for p in effect.prompts for line in _voice(p)] + ["  (listening: /press keys or /say words)"]
    if isinstance(effect, fx.Dial):
        return [f"  (dialling {', '.join(effect.to)}: /dial completed|busy|no-answer)"]
    if isinstance(effect, fx.Record):
        return ["  (recording after the beep: /record SECONDS)"]
    return [f"  ({effect.type})"]
