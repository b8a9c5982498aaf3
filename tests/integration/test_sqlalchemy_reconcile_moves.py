"""Schedule changes that move sessions onto each other's starts, alike on every store.

Occurrences match by their wall-clock key, so changing an item's zone moves
its sessions. Two back-to-back items (ana at 9:00 UTC, ben at 10:00 UTC on
Tuesdays) changed together: to Berlin, ben's session moves onto the start
ana's just left; to the Azores, ana's moves onto the start ben's is leaving;
ana to the Azores and ben to Berlin would swap starts. A series keeps one
session per start (unique in the SQL stores), so a move waits for the start
it needs to be freed, and moves that could only swap are kept where they are.
The SQL stores build a new object per read, which the in-memory one does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.model import ResourceRef, ScheduleItem, WindowPolicy
from sessionkit.model.query import SessionQuery
from sessionkit.recurrence import Recurrence
from sessionkit.services import ReconcileReport, SessionKit
from sessionkit.testing.clocks import ManualClock

T = "acme"
NOW = datetime(2026, 3, 2, 6, tzinfo=UTC)  # a Monday
ANA, BEN = ResourceRef("teacher", "ana"), ResourceRef("teacher", "ben")
TUESDAYS = [3, 10, 17, 24, 31]
"""The Tuesdays of the first month: Berlin and the Azores change clocks on 29 March."""


def tuesdays(hour: int, zone: str) -> Recurrence:
    return Recurrence.weekly(
        days=("TU",), at=time(hour), duration=timedelta(hours=1), tz=zone, start=date(2026, 3, 1)
    )


@pytest.fixture
def kit(every_store: Engine | None) -> Iterator[SessionKit]:
    if every_store is None:
        yield SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW))
        return
    clear_tables(every_store)
    yield SessionKit(uow=SqlAlchemyStore(every_store).unit_of_work, clock=ManualClock(NOW))


def change(kit: SessionKit, ana_zone: str, ben_zone: str) -> ReconcileReport:
    """Make the back-to-back series, then move its two items to the zones given."""
    series, _ = kit.series.create(
        T,
        actor="u",
        title="Labs",
        items=[
            ScheduleItem("ana", tuesdays(9, "UTC"), [ANA]),
            ScheduleItem("ben", tuesdays(10, "UTC"), [BEN]),
        ],
        window=WindowPolicy(initial_months=1),
    )
    return kit.series.change_schedule(
        T,
        series.id,
        actor="u",
        items=[
            ScheduleItem("ana", tuesdays(9, ana_zone), [ANA]),
            ScheduleItem("ben", tuesdays(10, ben_zone), [BEN]),
        ],
    )


def stored(kit: SessionKit) -> list[tuple[int, int, str, str]]:
    """Each session as (day, UTC hour, item, zone), by start."""
    page = kit.queries.list(T, SessionQuery(limit=100))
    return [(s.start.day, s.start.hour, s.schedule_item_id or "", s.tz) for s in page.items]


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_a_move_onto_the_start_another_just_left(kit: SessionKit) -> None:
    report = change(kit, "Europe/Berlin", "Europe/Berlin")
    assert (len(report.updated), report.skipped, report.created) == (10, (), ())
    summer = {31}
    assert stored(kit) == sorted(
        (day, hour - (2 if day in summer else 1), item, "Europe/Berlin")
        for day in TUESDAYS
        for hour, item in ((9, "ana"), (10, "ben"))
    )


def test_a_move_onto_the_start_another_is_leaving(kit: SessionKit) -> None:
    report = change(kit, "Atlantic/Azores", "Atlantic/Azores")
    assert (len(report.updated), report.skipped, report.created) == (10, (), ())
    summer = {31}  # the Azores are on UTC then: the start stays, the zone changes
    assert stored(kit) == sorted(
        (day, hour + (0 if day in summer else 1), item, "Atlantic/Azores")
        for day in TUESDAYS
        for hour, item in ((9, "ana"), (10, "ben"))
    )


def test_moves_that_would_swap_starts_stay_where_they_are(kit: SessionKit) -> None:
    report = change(kit, "Atlantic/Azores", "Europe/Berlin")
    swapped = [
        (s.span.start, s.item_id, s.reason, s.blocking.schedule_item_id) for s in report.skipped
    ]
    assert swapped == [
        (at(day, hour), item, "exists", other)
        for day in TUESDAYS[:4]
        for hour, item, other in ((10, "ana", "ben"), (9, "ben", "ana"))
    ]
    assert stored(kit) == sorted(
        [(day, 9, "ana", "UTC") for day in TUESDAYS[:4]]
        + [(day, 10, "ben", "UTC") for day in TUESDAYS[:4]]
        + [(31, 9, "ana", "Atlantic/Azores"), (31, 8, "ben", "Europe/Berlin")]
    )
    assert len(report.updated) == 2
