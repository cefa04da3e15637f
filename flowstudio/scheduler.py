"""Fires due timers (reply timeouts, execution expiry) in the background.

Timers are rows in the database (`executions.due_at`), not in memory: after a
restart the scheduler finds the ones that fell due while nothing ran. Several
processes may each run a scheduler: each claims a batch of due timers before firing
them (`Store.claim_due`), so each timer fires once and the schedulers share a backlog
instead of queueing on the same timers.
"""
from __future__ import annotations

import logging

from . import metrics
from .background import Background

log = logging.getLogger(__name__)


class Scheduler(Background):
    """A daemon thread calling `service.fire_due()` every `interval` seconds."""

    thread_name = "flowstudio-scheduler"

    def __init__(self, service, interval: float = 1.0, batch: int = 100):
        self.service = service
        self.interval = interval
        self.batch = batch
        super().__init__()
        self.fired = 0

    def run_once(self) -> int:
        """Fire what is due now; returns how many timers fired."""
        fired = len(self.service.fire_due(limit=self.batch))
        self.fired += fired
        metrics.timers_fired(fired)
        return fired

    def _loop(self) -> None:
        while not self._stop.is_set():
            backlog = False
            try:
                backlog = self.run_once() >= self.batch  # a full batch: more may be due now
            except Exception:  # noqa: BLE001 - a failing round must not kill the scheduler
                log.exception("firing due timers failed; trying again in %.1f s", self.interval)
            if not backlog:
                self._stop.wait(self.interval)
