"""The application factory: `create_app(config)` wires settings, store, flows, service.

Configuration keys (all optional; environment variables in parentheses):
FLOWS_DIR (FLOWSTUDIO_FLOWS_DIR), DATA_DIR (FLOWSTUDIO_DATA_DIR), DATABASE_URL
(FLOWSTUDIO_DATABASE_URL), TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN (same names),
PUBLIC_URL (FLOWSTUDIO_PUBLIC_URL, the address Twilio uses, for signatures behind a
proxy), LISTEN_HOST (FLOWSTUDIO_LISTEN_HOST, set by `flowstudio serve`), INSECURE
(FLOWSTUDIO_INSECURE=1: accept unsigned webhooks off loopback), SCHEDULER (fire timers
and delete old ended executions in this process; default True), PASSWORD (FLOWSTUDIO_PASSWORD) and API_TOKEN
(FLOWSTUDIO_API_TOKEN) for the editor and API off loopback, ALLOWED_HOSTS
(FLOWSTUDIO_ALLOWED_HOSTS: host names answered besides loopback names and PUBLIC_URL's;
web/edge.py), SECRET_KEY
(FLOWSTUDIO_SECRET_KEY; else one kept in the data folder), REDIS_URL (FLOWSTUDIO_REDIS_URL:
socket.io's message queue, so live events cross processes; web/live.py) and REDIS_CHANNEL
(FLOWSTUDIO_REDIS_CHANNEL, its pub/sub channel), STUDIO_ACCOUNT_SID / STUDIO_AUTH_TOKEN
(FLOWSTUDIO_STUDIO_ACCOUNT_SID / FLOWSTUDIO_STUDIO_AUTH_TOKEN: the pair Studio's REST API
v2 under /v2/ accepts; web/studio_api.py), CLOCK, HTTP,
CHANNEL, NEW_ID (test doubles).
"""
from __future__ import annotations

import atexit
import logging
import os
from dataclasses import dataclass

from flask import Flask

from .. import metrics
from ..config import Settings, open_store
from ..repository import FlowRepository
from ..scheduler import Scheduler
from ..service import FlowService, LocalChannel, default_http, utcnow

log = logging.getLogger("flowstudio")

MAX_BODY = 10 * 1024 * 1024  # flows saved from the editor can be large; webhooks check their own limit


@dataclass
class Runtime:
    """What the blueprints use: the service and its parts."""

    service: FlowService
    settings: Settings
    scheduler: Scheduler | None
    retention: object | None = None   # adapters.retention.Retention, where it runs


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app (see module docstring for the configuration)."""
    from ..logsafe import install as escape_log_arguments
    escape_log_arguments()   # log lines quoting a request (a path, an Origin) cannot forge lines
    app = Flask(__name__, static_folder=None)
    app.json.sort_keys = False   # flow documents keep their order (name, type, properties, transitions)
    env = os.environ
    app.config.update(
        FLOWS_DIR=env.get("FLOWSTUDIO_FLOWS_DIR"), DATA_DIR=env.get("FLOWSTUDIO_DATA_DIR"),
        DATABASE_URL=env.get("FLOWSTUDIO_DATABASE_URL"), TWILIO_ACCOUNT_SID=env.get("TWILIO_ACCOUNT_SID"),
        TWILIO_AUTH_TOKEN=env.get("TWILIO_AUTH_TOKEN"), PUBLIC_URL=env.get("FLOWSTUDIO_PUBLIC_URL"),
        LISTEN_HOST=env.get("FLOWSTUDIO_LISTEN_HOST"), INSECURE=env.get("FLOWSTUDIO_INSECURE") == "1",
        ALLOWED_HOSTS=env.get("FLOWSTUDIO_ALLOWED_HOSTS"), SCHEDULER=True, MAX_CONTENT_LENGTH=MAX_BODY,
        CLOCK=None, HTTP=None, CHANNEL=None, NEW_ID=None)
    app.config.update(config or {})
    settings = Settings.from_env(env, flows_dir=app.config["FLOWS_DIR"], data_dir=app.config["DATA_DIR"],
                                 database_url=app.config["DATABASE_URL"])
    clock = app.config["CLOCK"] or utcnow
    store = open_store(settings)
    credentials = (app.config["TWILIO_ACCOUNT_SID"], app.config["TWILIO_AUTH_TOKEN"])
    http = app.config["HTTP"] or default_http(credentials if all(credentials) else None)
    http = metrics.timed_http(http)   # counted and timed for /metrics
    service = FlowService(store, FlowRepository(settings.flows_dir, store, clock), http=http,
                          channel=app.config["CHANNEL"] or _channel(app), clock=clock, expiry=settings.expiry,
                          new_id=app.config["NEW_ID"], turn_cpu_seconds=settings.turn_cpu_seconds,
                          turn_memory_bytes=settings.turn_memory_bytes)
    scheduler = Scheduler(service).start() if app.config["SCHEDULER"] else None
    if scheduler is not None:
        atexit.register(scheduler.stop)
    retention = None
    if app.config["SCHEDULER"] and settings.retention is not None:   # beside the timers: old executions go
        from ..adapters.retention import Retention
        retention = Retention(store, settings.retention, clock).start()
        atexit.register(retention.stop)
    app.extensions["flowstudio"] = Runtime(service, settings, scheduler, retention)
    from ..campaigns import CampaignRunner, Campaigns   # campaigns.py: sent by every process, like timers
    app.extensions["flowstudio.campaigns"] = campaigns = Campaigns(service)
    if app.config["SCHEDULER"]:
        atexit.register(CampaignRunner(service, campaigns).start().stop)
        from ..stats import Summarizer   # stats.py: finished executions summarised for the Results view
        atexit.register(Summarizer(store).start().stop)

    from . import (api, auth, campaigns_api, edge, editor_api, errors, home, jsonbody, stats_api, studio_api,
                   webhooks)
    errors.register(app)
    jsonbody.install(app)
    auth.setup(app, settings.data_dir)
    app.register_blueprint(editor_api.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(campaigns_api.blueprint)
    app.register_blueprint(stats_api.blueprint)
    app.register_blueprint(home.blueprint)
    studio_api.setup(app)   # Studio's REST API v2 under /v2/ (its own Basic auth)
    from . import live   # after the blueprints: it reads the runtime and the auth settings
    live.setup(app)
    webhooks.install(app)  # the webhooks' WSGI app comes before socket.io's and Flask's
    edge.install(app)      # last: host names, NUL bytes and chunked bodies are checked before anything
    from . import metrics_api   # GET /metrics; webhook answers counted, edge's refusals too
    metrics_api.setup(app)
    metrics_api.install(app)
    return app


def _channel(app: Flask):
    sid, token = app.config["TWILIO_ACCOUNT_SID"], app.config["TWILIO_AUTH_TOKEN"]
    if sid and token:
        from ..adapters.twilio_channel import TwilioChannel
        # Flex tasks from messages go to this TaskRouter workspace (else the account's only one).
        return TwilioChannel(sid, token, public_url=app.config["PUBLIC_URL"],
                             workspace_sid=os.environ.get("FLOWSTUDIO_TWILIO_WORKSPACE_SID") or None)
    log.info("no TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN: messages and calls outside webhook answers are only "
             "recorded (GET /api/outbox)")
    return LocalChannel()


def runtime(app: Flask) -> Runtime:
    """The Runtime of an app made by create_app."""
    return app.extensions["flowstudio"]
