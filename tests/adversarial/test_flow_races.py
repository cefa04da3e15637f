"""Flow lifecycle races against a real `flowstudio serve` process (issue 14, section 7).

Two browsers (or scripts) act on the flow list at the same instant: creating one id
twice, renaming two flows onto one id, renaming onto the id of a deleted flow. Each
request is fired from its own thread, released together by a barrier. Exactly one
wins, the other is told why (409), and no flow is silently replaced.
"""
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import yaml

from tests.web.test_server_process import HTTP_TIMEOUT, clean_env, free_port, servers  # noqa: F401 (fixture)

TRIALS = 8


@pytest.fixture
def api(tmp_path, servers):  # noqa: F811 (the imported fixture)
    """A real server on an empty flows folder; `api.post(path, json)` etc."""
    flows = tmp_path / "flows"
    flows.mkdir()
    port = free_port()
    server = servers([sys.executable, "-m", "flowstudio.cli", "serve", "--flows", flows, "--host", "127.0.0.1",
                      "--port", port], clean_env(FLOWSTUDIO_DATA_DIR=str(tmp_path / "data")), port)
    server.wait_ready()

    class Api:
        folder = flows
        base = server.base

        def post(self, path, body):
            return requests.post(server.base + path, json=body, timeout=HTTP_TIMEOUT)

        def get(self, path):
            return requests.get(server.base + path, timeout=HTTP_TIMEOUT)

        def delete(self, path):
            return requests.delete(server.base + path, timeout=HTTP_TIMEOUT)

    return Api()


def together(*calls):
    """Run the calls at the same instant, each on its own thread; their answers in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(5)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def numbers(api, flow_id):
    r = api.get(f"/api/flows/{flow_id}/revisions")
    assert r.status_code == 200, r.text
    return [v["number"] for v in r.json()["revisions"]]


def test_two_creates_of_one_id_exactly_one_wins_the_other_gets_409(api):
    for trial in range(TRIALS):
        flow_id = f"race-{trial}"
        a, b = together(lambda: api.post("/api/flows", {"id": flow_id, "name": "from A"}),
                        lambda: api.post("/api/flows", {"id": flow_id, "name": "from B"}))
        assert sorted([a.status_code, b.status_code]) == [201, 409], (trial, a.text, b.text)
        winner = a if a.status_code == 201 else b
        loser = b if winner is a else a
        assert "already exists" in loser.json()["error"]["message"]
        # The winner's flow is the one on disk and the only version: nothing replaced it.
        name = winner.json()["name"]
        assert yaml.safe_load((api.folder / f"{flow_id}.yaml").read_text())["name"] == name
        assert numbers(api, flow_id) == [1], trial
        assert api.get(f"/api/flows/{flow_id}").json()["name"] == name


def test_two_renames_onto_one_id_exactly_one_wins_and_the_other_flow_is_intact(api):
    for trial in range(TRIALS):
        a_id, b_id, target = f"a-{trial}", f"b-{trial}", f"t-{trial}"
        assert api.post("/api/flows", {"id": a_id}).status_code == 201
        assert api.post("/api/flows", {"id": b_id}).status_code == 201
        ra, rb = together(lambda: api.post(f"/api/flows/{a_id}/rename", {"id": target}),
                          lambda: api.post(f"/api/flows/{b_id}/rename", {"id": target}))
        assert sorted([ra.status_code, rb.status_code]) == [200, 409], (trial, ra.text, rb.text)
        winner, loser = (a_id, b_id) if ra.status_code == 200 else (b_id, a_id)
        ids = {f["id"] for f in api.get("/api/flows").json()["flows"]}
        assert target in ids and loser in ids and winner not in ids, (trial, ids)
        assert api.get(f"/api/flows/{loser}").status_code == 200
        assert numbers(api, loser)[-1] == 1 and numbers(api, target)[-1] == 1


def test_renaming_onto_a_deleted_flows_id_takes_the_renamed_flows_history_only(api):
    assert api.post("/api/flows", {"id": "old"}).status_code == 201
    assert api.post("/api/flows", {"id": "other"}).status_code == 201
    assert api.delete("/api/flows/old").status_code == 204
    r = api.post("/api/flows/other/rename", {"id": "old"})
    assert r.status_code == 200, r.text
    revisions = api.get("/api/flows/old/revisions").json()["revisions"]
    assert [v["message"] for v in revisions][-1] == "Created" and len(revisions) == 2   # created, renamed
    assert "Renamed from 'other'" in revisions[0]["message"]
    assert r.json()["name"] == "old"
    # And back again: the history follows, nothing collides.
    r = api.post("/api/flows/old/rename", {"id": "other"})
    assert r.status_code == 200, r.text
    assert len(api.get("/api/flows/other/revisions").json()["revisions"]) == 3


DEFINITION = ('{"description": "", "states": [{"name": "Trigger", "type": "trigger", "transitions": [], '
              '"properties": {"offset": {"x": 0, "y": 0}}}], "initial_state": "Trigger", "flags": {}}')


@pytest.mark.parametrize("status", ["published", "draft"])
def test_studio_creates_of_one_name_at_once_each_get_a_flow(api, status):
    """Studio lets flows share a FriendlyName: created one after another they get ids
    `name`, `name-2`...; created at once they did too, but all but one were told 409."""
    def create():
        return requests.post(api.base + "/v2/Flows", timeout=HTTP_TIMEOUT,
                             data={"FriendlyName": "One Name", "Status": status, "Definition": DEFINITION})
    answers = together(*[create] * 6)
    assert [a.status_code for a in answers] == [201] * 6, [a.text[:200] for a in answers]
    sids = {a.json()["sid"] for a in answers}
    assert len(sids) == 6 and len(list(api.folder.glob("one-name*.yaml"))) == 6
    assert all(a.json()["friendly_name"] == "One Name" for a in answers)
