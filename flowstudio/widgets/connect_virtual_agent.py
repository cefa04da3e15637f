"""Connect Virtual Agent: hands the call to a Google Dialogflow virtual agent with TwiML
`<Connect action=…><VirtualAgent connectorName language sentimentAnalysis
statusCallback>` (its parameters as `<Parameter>`s); when the agent is done, the
`<Connect>` action callback resumes the widget by `VirtualAgentStatus`.

Studio has two types: `connect-virtual-agent` (Dialogflow ES) and
`connect-virtual-agent-v2` (Dialogflow CX, connect_virtual_agent_v2.py); they differ in
the connector they name and in CX taking parameters, and run the same here. Outputs:
everything the callback posts, `VirtualAgentProviderData` (JSON text) as data.
"""

from ..engine import effects as fx
from ..engine import jsontext
from ..engine.api import Outcome, Wait
from ..engine.state import WAIT_CALL
from ._speech import language
from .base import VOICE, VOICE_CATEGORY, Event, WidgetType, boolean, key_values, obj, text

STATUSES = {"completed": "completed", "live-agent-handoff": "live-agent-handoff", "timeout": "timeout",
            "hangup": "hangup", "failed": "failed"}


def enter(run) -> Outcome:
    """Connect the caller to the agent and wait for the `<Connect>` action callback."""
    sentiment = run.properties.get("sentiment_analysis")
    effect = fx.VirtualAgent(run.name, connector=run.text("connector"), language=run.text("language"),
                             sentiment_analysis=None if sentiment in (None, "") else run.flag("sentiment_analysis",
                                                                                                False),
                             status_callback=run.text("status_callback"), parameters=run.pairs("parameters"))
    return Outcome(effects=(effect,), wait=Wait(WAIT_CALL))


def resume(run, event) -> Outcome:
    """By `VirtualAgentStatus`; the call ending first is `hangup`."""
    params = dict(getattr(event, "params", {}))
    data = params.get("VirtualAgentProviderData")
    if isinstance(data, str) and data.strip()[:1] == "{":
        try:
            params["VirtualAgentProviderData"] = jsontext.loads_outside(data)
        except ValueError:
            pass  # kept as the text it is
    if getattr(event, "kind", "") == "callEnded" or params.get("CallStatus") == "completed":
        return Outcome(event="hangup", outputs=params)
    status = params.get("VirtualAgentStatus", "")
    failed = status not in STATUSES or params.get("VirtualAgentErrorCode")
    notes = (f"the virtual agent failed: {params.get('VirtualAgentError') or status or 'no status'}",) if failed else ()
    return Outcome(event="failed" if failed else STATUSES[status], outputs=params, notes=notes)


def widget(type_: str, title: str, description: str, with_parameters: bool) -> WidgetType:
    """The declaration of one of Studio's two Connect Virtual Agent types."""
    properties = {
        "connector": text("Connector", "The Dialogflow connector's unique name (its conversation profile).",
                          liquid=False, min_length=1),
        "language": language(description="The language the caller speaks (Dialogflow transcribes it)."),
        "sentiment_analysis": boolean("Sentiment analysis", default=False),
        "status_callback": text("Status callback URL", "Where Twilio posts the agent's progress."),
    }
    if with_parameters:
        properties["parameters"] = key_values("Parameters", "Sent to the agent as session parameters.")
    return WidgetType(
        enter=enter,
        resume=resume,
        type=type_,
        title=title,
        category=VOICE_CATEGORY,
        channels=(VOICE,),
        description=description,
        properties=obj(properties, required=("connector",)),
        events=(
            Event("completed", "Completed", "The agent ended the conversation."),
            Event("live-agent-handoff", "Live Agent Handoff", "The agent asked for a person."),
            Event("hangup", "Hangup", "The caller hung up."),
            Event("timeout", "Timeout", "The agent's session timed out."),
            Event("failed", "Failed", "The agent could not be reached or failed."),
        ),
        waits=True,
        outputs=("VirtualAgentStatus", "VirtualAgentProvider", "VirtualAgentProviderData", "VirtualAgentErrorCode",
                 "VirtualAgentError"),
        example={"name": "virtual_agent", "type": type_, "properties": {"connector": "my-dialogflow-profile"},
                 "transitions": {"completed": None, "live-agent-handoff": None, "hangup": None}},
    )


# Studio titles both "Connect Virtual Agent"; the palette tells them apart.
WIDGET = widget("connect-virtual-agent", "Connect Virtual Agent (Dialogflow ES)",
                "Let a Google Dialogflow ES virtual agent talk with the caller.", False)
