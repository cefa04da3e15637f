"""What a server's workers share (gunicorn_worker.WorkerCounts): the unfinished-request
bytes they hold together (FLOWSTUDIO_READ_BUFFER_MB bounds the server, whatever its
number of workers; tests/adversarial/test_slow_clients.py runs it against `flowstudio
serve`), and their open connections, by which they share new connections out evenly."""
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter

from flowstudio.gunicorn_worker import STOPPING, WorkerCounts

from .web.test_server_process import REPO, clean_env, free_port, servers  # noqa: F401


def test_workers_counts_add_up_and_a_dead_workers_slot_is_given_again():
    shared = WorkerCounts()
    first, second = shared.claim(), shared.claim()
    assert first != second
    shared.pids[first], shared.pids[second] = os.getpid(), os.getppid()
    shared.held[first], shared.held[second] = 300, 500
    assert shared.total() == 800

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    shared.pids[second] = dead.pid   # that worker died holding 500 bytes
    assert shared.claim() == second   # its replacement takes the slot, and the count starts again
    assert shared.total() == 300
    assert shared.claim() not in (first, second)   # a live worker's slot is never given away


def test_a_count_written_in_a_forked_child_is_seen_by_the_parent():
    shared = WorkerCounts()
    slot = shared.claim()
    pid = os.fork()
    if pid == 0:   # the worker
        shared.pids[slot] = os.getpid()
        shared.held[slot] = 1234
        os._exit(0)
    os.waitpid(pid, 0)
    assert shared.total() == 1234


def test_the_fewest_connections_elsewhere_skip_this_worker_dead_workers_and_stopping_ones():
    shared = WorkerCounts()
    mine, other, gone = shared.claim(), shared.claim(), shared.claim()
    assert shared.fewest_conns_elsewhere(mine) is None   # no other worker has started yet
    shared.pids[mine], shared.conns[mine] = os.getpid(), 0
    assert shared.fewest_conns_elsewhere(mine) is None   # alone
    shared.pids[other], shared.conns[other] = os.getppid(), 7
    assert shared.fewest_conns_elsewhere(mine) == 7
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    shared.pids[gone], shared.conns[gone] = dead.pid, 0   # it died with no connection: never waited for
    assert shared.fewest_conns_elsewhere(mine) == 7
    shared.conns[other] = STOPPING
    assert shared.fewest_conns_elsewhere(mine) is None   # the only live one is stopping


PID_APP = """
import os
def app(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
"""


def _answer(sock: socket.socket) -> str:
    sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    data = b""
    while True:
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"Content-Length: (\d+)", head, re.I)
        if length and len(body) >= int(length.group(1)):
            return body.decode()
        chunk = sock.recv(4096)
        assert chunk, data
        data += chunk


def test_a_burst_of_kept_alive_connections_is_shared_evenly_between_two_workers(tmp_path, servers):  # noqa: F811
    """32 connections opened at once (a load generator's, a proxy's pool) stay where they
    were accepted: the workers must share them, not leave one worker all the load.
    Before, the split was 2-10 against 22-30 (gunicorn_worker's docstring)."""
    (tmp_path / "pidapp.py").write_text(PID_APP)
    port = free_port()
    server = servers([sys.executable, "-m", "gunicorn", "-c", "python:flowstudio.gunicorn_conf", "--workers", "2",
                      "--bind", f"127.0.0.1:{port}", "--chdir", str(tmp_path), "pidapp:app"],
                     clean_env(PYTHONPATH=str(REPO)), port)
    server.wait_ready()
    pids = set()
    deadline = time.monotonic() + 30
    while len(pids) < 2 and time.monotonic() < deadline:   # both workers are up and accepting
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            pids.add(_answer(sock))
    assert len(pids) == 2, pids
    for _ in range(3):
        socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(32)]
        try:
            split = Counter(_answer(sock) for sock in socks)
        finally:
            for sock in socks:
                sock.close()
        assert len(split) == 2 and min(split.values()) >= 12, split
