"""Upgrading old flow files: one registered function per `spec_version` step.

A migration takes the plain data of a flow at version N and returns it at version N+1.
Loading applies every step from the file's version up to `CURRENT_VERSION`, so old
files keep loading after the format changes. Version 1 is the first, so no step is
registered yet; `tests/spec/test_migrations.py` shows how one plugs in.
"""
from __future__ import annotations

from typing import Callable

CURRENT_VERSION = 1

Migration = Callable[[dict], dict]
_STEPS: dict[int, Migration] = {}


def migration(from_version: int) -> Callable[[Migration], Migration]:
    """Decorator registering a step from `from_version` to `from_version + 1`."""
    def register(fn: Migration) -> Migration:
        if from_version in _STEPS:
            raise ValueError(f"a migration from spec_version {from_version} is already registered")
        _STEPS[from_version] = fn
        return fn
    return register


class MigrationError(ValueError):
    """The file's spec_version cannot be brought to the current one."""


def migrate(data: dict, current: int | None = None) -> dict:
    """Bring `data` from its `spec_version` to `current` (default CURRENT_VERSION)."""
    target = CURRENT_VERSION if current is None else current
    version = data.get("spec_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise MigrationError(f"spec_version must be a whole number (this FlowStudio writes {target}), "
                             f"found {version!r}")
    if version > target:
        raise MigrationError(f"spec_version {version} is newer than this FlowStudio supports ({target}); "
                             "upgrade FlowStudio to open it")
    if version < 1:
        raise MigrationError(f"spec_version {version} is not valid; the first version is 1")
    while version < target:
        step = _STEPS.get(version)
        if step is None:
            raise MigrationError(f"no migration from spec_version {version} to {version + 1}")
        data = step(dict(data))
        version += 1
        data["spec_version"] = version
    return data
