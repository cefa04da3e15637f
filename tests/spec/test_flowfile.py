"""Flow files: canonical form, round trips, strings kept as typed, atomic saves."""
import os

import pytest

from flowstudio.spec import Flow, dump_flow, load_flow_file, load_flow_text, save_flow
from flowstudio.spec.issues import FlowLoadError

MESSY = """\
ui:
  check: {y: 360, x: 0}
  Trigger: {x: 0, y: 0}
  ask: {x: 0, y: 180}
widgets:
  - transitions: {incomingMessage: ask}
    type: trigger
    name: Trigger
  - type: send-and-wait-for-reply
    name: ask
    properties: {timeout: 3600, from: "{{flow.channel.address}}", body: 1234}
    transitions: {timeout: null, incomingMessage: check}
  - name: check
    type: split-based-on
    properties: {input: "{{widgets.ask.inbound.Body}}"}
    transitions:
      noMatch: ask
      match:
        - conditions: [{value: yes, type: equal_to}, {value: 12, type: equal_to}]
          next: ask
description: "Line one\\nline two"
name: messy
spec_version: 1
"""

CANONICAL = """\
spec_version: 1
name: messy
description: |-
  Line one
  line two
widgets:
  - name: Trigger
    type: trigger
    transitions:
      incomingMessage: ask
  - name: ask
    type: send-and-wait-for-reply
    properties:
      body: '1234'
      from: '{{flow.channel.address}}'
      timeout: 3600
    transitions:
      timeout: null
      incomingMessage: check
  - name: check
    type: split-based-on
    properties:
      input: '{{widgets.ask.inbound.Body}}'
    transitions:
      noMatch: ask
      match:
        - next: ask
          conditions:
            - type: equal_to
              value: 'yes'
            - type: equal_to
              value: '12'
ui:
  Trigger: {x: 0, y: 0}
  ask: {x: 0, y: 180}
  check: {x: 0, y: 360}
"""


def test_dump_writes_the_canonical_form():
    assert dump_flow(load_flow_text(MESSY).data) == CANONICAL


def test_dumping_a_canonical_file_gives_the_same_bytes():
    assert dump_flow(load_flow_text(CANONICAL).data) == CANONICAL


def test_load_dump_load_gives_the_same_flow():
    first = Flow.from_data(load_flow_text(MESSY).data)
    again = Flow.from_data(load_flow_text(dump_flow(first)).data)
    assert again == first
    assert again.to_data() == first.to_data()


def test_strings_keep_what_was_typed_where_the_schema_says_string():
    data = load_flow_text(MESSY).data
    ask, check = data["widgets"][1], data["widgets"][2]
    assert ask["properties"]["body"] == "1234"
    assert ask["properties"]["timeout"] == 3600  # the schema wants a number here
    values = [c["value"] for c in check["transitions"]["match"][0]["conditions"]]
    assert values == ["yes", "12"]


@pytest.mark.parametrize("typed, kept", [("007", "007"), ("1e3", "1e3"), ("true", "true"), ("~", None), ("", None),
                                         ("0x1F", "0x1F"), ("12.50", "12.50")])
def test_message_bodies_stay_text(typed, kept):
    # Numbers and booleans come back as typed; an empty value stays empty (the
    # validator then says the body must be a string).
    text = f"spec_version: 1\nname: x\nwidgets:\n  - name: s\n    type: send-message\n    properties:\n      body: {typed}\n"
    assert load_flow_text(text).data["widgets"][0]["properties"]["body"] == kept


def test_save_is_atomic_and_cleans_up_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "flow.yaml"
    save_flow(load_flow_text(CANONICAL).data, target)
    assert target.read_text() == CANONICAL

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    changed = load_flow_text(CANONICAL).data
    changed["name"] = "changed"
    with pytest.raises(OSError):
        save_flow(changed, target)
    assert target.read_text() == CANONICAL  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["flow.yaml"]  # no temporary left behind


def test_load_flow_file_reports_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("spec_version: 1\nname: x\nname: y\n")
    with pytest.raises(FlowLoadError) as info:
        load_flow_file(bad)
    assert info.value.issues[0].format() == f"{bad}:3:1: duplicate key 'name' (first defined on line 2)"


def test_missing_file_is_a_load_error(tmp_path):
    with pytest.raises(FlowLoadError) as info:
        load_flow_file(tmp_path / "nope.yaml")
    assert info.value.issues[0].code == "unreadable"


def test_oversized_file_is_refused_without_reading(tmp_path, monkeypatch):
    from flowstudio.spec import flowfile

    monkeypatch.setattr(flowfile, "MAX_FILE_BYTES", 10)
    big = tmp_path / "big.yaml"
    big.write_text("spec_version: 1\nname: big\n")
    with pytest.raises(FlowLoadError) as info:
        load_flow_file(big)
    assert info.value.issues[0].code == "too_large"


def test_files_written_atomically_are_readable_like_any_new_file_and_keep_their_mode(tmp_path):
    """Issue 16, item 14: the editor's files were 0600 (the temporary file's mode)."""
    import os
    import stat

    from flowstudio.spec.flowfile import write_atomic

    old = os.umask(0o022)
    try:
        new = tmp_path / "new.yaml"
        write_atomic(new, "a: 1\n")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        kept = tmp_path / "kept.yaml"
        kept.write_text("a: 1\n")
        kept.chmod(0o640)
        write_atomic(kept, "a: 2\n")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() == "a: 2\n"
    finally:
        os.umask(old)
