"""The budget of one turn: how much CPU time and memory the engine may spend on one event.

A flow can be made to do a great deal of work in one turn without any single limit
being reached: forty slow regular expressions in one split, a long chain of widgets
each rendering a heavy template, a subflow entered again and again. The service gives
each turn a `Budget` (see `running`); the engine checks it between widgets, Liquid
checks it at every filter call and loop iteration, and a split gives its regex only
what is left of it. Past the budget, `BudgetExceeded` ends the execution as failed,
with an error entry on the widget that was running.

Besides the limit, a budget lets a long turn stop holding up others: once the turn
has computed for YIELD_AFTER seconds, `check()` calls `on_long` once (the service
opens the SQLite turn gate there, so other conversations go on meanwhile) and from
then on gives the interpreter lock away now and then (`time.sleep`), so that the
threads answering other webhooks are not starved by a turn that computes.

The budget in force is kept in a context variable: the engine, Liquid and the split's
conditions reach it without it being passed through every call. Without one (the
engine called directly, in tests or tools), `check()` costs nothing and never fails.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable

DEFAULT_CPU_SECONDS = 1.0       # CPU time one turn may take in the engine
DEFAULT_MEMORY_BYTES = 32 * 1024 * 1024  # what one turn may build: step snapshots, template values
YIELD_AFTER = 0.02              # seconds of work after which a turn lets other turns through
PAUSE_EVERY = 0.002             # once long, a turn gives the interpreter lock away this often ...
PAUSE_FOR = 0.0005              # ... for this long


class BudgetExceeded(Exception):
    """The turn used up its CPU time or memory; the message says which, in plain words."""


class Budget:
    """CPU time and memory allowed to one turn (see the module docstring)."""

    __slots__ = ("cpu_seconds", "memory_bytes", "on_long", "used_bytes", "_start", "_long", "_paused", "_countdown")

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
        read every 32nd call only."""
        self._countdown -= 1
        if self._countdown < 0:
            self._countdown = 32
            self.check()

    def became_long(self) -> None:
        """Note that the turn is long: call `on_long` (once), so others need not wait."""
        if not self._long:
            self._long = True
            if self.on_long is not None:
                self.on_long()

    def allocate(self, size: int, what: str) -> None:
        """Count `size` bytes built by this turn; raise BudgetExceeded past the budget."""
        self.used_bytes += size
        if self.used_bytes > self.memory_bytes:
            raise BudgetExceeded(f"this message's processing built more than {self.memory_bytes // (1024 * 1024)} MB "
                                 f"({what})")


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


def check() -> None:
    """Check the budget in force, if any (see Budget.check)."""
    budget = _current.get()
    if budget is not None:
        budget.check()
