"""``outcomes(as_of=...)`` lists the bookings confirmed then, as ``for_session(as_of=...)`` does.

It took the participants to be the session's bookings confirmed at the read,
while ``for_session`` listed those confirmed at ``as_of``: ben's booking,
cancelled at 17:30, was missing from a read as of 17:20, when he was booked
and there, and cy's, made at 16:40, was in a read as of 16:30. Both reads now
take the same bookings (``services._attendance_bookings``).
"""

from __future__ import annotations

from datetime import datetime

from sessionkit.model.attendance import JOIN, PENDING, PRESENT
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

from ._attendance_support import MIN, START, T, attendance_kit, presence


def _circle(kit: SessionKit, clock: ManualClock) -> tuple[str, dict[str, str]]:
    """A circle 17:00-18:00 and its bookings' ids by participant.

    ana and ben book the day before, cy at 16:40; ana and ben are there from
    17:00; ben's booking is cancelled at 17:30. The clock is left at 17:40.
    """
    circle = kit.sessions.create_extra(
        T, actor="admin", start=START, end=START + 60 * MIN, lifecycle="academy", capacity=3,
    ).id  # fmt: skip
    ana = kit.bookings.book(T, circle, "student:ana", actor="admin", confirm=True)
    ben = kit.bookings.book(T, circle, "student:ben", actor="admin", confirm=True)
    clock.set(START - 20 * MIN)
    cy = kit.bookings.book(T, circle, "student:cy", actor="admin", confirm=True)
    kit.advance_due(T, now=START - 10 * MIN)
    there = [
        presence(1, "student:ana", JOIN, 0, circle),
        presence(2, "student:ben", JOIN, 0, circle),
    ]
    kit.attendance.record_presence(T, there, now=START)
    clock.set(START + 30 * MIN)
    kit.bookings.cancel(T, ben.id, actor="admin")
    clock.set(START + 40 * MIN)
    ids = {"student:ana": ana.id, "student:ben": ben.id, "student:cy": cy.id}
    return circle, ids


def _outcomes(
    kit: SessionKit, circle: str, as_of: datetime
) -> dict[str, tuple[str | None, str | None, str | None]]:
    found = kit.attendance.outcomes(T, circle, as_of=as_of)
    return {str(o.participant): (o.booking_id, o.attendance, o.outcome) for o in found}


def test_outcomes_as_of_lists_the_bookings_confirmed_then() -> None:
    with attendance_kit("memory", journal=True) as (kit, clock):
        circle, ids = _circle(kit, clock)
        # At 16:30 ben was booked (cancelled at 17:30); cy had not booked yet. Nobody had
        # come: no attendance records then.
        assert _outcomes(kit, circle, START - 30 * MIN) == {
            "student:ana": (ids["student:ana"], None, None),
            "student:ben": (ids["student:ben"], None, None),
        }
        # At 17:20 ben was booked and there: listed with his outcome. cy had booked, not come.
        assert _outcomes(kit, circle, START + 20 * MIN) == {
            "student:ana": (ids["student:ana"], PRESENT, "attended"),
            "student:ben": (ids["student:ben"], PRESENT, "attended"),
            "student:cy": (ids["student:cy"], PENDING, None),
        }
        # The same people as for_session lists then (everyone there then was booked).
        for as_of in (START - 30 * MIN, START + 20 * MIN):
            listed = kit.attendance.for_session(T, circle, as_of=as_of)
            assert set(_outcomes(kit, circle, as_of)) == {str(a.participant) for a in listed}
        # From 17:30 ben's booking was cancelled: no outcome of his, though for_session still
        # lists him by his presence.
        assert set(_outcomes(kit, circle, START + 35 * MIN)) == {"student:ana", "student:cy"}


def test_without_a_journal_a_booking_made_since_is_still_left_out() -> None:
    with attendance_kit("memory") as (kit, clock):
        circle = kit.sessions.create_extra(
            T, actor="admin", start=START, end=START + 60 * MIN, lifecycle="academy", capacity=3,
        ).id  # fmt: skip
        ana = kit.bookings.book(T, circle, "student:ana", actor="admin", confirm=True)
        clock.set(START - 20 * MIN)
        kit.bookings.book(T, circle, "student:cy", actor="admin", confirm=True)
        # The circle, never written since its creation, had its status now at 16:30 (no
        # journal needed); cy's booking, made at 16:40, had not been made then.
        assert _outcomes(kit, circle, START - 30 * MIN) == {"student:ana": (ana.id, None, None)}
