"""The access log's line (flowstudio/gunicorn_log.py) is gunicorn's own, byte for byte,
on the fast path (default format to standard output) and off it."""
import datetime
import io
import sys

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from flowstudio.gunicorn_log import AccessLogger


class Resp:
    status = "200 OK"
    sent = 305
    headers = [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", "305")]


class Req:
    headers = [("HOST", "127.0.0.1:5000"), ("USER-AGENT", "TwilioProxy/1.1"), ("X-TWILIO-SIGNATURE", "abc=")]


ENVIRON = {"REMOTE_ADDR": "10.0.0.7", "REQUEST_METHOD": "POST", "RAW_URI": "/webhooks/demo?x=1",
           "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": "/webhooks/demo", "QUERY_STRING": "x=1",
           "HTTP_USER_AGENT": "TwilioProxy/1.1", "HTTP_AUTHORIZATION": "Basic dXNlcjpwdw==",
           "HTTP_X_TWILIO_SIGNATURE": "abc=", "wsgi.url_scheme": "http"}


def lines(logger_class, monkeypatch, **settings) -> tuple[str, Logger]:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    cfg = Config()
    cfg.set("accesslog", "-")
    for key, value in settings.items():
        cfg.set(key, value)
    logger = logger_class(cfg)
    for _ in range(3):
        logger.access(Resp(), Req(), dict(ENVIRON), datetime.timedelta(seconds=1, microseconds=2345))
    return out.getvalue(), logger


@pytest.mark.parametrize("settings", [
    {},   # gunicorn's default format: the fast path
    {"access_log_format": '%(h)s %(u)s "%(r)s" %(s)s %(b)s %(L)s %(p)s'},
    {"access_log_format": '%(h)s "%({user-agent}i)s" %({content-type}o)s %({wsgi.url_scheme}e)s'},   # gunicorn's path
])
def test_the_line_is_gunicorns_own(monkeypatch, settings):
    for _ in range(3):   # the time stamps of both must fall in one second
        ours, logger = lines(AccessLogger, monkeypatch, **settings)
        theirs, _ = lines(Logger, monkeypatch, **settings)
        if ours == theirs:
            break
    assert ours == theirs and ours.count("\n") == 3 and "10.0.0.7" in ours
    assert (logger._direct is not None) is True   # written straight to the stream


def test_off_the_fast_path_when_logging_is_configured_elsewhere(monkeypatch, tmp_path):
    _, logger = lines(AccessLogger, monkeypatch, accesslog=str(tmp_path / "access.log"))
    assert logger._direct is None
    assert (tmp_path / "access.log").read_text().count("10.0.0.7") == 3
