"""Fires due timers (reply timeouts, execution expiry) in the background.

Timers are rows in the database (`executions.due_at`), not in memory: after a
restart the scheduler finds the ones that fell due while nothing ran. Several
processes may each run a scheduler; the service fires each timer once.
"""
from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class Scheduler:
    """A daemon thread calling `service.fire_due()` every `interval` seconds."""

    def __init__(self, service, interval: float = 1.0):
        self.service = service
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.fired = 0

    def start(self) -> "Scheduler":
        """Start polling (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="flowstudio-scheduler", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop polling and wait for the current round to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> int:
        """Fire what is due now; returns how many timers fired."""
        fired = len(self.service.fire_due())
        self.fired += fired
        return fired

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - a failing round must not kill the scheduler
                log.exception("firing due timers failed; trying again in %.1f s", self.interval)
            self._stop.wait(self.interval)
