"""A request cannot write lines of its own into the server's log (flowstudio/logsafe.py)."""
import logging
import shutil

from flowstudio.web.app import create_app, runtime

from .conftest import REPO

FORGED = "2026-12-03 10:00:00 INFO flowstudio.auth: admin logged in from 10.0.0.1"


def test_a_refused_webhooks_path_is_logged_on_one_line_with_its_escapes_shown(tmp_path, caplog):
    flows = tmp_path / "flows"
    shutil.copytree(REPO / "flows", flows)
    app = create_app({"FLOWS_DIR": str(flows), "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": None,
                      "SCHEDULER": False, "LISTEN_HOST": "127.0.0.1", "TWILIO_AUTH_TOKEN": "secret"})
    try:
        with caplog.at_level(logging.WARNING, logger="flowstudio"):
            r = app.test_client().post(f"/webhooks/keyword-router%0a{FORGED}%1b[2K", data={"MessageSid": "SM1"})
        assert r.status_code == 403
        [line] = [rec.getMessage() for rec in caplog.records if "refused webhook" in rec.getMessage()]
        assert "\n" not in line and "\x1b" not in line
        assert f"keyword-router\\x0a{FORGED}\\x1b[2K" in line
    finally:
        runtime(app).service.store.close()
