"""Validating, loading and dumping big generated flows (benchmarks/generate.py).

Rows (every baseline is measured in the same run, on the same data):
- validate 2,000 widgets: `validate_data` of a 2,000-widget flow as a fresh process
  sees it (`flowstudio validate`): the Liquid parse cache is emptied before each run;
  target <= 250 ms. Baseline `json.loads(json.dumps(data))`, a fixed amount of work
  that grows with the flow's size, so the ratio reads "validation costs N plain copies".
- validate 10,000 widgets: the same for 10,000 widgets; baseline the 2,000-widget row,
  target ratio <= 6 (exactly linear growth is 5).
- validate 2,000 / 10,000 widgets again: the same flows validated again in the same
  process with warm caches (the editor re-validating after each edit); same targets.
- load 2,000-widget YAML: `load_flow_text` (parse, migrate, restore strings; the
  locations are worked out only when an issue asks for a line) against
  `yaml.load(text, CSafeLoader)` (libyaml when available); no target.
- dump 2,000-widget YAML: `dump_flow` (canonical order and style) against
  `yaml.dump(data, CSafeDumper)` of the same data; no target.
- flowstudio validate 2,000 widgets (CLI): `flowstudio validate FILE` as a person runs
  it (the installed console script as a subprocess: start-up, imports, reading the
  file, validating, printing), wall time, median of 7 runs, on the canonical YAML of a
  generated 2,000-widget flow, against the same command on a 20-widget flow, the two
  run in turns; no target (the ratio says how much of a run the flow's size is).
- flowstudio validate 2,000 - 20 widgets (CLI): the difference of the two medians
  above, what 1,980 more widgets cost; target <= 250 ms.

Measured (`cd benchmarks && ../.venv/bin/python run.py -k "(CLI)"`, 2-core shared
machine, six runs at load 1.3-8.0 taking turns with the code before the canonical and
unlocated reads, the plain graph checks and the Liquid if shortcut): 98-222 ms more
(471-627 against 307-473 ms); the code before, in the same turns, 270-512 ms more
(745-1,067 against 422-629 ms). CPU time, medians of 11 runs each in turns: 170-225 ms
more against 326-332 before. Of the 2,000-widget flow's extra CPU, about 70 ms is
reading the YAML, 10 restoring strings and 80 validating.
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

import yaml

from generate import generate_flow
from harness import Row, measure, measure_many, timing

from flowstudio.spec import templates
from flowstudio.spec.flowfile import dump_flow, load_flow_text
from flowstudio.spec.validate import validate_data

SMALL, LARGE = 2_000, 10_000
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
C = "C" if LOADER is not yaml.SafeLoader else "pure Python"

VALIDATE_SMALL = f"validate {SMALL:,} widgets"
VALIDATE_LARGE = f"validate {LARGE:,} widgets"
AGAIN = " again (warm caches)"
COPY = "json.loads(json.dumps(data))"
LOAD = f"load {SMALL:,}-widget YAML"
DUMP = f"dump {SMALL:,}-widget YAML"
TINY = 20
CLI = f"flowstudio validate {SMALL:,} widgets (CLI)"
CLI_EXTRA = f"flowstudio validate {SMALL:,} - {TINY} widgets (CLI)"
CLI_BASE = f"flowstudio validate {TINY} widgets (CLI)"


@lru_cache(maxsize=None)
def flow(n: int) -> dict:
    """The generated flow of `n` widgets; refuses one that does not validate cleanly (a
    benchmark of the error path would measure something else)."""
    data = generate_flow(n, seed=0)
    issues = validate_data(data)
    if issues:
        shown = "\n".join(i.format() for i in issues[:10])
        raise RuntimeError(f"the generated {n}-widget flow has {len(issues)} issues:\n{shown}")
    return data


def empty_caches() -> None:
    """Forget parsed Liquid templates (every functools cache of flowstudio.spec.templates),
    as in a new process. Compiled schemas stay: a process builds those once."""
    for value in vars(templates).values():
        if getattr(value, "__module__", None) == templates.__name__ and callable(getattr(value, "cache_clear", None)):
            value.cache_clear()


def run(select=lambda name: True) -> list[Row]:
    rows = []
    if select(VALIDATE_SMALL) or select(VALIDATE_LARGE):
        # Cold: the copy baseline, 2,000 and 10,000 widgets in turns (see measure_many).
        small, large = flow(SMALL), flow(LARGE) if select(VALIDATE_LARGE) else None
        fns = [lambda: json.loads(json.dumps(small)), lambda: validate_data(small)]
        if large is not None:
            fns.append(lambda: validate_data(large))
        copy_time, small_cold, *large_cold = measure_many(fns, repeat=5, setup=empty_caches)
        if select(VALIDATE_SMALL):
            rows.append(timing(VALIDATE_SMALL, small_cold, COPY, copy_time, max_ms=250))
        if large_cold:
            rows.append(timing(VALIDATE_LARGE, large_cold[0], VALIDATE_SMALL, small_cold,
                               max_ratio=6, note="linear is 5"))
    if select(VALIDATE_SMALL + AGAIN) or select(VALIDATE_LARGE + AGAIN):
        # Warm: one flow after the other (validating them in turns, each would evict the
        # other's parsed templates from the cache).
        small = flow(SMALL)
        copy_time, small_warm = measure_many([lambda: json.loads(json.dumps(small)), lambda: validate_data(small)],
                                             repeat=7)
        if select(VALIDATE_SMALL + AGAIN):
            rows.append(timing(VALIDATE_SMALL + AGAIN, small_warm, COPY, copy_time, max_ms=250))
        if select(VALIDATE_LARGE + AGAIN):
            large = flow(LARGE)
            rows.append(timing(VALIDATE_LARGE + AGAIN, measure(lambda: validate_data(large), repeat=5),
                               VALIDATE_SMALL + AGAIN, small_warm, max_ratio=6, note="linear is 5"))
    if select(LOAD) or select(DUMP):
        data = flow(SMALL)
        text = dump_flow(data)
        if select(LOAD):
            ours, base = measure_many([lambda: load_flow_text(text), lambda: yaml.load(text, Loader=LOADER)],
                                      repeat=3)
            rows.append(timing(LOAD, ours, f"yaml.load, {C} SafeLoader", base))
        if select(DUMP):
            ours, base = measure_many([lambda: dump_flow(data),
                                       lambda: yaml.dump(data, Dumper=DUMPER, sort_keys=False)], repeat=3)
            rows.append(timing(DUMP, ours, f"yaml.dump, {C} SafeDumper", base))
    if select(CLI) or select(CLI_EXTRA):
        big, tiny = cli_times(SMALL, TINY)
        if select(CLI):
            rows.append(timing(CLI, big, CLI_BASE, tiny))
        if select(CLI_EXTRA):
            rows.append(timing(CLI_EXTRA, big - tiny, CLI_BASE, tiny, max_ms=250))
    return rows


def console_script() -> str:
    """The installed `flowstudio` command of this Python (the venv's bin/), else the one on PATH."""
    beside = Path(sys.executable).with_name("flowstudio")
    found = str(beside) if beside.exists() else shutil.which("flowstudio")
    if found is None:
        raise RuntimeError("the flowstudio command is not installed (pip install -e .)")
    return found


def cli_times(n_big: int, n_small: int, repeat: int = 7) -> tuple[float, float]:
    """The median wall seconds of `flowstudio validate FILE` on the canonical YAML of an
    `n_big`-widget and an `n_small`-widget generated flow, run in turns after one
    untimed run of each (which also checks that both validate cleanly)."""
    command = console_script()
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for n in (n_big, n_small):
            path = Path(tmp, f"flow{n}", "flow.yaml")  # a folder each: no sibling flows to index
            path.parent.mkdir()
            path.write_text(dump_flow(flow(n)), encoding="utf-8")
            files.append(path)
        times: list[list[float]] = [[], []]
        for round_ in range(1 + repeat):
            for k, path in enumerate(files):
                start = time.perf_counter()
                done = subprocess.run([command, "validate", str(path)], capture_output=True, text=True)
                elapsed = time.perf_counter() - start
                if done.returncode != 0 or "0 errors, 0 warnings" not in done.stderr:
                    raise RuntimeError(f"flowstudio validate {path} did not pass cleanly:\n{done.stdout}{done.stderr}")
                if round_:
                    times[k].append(elapsed)
    return statistics.median(times[0]), statistics.median(times[1])
