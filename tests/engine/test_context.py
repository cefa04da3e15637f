"""Studio's template context: each variable Studio documents, or real flows use, renders
what Studio would (see docs/studio-context.md)."""
import json

from flowstudio.engine import context as ctx
from flowstudio.engine import effects as fx
from flowstudio.engine import events as ev
from flowstudio.engine.liquid import Templates
from flowstudio.engine.runner import new_context, resume, start

from .flows import CONTACT, NOW, NUMBER, Library, call, header, program, sms

CONVERSATION = {
    "EventType": "onMessageAdded", "ConversationSid": "CH" + "1" * 32, "MessageSid": "IM" + "2" * 32,
    "ParticipantSid": "MB" + "3" * 32, "Author": "whatsapp:+15555550123", "Body": "Where is my order?",
    "Source": "WHATSAPP", "Index": "0", "ChatServiceSid": "IS" + "4" * 32,
    "ChannelAttributes": '{"from": "whatsapp:+15555550123", "channel_type": "whatsapp"}',
    "Attributes": '{"order": "A-7"}', "Media": '[{"Sid": "ME1", "ContentType": "image/png"}]',
}


def render(source: str, context: dict) -> str:
    return Templates().render(source, context, NOW)


def test_trigger_conversation_fields_render_as_in_studio():
    trigger = ctx.conversation_trigger(CONVERSATION)
    context = new_context(trigger, {}, "", CONVERSATION["Author"], "FN1", "FW" + "f" * 32, ctx.channel_sid(trigger))
    assert render("{{trigger.conversation.Body}}|{{trigger.conversation.Author}}|{{trigger.conversation.Source}}",
                  context) == "Where is my order?|whatsapp:+15555550123|WHATSAPP"
    assert render("{{trigger.conversation.ConversationSid}} {{trigger.conversation.MessageSid}} "
                  "{{trigger.conversation.ParticipantSid}}", context) == \
        f"{CONVERSATION['ConversationSid']} {CONVERSATION['MessageSid']} {CONVERSATION['ParticipantSid']}"
    # JSON text fields are data, as in Studio
    assert render("{{trigger.conversation.ChannelAttributes.channel_type}} {{trigger.conversation.Attributes.order}}"
                  " {{trigger.conversation.Media[0].ContentType}}", context) == "whatsapp A-7 image/png"
    assert render("{{flow.channel.sid}}", context) == CONVERSATION["ConversationSid"]


def test_attributes_that_are_not_json_stay_text():
    assert ctx.conversation_trigger({"Attributes": "{not json"})["conversation"]["Attributes"] == "{not json"


MESSAGE_FLOW = header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: echo, incomingRequest: echo, incomingCall: menu}
  - name: echo
    type: send-message
    properties: {body: "{{BODY}}"}
  - name: menu
    type: gather-input-on-call
    properties: {say: "Press or say"}
    transitions: {keypress: said, speech: said, timeout: said}
  - name: said
    type: say-play
    properties: {say: "{{SAY}}"}
