"""Studio JSON import/export (flowstudio.spec.studio) on small hand-written definitions."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from flowstudio.spec.flowfile import dump_flow, load_flow_text
from flowstudio.spec.model import Flow, Widget
from flowstudio.spec.studio import StudioFormatError, from_studio, to_studio
from flowstudio.widgets import registry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "studio"
KEYS = ("description", "initial_state", "flags", "states")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def through_yaml(flow: Flow) -> Flow:
    """The flow after being written to a YAML flow file and read back."""
    return Flow.from_data(load_flow_text(dump_flow(flow)).data)


def assert_same_studio(actual: dict, expected: dict) -> None:
    """JSON equality on the parts a round trip keeps (bool/int and key order aware)."""
    want = {k: expected[k] for k in KEYS if k in expected}
    got = {k: actual[k] for k in KEYS if k in actual}
    assert got == want
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)


def state(name, type_, transitions=None, **properties) -> dict:
    out = {"name": name, "type": type_}
    if transitions is not None:
        out["transitions"] = transitions
    out["properties"] = properties
    return out


def definition(*states) -> dict:
    start = next((s for s in states if s["type"] == "trigger"), states[0])
    return {"description": "", "states": list(states), "initial_state": start["name"]}


TRIGGER = state("Trigger", "trigger", [{"next": "check", "event": "incomingMessage"}], offset={"x": 0, "y": 0})

# ---------------------------------------------------------------- exact import

SMS_WIDGETS = [
    Widget("Trigger", "trigger", {}, {"incomingMessage": "ask", "incomingCall": None,
                                      "incomingConversationMessage": None, "incomingRequest": "ask",
                                      "incomingParent": None}),
    Widget("ask", "send-and-wait-for-reply",
           {"from": "{{flow.channel.address}}", "body": "Reply YES to confirm, NO to cancel.", "timeout": "3600"},
           {"incomingMessage": "check", "timeout": "bye", "deliveryFailure": None}),
    Widget("check", "split-based-on", {"input": "{{widgets.ask.inbound.Body}}"}, {
        "noMatch": "ask",
        "match": [
            {"next": "confirmed", "conditions": [{"friendly_name": "Yes", "type": "matches_any_of",
                                                  "value": "yes,y,ok"}]},
            {"next": "bye", "conditions": [{"type": "equal_to", "value": "no"}]},
            {"next": "confirmed", "conditions": [{"friendly_name": "Opted in earlier",
                                                  "arguments": ["{{flow.data.opted_in}}"],
                                                  "type": "equal_to", "value": "true"}]},
            {"next": None, "conditions": [{"friendly_name": "Empty reply", "type": "is_blank",
                                           "value": "Is Blank"}]},
        ]}),
    Widget("confirmed", "send-message", {"from": "{{flow.channel.address}}", "to": "{{contact.channel.address}}",
                                         "body": "See you then!"}, {"sent": None, "failed": None}),
    Widget("bye", "send-message", {"body": "No problem.\nReply any time to book again."},
           {"sent": None, "failed": None}),
]

SMS_YAML = """\
spec_version: 1
name: sms-confirm
description: Appointment confirmation by SMS
flags:
  allow_concurrent_calls: true
widgets:
  - name: Trigger
    type: trigger
    transitions:
      incomingMessage: ask
      incomingCall: null
      incomingConversationMessage: null
      incomingRequest: ask
      incomingParent: null
  - name: ask
    type: send-and-wait-for-reply
    properties:
      body: Reply YES to confirm, NO to cancel.
      from: '{{flow.channel.address}}'
      timeout: '3600'
    transitions:
      incomingMessage: check
      timeout: bye
      deliveryFailure: null
  - name: check
    type: split-based-on
    properties:
      input: '{{widgets.ask.inbound.Body}}'
    transitions:
      noMatch: ask
      match:
        - next: confirmed
          conditions:
            - type: matches_any_of
              value: yes,y,ok
              friendly_name: 'Yes'
        - next: bye
          conditions:
            - type: equal_to
              value: 'no'
        - next: confirmed
          conditions:
            - type: equal_to
              value: 'true'
              friendly_name: Opted in earlier
              arguments:
                - '{{flow.data.opted_in}}'
        - next: null
          conditions:
            - type: is_blank
              value: Is Blank
              friendly_name: Empty reply
  - name: confirmed
    type: send-message
    properties:
      body: See you then!
      from: '{{flow.channel.address}}'
      to: '{{contact.channel.address}}'
    transitions:
      sent: null
      failed: null
  - name: bye
    type: send-message
    properties:
      body: |-
        No problem.
        Reply any time to book again.
    transitions:
      sent: null
      failed: null
