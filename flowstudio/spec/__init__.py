"""The flow file format, pure: model, YAML load/dump, schemas, validation, Studio JSON."""
from .flowfile import FlowDocument, dump_flow, load_flow_file, load_flow_text, save_flow
from .issues import ERROR, WARNING, FlowLoadError, Issue
from .model import Edge, Flow, Widget

__all__ = ["ERROR", "WARNING", "Edge", "Flow", "FlowDocument", "FlowLoadError", "Issue", "Widget",
           "dump_flow", "load_flow_file", "load_flow_text", "save_flow"]
