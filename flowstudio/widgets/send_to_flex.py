"""Send to Flex: hands the contact to an agent in Twilio Flex.

During a call it answers TwiML `<Enqueue workflowSid=…>` with a `<Task>` holding the
widget's attributes (Liquid rendered, checked to be a JSON object), priority and
timeout, and the hold music URL; the `<Enqueue>` action callback's `QueueResult`
picks `callComplete`, `failedToEnqueue` or `callFailure`, as for Enqueue Call, and
everything it posts becomes the widget's outputs.

In a message or a Conversation, Flex's Interactions API creates the task (effect
`FlexTask`, performed by the service's channel): for a Conversation with
`media_channel_sid` set to it, for a plain message with the contact's and the flow's
addresses. When Twilio accepts, the widget follows `callComplete` at once (the task is
Flex's from then on) with the interaction's SID as `sid`; when it refuses,
`failedToEnqueue` with the error. A Conversation handed over is Flex's from then on:
its later messages start nothing here (`handed_off`, see FlowService).
"""
import json

from ..engine import effects as fx
from ..engine import jsontext
from ..engine.api import Outcome, Wait, WidgetError
from ..engine.calls import in_call
from ..engine.state import WAIT_CALL, WAIT_IO
from .base import MESSAGING, SMS, VOICE, Event, WidgetType, advanced, choice, integer, obj, text
from ._conversations import conversation_of
from .enqueue_call import resume as enqueue_resume

def attributes(run) -> str:
    """The task's attributes: the rendered property as compact JSON text (an object),
    `{}` when empty. Bad JSON is the flow's mistake: the widget fails with where."""
    raw = run.text("attributes").strip()
    if not raw:
        return "{}"
    try:
        value = jsontext.loads_outside(raw)
    except json.JSONDecodeError as exc:
        raise WidgetError(f"attributes must be a JSON object once rendered: {exc.msg} at character {exc.pos} "
                          f"of {raw[:200]!r}") from None
    except ValueError as exc:   # nested too deeply
        raise WidgetError(f"attributes must be a JSON object once rendered: {exc}") from None
    if not isinstance(value, dict):
        raise WidgetError(f"attributes must be a JSON object once rendered, not {type(value).__name__}")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def channel_type(state) -> str:
    """The Interactions API's channel type for this contact: `whatsapp`, `messenger`,
    a web chat (`web`), else `sms`."""
    trigger = state.frames[0].context.get("trigger") or {} if state.frames else {}
    source = str((trigger.get("conversation") or {}).get("Source", "")).lower()
    contact = state.contact or ""
    for prefix in ("whatsapp", "messenger"):
        if contact.startswith(prefix + ":") or source == prefix:
            return prefix
    if source in ("sdk", "api") or (trigger.get("conversation") and not contact.startswith("+")):
        return "web"
    return "sms"


def enter(run) -> Outcome:
    """Enqueue the call, or ask Flex for a task for the message or Conversation."""
    workflow = run.text("workflow")
    if not workflow:
        raise WidgetError("workflow is empty: Send to Flex needs a TaskRouter workflow (WW…)")
    attrs = attributes(run)
    priority, timeout = run.number("priority", None), run.number("timeout", None)
    if in_call(run.state):
        effect = fx.Enqueue(run.name, workflow_sid=workflow, task_attributes=attrs, priority=priority,
                            timeout=timeout, wait_url=run.text("waitUrl"), wait_url_method=run.text("waitUrlMethod"))
        return Outcome(effects=(effect,), wait=Wait(WAIT_CALL))
    effect = fx.FlexTask(run.name, workflow_sid=workflow, task_channel=run.text("channel"), attributes=attrs,
                         priority=priority, timeout=timeout, conversation_sid=conversation_of(run.state),
                         channel_type=channel_type(run.state), contact=run.state.contact,
                         flow_address=run.state.flow_address)
    return Outcome(effects=(effect,), wait=Wait(WAIT_IO))


def resume(run, event) -> Outcome:
    """A call: by the `<Enqueue>` callback's QueueResult. A message: by Twilio's answer."""
    if hasattr(event, "result"):
        result = dict(event.result)
        if result.get("status") == "failed":
            return Outcome(event="failedToEnqueue", outputs={"error": result.get("error", "")},
                           notes=(f"Flex refused the task: {result.get('error', 'unknown error')}",))
        outputs = {k: v for k, v in result.items() if k != "status"}
        if conversation_of(run.state):
            outputs["handed_off"] = True   # later messages in the Conversation are the agent's (service.py)
        return Outcome(event="callComplete", outputs=outputs)
    return enqueue_resume(run, event)


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="send-to-flex",
    title="Send to Flex",
    category=MESSAGING,
    channels=(SMS, VOICE),
    description="Hand the call, message or Conversation to an agent in Twilio Flex: a TaskRouter task "
                "with your workflow, task channel and attributes.",
    properties=obj({
        "workflow": text("Workflow", "Which Flex workflow finds an agent. In the Twilio console: TaskRouter, "
                         "your Flex workspace, Workflows; its SID starts with WW.", min_length=1),
        "channel": text("Task channel", "The kind of work: voice for calls, chat or sms for messages (a TaskRouter "
                        "task channel's unique name, or its SID starting with TC)."),
        "attributes": text("Details for the agent", "Shown to the agent and used to pick one, written as JSON, "
                           "e.g. {\"reason\": \"billing\"}. Type {{ or press {x} to put in a variable.",
                           multiline=True),
        "priority": advanced(integer("Priority", "Higher is handled first.", minimum=0)),
        "timeout": advanced(integer("Timeout", "How long the task may wait for an agent.", minimum=1,
                                    unit="seconds")),
        "waitUrl": text("Hold music", "Calls only: the address of what plays while the caller waits (a TwiML "
                        "page).", advanced=True),
        "waitUrlMethod": advanced(choice("Hold music URL method", ["GET", "POST"], default="POST")),
    }, required=("workflow",)),
    events=(
        Event("callComplete", "Task Created",
              "A call left the queue (an agent took it, or the caller hung up); a message or Conversation: "
              "Flex accepted the task."),
        Event("failedToEnqueue", "Failed to Enqueue", "The task could not be created (Twilio refused it)."),
        Event("callFailure", "Call Failure", "A system error ended the call."),
    ),
    waits=True,
    # A call: what Twilio posts to <Enqueue>'s action URL; a message: the interaction's sid.
    outputs=("QueueResult", "QueueSid", "QueueTime", "sid"),
    example={"name": "send_to_agent", "type": "send-to-flex",
             "properties": {"workflow": "WW" + "0" * 32, "channel": "TC" + "0" * 32,
                            "attributes": '{"name": "{{contact.channel.address}}"}'},
             "transitions": {"callComplete": None, "failedToEnqueue": "sorry", "callFailure": None}},
)
