"""The widget catalog: one module per Studio widget type, found by `registry`."""
from .registry import all_widgets, catalog, get

__all__ = ["all_widgets", "catalog", "get"]
