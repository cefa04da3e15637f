"""Reading and writing flow files.

`load_flow_file` reads a YAML flow (safely, with locations), upgrades it to the current
`spec_version`, and gives string-typed fields their source text back (`body: 007`
stays "007", `value: 12` in a condition stays "12"). `save_flow` writes the canonical
form atomically: a temporary file in the same folder, flushed and renamed over the
target, so a crash never leaves half a file.
"""
from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..widgets import registry
from .issues import FlowLoadError, error
from .migrations import MigrationError, migrate
from .model import MATCH, Flow
from .yamlio import MAX_FILE_BYTES, Document, InlineMap, dump_yaml, load_yaml

SUFFIXES = (".yaml", ".yml")


@dataclass
class FlowDocument:
    """A loaded flow file: its plain `data` (migrated, strings restored) and the YAML
    `source` that says where each path came from (None for data not read from a file)."""

    data: dict
    source: Document | None = None

    @property
    def file(self) -> str | None:
        """The file name it was read from."""
        return self.source.file if self.source else None

    def line_of(self, path: tuple) -> int | None:
        """The file line of a data path such as ('widgets', 3, 'properties', 'timeout')."""
        return self.source.line_of(path) if self.source else None


def load_flow_text(text: str | bytes, file: str | None = None) -> FlowDocument:
    """Parse flow YAML; raise FlowLoadError (with file/line) when it cannot be read."""
    doc = load_yaml(text, file)
    try:
        data = migrate(doc.data)
    except MigrationError as exc:
        if "spec_version" not in doc.data and _is_studio_definition(doc.data):
            raise FlowLoadError([error("studio_json", "this is a Twilio Studio flow (its JSON, with 'states'), not "
                                       "a FlowStudio flow yet: convert it with `flowstudio import-studio "
                                       f"{file or 'FILE'} -o flows/`, or in the editor with New flow, "
                                       "\"A flow from Twilio Studio\"",
                                       file=file, line=1)]) from None
        raise FlowLoadError([error("spec_version", str(exc), path="spec_version", file=file,
                                   line=doc.line_of(("spec_version",)))]) from None
    restore_strings(data, doc.raw_scalars)
    return FlowDocument(data, doc)


def _is_studio_definition(data) -> bool:
    """A Studio export (`states` and `initial_state`), in any of the wrappings Twilio
    gives it out in (studio.unwrap_export), which people try to check or open as it is."""
    from .studio import unwrap_export
    definition, _ = unwrap_export(data)
    return isinstance(definition, dict) and isinstance(definition.get("states"), list) and "initial_state" in definition


def load_flow_file(path: str | os.PathLike) -> FlowDocument:
    """Read and parse one flow file; refuse files over the size limit before reading them."""
    path = Path(path)
    return load_flow_text(read_flow_bytes(path), str(path))


def read_flow_bytes(path: Path) -> bytes:
    """A flow file's bytes; FlowLoadError when it cannot be read, or when it is over the
    size limit (checked before reading: a 50 MB file is not read to be refused)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FlowLoadError([error("too_large", f"file is {size:,} bytes; flow files are limited "
                                                    f"to {MAX_FILE_BYTES:,}", file=str(path))])
        return path.read_bytes()
    except OSError as exc:
        raise FlowLoadError([error("unreadable", f"cannot read file: {exc.strerror}", file=str(path))]) from None


def dump_flow(flow: Flow | dict) -> str:
    """The canonical YAML text of a flow (a Flow or its plain data)."""
    if isinstance(flow, dict):
        flow = Flow.from_data(flow)
    data = flow.to_data()
    if "ui" in data:
        # One line per widget position: moving a widget on the canvas changes one line.
        data["ui"] = {k: InlineMap(v) if isinstance(v, dict) else v for k, v in data["ui"].items()}
    return dump_yaml(data)


def save_flow(flow: Flow | dict, path: str | os.PathLike) -> None:
    """Write the canonical YAML atomically: temp file in the same folder, fsync, rename."""
    write_atomic(Path(path), dump_flow(flow))


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` so readers see the old or the new file, never half of one.
    The file keeps its permissions; a new one gets what any new file would (0644 under the
    usual umask), not the private 0600 of a temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _mode_for(path: Path) -> int:
    """The permissions `path` has, or a new file's under this process's umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it (os.umask sets it, for every thread)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def flow_files(paths) -> list[Path]:
    """The flow files named by `paths`: files as given, folders searched recursively
    (skipping flow test files `*.test.yaml` and hidden folders)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.suffix in SUFFIXES and f.is_file()
                            and not is_test_file(f) and not any(part.startswith(".") for part in f.parts))
        else:
            found.append(p)
    return found


def is_test_file(path: Path) -> bool:
    """Flow tests live beside flows as `<flow>.test.yaml`; they are not flows."""
    return path.name.endswith((".test.yaml", ".test.yml"))


def flow_id(path: str | os.PathLike) -> str:
    """A flow's id is its file name without `.yaml` (`flows/ivr-menu.yaml` is `ivr-menu`)."""
    return Path(path).stem


# ---------------------------------------------------------------- strings back


def restore_strings(data: dict, raw: dict) -> None:
    """Where a schema says string but YAML read a number/bool/null, put back its source
    text, so `body: 123`, `body: 1e3` and `value: 007` mean what the person typed."""
    if not raw:
        return
    for key in ("name", "description"):
        _restore(data, key, (key,), raw)
    widgets = data.get("widgets")
    if not isinstance(widgets, list):
        return
    for i, w in enumerate(widgets):
        if not isinstance(w, dict):
            continue
        base = ("widgets", i)
        _restore(w, "name", base + ("name",), raw)
        spec = registry.get(w.get("type")) if isinstance(w.get("type"), str) else None
        if spec and isinstance(w.get("properties"), dict):
            _walk(w["properties"], spec.properties, base + ("properties",), raw)
        t = w.get("transitions")
        if isinstance(t, dict):
            for event, target in t.items():
                if event != MATCH:
                    _restore(t, event, base + ("transitions", event), raw)
        if spec and spec.condition_schema and isinstance(t, dict) and isinstance(t.get(MATCH), list):
            for j, m in enumerate(t[MATCH]):
                if isinstance(m, dict):
                    mpath = base + ("transitions", MATCH, j)
                    _restore(m, "next", mpath + ("next",), raw)
                    for k, c in enumerate(m.get("conditions") or []):
                        _walk(c, spec.condition_schema, mpath + ("conditions", k), raw)


def _wants_string(schema: dict | None) -> bool:
    return bool(schema) and schema.get("type") == "string"


def _restore(container, key, path, raw) -> None:
    value = container[key] if isinstance(container, dict) and key in container else None
    if value is not None and not isinstance(value, str) and path in raw:
        container[key] = raw[path]


def _walk(value, schema: dict | None, path: tuple, raw: dict) -> None:
    if not schema:
        return
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                if _wants_string(sub) and value[key] is not None and not isinstance(value[key], str) \
                        and path + (key,) in raw:
                    value[key] = raw[path + (key,)]
                else:
                    _walk(value[key], sub, path + (key,), raw)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        items = schema["items"]
        for i, v in enumerate(value):
            if _wants_string(items) and v is not None and not isinstance(v, str) and path + (i,) in raw:
                value[i] = raw[path + (i,)]
            else:
                _walk(v, items, path + (i,), raw)
