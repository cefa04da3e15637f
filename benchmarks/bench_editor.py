"""The browser editor in headless Chromium: opening big flows, panning and dragging on them.

A real `flowstudio serve --flows <tmp>/flows --port <free>` (FLOWSTUDIO_DATA_DIR a temp
folder; the editor API needs no login on loopback) serves flows made by `generate.py`
(seed 0, `ui` positions by depth) of 2, 200, 1,000 and 2,000 widgets, and Debian's
Chromium (`/usr/bin/chromium`, headless, through Python Playwright; 1400x900 viewport)
opens them at `/flows/<id>`. The editor must be built (`cd frontend && npm run build`);
the benchmark times a snapshot of the build in `flowstudio/web/static/` (the server is
`flowstudio serve` with its static folder pointed at the snapshot, so a rebuild during the
run changes nothing), or, when that is a development build, a production build of
`frontend/` made for the run.

Interactive canvas (the "open" rows): from the navigation's start (`performance.now()`
is 0 there) until the frame that shows the answer to the first click is painted:
1. wait (polling once per animation frame in the page) until the canvas is laid out:
   React Flow has set the viewport (`fitView` done: the viewport's transform is no
   longer the identity), the Trigger node is in the DOM, and every node in the DOM is
   measured (React Flow keeps a node `visibility: hidden` until it is);
2. click the centre of the Trigger node with the mouse (Playwright: a real mouse event
   through the browser's input pipeline, queued behind whatever the page is busy with);
3. in the page, from the `pointerdown` on, check the Trigger node in every
   requestAnimationFrame callback; the first frame in which it is `selected` posts a
   MessageChannel message, which runs after that frame's style, layout and paint: its
   `performance.now()` is the figure.
Every open is a new browser context (nothing cached, like a first visit); the baseline
is the same measurement on the 2-widget flow (the fixed cost: the bundle, React's start,
the catalog and flow requests), opened in the same rounds.

Frame rows, on the 1,000-widget flow:
- pan: in the view the flow opens in (big flows open on the trigger at zoom 0.8), the
  mouse is pressed on an empty spot of the canvas (the element under it is the React
  Flow pane) and moved along a circle of radius 120 px in FRAME_MOVES steps
  (`page.mouse.move`, each waits for the browser to take the event), then released;
- drag: the same with the mouse pressed on a widget near the middle of the view (the
  widget moves along the circle);
- pan, all in view: the Controls' "fit view" button is clicked first (the whole flow,
  clamped at the editor's minimum zoom 0.05: hundreds of widgets in the DOM), then a pan.
A requestAnimationFrame loop in the page records every frame's timestamp during the
gesture; a frame's time is the interval between its rAF timestamp and the previous
one, counted for the frames that handled at least one pointer move (frames with no
input in them are idle and would flatter the median). Chromium runs at 60 Hz here, so a
frame that keeps up reads 16.7 ms and the target is read as "<= 16.7 ms" (every frame on
time at 60 Hz; the tracker's "16 ms"). The baseline is the same gesture on the 2-widget
flow: what the browser, React and React Flow cost with (almost) nothing on the canvas.
Per-frame main-thread work (from the first pointer event of the frame to the end of
its paint, MessageChannel after rAF) and the p90 go to stderr.

The JS heap row: `Performance.getMetrics` (CDP) `JSHeapUsedSize` after a forced GC, with
the 2,000-widget flow open and interactive, against the 2-widget flow.

Rounds: one untimed warm-up open of each flow (the server validates and caches each flow
once), then ROUNDS rounds; each round opens 2, 200, 1,000, 2,000 in turn, and pans and
drags on 2 and 1,000 after opening them. Medians over the rounds. Takes 2-4 minutes.
"""
from __future__ import annotations

import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from harness import Row, free_port, timing

