"""A lesson ended early, corrected into a no-show and back, still ended when it ended.

A tutor ended a 17:00-18:00 lesson at 17:30 (COMPLETED, ``sealed_at``
17:30, a leave closing ana's open stay then). An admin corrected it to
ABSENT, which kept the seal; corrected back to COMPLETED, the way out of a
no-show read the seal as the no-show's own (the session went on after all)
and sealed it anew at the correction: the 17:30 leave went, ana's 30
minutes became 60 and the lesson was judged over the hour. The no-show now
names the status that wrote the seal it keeps (``sealed_by``), and only a
seal a no-show wrote itself (ABSENT by its timer) is sealed anew.
"""

from __future__ import annotations

from typing import Any

import pytest

from sessionkit.errors import InvalidValue
from sessionkit.model.attendance import JOIN, LEAVE, PARTIAL, PRESENT
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

from ._attendance_support import MIN, START, T, attendance_kit, presence


def _lesson(kit: SessionKit, clock: ManualClock, capacity: int) -> str:
    lesson = kit.sessions.create_extra(
        T, actor="t", title="C", start=START, end=START + 60 * MIN, lifecycle="academy",
        capacity=capacity, resources=["teacher:c"],
    )  # fmt: skip
    for who in ("student:ana", "student:ben")[:capacity]:
        kit.bookings.book(T, lesson.id, who, actor="admin", confirm=True)
    kit.advance_due(T, now=START - 10 * MIN)
    return lesson.id


Seen = tuple[str, dict[str, Any], dict[str, tuple[str, int]]]
"""A session's status, its seal fields and everyone's (status, minutes)."""


def _seen(kit: SessionKit, session_id: str) -> Seen:
    session = kit.queries.get(T, session_id)
    kept = {k: v for k, v in session.metadata.items() if k in ("sealed_at", "sealed_by")}
    shown = {
        str(a.participant): (a.status, a.minutes) for a in kit.attendance.for_session(T, session_id)
    }
    return session.status, kept, shown


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_round_trip_through_a_no_show_keeps_the_end_an_early_completion_sealed(
    store: str,
) -> None:
    with attendance_kit(store) as (kit, clock):
        lesson = _lesson(kit, clock, capacity=3)
        clock.set(START + 20 * MIN)
        kit.attendance.record_presence(
            T,
            [
                presence(1, "student:ana", JOIN, 0, lesson),
                presence(2, "student:ben", JOIN, 10, lesson),
                presence(3, "student:ben", LEAVE, 20, lesson),
            ],
        )
        clock.set(START + 30 * MIN)
        kit.sessions.fire(T, lesson, "complete", actor="teacher:c")
        ended = {"sealed_at": (START + 30 * MIN).isoformat()}
        held = {"student:ana": (PRESENT, 30), "student:ben": (PARTIAL, 10)}
        assert _seen(kit, lesson) == ("COMPLETED", ended, held)
        leaves = [(p.id, p.at) for p in kit.attendance.presence(T, lesson)]

        clock.set(START + 110 * MIN)
        kit.usage.correct(T, lesson, "ABSENT", actor="admin", reason="x")
        assert _seen(kit, lesson) == ("ABSENT", {**ended, "sealed_by": "COMPLETED"}, held)
        clock.set(START + 120 * MIN)
        kit.usage.correct(T, lesson, "CANCELLED", actor="admin", reason="x")
        assert _seen(kit, lesson) == ("CANCELLED", {**ended, "sealed_by": "COMPLETED"}, held)
        kit.usage.correct(T, lesson, "ABSENT", actor="admin", reason="x")
        clock.set(START + 130 * MIN)
        kit.usage.correct(T, lesson, "COMPLETED", actor="admin", reason="x")
        # Was: sealed at 19:10 (past the end: 18:00), the 17:30 leave gone, ana (PRESENT, 60).
        assert _seen(kit, lesson) == ("COMPLETED", ended, held)
        assert [(p.id, p.at) for p in kit.attendance.presence(T, lesson)] == leaves
        stats = kit.analytics.attendance(T, by="participant")
        assert {who: stats.get(who).minutes for who in held} == {
            "student:ana": 30,
            "student:ben": 10,
        }
        report = kit.attendance.record_presence(T, [presence(4, "student:ben", JOIN, 40, lesson)])
        assert (report.recorded, len(report.sealed)) == (0, 1)


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_no_show_that_ended_the_lesson_itself_is_sealed_anew_when_corrected(store: str) -> None:
    with attendance_kit(store) as (kit, clock):
        lesson = _lesson(kit, clock, capacity=1)  # individual: ABSENT at 17:15 if nobody came
        kit.advance_due(T, now=START + 15 * MIN)
        assert _seen(kit, lesson)[:2] == ("ABSENT", {"sealed_at": (START + 15 * MIN).isoformat()})
        clock.set(START + 90 * MIN)
        kit.usage.correct(T, lesson, "COMPLETED", actor="admin", reason="she was there")
        report = kit.attendance.record_presence(
            T,
            [
                presence(1, "student:ana", JOIN, 20, lesson),
                presence(2, "student:ana", LEAVE, 50, lesson),
            ],
        )
        assert (report.recorded, report.sealed) == (2, ())
        assert _seen(kit, lesson) == (
            "COMPLETED",
            {"sealed_at": (START + 90 * MIN).isoformat()},
            {"student:ana": ("late", 30)},
        )


def test_sealed_by_is_kept_by_sessionkit_and_goes_with_the_seal() -> None:
    with attendance_kit("memory") as (kit, clock):
        lesson = _lesson(kit, clock, capacity=3)
        clock.set(START + 30 * MIN)
        kit.attendance.record_presence(T, [presence(1, "student:ana", JOIN, 0, lesson)])
        kit.sessions.fire(T, lesson, "complete", actor="teacher:c")
        kit.usage.correct(T, lesson, "ABSENT", actor="admin", reason="x")
        with pytest.raises(InvalidValue, match="field 'sealed_by' is kept by sessionkit"):
            kit.sessions.set_fields(T, lesson, actor="admin", remove=["sealed_by"])
        kit.usage.correct(T, lesson, "ONGOING", actor="admin", reason="x")
        assert _seen(kit, lesson)[:2] == ("ONGOING", {})
