"""Realistic, valid flows of any size, for benchmarks (and tests that need a big flow).

`generate_flow(n_widgets, seed)` returns the plain data of a flow file (the shape of
`flowstudio.spec.model`: spec_version, name, description, flags, widgets, ui) with
exactly `n_widgets` widgets. It is built like real Studio flows:

- one trigger; its `incomingMessage` leads into an SMS branch, `incomingCall` into a
  voice branch, `incomingRequest` into a REST branch (outbound notifications);
- each branch is a chain of small "blocks" whose open exits (a split's matches, an
  HTTP request's success, a reply's timeout...) lead to later blocks, sometimes several
  exits to the same block; unused exits stay `null` (that branch ends there):
  question   send-and-wait-for-reply -> split-based-on (2-4 matches of mixed condition
             types; noMatch asks again), sometimes a reminder on timeout that asks again
  menu       gather-input-on-call -> split-based-on on Digits/SpeechResult (noMatch and a
             say-play on timeout both go back to the menu)
  lookup     make-http-request -> set-variables (success), send-message (failed)
  remember   set-variables;  notify  send-message;  announce  say-play
- bodies, URLs, inputs and variable values are Liquid templates that refer to earlier
  widgets (`{{widgets.ask_3.inbound.Body}}`, `{% if ... %}`), so most are distinct;
- every widget is reachable from the trigger, and every loop goes through a widget that
  waits (send-and-wait-for-reply or gather-input-on-call), so the flow validates with no
  errors and no warnings;
- `ui` places the widgets on the canvas by depth from the trigger.

Only widget types that the installed catalog has are used (blocks of missing types are
left out), and event names are taken from each widget's declaration, so the output is
deterministic for a given seed and catalog. A type whose properties schema declares an
`enum` gets a value from it.

CLI: `python benchmarks/generate.py 2000 -o big.yaml [--seed 1]` writes canonical YAML
(flowstudio.spec.flowfile.dump_flow); without `-o` it prints it.
"""
from __future__ import annotations

import argparse
import random
import sys
from collections import deque
from pathlib import Path

try:
    import flowstudio  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flowstudio.spec.migrations import CURRENT_VERSION
from flowstudio.widgets import registry

ASK, SPLIT, SEND, SETVARS, HTTP, GATHER, SAY = (
    "send-and-wait-for-reply", "split-based-on", "send-message", "set-variables",
    "make-http-request", "gather-input-on-call", "say-play")

# How the widgets (besides the trigger) are shared among the branches, when each exists.
BRANCH_SHARE = {"incomingMessage": 0.55, "incomingCall": 0.30, "incomingRequest": 0.15}

TOPICS = ["size", "color", "plan", "zip", "date", "time", "rating", "email", "city", "order",
          "account", "budget", "language", "pickup", "topping", "seat", "store", "reason"]
ANSWERS = ["yes", "no", "later", "stop", "help", "agent", "small", "medium", "large", "red",
           "blue", "pro", "basic", "cancel", "more", "menu"]
# Liquid values a branch can use from its start.
CONTEXT = {
    "incomingMessage": ["{{contact.channel.address}}", "{{trigger.message.Body}}", "{{trigger.message.From}}"],
    "incomingCall": ["{{contact.channel.address}}", "{{trigger.call.From}}", "{{trigger.call.CallerCity}}"],
    "incomingRequest": ["{{contact.channel.address}}", "{{flow.data.order_id}}", "{{flow.data.customer.name}}"],
}
VOICES = [("Polly.Joanna", "en-US"), ("Polly.Matthew", "en-US"), ("Polly.Lupe", "es-US"),
          ("alice", "en-GB")]


