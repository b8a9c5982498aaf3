"""A cancelled session gives nobody an outcome: it took place for nobody.

``kit.attendance.outcomes`` read a cancelled session as a held one: its
teacher (an expected resource), never in the room, was ``absent`` and so a
``no_show``, as if the lesson had gone ahead without them. The cancel
cancels its bookings (refunded in full, no no-show decided) and says the
session did not take place: nobody's outcome follows from it, and nobody was
expected (its teacher is not listed; test_attendance_cancelled_expects_nobody).
The attendance of whoever was seen stays what presence says.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from sessionkit.model.attendance import ABSENT, JOIN, PENDING, PRESENT
from sessionkit.model.money import Money
from sessionkit.policies import FixedPrice
from sessionkit.policies.no_shows import NO_SHOW
from sessionkit.services import SessionKit
from sessionkit.services._money import NO_SHOW_FIELD
from sessionkit.services.attendance import AttendancePolicy

from ._attendance_support import MIN, START, T, attendance_kit, presence

STORES = ["memory", "sqlite"]
TEACHERS = AttendancePolicy(attendee_kinds={"teacher"})


def _lesson(kit: SessionKit) -> str:
    """Teacher ``t1``'s academy circle of two seats, 17:00-17:45."""
    lesson = kit.sessions.create_extra(
        T, actor="admin", start=START, end=START + 45 * MIN, lifecycle="academy", capacity=2,
        resources=["teacher:t1"],
    )  # fmt: skip
    return lesson.id


def _told(
    kit: SessionKit, session_id: str, as_of: datetime | None = None
) -> list[tuple[str, object, object]]:
    return [
        (str(o.participant), o.attendance, o.outcome)
        for o in kit.attendance.outcomes(T, session_id, as_of=as_of)
    ]


@pytest.mark.parametrize("store", STORES)
def test_the_absent_teacher_of_a_cancelled_session_is_no_no_show(store: str) -> None:
    with attendance_kit(store, attendance=TEACHERS, journal=True) as (kit, clock):
        lesson = _lesson(kit)
        kit.bookings.book(T, lesson, "student:ana", actor="admin", confirm=True)
        kit.advance_due(T, now=START - 10 * MIN)
        kit.attendance.record_presence(T, [presence(1, "student:ana", JOIN, 0, lesson)], now=START)
        clock.set(START + 10 * MIN)
        kit.sessions.cancel(T, lesson, actor="host")  # the teacher never came
        clock.set(START + 60 * MIN)
        # Ana's booking was cancelled with the session; the teacher was not there, but the
        # lesson did not take place: nobody was expected, now or as of any instant after the
        # cancel, so the teacher is no absentee (let alone a no-show).
        assert _told(kit, lesson) == []
        assert _told(kit, lesson, as_of=START + 30 * MIN) == []
        # Before the cancel it was running, ana booked (her booking not cancelled yet) and
        # there, the teacher not there yet.
        assert _told(kit, lesson, as_of=START + 5 * MIN) == [
            ("student:ana", PRESENT, "attended"),
            ("teacher:t1", PENDING, None),
        ]
        # Presence is as it was: ana there until the cancel; the teacher, expected no more,
        # is not listed.
        shown = [(str(a.participant), a.status) for a in kit.attendance.for_session(T, lesson)]
        assert shown == [("student:ana", PRESENT)]


@pytest.mark.parametrize("store", STORES)
def test_a_held_session_corrected_to_cancelled_has_no_outcomes_from_then(store: str) -> None:
    with attendance_kit(store, attendance=TEACHERS, journal=True) as (kit, clock):
        lesson = _lesson(kit)
        kit.advance_due(T, now=START - 10 * MIN)
        kit.attendance.record_presence(T, [presence(1, "student:ana", JOIN, 0, lesson)], now=START)
        kit.advance_due(T, now=START + 60 * MIN)  # COMPLETED at 17:55
        assert kit.queries.get(T, lesson).status == "COMPLETED"
        assert _told(kit, lesson) == [("teacher:t1", ABSENT, NO_SHOW)]
        clock.set(START + 90 * MIN)
        kit.usage.correct(T, lesson, "CANCELLED", actor="admin", reason="did not take place")
        assert _told(kit, lesson) == []
        # Until the correction the journal tells it was held: the teacher's no-show stands.
        assert _told(kit, lesson, as_of=START + 70 * MIN) == [("teacher:t1", ABSENT, NO_SHOW)]


@pytest.mark.parametrize("store", STORES)
def test_a_cancel_refunds_the_paid_absent_in_full_and_decides_no_no_show(store: str) -> None:
    price = FixedPrice(Money.of(60, "EUR"))
    with attendance_kit(store, attendance=TEACHERS, pricing=price) as (kit, clock):
        lesson = _lesson(kit)
        paid = []
        for who in ("student:ana", "student:ben"):
            checkout = kit.payments.book(T, lesson, who, actor=who, manual=True, confirm=True)
            kit.payments.mark_paid(T, [checkout.payment.id], actor="t1")
            paid.append(checkout.payment.id)
        kit.advance_due(T, now=START - 10 * MIN)
        kit.attendance.record_presence(T, [presence(1, "student:ana", JOIN, 0, lesson)], now=START)
        clock.set(START + 10 * MIN)
        kit.sessions.cancel(T, lesson, actor="host")
        clock.set(START + timedelta(hours=2))
        kit.advance_due(T)
        payments = [kit.payments.get(T, p) for p in paid]
        # Ben, never there, gets all of it back as ana does: a cancel, not his no-show.
        assert [(p.status, p.refunded) for p in payments] == [("REFUNDED", Decimal("60.00"))] * 2
        assert [NO_SHOW_FIELD in p.metadata for p in payments] == [False, False]
        assert _told(kit, lesson) == []
