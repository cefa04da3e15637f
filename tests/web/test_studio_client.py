"""Acceptance: the official `twilio` package's `Client`, with only its Studio base URL
pointed at a real `flowstudio serve` process, drives FlowStudio as it drives Twilio
Studio (issue 20): executions created, listed, fetched, their steps and context read,
ended; flows created, updated, validated and published from a Studio definition."""
import copy
import json
import shutil
import sys

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from .test_server_process import HTTP_TIMEOUT, REPO, Texter, clean_env, free_port, messages, servers  # noqa: F401
from .test_studio_api import SURVEY

ACCOUNT = "AC" + "4" * 32
TOKEN = "studio-secret-token"
PATIENT, PRACTICE = "+15555550142", "+15555550100"


@pytest.fixture
def server(tmp_path, servers):  # noqa: F811 - the fixture imported above
    flows = tmp_path / "flows"
    shutil.copytree(REPO / "flows", flows)
    port = free_port()
    env = clean_env(FLOWSTUDIO_DATA_DIR=str(tmp_path / "data"), FLOWSTUDIO_STUDIO_ACCOUNT_SID=ACCOUNT,
                    FLOWSTUDIO_STUDIO_AUTH_TOKEN=TOKEN)
    s = servers([sys.executable, "-m", "flowstudio.cli", "serve", "--flows", flows, "--host", "127.0.0.1",
                 "--port", port], env, port)
    s.wait_ready()
    s.flows = flows
    return s


def studio_client(server, account=ACCOUNT, token=TOKEN) -> Client:
    """A Twilio client whose Studio domain is this server: the one change a user makes."""
    client = Client(account, token)
    client.studio.base_url = server.base
    return client


def test_an_appointment_system_drives_executions_with_the_twilio_client(server):
    client = studio_client(server)
    flows = {f.friendly_name: f for f in client.studio.v2.flows.list()}
    flow = flows["appointment-confirmation"]
    assert flow.sid.startswith("FW") and flow.account_sid == ACCOUNT and flow.status == "published"

    execution = client.studio.v2.flows(flow.sid).executions.create(
        to=PATIENT, from_=PRACTICE, parameters={"first_name": "Ada", "date": "June 3", "time": "10:00"})
    assert execution.sid.startswith("FN") and execution.status == "active"
    assert (execution.flow_sid, execution.contact_channel_address) == (flow.sid, PATIENT)

    # listed (paging through next_page_url one at a time) and fetched
    other = client.studio.v2.flows(flow.sid).executions.create(to="+15555550143", from_=PRACTICE)
    listed = client.studio.v2.flows(flow.sid).executions.list(page_size=1)
    assert [e.sid for e in listed] == [other.sid, execution.sid]
    fetched = client.studio.v2.flows(flow.sid).executions(execution.sid).fetch()
    assert (fetched.sid, fetched.status, fetched.date_created) == (execution.sid, "active", execution.date_created)

    # the patient answers by SMS, on the webhook, as with any execution: the same execution goes on
    assert messages(Texter(server, "appointment-confirmation", PATIENT).text("YES"))

    steps = client.studio.v2.flows(flow.sid).executions(execution.sid).steps.list()
    assert [(s.name, s.transitioned_from, s.transitioned_to) for s in steps][:2] == [
        ("incomingRequest", "Trigger", "ask_confirmation"), ("incomingMessage", "ask_confirmation", "save_reply")]
    step = client.studio.v2.flows(flow.sid).executions(execution.sid).steps(steps[1].sid).fetch()
    assert step.sid == steps[1].sid and step.execution_sid == execution.sid
    step_context = client.studio.v2.flows(flow.sid).executions(execution.sid).steps(steps[1].sid) \
        .step_context().fetch()
    assert step_context.context["widgets"]["ask_confirmation"]["inbound"]["Body"] == "YES"
    context = client.studio.v2.flows(flow.sid).executions(execution.sid).execution_context().fetch()
    assert context.context["flow"]["data"] == {"first_name": "Ada", "date": "June 3", "time": "10:00"}
    assert context.context["contact"]["channel"]["address"] == PATIENT

    # what /api shows of it is the same execution
    api = requests.get(f"{server.base}/api/flows/appointment-confirmation/executions/{execution.sid}",
                       timeout=HTTP_TIMEOUT).json()
    assert [s["event"] for s in api["steps"]] == [s.name for s in steps]

    # end the other one
    ended = client.studio.v2.flows(flow.sid).executions(other.sid).update(status="ended")
    assert ended.status == "ended"
    assert client.studio.v2.flows(flow.sid).executions(other.sid).fetch().status == "ended"
    assert client.studio.v2.flows(flow.sid).executions(other.sid).delete() is True


def test_a_flow_is_created_updated_validated_and_published_with_the_twilio_client(server):
    client = studio_client(server)
    flow = client.studio.v2.flows.create(friendly_name="Wellness check", status="draft", definition=SURVEY,
                                         commit_message="first draft")
    assert flow.sid.startswith("FW") and flow.status == "draft" and flow.valid is True

    changed = copy.deepcopy(SURVEY)
    changed["states"][1]["properties"]["body"] = "How do you feel today, {{flow.data.name}}?"
    draft = client.studio.v2.flows(flow.sid).update(status="draft", definition=changed)
    assert draft.status == "draft" and draft.definition["states"][1]["properties"]["body"].startswith("How do you")

    assert client.studio.v2.flow_validate.update(friendly_name="Wellness check", status="published",
                                                 definition=changed).valid is True
    broken = copy.deepcopy(changed)
    broken["states"][1]["transitions"][0]["next"] = "missing_widget"
    with pytest.raises(TwilioRestException) as refused:
        client.studio.v2.flow_validate.update(friendly_name="Wellness check", status="published", definition=broken)
    assert (refused.value.status, refused.value.code) == (400, 81022)
    assert "missing_widget" in json.dumps(refused.value.details)

    published = client.studio.v2.flows(flow.sid).update(status="published", commit_message="go live")
    assert (published.status, published.commit_message) == ("published", "go live")
    assert published.definition["states"][1]["properties"]["body"].startswith("How do you feel")
    revisions = client.studio.v2.flows(flow.sid).revisions.list()
    assert revisions[0].revision == published.revision and revisions[0].status == "published"
    latest = client.studio.v2.flows(flow.sid).revisions("LatestPublished").fetch()
    assert latest.definition == published.definition

    # the published flow runs: an execution started through the API sends its question
    execution = client.studio.v2.flows(flow.sid).executions.create(to=PATIENT, from_=PRACTICE,
                                                                   parameters={"name": "Bo"})
    outbox = requests.get(f"{server.base}/api/outbox?execution={execution.sid}", timeout=HTTP_TIMEOUT).json()
    assert outbox["outbox"][0]["effect"]["body"] == "How do you feel today, Bo?"
    # and the file on disk records the flow's SID, so it keeps it across restarts
    assert f"sid: {flow.sid}" in (server.flows / "wellness-check.yaml").read_text()


def test_wrong_credentials_are_refused_as_twilio_refuses_them(server):
    client = studio_client(server, token="not-the-token")
    with pytest.raises(TwilioRestException) as refused:
        client.studio.v2.flows("appointment-confirmation").fetch()
    assert (refused.value.status, refused.value.code) == (401, 20003)
    with pytest.raises(TwilioException, match="401"):   # a list raises the client's plain exception
        client.studio.v2.flows.list()
    with pytest.raises(TwilioRestException) as missing:
        studio_client(server).studio.v2.flows("FW" + "0" * 32).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)
