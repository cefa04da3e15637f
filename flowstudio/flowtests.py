"""Flow tests: conversations written beside a flow, run on the real engine and store.

A file `flows/<flow>.test.yaml` holds tests; each is a conversation of steps. A step is
one thing the contact does (`send`, `chat`, `call`, `start`, `press`, `speak`, `no_input`,
`callback`, `hang_up`, `delivery_failure`, `wait`, `end`) and, optionally, what must happen then
(`replies`, `messages`, `say`, `play`, `dial`, `status`, `waiting`, `path`,
`variables`). Only the expectations written are checked. `--update` writes what
happened as the expectations. See the README's "Writing a flow test".
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .conversation import Conversation, FakeClock, MockHttp, local_service
from .engine import effects as fx
from .service import LocalChannel
from .spec.flowfile import write_atomic
from .spec.issues import FlowLoadError
from .spec.yamlio import dump_yaml, load_yaml

ACTIONS = ("send", "chat", "call", "start", "press", "speak", "no_input", "callback", "hang_up", "delivery_failure", "wait",
           "end")
EXPECTATIONS = ("replies", "messages", "say", "play", "dial", "status", "waiting", "path", "variables")
# What --update writes for each step (the rest stay as the author wrote them).
UPDATED = ("replies", "messages", "say", "play", "dial", "status", "waiting")


class FlowTestError(Exception):
    """A flow test file is malformed; the message names the file, test and step."""


@dataclass
class FlowTestResult:
    """The outcome of one test: failures as readable text, branches it took."""

    file: str
    name: str
    failures: list[str] = field(default_factory=list)
    branches: set = field(default_factory=set)
    flow: str = ""

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.failures


def flow_test_files(paths) -> list[Path]:
    """Every `*.test.yaml` file named by `paths` (files or folders)."""
    found: list[Path] = []
    for p in map(Path, paths):
        found += sorted(p.rglob("*.test.yaml")) if p.is_dir() else [p]
    return found


def run_file(path: Path, update: bool = False) -> list[FlowTestResult]:
    """Run every test of one file; with `update`, rewrite its expectations."""
    spec = _load(path)
    flow_id = spec.get("flow") or path.name[: -len(".test.yaml")]
    results = []
    for i, test in enumerate(spec["tests"]):
        name = test.get("name") or f"test {i + 1}"
        result = FlowTestResult(str(path), name, flow=flow_id)
        _run_test(path.parent, flow_id, test, result, update)
        results.append(result)
    if update:
        write_atomic(path, dump_yaml(spec))
    return results


def _load(path: Path) -> dict:
    try:
        doc = load_yaml(path.read_bytes(), str(path))
    except FlowLoadError as exc:
        raise FlowTestError(str(exc)) from None
    except OSError as exc:
        raise FlowTestError(f"{path}: cannot read: {exc.strerror}") from None
    data = doc.data

    def at(*where) -> str:   # the file and line of a place in it, as the validator names them
        line = doc.line_of(where)
        return f"{path}:{line}" if line else str(path)

    if not isinstance(data.get("tests"), list) or not data["tests"]:
        raise FlowTestError(f"{at('tests')}: needs a list of tests under `tests:`")
    for i, test in enumerate(data["tests"]):
        if not isinstance(test, dict) or not isinstance(test.get("steps"), list):
            raise FlowTestError(f"{at('tests', i)}: test {i + 1} needs a list of steps under `steps:`")
        for j, step in enumerate(test["steps"]):
            named = f"test '{test.get('name', i + 1)}' step {j + 1}"
            if not isinstance(step, dict):
                raise FlowTestError(f"{at('tests', i, 'steps', j)}: {named}: a step is one action and what must "
                                    "happen then, like `send: hi` with `replies: [...]` under it")
            for key in step:
                if key not in ACTIONS and key not in EXPECTATIONS:
                    near = difflib.get_close_matches(str(key), ACTIONS + EXPECTATIONS, n=1)
                    raise FlowTestError(f"{at('tests', i, 'steps', j, key)}: {named}: unknown key {key}"
                                        + (f" (did you mean {near[0]}?)" if near else "")
                                        + f"; actions: {', '.join(ACTIONS)}; expectations: {', '.join(EXPECTATIONS)}")
            actions = [a for a in ACTIONS if a in step]
            if len(actions) != 1:
                has = " and ".join(actions) if actions else "none"
                raise FlowTestError(f"{at('tests', i, 'steps', j)}: {named}: needs exactly one action of: "
                                    f"{', '.join(ACTIONS)} (it has {has}); one step per thing the contact does")
    return data


def _run_test(folder: Path, flow_id: str, test: dict, result: FlowTestResult, update: bool) -> None:
    start = test.get("start_at")
    clock = FakeClock(datetime.fromisoformat(str(start).replace("Z", "+00:00"))) if start else FakeClock()
    service = local_service(folder, clock, MockHttp(test.get("http") or {}),
                            channel=FailingSends(test.get("failing_sends") or ()))
    talk = Conversation(service, flow_id, **{k: str(test[k]) for k in ("contact", "number") if k in test})
    try:
        for j, step in enumerate(test["steps"]):
            action = next(a for a in ACTIONS if a in step)
            try:
                turns = _act(talk, action, step[action])
            except Exception as exc:  # noqa: BLE001 - any failure of the flow is reported as a test failure
                result.failures.append(f"step {j + 1} ({action}): {type(exc).__name__}: {exc}")
                break
            seen = _observe(talk, turns)
            result.branches |= {(s["flow"], s["from"], s["event"], s["to"]) for t in turns for s in t.steps}
            if update:
                for key in UPDATED:
                    if seen[key] or (key == "status" and seen[key] is not None):
                        step[key] = seen[key]
                    else:
                        step.pop(key, None)
                continue
            for key in EXPECTATIONS:
                if key in step and not _same(key, step[key], seen[key]):
                    result.failures.append(_diff(j + 1, action, step[action], key, step[key], seen[key]))
    finally:
        service.store.close()


def rename_widgets(spec: dict, renames: dict[str, str]) -> bool:
    """Follow widget renames in a flow tests file's data (`http` answers, `failing_sends`,
    each step's `waiting` and `path`); True when something changed."""
    changed = False

    def new(name):
        nonlocal changed
        if isinstance(name, str) and name in renames:
            changed = True
            return renames[name]
        return name

    for test in spec.get("tests") or []:
        if not isinstance(test, dict):
            continue
        if isinstance(test.get("http"), dict):
            test["http"] = {new(k): v for k, v in test["http"].items()}
        if isinstance(test.get("failing_sends"), list):
            test["failing_sends"] = [new(w) for w in test["failing_sends"]]
        for step in test.get("steps") or []:
            if isinstance(step, dict):
                if "waiting" in step:
                    step["waiting"] = new(step["waiting"])
                if isinstance(step.get("path"), list):
                    step["path"] = [new(w) for w in step["path"]]
    return changed


