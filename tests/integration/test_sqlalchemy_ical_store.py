"""store_ical on every store: a calendar is stored whole, or nothing of it on an error.

PostgreSQL and MariaDB run when SESSIONKIT_TEST_POSTGRES_URL / SESSIONKIT_TEST_MYSQL_URL are
set, each in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema
from sessionkit.contrib.ical import export_series, read_ical, store_ical
from sessionkit.errors import SeriesNotFound, SessionConflict
from sessionkit.testing.clocks import ManualClock

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")
NOW = datetime(2026, 3, 1, 8, tzinfo=UTC)

CALENDAR = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "BEGIN:VEVENT",
        "UID:yoga",
        "SUMMARY:Yoga",
        "DTSTART;TZID=Europe/Berlin:20260316T180000",
        "DURATION:PT1H",
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "RRULE:FREQ=WEEKLY;COUNT=2;BYDAY=WE",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:yoga",
        "RECURRENCE-ID;TZID=Europe/Berlin:20260323T180000",
        "DTSTART;TZID=Europe/Berlin:20260324T190000",
        "DURATION:PT1H",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:talk",
        "RELATED-TO:yoga",
        "DTSTART:20260401T100000Z",
        "DTEND:20260401T110000Z",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)


def _maybe(url: str | None, make: Any) -> AbstractContextManager[Any]:
    return make(url) if url else nullcontext(None)


@pytest.fixture(scope="module")
def server_engines() -> Iterator[dict[str, Any]]:
    with _maybe(POSTGRES_URL, postgres_schema) as pg, _maybe(MYSQL_URL, mysql_database) as my:
        yield {"postgres": pg, "mysql": my}


@pytest.fixture(params=["memory", "sqlite", "postgres", "mysql"])
def kit(request: pytest.FixtureRequest, server_engines: dict[str, Any]) -> SessionKit:
    if request.param == "memory":
        store: Any = InMemoryStore()
    elif request.param == "sqlite":
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        create_schema(engine)
        store = SqlAlchemyStore(engine)
    else:
        engine = server_engines[request.param]
        if engine is None:
            pytest.skip(f"set SESSIONKIT_TEST_{request.param.upper()}_URL")
        clear_tables(engine)
        store = SqlAlchemyStore(engine)
    counter = itertools.count(1)
    return SessionKit(
        uow=store.unit_of_work, clock=ManualClock(NOW), ids=lambda: f"s{next(counter)}"
    )


def test_a_calendar_is_stored_whole_and_exports_back(kit: SessionKit) -> None:
    cal = read_ical(CALENDAR)
    stored = store_ical(kit, "acme", cal, actor="admin", resources=["room:studio"])
    series = stored.series["yoga"]
    sessions = kit.queries.list("acme").items
    assert [(s.start.isoformat(), s.detached, s.is_extra) for s in sessions] == [
        ("2026-03-16T17:00:00+00:00", False, False),
        ("2026-03-18T17:00:00+00:00", False, False),
        ("2026-03-24T18:00:00+00:00", True, False),
        ("2026-03-25T17:00:00+00:00", False, False),
        ("2026-03-30T16:00:00+00:00", False, False),
        ("2026-04-01T10:00:00+00:00", False, True),
        ("2026-04-06T16:00:00+00:00", False, False),
    ]
    back = read_ical(export_series(kit.queries.get_series("acme", series.id), sessions))
    assert [o.span.start for o in back.occurrences()] == [s.start for s in sessions]


def test_a_conflicting_extra_leaves_nothing_stored(kit: SessionKit) -> None:
    kit.sessions.create_extra(
        "acme",
        actor="admin",
        lifecycle="lms",
        start=datetime(2026, 4, 1, 9, 30, tzinfo=UTC),
        end=datetime(2026, 4, 1, 10, 30, tzinfo=UTC),
        resources=["room:studio"],
    )
    with pytest.raises(SessionConflict):
        store_ical(kit, "acme", read_ical(CALENDAR), actor="admin", resources=["room:studio"])
    assert kit.queries.list("acme").total == 1
    with pytest.raises(SeriesNotFound):  # the series' id was the next one after the extra's
        kit.queries.get_series("acme", "s2")
