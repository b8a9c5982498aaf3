"""Migration 0003: the backfill of ``long_span`` marks exactly the rows longer than a day.

A row marked short that is longer than a day is missed by the conflict check,
which reads short rows from a day before the asked start only. SQLite always;
PostgreSQL and MySQL/MariaDB when their URLs are set.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from sessionkit.adapters.sqlalchemy import drop_schema, upgrade
from sessionkit.adapters.sqlalchemy.mapping import resource_values, session_values
from sessionkit.adapters.sqlalchemy.rows import session_resources_table, sessions_table
from sessionkit.testing.contract import T0, make_session
from sessionkit.timespan import TimeSpan

US = timedelta(microseconds=1)
DAY = timedelta(days=1)
SPANS: dict[str, tuple[datetime, datetime]] = {
    # SQLite's strftime('%s') rounds to the millisecond: a start at .9996 s read a second
    # late, so 1 day and 400 us made exactly 86,400 s and the row was marked short.
    "rounded-up start": (T0 + 999_600 * US, T0 + 999_600 * US + DAY + 400 * US),
    "a day exactly, late fraction": (T0 + 999_600 * US, T0 + 999_600 * US + DAY),
    "a day less 1 us": (T0 + 999_999 * US, T0 + 999_999 * US + DAY - US),
    "a day and 1 us": (T0, T0 + DAY + US),
    "rounded-up end": (T0 + 400 * US, T0 + 400 * US + DAY + 999_200 * US),
    "two days": (T0, T0 + 2 * DAY),
}


@pytest.fixture
def engine(fresh_engine: Engine) -> Engine:
    return fresh_engine


def _before(row: dict[str, Any]) -> dict[str, Any]:
    """A row as revision 0002 had it: without the columns later revisions add."""
    return {k: v for k, v in row.items() if k not in ("group_key", "title_folded", "long_span")}


def test_the_backfill_marks_exactly_the_rows_longer_than_a_day(engine: Engine) -> None:
    drop_schema(engine)
    upgrade(engine, "0002_series_order_index")
    sessions = [
        attrs.evolve(
            make_session(name.replace(" ", "-"), resources=[f"room:r{n}"]),  # apart: no clash
            span=TimeSpan(start, end),
        )
        for n, (name, (start, end)) in enumerate(SPANS.items())
    ]
    with engine.begin() as connection:
        connection.execute(
            sa.insert(sessions_table), [_before(session_values(s)) for s in sessions]
        )
        connection.execute(
            sa.insert(session_resources_table),
            [_before(row) for s in sessions for row in resource_values(s)],
        )
    upgrade(engine, "0003_long_span")
    table = session_resources_table
    with engine.connect() as connection:
        rows = connection.execute(sa.select(table.c.session_id, table.c.long_span)).all()
    marked = {session_id: bool(long_span) for session_id, long_span in rows}
    expected = {name.replace(" ", "-"): end - start > DAY for name, (start, end) in SPANS.items()}
    assert marked == expected


def test_0003_stopped_midway_is_finished_by_running_it_again(engine: Engine) -> None:
    drop_schema(engine)
    upgrade(engine, "0002_series_order_index")
    sessions = [
        attrs.evolve(make_session(f"s{n}", resources=[f"room:r{n}"]), span=TimeSpan(start, end))
        for n, (start, end) in enumerate(SPANS.values())
    ]
    with engine.begin() as connection:
        connection.execute(
            sa.insert(sessions_table), [_before(session_values(s)) for s in sessions]
        )
        connection.execute(
            sa.insert(session_resources_table),
            [_before(row) for s in sessions for row in resource_values(s)],
        )
    # What a run stopped after its first statements left on MySQL/MariaDB, each committed on
    # its own: the column (not backfilled) and one of the two indexes, the revision still 0002.
    table = session_resources_table
    with engine.begin() as connection:
        kind = sa.Boolean().compile(dialect=connection.dialect)
        connection.execute(
            sa.text(f"ALTER TABLE {table.name} ADD long_span {kind} DEFAULT false NOT NULL")
        )
        connection.execute(
            sa.text(
                f"CREATE INDEX ix_sessionkit_session_resources_by_start ON {table.name} "
                "(tenant, resource, long_span, start_at)"
            )
        )

    upgrade(engine)  # failed: duplicate column long_span, at every later run too

    with engine.connect() as connection:
        rows = connection.execute(sa.select(table.c.session_id, table.c.long_span)).all()
    expected = {f"s{n}": end - start > DAY for n, (start, end) in enumerate(SPANS.values())}
    assert {session_id: bool(long_span) for session_id, long_span in rows} == expected
    indexes = {index["name"] for index in sa.inspect(engine).get_indexes(table.name)}
    assert {
        "ix_sessionkit_session_resources_by_start",
        "ix_sessionkit_session_resources_by_end",
    } <= indexes
    assert "ix_sessionkit_session_resources_tenant_resource_end_at_start_at" not in indexes
