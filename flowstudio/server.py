"""`flowstudio serve`: the app in gunicorn (threads, one process by default)."""
from __future__ import annotations

import glob
import os
import shutil
import tempfile

from gunicorn.app.base import BaseApplication

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class _Gunicorn(BaseApplication):
    def __init__(self, factory, options: dict):
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.factory()


def options() -> dict:
    """The settings of gunicorn_conf.py, by name."""
    from . import gunicorn_conf

    return {k: v for k, v in vars(gunicorn_conf).items() if not k.startswith("_")}


def multiprocess_metrics(workers: int) -> dict:
    """Prepare /metrics for several worker processes (prometheus-client's multiprocess
    mode, flowstudio/metrics.py): each worker writes its figures to files in
    `PROMETHEUS_MULTIPROC_DIR`, and whichever answers a scrape adds them up. With more
    than one worker and no folder given, a temporary one is made (and removed when the
    server stops). A given folder is emptied of an earlier run's files, as
    prometheus-client requires. Call before anything imports prometheus-client: the
    workers inherit the variable. Returns the gunicorn hooks to run with (a dead
    worker's connected-tab count is dropped; the folder made here is removed)."""
    folder = os.environ.get(METRICS_DIR)
    if not folder and workers <= 1:
        return {}
    made = not folder
    if made:
        folder = os.environ[METRICS_DIR] = tempfile.mkdtemp(prefix="flowstudio-metrics-")
    os.makedirs(folder, exist_ok=True)
    for stale in glob.glob(os.path.join(folder, "*.db")):   # prometheus-client's files only
        os.remove(stale)

    def child_exit(_server, worker) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, folder)

    def on_exit(_server) -> None:
        if made:
            shutil.rmtree(folder, ignore_errors=True)

    return {"child_exit": child_exit, "on_exit": on_exit}


def serve(factory, host: str, port: int, workers: int = 1, hooks: dict | None = None) -> None:
    """Run `factory()` (an app factory) under gunicorn with gunicorn_conf.py's settings
    until interrupted, with an access log and the error log on standard output; `hooks`:
    gunicorn server hooks by name (multiprocess_metrics)."""
    _Gunicorn(factory, {**options(), "bind": f"{host}:{port}", "workers": workers,
                        "accesslog": "-", "errorlog": "-", **(hooks or {})}).run()