class _Builder:
    """Accumulates widgets; `frontier` holds the open exits of the branch being built."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.widgets: list[dict] = []
        self.counter = 0
        self.frontier: list[tuple[dict, str, int | None]] = []  # (widget, event, match index)
        self.waiting: list[str] = []  # waiting widgets of the current branch (safe loop targets)
        self.context: list[str] = []  # Liquid values that earlier widgets of the branch made

    # ------------------------------------------------------------ widgets

    def add(self, wtype: str, base: str, properties: dict) -> dict:
        spec = registry.get(wtype)
        self.counter += 1
        name = f"{base}_{self.counter}"
        w = {"name": name, "type": wtype, "properties": _fit(spec, properties),
             "transitions": {e: None for e in spec.event_names if not (e == "match" and spec.condition_schema)}}
        if spec.condition_schema is not None:
            w["transitions"]["match"] = []
        self.widgets.append(w)
        return w

    def link(self, w: dict, event: str | None, target: str | None, index: int | None = None) -> None:
        if event is None:
            return
        if index is not None:
            w["transitions"]["match"][index]["next"] = target
        else:
            w["transitions"][event] = target

    def open(self, w: dict, event: str | None, index: int | None = None) -> None:
        if event is not None:
            self.frontier.append((w, event, index))

    def connect(self, entry: str) -> None:
        """Point one open exit (mostly the newest: flows are deep) at `entry`, and now and
        then a few more (branches that join again)."""
        rng = self.rng
        k = len(self.frontier) - 1 if rng.random() < 0.65 else rng.randrange(len(self.frontier))
        w, event, index = self.frontier.pop(k)
        self.link(w, event, entry, index)
        while self.frontier and rng.random() < 0.3:
            w, event, index = self.frontier.pop(rng.randrange(len(self.frontier)))
            self.link(w, event, entry, index)

    # ------------------------------------------------------------ Liquid

    def value(self) -> str:
        return self.rng.choice(self.context[-12:])

    def template(self, topic: str) -> str:
        rng = self.rng
        a, b = self.value(), self.value()
        shapes = [
            f"Thanks! You said {a}. What {topic} would you like?",
            f"Hi {{{{contact.channel.address | default: 'there'}}}}, please reply with your {topic}.",
            f"{{% if {a[2:-2].split('|')[0].strip()} %}}Got it: {a}.{{% else %}}We did not catch that.{{% endif %}}"
            f" Which {topic}?",
            f"Your {topic} so far: {a} / {b}.\nReply MENU to start over.",
            f"Order {{{{flow.variables.order_id | default: 'new'}}}}: choose a {topic} ({rng.choice(ANSWERS)}, "
            f"{rng.choice(ANSWERS)} or {rng.choice(ANSWERS)}).",
        ]
        return rng.choice(shapes)

    # ------------------------------------------------------------ blocks

    def block_question(self, size: int) -> None:
        rng = self.rng
        topic = rng.choice(TOPICS)
        ask = self.add(ASK, f"ask_{topic}", {
            "body": self.template(topic),
            "from": "{{flow.channel.address}}",
            "timeout": rng.choice([3600, 3600, 86400, "3600", 600]),
        })
        self.connect(ask["name"])
        check = self.add(SPLIT, f"check_{topic}", {"input": f"{{{{widgets.{ask['name']}.inbound.Body}}}}"})
        self.link(ask, _event(ASK, "incomingMessage"), check["name"])
        self._matches(check, f"widgets.{ask['name']}.inbound.Body")
        self.link(check, _event(SPLIT, "noMatch"), ask["name"])  # ask again: a loop through a wait
        self.waiting.append(ask["name"])
        if size == 3:
            remind = self.add(SEND, f"remind_{topic}", {"body": f"Still there? {self.template(topic)}"})
            self.link(ask, _event(ASK, "timeout"), remind["name"])
            self.link(remind, _event(SEND, "sent"), ask["name"])
        elif rng.random() < 0.5:
            self.open(ask, _event(ASK, "timeout"))
        self.context.append(f"{{{{widgets.{ask['name']}.inbound.Body}}}}")

    def block_menu(self, size: int) -> None:
        rng = self.rng
        topic = rng.choice(TOPICS)
        voice, language = rng.choice(VOICES)
        digits = rng.choice([1, 1, 1, 2, 4])
        menu = self.add(GATHER, f"menu_{topic}", {
            "say": f"For {topic}, press 1 or say {rng.choice(ANSWERS)}. Press 2 to hear this again. "
                   f"You are calling from {{{{contact.channel.address}}}}.",
            "voice": voice, "language": language, "loop": 1, "timeout": rng.choice([5, 5, 10, "5"]),
            "finish_on_key": "#", "number_of_digits": digits, "stop_gather": True,
            "speech_timeout": "auto", "gather_language": language, "profanity_filter": "true",
        })
        self.connect(menu["name"])
        route = self.add(SPLIT, f"route_{topic}", {"input": f"{{{{widgets.{menu['name']}.Digits}}}}"})
        self.link(menu, _event(GATHER, "keypress"), route["name"])
        self.link(menu, _event(GATHER, "speech"), route["name"])
        self._matches(route, f"widgets.{menu['name']}.Digits", speech=f"widgets.{menu['name']}.SpeechResult")
        self.link(route, _event(SPLIT, "noMatch"), menu["name"])
        self.waiting.append(menu["name"])
        if size == 3:
            again = self.add(SAY, f"sorry_{topic}", {"say": "Sorry, I did not get that.", "voice": voice,
                                                      "language": language, "loop": 1})
            self.link(menu, _event(GATHER, "timeout"), again["name"])
            self.link(again, _event(SAY, "audioComplete"), menu["name"])
        self.context.append(f"{{{{widgets.{menu['name']}.Digits}}}}")

    def block_lookup(self, size: int) -> None:
        rng = self.rng
        topic = rng.choice(TOPICS)
        post = rng.random() < 0.5
        props = {"method": "POST" if post else "GET",
                 "url": f"https://api.example.com/v1/{topic}s/{{{{contact.channel.address | url_encode}}}}",
                 "content_type": "application/json;charset=utf-8" if post
                 else "application/x-www-form-urlencoded;charset=utf-8"}
        if post:
            props["body"] = f'{{"{topic}": "{self.value()}", "from": "{{{{contact.channel.address}}}}"}}'
        else:
            props["parameters"] = [{"key": "q", "value": self.value()}, {"key": "source", "value": "flow"}]
        http = self.add(HTTP, f"fetch_{topic}", props)
        self.connect(http["name"])
        parsed = f"widgets.{http['name']}.parsed"
        if size >= 2 and registry.get(SETVARS):
            save = self.add(SETVARS, f"save_{topic}", {"variables": [
                {"key": f"{topic}_id", "value": f"{{{{{parsed}.id}}}}"},
                {"key": f"{topic}_status", "value": f"{{{{{parsed}.status | default: 'unknown'}}}}"},
            ]})
            self.link(http, _event(HTTP, "success"), save["name"])
            self.open(save, _event(SETVARS, "next"))
            self.context.append(f"{{{{flow.variables.{topic}_status}}}}")
        elif size >= 2:  # no set-variables in this catalog: tell the contact instead
            save = self.add(SEND, f"found_{topic}", {"body": f"Your {topic}: {{{{{parsed}.status}}}}"})
            self.link(http, _event(HTTP, "success"), save["name"])
            self.open(save, _event(SEND, "sent"))
        else:
            self.open(http, _event(HTTP, "success"))
        if size >= 3:
            oops = self.add(SEND, f"oops_{topic}", {"body": f"Sorry, we could not look up your {topic} right now "
                                                            f"(error {{{{widgets.{http['name']}.status_code}}}})."})
            self.link(http, _event(HTTP, "failed"), oops["name"])
            if rng.random() < 0.5:
                self.open(oops, _event(SEND, "sent"))
        self.context.append(f"{{{{{parsed}.{rng.choice(['name', 'status', 'total'])}}}}}")

    def block_remember(self, size: int) -> None:
        topic = self.rng.choice(TOPICS)
        w = self.add(SETVARS, f"set_{topic}", {"variables": [
            {"key": topic, "value": self.value()},
            {"key": "step", "value": f"{{{{flow.variables.step | plus: 1}}}}"},
        ]})
        self.connect(w["name"])
        self.open(w, _event(SETVARS, "next"))
        self.context.append(f"{{{{flow.variables.{topic}}}}}")

    def block_notify(self, size: int) -> None:
        rng = self.rng
        topic = rng.choice(TOPICS)
        props = {"body": self.template(topic)}
        if rng.random() < 0.4:
            props["to"] = "{{contact.channel.address}}"
            props["from"] = "{{flow.channel.address}}"
        w = self.add(SEND, f"tell_{topic}", props)
        self.connect(w["name"])
        self.open(w, _event(SEND, "sent"))

    def block_announce(self, size: int) -> None:
        rng = self.rng
        voice, language = rng.choice(VOICES)
        w = self.add(SAY, f"say_{rng.choice(TOPICS)}", {
            "say": f"You chose {self.value()}. {rng.choice(['Please hold.', 'Thank you.', 'One moment.'])}",
            "voice": voice, "language": language, "loop": 1})
        self.connect(w["name"])
        self.open(w, _event(SAY, "audioComplete"))

    def _matches(self, split: dict, subject: str, speech: str | None = None) -> None:
        """2-4 match transitions of mixed condition types, all left open (or, now and
        then, one going back to an earlier waiting widget: "reply MENU to start over")."""
        rng = self.rng
        for j in range(rng.randint(2, 4)):
            conditions = [_condition(rng, subject if not (speech and j == 1) else speech)]
            if rng.random() < 0.15:
                conditions.append(_condition(rng, subject))
            split["transitions"]["match"].append({"next": None, "conditions": conditions})
            if j == 0 or not self.waiting or rng.random() > 0.1:
                self.open(split, "match", j)
            else:
                self.link(split, "match", rng.choice(self.waiting), j)

    # ------------------------------------------------------------ branches

    def branch(self, trigger: dict, event: str, budget: int) -> None:
        """`budget` widgets reachable from the trigger's `event`."""
        blocks = {  # kind: (widget types it needs, sizes it can have, weight); the first one starts the branch
            "incomingMessage": [("question", (ASK, SPLIT), (2, 2, 3), 5), ("lookup", (HTTP,), (1, 2, 3), 2),
                                ("remember", (SETVARS,), (1,), 1), ("notify", (SEND,), (1,), 2)],
            "incomingCall": [("menu", (GATHER, SPLIT), (2, 3), 5), ("announce", (SAY,), (1,), 2),
                             ("lookup", (HTTP,), (1, 2, 3), 2), ("remember", (SETVARS,), (1,), 1),
                             ("notify", (SEND,), (1,), 1)],
            "incomingRequest": [("lookup", (HTTP,), (1, 2, 3), 2), ("notify", (SEND,), (1,), 3),
                                ("question", (ASK, SPLIT), (2, 3), 2), ("remember", (SETVARS,), (1,), 1)],
        }[event]
        blocks = [b for b in blocks if all(registry.get(t) for t in b[1])]
        self.frontier = [(trigger, event, None)]
        self.waiting = []
        self.context = list(CONTEXT[event])
        rng = self.rng
        first = True
        while budget > 0:
            kind, needs, sizes, _ = blocks[0] if first else rng.choices(blocks, weights=[b[3] for b in blocks])[0]
            first = False
            size = rng.choice(sizes)
            if size > budget:
                continue
            assert self.frontier, "every block leaves at least one open exit"
            getattr(self, f"block_{kind}")(size)
            budget -= size


