"""Finds the widget modules of this package and answers "what is type X?".

Every module in `flowstudio/widgets/` that defines `WIDGET` is a widget; adding a file
adds a widget, nothing else to edit. Studio types this runtime does not run are listed
in `unsupported.py`: flows keep them verbatim, and the validator reports them.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from . import unsupported
from .base import WidgetType

_NOT_WIDGETS = {"base", "registry", "unsupported"}


@lru_cache(maxsize=1)
def all_widgets() -> dict[str, WidgetType]:
    """Every supported widget type, by Studio type name, in a stable order."""
    found: dict[str, WidgetType] = {}
    package = importlib.import_module(__package__)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name in _NOT_WIDGETS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        widget = getattr(module, "WIDGET", None)
        if isinstance(widget, WidgetType):
            if widget.type in found:
                raise RuntimeError(f"widget type {widget.type!r} is declared twice ({info.name})")
            found[widget.type] = widget
    return found


def get(widget_type: str) -> WidgetType | None:
    """The supported widget type called `widget_type`, or None (also for a value that
    is not a string at all: a document from the outside may hold a list there)."""
    return all_widgets().get(widget_type) if isinstance(widget_type, str) else None


def is_known_unsupported(widget_type: str) -> bool:
    """True for Studio widget types that exist but that this runtime does not run."""
    return isinstance(widget_type, str) and widget_type in unsupported.TYPES


def catalog() -> list[dict]:
    """The catalog as JSON-ready data: supported widgets first, then the Studio types
    that flows may contain but this runtime does not run."""
    entries = [w.to_dict() for w in all_widgets().values()]
    entries += [{"type": t, "title": title, "supported": False, "description": unsupported.MESSAGE, "outputs": []}
                for t, title in unsupported.TYPES.items()]
    return entries
