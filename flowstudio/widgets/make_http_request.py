"""Make HTTP Request: calls a web address and branches on the answer.

A 2xx answer follows `success`, anything else (or a timeout after 10 s) `failed`. The
answer is kept as `widgets.<name>.status_code`, `.content_type`, `.body` and, for a
JSON object, `.parsed.*`. `content_type` keeps Studio's exact values (with the
`;charset=utf-8` suffix, or without it as some flows have it) so flows round-trip.
"""
from ..engine import effects as fx
from ..engine.api import Outcome, Wait
from ..engine.state import WAIT_IO
from ._http import http_outcome
from .base import SMS, TOOLS, VOICE, Event, WidgetType, boolean, choice, key_values, obj, text

FORM = "application/x-www-form-urlencoded;charset=utf-8"
JSON = "application/json;charset=utf-8"
# The same media types without the charset, as flows written for Studio's API (not its
# editor) have them: sent as written (adapters/http.py tells JSON by the media type).
BARE_FORM, BARE_JSON = FORM.split(";")[0], JSON.split(";")[0]


def enter(run) -> Outcome:
    """Ask the service to make the request; it resumes with the answer."""
    effect = fx.HttpCall(run.name, method=run.text("method", "GET").upper(), url=run.text("url"),
                         content_type=run.text("content_type", FORM), body=run.text("body") or None,
                         parameters=run.pairs("parameters"), add_twilio_auth=run.flag("add_twilio_auth", False))
    return Outcome(effects=(effect,), wait=Wait(WAIT_IO))


def resume(run, event) -> Outcome:
    """`success` on a 2xx answer, else `failed`."""
    return http_outcome(getattr(event, "result", {}), "success", "failed")


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="make-http-request",
    title="Make HTTP Request",
    category=TOOLS,
    channels=(SMS, VOICE),
    description="Send data to, or fetch data from, another system on the web; branch on whether "
                "it answered successfully and use its reply in later widgets.",
    properties=obj({
        "method": choice("Request method", ["GET", "POST"], default="GET"),
        "url": text("Request URL", "Type {{ or press {x} to put in a variable, e.g. "
                    "https://api.example.com/orders/{{flow.data.id}}.",
                    min_length=1),
        "content_type": choice("Content type", [FORM, JSON], default=FORM, older=(BARE_FORM, BARE_JSON),
                               labels={FORM: "Form URL Encoded", JSON: "Application/JSON",
                                       BARE_FORM: "Form URL Encoded (without charset)",
                                       BARE_JSON: "Application/JSON (without charset)"}),
        "body": text("Request body", "Sent as is (for JSON, write the JSON here). Type {{ or press {x} to put "
                     "in a variable.",
                     multiline=True),
        "parameters": key_values("HTTP parameters", "Sent as form fields, or in the query string for GET."),
        "add_twilio_auth": boolean("Add Twilio auth", "Sign in with the account's Twilio credentials "
                                                      "(for calling Twilio's own APIs).", default=False),
    }, required=("url",)),
    events=(
        Event("success", "Success", "The server answered with a 2xx status."),
        Event("failed", "Fail", "Any other status, a timeout, or no connection."),
    ),
    # `parsed` holds a JSON object answer; its fields (parsed.<field>) depend on the server.
    outputs=("status_code", "content_type", "body", "parsed"),
    example={"name": "lookup_order", "type": "make-http-request",
             "properties": {"method": "POST", "url": "https://api.example.com/orders/lookup",
                            "content_type": JSON, "body": "{\"phone\": \"{{contact.channel.address}}\"}"},
             "transitions": {"success": "tell_status", "failed": "sorry"}},
)
