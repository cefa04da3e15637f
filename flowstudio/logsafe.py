"""Log lines that a request cannot forge.

Several log lines quote what a request sent: a webhook's path ("refused webhook %s"), a
page's Origin ("refused a socket connection ... (%s)"). A path may hold %0a, which
decodes to a line break: `POST /webhooks/x%0a2026-... INFO admin logged in` wrote a
second, false line into the server's log (and %1b a terminal escape). So every
FlowStudio log record's arguments are written with their control characters escaped
(`\\x0a`); the message itself (our own text) and tracebacks are left as they are.
"""
from __future__ import annotations

import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_installed = False


def escaped(value):
    """`value` with its control characters written as `\\xNN` escapes, if it is text."""
    if isinstance(value, str) and _CONTROL.search(value):
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def install() -> None:
    """Escape the arguments of every `flowstudio` log record (once per process)."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def record(name, *args, **kwargs):
        rec = make(name, *args, **kwargs)
        if isinstance(rec.args, tuple) and rec.args and name.startswith("flowstudio"):
            rec.args = tuple(escaped(a) for a in rec.args)
        return rec

    logging.setLogRecordFactory(record)
    _installed = True
