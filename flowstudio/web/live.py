"""Socket.io for the browser: the test-run console and the live view of executions.

- The server is Flask-SocketIO in threading mode (gunicorn_worker.py, gthread + simple-websocket:
  each open websocket holds one of the worker's threads, see gunicorn_conf.py). Browsers
  connect with the websocket transport only, so several workers need no sticky sessions.
- `FLOWSTUDIO_REDIS_URL` (config REDIS_URL) makes Redis the message queue: an event
  emitted by whichever process handled a webhook reaches the browsers connected to any
  other process, on any machine. Without it, the processes of one machine that share the
  database pass events to each other over local sockets (livequeue.py): `flowstudio
  serve`'s workers need no Redis.
  The events go over one Redis pub/sub channel, `FLOWSTUDIO_REDIS_CHANNEL` (config
  REDIS_CHANNEL, default "flowstudio"): pub/sub ignores the database number of the URL,
  so two deployments (or test runs) sharing one Redis need channels of their own.
- Access follows the API's rules (auth.py): off loopback a connection needs the logged-in
  session cookie (or the API token as `auth: {token}`); a connection from another site's
  page is refused (`Origin` must be this server). A connection let in by its login is
  checked again at every event: once that login ends (logout, idle, new password), the
  next event is refused and the connection closed, leaving its flow's room.

Events (client -> server; each answers through the socket.io acknowledgement, with
`{"ok": true, ...}` or `{"error": "<plain words>"}`):
- `watch {flow}`: join the flow's room; `run:turn` then arrives for every turn of
  every execution of that flow, from phones and consoles, in whatever process it ran.
- `console:open {flow, contact?, number?}`: this tab's console on the flow (one per tab).
- `console:act {action, arg}`: send, chat ({body, channel}), call, press, speak, no_input, callback, hang_up,
  wait (seconds; none: until the waiting widget times out), end (console.py).
- `console:restart {contact?, number?}`, `console:mock {widget, answer|null}`,
  `console:save_test {name}`, `console:close`.
- Trying "Send to a list" (console_trial.py): `console:trial_rows {csv|numbers, partial?}`
  answers the list's first rows to prefill test numbers from; `console:trial {flow, from,
  contacts: [{to, parameters, row?}]}` replaces the tab's console with one console
  session per test contact, each started as the campaign would, and answers each one's
  first turn. `console:act`, `console:mock` and `console:save_test` then take `contact`
  (`t1`, `t2`...) to say which test contact; a try starts over with `console:trial` again
  (`console:restart` refuses), and `console:open` goes back to the ordinary console.
A tab's console lives in the process holding its websocket; closing the tab ends the
console's active execution.
"""
from __future__ import annotations

import logging
import os
import threading
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_socketio import SocketIO, disconnect, join_room, leave_room

from .. import metrics
from ..console import ConsoleError, ConsoleSession, is_console
from ..console_trial import Trial, sample_rows, trial_contacts
from ..service import TurnResult
from .app import runtime
from .auth import login_required, origin_ok, signed_in_user, token_ok
from .jsonbody import SocketJSON
from .livequeue import LocalQueueManager, folder_for

log = logging.getLogger("flowstudio.live")


def setup(app: Flask) -> SocketIO:
    """Create the app's SocketIO (with Redis as message queue when configured), register
    the events, and broadcast every saved turn to the flow's room."""
    app.config.setdefault("REDIS_URL", os.environ.get("FLOWSTUDIO_REDIS_URL") or None)
    app.config.setdefault("REDIS_CHANNEL", os.environ.get("FLOWSTUDIO_REDIS_CHANNEL") or "flowstudio")
    queue = {"message_queue": app.config["REDIS_URL"], "channel": app.config["REDIS_CHANNEL"]}
    store_url = runtime(app).service.store.url
    if not app.config["REDIS_URL"] and store_url not in ("sqlite://", "sqlite:///:memory:"):
        # the other processes of this machine on the same database (livequeue.py)
        queue = {"client_manager": LocalQueueManager(folder_for(store_url))}
    socketio = SocketIO(app, async_mode="threading",
                        cors_allowed_origins=lambda origin, environ: _same_site(app, origin, environ),
                        manage_session=False, json=SocketJSON(app), **queue)
    live = Live(app, socketio)
    app.extensions["flowstudio.live"] = live
    runtime(app).service.listeners.append(live.broadcast)
    return socketio


def _same_site(app: Flask, origin: str | None, environ: dict) -> bool:
    """A page of this server (its Host, a proxy's forwarded host, or PUBLIC_URL) may connect."""
    # No Origin: not a browser page (a script, the test client); the login check still applies.
    hosts = {environ.get("HTTP_HOST"), environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[0].strip()}
    public = app.config.get("PUBLIC_URL")
    if public:
        hosts.add(urlsplit(public).netloc)
    return origin_ok(origin, hosts - {None, ""})


