"""Logins are sessions kept on the server: logout, a new password and idleness end
them; failed logins are limited (auth.py, adapters/websessions.py, throttle.py).

Before: the session cookie was the whole session, so a copy of it kept working after
POST /api/logout and after a restart with a new FLOWSTUDIO_PASSWORD, and 200 wrong
passwords were answered in 0.4 s."""
import shutil
import time
from datetime import datetime, timedelta, timezone

import pytest

from flowstudio.web.app import create_app, runtime
from flowstudio.adapters.loginfailures import LoginFailures
from flowstudio.web.throttle import PER_CLIENT, LoginThrottle

from .conftest import REPO


@pytest.fixture
def make_app(tmp_path):
    shutil.copytree(REPO / "flows", tmp_path / "flows")
    made = []

    def make(**config):
        app = create_app({"FLOWS_DIR": str(tmp_path / "flows"), "DATA_DIR": str(tmp_path / "data"),
                          "SCHEDULER": False, "LISTEN_HOST": "0.0.0.0", "SECRET_KEY": "k" * 32, **config})
        made.append(app)
        return app
    yield make
    for app in made:
        runtime(app).service.store.close()


def cookie_of(client) -> str:
    return client.get_cookie("flowstudio_session").value


def logged_in(app, password="s3cret"):
    client = app.test_client()
    assert client.post("/api/login", json={"password": password, "name": "Ana"}).status_code == 200
    return client


def test_a_copied_cookie_stops_working_after_logout(make_app):
    app = make_app(PASSWORD="s3cret")
    client = logged_in(app)
    stolen = app.test_client()
    stolen.set_cookie("flowstudio_session", cookie_of(client))
    assert stolen.get("/api/flows").status_code == 200
    assert client.post("/api/logout").status_code == 200
    assert stolen.get("/api/flows").status_code == 401
    assert stolen.get("/api/session").json["authenticated"] is False


def test_a_new_password_ends_every_session(make_app):
    client = logged_in(make_app(PASSWORD="s3cret"))
    cookie = cookie_of(client)
    restarted = make_app(PASSWORD="another passphrase").test_client()   # same database and secret key
    restarted.set_cookie("flowstudio_session", cookie)
    assert restarted.get("/api/flows").status_code == 401
    assert make_app(PASSWORD="s3cret").test_client().get("/api/flows").status_code == 401  # and it is gone


def test_an_idle_session_expires(make_app):
    app = make_app(PASSWORD="s3cret", SESSION_IDLE_MINUTES=0.01)   # 0.6 s
    client = logged_in(app)
    assert client.get("/api/flows").status_code == 200
    time.sleep(0.8)
    assert client.get("/api/flows").status_code == 401


def test_the_idle_setting_must_be_a_positive_number(make_app):
    with pytest.raises(ValueError, match="FLOWSTUDIO_SESSION_IDLE_MINUTES"):
        make_app(PASSWORD="s3cret", SESSION_IDLE_MINUTES="soon")


def test_failed_logins_are_limited_and_logged(make_app, caplog):
    app = make_app(PASSWORD="s3cret")
    client = app.test_client()
    answers = [client.post("/api/login", json={"password": f"guess{i}"}).status_code for i in range(PER_CLIENT + 3)]
    assert answers[:PER_CLIENT] == [401] * PER_CLIENT and answers[PER_CLIENT:] == [429] * 3
    refused = client.post("/api/login", json={"password": "s3cret"})   # even the right one, for now
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "too many failed logins" in refused.json["error"]["message"]
    assert sum(r.getMessage().startswith("failed login from") for r in caplog.records) == PER_CLIENT
    assert sum("too many failed logins" in r.getMessage() for r in caplog.records) == 4
    other = app.test_client()
    ok = other.post("/api/login", json={"password": "s3cret"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert ok.status_code == 200   # another client is not locked out


def test_the_throttle_forgets_after_its_window_and_limits_everyone_together(make_app):
    store = runtime(make_app()).service.store
    now = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    failures = LoginFailures(store)
    throttle = LoginThrottle(lambda: failures, window=60, per_client=3, overall=5, clock=lambda: now[0])
    for _ in range(3):
        throttle.failed("a")
    assert throttle.wait("a") == 60 and throttle.wait("b") == 0
    throttle.failed("b")
    throttle.failed("c")
    assert throttle.wait("d") == 60   # five failures in all: nobody may try
    now[0] += timedelta(seconds=61)
    assert throttle.wait("a") == 0 and throttle.wait("d") == 0
    throttle.failed("e")
    assert failures.count() == 1   # the window's older failures were deleted on the way


def test_failed_logins_count_across_every_process_of_the_database(make_app):
    """Before: each worker counted its own failures, so N workers gave a guesser N times
    the limit (two apps on one database are two workers' worth of counts)."""
    first, second = make_app(PASSWORD="s3cret"), make_app(PASSWORD="s3cret")
    half = PER_CLIENT // 2
    for i in range(half):
        assert first.test_client().post("/api/login", json={"password": f"a{i}"}).status_code == 401
    for i in range(PER_CLIENT - half):
        assert second.test_client().post("/api/login", json={"password": f"b{i}"}).status_code == 401
    for app in (first, second):
        assert app.test_client().post("/api/login", json={"password": "guess"}).status_code == 429


@pytest.mark.parametrize("body", ["[1]", '"x"', "1", "null", "{}"])
def test_a_login_body_that_is_not_an_object_is_400(make_app, body):
    r = make_app(PASSWORD="s3cret").test_client().post("/api/login", data=body, content_type="application/json")
    assert r.status_code in (400, 401) and r.status_code != 500
    if body != "{}":
        assert r.status_code == 400 and r.json["error"]["field"] == "body"
