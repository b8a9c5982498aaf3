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
from zoneinfo import ZoneInfo

import attrs
import pytest

from sessionkit import Recurrence, ScheduleItem
from sessionkit.model.events import SessionUpdated
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


# The day a kept session stands for stays spoken for after the change: a later run of
# generation over it (the rolling top-up, the tick, materialise again) made the new hour's
# lesson there after all, a second lesson on the booked day, a class on the holiday. The
# kept session now takes the key of the occurrence it stands for, so every run finds it.


def _open_weekly(at: time, days: tuple[str, ...] = ("MO",)) -> ScheduleItem:
    return ScheduleItem(
        id="class",
        recurrence=Recurrence.weekly(
            days=days, at=at, duration=timedelta(hours=1), tz=BERLIN, start=date(2026, 3, 2)
        ),
    )


def _twice_on_saturdays(exdates: tuple[datetime, ...] = ()) -> ScheduleItem:
    return ScheduleItem(
        id="twice",
        recurrence=Recurrence.from_rrule(
            "FREQ=WEEKLY;BYDAY=SA;BYHOUR=9,15;BYMINUTE=0;BYSECOND=0",
            start=datetime(2026, 2, 28, 9),
            duration=timedelta(hours=1),
            tz=BERLIN,
            exdates=exdates,
        ),
    )


def _local_starts(h: Harness, series_id: str, day: date) -> list[tuple[str, str]]:
    """The series' sessions starting on ``day`` in Berlin: local start and status."""
    zone = ZoneInfo(BERLIN)
    return sorted(
        (s.start.astimezone(zone).strftime("%H:%M"), s.status)
        for s in h.kit.queries.series_sessions(T, series_id)
        if s.start.astimezone(zone).date() == day
    )


def test_generation_run_again_over_kept_days_makes_nothing_there(h: Harness) -> None:
    series, made = h.kit.series.create(T, actor="t", title="Choir", items=[_weekly(time(17))])
    booked, holiday = made.created[1], made.created[2]  # 9 and 16 March
    h.kit.bookings.book(T, booked.id, "student:ann", actor="ann", confirm=True)
    h.kit.sessions.cancel(T, holiday.id, actor="t", reason="holiday")
    changed = h.kit.series.change_schedule(T, series.id, actor="t", items=[_weekly(time(18))])
    assert sorted(s.blocking.id for s in changed.skipped) == sorted([booked.id, holiday.id])
    # Each now is the new schedule's occurrence of its day, where it was.
    assert sorted((o.session.id, o.session.occurrence_key) for o in changed.orphans) == sorted(
        [(booked.id, datetime(2026, 3, 9, 18)), (holiday.id, datetime(2026, 3, 16, 18))]
    )
    rekeyed = [e.old for e in h.events.events if isinstance(e, SessionUpdated)]
    assert rekeyed == [
        {"occurrence_key": datetime(2026, 3, 9, 17)},
        {"occurrence_key": datetime(2026, 3, 16, 17)},
    ]
    before = _live(h, series.id)
    again = h.kit.series.materialise(
        T, series.id, actor="t", start=_utc(1, 0), end=datetime(2026, 4, 1, tzinfo=UTC)
    )
    assert again.created == ()
    assert sorted((s.key, s.blocking.id) for s in again.skipped if s.key.day in (9, 16)) == [
        (datetime(2026, 3, 9, 18), booked.id),
        (datetime(2026, 3, 16, 18), holiday.id),
    ]
    assert _live(h, series.id) == before


def test_the_rolling_top_up_leaves_a_kept_day_at_the_window_s_edge_alone() -> None:
    # Created Monday 2 March 09:00 Berlin: the window ends 2 May 09:00, so Saturday 2 May's
    # 07:00 lesson is the last made. Booked, it is kept when the class moves to 10:00, whose
    # 2 May lesson lies beyond the change's horizon: the next top-up must not make it.
    h = Harness.in_memory(datetime(2026, 3, 2, 8, tzinfo=UTC))
    series, _ = h.kit.series.create(
        T, actor="t", title="Choir", items=[_open_weekly(time(7), ("SA",))]
    )
    last = max(h.kit.queries.series_sessions(T, series.id), key=lambda s: s.start)
    assert last.occurrence_key == datetime(2026, 5, 2, 7)
    h.kit.bookings.book(T, last.id, "student:ann", actor="ann", confirm=True)
    changed = h.kit.series.change_schedule(
        T, series.id, actor="t", items=[_open_weekly(time(10), ("SA",))]
    )
    assert [o.session.id for o in changed.orphans] == [last.id]
    h.clock.advance(timedelta(weeks=5))
    h.kit.top_up(T, actor="cron")
    assert _local_starts(h, series.id, date(2026, 5, 2)) == [("07:00", "SCHEDULED")]
    assert _local_starts(h, series.id, date(2026, 5, 9)) == [("10:00", "SCHEDULED")]


