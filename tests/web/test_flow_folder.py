"""What the server serves from the flows folder: exactly the flows it can open.

Before: `flows/sub/*.yaml`, `flows/*.yml` and names that cannot be URLs were listed as
"cannot read file" and 404 when opened; a link to a file outside the folder was served.
"""
import os

import pytest

from flowstudio.adapters.twiml import APOLOGY
from flowstudio.spec import flowfile, yamlio
from flowstudio.web.app import runtime

from .conftest import REPO

SMS = {"MessageSid": "SM1", "From": "+15555550142", "To": "+15555550100", "Body": "hi"}


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def folder(app, tmp_path):
    flows = runtime(app).service.flows.directory
    survey = (REPO / "flows" / "sms-survey.yaml").read_text()
    (flows / "sub").mkdir()
    (flows / "sub" / "nested.yaml").write_text(survey)
    (flows / "short.yml").write_text(survey)
    (flows / "two words.yaml").write_text(survey)
    outside = tmp_path / "outside.yaml"
    outside.write_text(survey)
    os.symlink(outside, flows / "escape.yaml")
    os.symlink(flows / "sms-survey.yaml", flows / "alias.yaml")   # a link that stays inside is a flow
    return flows


def test_the_list_holds_exactly_what_can_be_opened(client, folder):
    listing = client.get("/api/flows").json
    ids = [f["id"] for f in listing["flows"]]
    assert "alias" in ids and "sms-survey" in ids
    assert not {"nested", "short", "two words", "escape"} & set(ids)
    for flow_id in ids:
        assert client.get(f"/api/flows/{flow_id}").status_code == 200, flow_id
    reasons = {i["file"]: i["reason"] for i in listing["ignored"]}
    assert set(reasons) == {"sub/nested.yaml", "short.yml", "two words.yaml", "escape.yaml"}
    assert "in a sub-folder: move it into the flows folder itself" in reasons["sub/nested.yaml"]
    assert "rename it to short.yaml" in reasons["short.yml"]
    assert "webhook URL" in reasons["two words.yaml"]
    assert "outside the flows folder" in reasons["escape.yaml"]


@pytest.mark.parametrize("flow_id", ["escape", "nested", "short", "two%20words"])
def test_files_not_served_have_no_page_and_no_webhook(client, folder, flow_id):
    assert client.get(f"/api/flows/{flow_id}").status_code == 404
    response = client.post(f"/webhooks/{flow_id}", data=SMS)
    assert response.status_code in (403, 404)   # 403: the app fixture signs webhooks; never 200
    assert client.post(f"/webhooks/{flow_id}", data=SMS, headers={"X-Twilio-Signature": "x"}).status_code != 200


def test_an_oversized_file_is_reported_and_not_read_again(client, app, monkeypatch):
    flows = runtime(app).service.flows.directory
    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(flowfile, "MAX_FILE_BYTES", 1000)   # where flow files are read
    (flows / "big.yaml").write_text("spec_version: 1\nname: big\nwidgets: []\n# " + "x" * 5000 + "\n")
    reads = []
    real = type(flows).read_bytes

    def counting(path):
        reads.append(path.name)
        return real(path)
    monkeypatch.setattr(type(flows), "read_bytes", counting)
    for _ in range(3):
        flow = next(f for f in client.get("/api/flows").json["flows"] if f["id"] == "big")
        assert not flow["valid"]
        assert [i["code"] for i in flow["issues"]] == ["too_large"]
    assert "big.yaml" not in reads
    # Unchanged flows are not read again either: only the first listing read them.
    first = len(reads)
    client.get("/api/flows")
    assert len(reads) == first


CHILD = """\
spec_version: 1
name: classify
widgets:
  - {name: Trigger, type: trigger, transitions: {incomingParent: tag}}
  - name: tag
    type: set-variables
    properties: {variables: [{key: kind, value: "{{trigger.parent.parameters.text}}"}]}
"""
PARENT = """\
spec_version: 1
name: spinner
widgets:
  - {name: Trigger, type: trigger, transitions: {incomingMessage: classify_it}}
  - name: classify_it
    type: run-subflow
    properties: {flow_sid: classify, parameters: [{key: text, value: "{{trigger.message.Body}}"}]}
    transitions: {completed: check, failed: check}
  - name: check
    type: split-based-on
    properties: {input: "{{widgets.classify_it.kind}}"}
    transitions:
      noMatch: classify_it
      match: [{next: classify_it, conditions: [{type: regex, value: "^(a|aa)+$"}]}]
"""


def test_the_server_sees_a_loop_through_a_subflow_that_never_waits(client, app, phone):
    """Before, the server validated a flow against the other flows' ids only, so a loop
    through a child that never waits ran (84 s of backtracking regexes on SQLite while
    every other flow waited); now the flow refuses to run and says why."""
    flows = runtime(app).service.flows.directory
    (flows / "classify.yaml").write_text(CHILD)
    (flows / "spinner.yaml").write_text(PARENT)
    listed = next(f for f in client.get("/api/flows").json["flows"] if f["id"] == "spinner")
    assert [i["code"] for i in listed["issues"]] == ["spin_loop"]
    assert "'classify_it' runs 'classify', which never waits" in listed["issues"][0]["message"]
    assert [i.code for i in runtime(app).service.flows.problems("spinner")] == ["spin_loop"]
    answer = phone.post("/webhooks/spinner", {**SMS, "Body": "a" * 40 + "!"})
    assert answer.status_code == 200 and APOLOGY in answer.text   # the flow never ran


def test_a_file_that_cannot_be_read_is_reported_not_a_500(client, app, monkeypatch):
    flows = runtime(app).service.flows.directory
    (flows / "locked.yaml").write_text((REPO / "flows" / "sms-survey.yaml").read_text().replace("sms-survey", "locked"))
    real = type(flows).read_bytes

    def refusing(path):
        if path.name == "locked.yaml":
            raise PermissionError(13, "Permission denied")
        return real(path)
    monkeypatch.setattr(type(flows), "read_bytes", refusing)
    listing = client.get("/api/flows")
    assert listing.status_code == 200
    locked = next(f for f in listing.json["flows"] if f["id"] == "locked")
    assert [(i["code"], i["message"]) for i in locked["issues"]] == [("unreadable", "cannot read file: Permission denied")]
    assert client.get("/api/flows/locked").status_code == 200