class FailingSends(LocalChannel):
    """The local channel, except that sends (and Flex tasks) from the widgets named
    fail (to test `failed` and `failedToEnqueue` branches)."""

    def __init__(self, widgets):
        self.widgets = set(widgets)

    def send_message(self, message: fx.SendMessage, execution=None) -> dict:
        if message.widget in self.widgets:
            return {"status": "failed", "error": "the test makes this send fail"}
        return super().send_message(message, execution)

    def create_flex_task(self, effect: fx.FlexTask, execution) -> dict:
        if effect.widget in self.widgets:
            return {"status": "failed", "error": "the test makes Flex refuse this task"}
        return super().create_flex_task(effect, execution)


def _act(talk: Conversation, action: str, arg) -> list:
    if action == "wait":
        return talk.wait(float(arg))
    if action in ("call", "hang_up", "no_input", "delivery_failure", "end"):
        return [getattr(talk, action)()]
    if action == "start":
        return [talk.start(arg or {})]
    if action == "chat":   # `chat: text` (WhatsApp) or `chat: {body: text, channel: chat}`
        if isinstance(arg, dict):
            return [talk.chat(str(arg.get("body", "")), str(arg.get("channel", "whatsapp")))]
        return [talk.chat(str(arg))]
    if action == "callback":
        return [talk.callback({str(k): str(v) for k, v in (arg or {}).items()})]
    return [getattr(talk, action)(str(arg))]


def _observe(talk: Conversation, turns: list) -> dict:
    """What the contact experienced in one step, in the expectation vocabulary."""
    earlier = talk.log[:len(talk.log) - len(turns)]
    return observe(turns, talk.contact, _variables(talk), earlier[-1] if earlier else None)


def observe(turns: list, contact: str, variables: dict, before=None) -> dict:
    """What `contact` experienced in the TurnResults of one step, in the expectation
    vocabulary (also used by the browser console's "Save as flow test"). A step that ran
    nothing (time passed, no timer fell due) leaves the status and the wait as `before`
    (the step's previous TurnResult) left them; with nothing ever run, the status is None
    and not written ("idle" is not a status a test can expect)."""
    seen = {k: [] for k in ("replies", "messages", "say", "play", "dial", "path")}
    for turn in turns:
        seen["replies"] += [m.body for m in turn.replies]
        for sent in turn.sent:
            effect = sent["effect"]
            if effect["type"] != "message":
                continue
            if effect["to"] == contact or effect.get("conversation_sid"):
                seen["replies"].append(effect["body"])
            else:
                seen["messages"].append({"to": effect["to"], "body": effect["body"]})
        for effect in turn.voice:
            for e in (effect.prompts if isinstance(effect, fx.Gather) else (effect,)):
                if isinstance(e, fx.Say):
                    seen["say"].append(e.text)
                elif isinstance(e, fx.Play):
                    seen["play"].append(e.url or f"digits:{e.digits}")
            if isinstance(effect, fx.Dial):
                seen["dial"] += list(effect.to)
        seen["path"] += [t["widget"] for t in turn.trace if t["type"] == "entered"]
    last = turns[-1] if turns else before
    seen["status"] = last.status if last else None
    seen["waiting"] = (last.waiting or {}).get("widget") if last else None
    seen["variables"] = variables
    return seen


def _variables(talk: Conversation) -> dict:
    row = talk.service.store.execution(talk.execution_id) if talk.execution_id else None
    return row.state["frames"][0]["context"]["flow"]["variables"] if row else {}


def _same(key: str, expected, actual) -> bool:
    if key == "variables":
        return isinstance(expected, dict) and all(actual.get(k) == v for k, v in expected.items())
    if key in ("status", "waiting"):
        return expected == actual
    return list(expected or []) == actual


def _diff(number: int, action: str, arg, key: str, expected, actual) -> str:
    head = f"step {number} ({action}{': ' + repr(arg) if arg not in (None, {}) else ''}): {key} differ"
    want = dump_yaml({key: expected}).splitlines()
    got = dump_yaml({key: actual}).splitlines()
    body = "\n".join("    " + line for line in difflib.unified_diff(want, got, "expected", "actual", lineterm="", n=2))
    return f"{head}\n{body}"


def branches_of(flow) -> set:
    """Every connected transition of a flow as (from, event, to): what tests should cover."""
    return {(w.name, e.event, e.next) for w in flow.widgets for e in w.edges() if e.next}
