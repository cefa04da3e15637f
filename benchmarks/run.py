"""Run every benchmark and print one table: `python benchmarks/run.py [-k TEXT] [--json] [--check]`.

Benchmarks are the modules `benchmarks/bench_*.py`; each defines `run() -> list[Row]`
(optionally `run(select)` to skip rows that `-k` does not want). Adding a file adds its
rows; nothing here needs editing. See benchmarks/README.md for what each row means.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import platform
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from harness import Row, measure, timing  # noqa: E402  (re-exported for benchmark modules)

__all__ = ["Row", "measure", "timing", "discover", "run_all", "main"]

COLUMNS = ("name", "figure", "baseline", "ratio", "target", "met")


def discover() -> list[str]:
    """The benchmark module names, sorted."""
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def run_all(keyword: str | None = None, modules: list[str] | None = None) -> tuple[list[Row], list[str]]:
    """Run the benchmarks; keep rows whose name (or module name) contains `keyword`
    (case-insensitive). Return the rows and the names of modules that failed."""
    want = (keyword or "").lower()
    rows: list[Row] = []
    failed: list[str] = []
    for name in modules if modules is not None else discover():
        whole = not want or want in name.lower()

        def select(row_name: str, whole=whole) -> bool:
            return whole or want in row_name.lower()

        try:
            module = importlib.import_module(name)
            fn = module.run
            got = fn(select) if inspect.signature(fn).parameters else fn()
        except Exception:  # one broken benchmark must not hide the others
            print(f"benchmark {name} failed:", file=sys.stderr)
            traceback.print_exc()
            failed.append(name)
            continue
        rows += [r for r in got if select(r.name)]
    return rows, failed


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(rows: list[Row]) -> str:
    """The rows as an aligned text table."""
    cells = [COLUMNS]
    for r in rows:
        baseline = "-" if r.baseline is None else f"{_num(r.baseline)} {r.unit}" + (
            f" ({r.baseline_name})" if r.baseline_name else "")
        met = "" if r.met is None else ("yes" if r.met else "NO")
        cells.append((r.name, f"{_num(r.figure)} {r.unit}", baseline,
                      "-" if r.ratio is None else f"{r.ratio:.2f}x", r.target or "-", met))
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    right = {1, 3}  # numbers
    lines = []
    for k, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if i in right else c.ljust(w)
                               for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def environment() -> dict:
    """Where the figures were measured."""
    import yaml

    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "machine": platform.machine(), "system": platform.system(),
            "libyaml": bool(getattr(yaml, "__with_libyaml__", False))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the FlowStudio benchmarks (benchmarks/bench_*.py).")
    parser.add_argument("-k", metavar="TEXT", help="only rows (or modules) whose name contains TEXT")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--check", action="store_true", help="exit 1 when a row misses its target")
    parser.add_argument("--list", action="store_true", help="list the benchmark modules and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(discover()))
        return 0
    rows, failed = run_all(args.k)
    if args.json:
        print(json.dumps({"environment": environment(), "rows": [r.to_dict() for r in rows],
                          "failed_modules": failed}, indent=2))
    else:
        env = environment()
        print(f"Python {env['python']} ({env['implementation']}, {env['machine']}), "
              f"libyaml {'yes' if env['libyaml'] else 'no'}")
        print(format_table(rows) if rows else "no benchmark matched")
    missed = [r.name for r in rows if r.met is False]
    if failed or (args.check and missed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
