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


def options() -> dict:
    """The settings of gunicorn_conf.py, by name."""
    from . import gunicorn_conf

    return {k: v for k, v in vars(gunicorn_conf).items() if not k.startswith("_")}


def serve(factory, host: str, port: int, workers: int = 1) -> None:
    """Run `factory()` (an app factory) under gunicorn with gunicorn_conf.py's settings
    until interrupted, with an access log and the error log on standard output."""
    _Gunicorn(factory, {**options(), "bind": f"{host}:{port}", "workers": workers,
                        "accesslog": "-", "errorlog": "-"}).run()
