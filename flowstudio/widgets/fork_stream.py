"""Fork Stream: sends the call's audio in real time to a WebSocket (or a SIPREC
connector), or stops such a stream; the flow goes on at once (`next`).

`stream_action: start` answers `<Start><Stream name url track>` with one `<Parameter>`
per `stream_parameters` entry (a connector instead of a URL for SIPREC);
`stream_action: stop` answers `<Stop><Stream name>`, which stops the stream started
under that name.
"""
from ..engine import effects as fx
from ..engine.api import Outcome, WidgetError
from .base import VOICE, VOICE_CATEGORY, Event, WidgetType, choice, key_values, obj, text

TRACKS = ["inbound_track", "outbound_track", "both_tracks"]


def enter(run) -> Outcome:
    """Start or stop the stream; `next` straight away."""
    action = run.text("stream_action", "start").strip().lower()
    name = run.text("stream_name")
    if action == "stop":
        if not name:
            raise WidgetError("stream_name is empty: Stop needs the name the stream was started with")
        return Outcome(event="next", effects=(fx.Stream(run.name, start=False, name=name),))
    url, connector = run.text("stream_url"), run.text("stream_connector")
    if not url and not connector:
        raise WidgetError("stream_url is empty: a stream needs a wss:// URL (or a SIPREC connector)")
    effect = fx.Stream(run.name, start=True, name=name, url=url, track=run.text("stream_track"),
                       connector=connector, parameters=run.pairs("stream_parameters"))
    return Outcome(event="next", effects=(effect,))


WIDGET = WidgetType(
    enter=enter,
    type="fork-stream",
    title="Fork Stream",
    category=VOICE_CATEGORY,
    channels=(VOICE,),
    description="Send the call's audio in real time to a WebSocket or SIPREC server, or stop a stream.",
    properties=obj({
        "stream_action": choice("Action", ["start", "stop"], default="start"),
        "stream_name": text("Stream name", "Names the stream, so a later Fork Stream can stop it."),
        "stream_url": text("Stream URL", "The wss:// address that receives the audio."),
        "stream_track": choice("Track", TRACKS, "Which audio to send: the caller's, the other side's, or both.",
                               default="inbound_track"),
        "stream_connector": text("SIPREC connector", "A SIPREC connector's name instead of a URL.",
                                 liquid=False),
        "stream_transport_type": choice("Transport", ["websocket", "siprec"], default="websocket"),
        "stream_parameters": key_values("Parameters", "Custom parameters sent to the server."),
    }, **{"if": {"properties": {"stream_action": {"const": "stop"}}, "required": ["stream_action"]},
          "then": {"required": ["stream_name"]}}),
    events=(Event("next", "Next", "The stream was started or stopped."),),
    example={"name": "stream_audio", "type": "fork-stream",
             "properties": {"stream_action": "start", "stream_name": "transcribe",
                            "stream_url": "wss://example.com/audio", "stream_track": "both_tracks"},
             "transitions": {"next": None}},
)
