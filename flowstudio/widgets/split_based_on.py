"""Split Based On...: picks the next widget by testing one value against conditions.

The conditions live on the `match` transitions, tried in order; the first that matches
wins, else `noMatch`. Matching follows Studio's rules (case-insensitive, trimmed; see
the runtime for the semantics of each of the 17 condition types).
"""
from ..engine.api import Outcome
from ..engine.conditions import ConditionError, evaluate
from .base import FLOW_CONTROL, SMS, VOICE, Event, WidgetType, obj, text

CONDITION_TYPES = {
    "equal_to": "Equal To",
    "not_equal_to": "Not Equal To",
    "matches_any_of": "Matches Any Of",
    "does_not_match_any_of": "Does Not Match Any Of",
    "is_blank": "Is Blank",
    "is_not_blank": "Is Not Blank",
    "regex": "Regex",
    "contains": "Contains",
    "does_not_contain": "Does Not Contain",
    "starts_with": "Starts With",
    "does_not_start_with": "Does Not Start With",
    "less_than": "Less Than",
    "greater_than": "Greater Than",
    "is_before_time": "Is Before Time",
    "is_after_time": "Is After Time",
    "is_before_date": "Is Before Date",
    "is_after_date": "Is After Date",
}
# Conditions that test the input alone and need no value.
VALUELESS = ("is_blank", "is_not_blank")

CONDITION_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "title": "Condition", "enum": list(CONDITION_TYPES),
                 "x-ui": {"labels": CONDITION_TYPES}},
        "value": {"type": "string", "title": "Value",
                  "description": "Comma-separated for Matches Any Of; HH:MM for times; YYYY-MM-DD for dates."},
        "friendly_name": {"type": "string", "title": "Label"},
        "arguments": {"type": "array", "items": {"type": "string", "x-ui": {"liquid": True}},
                      "title": "Value to test", "description": "Defaults to the split's input."},
    },
    "required": ["type"],
    "if": {"properties": {"type": {"not": {"enum": list(VALUELESS)}}}},
    "then": {"required": ["value"]},
}


def default_friendly_name(condition: dict) -> str:
    """The label Studio gives a condition when the user does not name it."""
    return f"If value {condition.get('type')} {condition.get('value', '')}".rstrip()



def enter(run) -> Outcome:
    """Try each `match` transition in order; the first whose conditions all hold wins."""
    subject = run.text("input")
    notes: list[str] = []
    for i, match in enumerate(run.widget.matches()):
        conditions = match.get("conditions") or []
        if conditions and all(_holds(run, c, subject, notes) for c in conditions):
            return Outcome(event="match", match=i, notes=tuple(notes))
    return Outcome(event="noMatch", notes=tuple(notes))


def _holds(run, condition: dict, subject: str, notes: list[str]) -> bool:
    arguments = condition.get("arguments")
    # A value to test that is still empty (just added in the editor) tests the input.
    if arguments and not (isinstance(arguments[0], str) and not arguments[0].strip()):
        subject = run.render(arguments[0])
    value = condition.get("value")
    try:
        return evaluate(condition.get("type", ""), subject, None if value is None else run.render(value))
    except ConditionError as exc:
        notes.append(f"condition {condition.get('type')} {value!r} was skipped: {exc}")
        return False


WIDGET = WidgetType(
    enter=enter,
    type="split-based-on",
    title="Split Based On...",
    category=FLOW_CONTROL,
    channels=(SMS, VOICE),
    description="Test a value (a reply, a key press, a variable) and branch on the first "
                "condition that matches.",
    properties=obj({
        "input": text("Variable to test", "What to check, e.g. {{widgets.ask.inbound.Body}}, the reply to a "
                      "widget called ask. Press {x} to choose."),
    }, required=("input",)),
    events=(
        Event("noMatch", "No Condition Matches", "No condition matched the input."),
        Event("match", "Condition Matches", "A condition matched (one handle per condition)."),
    ),
    condition_schema=CONDITION_SCHEMA,
    example={"name": "check", "type": "split-based-on",
             "properties": {"input": "{{widgets.ask.inbound.Body}}"},
             "transitions": {"noMatch": "ask",
                             "match": [{"next": "confirmed",
                                        "conditions": [{"type": "matches_any_of", "value": "yes,y,ok"}]}]}},
)
