"""The unfinished-request bytes a server's workers hold together (gunicorn_worker.HeldBytes):
FLOWSTUDIO_READ_BUFFER_MB bounds the server, whatever its number of workers
(tests/adversarial/test_slow_clients.py runs it against `flowstudio serve`)."""
import os
import subprocess
import sys

from flowstudio.gunicorn_worker import HeldBytes


def test_workers_counts_add_up_and_a_dead_workers_slot_is_given_again():
    shared = HeldBytes()
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
    shared = HeldBytes()
    slot = shared.claim()
    pid = os.fork()
    if pid == 0:   # the worker
        shared.pids[slot] = os.getpid()
        shared.held[slot] = 1234
        os._exit(0)
    os.waitpid(pid, 0)
    assert shared.total() == 1234
