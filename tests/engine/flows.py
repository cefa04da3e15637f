"""Small flows and a tiny library for engine tests."""
from datetime import datetime, timezone

from flowstudio.engine.runner import Program
from flowstudio.spec.flowfile import load_flow_text
from flowstudio.spec.model import Flow

NOW = datetime(2026, 11, 21, 15, 30, tzinfo=timezone.utc)
CONTACT, NUMBER = "+15555550123", "+15555550100"


def program(yaml_text: str, flow_id: str = "test", revision: str = "r1") -> Program:
    """A Program from flow YAML."""
    return Program(Flow.from_data(load_flow_text(yaml_text).data), flow_id, revision)


class Library:
    """Programs by (flow id, revision); revision None is the newest added."""

    def __init__(self, *programs: Program):
        self.programs: dict = {}
        for p in programs:
            self.add(p)

    def add(self, p: Program) -> None:
        self.programs[(p.flow_id, p.revision)] = p
        self.programs[(p.flow_id, None)] = p

    def program(self, flow_id, revision=None):
        return self.programs.get((flow_id, revision))


def sms(body: str, sid: str = "SM1") -> dict:
    """Twilio's inbound SMS parameters."""
    return {"MessageSid": sid, "From": CONTACT, "To": NUMBER, "Body": body, "NumMedia": "0"}


def call(sid: str = "CA1") -> dict:
    """Twilio's inbound call parameters."""
    return {"CallSid": sid, "From": CONTACT, "To": NUMBER, "CallStatus": "ringing", "Direction": "inbound"}


def header(name: str = "test") -> str:
    return f"spec_version: 1\nname: {name}\nwidgets:\n"
