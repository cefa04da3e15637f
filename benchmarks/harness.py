"""What every benchmark module uses: `Row` (one line of the results table) and `measure`.

A benchmark module `benchmarks/bench_<topic>.py` defines `run() -> list[Row]` (or
`run(select)`, where `select(name)` says whether a row is wanted, so `-k` can skip the
expensive cases). Each row compares a figure with a baseline measured in the same run
on the same machine, so the ratio means something on any computer.
"""
from __future__ import annotations

import gc
import socket
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

try:
    import flowstudio  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@dataclass
class Row:
    """One result: `figure` (in `unit`) against `baseline` (same unit), what the baseline
    is (`baseline_name`), `ratio` = figure / baseline, the `target` as text, and `met`
    (True/False when the target was checked, None when the row has no target)."""

    name: str
    figure: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def measure(fn: Callable[[], object], repeat: int = 5, warmup: int = 1,
            setup: Callable[[], object] | None = None) -> float:
    """The median wall time of `fn()` in seconds over `repeat` runs (after `warmup`
    untimed runs), with a garbage collection before each run so one run's garbage is
    not collected during the next. `setup()`, when given, runs untimed before every run
    (e.g. to empty a cache so each run starts cold)."""
    for _ in range(warmup):
        if setup is not None:
            setup()
        fn()
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_many(fns: list[Callable[[], object]], repeat: int = 5, warmup: int = 1,
                 setup: Callable[[], object] | None = None) -> list[float]:
    """Like `measure` for several functions at once, run in turns (a, b, c, a, b, c...),
    so a change in the machine's load during the measurement affects all of them alike
    and their ratios stay meaningful. Returns the median seconds of each, in order.
    Do not use it when one function's run would warm or cool a cache the next relies on."""
    times: list[list[float]] = [[] for _ in fns]
    for round_ in range(warmup + repeat):
        for k, fn in enumerate(fns):
            if setup is not None:
                setup()
            gc.collect()
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if round_ >= warmup:
                times[k].append(elapsed)
    return [statistics.median(t) for t in times]


def timing(name: str, seconds: float, baseline_name: str, baseline_seconds: float, *,
           max_ms: float | None = None, max_ratio: float | None = None, note: str = "") -> Row:
    """A row of two timings, shown in milliseconds. The target is `figure <= max_ms`
    and/or `ratio <= max_ratio`; `note` is added to the target text (e.g. "linear is 5")."""
    ms, base_ms = seconds * 1000, baseline_seconds * 1000
    ratio = ms / base_ms if base_ms > 0 else None
    targets, met = [], None
    if max_ms is not None:
        targets.append(f"<= {max_ms:g} ms")
        met = ms <= max_ms
    if max_ratio is not None:
        targets.append(f"ratio <= {max_ratio:g}")
        met = (met is not False) and ratio is not None and ratio <= max_ratio
    target = ", ".join(targets) + (f" ({note})" if note else "")
    return Row(name, ms, "ms", baseline_name, base_ms, ratio, target, met)


def settle(server, idle_share: float = 0.05, timeout: float = 60.0) -> float:
    """Wait until `server` (anything with `cpu_seconds()`) is idle: under `idle_share`
    of a core over half a second. FlowStudio's Results Summarizer gives way to turns
    and catches up after a burst, and that work must not run in the next server's
    round. The CPU seconds it used after the round (counted in the round's CPU per
    request)."""
    start = last = server.cpu_seconds()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = server.cpu_seconds()
        if now - last < idle_share * 0.5:
            break
        last = now
    return last - start


def free_port() -> int:
    """A TCP port on 127.0.0.1 that no one listens on now (for a server a benchmark starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
