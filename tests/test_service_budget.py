"""The turn's budget in the service: a turn past it fails and is saved, the contact's next
message is handled as usual, and a long turn lets other conversations through on SQLite."""
import threading
import time

import pytest

from flowstudio.config import Settings
from flowstudio.conversation import Conversation, local_service
from flowstudio.engine import budget

HEAVY = '{% for i in (1..1000) %}{% assign u = "abcdefghij" | append: i | upcase | downcase %}{% endfor %}x'


def heavy_flow(widgets: int) -> str:
    chain = "".join(f"""\
  - name: w{i}
    type: set-variables
    properties:
      variables: [{{key: v{i}, value: '{HEAVY}'}}]
    transitions: {{next: {f"w{i + 1}" if i + 1 < widgets else "done"}}}
""" for i in range(widgets))
    return f"""\
spec_version: 1
name: heavy
widgets:
  - name: Trigger
    type: trigger
    transitions: {{incomingMessage: which}}
  - name: which
    type: split-based-on
    properties: {{input: "{{{{trigger.message.Body}}}}"}}
    transitions:
      noMatch: ok
      match:
        - next: w0
          conditions: [{{type: equal_to, value: heavy}}]
{chain}  - name: done
    type: send-message
    properties: {{body: "done"}}
  - name: ok
    type: send-message
    properties: {{body: "ok"}}
"""


ECHO = """\
spec_version: 1
name: echo
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: pong}
  - name: pong
    type: send-message
    properties: {body: "pong"}
"""


@pytest.fixture
def flows(tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    # 120 widgets: about 0.8 s of CPU on a fast day, well past the tests' budgets (0.05 and
    # 0.3 s). With 40 (0.28 s on such a day) the 0.3 s turn sometimes ended instead of failing.
    (folder / "heavy.yaml").write_text(heavy_flow(120))
    (folder / "echo.yaml").write_text(ECHO)
    return folder


def test_a_turn_past_its_budget_fails_is_saved_and_the_next_message_starts_afresh(flows):
    service = local_service(flows)
    service.turn_cpu_seconds = 0.05
    talk = Conversation(service, "heavy")
    result = talk.send("heavy")
    assert result.status == "failed" and result.replies == []
    [row] = service.store.executions(flow_id="heavy")
    assert row.status == "failed" and "more than its 0.05 s of CPU time" in row.ended_reason
    log = service.store.logs(row.id)
    assert any(e["type"] == "error" and e["widget"].startswith("w") and "CPU time" in e["message"] for e in log)
    again = talk.send("hi")
    assert [r.body for r in again.replies] == ["ok"] and again.status == "ended"
    assert len(service.store.executions(flow_id="heavy")) == 2


def test_a_long_turn_on_sqlite_lets_another_flows_turn_through(flows, tmp_path, monkeypatch):
    service = local_service(flows, database_url=f"sqlite:///{tmp_path / 'flowstudio.db'}")
    service.turn_cpu_seconds = 0.3
    assert service.store.gate._lock is not None  # SQLite: turns pass one at a time through the gate
    finished = {}
    became_long = threading.Event()
    original = budget.Budget.became_long

    def noted(self):
        original(self)
        became_long.set()

    monkeypatch.setattr(budget.Budget, "became_long", noted)

    def heavy():
        Conversation(service, "heavy", contact="+15555550001").send("heavy")
        finished["heavy"] = time.monotonic()

    Conversation(service, "echo", contact="+15555550002").send("warm-up")  # flows loaded, parsed
    thread = threading.Thread(target=heavy)
    thread.start()
    assert became_long.wait(10)  # the heavy turn has computed for a while (and goes on)
    assert [r.body for r in Conversation(service, "echo", contact="+15555550003").send("x").replies] == ["pong"]
    finished["echo"] = time.monotonic()
    thread.join(30)
    assert finished["echo"] < finished["heavy"]  # it did not wait for the heavy turn to end
    assert service.store.executions(flow_id="heavy")[0].status == "failed"


def test_the_budget_is_read_from_the_environment():
    settings = Settings.from_env({"FLOWSTUDIO_TURN_CPU_SECONDS": "2.5", "FLOWSTUDIO_TURN_MEMORY_MB": "8"})
    assert (settings.turn_cpu_seconds, settings.turn_memory_bytes) == (2.5, 8 * 2**20)
    defaults = Settings.from_env({})
    assert (defaults.turn_cpu_seconds, defaults.turn_memory_bytes) == (1.0, 32 * 2**20)
    for bad in ("0", "-1", "soon", "inf"):
        with pytest.raises(ValueError, match=f"FLOWSTUDIO_TURN_CPU_SECONDS must be a positive number, not '{bad}'"):
            Settings.from_env({"FLOWSTUDIO_TURN_CPU_SECONDS": bad})
