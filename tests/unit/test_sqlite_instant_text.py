"""The SQLite bulk insert's quick instant conversion writes what SQLAlchemy's processor writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from sessionkit.adapters.sqlalchemy._inserts import Processor, _sqlite_instant
from sessionkit.adapters.sqlalchemy._types import LocalDateTime, UTCDateTime

DIALECT = sqlite.dialect()


def _processor(column_type: UTCDateTime | LocalDateTime) -> Processor:
    process = column_type.dialect_impl(DIALECT).bind_processor(DIALECT)
    assert process is not None
    return process


UTC_PROCESS = _processor(UTCDateTime())
LOCAL_PROCESS = _processor(LocalDateTime())
QUICK_UTC = _sqlite_instant(UTC_PROCESS, UTC)
QUICK_LOCAL = _sqlite_instant(LOCAL_PROCESS, None)


@given(st.datetimes(timezones=st.just(UTC)))
def test_utc_instants_convert_as_sqlalchemy_does(value: datetime) -> None:
    assert QUICK_UTC(value) == UTC_PROCESS(value)


@given(st.datetimes())
def test_naive_keys_convert_as_sqlalchemy_does(value: datetime) -> None:
    assert QUICK_LOCAL(value) == LOCAL_PROCESS(value)


def test_examples() -> None:
    assert QUICK_UTC(datetime(2026, 3, 2, 8, 30, tzinfo=UTC)) == "2026-03-02 08:30:00.000000"
    assert QUICK_UTC(datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == "0999-01-02 03:04:05.000006"
    assert QUICK_LOCAL(datetime(2026, 3, 29, 2, 30)) == "2026-03-29 02:30:00.000000"


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        None,
    ],
)
def test_other_values_go_through_the_column_processor(value: datetime | None) -> None:
    assert QUICK_UTC(value) == UTC_PROCESS(value)
    if value is not None:
        assert QUICK_UTC(value) == "2026-03-02 08:30:00.000000"


def test_naive_instants_are_still_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        QUICK_UTC(datetime(2026, 3, 2, 8, 30))
