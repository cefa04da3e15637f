"""Enqueue Call: puts the caller in a call queue, or hands the call to TaskRouter.

Runs TwiML `<Enqueue>`: with `queue_name` the caller waits in that queue; with
`workflow_sid` a TaskRouter task is created with `task_attributes`. One of the two is
needed (the schema asks for `queue_name` when neither is given).
"""
from ..engine import effects as fx
from ..engine.api import Outcome, Wait
from ..engine.state import WAIT_CALL
from .base import VOICE, VOICE_CATEGORY, Event, WidgetType, advanced, choice, integer, obj, text

NO_QUEUE = {"not": {"anyOf": [{"required": ["queue_name"]}, {"required": ["workflow_sid"]}]}}

_FAILED_TO_ENQUEUE = ("queue-full", "error", "system-error")
_COMPLETE = ("bridged", "bridging-in-process", "leave", "redirected", "hangup")


def enter(run) -> Outcome:
    """Put the caller in the queue (or a TaskRouter workflow) and wait for the result."""
    effect = fx.Enqueue(run.name, queue_name=run.text("queue_name"), workflow_sid=run.text("workflow_sid"),
                        wait_url=run.text("wait_url"), wait_url_method=run.text("wait_url_method").upper(),
                        task_attributes=run.text("task_attributes"),
                        priority=run.number("priority", None), timeout=run.number("timeout", None))
    return Outcome(effects=(effect,), wait=Wait(WAIT_CALL))


def resume(run, event) -> Outcome:
    """By QueueResult: `callComplete`, `failedToEnqueue`, or `callFailure`."""
    params = dict(getattr(event, "params", {}))
    result = params.get("QueueResult", "")
    outputs = params  # as in Studio: everything the callback posts (QueueResult, QueueTime, ...)
    if result in _FAILED_TO_ENQUEUE:
        return Outcome(event="failedToEnqueue", outputs=outputs)
    return Outcome(event="callComplete" if result in _COMPLETE else "callFailure", outputs=outputs)


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="enqueue-call",
    title="Enqueue Call",
    category=VOICE_CATEGORY,
    channels=(VOICE,),
    description="Put the caller on hold in a queue until an agent takes the call, with hold music "
                "of your choice.",
    properties=obj({
        "queue_name": text("Queue name", "The queue to wait in."),
        "workflow_sid": text("TaskRouter workflow SID", "WW...; instead of a queue name.", liquid=False),
        "task_attributes": text("Task attributes", "JSON attributes of the TaskRouter task.", multiline=True),
        "priority": advanced(integer("Task priority", "Higher is handled first.", minimum=0)),
        "timeout": advanced(integer("Task timeout", "How long the task may wait.", minimum=1, unit="seconds")),
        "wait_url": text("Hold music", "The address of what plays while the caller waits (a TwiML page).",
                         advanced=True),
        "wait_url_method": advanced(choice("Hold music URL method", ["GET", "POST"], default="POST")),
    }, **{"if": NO_QUEUE, "then": {"required": ["queue_name"]}}),
    events=(
        Event("callComplete", "Call Complete", "The call left the queue (answered, or the caller hung up)."),
        Event("failedToEnqueue", "Failed to Enqueue", "The call could not be put in the queue."),
        Event("callFailure", "Call Failure", "A system error ended the call."),
    ),
    waits=True,
    # What Twilio posts to <Enqueue>'s action URL.
    outputs=("QueueResult", "QueueSid", "QueueTime"),
    example={"name": "hold_for_agent", "type": "enqueue-call",
             "properties": {"queue_name": "support", "wait_url": "https://example.com/hold-music.xml"},
             "transitions": {"callComplete": None, "failedToEnqueue": "sorry", "callFailure": None}},
)