class Live:
    """The socket events and the per-tab console sessions of one process."""

    def __init__(self, app: Flask, socketio: SocketIO):
        self.app = app
        self.socketio = socketio
        self.consoles: dict[str, ConsoleSession] = {}   # by socket id: one per tab
        self.trials: dict[str, Trial] = {}               # by socket id: a campaign's try, instead of the console
        self.locks: dict[str, threading.Lock] = {}       # a tab's actions run one at a time
        self.watching: dict[str, str] = {}               # socket id -> flow room
        self.allowed: set[str] = set()                   # socket ids that passed the check at connect
        self.by_login: set[str] = set()                  # ... of those, the ones let in by a login session
        on = socketio.on
        on("connect")(self.connect)
        on("disconnect")(self.disconnect)
        on("watch")(self._guarded(self.watch))
        on("console:open")(self._guarded(self.open))
        on("console:act")(self._guarded(self.act))
        on("console:restart")(self._guarded(self.restart))
        on("console:mock")(self._guarded(self.mock))
        on("console:save_test")(self._guarded(self.save_test))
        on("console:close")(self._guarded(self.close))
        on("console:trial_rows")(self._guarded(self.trial_rows))
        on("console:trial")(self._guarded(self.trial))

    # ------------------------------------------------------------ connection

    def connect(self, auth=None):
        """Refuse a connection the API would refuse (auth.py); False closes it."""
        # engine.io checks the Origin too (cors_allowed_origins); checked again here so
        # the rule holds whatever transport or server sits in front.
        if not _same_site(current_app, request.headers.get("Origin"), request.environ):
            log.info("refused a socket connection from another site's page (%s)", request.headers.get("Origin"))
            return False
        given = auth.get("token") if isinstance(auth, dict) else None
        if token_ok(given) or not login_required() or _signed_in():
            self.allowed.add(request.sid)
            if login_required() and not token_ok(given):
                self.by_login.add(request.sid)   # checked again at every event: a login can end (auth.py)
            metrics.socket_clients(len(self.allowed))
            return True
        log.info("refused a socket connection without a login from %s", request.remote_addr)
        return False

    def disconnect(self, *_reason):
        """The tab went away: end its console's execution, forget it."""
        sid = request.sid
        self.watching.pop(sid, None)
        self.allowed.discard(sid)
        self.by_login.discard(sid)
        metrics.socket_clients(len(self.allowed))
        console = self.consoles.pop(sid, None)
        trial = self.trials.pop(sid, None)
        self.locks.pop(sid, None)
        for running in (console, trial):
            if running is None:
                continue
            try:
                running.close()
            except Exception:  # noqa: BLE001 - the tab is gone either way
                log.exception("ending the console execution of a closed tab failed")

    # ------------------------------------------------------------ events

    def watch(self, data):
        """Follow a flow's executions live (one flow per tab)."""
        flow = _flow(data)
        old = self.watching.get(request.sid)
        if old and old != flow:
            leave_room(_room(old))
        join_room(_room(flow))
        self.watching[request.sid] = flow
        return {"ok": True, "flow": flow}

    def open(self, data):
        """This tab's console on a flow (replacing the one it had)."""
        flow = _flow(data)
        data = data if isinstance(data, dict) else {}
        with self._lock():
            self._end_all("ended: the tester started over")
            kwargs = {k: data[k] for k in ("contact", "number") if data.get(k)}
            console = ConsoleSession(runtime(current_app).service, flow, **kwargs)
            self.consoles[request.sid] = console
            return {"ok": True, **console.state()}

    def act(self, data):
        """One thing the contact does (see console.py)."""
        data = data if isinstance(data, dict) else {}
        with self._lock():
            return {"ok": True, **self._console(data).act(str(data.get("action", "")), data.get("arg"))}

    def restart(self, data):
        """Start over, perhaps as another contact."""
        data = data if isinstance(data, dict) else {}
        with self._lock():
            if request.sid in self.trials:
                raise ConsoleError("this is a try with test numbers: start the try again from Send to a list")
            return {"ok": True, **self._console(data).restart(data.get("contact"), data.get("number"))}

    def mock(self, data):
        """Set (or, with answer null, clear) the mocked answer of an HTTP widget."""
        data = data if isinstance(data, dict) else {}
        answer = data.get("answer")
        if answer is not None and not isinstance(answer, dict):
            raise ConsoleError("the answer must have a status and a body")
        with self._lock():
            trial = self.trials.get(request.sid)
            if trial is not None:   # a typed answer holds for every test contact, as one flow would get it
                shown = self._console(data)
                for session in trial.sessions.values():
                    session.mock(data.get("widget"), answer)
                return {"ok": True, **shown.state()}
            return {"ok": True, **self._console(data).mock(data.get("widget"), answer)}

    def save_test(self, data):
        """Write the conversation as a flow test beside the flow."""
        name = (data or {}).get("name") if isinstance(data, dict) else None
        with self._lock():
            return {"ok": True, **self._console(data).save_flow_test(name if isinstance(name, str) else "")}

    def close(self, _data=None):
        """Close the console (its active executions end)."""
        with self._lock():
            self._end_all()
        return {"ok": True}

    def trial_rows(self, data):
        """The first rows of a list, to prefill a try's test numbers (nothing runs)."""
        return {"ok": True, **sample_rows(data)}

    def trial(self, data):
        """Try a campaign with a few test numbers: this tab's console becomes one
        console session per test contact, each started as the campaign would start it."""
        flow = _flow(data)
        from_, contacts = trial_contacts(data)
        with self._lock():
            self._end_all("ended: the tester started over")
            trial = Trial(runtime(current_app).service, flow, from_, contacts)
            started = trial.start()
            self.trials[request.sid] = trial
            return {"ok": True, "flow": flow, "from": from_, "contacts": started}

    # ------------------------------------------------------------ live view

    def broadcast(self, flow_id: str, session_key: str, result: TurnResult) -> None:
        """A turn was saved (any entry point, any process): tell the flow's watchers.
        Contexts are left out (they can be large); the executions view fetches them."""
        if not result.execution_id:
            return
        if not self.app.config["REDIS_URL"] and not self.socketio.server.manager.rooms.get("/", {}).get(
                _room(flow_id)) and not self._local_peers():
            return  # nobody watches this flow here, and no other process could pass it on
        self.socketio.emit("run:turn", {
            "flow": flow_id, "execution_id": result.execution_id, "status": result.status,
            "source": "console" if is_console(session_key) else "phone", "waiting": result.waiting,
            "steps": [{k: s[k] for k in ("event", "from", "to", "flow", "at")} for s in result.steps],
            "log": result.trace}, to=_room(flow_id))

    # ------------------------------------------------------------ helpers

    def _local_peers(self) -> bool:
        """Whether other processes of this machine have browsers to pass events to."""
        manager = self.socketio.server.manager
        return isinstance(manager, LocalQueueManager) and manager.has_peers()

    def _guarded(self, handler):
        """Run a handler, answering a refusal in words instead of failing the socket."""
        def run(data=None):
            if request.sid not in self.allowed:
                return {"error": "log in first"}
            if request.sid in self.by_login and not _signed_in():
                # Logged out (or idle, or the password changed) since the tab connected: the
                # session is over here too. Its room and console go with the connection.
                log.info("closed a socket whose login ended (%s)", request.remote_addr)
                self.allowed.discard(request.sid)
                disconnect()
                return {"error": "your login ended: log in again"}
            try:
                return handler(data)
            except ConsoleError as exc:
                return {"error": str(exc)}
            except Exception:  # noqa: BLE001 - the tab gets a plain answer; the log gets the rest
                log.exception("console event failed")
                return {"error": "something went wrong on the server; the server's log has the details"}
        run.__name__ = handler.__name__
        return run

    def _lock(self) -> threading.Lock:
        return self.locks.setdefault(request.sid, threading.Lock())

    def _console(self, data=None) -> ConsoleSession:
        """The tab's console, or with `contact` (t1, t2...) that test contact's in a try."""
        trial = self.trials.get(request.sid)
        if trial is not None:
            return trial.session(data.get("contact") if isinstance(data, dict) else None)
        console = self.consoles.get(request.sid)
        if console is None:
            raise ConsoleError("open the console first")
        return console

    def _end_all(self, reason: str = "ended: the test phone was closed") -> None:
        """End the tab's console or try (their active executions end)."""
        for running in (self.consoles.pop(request.sid, None), self.trials.pop(request.sid, None)):
            if running is not None:
                running.close(reason)


def _signed_in() -> bool:
    """Whether the connection carries a live login session (the cookie sent with the
    websocket handshake; auth.py checks it against the session table)."""
    try:
        return bool(signed_in_user())
    except RuntimeError:   # no request context: no cookie
        return False


def _room(flow_id: str) -> str:
    return f"flow:{flow_id}"


def _flow(data) -> str:
    flow = data.get("flow") if isinstance(data, dict) else None
    if not isinstance(flow, str) or not flow:
        raise ConsoleError("say which flow")
    if not runtime(current_app).service.flows.exists(flow):
        raise ConsoleError(f"there is no flow '{flow}'")
    return flow