ui:
  Trigger: {x: 0, y: 0}
  ask: {x: 20, y: 200}
  check: {x: 20, y: 420}
  confirmed: {x: -200, y: 650}
  bye: {x: 200, y: 650}
"""


def test_sms_fixture_maps_to_the_expected_flow():
    flow = from_studio(fixture("sms-confirm"), "sms-confirm")
    assert flow == Flow(name="sms-confirm", widgets=SMS_WIDGETS, description="Appointment confirmation by SMS",
                        ui={"Trigger": {"x": 0, "y": 0}, "ask": {"x": 20, "y": 200}, "check": {"x": 20, "y": 420},
                            "confirmed": {"x": -200, "y": 650}, "bye": {"x": 200, "y": 650}},
                        flags={"allow_concurrent_calls": True})


def test_sms_fixture_writes_the_expected_yaml():
    assert dump_flow(from_studio(fixture("sms-confirm"), "sms-confirm")) == SMS_YAML


def test_import_does_not_share_data_with_the_definition():
    source = fixture("sms-confirm")
    snapshot = copy.deepcopy(source)
    flow = from_studio(source, "x")
    flow.widgets[2].transitions["match"][0]["conditions"][0]["value"] = "changed"
    flow.ui["ask"]["x"] = 999
    to_studio(flow)["states"][1]["properties"]["body"] = "changed"
    assert source == snapshot


# ---------------------------------------------------------------- values, defaults


def test_property_values_are_kept_exactly_through_yaml():
    d = definition(TRIGGER, state("check", "send-and-wait-for-reply", [{"event": "timeout"}],
                                  body="007", timeout="3600", media_url="", extra=[1, True, None, 2.5]))
    for flow in (from_studio(d, "x"), through_yaml(from_studio(d, "x"))):
        assert flow.widget("check").properties == {"body": "007", "timeout": "3600", "media_url": "",
                                                   "extra": [1, True, None, 2.5]}
    assert from_studio(definition(TRIGGER, state("check", "send-and-wait-for-reply", [], timeout=3600)),
                       "x").widget("check").properties["timeout"] == 3600


def test_condition_defaults_are_elided_and_restored():
    conditions = [{"friendly_name": "If value equal_to 1", "arguments": ["{{x}}"], "type": "equal_to", "value": "1"},
                  {"friendly_name": "If value is_not_blank", "arguments": ["{{x}}"], "type": "is_not_blank"},
                  {"friendly_name": "If value equal_to 2", "arguments": ["{{y}}"], "type": "equal_to", "value": "2"},
                  {"friendly_name": "Two", "arguments": ["{{x}}"], "type": "equal_to", "value": "2", "note": "kept"}]
    split = state("check", "split-based-on", [{"event": "noMatch"}, {"next": "Trigger", "event": "match",
                                                                   "conditions": conditions}], input="{{x}}")
    d = definition(TRIGGER, split)
    flow = from_studio(d, "x")
    assert flow.widget("check").transitions["match"] == [{"next": "Trigger", "conditions": [
        {"type": "equal_to", "value": "1"},
        {"type": "is_not_blank"},
        {"arguments": ["{{y}}"], "type": "equal_to", "value": "2"},
        {"friendly_name": "Two", "type": "equal_to", "value": "2", "note": "kept"}]}]
    assert_same_studio(to_studio(flow), d)
    assert_same_studio(to_studio(through_yaml(flow)), d)


def test_hand_written_mapping_exports_one_transition_per_key():
    text = """\
