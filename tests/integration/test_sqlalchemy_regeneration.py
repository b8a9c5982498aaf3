"""A regeneration that fails halfway leaves the database exactly as it was.

A schedule change deletes obsolete sessions, updates kept ones and inserts new
ones in one unit of work. Here the insert of the new sessions fails after the
deletes and updates have already been sent to the database; every table must
read as before. Runs on a SQLite file always and on PostgreSQL when
``SESSIONKIT_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, select

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema, metadata
from sessionkit.adapters.sqlalchemy.testing import clear_tables, postgres_schema
from sessionkit.model import ResourceRef, ScheduleItem
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
NOW = datetime(2026, 3, 2, 7, tzinfo=UTC)
ANA = ResourceRef("teacher", "ana")


def weekly(days: tuple[str, ...], hour: int) -> Recurrence:
    return Recurrence.weekly(
        days=days,
        at=time(hour),
        duration=timedelta(minutes=90),
        tz="Europe/Berlin",
        start=date(2026, 3, 1),
    )


@pytest.fixture(params=["sqlite-file", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        if not POSTGRES_URL:
            pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run this on PostgreSQL")
        with postgres_schema(POSTGRES_URL) as shared:
            clear_tables(shared)
            yield shared
        return
    file_engine = create_engine(f"sqlite:///{tmp_path / 'regen.db'}")
    create_schema(file_engine)
    yield file_engine
    file_engine.dispose()


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: sorted(tuple(row) for row in connection.execute(select(table)))
            for table in metadata.sorted_tables
        }


def test_a_schedule_change_that_fails_halfway_changes_nothing(engine: Engine) -> None:
    events = RecordingPublisher()
    store = SqlAlchemyStore(engine, publisher=events)
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))
    series, created = kit.series.create(
        "acme",
        actor="admin",
        title="Chemistry",
        items=[ScheduleItem("slot", weekly(("MO", "WE"), 18), [ANA])],
        series_id="chem",
    )
    assert len(created.created) == 18
    before = snapshot(engine)
    events.clear()
    sent: list[str] = []

    def fail_on_new_sessions(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement.split()[0])
        if statement.startswith("INSERT INTO sessionkit_sessions"):
            raise RuntimeError("power cut during the insert")

    event.listen(engine, "before_cursor_execute", fail_on_new_sessions)
    try:
        with pytest.raises(RuntimeError, match="power cut"):
            # Wednesdays go (deleted), Mondays stay but get longer (updated), Thursdays come.
            kit.series.change_schedule(
                "acme",
                series.id,
                actor="admin",
                items=[
                    ScheduleItem("slot", weekly(("MO",), 18), [ANA]),
                    ScheduleItem("thu", weekly(("TH",), 17), [ANA]),
                ],
            )
    finally:
        event.remove(engine, "before_cursor_execute", fail_on_new_sessions)
    # The deletes went out before the failing insert: the failure really was halfway.
    assert "DELETE" in sent
    assert snapshot(engine) == before
    assert events.events == []
    # And the same change goes through once the failure is gone.
    report = kit.series.change_schedule(
        "acme",
        series.id,
        actor="admin",
        items=[
            ScheduleItem("slot", weekly(("MO",), 18), [ANA]),
            ScheduleItem("thu", weekly(("TH",), 17), [ANA]),
        ],
    )
    assert (len(report.deleted), len(report.created)) == (9, 9)