from generate import generate_flow

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STATIC = ROOT / "flowstudio" / "web" / "static" / "index.html"
CHROMIUM = os.environ.get("FLOWSTUDIO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}

BASE_SIZE = 2
OPEN_SIZES = (200, 1000, 2000)
FRAME_SIZE = 1000
HEAP_SIZE = 2000
ROUNDS = 3
FRAME_MOVES = 40
RADIUS = 120
OPEN_TIMEOUT_MS = int(os.environ.get("BENCH_EDITOR_TIMEOUT_MS", "120000"))
FRAME_MS = 1000 / 60

# Installed in every page before its scripts run: the clock for the first click's answer,
# and the frame recorder for the gestures.
INIT_SCRIPT = """
(() => {
  const B = window.__bench = { clicked: null, answered: null, rec: false, frames: [], moves: 0, work: [] };
  const ch = new MessageChannel();
  let pendingAnswer = false, firstMove = null, movesInFrame = 0;
  // Posted from a rAF callback: runs once that frame's style, layout and paint are done.
  ch.port1.onmessage = (e) => {
    const now = performance.now();
    if (e.data === 'answer') { if (B.answered === null) B.answered = now; }
    else B.work.push(now - e.data);
  };
  addEventListener('pointerdown', () => { if (B.clicked === null) B.clicked = performance.now(); }, true);
  addEventListener('pointermove', () => {
    if (!B.rec) return;
    if (firstMove === null) firstMove = performance.now();
    movesInFrame++; B.moves++;
  }, true);
  function frame(ts) {
    if (B.clicked !== null && B.answered === null && !pendingAnswer) {
      const trigger = document.querySelector('.react-flow__node[data-id="Trigger"]');
      if (trigger && trigger.classList.contains('selected')) { pendingAnswer = true; ch.port2.postMessage('answer'); }
    }
    if (B.rec) {
      B.frames.push([ts, movesInFrame]);
      if (movesInFrame) ch.port2.postMessage(firstMove);
    }
    firstMove = null; movesInFrame = 0;
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
})();
"""

# True once the canvas has settled: React Flow has fitted the view (the viewport's
# transform is no longer the identity) and measured every node it rendered (it keeps a
# node `visibility: hidden` until then), the Trigger node is in the DOM, and the
# viewport and the number of nodes have not changed for SETTLE_FRAMES animation frames
# (with many widgets React Flow fits the view in steps: first to the few nodes measured
# at zoom 1, then, as more render, to all of them).
SETTLE_FRAMES = 3
CANVAS_READY = """([settle, needTrigger]) => {
  const B = window.__bench;
  const vp = document.querySelector('.react-flow__viewport');
  const nodes = document.querySelectorAll('.react-flow__node');
  let ok = !!vp && nodes.length > 0 && (!needTrigger || !!document.querySelector('.react-flow__node[data-id="Trigger"]'));
  const t = vp ? vp.style.transform : '';
  ok = ok && !!t && t !== 'translate(0px, 0px) scale(1)';
  if (ok) for (const n of nodes) if (n.style.visibility === 'hidden') { ok = false; break; }
  const key = t + '|' + nodes.length;
  if (!ok || key !== B.settleKey) { B.settleKey = ok ? key : null; B.settleCount = ok ? 1 : 0; B.settleAt = performance.now(); return false; }
  return ++B.settleCount >= settle;
}"""


def _log(message: str) -> None:
    print(f"bench_editor: {message}", file=sys.stderr, flush=True)


# `flowstudio serve` itself (its CLI), with the editor's files taken from a snapshot of
# the build: a rebuild of `flowstudio/web/static/` during the benchmark (`npm run build`
# empties it first) then cannot break or change the pages being timed.
LAUNCH = """
import sys
from pathlib import Path
import flowstudio.web.home as home
home.STATIC = Path(sys.argv[1])
from flowstudio.cli import main
sys.argv = ["flowstudio"] + sys.argv[2:]
main()
"""


def snapshot_build(into: Path, wait_s: float = 120.0) -> str:
    """Copy the built editor to `into` (waiting while a rebuild has it half written);
    return the name of its main script (which build was timed)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            if STATIC.is_file():
                index = STATIC.read_text()
                shutil.copytree(STATIC.parent, into)
                names = [p.name for p in (into / "assets").glob("index-*.js")]
                if all(f"/assets/{name}" in index for name in names) and names and (into / "index.html").read_text() == index:
                    if not any(_development(into / "assets" / name) for name in names):
                        return names[0]
                    _log(f"{STATIC.parent.relative_to(ROOT)} holds a development build (React's development "
                         "runtime): building a production one from frontend/ for this run")
                    shutil.rmtree(into, ignore_errors=True)
                    return build_production(into)
        except OSError:
            pass
        shutil.rmtree(into, ignore_errors=True)
        if time.monotonic() > deadline:
            raise RuntimeError(f"the editor is not built ({STATIC.relative_to(ROOT)} missing or being rebuilt): "
                               "cd frontend && npm run build")
        time.sleep(1.0)


def _development(script: Path) -> bool:
    """Whether a built script carries React's development runtime (what users never get)."""
    text = script.read_text(errors="replace")
    return "react-dom.development" in text or "jsxDEV" in text


def build_production(into: Path) -> str:
    """`vite build` of frontend/ (production mode) into `into`; the main script's name."""
    frontend = ROOT / "frontend"
    vite = frontend / "node_modules" / ".bin" / "vite"
    if not vite.exists():
        raise RuntimeError("a development build is installed and frontend/node_modules is missing: "
                           "cd frontend && npm ci && npm run build")
    env = {**os.environ, "NODE_ENV": "production"}
    done = subprocess.run([str(vite), "build", "--mode", "production", "--outDir", str(into), "--emptyOutDir"],
                          cwd=frontend, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"vite build failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return [p.name for p in (into / "assets").glob("index-*.js")][0] + " (built for this run)"


class EditorServer:
    """`flowstudio serve` on a temp folder holding the generated flows `bench-<n>`."""

    def __init__(self, root: Path, sizes: list[int]):
        from flowstudio.spec.flowfile import dump_flow

        self.build = snapshot_build(root / "static")

        self.flows = root / "flows"
        self.flows.mkdir()
        for n in sizes:
            (self.flows / f"bench-{n}.yaml").write_text(dump_flow(generate_flow(n, seed=0)))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = root / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWSTUDIO_", "TWILIO_"))}
        env["FLOWSTUDIO_DATA_DIR"] = str(root / "data")
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", LAUNCH, str(root / "static"),
                 "serve", "--flows", str(self.flows), "--port", str(self.port)],
                env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"flowstudio serve exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=10) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"flowstudio serve did not answer within 60 s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Session:
    """One browser; each `open` is a new context and page (a first visit)."""

    def __init__(self, browser, server: EditorServer):
        self.browser = browser
        self.server = server
        self.context = None
        self.page = None
        self.errors: list[str] = []

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = self.page = None

    def open(self, n: int) -> dict:
        """Open flow `bench-<n>`; the ms from navigation start to the answered click, and
        how many nodes and edges the DOM holds then."""
        self.close()
        self.context = self.browser.new_context(viewport=VIEWPORT)
        self.context.add_init_script(INIT_SCRIPT)
        page = self.page = self.context.new_page()
        page.set_default_timeout(OPEN_TIMEOUT_MS)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.goto(f"{self.server.base}/flows/bench-{n}", wait_until="commit")
        page.wait_for_function(CANVAS_READY, arg=[SETTLE_FRAMES, True], polling="raf", timeout=OPEN_TIMEOUT_MS)
        box = page.locator('.react-flow__node[data-id="Trigger"]').bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 20))
        page.wait_for_function("() => window.__bench.answered !== null", polling="raf", timeout=OPEN_TIMEOUT_MS)
        got = page.evaluate("""() => ({ answered: __bench.answered, clicked: __bench.clicked, settled: __bench.settleAt,
            nodes: document.querySelectorAll('.react-flow__node').length,
            edges: document.querySelectorAll('.react-flow__edge').length,
            flowApi: performance.getEntriesByType('resource').filter(e => /\\/api\\/flows\\/[^/]+$/.test(e.name))
              .map(e => [Math.round(e.requestStart), Math.round(e.responseEnd)]),
            transform: document.querySelector('.react-flow__viewport').style.transform })""")
        if self.errors:
            raise RuntimeError(f"errors in the page: {self.errors}")
        return got

    def heap_mb(self) -> float:
        cdp = self.context.new_cdp_session(self.page)
        cdp.send("HeapProfiler.enable")
        cdp.send("HeapProfiler.collectGarbage")
        cdp.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        cdp.detach()
        return metrics["JSHeapUsedSize"] / 2**20

    def _empty_spot(self) -> tuple[float, float]:
        """A point of the canvas with nothing but the pane under it (and room for the circle)."""
        spot = self.page.evaluate("""(r) => {
          const pane = document.querySelector('.react-flow__pane').getBoundingClientRect();
          for (let fy = 0.5; fy < 0.95; fy += 0.05) for (let fx = 0.5; fx < 0.9; fx += 0.05) {
            const x = pane.left + pane.width * fx, y = pane.top + pane.height * fy;
            if (x + 2 * r > pane.right - 10 || y + r > pane.bottom - 10 || y - r < pane.top + 10) continue;
            const el = document.elementFromPoint(x, y);
            if (el && el.classList.contains('react-flow__pane')) return [x, y];
          }
          return null;
        }""", RADIUS)
        if spot is None:
            raise RuntimeError("no empty spot on the canvas to pan from")
        return spot[0], spot[1]

    def _widget_spot(self) -> tuple[float, float]:
        """The centre of a (non-trigger) widget near the middle of the view."""
        spot = self.page.evaluate("""() => {
          const pane = document.querySelector('.react-flow__pane').getBoundingClientRect();
          const cx = pane.left + pane.width / 2, cy = pane.top + pane.height / 2;
          let best = null, bestD = Infinity;
          for (const n of document.querySelectorAll('.react-flow__node')) {
            if (n.dataset.id === 'Trigger') continue;
            const b = n.getBoundingClientRect();
            const x = b.left + b.width / 2, y = b.top + b.height / 2;
            const el = document.elementFromPoint(x, y);
            if (!el || !n.contains(el) || el.closest('.react-flow__handle')) continue;
            const d = Math.hypot(x - cx, y - cy);
            if (d < bestD) { bestD = d; best = [x, y, n.dataset.id]; }
          }
          return best;
        }""")
        if spot is None:
            raise RuntimeError("no widget in view to drag")
        return spot[0], spot[1]

    def gesture(self, kind: str) -> dict:
        """Pan from an empty spot or drag a widget along a circle; the frame times (ms)."""
        page = self.page
        if kind == "pan-fit":  # the Controls' "fit view" button first: the whole flow in view
            before = page.evaluate("() => document.querySelector('.react-flow__viewport').style.transform")
            page.click(".react-flow__controls-fitview")
            page.wait_for_function("(t) => document.querySelector('.react-flow__viewport').style.transform !== t",
                                   arg=before, polling="raf")
            page.wait_for_function(CANVAS_READY, arg=[SETTLE_FRAMES, False], polling="raf", timeout=OPEN_TIMEOUT_MS)
        x0, y0 = self._widget_spot() if kind == "drag" else self._empty_spot()
        page.mouse.move(x0, y0)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.mouse.down()
        page.evaluate("() => { Object.assign(__bench, { rec: true, frames: [], moves: 0, work: [] }); }")
        for i in range(1, FRAME_MOVES + 1):
            a = 2 * math.pi * i / FRAME_MOVES
            page.mouse.move(x0 + RADIUS - RADIUS * math.cos(a), y0 + RADIUS * math.sin(a))
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        got = page.evaluate("() => { __bench.rec = false; return { frames: __bench.frames, work: __bench.work, moves: __bench.moves }; }")
        page.mouse.up()
        frames = got["frames"]
        times = [b[0] - a[0] for a, b in zip(frames, frames[1:]) if b[1]]
        work = got["work"]
        if len(times) < FRAME_MOVES // 4:
            raise RuntimeError(f"{kind}: only {len(times)} frames handled a move ({got['moves']} moves)")
        moved = page.evaluate("() => document.querySelector('.react-flow__viewport').style.transform")
        nodes = page.evaluate("() => document.querySelectorAll('.react-flow__node').length")
        return {"times": times, "work": work, "moves": got["moves"], "transform": moved, "nodes": nodes}


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _p90(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(0.9 * len(s)))]


