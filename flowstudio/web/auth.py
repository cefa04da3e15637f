"""Who may use the editor and its API, and protection against cross-site requests.

- On loopback (the default `flowstudio serve`), the API is open to this machine.
- Listening beyond loopback, or whenever `FLOWSTUDIO_PASSWORD` is set, the API needs a
  login: the editor's login page posts the password to `/api/login` and gets a signed
  session cookie; scripts send `Authorization: Bearer $FLOWSTUDIO_API_TOKEN` instead.
  Beyond loopback with neither set, the API is closed, with a message saying what to set.
- A state-changing request that a browser marks as cross-site (`Sec-Fetch-Site`, or an
  `Origin` that is not this server) is refused, and one that rides on the session
  cookie must carry the session's CSRF token in `X-CSRF-Token`.
- A login is a session kept in the database (adapters/websessions.py): the cookie
  carries only its secret. Logging out ends it everywhere, a new password ends them
  all, and one unused for `FLOWSTUDIO_SESSION_IDLE_MINUTES` (default 720) expires.
  Failed logins are limited (throttle.py) and logged.

Webhooks are not covered here: Twilio's signature protects them (webhooks.py).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, jsonify, request, session

from ..adapters.loginfailures import LoginFailures
from ..adapters.websessions import WebSessions
from . import errors
from .errors import ApiError
from .throttle import LoginThrottle

log = logging.getLogger("flowstudio.auth")
IDLE_SETTING = "FLOWSTUDIO_SESSION_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 720

blueprint = Blueprint("auth", __name__, url_prefix="/api")

OPEN = {"auth.session_info", "auth.login", "auth.logout"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@lru_cache(maxsize=64)
def is_loopback(host: str | None) -> bool:
    """Whether a listen address only accepts connections from this machine (asked for
    every webhook: remembered)."""
    if host in ("localhost",):
        return True
    try:
        return bool(host) and ip_address(host).is_loopback
    except ValueError:
        return False


def setup(app: Flask, data_dir: Path) -> None:
    """Configure sessions (a secret key kept in the data folder unless configured) and
    check every API request."""
    app.config.setdefault("PASSWORD", os.environ.get("FLOWSTUDIO_PASSWORD"))
    app.config.setdefault("API_TOKEN", os.environ.get("FLOWSTUDIO_API_TOKEN"))
    app.config.setdefault("SESSION_IDLE_MINUTES", os.environ.get(IDLE_SETTING) or DEFAULT_IDLE_MINUTES)
    app.extensions["flowstudio.sessions"] = _Sessions(app, _idle(app.config["SESSION_IDLE_MINUTES"]))
    app.secret_key = app.config.get("SECRET_KEY") or os.environ.get("FLOWSTUDIO_SECRET_KEY") or _stored_secret(data_dir)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="flowstudio_session")
    app.before_request(_guard)
    app.register_blueprint(blueprint)


def login_required() -> bool:
    """Whether the API needs a login: off loopback, or whenever a password is set."""
    config = current_app.config
    return bool(config.get("PASSWORD")) or not is_loopback(config.get("LISTEN_HOST"))


@blueprint.get("/session")
def session_info():
    """What the editor needs to know before it shows anything: must it ask for a login?"""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    required = login_required()
    user = signed_in_user()
    return jsonify({"login_required": required, "authenticated": (not required) or bool(user),
                    "csrf": session["csrf"], "user": user,
                    "login_possible": bool(current_app.config.get("PASSWORD"))})


@blueprint.post("/login")
def login():
    """Check the password; on success the session cookie carries a new session's secret.
    Failed logins are counted per client and overall: past the limit, 429."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, 'send a JSON object: {"password": "...", "name": "your name"}', "body")
    password = current_app.config.get("PASSWORD")
    if not password:
        raise ApiError(403, "no FLOWSTUDIO_PASSWORD is configured on this server, so nobody can log in")
    sessions = _sessions()
    client = request.remote_addr or "unknown"
    wait = sessions.throttle.wait(client)
    if wait > 0:
        log.warning("login refused for %s: too many failed logins, retry in %d s", client, wait)
        response = errors.response(429, f"too many failed logins: try again in {int(wait) + 1} seconds")
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    given = body.get("password")
    if not same_secret(given, password):
        sessions.throttle.failed(client)
        log.warning("failed login from %s", client)
        raise ApiError(401, "wrong password", "password")
    name = body.get("name")
    user = name.strip()[:100] if isinstance(name, str) and name.strip() else "editor"
    old = session.get("sid")
    if old:
        sessions.store.end(old)
    session.clear()
    session.update(sid=sessions.store.create(user, sessions.fingerprint(), _now(), sessions.idle),
                   csrf=secrets.token_urlsafe(24))
    session.permanent = True
    g.flowstudio_user = user
    log.info("%s logged in from %s", user, client)
    return jsonify({"authenticated": True, "user": user, "csrf": session["csrf"]})


