"""Widget case files: every widget's property schema checked against examples.

Each supported widget has `cases/<type>.yaml` with valid and invalid `properties` and the
exact issues the validator reports (`"<path>: <message>"`). The registry is walked, so a
new widget module without a case file fails here.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from flowstudio.spec.validate import check_properties
from flowstudio.widgets.registry import all_widgets

CASES_DIR = Path(__file__).parent / "cases"
# Studio's rule for widget names: a letter, then letters, digits and underscores.
STUDIO_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
WIDGETS = all_widgets()


def load_cases(path: Path) -> dict:
    """One case file as data."""
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def all_cases():
    """Every case of every case file, as pytest params with readable ids."""
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = load_cases(path)
        for i, case in enumerate(data.get("cases") or []):
            yield pytest.param(data["type"], case, id=f"{data['type']}-{i}")


def issue_strings(widget_type: str, properties) -> list[str]:
    """The validator's issues for `properties`, as `path: message` strings."""
    return [f"{i.path}: {i.message}" for i in check_properties(widget_type, properties)]


@pytest.mark.parametrize("widget_type", sorted(WIDGETS))
def test_every_widget_has_valid_and_invalid_cases(widget_type):
    path = CASES_DIR / f"{widget_type}.yaml"
    assert path.is_file(), f"{widget_type} has no case file {path.relative_to(CASES_DIR.parent)}"
    data = load_cases(path)
    assert data.get("type") == widget_type, f"{path.name} declares type {data.get('type')!r}"
    cases = data.get("cases") or []
    assert any(c.get("issues") == [] for c in cases), f"{path.name} has no valid case"
    assert any(c.get("issues") for c in cases), f"{path.name} has no invalid case"


def test_no_case_file_for_an_unknown_type():
    stale = sorted(p.stem for p in CASES_DIR.glob("*.yaml") if p.stem not in WIDGETS)
    assert not stale, f"case files for types no widget declares: {stale}"


@pytest.mark.parametrize("widget_type, case", all_cases())
def test_case(widget_type, case):
    assert set(case) <= {"description", "properties", "issues"}, f"unknown keys in case: {sorted(case)}"
    assert case.get("description"), "every case needs a description"
    got = issue_strings(widget_type, case["properties"])
    assert sorted(got) == sorted(case["issues"]), case["description"]


@pytest.mark.parametrize("widget_type", sorted(WIDGETS))
def test_example_is_a_valid_widget(widget_type):
    widget = WIDGETS[widget_type]
    example = widget.example
    assert example, f"{widget_type} has no example"
    assert example["type"] == widget_type
    assert STUDIO_NAME.match(example["name"]), f"example name {example['name']!r} is not a Studio name"
    assert issue_strings(widget_type, example.get("properties", {})) == []
    unknown = set(example.get("transitions", {})) - set(widget.event_names)
    assert not unknown, f"example uses events {sorted(unknown)} that {widget_type} does not declare"


@pytest.mark.parametrize("widget_type", sorted(WIDGETS))
def test_schemas_are_valid_json_schema(widget_type):
    widget = WIDGETS[widget_type]
    Draft202012Validator.check_schema(widget.properties)
    if widget.condition_schema is not None:
        Draft202012Validator.check_schema(widget.condition_schema)


@pytest.mark.parametrize("widget_type", sorted(WIDGETS))
def test_defaults_satisfy_their_own_schema(widget_type):
    widget = WIDGETS[widget_type]
    for name, sub in widget.properties.get("properties", {}).items():
        if "default" in sub:
            assert Draft202012Validator(sub).is_valid(sub["default"]), f"default of {name} is invalid"


@pytest.mark.parametrize("widget_type", sorted(WIDGETS))
def test_events_are_declared_once_with_labels(widget_type):
    widget = WIDGETS[widget_type]
    names = widget.event_names
    assert names and len(names) == len(set(names)), f"{widget_type} events: {names}"
    assert all(e.label for e in widget.events)
    assert widget.description and widget.title
