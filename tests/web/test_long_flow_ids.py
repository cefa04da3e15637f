"""The longest flow id the repository accepts (100 characters) on every database: its
revision ids (`<flow>@<n>`) and console snapshot ids (`<flow>~<12 hex digits>`) are
longer than the 80 characters the id columns held, which PostgreSQL refused (500)."""
import itertools

from flowstudio.adapters.flowstore import FlowStore
from flowstudio.web.app import create_app, runtime

from .conftest import PUBLIC, TOKEN, Phone

FLOW = """spec_version: 1
name: long
widgets:
  - {name: Trigger, type: trigger, transitions: {incomingMessage: ask}}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "Hi {{trigger.message.Body}}", timeout: 3600}
    transitions: {incomingMessage: null, timeout: null}
"""


def test_a_flow_with_the_longest_id_runs_and_is_tried_on_every_database(tmp_path, store_url, clock, http):
    flows = tmp_path / "flows"
    flows.mkdir()
    flow_id = "a" + "-b" * 49 + "c"   # 100 characters, as repository.FLOW_ID allows
    assert len(flow_id) == 100
    (flows / f"{flow_id}.yaml").write_text(FLOW)
    ids = itertools.count(1)
    app = create_app({"FLOWS_DIR": str(flows), "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": store_url,
                      "SCHEDULER": False, "CLOCK": clock, "HTTP": http, "TWILIO_AUTH_TOKEN": TOKEN,
                      "TWILIO_ACCOUNT_SID": None, "PUBLIC_URL": PUBLIC, "LISTEN_HOST": "127.0.0.1",
                      "NEW_ID": lambda: f"FN{next(ids):032d}"})
    try:
        answer = Phone(app.test_client()).post(f"/webhooks/{flow_id}", {
            "MessageSid": "SM" + "1" * 32, "From": "+15555550142", "To": "+15555550100", "Body": "there"})
        assert answer.status_code == 200, answer.text
        assert "Hi there" in answer.text
        [execution] = runtime(app).service.store.executions(flow_id=flow_id)
        assert execution.revision_id.startswith(flow_id + "@")
        # the editor's test console runs a snapshot of the flow: "<flow>~<sha>"
        store = runtime(app).service.store
        snapshot = FlowStore(store).snapshot(flow_id, "f" * 64, {"name": "long"}, clock())
        assert snapshot.startswith(flow_id + "~") and FlowStore(store).snapshot_row(snapshot) is not None
    finally:
        runtime(app).service.store.close()
