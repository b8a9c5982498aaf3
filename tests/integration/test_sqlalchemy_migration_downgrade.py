"""Downgrades keep the rows the revisions they step back to still have.

On SQLite a store turns foreign keys on for its engine's connections; a
downgrade that rebuilt a parent table (Alembic's batch mode copies it and
drops the old one) cascaded the drop to the children's rows: 0005's
dropped every session's resource rows and every series' schedule items,
and the sessions then no longer conflicted with anything.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from sessionkit import Recurrence, ResourceRef, ScheduleItem, SessionKit, WindowPolicy
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, alembic_config, drop_schema, upgrade
from sessionkit.adapters.sqlalchemy.rows import (
    schedule_items_table,
    series_table,
    session_resources_table,
    sessions_table,
)
from sessionkit.errors import SessionConflict
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TABLES = (sessions_table, session_resources_table, series_table, schedule_items_table)


def _counts(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return [
            connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in TABLES
        ]


def _in_room_r1(kit: SessionKit) -> None:
    """An extra session in room r1, tomorrow at NOW's time, for an hour."""
    start = NOW + timedelta(days=1)
    kit.sessions.create_extra(
        "acme",
        actor="a",
        start=start,
        end=start + timedelta(hours=1),
        resources=["room:r1"],
        lifecycle="lms",
    )


def test_stepping_down_past_the_groups_keeps_resources_and_schedule_items(
    fresh_engine: Engine,
) -> None:
    engine = fresh_engine
    drop_schema(engine)
    upgrade(engine)  # stamped by Alembic, as a migrated database is
    kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    _in_room_r1(kit)
    weekly = Recurrence.weekly(
        days=("FR",), at=time(9), duration=timedelta(hours=1), tz="UTC", start=date(2026, 3, 6)
    )
    kit.series.create(
        "acme",
        actor="a",
        title="Choir",
        items=[ScheduleItem("fri", weekly, (ResourceRef("room", "r2"),))],
        window=WindowPolicy(initial_months=1),
    )
    before = _counts(engine)
    assert before[2:] == [1, 1]
    assert before[0] == before[1] > 1  # the extra and the series' Fridays, one room each
    command.downgrade(alembic_config(engine), "0004_series_start_unique")
    assert _counts(engine) == before
    upgrade(engine)
    again = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    with pytest.raises(SessionConflict):  # the room's row is still there to conflict with
        _in_room_r1(again)
