"""Set Variables: saves values under `flow.variables.*` for later widgets to read.

Each value is a Liquid template rendered when the widget runs; the result is always a
string (as in Studio), so `{{flow.variables.count | plus: 1}}` counts.
"""
from .base import FLOW_CONTROL, SMS, VOICE, Event, WidgetType, key_values, obj

WIDGET = WidgetType(
    type="set-variables",
    title="Set Variables",
    category=FLOW_CONTROL,
    channels=(SMS, VOICE),
    description="Remember values for the rest of the conversation, such as an answer or a "
                "counter; later widgets read them as flow.variables.<key>.",
    properties=obj({
        "variables": key_values("Variables", "Each key becomes flow.variables.<key>; the value may "
                                              "use Liquid, e.g. {{widgets.ask.inbound.Body}}."),
    }),
    events=(
        Event("next", "Next", "The variables are set."),
    ),
    example={"name": "remember_answer", "type": "set-variables",
             "properties": {"variables": [{"key": "answer", "value": "{{widgets.ask.inbound.Body}}"},
                                          {"key": "tries", "value": "{{flow.variables.tries | plus: 1}}"}]},
             "transitions": {"next": "thank"}},
)
