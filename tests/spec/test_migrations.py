"""spec_version and how a migration plugs in."""
import pytest

from flowstudio.spec import migrations
from flowstudio.spec.flowfile import load_flow_text
from flowstudio.spec.issues import FlowLoadError


def test_current_version_loads_unchanged():
    data = {"spec_version": migrations.CURRENT_VERSION, "name": "x", "widgets": []}
    assert migrations.migrate(dict(data)) == data


def test_a_registered_migration_upgrades_old_files(monkeypatch):
    # Pretend the format moved to version 2, where `description` became `summary`.
    monkeypatch.setattr(migrations, "CURRENT_VERSION", 2)
    monkeypatch.setattr(migrations, "_STEPS", {})

    @migrations.migration(1)
    def rename_description(data):
        data["summary"] = data.pop("description", "")
        return data

    doc = load_flow_text("spec_version: 1\nname: x\ndescription: hello\nwidgets: []\n")
    assert doc.data == {"spec_version": 2, "name": "x", "summary": "hello", "widgets": []}


def test_registering_a_step_twice_is_refused(monkeypatch):
    monkeypatch.setattr(migrations, "_STEPS", {})
    migrations.migration(1)(lambda d: d)
    with pytest.raises(ValueError):
        migrations.migration(1)(lambda d: d)


@pytest.mark.parametrize("version, message", [
    (99, "spec_version 99 is newer than this FlowStudio supports (1); upgrade FlowStudio to open it"),
    (0, "spec_version 0 is not valid; the first version is 1"),
    ("'one'", "spec_version must be a whole number (this FlowStudio writes 1), found 'one'"),
])
def test_bad_versions_are_load_errors_with_a_line(version, message):
    with pytest.raises(FlowLoadError) as info:
        load_flow_text(f"name: x\nspec_version: {version}\nwidgets: []\n", "f.yaml")
    (issue,) = info.value.issues
    assert (issue.line, issue.message) == (2, message)


def test_missing_version_is_a_load_error():
    with pytest.raises(FlowLoadError) as info:
        load_flow_text("name: x\nwidgets: []\n", "f.yaml")
    assert "spec_version must be a whole number" in info.value.issues[0].message
