"""The service around the engine: executions kept safe in SQLite and PostgreSQL."""
import threading
from datetime import timedelta

import pytest

from flowstudio.adapters.store import Store
from flowstudio.conversation import Conversation, FakeClock, MockHttp
from flowstudio.repository import FlowRepository, FlowUnavailable
from flowstudio.service import ExecutionBusy, FlowService

CONFIRM = """\
spec_version: 1
name: confirm
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: ask, incomingRequest: ask}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "Reply YES to confirm", timeout: 3600}
    transitions: {incomingMessage: check, timeout: remind}
  - name: check
    type: split-based-on
    properties: {input: "{{widgets.ask.inbound.Body}}"}
    transitions:
      noMatch: ask
      match:
        - next: thanks
          conditions: [{type: matches_any_of, value: "yes,y"}]
  - name: thanks
    type: send-message
    properties: {body: "Confirmed"}
  - name: remind
    type: send-message
    properties: {body: "Still there? We'll call you."}
"""

COUNTER = """\
spec_version: 1
name: counter
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: ask}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "got {{widgets.ask.inbound.Body}}", timeout: 3600}
    transitions: {incomingMessage: ask}
"""


@pytest.fixture
def flows_dir(tmp_path):
    d = tmp_path / "flows"
    d.mkdir()
    (d / "confirm.yaml").write_text(CONFIRM)
    (d / "counter.yaml").write_text(COUNTER)
    return d


def make_service(url, flows_dir, clock=None, **kw):
    store = Store(url)
    store.create_schema()
    clock = clock or FakeClock()
    return FlowService(store, FlowRepository(flows_dir, store, clock), clock=clock, http=MockHttp(), **kw)


@pytest.fixture
def service(store_url, flows_dir):
    svc = make_service(store_url, flows_dir)
    yield svc
    svc.store.close()


def bodies(result):
    return [m.body for m in result.replies] + [s["effect"]["body"] for s in result.sent if "body" in s["effect"]]


def test_sms_conversation_with_reply(service):
    talk = Conversation(service, "confirm")
    first = talk.send("hi")
    assert bodies(first) == ["Reply YES to confirm"]
    assert first.status == "active" and first.waiting["widget"] == "ask"
    done = talk.send("Yes")
    assert bodies(done) == ["Confirmed"]
    assert done.status == "ended"
    row = service.store.execution(talk.execution_id)
    assert (row.status, row.contact, row.flow_id) == ("ended", talk.contact, "confirm")
    steps = [(s.event, s.from_widget, s.to_widget) for s in service.store.steps(talk.execution_id)]
    assert steps == [("incomingMessage", "Trigger", "ask"), ("incomingMessage", "ask", "check"),
                     ("match", "check", "thanks"), ("sent", "thanks", "Ended")]
    assert service.store.steps(talk.execution_id)[1].context["widgets"]["ask"]["inbound"]["Body"] == "Yes"


def test_timeout_fires_from_the_scheduler_and_sends_outside_a_webhook(service):
    talk = Conversation(service, "confirm")
    talk.send("hi")
    assert talk.wait(3599) == []
    (fired,) = talk.wait(1)
    assert fired.replies == [] and bodies(fired) == ["Still there? We'll call you."]
    assert fired.status == "ended"
    (sent,) = service.store.outbox(talk.execution_id)
    assert (sent.effect["to"], sent.status) == (talk.contact, "sent")


def test_a_second_message_resumes_not_restarts(service):
    talk = Conversation(service, "confirm")
    talk.send("hi")
    again = talk.send("maybe")
    assert bodies(again) == ["Reply YES to confirm"]
    assert service.store.count() == 1


def test_retried_message_is_answered_the_same_and_processed_once(service):
    params = {"MessageSid": "SMdup", "From": "+1555", "To": "+1666", "Body": "hi"}
    first = service.inbound_message("counter", params)
    again = service.inbound_message("counter", dict(params))
    assert again.duplicate and bodies(again) == bodies(first) == ["got "]
    assert len(service.store.steps(first.execution_id)) == 1


def test_rest_start_conflicts_while_active(service):
    talk = Conversation(service, "confirm")
    talk.start({"name": "Ada"})
    with pytest.raises(ExecutionBusy):
        talk.start({"name": "Ada"})
    assert service.store.executions(flow_id="confirm", contact=talk.contact, status="active")


def test_message_while_not_waiting_for_one_is_kept_but_not_used(service, flows_dir):
    (flows_dir / "callback.yaml").write_text("""\
spec_version: 1
name: callback
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: call_back}
  - name: call_back
    type: make-outgoing-call-v2
    transitions: {answered: hello}
  - name: hello
    type: say-play
    properties: {say: Hello}
""")
    talk = Conversation(service, "callback")
    talk.send("call me")
    ignored = talk.send("are you calling?")
    assert ignored.replies == [] and ignored.status == "active"
    logs = service.store.logs(talk.execution_id)
    assert logs[-1]["message"] == "message not used: the execution waits at 'call_back' for a call"
    assert logs[-1]["inbound"]["Body"] == "are you calling?"
    assert service.store.count() == 1


def test_queries_by_flow_contact_and_status(service):
    Conversation(service, "confirm", contact="+1001").send("hi")
    Conversation(service, "counter", contact="+1001").send("hi")
    done = Conversation(service, "confirm", contact="+1002")
    done.send("hi")
    done.send("yes")
    assert {r.flow_id for r in service.store.executions(contact="+1001")} == {"confirm", "counter"}
    assert [r.contact for r in service.store.executions(flow_id="confirm", status="ended")] == ["+1002"]
    assert len(service.store.executions(status="active")) == 2


