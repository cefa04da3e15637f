"""Add TwiML Redirect: hands the call to your own TwiML, which hands it back later.

The call is redirected to `url`; the external TwiML returns with `<Redirect>` to the
flow URL with `FlowEvent=return`, and its query parameters become
`widgets.<name>.*`. `timeout` is a string in Studio exports ("14400"). Studio also
redirects messages; here a message that reaches it follows `fail` (the validator warns).
"""
from ..engine import effects as fx
from ..engine import events as ev
from ..engine.api import Outcome, Wait
from ..engine.calls import in_call
from ..engine.state import WAIT_CALL
from .base import TOOLS, VOICE, Event, WidgetType, choice, integer, obj, text

_FLOW_KEYS = ("FlowEvent", "FlowSid", "ExecutionSid", "Widget", "Token")


def enter(run) -> Outcome:
    """Hand the call to the other TwiML and wait for it to come back (or time out).
    Without a call (a message reached it) there is nothing to hand over: `fail`, saying why."""
    if not in_call(run.state):
        return Outcome(event="fail", notes=("TwiML Redirect hands over only calls here, and this execution has "
                                            "no call (it did not start from one, nor answer one it placed): "
                                            "it follows fail",))
    effect = fx.Redirect(run.name, url=run.text("url"), method=run.text("method", "POST").upper())
    return Outcome(effects=(effect,), wait=Wait(WAIT_CALL, run.number("timeout", 14400)))


def resume(run, event) -> Outcome:
    """`return` with the parameters it came back with, `timeout`, or `fail`."""
    if isinstance(event, ev.TimeoutElapsed):
        return Outcome(event="timeout")
    params = dict(getattr(event, "params", {}))
    outputs = {k: v for k, v in params.items() if k not in _FLOW_KEYS}
    return Outcome(event="return" if params.get("FlowEvent") == "return" else "fail", outputs=outputs)


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="add-twiml-redirect",
    title="TwiML Redirect",
    category=TOOLS,
    channels=(VOICE,),
    description="Let your own voice application take over the call for a while, then come back "
                "to this flow where it left off.",
    properties=obj({
        "url": text("URL", "Where to send the call; it must answer with TwiML.", min_length=1),
        "method": choice("Method", ["GET", "POST"], default="POST"),
        "timeout": integer("Timeout", "How long to wait for the call to come back.", default=14400,
                           minimum=0, maximum=14400, unit="seconds"),
    }, required=("url",)),
    events=(
        Event("return", "Return", "The TwiML sent the call back to the flow."),
        Event("timeout", "Timeout", "The call did not come back in time."),
        Event("fail", "Fail", "The redirect failed."),
    ),
    waits=True,
    without_call="fail",
    # The return URL's query parameters become widgets.<name>.<parameter>: none are fixed.
    outputs=(),
    example={"name": "to_legacy_ivr", "type": "add-twiml-redirect",
             "properties": {"url": "https://ivr.example.com/twiml/start", "method": "POST",
                            "timeout": "14400"},
             "transitions": {"return": "goodbye", "timeout": None, "fail": "sorry"}},
)
