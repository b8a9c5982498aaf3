"""A schedule change does not bring back an occurrence a kept session still stands for.

A weekly class at 17:00 whose 9 March lesson was cancelled (a holiday), or
moved by hand to the Tuesday, then moves to 18:00: the kept session was
reported as an orphan, but the reconcile also made a new session at 18:00
on 9 March, so the holiday had a class again, or that week two. The
occurrence of the same item on the kept session's local day is now skipped
(``"exists"``, held by the kept session), as generation skips any occurrence
already held.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit import Recurrence, ScheduleItem
from sessionkit.testing.harness import Harness

T = "acme"
BERLIN = "Europe/Berlin"


def _weekly(at: time, days: tuple[str, ...] = ("MO",)) -> ScheduleItem:
    return ScheduleItem(
        id="class",
        recurrence=Recurrence.weekly(
            days=days,
            at=at,
            duration=timedelta(hours=1),
            tz=BERLIN,
            start=date(2026, 3, 2),
            count=4,
        ),
    )


def _utc(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(datetime(2026, 3, 1, tzinfo=UTC))


def _live(h: Harness, series_id: str) -> list[tuple[datetime, str]]:
    return [(s.start, s.status) for s in h.kit.queries.series_sessions(T, series_id)]


def test_a_cancelled_lesson_stays_cancelled_when_the_class_moves_to_18(h: Harness) -> None:
    series, made = h.kit.series.create(T, actor="t", title="Choir", items=[_weekly(time(17))])
    holiday = made.created[1]  # Monday 9 March, 17:00 Berlin
    cancelled = h.kit.sessions.cancel(T, holiday.id, actor="t", reason="holiday")
    report = h.kit.series.change_schedule(T, series.id, actor="t", items=[_weekly(time(18))])
    assert [o.session.id for o in report.orphans] == [holiday.id]
    assert [(s.key, s.reason, s.blocking.id) for s in report.skipped] == [
        (datetime(2026, 3, 9, 18), "exists", holiday.id)
    ]
    assert _live(h, series.id) == [
        (_utc(2, 17), "SCHEDULED"),
        (_utc(9, 16), cancelled.status),
        (_utc(16, 17), "SCHEDULED"),
        (_utc(23, 17), "SCHEDULED"),
    ]


def test_a_lesson_moved_by_hand_is_the_week_s_only_lesson_after_the_change(h: Harness) -> None:
    series, made = h.kit.series.create(T, actor="t", title="Choir", items=[_weekly(time(17))])
    moved = h.kit.sessions.update(T, made.created[1].id, actor="t", start=_utc(10, 16))
    h.kit.series.change_schedule(T, series.id, actor="t", items=[_weekly(time(18))])
    starts = [start for start, _ in _live(h, series.id)]
    assert starts == [_utc(2, 17), moved.start, _utc(16, 17), _utc(23, 17)]


def test_the_other_day_of_a_two_day_item_is_still_made(h: Harness) -> None:
    # Only the kept session's own local day is spoken for: Thursday's lesson is new.
    series, made = h.kit.series.create(
        T, actor="t", title="Choir", items=[_weekly(time(17), ("MO", "TH"))]
    )
    monday = made.created[2]  # Monday 9 March
    assert monday.start == _utc(9, 16)
    h.kit.sessions.cancel(T, monday.id, actor="t")
    h.kit.series.change_schedule(T, series.id, actor="t", items=[_weekly(time(18), ("MO", "TH"))])
    ninth_to_twelfth = [
        (start, status)
        for start, status in _live(h, series.id)
        if _utc(9, 0) <= start < _utc(13, 0)
    ]
    assert [status for _, status in ninth_to_twelfth] == ["CANCELED", "SCHEDULED"]
    assert ninth_to_twelfth[1][0] == _utc(12, 17)