def run(select=lambda name: True) -> list[Row]:
    open_rows = {n: f"editor open {n:,} widgets (interactive)" for n in OPEN_SIZES}
    pan_row = f"editor pan {FRAME_SIZE:,} widgets (median frame)"
    drag_row = f"editor drag on {FRAME_SIZE:,} widgets (median frame)"
    fit_row = f"editor pan {FRAME_SIZE:,} widgets, all in view (median frame)"
    heap_row = f"editor JS heap {HEAP_SIZE:,} widgets"
    want_open = [n for n in OPEN_SIZES if select(open_rows[n])]
    want_pan, want_drag, want_fit, want_heap = select(pan_row), select(drag_row), select(fit_row), select(heap_row)
    if not (want_open or want_pan or want_drag or want_fit or want_heap):
        return []
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    frames_on = want_pan or want_drag or want_fit
    sizes = sorted({BASE_SIZE, *want_open, *([FRAME_SIZE] if frames_on else []), *([HEAP_SIZE] if want_heap else [])})
    root = Path(tempfile.mkdtemp(prefix="flowstudio-bench-editor-"))
    opens: dict[int, list[float]] = {n: [] for n in sizes}
    heaps: dict[int, list[float]] = {n: [] for n in sizes}
    frames: dict[tuple[str, int], list[list[float]]] = {}
    works: dict[tuple[str, int], list[float]] = {}
    server = None
    try:
        server = EditorServer(root, sizes)
        _log(f"timing the editor build {server.build} (a snapshot of {STATIC.parent.relative_to(ROOT)})")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            session = Session(browser, server)
            try:
                for n in sizes:  # warm-up: the server loads and validates each flow once
                    session.open(n)
                for round_ in range(ROUNDS):
                    for n in sizes:
                        got = session.open(n)
                        opens[n].append(got["answered"])
                        _log(f"round {round_ + 1}: open {n} widgets: interactive at {got['answered']:.0f} ms "
                             f"(canvas settled at {got['settled']:.0f} ms, click at {got['clicked']:.0f} ms; "
                             f"GET /api/flows/<id> from {got['flowApi']} ms), DOM {got['nodes']} nodes {got['edges']} edges, "
                             f"viewport {got['transform']}")
                        if want_heap and n in (BASE_SIZE, HEAP_SIZE):
                            heaps[n].append(session.heap_mb())
                        if frames_on and n in (BASE_SIZE, FRAME_SIZE):
                            for kind, wanted in (("pan", want_pan), ("drag", want_drag), ("pan-fit", want_fit)):
                                if not wanted:
                                    continue
                                g = session.gesture(kind)
                                frames.setdefault((kind, n), []).append(_median(g["times"]))
                                works.setdefault((kind, n), []).extend(g["work"])
                                _log(f"round {round_ + 1}: {kind} on {n} widgets: {len(g['times'])} frames with input "
                                     f"({g['moves']} moves), frame median {_median(g['times']):.1f} ms, "
                                     f"p90 {_p90(g['times']):.1f} ms, max {max(g['times']):.0f} ms; main-thread work "
                                     f"per frame median {_median(g['work']):.1f} ms, p90 {_p90(g['work']):.1f} ms; "
                                     f"DOM {g['nodes']} nodes, viewport {g['transform']}")
            finally:
                session.close()
                browser.close()
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)

    rows: list[Row] = []
    base_open = _median(opens[BASE_SIZE]) / 1000
    for n in want_open:
        rows.append(timing(open_rows[n], _median(opens[n]) / 1000, f"{BASE_SIZE}-widget flow",
                           base_open, max_ms=2000 if n == 2000 else None))
    for kind, wanted, name in (("pan", want_pan, pan_row), ("drag", want_drag, drag_row), ("pan-fit", want_fit, fit_row)):
        if wanted:
            ours = _median(frames[(kind, FRAME_SIZE)])
            base = _median(frames[(kind, BASE_SIZE)])
            row = timing(name, ours / 1000, f"same on {BASE_SIZE}-widget flow", base / 1000)
            row.target, row.met = "<= 16.7 ms (60 Hz)", ours <= FRAME_MS + 0.5
            rows.append(row)
            _log(f"{kind}: main-thread work per frame with input, all rounds: {FRAME_SIZE} widgets median "
                 f"{_median(works[(kind, FRAME_SIZE)]):.1f} ms p90 {_p90(works[(kind, FRAME_SIZE)]):.1f} ms; "
                 f"{BASE_SIZE} widgets median {_median(works[(kind, BASE_SIZE)]):.1f} ms")
    if want_heap:
        ours, base = _median(heaps[HEAP_SIZE]), _median(heaps[BASE_SIZE])
        rows.append(Row(heap_row, ours, "MB", f"{BASE_SIZE}-widget flow", base, ours / base if base else None))
    return rows