"""


def _sent(body: str, event, flow_id="test", yaml_text=None):
    p = program((yaml_text or MESSAGE_FLOW).replace("{{BODY}}", body), flow_id)
    step = start(p, event, NOW, "FN1", Library(p))
    return step.effects[0].body


def test_trigger_message_channel_attributes_and_flow_channel_sid():
    params = dict(sms("hi"), ChannelSid="CH" + "9" * 32,
                  ChannelAttributes='{"channel_type": "web", "pre_engagement_data": {"friendlyName": "Ada"}}')
    body = ("{{trigger.message.ChannelAttributes.channel_type}} "
            "{{trigger.message.ChannelAttributes.pre_engagement_data.friendlyName}} {{flow.channel.sid}}")
    assert _sent(body, ev.MessageReceived(params)) == f"web Ada CH{'9' * 32}"
    with_service = dict(sms("hi"), MessagingServiceSid="MG" + "5" * 32)
    assert _sent("{{flow.channel.sid}}|{{flow.channel.address}}", ev.MessageReceived(with_service)) == \
        f"MG{'5' * 32}|{NUMBER}"


def test_trigger_request_to_from_and_parameters():
    event = ev.RequestReceived(to="+15555550199", from_=NUMBER, parameters={"name": "Ada", "order": "7"})
    body = "{{trigger.request.to}} {{trigger.request.from}} {{trigger.request.parameters.name}} {{flow.data.order}}"
    assert _sent(body, event) == f"+15555550199 {NUMBER} Ada 7"


def test_flow_flow_sid_is_the_flow_id_without_a_recorded_sid_and_flow_sid_is_the_execution():
    assert _sent("{{flow.flow_sid}} {{flow.sid}}", ev.MessageReceived(sms("x")), "reminders") == "reminders FN1"
    recorded = MESSAGE_FLOW.replace("name: test\n", "name: test\nsid: FW" + "e" * 32 + "\n")
    assert _sent("{{flow.flow_sid}}", ev.MessageReceived(sms("x")), yaml_text=recorded) == "FW" + "e" * 32


def _after_gather(params: dict) -> tuple[str, dict]:
    say = ("{{widgets.menu.Digits}}|{{widgets.menu.SpeechResult}}|{{widgets.menu.Confidence}}|"
           "{{widgets.menu.CallStatus}}|{{widgets.menu.FinishedOnKey}}")
    p = program(MESSAGE_FLOW.replace("{{SAY}}", say), "ivr")
    lib = Library(p)
    step = start(p, ev.CallReceived(call()), NOW, "FN1", lib)
    step = resume(lib, step.state, ev.CallbackReceived("menu", params), NOW)
    return step.effects[0].text, step.state.frame.context["widgets"]["menu"]


def test_everything_a_gather_callback_posts_is_stored_under_the_widget():
    text, stored = _after_gather({"Digits": "4", "FinishedOnKey": "#", "CallStatus": "in-progress",
                                  "CallSid": "CA1", "AccountSid": "AC1"})
    assert text == "4|||in-progress|#"
    assert stored["CallSid"] == "CA1" and stored["AccountSid"] == "AC1"
    text, _ = _after_gather({"SpeechResult": "Sales please.", "Confidence": "0.91", "CallStatus": "in-progress"})
    assert text == "|Sales please.|0.91|in-progress|"
    text, _ = _after_gather({"CallStatus": "in-progress"})  # the gather timed out: still stored
    assert text == "|||in-progress|"


def test_other_callbacks_keep_every_field_too():
    p = program(header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingCall: dial}
  - name: dial
    type: connect-call-to
    properties: {to: "+15555550101"}
    transitions: {callCompleted: bye}
  - name: bye
    type: say-play
    properties: {say: "{{widgets.dial.DialCallStatus}} {{widgets.dial.DialCallDuration}} {{widgets.dial.CallStatus}}"}
""")
    lib = Library(p)
    step = start(p, ev.CallReceived(call()), NOW, "FN1", lib)
    step = resume(lib, step.state, ev.CallbackReceived("dial", {"DialCallStatus": "completed", "DialCallDuration": "42",
                                                                "CallStatus": "in-progress"}), NOW)
    assert step.effects[0].text == "completed 42 in-progress"


SUBFLOW_PARENT = header("parent") + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: sub}
  - name: sub
    type: run-subflow
    properties:
      flow_sid: child
      parameters:
        - {key: name, value: "{{trigger.message.Body}}"}
        - {key: order, value: '{"id": 7, "items": ["tea"]}', type: json_object}
        - {key: raw, value: '{"id": 8}', type: string}
"""
SUBFLOW_CHILD = header("child") + """\
  - name: Trigger
    type: trigger
    transitions: {incomingParent: hello}
  - name: hello
    type: send-message
    properties:
      body: "{{trigger.parent.parameters.name}} {{trigger.parent.trigger_type}} {{trigger.parent.parameters.order.id}} {{trigger.parent.parameters.order.items[0]}} {{trigger.parent.parameters.raw.id}}|{{trigger.parent.parameters.raw}}"
"""


def test_trigger_parent_parameters_trigger_type_and_json_typed_parameters():
    parent, child = program(SUBFLOW_PARENT, "parent"), program(SUBFLOW_CHILD, "child")
    step = start(parent, ev.MessageReceived(sms("Ada")), NOW, "FN1", Library(parent, child))
    assert step.effects[0].body == 'Ada incomingMessage 7 tea |{"id": 8}'


def test_set_variables_honours_each_items_type():
    p = program(header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: vars}
  - name: vars
    type: set-variables
    properties:
      variables:
        - {key: order, value: '{"id": 7}', type: json_object}
        - {key: text, value: '{"id": 8}', type: string}
    transitions: {next: say}
  - name: say
    type: send-message
    properties: {body: "{{flow.variables.order.id}} {{flow.variables.text.id}}|{{flow.variables.text}}"}
""")
    step = start(p, ev.MessageReceived(sms("x")), NOW, "FN1")
    assert step.effects[0].body == '7 |{"id": 8}'


def test_content_template_sends_content_sid_and_rendered_variables():
    p = program(header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: offer}
  - name: offer
    type: send-and-wait-for-reply
    properties:
      message_type: content_template
      content_sid: HX00000000000000000000000000000000
      content_variables: [{key: "1", value: "{{trigger.message.Body | upcase}}"}]
""")
    step = start(p, ev.MessageReceived(sms("ada")), NOW, "FN1")
    (msg,) = step.effects
    assert isinstance(msg, fx.SendMessage)
    assert (msg.content_sid, json.loads(msg.content_variables), msg.body, msg.reply) == \
        ("HX" + "0" * 32, {"1": "ADA"}, "", False)
    plain = program(header() + """\
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: hi}
  - name: hi
    type: send-message
    properties: {message_type: custom, body: "Hi {{contact.channel.address}}", content_sid: HX1}
""")
    (msg,) = start(plain, ev.MessageReceived(sms("x")), NOW, "FN1").effects
    assert (msg.body, msg.content_sid, msg.reply) == (f"Hi {CONTACT}", "", True)
