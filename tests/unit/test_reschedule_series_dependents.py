"""A session with reschedule requests or attendance keeps it from a series' change or close.

A student asked to move one lesson of a weekly class, then withdrew. The next
schedule change or close of the series failed whole with ``StillReferenced``
(the store's foreign key refused to delete the lesson the request points at),
for good, as no command deletes requests. Requests now count as the session's
dependents, as bookings do: the lesson is kept, reported with the reason, and
the rest of the change goes through. Each case runs on memory and SQLite.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessionkit import Recurrence, ScheduleItem
from sessionkit.errors import SessionLocked
from sessionkit.model.attendance import JOIN, LEAVE, PresenceEvent
from sessionkit.model.session import Session
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._store_support import STORES, StoreMaker

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def weekly(hour: int) -> ScheduleItem:
    return ScheduleItem(
        "class",
        Recurrence.weekly(
            days=("MO", "WE"),
            at=time(hour),
            duration=timedelta(hours=1),
            tz="Europe/Berlin",
            start=date(2026, 3, 2),
            until=date(2026, 3, 31),
        ),
        ("teacher:ana",),
    )


@pytest.fixture(params=list(STORES.values()), ids=list(STORES))
def kit(request: pytest.FixtureRequest) -> SessionKit:
    store: StoreMaker = request.param
    counter = itertools.count(1)
    return SessionKit(
        uow=store(RecordingPublisher()),
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
    )


def asked_and_withdrawn(kit: SessionKit) -> Session:
    kit.series.create(T, actor="admin", title="Chem", series_id="chem", items=[weekly(17)])
    lesson = kit.queries.series_sessions(T, "chem")[2]
    request = kit.reschedules.request(
        T, lesson.id, role="student", actor="mia", reason="I have an exam that day"
    )
    kit.reschedules.withdraw(T, request.id, role="student", actor="mia")
    return lesson


def test_a_schedule_change_keeps_a_lesson_with_a_request_and_moves_the_rest(
    kit: SessionKit,
) -> None:
    lesson = asked_and_withdrawn(kit)
    report = kit.series.change_schedule(T, "chem", actor="admin", items=[weekly(18)])
    assert [(o.session.id, o.reason) for o in report.orphans] == [
        (lesson.id, "it has dependents (1 reschedule request(s))")
    ]
    # Its day is still its own, at 17:00; every other lesson moved to 18:00 Berlin.
    zone = ZoneInfo("Europe/Berlin")
    kept_day = lesson.start.astimezone(zone).date()
    hours = {
        s.id: (s.start.astimezone(zone).date(), s.start.astimezone(zone).hour)
        for s in kit.queries.series_sessions(T, "chem")
    }
    assert hours.pop(lesson.id) == (kept_day, 17)
    assert sorted({hour for _, hour in hours.values()}) == [18]
    assert kept_day not in {day for day, _ in hours.values()}
    assert len(hours) == len(report.created) + len(report.updated)


def test_closing_the_series_keeps_the_lesson_with_a_request_and_deletes_the_rest(
    kit: SessionKit,
) -> None:
    lesson = asked_and_withdrawn(kit)
    report = kit.series.close(T, "chem", actor="admin")
    assert [(o.session.id, o.reason) for o in report.kept] == [
        (lesson.id, "it has dependents (1 reschedule request(s))")
    ]
    assert [s.id for s in kit.queries.series_sessions(T, "chem")] == [lesson.id]
    assert len(report.deleted) == 8


# An excused absence kept ahead, or presence heard early, is the lesson's attendance record
# (seed 000: sessions "linked to ... attendance are never modified"): the same as a request.


def excused_ahead(kit: SessionKit) -> Session:
    kit.series.create(T, actor="admin", title="Chem", series_id="chem", items=[weekly(17)])
    lesson = kit.queries.series_sessions(T, "chem")[2]
    kit.attendance.override(
        T, lesson.id, "student:mia", status="absent", actor="ana", reason="excused: a family trip"
    )
    return lesson


def joined_early(kit: SessionKit) -> Session:
    kit.series.create(T, actor="admin", title="Chem", series_id="chem", items=[weekly(17)])
    lesson = kit.queries.series_sessions(T, "chem")[2]
    # In and out at once, days ahead: heard and stored, and the lesson does not start.
    heard = [
        PresenceEvent(
            provider="meet",
            event_id=f"e{n}",
            session_id=lesson.id,
            participant="student:mia",
            action=action,
            at=NOW,
        )
        for n, action in enumerate((JOIN, LEAVE))
    ]
    kit.attendance.record_presence(T, heard)
    assert kit.queries.get(T, lesson.id).status == "SCHEDULED"
    return lesson


@pytest.mark.parametrize(
    ("linked", "reason"),
    [(excused_ahead, "1 attendance override(s)"), (joined_early, "2 presence record(s)")],
    ids=["override", "presence"],
)
def test_a_lesson_with_attendance_is_kept_by_a_change_and_a_close_and_never_deleted(
    kit: SessionKit, linked: Callable[[SessionKit], Session], reason: str
) -> None:
    lesson = linked(kit)
    changed = kit.series.change_schedule(T, "chem", actor="admin", items=[weekly(18)])
    assert [(o.session.id, o.reason) for o in changed.orphans] == [
        (lesson.id, f"it has dependents ({reason})")
    ]
    with pytest.raises(SessionLocked):
        kit.sessions.delete(T, lesson.id, actor="admin")
    closed = kit.series.close(T, "chem", actor="admin")
    assert [(o.session.id, o.reason) for o in closed.kept] == [
        (lesson.id, f"it has dependents ({reason})")
    ]
    assert [s.id for s in kit.queries.series_sessions(T, "chem")] == [lesson.id]


def test_a_booked_lesson_the_new_teacher_does_not_reach_is_reported(kit: SessionKit) -> None:
    # The class goes to another teacher and title at the same times: the booked lesson is left
    # as it is (with dependents, regeneration changes nothing of it) and was not reported, so
    # teacher:ana stayed busy on it and teacher:zoe free, with no word of it to the host.
    kit.series.create(T, actor="admin", title="Chem", series_id="chem", items=[weekly(17)])
    lessons = kit.queries.series_sessions(T, "chem")
    booked = lessons[2]
    kit.bookings.book(T, booked.id, "student:ben", actor="ben", confirm=True)
    zoe = ScheduleItem("class", weekly(17).recurrence, ("teacher:zoe",), title="Chem II")
    report = kit.series.change_schedule(T, "chem", actor="admin", items=[zoe])
    assert [(o.session.id, o.reason) for o in report.orphans] == [
        (booked.id, "it has dependents (1 booking(s))")
    ]
    assert report.skipped == ()  # its occurrence is its own, at its time: nothing to skip
    assert {s.id for s in report.updated} == {s.id for s in lessons} - {booked.id}
    kept = kit.queries.get(T, booked.id)
    assert (kept.title, [str(r) for r in kept.resources]) == ("Chem", ["teacher:ana"])
    # Still apart from its schedule at the next change, so reported again, as a moved one is
    again = kit.series.change_schedule(T, "chem", actor="admin", items=[zoe])
    assert [o.session.id for o in again.orphans] == [booked.id]


def test_a_reported_lesson_at_its_time_stands_in_for_no_other_lesson_of_its_day(
    kit: SessionKit,
) -> None:
    # The change also adds a 19:00 lesson on the booked lesson's day: the 17:00 lesson, which
    # holds its own occurrence, took that one's key as a moved lesson would, and the 19:00
    # lesson was never made, not even by later changes.
    kit.series.create(T, actor="admin", title="Chem", series_id="chem", items=[weekly(17)])
    booked, cancelled = kit.queries.series_sessions(T, "chem")[2:4]
    kit.bookings.book(T, booked.id, "student:ben", actor="ben", confirm=True)
    kit.sessions.cancel(T, cancelled.id, actor="admin")  # not busy: nothing to report
    extra = [
        datetime.combine(s.occurrence_key.date(), time(19))  # type: ignore[union-attr]
        for s in (booked, cancelled)
    ]
    rule = Recurrence.weekly(
        days=("MO", "WE"),
        at=time(17),
        duration=timedelta(hours=1),
        tz="Europe/Berlin",
        start=date(2026, 3, 2),
        until=date(2026, 3, 31),
        rdates=extra,
    )
    zoe = ScheduleItem("class", rule, ("teacher:zoe",))
    report = kit.series.change_schedule(T, "chem", actor="admin", items=[zoe])
    assert [(o.session.id, o.session.occurrence_key) for o in report.orphans] == [
        (booked.id, booked.occurrence_key)
    ]
    assert report.skipped == ()
    zone = ZoneInfo("Europe/Berlin")
    assert sorted(s.start.astimezone(zone).replace(tzinfo=None) for s in report.created) == extra


def test_a_new_item_id_alone_reports_no_lesson(kit: SessionKit) -> None:
    # The same times, teacher and title under a new item id: nothing of the booked lesson
    # differs from what the schedule wants, so it is no orphan.
    kit.series.create(T, actor="admin", title="Chem", series_id="chem", items=[weekly(17)])
    booked = kit.queries.series_sessions(T, "chem")[2]
    kit.bookings.book(T, booked.id, "student:ben", actor="ben", confirm=True)
    renamed = ScheduleItem("class-2", weekly(17).recurrence, ("teacher:ana",))
    for _ in range(2):
        report = kit.series.change_schedule(T, "chem", actor="admin", items=[renamed])
        assert report.orphans == ()
