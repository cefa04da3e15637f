"""FlowStudio with one of its fast paths replaced by the plain library, for the server
rows of bench_fastpaths.py: `FLOWSTUDIO_BENCH_PLAIN` names the variant (one of
bench_fastpaths' names; empty or unknown: the code as it is)."""
from __future__ import annotations

import os

from flask import Flask


def create_app() -> Flask:
    """`flowstudio.create_app()` with the variant's monkeypatches on for the whole process."""
    from bench_fastpaths import patches

    from flowstudio import create_app as flowstudio_app
    for patch in patches(os.environ.get("FLOWSTUDIO_BENCH_PLAIN", "")):
        patch.start()   # for the life of this benchmark server
    return flowstudio_app()
