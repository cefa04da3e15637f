"""Where memory goes per span of webhook turns after warm-up (not a benchmark row: a probe).

    python benchmarks/memory_probe.py inprocess [--spans 6] [--tracemalloc]
    python benchmarks/memory_probe.py served [--spans 6]

`inprocess`: bench_fastpaths' app (every turn through the whole WSGI app, SQLite file,
one thread), 2,000 contacts; after each span of 10,000 turns: the RSS, Python's
allocated blocks, SQLite's own memory (`sqlite3_memory_used`) and glibc's heap
(`mallinfo2`), with the change since the span before. `--tracemalloc` starts tracing
after the warm-up span and prints, per span, the biggest differences by traceback
(slow: about 5 minutes a span on the shared machine).

`served`: a server as `flowstudio serve` starts it (bench_webhook's `Server`, 1 worker),
driven by loadgen.py like bench_growth; after each span: the worker's RSS by kind of
mapping (from /proc/<pid>/smaps: anonymous, heap, files, the database's WAL index) and
its thread count. Findings: benchmarks/README.md, "Memory and growth".
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness  # noqa: F401 - puts the checkout on sys.path when flowstudio is not installed

SPAN = 10_000
CONTACTS = 2_000


def rss() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) * 1024
    return 0


def inprocess(spans: int, trace: bool) -> None:
    import _sqlite3
    import tracemalloc

    import bench_fastpaths as fast

    class MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    sqlite_used = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    sqlite_used.restype = ctypes.c_int64

    fast.CONTACTS = CONTACTS
    app = fast.App(fast.ALL, Path(tempfile.mkdtemp(prefix="flowstudio-memory-")) / "app")

    def turns(n: int) -> None:
        for start in range(0, n, 500):
            app.call(app.batch(min(500, n - start)))

    turns(SPAN)   # warm-up
    if trace:
        tracemalloc.start(10)
    before, snapshot = None, tracemalloc.take_snapshot() if trace else None
    for k in range(spans + 1):
        if k:
            turns(SPAN)
        gc.collect()
        heap = libc.mallinfo2()
        now = {"rss": rss(), "python blocks": sys.getallocatedblocks(), "sqlite": sqlite_used(),
               "malloc in use": heap.uordblks, "malloc arena": heap.arena}
        change = {key: value - before[key] for key, value in now.items()} if before else {}
        print(f"after {SPAN * (k + 1):,} turns: {now}" + (f"; change {change}" if change else ""), flush=True)
        before = now
        if trace and k:
            later = tracemalloc.take_snapshot()
            stats = later.compare_to(snapshot, "traceback")
            print(f"  traced: {sum(s.size_diff for s in stats):+,} bytes over the span", flush=True)
            for stat in stats[:5]:
                print(f"  {stat.size_diff:+,} B {stat.count_diff:+} blocks at\n      "
                      + "\n      ".join(stat.traceback.format()[-6:]), flush=True)
            snapshot = later


def served(spans: int) -> None:
    import bench_webhook
    from bench_growth import drive
    from bench_runtime import FLOW, FLOW_ID
    from bench_webhook import PROBE, STARTED, Server

    bench_webhook.LIFETIME_S = 3600
    folder = Path(tempfile.mkdtemp(prefix="flowstudio-memory-"))
    flows, data = folder / "flows", folder / "data"
    flows.mkdir()
    data.mkdir()
    (flows / f"{FLOW_ID}.yaml").write_text(FLOW)
    server = Server("flowstudio", "flowstudio", folder, {
        "FLOWSTUDIO_DATA_DIR": str(data), "FLOWSTUDIO_FLOWS_DIR": str(flows),
        "FLOWSTUDIO_LISTEN_HOST": "127.0.0.1"}, probe=PROBE)
    try:
        server.wait_ready(120)
        subprocess.run([sys.executable, str(bench_webhook.HERE / "loadgen.py"), server.url, "--mode", "once",
                        "--contacts", str(CONTACTS), "--connections", "16", "--number", "+15555550100",
                        "--expect", STARTED], check=True, capture_output=True, timeout=600)
        drive(server, SPAN)   # warm-up
        pid = next(int(p.parent.name) for p in Path("/proc").glob("[0-9]*/stat")
                   if _ppid(p) == server.proc.pid)
        before = None
        for k in range(spans + 1):
            if k:
                drive(server, SPAN)
            time.sleep(1)
            kinds, threads = _smaps(pid)
            change = {n: v - before.get(n, 0) for n, v in kinds.items() if v != before.get(n, 0)} if before else {}
            print(f"after ~{SPAN * (k + 1):,} turns: RSS {sum(kinds.values()):,} kB, {threads} threads, by kind "
                  f"(kB) {kinds}" + (f"; change {change}" if before else ""), flush=True)
            before = kinds
    finally:
        server.stop()


def _ppid(stat: Path) -> int:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _smaps(pid: int) -> tuple[dict[str, int], int]:
    """The process's resident kB by kind of mapping, and its thread count."""
    kinds: dict[str, int] = {}
    kind = "[anon]"
    for line in open(f"/proc/{pid}/smaps"):
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            parts = line.split()
            name = parts[5] if len(parts) > 5 else "[anon]"
            kind = ("db-shm" if name.endswith("-shm") else "db" if name.endswith((".db", "-wal"))
                    else "[files]" if name.startswith("/") else name)
        elif line.startswith("Rss:"):
            kinds[kind] = kinds.get(kind, 0) + int(line.split()[1])
    return kinds, len(list(Path(f"/proc/{pid}/task").iterdir()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["inprocess", "served"])
    parser.add_argument("--spans", type=int, default=6, help="spans of 10,000 turns after the warm-up one")
    parser.add_argument("--tracemalloc", action="store_true", help="in process: trace allocations (slow)")
    args = parser.parse_args()
    if args.mode == "inprocess":
        inprocess(args.spans, args.tracemalloc)
    else:
        served(args.spans)


if __name__ == "__main__":
    main()
