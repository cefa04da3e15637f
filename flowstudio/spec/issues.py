"""Problems found in a flow, as values.

The validator never raises on the first problem: it collects `Issue` values, each
naming what is wrong and where (widget, property path, file line), so the CLI, the
editor and tests can all show every problem at once.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One problem in a flow: a stable `code`, a `severity`, a readable `message`,
    the `widget` it belongs to (None for flow-level problems), the dotted property
    `path` inside that widget (or inside the flow when there is no widget), and the
    `file`/`line`/`column` where the flow was loaded from, when known."""

    code: str
    severity: str
    message: str
    widget: str | None = None
    path: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def is_error(self) -> bool:
        """True for errors, False for warnings."""
        return self.severity == ERROR

    def where(self) -> str:
        """The dotted location shown to people, e.g. `ask_age.properties.timeout`."""
        return ".".join(p for p in (self.widget, self.path) if p)

    def format(self) -> str:
        """One line for a terminal: `flows/survey.yaml:14: ask_age.properties.timeout: must be an integer`."""
        prefix = ""
        if self.file:
            prefix = f"{self.file}: "
            if self.line:
                col = f":{self.column}" if self.column else ""
                prefix = f"{self.file}:{self.line}{col}: "
        where = self.where()
        tag = "" if self.is_error else "warning: "
        return f"{prefix}{where + ': ' if where else ''}{tag}{self.message}"

    def to_dict(self) -> dict:
        """A JSON-ready dict of every field."""
        return asdict(self)


@dataclass
class FlowLoadError(Exception):
    """A flow file could not be read at all (syntax error, duplicate key, too large...).

    Carries the problems as `Issue` values so callers report them like validation issues.
    """

    issues: list[Issue] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(i.format() for i in self.issues)


def error(code: str, message: str, widget: str | None = None, path: str = "", **where) -> Issue:
    """Shorthand for an error-severity Issue."""
    return Issue(code, ERROR, message, widget, path, **where)


def warning(code: str, message: str, widget: str | None = None, path: str = "", **where) -> Issue:
    """Shorthand for a warning-severity Issue."""
    return Issue(code, WARNING, message, widget, path, **where)
