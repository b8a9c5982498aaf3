"""A series keys its sessions by local start: two zones at one local time are refused, not lost.

Items at 18:00 in Berlin and at 18:00 in New York gave one occurrence key
(``2026-03-02T18:00``) to two instants; the second item's sessions were never
made, reported as skipped because the first's "exists". Now creating or
changing such a series is refused with ``InvalidValue`` naming both items,
and nothing is stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit import Recurrence, ScheduleItem
from sessionkit.errors import InvalidValue, LimitExceeded, SeriesNotFound
from sessionkit.testing.harness import Harness

T = "acme"


def _item(item_id: str, tz: str, at: time = time(18)) -> ScheduleItem:
    return ScheduleItem(
        id=item_id,
        recurrence=Recurrence.weekly(
            days=("MO",), at=at, duration=timedelta(hours=1), tz=tz, start=date(2026, 3, 2), count=3
        ),
    )


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(datetime(2026, 3, 1, tzinfo=UTC))


def test_two_zones_at_one_local_time_are_refused_naming_both_items(h: Harness) -> None:
    items = [_item("eu", "Europe/Berlin"), _item("us", "America/New_York")]
    with pytest.raises(InvalidValue) as refused:
        h.kit.series.create(T, actor="a", title="Online", items=items, series_id="online")
    assert refused.value.value == ("eu", "us")
    assert "2026-03-02T18:00:00" in str(refused.value)
    with pytest.raises(SeriesNotFound):
        h.kit.queries.get_series(T, "online")


def test_two_zones_at_one_instant_are_one_session_each_week(h: Harness) -> None:
    # Berlin and Paris share their offset: one occurrence, given twice, as before.
    items = [_item("de", "Europe/Berlin"), _item("fr", "Europe/Paris")]
    _, report = h.kit.series.create(T, actor="a", title="Choir", items=items)
    assert [s.start for s in report.created] == [
        datetime(2026, 3, d, 17, tzinfo=UTC) for d in (2, 9, 16)
    ]
    assert {s.schedule_item_id for s in report.created} == {"de"}


def test_a_change_that_would_collide_is_refused_and_changes_nothing(h: Harness) -> None:
    series, report = h.kit.series.create(
        T, actor="a", title="Online", items=[_item("eu", "Europe/Berlin")]
    )
    with pytest.raises(InvalidValue):
        h.kit.series.change_schedule(
            T,
            series.id,
            actor="a",
            items=[_item("eu", "Europe/Berlin"), _item("us", "America/New_York")],
        )
    assert h.kit.queries.get_series(T, series.id) == series
    assert [s.id for s in h.kit.queries.series_sessions(T, series.id)] == [
        s.id for s in report.created
    ]


def test_items_that_collide_only_in_summer_keep_topping_up() -> None:
    # Berlin and Lagos share UTC+1 in winter: created then, the series passes the check. A
    # top-up into Berlin's summer must not refuse the whole series (the review found the
    # check first ran at every top-up, and the series stopped generating): the colliding
    # occurrence is skipped as before.
    h = Harness.in_memory(datetime(2026, 1, 1, tzinfo=UTC))
    items = [
        ScheduleItem(
            id=item_id,
            recurrence=Recurrence.weekly(
                days=("MO",),
                at=time(18),
                duration=timedelta(hours=1),
                tz=tz,
                start=date(2026, 1, 5),
            ),
        )
        for item_id, tz in (("de", "Europe/Berlin"), ("ng", "Africa/Lagos"))
    ]
    series, _ = h.kit.series.create(T, actor="a", title="Choir", items=items)
    for month in (3, 4, 5, 6):
        report = h.kit.series.top_up(T, actor="t", now=datetime(2026, month, 1, tzinfo=UTC))
        assert report.failed == ()
    summer = [
        s
        for s in h.kit.queries.series_sessions(T, series.id)
        if s.start >= datetime(2026, 6, 1, tzinfo=UTC)
    ]
    assert summer != []
    assert {s.schedule_item_id for s in summer} == {"de"}  # Lagos' 18:00 shares Berlin's key


def _open(item_id: str, tz: str) -> ScheduleItem:
    return ScheduleItem(
        id=item_id,
        recurrence=Recurrence.weekly(
            days=("MO",), at=time(18), duration=timedelta(hours=1), tz=tz, start=date(2026, 3, 2)
        ),
    )


def test_a_change_effective_past_all_generated_is_checked_as_one_effective_now(
    h: Harness,
) -> None:
    # Its cutoff lies past the generated window: nothing to reconcile, and nothing was
    # checked. The next top-up made only Berlin's sessions, New York's skipped as "exists".
    series, _ = h.kit.series.create(
        T, actor="a", title="Online", items=[_open("eu", "Europe/Berlin")]
    )
    assert series.generated_until is not None
    later = series.generated_until + timedelta(days=30)
    with pytest.raises(InvalidValue) as refused:
        h.kit.series.change_schedule(
            T,
            series.id,
            actor="a",
            items=[_open("eu", "Europe/Berlin"), _open("us", "America/New_York")],
            effective_from=later,
        )
    assert refused.value.value == ("eu", "us")
    assert h.kit.queries.get_series(T, series.id) == series


def test_a_rule_too_dense_for_a_window_is_refused_however_far_its_cutoff(h: Harness) -> None:
    series, _ = h.kit.series.create(
        T, actor="a", title="Online", items=[_open("eu", "Europe/Berlin")]
    )
    assert series.generated_until is not None
    minutely = ScheduleItem(
        id="eu",
        recurrence=Recurrence.from_rrule(
            "FREQ=MINUTELY",
            start=datetime(2026, 3, 2, 18),
            duration=timedelta(seconds=30),
            tz="Europe/Berlin",
        ),
    )
    with pytest.raises(LimitExceeded):
        h.kit.series.change_schedule(
            T,
            series.id,
            actor="a",
            items=[minutely],
            effective_from=series.generated_until + timedelta(days=30),
        )
    assert h.kit.queries.get_series(T, series.id) == series


def test_one_item_giving_one_local_start_twice_is_refused_naming_it_once(h: Harness) -> None:
    # An RDATE at the second 01:30 of New York's fall-back night, beside the rule's 01:30:
    # the refusal named "schedule items 'sun' and 'sun'" and said to use two series.
    rec = Recurrence.from_rrule(
        "FREQ=WEEKLY;BYDAY=SU",
        start=datetime(2026, 10, 25, 1, 30),
        tz="America/New_York",
        duration=timedelta(minutes=30),
        rdates=[datetime(2026, 11, 1, 6, 30, tzinfo=UTC)],
    )
    h.clock.set(datetime(2026, 10, 20, tzinfo=UTC))
    with pytest.raises(InvalidValue) as refused:
        h.kit.series.create(
            T, actor="a", title="Night", items=[ScheduleItem("sun", rec)], series_id="night"
        )
    assert str(refused.value) == (
        "schedule item 'sun' (America/New_York) of series 'night' gives two occurrences at "
        "local 2026-11-01T01:30:00, at 2026-11-01T05:30:00+00:00 and 2026-11-01T06:30:00+00:00 "
        "(the clocks repeat that hour); a series keys its sessions by local start, so give one "
        "of them another time or its own series"
    )
    assert refused.value.value == ("sun", datetime(2026, 11, 1, 1, 30))
    with pytest.raises(SeriesNotFound):
        h.kit.queries.get_series(T, "night")
