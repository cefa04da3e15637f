"""Schema migrations (flowstudio/adapters/migrate.py) on SQLite and PostgreSQL: they make
exactly the tables of schema.py, old databases are adopted, a process refuses a shared
database that is behind, and several processes upgrading at once apply each revision once."""
import threading
import uuid
from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import String, Text, insert, inspect

from flowstudio.adapters import migrate
from flowstudio.adapters import schema as t
from flowstudio.adapters.store import Store
from flowstudio.cli import main
from flowstudio.config import Settings, open_store

from ..conftest import PG_ADMIN, _pg_admin_connect

OURS = set(t.metadata.tables)


@pytest.fixture
def empty_pg():
    """A new, empty PostgreSQL database for one test (dropped afterwards)."""
    try:
        admin = _pg_admin_connect()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN}: {exc}")
    name = f"flowstudio_m_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """An empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'flowstudio.db'}"
    return request.getfixturevalue("empty_pg")


def _compare_type(context, _inspected_column, _metadata_column, inspected, metadata):
    """Alembic's type comparison, except a VARCHAR's length on SQLite: SQLite does not
    enforce it, and migration 0007 leaves it there (a table rebuild would copy every
    execution)."""
    if context.dialect.name == "sqlite" and all(isinstance(x, String) and not isinstance(x, Text)
                                                 for x in (inspected, metadata)):
        return False
    return None


def differences(store: Store) -> list:
    """What Alembic's autogenerate finds different between the database and schema.py."""
    with store.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": _compare_type}), t.metadata)


def tables(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def test_the_migrations_make_exactly_the_tables_of_schema_py(empty_url):
    store = Store(empty_url)
    try:
        assert migrate.current(store) is None
        assert migrate.upgrade(store) == (None, migrate.head())
        assert differences(store) == []
        assert tables(store) == OURS | {"alembic_version"}
        assert migrate.upgrade(store) == (migrate.head(), migrate.head())  # nothing left to do
        migrate.check(store)
    finally:
        store.close()


def test_create_schema_goes_through_the_migrations(empty_url):
    store = Store(empty_url)
    try:
        store.create_schema()
        assert migrate.current(store) == migrate.head() and differences(store) == []
    finally:
        store.close()


def test_down_to_nothing_and_up_again(empty_url):
    store = Store(empty_url)
    try:
        migrate.upgrade(store)
        with migrate.migrating(store) as conn:
            from alembic import command
            command.downgrade(migrate.config(conn), "base")
        assert tables(store) - {"alembic_version"} == set()
        migrate.upgrade(store)
        assert differences(store) == []
    finally:
        store.close()


def _legacy(store: Store) -> None:
    """What `create_schema` made before migrations: `metadata.create_all`, before the
    drafts table existed; and one execution in it."""
    t.metadata.create_all(store.engine, tables=[t.revisions, t.executions, t.turns, t.outbox])
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_executions_ended")  # added by revision 0005, long after
        conn.execute(insert(t.executions).values(
            id="FNold", flow_id="f", revision_id="f@1", session_key="+1", contact="+1", flow_address="+2",
            channel="sms", status="active", expires_at=now, state={}, version=1, created_at=now, updated_at=now))


def test_an_embedded_database_made_before_migrations_is_adopted_at_start(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    old = Store(f"sqlite:///{(data / 'flowstudio.db').resolve()}")
    _legacy(old)
    old.close()

    store = open_store(Settings(data_dir=data))
    try:
        assert migrate.current(store) == migrate.head()
        assert differences(store) == []
        assert store.execution("FNold").status == "active"  # kept
    finally:
        store.close()


def test_a_shared_database_behind_is_refused_at_start_until_db_upgrade(empty_pg):
    old = Store(empty_pg)
    _legacy(old)
    old.close()
    settings = Settings(database_url=empty_pg)
    with pytest.raises(migrate.SchemaOutOfDate) as refused:
        open_store(settings)
    assert str(refused.value) == (f"database schema is at none (tables made before migrations), this version "
                                  f"needs {migrate.head()}: run `flowstudio db upgrade`")

    runner = CliRunner()
    result = runner.invoke(main, ["db", "current", "--database-url", empty_pg])
    assert result.exit_code == 1 and f"at none, this version needs {migrate.head()}" in result.output
    result = runner.invoke(main, ["db", "upgrade", "--database-url", empty_pg])
    assert result.exit_code == 0, result.output
    assert f"upgraded from an empty schema to {migrate.head()}" in result.output
    result = runner.invoke(main, ["db", "current", "--database-url", empty_pg])
    assert result.exit_code == 0 and "(up to date)" in result.output

    store = open_store(settings)
    try:
        assert store.execution("FNold").status == "active" and differences(store) == []
    finally:
        store.close()


def test_a_shared_database_at_an_unknown_revision_is_refused(empty_pg):
    store = Store(empty_pg)
    migrate.upgrade(store)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00d'")
    store.close()
    with pytest.raises(migrate.SchemaOutOfDate, match="at f00d, which this version of FlowStudio does not know"):
        open_store(Settings(database_url=empty_pg))


def test_an_empty_shared_database_is_set_up_at_start(empty_pg):
    store = open_store(Settings(database_url=empty_pg))
    try:
        assert migrate.current(store) == migrate.head() and differences(store) == []
    finally:
        store.close()


def test_processes_starting_together_on_an_empty_database_upgrade_it_once(empty_url):
    """Eight stores (each its own engines and connections, as separate processes have)
    open one empty database at the same moment."""
    barrier, outcomes, errors = threading.Barrier(8), [], []

    def start():
        store = Store(empty_url)
        try:
            barrier.wait(10)
            outcomes.append(migrate.upgrade(store))
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=start) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert errors == []
    assert sorted(outcomes, key=str) == sorted([(None, migrate.head())] + [(migrate.head(), migrate.head())] * 7,
                                               key=str)
