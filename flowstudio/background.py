"""A daemon thread that runs a loop until it is stopped: what the scheduler, retention,
the stats summarizer and the campaign runner each are.

A subclass names its thread (`thread_name`) and writes `_loop`, which runs until
`self._stop` is set and waits on it (`self._stop.wait(seconds)`) between rounds, so a
stop is seen at once.
"""
from __future__ import annotations

import threading
from typing import Self


class Background:
    """Start and stop one daemon thread running `_loop` (see the module docstring)."""

    thread_name = "flowstudio-background"

    def __init__(self):
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Start the thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to stop and wait (at most `timeout` seconds) for its current round."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        raise NotImplementedError