def test_a_day_with_two_lessons_of_one_item_gets_its_second_at_the_next_top_up() -> None:
    # Nothing was kept: the 09:00 lesson, on the schedule, does not hold the same day's
    # 15:00 one when the window's edge falls between them.
    h = Harness.in_memory(datetime(2026, 3, 2, 10, tzinfo=UTC))  # the window: to 2 May, 11:00
    series, made = h.kit.series.create(T, actor="t", title="Choir", items=[_twice_on_saturdays()])
    ends = max(s.occurrence_key for s in made.created if s.occurrence_key is not None)
    assert ends == datetime(2026, 5, 2, 9)  # the window ends between the day's two lessons
    h.clock.advance(timedelta(weeks=5))
    h.kit.top_up(T, actor="cron")
    assert _local_starts(h, series.id, ends.date()) == [
        ("09:00", "SCHEDULED"),
        ("15:00", "SCHEDULED"),
    ]


def test_a_kept_lesson_the_schedule_drops_holds_none_of_its_day_s_other_lessons() -> None:
    # An EXDATE takes the booked 09:00 lesson of 2 May off the schedule: it moved nowhere,
    # and the day's 15:00 lesson (not generated yet) is the schedule's own.
    h = Harness.in_memory(datetime(2026, 3, 2, 10, tzinfo=UTC))
    series, made = h.kit.series.create(T, actor="t", title="Choir", items=[_twice_on_saturdays()])
    edge = max(made.created, key=lambda s: s.start)
    assert edge.occurrence_key == datetime(2026, 5, 2, 9)
    h.kit.bookings.book(T, edge.id, "student:ann", actor="ann", confirm=True)
    changed = h.kit.series.change_schedule(
        T, series.id, actor="t", items=[_twice_on_saturdays((datetime(2026, 5, 2, 9),))]
    )
    assert [o.session.occurrence_key for o in changed.orphans] == [datetime(2026, 5, 2, 9)]
    h.clock.advance(timedelta(weeks=5))
    h.kit.top_up(T, actor="cron")
    assert _local_starts(h, series.id, date(2026, 5, 2)) == [
        ("09:00", "SCHEDULED"),
        ("15:00", "SCHEDULED"),
    ]


@pytest.mark.parametrize("cutoff_day", [date(2026, 4, 4), date(2026, 5, 16)])
def test_a_change_from_midday_makes_that_day_s_new_lesson_generated_or_not(
    cutoff_day: date,
) -> None:
    # From Saturday noon on the class is at 15:00: that day has its 07:00 lesson (before
    # the cutoff, the old schedule's) and its 15:00 one, whether the day had been generated
    # when the change was made (4 April) or lay past the window (16 May).
    h = Harness.in_memory(datetime(2026, 3, 2, 8, tzinfo=UTC))
    series, _ = h.kit.series.create(
        T, actor="t", title="Choir", items=[_open_weekly(time(7), ("SA",))]
    )
    noon = datetime.combine(cutoff_day, time(12), ZoneInfo(BERLIN))
    h.kit.series.change_schedule(
        T, series.id, actor="t", items=[_open_weekly(time(15), ("SA",))], effective_from=noon
    )
    h.clock.advance(timedelta(weeks=10))
    h.kit.top_up(T, actor="cron")
    assert _local_starts(h, series.id, cutoff_day) == [
        ("07:00", "SCHEDULED"),
        ("15:00", "SCHEDULED"),
    ]


