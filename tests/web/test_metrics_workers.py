"""/metrics of `flowstudio serve --workers 2`: every scrape, whichever worker answers
it, adds up both workers' figures (prometheus-client's multiprocess mode)."""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from prometheus_client.parser import text_string_to_metric_families

from flowstudio.server import multiprocess_metrics

from .test_server_process import HTTP_TIMEOUT, QUIZ, WORKERS_WAIT, Texter, clean_env, free_port, servers  # noqa: F401


def totals(base: str) -> tuple[float, float]:
    """(turns of the quiz flow, webhook answers 200) in one scrape."""
    response = requests.get(base + "/metrics", timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    turns = answers = 0.0
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            if s.name == "flowstudio_turns_total" and s.labels.get("flow") == "quiz":
                turns += s.value
            elif s.name == "flowstudio_webhook_responses_total" and s.labels.get("status") == "200":
                answers += s.value
    return turns, answers


def test_each_scrape_adds_up_every_worker(tmp_path, servers):  # noqa: F811 - the fixture
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "quiz.yaml").write_text(QUIZ)
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"left by an earlier run")   # must be wiped at start
    port = free_port()
    env = clean_env(FLOWSTUDIO_DATA_DIR=str(tmp_path / "data"), PROMETHEUS_MULTIPROC_DIR=str(folder))
    server = servers([sys.executable, "-m", "flowstudio.cli", "serve", "--flows", flows, "--host", "127.0.0.1",
                      "--port", port, "--workers", "2"], env, port)
    server.wait_ready()
    assert not (folder / "counter_999999.db").exists()

    # Texts from new contacts, 8 at a time, until both workers have counted some turns
    # (each process writes its own counter file).
    sent = 0
    deadline = time.monotonic() + WORKERS_WAIT
    with ThreadPoolExecutor(8) as pool:
        while True:
            batch = [Texter(server, "quiz", f"+1555{sent + i:07d}") for i in range(8)]
            assert [r.status_code for r in pool.map(lambda t: t.text("hi"), batch)] == [200] * 8
            sent += 8
            pids = {f.split("_")[-1] for f in os.listdir(folder) if f.startswith("counter_")}
            if len(pids) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert len(pids) >= 2, f"one worker answered everything: {os.listdir(folder)}\n{server.output()}"
    # Scrapes on new connections reach either worker: each sees both workers' turns.
    assert {totals(server.base) for _ in range(8)} == {(sent, sent)}


def test_serve_makes_a_folder_for_several_workers_and_removes_it(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert multiprocess_metrics(1) == {}                     # one process: nothing to add up
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    hooks = multiprocess_metrics(2)
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    assert os.path.isdir(folder) and set(hooks) == {"child_exit", "on_exit"}
    open(os.path.join(folder, "gauge_livesum_4242.db"), "wb").close()   # a worker's connected tabs

    class Worker:
        pid = 4242

    hooks["child_exit"](None, Worker())                       # the worker died: its live gauge goes
    assert os.listdir(folder) == []
    hooks["on_exit"](None)
    assert not os.path.exists(folder)