def _event(wtype: str, preferred: str) -> str | None:
    """`preferred` when the widget declares it, else its first declared event."""
    names = registry.get(wtype).event_names
    return preferred if preferred in names else (names[0] if names else None)


def _fit(spec, properties: dict) -> dict:
    """`properties` adjusted to the widget's schema: enum values kept valid, required
    properties with a default filled in, undeclared keys dropped when the schema forbids them."""
    schema = spec.properties
    declared = schema.get("properties", {})
    out = {}
    for key, value in properties.items():
        sub = declared.get(key)
        if sub is None and schema.get("additionalProperties") is False:
            continue
        if sub and "enum" in sub and value not in sub["enum"]:
            value = sub["default"] if sub.get("default") in sub["enum"] else sub["enum"][0]
        out[key] = value
    for key in schema.get("required", []):
        if key not in out and "default" in declared.get(key, {}):
            out[key] = declared[key]["default"]
    return out


def _condition(rng: random.Random, subject: str) -> dict:
    kind = rng.choice(["equal_to", "equal_to", "matches_any_of", "matches_any_of", "contains", "regex",
                       "starts_with", "not_equal_to", "does_not_contain", "less_than", "greater_than",
                       "is_blank", "is_not_blank", "is_before_time", "is_after_date"])
    values = {
        "equal_to": rng.choice(ANSWERS + ["1", "2", "3"]),
        "not_equal_to": rng.choice(ANSWERS),
        "matches_any_of": ",".join(rng.sample(ANSWERS, 3)),
        "contains": rng.choice(ANSWERS),
        "does_not_contain": rng.choice(ANSWERS),
        "starts_with": rng.choice(ANSWERS)[:2],
        "regex": rng.choice([r"^\d{5}$", r"^[A-Z]{2}\d{4}$", r"(?i)^(yes|y|ok)\b", r"^\+?[0-9 ]{7,15}$"]),
        "less_than": str(rng.randint(1, 100)),
        "greater_than": str(rng.randint(1, 100)),
        "is_before_time": f"{rng.randint(6, 20):02d}:{rng.choice(['00', '30'])}",
        "is_after_date": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }
    cond: dict = {"type": kind}
    if kind in values:
        cond["value"] = values[kind]
    if rng.random() < 0.3:
        cond["friendly_name"] = f"{kind.replace('_', ' ').capitalize()} {cond.get('value', '')}".strip()
    if rng.random() < 0.25:
        cond["arguments"] = [f"{{{{{subject} | downcase}}}}"]
    return cond