@blueprint.post("/logout")
def logout():
    """End the session, on the server too: its cookie no longer works anywhere."""
    sid = session.get("sid")
    if isinstance(sid, str):
        _sessions().store.end(sid)
    session.clear()
    return jsonify({"authenticated": False})


def signed_in_user() -> str | None:
    """The name of the person signed in with this request's session, or None (no
    session, logged out, expired, or the password changed since)."""
    if "flowstudio_user" not in g:
        sid = session.get("sid")
        sessions = _sessions()
        g.flowstudio_user = (sessions.store.user(sid, sessions.fingerprint(), _now(), sessions.idle)
                             if isinstance(sid, str) and current_app.config.get("PASSWORD") else None)
    return g.flowstudio_user


def current_user(default: str = "editor") -> str:
    """The logged-in person's name, for revision history."""
    return signed_in_user() or default


def _guard():
    """Refuse API requests without the right to make them (see module docstring)."""
    if not request.path.startswith("/api/") or request.endpoint in OPEN:
        return None
    bearer = bearer_ok()
    changing = request.method not in SAFE_METHODS and not bearer
    if changing:
        _check_same_origin()
    if not login_required() or bearer:
        return None
    if not current_app.config.get("PASSWORD") and not current_app.config.get("API_TOKEN"):
        raise ApiError(403, "this server listens beyond loopback: set FLOWSTUDIO_PASSWORD (for the editor) or "
                            "FLOWSTUDIO_API_TOKEN (for scripts) to use the API")
    if not signed_in_user():
        raise ApiError(401, "log in first")
    if changing and not request.headers.get("X-CSRF-Token"):
        raise ApiError(403, "missing X-CSRF-Token header (reload the page)")
    return None


def token_ok(given) -> bool:
    """Whether `given` is the configured FLOWSTUDIO_API_TOKEN (never when none is set)."""
    token = current_app.config.get("API_TOKEN")
    return bool(token) and same_secret(given, token)


def same_secret(given, expected: str) -> bool:
    """Whether `given` is the text `expected`, compared in constant time. As bytes:
    `hmac.compare_digest` raises TypeError for text holding anything but ASCII, and a
    header arrives as latin-1 text (`X-CSRF-Token: é` answered 500); "surrogatepass",
    so that no text given can make the encoding fail either."""
    return isinstance(given, str) and isinstance(expected, str) and hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def origin_ok(origin: str | None, hosts) -> bool:
    """Whether a request's `Origin` lets it in: none (not a page: scripts, test clients),
    or a page served from one of `hosts`; the opaque origin "null" never."""
    if not origin:
        return True
    try:
        return origin != "null" and urlsplit(origin).netloc in hosts
    except ValueError:   # not a URL at all ("http://[::1": urlsplit raises): no page of ours sent it
        return False


def bearer_ok() -> bool:
    """Whether the request carries `Authorization: Bearer <the API token>`. The scheme's
    name is case-insensitive (RFC 9110, 11.1): clients send `bearer` too."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    return scheme.lower() == "bearer" and token_ok(token.strip())


def _check_same_origin() -> None:
    """Refuse what a browser marks as cross-site, and a CSRF token that is not this
    session's (a signed-in session must send one: _guard)."""
    site = request.headers.get("Sec-Fetch-Site")
    if (site and site not in ("same-origin", "none")) or not origin_ok(request.headers.get("Origin"), {request.host}):
        raise ApiError(403, "cross-site request refused")
    token = request.headers.get("X-CSRF-Token")
    if token is not None and session.get("csrf") and request.cookies:
        if not same_secret(token, session["csrf"]):
            raise ApiError(403, "wrong X-CSRF-Token header (reload the page)")


class _Sessions:
    """What the login needs, one per app: the session table, the failed-login counts,
    the idle time."""

    def __init__(self, app: Flask, idle: timedelta):
        self.app, self.idle = app, idle
        self.throttle = LoginThrottle(lambda: LoginFailures(self._database()))
        self._store: WebSessions | None = None

    def _database(self):
        from .app import runtime   # the runtime is made after auth.setup runs
        return runtime(self.app).service.store

    @property
    def store(self) -> WebSessions:
        if self._store is None:
            self._store = WebSessions(self._database())
        return self._store

    def fingerprint(self) -> str:
        """Sessions remember which password they signed in with, as an HMAC keyed by the
        secret key (the password itself is stored nowhere)."""
        password = self.app.config.get("PASSWORD") or ""
        return hmac.new(str(self.app.secret_key).encode(), password.encode(), hashlib.sha256).hexdigest()


def _sessions() -> _Sessions:
    return current_app.extensions["flowstudio.sessions"]


def _idle(minutes) -> timedelta:
    try:
        value = float(minutes)
    except (TypeError, ValueError):
        value = 0
    if not value > 0:
        raise ValueError(f"{IDLE_SETTING} must be a number of minutes above 0, not {minutes!r}")
    return timedelta(minutes=value)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _stored_secret(data_dir: Path) -> str:
    """A random key made once and kept in the data folder, so logins survive restarts."""
    path = Path(data_dir) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:   # another process made it first
            return _stored_secret(data_dir)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key
