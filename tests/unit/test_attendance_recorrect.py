"""A correction between ended statuses keeps when the session ended; overrides are capped by it.

A tutor ended a 17:00-18:00 lesson at 17:30; an admin corrected COMPLETED to
CANCELLED at 18:30. The correction sealed the lesson anew at 18:30: the
leaves written at 17:30 went, the student's 30 minutes became 60 and the
lesson was judged over the hour, and correcting back to COMPLETED kept the
60. A correction from one terminal status to another now keeps ``sealed_at``
and its leaves; only one out of a status that says nobody was there (a
no-show that ended it itself, or one entered at or before the start) seals
anew at the correction. And the teacher's minutes were capped by the scheduled 60, not
the 30 it was held: an override of 45 was stored and counted; and one of 45
written before the lesson ended early still counted 45 (now read capped at 30).
"""

from __future__ import annotations

import pytest

from sessionkit.errors import InvalidValue
from sessionkit.model.attendance import JOIN, LEAVE, LEFT_EARLY, PARTIAL, PRESENT
from sessionkit.model.session import Session
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

from ._attendance_support import MIN, START, T, attendance_kit, presence


def _lesson(kit: SessionKit, clock: ManualClock) -> Session:
    """A circle 17:00-18:00: ana there from 17:00 (never leaves), ben 17:10-17:20."""
    lesson = kit.sessions.create_extra(
        T, actor="t", title="C", start=START, end=START + 60 * MIN, lifecycle="academy",
        capacity=3, resources=["teacher:c"],
    )  # fmt: skip
    for who in ("student:ana", "student:ben"):
        kit.bookings.book(T, lesson.id, who, actor="admin", confirm=True)
    kit.advance_due(T, now=START - 10 * MIN)
    clock.set(START + 20 * MIN)
    kit.attendance.record_presence(
        T,
        [
            presence(1, "student:ana", JOIN, 0, lesson.id),
            presence(2, "student:ben", JOIN, 10, lesson.id),
            presence(3, "student:ben", LEAVE, 20, lesson.id),
        ],
    )
    return lesson


