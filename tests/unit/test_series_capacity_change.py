"""``change_schedule(capacity=)``: a series' seats changed from a cutoff on.

A series had no way to change its capacity: once the booking rules' ``max_capacity`` was
lowered below it, every top-up failed (reported on every tick) and every schedule change
was refused, and only closing the series got out. The change takes a capacity now: the
sessions it generates and the still-wanted ones it may update take it; a booked session
keeps its seats. Each case runs on memory and SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.policies import BookingRules
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, StoreMaker, kit_on, weekly

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
ITEM = weekly(17)


def rules_kit(uow: UnitOfWorkFactory, max_capacity: int | None) -> SessionKit:
    return kit_on(
        uow,
        NOW,
        prefix="x" if max_capacity is None else "y",
        booking_rules=BookingRules(max_capacity=max_capacity, lock_booked=False),
    )


@pytest.fixture(params=list(STORES.values()), ids=list(STORES))
def uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    store: StoreMaker = request.param
    return store(RecordingPublisher())


def test_a_series_over_lowered_rules_is_mended_by_a_change_of_capacity(
    uow: UnitOfWorkFactory,
) -> None:
    first = rules_kit(uow, None)
    series, made = first.series.create(
        T, actor="a", title="Circle", items=[ITEM], capacity=8, lifecycle="lms"
    )
    lessons = sorted(made.created, key=lambda s: s.start)
    booked = lessons[2]
    first.bookings.book(T, booked.id, "student:ben", actor="ben", confirm=True)
    later = rules_kit(uow, 5)  # the rules were lowered after the series was made
    stuck = later.series.top_up(T, actor="tick", now=NOW + timedelta(days=40))
    assert [f.series_id for f in stuck.failed] == [series.id]
    assert isinstance(stuck.failed[0].error, InvalidValue)

    report = later.series.change_schedule(T, series.id, actor="a", items=[ITEM], capacity=5)
    assert later.queries.get_series(T, series.id).capacity == 5
    seats = {s.id: s.capacity for s in later.queries.series_sessions(T, series.id)}
    assert seats[booked.id] == 8  # booked: it keeps its seats
    assert {n for i, n in seats.items() if i != booked.id} == {5}
    assert len(report.updated) == len(lessons) - 1
    assert later.series.top_up(T, actor="tick", now=NOW + timedelta(days=40)).failed == ()


def test_a_change_without_capacity_keeps_the_series_seats(uow: UnitOfWorkFactory) -> None:
    kit = rules_kit(uow, None)
    series, _ = kit.series.create(T, actor="a", title="Circle", items=[ITEM], capacity=3)
    kit.series.change_schedule(T, series.id, actor="a", items=[ITEM])
    assert kit.queries.get_series(T, series.id).capacity == 3
    assert {s.capacity for s in kit.queries.series_sessions(T, series.id)} == {3}


@pytest.mark.parametrize("capacity", [0, -1, "4", True])
def test_a_bad_capacity_is_refused_and_nothing_is_written(
    uow: UnitOfWorkFactory, capacity: object
) -> None:
    kit = rules_kit(uow, None)
    series, _ = kit.series.create(T, actor="a", title="Circle", items=[ITEM], capacity=3)
    with pytest.raises((InvalidValue, WrongType)) as refused:
        kit.series.change_schedule(T, series.id, actor="a", items=[ITEM], capacity=capacity)  # type: ignore[arg-type]
    assert getattr(refused.value, "value", None) == capacity
    assert kit.queries.get_series(T, series.id) == series