def _layout(widgets: list[dict], trigger: str) -> dict:
    """Canvas positions: one row per depth from the trigger (breadth-first), 400 px apart."""
    by_name = {w["name"]: w for w in widgets}
    depth = {trigger: 0}
    queue = deque([trigger])
    while queue:
        name = queue.popleft()
        t = by_name[name].get("transitions") or {}
        for event, target in t.items():
            targets = [m.get("next") for m in target] if event == "match" else [target]
            for nxt in targets:
                if nxt is not None and nxt not in depth:
                    depth[nxt] = depth[name] + 1
                    queue.append(nxt)
    rows: dict[int, int] = {}
    ui = {}
    for w in widgets:
        d = depth.get(w["name"], 0)
        col = rows.get(d, 0)
        rows[d] = col + 1
        ui[w["name"]] = {"x": col * 400 - (200 if d % 2 else 0), "y": d * 240}
    return ui


def generate_flow(n_widgets: int, seed: int = 0) -> dict:
    """A valid flow (plain data, the flow file's shape) with exactly `n_widgets` widgets."""
    if n_widgets < 1:
        raise ValueError("a flow has at least one widget (its trigger)")
    rng = random.Random(seed)
    b = _Builder(rng)
    trigger_spec = registry.get("trigger")
    trigger = {"name": "Trigger", "type": "trigger", "properties": {},
               "transitions": {e: None for e in trigger_spec.event_names}}
    b.widgets.append(trigger)
    branches = [e for e in BRANCH_SHARE if e in trigger_spec.event_names
                and not (e == "incomingCall" and not (registry.get(GATHER) and registry.get(SPLIT)))]
    total = sum(BRANCH_SHARE[e] for e in branches)
    rest = n_widgets - 1
    budgets = {e: int(rest * BRANCH_SHARE[e] / total) for e in branches}
    budgets[branches[0]] += rest - sum(budgets.values())
    for event in branches:
        if budgets[event] > 0:
            b.branch(trigger, event, budgets[event])
    return {
        "spec_version": CURRENT_VERSION,
        "name": f"Generated flow ({n_widgets} widgets, seed {seed})",
        "description": "Synthetic flow for benchmarks: SMS survey, voice menu and REST notifications.",
        "flags": {"allow_concurrent_calls": True},
        "widgets": b.widgets,
        "ui": _layout(b.widgets, trigger["name"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a generated, valid flow of N widgets as canonical YAML.")
    parser.add_argument("n", type=int, metavar="N", help="number of widgets (including the trigger)")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    from flowstudio.spec.flowfile import dump_flow, write_atomic

    text = dump_flow(generate_flow(args.n, args.seed))
    if args.output:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