def test_a_lesson_moved_by_hand_days_away_still_holds_its_week_at_a_later_run(
    h: Harness,
) -> None:
    series, made = h.kit.series.create(T, actor="t", title="Choir", items=[_weekly(time(17))])
    moved = h.kit.sessions.update(T, made.created[1].id, actor="t", start=_utc(12, 16))
    h.kit.series.change_schedule(T, series.id, actor="t", items=[_weekly(time(18))])
    again = h.kit.series.materialise(T, series.id, actor="t", start=_utc(9, 0), end=_utc(10, 0))
    assert again.created == ()
    assert [s.blocking.id for s in again.skipped] == [moved.id]
    starts = [start for start, _ in _live(h, series.id)]
    assert starts == [_utc(2, 17), moved.start, _utc(16, 17), _utc(23, 17)]


def test_a_kept_lesson_holds_its_day_s_new_hour_on_the_25_hour_day() -> None:
    # Berlin's clocks go back on Sunday 25 October: 00:15 and 23:30 that day are 24 h 15 min
    # apart. The cancelled 00:15 lesson stands for the new 23:30 one at every run.
    h = Harness.in_memory(datetime(2026, 10, 1, tzinfo=UTC))
    item = ScheduleItem(
        id="late",
        recurrence=Recurrence.weekly(
            days=("SU",),
            at=time(0, 15),
            duration=timedelta(minutes=30),
            tz=BERLIN,
            start=date(2026, 10, 4),
        ),
    )
    series, made = h.kit.series.create(T, actor="t", title="Night", items=[item])
    sunday = next(s for s in made.created if s.occurrence_key == datetime(2026, 10, 25, 0, 15))
    h.kit.sessions.cancel(T, sunday.id, actor="t", reason="clocks change")
    later = attrs.evolve(
        item, recurrence=attrs.evolve(item.recurrence, start=datetime(2026, 10, 4, 23, 30))
    )
    h.kit.series.change_schedule(T, series.id, actor="t", items=[later])
    again = h.kit.series.materialise(
        T,
        series.id,
        actor="t",
        start=datetime(2026, 10, 25, 12, tzinfo=UTC),
        end=datetime(2026, 10, 26, 12, tzinfo=UTC),
    )
    assert again.created == ()
    assert _local_starts(h, series.id, date(2026, 10, 25)) == [("00:15", "CANCELED")]


def _monday(at: time, item_id: str, tz: str = BERLIN) -> ScheduleItem:
    return ScheduleItem(
        id=item_id,
        recurrence=Recurrence.weekly(
            days=("MO",), at=at, duration=timedelta(hours=1), tz=tz, start=date(2026, 3, 2)
        ),
    )


def test_a_key_freed_by_the_same_change_is_taken_by_the_kept_lesson() -> None:
    # Item y (19:00 Berlin) goes, item x moves to 19:00 New York. On 4 May, x's new key
    # (19:00) was y's, whose session this change deletes: the booked x lesson of that day
    # stands for it all the same, and no later run makes a second x lesson there.
    h = Harness.in_memory(datetime(2026, 3, 4, 19, tzinfo=UTC))
    series, _ = h.kit.series.create(
        T, actor="t", title="Choir", items=[_monday(time(17), "x"), _monday(time(19), "y")]
    )
    booked = max(
        (s for s in h.kit.queries.series_sessions(T, series.id) if s.schedule_item_id == "x"),
        key=lambda s: s.start,
    )
    assert booked.occurrence_key == datetime(2026, 5, 4, 17)
    h.kit.bookings.book(T, booked.id, "student:ann", actor="ann", confirm=True)
    changed = h.kit.series.change_schedule(
        T, series.id, actor="t", items=[_monday(time(19), "x", "America/New_York")]
    )
    assert [(o.session.id, o.session.occurrence_key) for o in changed.orphans] == [
        (booked.id, datetime(2026, 5, 4, 19))
    ]
    again = h.kit.series.materialise(
        T,
        series.id,
        actor="t",
        start=datetime(2026, 5, 4, tzinfo=UTC),
        end=datetime(2026, 5, 6, tzinfo=UTC),
    )
    assert again.created == ()
    assert [s.blocking.id for s in again.skipped] == [booked.id]


def test_the_report_shows_the_kept_lesson_as_stored(h: Harness) -> None:
    series, made = h.kit.series.create(T, actor="t", title="Choir", items=[_weekly(time(17))])
    holiday = h.kit.sessions.cancel(T, made.created[1].id, actor="t", reason="holiday")
    report = h.kit.series.change_schedule(T, series.id, actor="t", items=[_weekly(time(18))])
    stored = h.kit.queries.get(T, holiday.id)
    assert stored.occurrence_key == datetime(2026, 3, 9, 18)
    assert [o.session for o in report.orphans] == [stored]
    assert [s.blocking for s in report.skipped] == [stored]
    assert stored in report.kept