def _seen(kit: SessionKit, session_id: str) -> tuple[str, object, dict[str, tuple[str, int]]]:
    session = kit.queries.get(T, session_id)
    shown = {
        str(a.participant): (a.status, a.minutes) for a in kit.attendance.for_session(T, session_id)
    }
    return session.status, session.metadata.get("sealed_at"), shown


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_correction_between_ended_statuses_keeps_when_the_lesson_ended(store: str) -> None:
    with attendance_kit(store) as (kit, clock):
        lesson = _lesson(kit, clock)
        clock.set(START + 30 * MIN)
        kit.sessions.fire(T, lesson.id, "complete", actor="teacher:c")
        ended = (START + 30 * MIN).isoformat()
        held = {"student:ana": (PRESENT, 30), "student:ben": (PARTIAL, 10)}
        assert _seen(kit, lesson.id) == ("COMPLETED", ended, held)
        leaves = [(p.action, p.at) for p in kit.attendance.presence(T, lesson.id)]
        clock.set(START + 90 * MIN)
        kit.usage.correct(T, lesson.id, "CANCELLED", actor="admin", reason="x")
        # Was: sealed at 18:30, the 17:30 leave deleted, ana (PRESENT, 60) over the hour.
        assert _seen(kit, lesson.id) == ("CANCELLED", ended, held)
        assert [(p.action, p.at) for p in kit.attendance.presence(T, lesson.id)] == leaves
        clock.set(START + 100 * MIN)
        kit.usage.correct(T, lesson.id, "COMPLETED", actor="admin", reason="x")
        assert _seen(kit, lesson.id) == ("COMPLETED", ended, held)
        stats = kit.analytics.attendance(T, by="participant")
        assert {who: stats.get(who).minutes for who in held} == {
            "student:ana": 30,
            "student:ben": 10,
        }
        # Into a no-show and back out of it: the no-show kept COMPLETED's end, so the way out
        # keeps it too (tests/unit/test_attendance_reseal.py).
        clock.set(START + 110 * MIN)
        kit.usage.correct(T, lesson.id, "ABSENT", actor="admin", reason="x")
        assert _seen(kit, lesson.id) == ("ABSENT", ended, held)
        kit.usage.correct(T, lesson.id, "COMPLETED", actor="admin", reason="x")
        assert _seen(kit, lesson.id) == ("COMPLETED", ended, held)


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_lesson_cancelled_before_its_start_and_corrected_is_sealed_anew(store: str) -> None:
    with attendance_kit(store) as (kit, clock):
        lesson = kit.sessions.create_extra(
            T, actor="t", title="C", start=START, end=START + 60 * MIN, lifecycle="academy",
            capacity=3, resources=["teacher:c"],
        )  # fmt: skip
        kit.bookings.book(T, lesson.id, "student:ana", actor="admin", confirm=True)
        clock.set(START - 30 * MIN)
        kit.sessions.fire(T, lesson.id, "cancel", actor="admin")
        clock.set(START + 90 * MIN)
        kit.usage.correct(T, lesson.id, "COMPLETED", actor="admin", reason="it was held")
        report = kit.attendance.record_presence(
            T,
            [
                presence(1, "student:ana", JOIN, 0, lesson.id),
                presence(2, "student:ana", LEAVE, 45, lesson.id),
            ],
        )
        assert (report.recorded, report.sealed) == (2, ())
        assert _seen(kit, lesson.id) == (
            "COMPLETED",
            (START + 90 * MIN).isoformat(),
            {"student:ana": (LEFT_EARLY, 45)},
        )


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_override_minutes_are_capped_by_the_span_the_lesson_was_held(store: str) -> None:
    with attendance_kit(store) as (kit, clock):
        lesson = _lesson(kit, clock)
        # Not ended yet: the scheduled hour is the bound.
        early = kit.attendance.override(
            T, lesson.id, "student:ben", status=PRESENT, minutes=45, actor="t"
        )
        assert early.effective_minutes == 45
        clock.set(START + 30 * MIN)
        kit.sessions.fire(T, lesson.id, "complete", actor="teacher:c")
        with pytest.raises(InvalidValue) as refused:
            kit.attendance.override(
                T, lesson.id, "student:ana", status=PRESENT, minutes=45, actor="t"
            )
        assert (refused.value.value, refused.value.expected) == (45, "0..30")
        assert "held 30 whole minutes" in str(refused.value)
        assert "got 45" in str(refused.value)
        ana = kit.attendance.override(
            T, lesson.id, "student:ana", status=PRESENT, minutes=30, actor="t"
        )
        assert (ana.minutes, ana.effective_minutes) == (30, 30)
        stats = kit.analytics.attendance(T, by="participant")
        assert stats.get("student:ana").minutes == 30


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_an_override_written_before_an_early_end_counts_at_most_the_span_held(store: str) -> None:
    with attendance_kit(store) as (kit, clock):
        lesson = _lesson(kit, clock)  # the clock at 17:20
        kit.attendance.override(T, lesson.id, "student:ben", status=PRESENT, minutes=45, actor="t")
        kit.attendance.override(T, lesson.id, "student:ana", status=PRESENT, minutes=25, actor="t")
        clock.set(START + 30 * MIN)
        kit.sessions.fire(T, lesson.id, "complete", actor="teacher:c")
        seen = {
            str(a.participant): (a.override.minutes if a.override else None, a.effective_minutes)
            for a in kit.attendance.for_session(T, lesson.id)
        }
        # Was: ben's 45 counted for a lesson held 30 minutes. The stored 45 stays as written.
        assert seen == {"student:ana": (25, 25), "student:ben": (45, 30)}
        stats = kit.analytics.attendance(T, by="participant")
        assert {who: stats.get(who).minutes for who in seen} == {
            "student:ana": 25,
            "student:ben": 30,
        }