spec_version: 1
name: hand
widgets:
  - name: start
    type: trigger
    transitions: {incomingMessage: check, incomingCall: null}
  - name: check
    type: split-based-on
    properties: {input: '{{trigger.message.Body}}'}
    transitions:
      match:
        - next: start
          conditions: [{type: equal_to, value: 'yes'}, {type: is_blank, arguments: ['{{flow.data.x}}']}]
        - conditions: [{type: contains, value: stop, friendly_name: Stop}]
      noMatch: null
ui:
  check: {x: 1, y: 2}
"""
    studio = to_studio(Flow.from_data(load_flow_text(text).data))
    assert studio == {"description": "", "initial_state": "start", "states": [
        {"name": "start", "type": "trigger", "properties": {},
         "transitions": [{"next": "check", "event": "incomingMessage"}, {"event": "incomingCall"}]},
        {"name": "check", "type": "split-based-on",
         "properties": {"offset": {"x": 1, "y": 2}, "input": "{{trigger.message.Body}}"},
         "transitions": [
             {"next": "start", "event": "match", "conditions": [
                 {"friendly_name": "If value equal_to yes", "arguments": ["{{trigger.message.Body}}"],
                  "type": "equal_to", "value": "yes"},
                 {"friendly_name": "If value is_blank", "arguments": ["{{flow.data.x}}"], "type": "is_blank"}]},
             {"event": "match", "conditions": [
                 {"friendly_name": "Stop", "arguments": ["{{trigger.message.Body}}"], "type": "contains",
                  "value": "stop"}]},
             {"event": "noMatch"}]}]}


def test_flags_absent_stay_absent_and_missing_offset_has_no_ui():
    d = {"description": "d", "states": [state("Trigger", "trigger", [])], "initial_state": "Trigger"}
    flow = from_studio(d, "x")
    assert flow.flags is None and flow.ui == {}
    assert to_studio(flow) == d
    assert to_studio(through_yaml(flow)) == d


def test_initial_state_is_the_trigger_else_the_first_widget():
    first = state("first", "send-message", [{"event": "sent"}], body="hi")
    assert to_studio(from_studio(definition(first, TRIGGER), "x"))["initial_state"] == "Trigger"
    assert to_studio(from_studio(definition(first), "x"))["initial_state"] == "first"
    assert "initial_state" not in to_studio(Flow(name="empty"))


# ---------------------------------------------------------------- kept verbatim


def test_unknown_types_and_eventless_transitions_are_kept_verbatim():
    d = fixture("unknown-types")
    flow = from_studio(d, "x")
    by_name = {w.name: w for w in flow.widgets}
    assert [w.name for w in flow.widgets] == [s["name"] for s in d["states"]]
    assert by_name["vars"].transitions == [{"next": "stream"}]
    assert by_name["stream"].transitions == {"next": "handoff"}   # fork-stream is known: a mapping
    assert by_name["handoff"].transitions == d["states"][3]["transitions"]
    assert by_name["handoff"].properties == {k: v for k, v in d["states"][3]["properties"].items() if k != "offset"}
    assert by_name["done"].transitions is None and "done" not in flow.ui
    assert flow.flags is None


NOT_A_MAPPING = {
    "no event": [{"next": "Trigger"}],
    "repeated event": [{"event": "sent"}, {"next": "Trigger", "event": "sent"}],
    "extra key": [{"event": "sent", "next": "Trigger", "label": "ok"}],
    "explicit null next": [{"event": "sent", "next": None}],
    "conditions on non-match": [{"event": "sent", "conditions": []}],
    "match on a non-split": [{"event": "match", "next": "Trigger", "conditions": []}],
    "not an object": ["sent"],
}


@pytest.mark.parametrize("transitions", NOT_A_MAPPING.values(), ids=NOT_A_MAPPING)
def test_transitions_that_do_not_fit_a_mapping_stay_a_list(transitions):
    d = definition(TRIGGER, state("check", "send-message", copy.deepcopy(transitions), body="hi"))
    flow = from_studio(d, "x")
    assert flow.widget("check").transitions == transitions
    assert_same_studio(to_studio(flow), d)
    assert_same_studio(to_studio(through_yaml(flow)), d)


SPLIT_NOT_A_MAPPING = {
    "match not contiguous": [{"next": "Trigger", "event": "match", "conditions": []}, {"event": "noMatch"},
                             {"next": "Trigger", "event": "match", "conditions": []}],
    "condition without friendly_name": [{"event": "match", "conditions": [
        {"arguments": ["{{x}}"], "type": "equal_to", "value": "1"}]}],
    "condition without arguments": [{"event": "match", "conditions": [
        {"friendly_name": "One", "type": "equal_to", "value": "1"}]}],
}


@pytest.mark.parametrize("transitions", SPLIT_NOT_A_MAPPING.values(), ids=SPLIT_NOT_A_MAPPING)
def test_split_transitions_that_do_not_fit_a_mapping_stay_a_list(transitions):
    d = definition(TRIGGER, state("check", "split-based-on", copy.deepcopy(transitions), input="{{x}}"))
    flow = from_studio(d, "x")
    assert flow.widget("check").transitions == transitions
    assert_same_studio(to_studio(through_yaml(flow)), d)


def test_missing_transitions_key_is_none():
    d = definition(TRIGGER, state("stop", "end"))
    flow = from_studio(d, "x")
    assert flow.widget("stop").transitions is None
    assert "transitions" not in to_studio(through_yaml(flow))["states"][1]


def test_known_type_with_no_transitions_exports_an_empty_list():
    flow = Flow(name="x", widgets=[Widget("Trigger", "trigger", {}, None)])
    assert to_studio(flow)["states"][0]["transitions"] == []


# ---------------------------------------------------------------- errors

BAD = [
    ([], "a Studio flow definition is a JSON object, found a list"),
    ({"description": "x"}, "needs a 'states' list, found none"),
    ({"states": {"a": 1}}, "needs a 'states' list, found an object"),
    ({"states": [TRIGGER, "oops"]}, "states[1]: a state must be an object, found a string"),
    ({"states": [{"type": "trigger"}]}, "states[0]: missing 'name'"),
    ({"states": [{"name": "ask"}]}, "states[0] ('ask'): missing 'type'"),
    ({"states": [{"name": 3, "type": "trigger"}]}, "states[0]: 'name' must be a non-empty string, found 3"),
    ({"states": [{"name": "ask", "type": "say-play", "properties": []}]},
     "states[0] ('ask'): 'properties' must be an object, found a list"),
    ({"states": [{"name": "ask", "type": "say-play", "transitions": {}}]},
     "states[0] ('ask'): 'transitions' must be a list, found an object"),
    ({"states": [TRIGGER, TRIGGER]}, "states[1] ('Trigger'): duplicate name, already used by states[0]"),
]


@pytest.mark.parametrize("bad, message", BAD, ids=[m for _, m in BAD])
def test_not_a_studio_definition(bad, message):
    with pytest.raises(StudioFormatError) as exc:
        from_studio(bad, "x")
    assert message in str(exc.value)
    assert isinstance(exc.value, ValueError)


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.json")))
def test_fixture_round_trips(name):
    d = fixture(name)
    flow = from_studio(d, name)
    assert_same_studio(to_studio(flow), d)
    assert_same_studio(to_studio(through_yaml(flow)), d)


def test_voice_fixture_uses_mappings_for_registered_types_only():
    flow = from_studio(fixture("voice-ivr"), "voice-ivr")
    for widget in flow.widgets:
        expected = dict if registry.get(widget.type) else list
        assert isinstance(widget.transitions, expected), widget.name
    assert flow.widget("menu").properties["profanity_filter"] == "true"
    assert flow.widget("menu").properties["stop_gather"] is True
