"""The budget of one turn: how much CPU time and memory the engine may spend on one event.

A flow can be made to do a great deal of work in one turn without any single limit
being reached: forty slow regular expressions in one split, a long chain of widgets
each rendering a heavy template, a subflow entered again and again. The service gives
each turn a `Budget` (see `running`); the engine checks it between widgets, Liquid
checks it at every filter call and loop iteration, and a split gives its regex only
what is left of it. Past the budget, `BudgetExceeded` ends the execution as failed,
with an error entry on the widget that was running.

Besides the limit, a budget keeps a long turn from holding up others. Once the turn
has computed for YIELD_AFTER seconds of CPU time (ordinary turns take about a
millisecond), `check()` calls `on_long` once (the service opens the SQLite turn gate
there, so other conversations go on meanwhile), then waits for the process's one
slot for long turns (LONG_TURNS; a turn that cannot have it within LONG_WAIT fails),
and from then on computes a quarter of the time only: it gives the interpreter lock
away (`time.sleep`) for PAUSE_FOR after every PAUSE_EVERY of work. Python runs one
thread at a time, and the threads answering other webhooks need the lock a dozen
times each: without the pauses, each of those waits up to 5 ms (the interpreter's
switch interval) behind a turn that computes, and with several runaway turns at
once they would share the lock among themselves before anyone else. A long turn is
slower (its CPU budget is unchanged, its wall time about four times that); everyone
else is not.

The budget in force is kept in a context variable: the engine, Liquid and the split's
conditions reach it without it being passed through every call. Without one (the
engine called directly, in tests or tools), `check()` costs nothing and never fails.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable

DEFAULT_CPU_SECONDS = 1.0       # CPU time one turn may take in the engine
DEFAULT_MEMORY_BYTES = 32 * 1024 * 1024  # what one turn may build: step snapshots, template values
YIELD_AFTER = 0.02              # seconds of work after which a turn lets other turns through
PAUSE_EVERY = 0.0005            # once long, a turn gives the interpreter lock away after this much work ...
PAUSE_FOR = 0.0015              # ... for this long
LONG_TURNS = 1                  # long turns of one process computing at once
LONG_WAIT = 5.0                 # seconds a long turn may wait for its slot before it fails

_long_turns = threading.BoundedSemaphore(LONG_TURNS)


class BudgetExceeded(Exception):
    """The turn used up its CPU time or memory; the message says which, in plain words."""


class Budget:
    """CPU time and memory allowed to one turn (see the module docstring)."""

    __slots__ = ("cpu_seconds", "memory_bytes", "on_long", "used_bytes", "_start", "_long", "_paused", "_countdown",
                 "_slot")

    def __init__(self, cpu_seconds: float = DEFAULT_CPU_SECONDS, memory_bytes: int = DEFAULT_MEMORY_BYTES,
                 on_long: Callable[[], None] | None = None):
        self.cpu_seconds = cpu_seconds
        self.memory_bytes = memory_bytes
        self.on_long = on_long
        self.used_bytes = 0
        self._start = time.thread_time()
        self._long = False
        self._paused = 0.0
        self._countdown = 0
        self._slot = False

    @property
    def long(self) -> bool:
        """Whether the turn has become long (see became_long)."""
        return self._long

    def spent(self) -> float:
        """CPU seconds this turn's thread has used since the budget was made."""
        return time.thread_time() - self._start

    def remaining(self) -> float:
        """CPU seconds left (never below zero)."""
        return max(0.0, self.cpu_seconds - self.spent())

    def check(self) -> None:
        """Raise BudgetExceeded past the budget; let others through once the turn is long."""
        spent = self.spent()
        if spent > self.cpu_seconds:
            raise BudgetExceeded(f"this message's processing used more than its {self.cpu_seconds:g} s of CPU time")
        if not self._long:
            if spent < YIELD_AFTER:  # CPU time: waiting on I/O (an HTTP widget) does not make a turn long
                return
            self.became_long()
        now = time.perf_counter()
        if now - self._paused >= PAUSE_EVERY:
            time.sleep(PAUSE_FOR)
            self._paused = time.perf_counter()

    def tick(self) -> None:
        """A cheap check for hot loops (Liquid's filters and iterations): the clock is
        read every 16th call only."""
        self._countdown -= 1
        if self._countdown < 0:
            self._countdown = 16
            self.check()

    def became_long(self) -> None:
        """Note that the turn is long: call `on_long` (once), so others need not wait,
        then take the process's slot for long turns (BudgetExceeded after LONG_WAIT)."""
        if self._long:
            return
        self._long = True
        if self.on_long is not None:
            self.on_long()  # first: a turn waiting for the slot must not hold the gate
        if not _long_turns.acquire(timeout=LONG_WAIT):
            raise BudgetExceeded(f"this message needed more than {YIELD_AFTER * 1000:.0f} ms of CPU time while the "
                                 f"server was busy with another such message for {LONG_WAIT:g} s")
        self._slot = True

    def finish(self) -> None:
        """The turn is over: give back the slot for long turns, if it had it."""
        if self._slot:
            self._slot = False
            _long_turns.release()

    def allocate(self, size: int, what: str) -> None:
        """Count `size` bytes built by this turn; raise BudgetExceeded past the budget."""
        self.used_bytes += size
        if self.used_bytes > self.memory_bytes:
            raise BudgetExceeded(f"this message's processing built more than {_size(self.memory_bytes)} ({what})")


def _size(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n / 1024:g} KB"


_current: ContextVar[Budget | None] = ContextVar("flowstudio_budget", default=None)


def current() -> Budget | None:
    """The budget of the turn running in this thread, or None."""
    return _current.get()


@contextmanager
def running(budget: Budget | None):
    """Make `budget` the one in force for the block (None: no budget)."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)
        if budget is not None:
            budget.finish()


def check() -> None:
    """Check the budget in force, if any (see Budget.check)."""
    budget = _current.get()
    if budget is not None:
        budget.check()
