"""Pausing Python's cyclic garbage collector around work that allocates a lot and
makes no reference cycles (reading a flow file, validating a flow).

Such work on a 2,000-widget flow makes a few hundred thousand objects that stay alive
until it ends: the collector, triggered every 700 allocations, walks them again and
again and frees nothing. Cycles made meanwhile (if any) are collected afterwards. The
collector is switched back on only if it was on: two threads pausing it at once leave
it on once both are done, never off.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic garbage collector switched off."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
