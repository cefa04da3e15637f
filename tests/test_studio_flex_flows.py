"""Real Studio flows that hand contacts to Flex and start from Conversations
(../shared/studio-flows: flex-template-*, webchat-conversations-flex) run here from
start to end, through the real service: every transition a contact can reach is taken.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowstudio.conversation import Conversation, MockHttp, local_service
from flowstudio.engine import effects as fx
from flowstudio.flowtests import branches_of
from flowstudio.service import LocalChannel
from flowstudio.spec.flowfile import dump_flow
from flowstudio.spec.studio import from_studio

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "studio-flows"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no Studio flow exports in {CORPUS}")


class Flaky(LocalChannel):
    """The local channel; sends and Flex tasks of the widgets in `fail` fail (each as
    many times as it is listed), and everything asked of it is kept."""

    def __init__(self, fail=()):
        self.fail = list(fail)
        self.asked: list = []

    def _refused(self, widget: str) -> bool:
        if widget in self.fail:
            self.fail.remove(widget)
            return True
        return False

    def send_message(self, message, execution=None):
        self.asked.append(message)
        if self._refused(message.widget):
            return {"status": "failed", "error": "refused by the test"}
        return super().send_message(message, execution)

    def create_flex_task(self, effect, execution):
        self.asked.append(effect)
        if self._refused(effect.widget):
            return {"status": "failed", "error": "Twilio error 20001 (HTTP 400): Invalid workflow"}
        return super().create_flex_task(effect, execution)


class Run:
    """One flow imported from its Studio export, played by several contacts."""

    def __init__(self, tmp_path: Path, name: str):
        definition = json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8"))
        self.flow = from_studio(definition, name)
        (tmp_path / f"{name}.yaml").write_text(dump_flow(self.flow))
        self.folder, self.name = tmp_path, name
        self.taken: set = set()
        self.count = 0

    def contact(self, fail=(), http=None) -> tuple[Conversation, Flaky]:
        """A new contact (own service, so sends can fail for this one only)."""
        self.count += 1
        channel = Flaky(fail)
        service = local_service(self.folder, http=MockHttp(http or {}), channel=channel)
        talk = Conversation(service, self.name, contact=f"+1555555{self.count:04d}")
        service.listeners.append(lambda flow, session, result: self.taken.update(
            (s["from"], s["event"], s["to"]) for s in result.steps if s["to"] != "Ended"))
        return talk, channel

    def untaken(self, unreachable=()) -> set:
        """Connected transitions no contact took (widgets no transition reaches left out)."""
        return {b for b in branches_of(self.flow) if b[0] not in unreachable} - self.taken


def test_flex_template_callback_enqueues_the_call_to_flex(tmp_path):
    run = Run(tmp_path, "flex-template-callback")
    talk, _ = run.contact()
    first = talk.call()
    [enqueue] = first.voice
    assert isinstance(enqueue, fx.Enqueue) and enqueue.workflow_sid == "${WORKFLOW_SID}"
    assert json.loads(enqueue.task_attributes) == {"type": "inbound", "name": talk.contact,
                                                   "conversations": {"hang_up_by": "Customer"}}
    assert enqueue.wait_url.endswith("wait-experience?mode=initialize") and enqueue.wait_url_method == "POST"
    done = talk.callback({"QueueResult": "bridged", "QueueTime": "12"})
    assert done.status == "ended"
    assert run.untaken() == set()


def test_flex_template_schedule_open_closed_and_unknown(tmp_path):
    run = Run(tmp_path, "flex-template-schedule")
    talk, _ = run.contact(http={"check_schedule": {"body": {"isOpen": True}}})
    assert isinstance(talk.call().voice[0], fx.Enqueue)
    assert talk.callback({"QueueResult": "hangup"}).status == "ended"
    talk, _ = run.contact(http={"check_schedule": {"body": {"isOpen": False}}})
    closed = talk.call()
    assert [type(e) for e in closed.voice] == [fx.Say] and closed.status == "ended"
    talk, _ = run.contact(http={"check_schedule": {"status": 500, "body": "down"}})
    assert isinstance(talk.call().voice[0], fx.Enqueue)    # the schedule is unknown: an agent takes it
    assert run.untaken() == set()


def test_flex_template_chat_hands_messages_and_conversations_to_flex(tmp_path):
    run = Run(tmp_path, "flex-template-chat")
    talk, channel = run.contact()
    assert talk.send("I need help").status == "ended"
    [task] = channel.asked
    assert isinstance(task, fx.FlexTask) and task.workflow_sid == "${WORKFLOW_SID_ASSIGN_TO_ANYONE}"
    assert task.conversation_sid == "" and task.contact == talk.contact and task.channel_type == "sms"
    talk, channel = run.contact()
    assert talk.chat("hello from the web", channel="chat").status == "ended"
    [task] = channel.asked
    assert task.widget == "SendConversationToAgent" and task.conversation_sid == talk.conversation_sid
    assert task.channel_type == "web" and json.loads(task.attributes) == {"from": ""}
    assert run.untaken() == set()


def test_flex_template_messaging_park_every_branch(tmp_path):
    run = Run(tmp_path, "flex-template-messaging-park")
    talk, channel = run.contact()
    assert talk.chat("hi").waiting["widget"] == "send_welcome"
    assert talk.chat("hmm").waiting["widget"] == "send_welcome"          # noMatch: asked again
    assert talk.chat("sales please").status == "ended"
    assert json.loads(channel.asked[-1].attributes) == {"selected_queue": "sales"}
    assert "locate a sales representative" in channel.asked[-2].body
    talk, channel = run.contact(fail=["send_welcome", "send_please_wait"])
    assert talk.chat("hi").waiting["widget"] == "send_welcome"          # failed once, sent again
    assert talk.chat("support").status == "ended"                       # please-wait failed: Flex anyway
    assert json.loads(channel.asked[-1].attributes) == {"selected_queue": "support"}
    assert run.untaken() == set()


def test_webchat_conversations_flex_every_reachable_branch(tmp_path):
    run = Run(tmp_path, "webchat-conversations-flex")
    # the whole intake, then Flex
    talk, channel = run.contact()
    for text in ("hi", "Parking", "New", "Ada", "Lovelace"):
        assert talk.chat(text, channel="chat").status == "active"
    assert talk.chat("1815-12-10", channel="chat").status == "ended"
    task = channel.asked[-1]
    assert isinstance(task, fx.FlexTask) and task.workflow_sid == "WWd8cd0445d2df474f0744283a8cac96b7"
    assert json.loads(task.attributes)["name"] == "Ada Lovelace" and json.loads(task.attributes)["dob"] == "1815-12-10"
    assert channel.asked[0].from_ == "Cloud City Healthcare" and channel.asked[0].conversation_sid
    # a reason not offered; an unknown patient type
    talk, _ = run.contact()
    talk.chat("hi"), talk.chat("Billing")
    talk, _ = run.contact()
    talk.chat("hi"), talk.chat("Hours"), talk.chat("Maybe")
    # silences: each question's timeout
    for answers in ((), ("Hours",), ("Hours", "Existing", "Ada"), ("Hours", "Existing", "Ada", "Lovelace")):
        talk, _ = run.contact()
        talk.chat("hi")
        for text in answers:
            talk.chat(text)
        assert [r.steps[0]["event"] for r in talk.wait(3601)] == ["timeout"]
    # undelivered questions; a thank-you that fails still hands over
    for fail, answers in ((["selection_offering"], ()), (["return_customer_offering"], ("Hours",)),
                          (["enter_firstname"], ("Hours", "New")), (["enter_lastname"], ("Hours", "New", "Ada")),
                          (["enter_dob", "send_thank_you"], ("Hours", "New", "Ada", "Lovelace"))):
        talk, channel = run.contact(fail=fail)
        talk.chat("hi")
        for text in answers:
            talk.chat(text)
        assert talk.log[-1].status == "ended" and isinstance(channel.asked[-1], fx.FlexTask)
    # Flex refuses the task: failedToEnqueue is not connected, so the execution ends there, saying why
    talk, _ = run.contact(fail=["send_to_flex_agent", "selection_offering"])
    ended = talk.chat("hi")
    assert ended.status == "ended" and any("Invalid workflow" in t.get("message", "") for t in ended.trace)
    # loop_checker: no transition leads to it in the export (the validator says so)
    assert run.untaken(unreachable=("loop_checker",)) == set()
