"""The hot path's statements (store._Raw) write what SQLAlchemy Core would write."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.dialects import sqlite

from flowstudio.adapters import schema
from flowstudio.adapters.store import _bind_processor


def test_datetimes_are_written_as_sqlalchemy_writes_them():
    dialect = sqlite.dialect()
    impl = schema.executions.c.updated_at.type.dialect_impl(dialect)
    theirs, ours = impl.bind_processor(dialect), _bind_processor(impl, dialect)
    assert ours is not theirs  # the fast one is in use
    values = [datetime(2026, 1, 5, 10, 0), datetime(2026, 1, 5, 10, 0, 0, 7, tzinfo=timezone.utc),
              datetime(5, 2, 3, 4, 5, 6, 999999), datetime(9999, 12, 31, 23, 59, 59, 123456),
              datetime(2026, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=-5))), date(2026, 1, 5), None]
    for value in values:
        assert ours(value) == theirs(value), value


def test_other_types_keep_sqlalchemys_processor():
    dialect = sqlite.dialect()
    impl = schema.executions.c.state.type.dialect_impl(dialect)
    assert _bind_processor(impl, dialect)({"a": [1]}) == impl.bind_processor(dialect)({"a": [1]})
