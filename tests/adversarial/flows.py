"""The flows the attacks use, written out as flow files (all valid, none loops).

- `echo`: the other flow, the one that must keep answering: replies "pong <body>".
- `regex40`: a split of 40 branches, each a regex that backtracks badly on
  "a"*40 + "!" (each gives up after 0.25 s); anything else answers "no match".
- `bigrange`: replies `{{ (1..200000000) | join: "," | size }}` to "range", "ok" else.
- `doubling`: `append` doubles a text 29 times (512 MB) for "double", "ok" else.
- `heavy`: "heavy" runs a chain of CHAIN widgets whose templates each stay within
  every template limit (about 50 ms each), so only the turn's budget can stop it.
"""
from pathlib import Path

import yaml

ATTACK_TEXT = "a" * 40 + "!"
SLOW_REGEX = "^(a|aa)+$"
CHAIN = 40
HEAVY_TEMPLATE = ('{% assign s = "abcdefghij" %}{% for i in (1..1000) %}'
                  '{% assign u = s | append: i | upcase | replace: "A", "b" | downcase | size %}{% endfor %}{{ u }}')
DOUBLING = ('{% assign s = "a" %}{% for i in (1..29) %}{% assign s = s | append: s %}{% endfor %}'
            '{{ s | size }}')


def _flow(name: str, widgets: list[dict]) -> dict:
    return {"spec_version": 1, "name": name, "widgets": widgets,
            "ui": {w["name"]: {"x": 0, "y": 200 * i} for i, w in enumerate(widgets)}}


def _trigger(first: str) -> dict:
    return {"name": "Trigger", "type": "trigger", "transitions": {"incomingMessage": first}}


def _say(name: str, body: str) -> dict:
    return {"name": name, "type": "send-message", "properties": {"body": body}}


def _keyword(word: str, then: str, otherwise: str) -> dict:
    return {"name": "which", "type": "split-based-on", "properties": {"input": "{{trigger.message.Body}}"},
            "transitions": {"noMatch": otherwise,
                            "match": [{"next": then, "conditions": [{"type": "equal_to", "value": word}]}]}}


def echo() -> dict:
    return _flow("echo", [_trigger("pong"), _say("pong", "pong {{trigger.message.Body}}")])


def regex40() -> dict:
    matches = [{"next": "matched", "conditions": [{"type": "regex", "value": SLOW_REGEX,
                                                   "friendly_name": f"slow {i}"}]} for i in range(40)]
    split = {"name": "slow_split", "type": "split-based-on", "properties": {"input": "{{trigger.message.Body}}"},
             "transitions": {"noMatch": "no_match", "match": matches}}
    return _flow("regex40", [_trigger("slow_split"), split, _say("matched", "matched"), _say("no_match", "no match")])


def bigrange() -> dict:
    return _flow("bigrange", [_trigger("which"), _keyword("range", "count", "ok"),
                              _say("count", '{{ (1..200000000) | join: "," | size }}'), _say("ok", "ok")])


def doubling() -> dict:
    return _flow("doubling", [_trigger("which"), _keyword("double", "grow", "ok"), _say("grow", DOUBLING),
                              _say("ok", "ok")])


def heavy() -> dict:
    chain = []
    for i in range(CHAIN):
        chain.append({"name": f"work{i}", "type": "set-variables",
                      "properties": {"variables": [{"key": f"v{i}_{j}", "value": HEAVY_TEMPLATE} for j in range(3)]},
                      "transitions": {"next": f"work{i + 1}" if i + 1 < CHAIN else "done"}})
    return _flow("heavy", [_trigger("which"), _keyword("heavy", "work0", "ok"), *chain, _say("done", "done"),
                           _say("ok", "ok")])


ALL = {"echo": echo, "regex40": regex40, "bigrange": bigrange, "doubling": doubling, "heavy": heavy}


def write_all(folder: Path) -> None:
    """Write every flow above into `folder` as `<name>.yaml`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in ALL.items():
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(make(), sort_keys=False, allow_unicode=True))
