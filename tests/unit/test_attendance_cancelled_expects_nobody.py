"""A cancelled session expects nobody: its teacher is not listed absent.

``kit.attendance.for_session`` listed a cancelled session's expected
resources (the policy's ``attendee_kinds``: its teacher) as ``absent``, and
``outcomes`` listed them too (with no outcome), though nobody was to attend a
session that did not take place. Whoever presence or an override puts in it
is still listed, as they were seen or reported; read ``as_of`` before the
cancel, the session was running and its teacher is expected as before.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from sessionkit.model.attendance import ABSENT, JOIN, PENDING, PRESENT
from sessionkit.services import SessionKit

from ._attendance_support import MIN, START, T, attendance_kit, presence
from .test_attendance_cancelled import STORES, TEACHERS
from .test_attendance_cancelled import _lesson as circle


def _lesson(kit: SessionKit) -> str:
    """Teacher ``t1``'s academy circle of two seats, 17:00-17:45, ana booked."""
    lesson = circle(kit)
    kit.bookings.book(T, lesson, "student:ana", actor="admin", confirm=True)
    return lesson


def _listed(kit: SessionKit, lesson: str, as_of: datetime | None = None) -> list[tuple[str, str]]:
    found = kit.attendance.for_session(T, lesson, as_of=as_of)
    return [(str(a.participant), a.effective_status) for a in found]


def _told(kit: SessionKit, lesson: str, as_of: datetime | None = None) -> list[tuple[str, object]]:
    found = kit.attendance.outcomes(T, lesson, as_of=as_of)
    return [(str(o.participant), o.attendance) for o in found]


@pytest.mark.parametrize("store", STORES)
def test_a_session_cancelled_before_its_start_lists_nobody(store: str) -> None:
    with attendance_kit(store, attendance=TEACHERS) as (kit, clock):
        lesson = _lesson(kit)
        kit.sessions.cancel(T, lesson, actor="host")
        clock.set(START + 60 * MIN)
        assert _listed(kit, lesson) == []
        assert _told(kit, lesson) == []


@pytest.mark.parametrize("store", STORES)
def test_a_session_cancelled_during_it_lists_only_who_was_seen(store: str) -> None:
    with attendance_kit(store, attendance=TEACHERS, journal=True) as (kit, clock):
        lesson = _lesson(kit)
        kit.advance_due(T, now=START - 10 * MIN)
        kit.attendance.record_presence(T, [presence(1, "student:ana", JOIN, 0, lesson)], now=START)
        clock.set(START + 10 * MIN)
        kit.sessions.cancel(T, lesson, actor="host")  # the teacher never came
        clock.set(START + 60 * MIN)
        assert _listed(kit, lesson) == [("student:ana", PRESENT)]
        assert _listed(kit, lesson, as_of=START + 30 * MIN) == [("student:ana", PRESENT)]
        assert _told(kit, lesson) == []  # ana's booking was cancelled with the session
        # Before the cancel it was running: the teacher expected, not there yet.
        before = [("student:ana", PRESENT), ("teacher:t1", PENDING)]
        assert _listed(kit, lesson, as_of=START + 5 * MIN) == before
        assert ("teacher:t1", PENDING) in _told(kit, lesson, as_of=START + 5 * MIN)


@pytest.mark.parametrize("store", STORES)
def test_a_teachers_report_on_a_cancelled_session_is_still_listed(store: str) -> None:
    with attendance_kit(store, attendance=TEACHERS) as (kit, clock):
        lesson = _lesson(kit)
        kit.advance_due(T, now=START - 10 * MIN)
        clock.set(START + 10 * MIN)
        kit.attendance.override(T, lesson, "teacher:t1", status=ABSENT, actor="admin")
        kit.sessions.cancel(T, lesson, actor="host")
        clock.set(START + 60 * MIN)
        assert _listed(kit, lesson) == [("teacher:t1", ABSENT)]
