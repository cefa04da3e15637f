"""Settings, the default SQLite file, and the background scheduler."""
import time
from datetime import timedelta

import pytest

from flowstudio.config import Settings, open_store
from flowstudio.conversation import Conversation, FakeClock, MockHttp
from flowstudio.repository import FlowRepository
from flowstudio.scheduler import Scheduler
from flowstudio.service import FlowService

from .conftest import REPO


def test_default_database_is_a_file_in_the_data_folder_created_on_first_run(tmp_path):
    settings = Settings.from_env({"FLOWSTUDIO_DATA_DIR": str(tmp_path / "data")})
    assert not (tmp_path / "data").exists()
    store = open_store(settings)
    assert (tmp_path / "data" / "flowstudio.db").is_file()
    assert store.count() == 0
    store.close()


def test_database_url_and_expiry_come_from_the_environment(tmp_path):
    settings = Settings.from_env({"FLOWSTUDIO_DATABASE_URL": "postgresql+psycopg://h/db",
                                  "FLOWSTUDIO_EXECUTION_EXPIRY_DAYS": "7", "FLOWSTUDIO_FLOWS_DIR": "x"})
    assert (settings.url, settings.expiry, str(settings.flows_dir)) == ("postgresql+psycopg://h/db",
                                                                        timedelta(days=7), "x")
    with pytest.raises(ValueError, match="must be a number of days"):
        Settings.from_env({"FLOWSTUDIO_EXECUTION_EXPIRY_DAYS": "soon"})


def test_scheduler_fires_timeouts_in_the_background(tmp_path):
    store = open_store(Settings(data_dir=tmp_path))
    clock = FakeClock()
    service = FlowService(store, FlowRepository(REPO / "flows", store, clock), clock=clock, http=MockHttp())
    talk = Conversation(service, "appointment-confirmation")
    talk.send("hi")
    scheduler = Scheduler(service, interval=0.01).start()
    try:
        time.sleep(0.05)
        assert scheduler.fired == 0  # not due yet
        clock.advance(3600)
        deadline = time.monotonic() + 5
        while scheduler.fired == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert scheduler.fired == 1
    finally:
        scheduler.stop()
    row = store.execution(talk.execution_id)
    assert row.waiting_widget == "send_reminder"
    store.close()
