"""Bulk inserts on SQLite: the driver's tuples store exactly what Core's executemany stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, create_engine, insert
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from sessionkit.adapters.sqlalchemy import create_schema
from sessionkit.adapters.sqlalchemy._inserts import insert_rows
from sessionkit.adapters.sqlalchemy._types import JSONValue, LocalDateTime, UTCDateTime
from sessionkit.adapters.sqlalchemy.mapping import resource_values, session_values
from sessionkit.adapters.sqlalchemy.rows import session_resources_table, sessions_table
from sessionkit.model.session import ResourceRef, Session
from sessionkit.timespan import TimeSpan

NINE = datetime(2026, 3, 29, 9, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def _session(number: int, start: datetime) -> Session:
    return Session(
        id=f"s-{number}",
        tenant="acme",
        title=f"Lesson {number}",
        span=TimeSpan(start, start + timedelta(minutes=45)),
        tz="Europe/Berlin",
        status="SCHEDULED",
        lifecycle="lms",
        busy=number % 2 == 0,
        created_at=NINE,
        created_by="ana",
        resources=(ResourceRef("teacher", f"t-{number % 3}"), ResourceRef("room", "r1")),
        series_id=f"series-{number}",
        schedule_item_id="main",
        occurrence_key=datetime(2026, 3, 29, 11) + timedelta(days=number),
        metadata={"grade": number} if number % 3 else None,
    )


def _stored(engine: Engine, table: Table) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa_select(table).order_by(*table.c))]


@pytest.fixture
def engines() -> tuple[Engine, Engine]:
    pair = (create_engine("sqlite://"), create_engine("sqlite://"))
    for engine in pair:
        create_schema(engine)
    return pair


def test_rows_stored_as_core_stores_them(engines: tuple[Engine, Engine]) -> None:
    # Repeated instants (created_at, a start shared by two sessions, spans repeated in
    # the resource rows) and an instant given in another zone all convert as Core does.
    starts = [NINE, NINE, NINE + timedelta(hours=1), (NINE + timedelta(hours=3)).astimezone(BERLIN)]
    sessions = [_session(number, start) for number, start in enumerate(starts)]
    tables = [
        (sessions_table, [session_values(s) for s in sessions]),
        (session_resources_table, [row for s in sessions for row in resource_values(s)]),
    ]
    fast, core = engines
    with OrmSession(fast) as db, db.begin():
        instants: dict[type, dict[Any, Any]] = {}
        for table, rows in tables:
            insert_rows(db, table, rows, instants)
    with core.begin() as connection:
        for table, rows in tables:
            connection.execute(insert(table), rows)
    for table, rows in tables:
        stored = _stored(fast, table)
        assert len(stored) == len(rows)
        assert stored == _stored(core, table)


def test_instants_in_other_zones_are_stored_in_utc(engines: tuple[Engine, Engine]) -> None:
    fast, _ = engines
    local = NINE.astimezone(BERLIN)
    with OrmSession(fast) as db, db.begin():
        insert_rows(db, sessions_table, [session_values(_session(1, local))])
    with fast.connect() as connection:
        start = connection.scalar(sa_select(sessions_table.c.start_at))
    assert start == NINE


def test_a_refused_row_raises_integrity_error(engines: tuple[Engine, Engine]) -> None:
    fast, _ = engines
    row = session_values(_session(1, NINE))
    with pytest.raises(IntegrityError), OrmSession(fast) as db, db.begin():
        insert_rows(db, sessions_table, [row, dict(row)])
    assert _stored(fast, sessions_table) == []


def test_columns_with_client_defaults_go_through_core() -> None:
    # Core fills in a client-side default the rows leave out; the fast path cannot.
    table = Table(
        "notes",
        MetaData(),
        Column("id", String(8), primary_key=True),
        Column("at", UTCDateTime()),
        Column("key", LocalDateTime()),
        Column("data", JSONValue),
        Column("rank", Integer, default=7),
    )
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    rows = [
        {"id": "a", "at": NINE, "key": datetime(2026, 1, 1, 9), "data": {"x": [1]}},
        {"id": "b", "at": NINE, "key": None, "data": None},
    ]
    with OrmSession(engine) as db, db.begin():
        insert_rows(db, table, rows)
    assert _stored(engine, table) == [
        ("a", NINE, datetime(2026, 1, 1, 9), {"x": [1]}, 7),
        ("b", NINE, None, None, 7),
    ]
