"""Failed logins, limited per client and overall, so a password cannot be guessed fast.

A sliding window of failure times: a client (its address as the server sees it) may
fail PER_CLIENT times within WINDOW seconds, and all clients together OVERALL times;
past that, logins are answered 429 with `Retry-After` until the oldest failure in the
window is old enough, even with the right password (a guesser must not learn that a
guess was right by being let in). Successful logins do not count.

The counts live in the process: with several workers or machines, each counts its
own, so the limits are per process (still thousands of times slower than the 500
guesses a second one process answered before). Behind a reverse proxy every client
has the proxy's address: the per-client limit then works as a second overall limit.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

WINDOW = 300.0       # seconds
PER_CLIENT = 10      # failed logins per client per window
OVERALL = 100        # failed logins of all clients together per window
MAX_CLIENTS = 10_000  # clients remembered; the oldest are forgotten first


class LoginThrottle:
    """Counts failed logins; `wait(client)` says how long a client must wait first."""

    def __init__(self, window: float = WINDOW, per_client: int = PER_CLIENT, overall: int = OVERALL,
                 clock=time.monotonic):
        self.window, self.per_client, self.overall, self.clock = window, per_client, overall, clock
        self._clients: OrderedDict[str, deque] = OrderedDict()
        self._all: deque = deque()
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds `client` must wait before it may try to log in (0: it may now)."""
        with self._lock:
            now = self.clock()
            waits = [self._wait(self._all, self.overall, now)]
            mine = self._clients.get(client)
            if mine is not None:
                waits.append(self._wait(mine, self.per_client, now))
            return max(waits)

    def failed(self, client: str) -> None:
        """Count one failed login of `client`."""
        with self._lock:
            now = self.clock()
            mine = self._clients.pop(client, None) or deque()
            self._clients[client] = mine   # most recent last
            mine.append(now)
            self._all.append(now)
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)

    def _wait(self, times: deque, limit: int, now: float) -> float:
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < limit:
            return 0.0
        return self.window - (now - times[-limit])
