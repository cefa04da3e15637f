"""Run Function: calls a serverless function and branches on the answer.

Works like Make HTTP Request with a POST of the parameters (plus the flow's context);
the answer is kept as `widgets.<name>.body` and `.parsed.*`. The service, environment
and function SIDs are kept for Studio round-trips; this runtime calls `url`.
"""
from ..engine import effects as fx
from ..engine.api import Outcome, Wait, WidgetError
from ..engine.state import WAIT_IO
from ._http import http_outcome
from .base import SMS, TOOLS, VOICE, Event, WidgetType, key_values, obj, text


def enter(run) -> Outcome:
    """POST the parameters to the function's URL; the service resumes with the answer."""
    url = run.text("url")
    if not url:
        raise WidgetError("this function has no URL: set url to the function's web address")
    effect = fx.HttpCall(run.name, method="POST", url=url, parameters=run.pairs("parameters"))
    return Outcome(effects=(effect,), wait=Wait(WAIT_IO))


def resume(run, event) -> Outcome:
    """`success` on a 2xx answer, else `fail` (Studio's name)."""
    return http_outcome(getattr(event, "result", {}), "success", "fail")


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="run-function",
    title="Run Function",
    category=TOOLS,
    channels=(SMS, VOICE),
    description="Run a small piece of your own code hosted on the web (a Twilio Function or any "
                "URL) and use what it returns.",
    properties=obj({
        "url": text("Function URL", "The address the function answers on."),
        "service_sid": text("Service", "ZS...; from Studio exports.", liquid=False),
        "environment_sid": text("Environment", "ZE...; from Studio exports.", liquid=False),
        "function_sid": text("Function", "ZH...; from Studio exports.", liquid=False),
        "parameters": key_values("Function parameters", "Sent to the function as form fields."),
    }, required=("url",)),
    events=(
        Event("success", "Success", "The function answered with a 2xx status."),
        Event("fail", "Fail", "Any other status, a timeout, or no connection."),
    ),
    # `parsed` holds a JSON object answer; its fields (parsed.<field>) depend on the function.
    outputs=("status_code", "content_type", "body", "parsed"),
    example={"name": "check_hours", "type": "run-function",
             "properties": {"url": "https://example-1234.twil.io/check-hours",
                            "parameters": [{"key": "caller", "value": "{{contact.channel.address}}"}]},
             "transitions": {"success": "route", "fail": "sorry"}},
)