def test_a_kept_lesson_stands_for_nothing_before_the_cutoff() -> None:
    # From Saturday 21 March 12:00 the class is at 07:00, not 15:00: that day's 07:00 is
    # before the cutoff, where the old schedule still holds, so the booked 15:00 lesson
    # keeps its key, and 28 March gets its 07:00 lesson as usual.
    h = Harness.in_memory(datetime(2026, 3, 2, tzinfo=UTC))
    series, made = h.kit.series.create(
        T, actor="t", title="Choir", items=[_open_weekly(time(15), ("SA",))]
    )
    booked = next(s for s in made.created if s.occurrence_key == datetime(2026, 3, 21, 15))
    h.kit.bookings.book(T, booked.id, "student:ann", actor="ann", confirm=True)
    report = h.kit.series.change_schedule(
        T,
        series.id,
        actor="t",
        items=[_open_weekly(time(7), ("SA",))],
        effective_from=datetime(2026, 3, 21, 11, tzinfo=UTC),
    )
    assert [o.session.occurrence_key for o in report.orphans] == [datetime(2026, 3, 21, 15)]
    assert _local_starts(h, series.id, date(2026, 3, 21)) == [("15:00", "SCHEDULED")]
    assert _local_starts(h, series.id, date(2026, 3, 28)) == [("07:00", "SCHEDULED")]


def test_a_kept_lesson_the_class_moves_back_to_is_no_orphan_any_more(h: Harness) -> None:
    series, made = h.kit.series.create(T, actor="t", title="Choir", items=[_weekly(time(17))])
    holiday = made.created[1]  # Monday 9 March, 17:00 Berlin
    h.kit.sessions.cancel(T, holiday.id, actor="t", reason="holiday")
    away = h.kit.series.change_schedule(T, series.id, actor="t", items=[_weekly(time(18))])
    assert [o.session.id for o in away.orphans] == [holiday.id]
    back = h.kit.series.change_schedule(T, series.id, actor="t", items=[_weekly(time(17))])
    # The cancelled lesson is exactly where the schedule wants its day's class again.
    assert back.orphans == ()
    assert [s.id for s in back.kept] == [holiday.id]
    assert h.kit.queries.get(T, holiday.id).occurrence_key == datetime(2026, 3, 9, 17)
    assert [(s.key, s.reason, s.blocking.id) for s in back.skipped] == [
        (datetime(2026, 3, 9, 17), "exists", holiday.id)
    ]
    regenerated = [e for e in h.events.events if type(e).__name__ == "SessionsRegenerated"]
    assert [e.orphaned for e in regenerated] == [0, 1, 0]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "item",
    [
        attrs.evolve(
            _weekly(time(17)),
            recurrence=attrs.evolve(_weekly(time(17)).recurrence, tz="Europe/London"),
        ),
        attrs.evolve(
            _weekly(time(17)),
            recurrence=attrs.evolve(_weekly(time(17)).recurrence, duration=timedelta(hours=2)),
        ),
    ],
    ids=["same-local-time-another-zone", "longer"],
)
def test_a_booked_lesson_the_change_moves_under_the_same_key_is_an_orphan(
    h: Harness, item: ScheduleItem
) -> None:
    # The key (the local start) stays, the session's time does not follow: it was kept and
    # reported only in ``kept``, and nothing said that day's lesson of the new schedule was
    # not made.
    series, made = h.kit.series.create(
        T, actor="t", title="Choir", items=[_weekly(time(17))], capacity=3
    )
    booked = made.created[1]  # Monday 9 March, 17:00 Berlin
    h.kit.bookings.book(T, booked.id, "student:ana", actor="ana", confirm=True)
    report = h.kit.series.change_schedule(T, series.id, actor="t", items=[item])
    assert [(o.session.id, o.reason) for o in report.orphans] == [
        (booked.id, "it has dependents (1 booking(s))")
    ]
    assert [(s.key, s.reason, s.blocking.id) for s in report.skipped] == [
        (datetime(2026, 3, 9, 17), "exists", booked.id)
    ]
    assert booked.id in {s.id for s in report.kept}
    assert h.kit.queries.get(T, booked.id).span == booked.span
    assert len(report.updated) == 3  # the other lessons follow
