"""Set Variables: saves values under `flow.variables.*` for later widgets to read.

Each value is a Liquid template rendered when the widget runs; the result is always a
string (as in Studio), so `{{flow.variables.count | plus: 1}}` counts.
"""

from ..engine import jsontext
from ..engine.api import Outcome
from .base import FLOW_CONTROL, SMS, VOICE, Event, WidgetType, boolean, key_values, obj


def enter(run) -> Outcome:
    """Render each value in order (a value may use the ones set before it) and store
    them under flow.variables; with parse_json, or an item whose `type` asks for JSON
    ("Parse as JSON object"), JSON objects and lists are kept as data."""
    variables = run.context["flow"]["variables"]
    parse = run.flag("parse_json", False)
    values = {}
    for item in run.properties.get("variables") or []:
        if not isinstance(item, dict) or not item.get("key"):
            continue
        value = run.render(item.get("value", ""))
        values[item["key"]] = variables[item["key"]] = parsed(value) if parse or wants_json(item) else value
    return Outcome(event="next", variables=values)


# Studio's per-item `type` ("string", or "Parse as JSON object"), as exports write it.
JSON_TYPES = ("json", "json_object", "object")


def wants_json(item: dict) -> bool:
    """True when a `{key, value, type}` item asks for its value parsed as JSON."""
    kind = item.get("type")
    return isinstance(kind, str) and kind.strip().lower() in JSON_TYPES


parsed = jsontext.data_or_text   # `text` as a JSON object or list when it is one, else as it is


WIDGET = WidgetType(
    enter=enter,
    type="set-variables",
    title="Set Variables",
    category=FLOW_CONTROL,
    channels=(SMS, VOICE),
    description="Remember values for the rest of the conversation, such as an answer or a "
                "counter; later widgets read them as flow.variables.<key>.",
    properties=obj({
        "variables": key_values("Variables", "Later widgets read each one as flow.variables.<key>. A value "
                                              "can hold what an earlier widget got: type {{ or press {x}."),
        "parse_json": boolean("Keep lists and records as data", "A value written like {\"name\": \"Ana\"} or "
                              "[1, 2] becomes data whose parts later widgets read (flow.variables.<key>.name) "
                              "instead of text. Studio calls this \u201cParse JSON values\u201d.", default=False),
    }),
    events=(
        Event("next", "Next", "The variables are set."),
    ),
    example={"name": "remember_answer", "type": "set-variables",
             "properties": {"variables": [{"key": "answer", "value": "{{widgets.ask.inbound.Body}}"},
                                          {"key": "tries", "value": "{{flow.variables.tries | plus: 1}}"}]},
             "transitions": {"next": "thank"}},
)