def test_execution_keeps_its_revision_when_the_file_changes(service, flows_dir):
    talk = Conversation(service, "confirm")
    talk.send("hi")
    (flows_dir / "confirm.yaml").write_text(CONFIRM.replace("Reply YES to confirm", "NEW TEXT"))
    assert bodies(talk.send("maybe")) == ["Reply YES to confirm"]  # pinned to the first revision
    assert bodies(Conversation(service, "confirm", contact="+1999").send("hi")) == ["NEW TEXT"]


def test_a_broken_file_keeps_the_last_good_revision_running(service, flows_dir):
    Conversation(service, "confirm").send("hi")
    (flows_dir / "confirm.yaml").write_text(CONFIRM.replace("timeout: 3600", "timeout: soon"))
    result = Conversation(service, "confirm", contact="+1999").send("hi")
    assert bodies(result) == ["Reply YES to confirm"]
    (problem,) = service.flows.problems("confirm")
    assert problem.message == "must be a whole number of seconds" and problem.line == 9


def test_a_flow_broken_from_the_start_is_unavailable(service, flows_dir):
    (flows_dir / "broken.yaml").write_text("spec_version: 1\nname: b\nname: c\n")
    with pytest.raises(FlowUnavailable) as info:
        Conversation(service, "broken").send("hi")
    assert "duplicate key 'name'" in str(info.value)
    with pytest.raises(FlowUnavailable):
        Conversation(service, "nosuchflow").send("hi")


def test_timers_survive_a_restart(store_url, flows_dir):
    clock = FakeClock()
    first = make_service(store_url, flows_dir, clock)
    talk = Conversation(first, "confirm")
    talk.send("hi")
    first.store.close()
    clock.advance(7200)  # it fell due while nothing ran
    second = make_service(store_url, flows_dir, clock)
    (fired,) = second.fire_due()
    assert fired.execution_id == talk.execution_id and bodies(fired) == ["Still there? We'll call you."]
    assert second.fire_due() == []


def test_execution_expiry_is_configurable(store_url, flows_dir):
    svc = make_service(store_url, flows_dir, expiry=timedelta(minutes=10))
    talk = Conversation(svc, "counter")
    talk.send("hi")
    (expired,) = talk.wait(601)
    assert expired.status == "ended"
    assert svc.store.execution(talk.execution_id).ended_reason == "the execution expired"


def test_concurrent_messages_of_one_contact_are_all_processed_in_turn(store_url, flows_dir):
    svc = make_service(store_url, flows_dir)
    talk = Conversation(svc, "counter")
    talk.send("start")
    barrier = threading.Barrier(8)
    errors = []

    def send(i):
        barrier.wait()
        try:
            svc.inbound_message("counter", {"MessageSid": f"SM{i}", "From": talk.contact, "To": "+15555550100",
                                            "Body": f"m{i}"})
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    (row,) = svc.store.executions(flow_id="counter")
    steps = svc.store.steps(row.id)
    received = [s.context["widgets"]["ask"]["inbound"]["Body"] for s in steps[1:]]
    assert sorted(received) == sorted(f"m{i}" for i in range(8))  # none lost, none twice
    assert row.version == 9  # each message advanced the execution exactly once


def test_first_requests_after_start_all_find_the_flow(store_url, flows_dir):
    svc = make_service(store_url, flows_dir)
    barrier = threading.Barrier(16)
    failures = []

    def first():
        barrier.wait()
        try:
            svc.flows.latest("confirm")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=first) for _ in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert failures == []
    svc.store.close()


def test_a_flow_file_seen_is_believed_for_a_second_and_forgotten_on_request(service, flows_dir, monkeypatch):
    """exists() (asked for every webhook) stats a flow file at most once a second."""
    from flowstudio import repository

    flows = service.flows
    assert flows.exists("confirm") and not flows.exists("nope") and not flows.exists(".hidden")
    (flows_dir / "confirm.yaml").unlink()
    assert flows.exists("confirm")          # seen less than a second ago
    flows.forget("confirm")                 # what the editor calls after a delete or rename
    assert not flows.exists("confirm")
    (flows_dir / "confirm.yaml").write_text(CONFIRM)
    assert flows.exists("confirm")
    (flows_dir / "confirm.yaml").unlink()
    monkeypatch.setattr(repository, "EXISTS_TTL", 0.0)  # a second later
    assert not flows.exists("confirm")


def test_a_subflow_named_by_the_studio_sid_its_file_records_runs_through_the_flows_folder(store_url, flows_dir):
    sid = "FW" + "7" * 32
    child = CONFIRM.replace("name: confirm\n", f"name: confirm\nsid: {sid}\n").replace(
        "incomingRequest: ask}", "incomingRequest: ask, incomingParent: ask}")
    (flows_dir / "confirm.yaml").write_text(child)
    (flows_dir / "main.yaml").write_text(f"""\
spec_version: 1
name: main
widgets:
  - name: Trigger
    type: trigger
    transitions: {{incomingMessage: confirm_it}}
  - name: confirm_it
    type: run-subflow
    properties: {{flow_sid: {sid}}}
    transitions: {{completed: done}}
  - name: done
    type: send-message
    properties: {{body: "Done in {{{{flow.flow_sid}}}}"}}
""")
    svc = make_service(store_url, flows_dir)
    try:
        talk = Conversation(svc, "main")
        assert bodies(talk.send("hi")) == ["Reply YES to confirm"]
        assert bodies(talk.send("yes")) == ["Confirmed", "Done in main"]
    finally:
        svc.store.close()
