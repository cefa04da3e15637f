"""Run Subflow: runs another flow of this project, then continues here.

In Studio `flow_sid` is a flow SID (FW...); here it names another flow in `flows/` by
its file id (`survey` for flows/survey.yaml). The subflow reads the parameters as
`trigger.parent.parameters.*`; the variables it sets come back as `widgets.<name>.*`.
"""
from ..engine.api import Outcome
from .set_variables import parsed, wants_json
from .base import SMS, TOOLS, VOICE, Event, WidgetType, key_values, obj, text


def enter(run) -> Outcome:
    """Run the other flow with the parameters; it continues here with `completed`
    (its variables as this widget's outputs) or `failed`."""
    parameters = {}
    for item in run.properties.get("parameters") or []:
        if isinstance(item, dict) and item.get("key"):
            value = run.render(item.get("value", ""))
            # A parameter whose `type` asks for JSON ("Parse as JSON object") reaches the subflow as data.
            parameters[str(item["key"])] = parsed(value) if wants_json(item) else value
    return Outcome(subflow=(run.text("flow_sid"), parameters))


WIDGET = WidgetType(
    enter=enter,
    type="run-subflow",
    title="Run Subflow",
    category=TOOLS,
    channels=(SMS, VOICE),
    description="Run another flow as one step of this one, such as a shared survey or "
                "sign-in, then carry on with its results.",
    properties=obj({
        "flow_sid": {**text("Flow", "The id of the flow to run: its file name without .yaml.",
                            liquid=False, min_length=1), "x-ui": {"choices": "flows"}},
        "flow_revision": text("Revision", "Which version of that flow to run.", liquid=False,
                              default="LatestPublished", examples=["LatestPublished"]),
        "parameters": key_values("Parameters", "Passed to the subflow as trigger.parent.parameters.<key>."),
    }, required=("flow_sid",)),
    events=(
        Event("completed", "Completed", "The subflow ended normally."),
        Event("failed", "Failed", "The subflow could not run or ended with an error."),
    ),
    waits=True,
    # The subflow's variables come back as widgets.<name>.<variable>: none are fixed.
    outputs=(),
    example={"name": "run_survey", "type": "run-subflow",
             "properties": {"flow_sid": "survey", "flow_revision": "LatestPublished",
                            "parameters": [{"key": "topic", "value": "delivery"}]},
             "transitions": {"completed": "thanks", "failed": "sorry"}},
)
