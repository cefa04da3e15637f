"""`flowstudio serve`: the app in gunicorn (threads, one process by default)."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


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


def serve(factory, host: str, port: int, workers: int = 1, threads: int = 64) -> None:
    """Run `factory()` (an app factory) under gunicorn until interrupted. Each open
    browser websocket (web/live.py) holds one of a worker's threads for as long as the
    tab is open, hence many threads: they are cheap, and requests still get free ones."""
    _Gunicorn(factory, {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                        "worker_class": "gthread", "accesslog": "-", "errorlog": "-",
                        "graceful_timeout": 5, "timeout": 60,
                        # gunicorn's control socket lives at one path per user: two servers on
                        # one machine would share it.
                        "control_socket_disable": True}).run()
