"""Helpers shared by make-http-request and run-function (not a widget)."""

from ..engine import jsontext
from ..engine.api import Outcome


def http_outcome(result: dict, success: str, failure: str) -> Outcome:
    """Studio's outputs for an HTTP answer (`status_code`, `content_type`, `body`, and
    `parsed` for a JSON object), following `success` on 2xx and `failure` otherwise."""
    status = result.get("status_code")
    outputs = {"status_code": status, "content_type": result.get("content_type", ""),
               "body": result.get("body", "")}
    parsed = _json_object(outputs["body"], outputs["content_type"])
    if parsed is not None:
        outputs["parsed"] = parsed
    error = result.get("error")
    if error:
        outputs["error"] = error
    ok = not error and isinstance(status, int) and 200 <= status < 300
    notes = () if ok else (f"the request failed: {error or f'HTTP status {status}'}",)
    return Outcome(event=success if ok else failure, outputs=outputs, notes=notes)


def _json_object(body: str, content_type: str):
    """The body parsed, when it is a JSON object (Studio parses objects only)."""
    text = (body or "").lstrip()
    if not text.startswith("{"):
        return None
    try:
        value = jsontext.loads_outside(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
