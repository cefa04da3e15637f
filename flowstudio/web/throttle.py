"""Failed logins, limited per client and overall, so a password cannot be guessed fast.

A sliding window of failure times: a client (its address as the server sees it) may
fail PER_CLIENT times within WINDOW seconds, and all clients together OVERALL times;
past that, logins are answered 429 with `Retry-After` until the oldest failure in the
window is old enough, even with the right password (a guesser must not learn that a
guess was right by being let in). Successful logins do not count.

The failures are kept in the database (adapters/loginfailures.py), so the limits hold
for all workers and machines together, and a restart does not forget them: counted in
each process, N workers gave a guesser N times the limit. Behind a reverse proxy every
client has the proxy's address: the per-client limit then works as a second overall limit.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from ..adapters.loginfailures import LoginFailures

WINDOW = 300.0       # seconds
PER_CLIENT = 10      # failed logins per client per window
OVERALL = 100        # failed logins of all clients together per window


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class LoginThrottle:
    """Counts failed logins; `wait(client)` says how long a client must wait first."""

    def __init__(self, failures: Callable[[], LoginFailures], window: float = WINDOW, per_client: int = PER_CLIENT,
                 overall: int = OVERALL, clock: Callable[[], datetime] = _utcnow):
        # `failures` is called when first needed: the app's store is made after auth's setup
        self._failures, self._store = failures, None
        self.window, self.per_client, self.overall, self.clock = timedelta(seconds=window), per_client, overall, clock

    @property
    def failures(self) -> LoginFailures:
        if self._store is None:
            self._store = self._failures()
        return self._store

    def wait(self, client: str) -> float:
        """Seconds `client` must wait before it may try to log in (0: it may now)."""
        now = self.clock()
        since = now - self.window
        waits = [0.0]
        for limit, who in ((self.overall, None), (self.per_client, client)):
            oldest_counted = self.failures.nth_newest(limit, since, who)
            if oldest_counted is not None:
                waits.append((self.window - (now - oldest_counted)).total_seconds())
        return max(waits)

    def failed(self, client: str) -> None:
        """Count one failed login of `client`."""
        now = self.clock()
        self.failures.add(client, now, forget_before=now - self.window)
