"""``for_session(as_of=...)`` lists the bookings confirmed then, not those confirmed now.

It took the participants to be the session's bookings confirmed at the read:
a booking cancelled since (ben's, at 16:45) was missing from a read as of
16:30, when he was booked, and one made since (cy's, at 16:40) was in it. A
booking made after ``as_of`` had not been made; one not written since had its
status now; the kit's journal tells the rest. Without a journal, a booking
changed since is read by its status now (documented).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from sessionkit.model.attendance import ABSENT, JOIN, PENDING, PRESENT
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

from ._attendance_support import MIN, START, T, attendance_kit, presence

STORES = ["memory", "sqlite"]


def _circle(kit: SessionKit, clock: ManualClock) -> str:
    """A circle 17:00-18:00: ana and ben booked the day before, ana there from 17:00.

    At 16:40 cy books; at 16:45 ben's booking is cancelled. The clock is left at 17:20.
    """
    circle = kit.sessions.create_extra(
        T, actor="admin", start=START, end=START + 60 * MIN, lifecycle="academy", capacity=3,
    ).id  # fmt: skip
    kit.bookings.book(T, circle, "student:ana", actor="admin", confirm=True)
    ben = kit.bookings.book(T, circle, "student:ben", actor="admin", confirm=True)
    clock.set(START - 20 * MIN)
    kit.bookings.book(T, circle, "student:cy", actor="admin", confirm=True)
    clock.set(START - 15 * MIN)
    kit.bookings.cancel(T, ben.id, actor="admin")
    kit.advance_due(T, now=START - 10 * MIN)
    kit.attendance.record_presence(T, [presence(1, "student:ana", JOIN, 0, circle)], now=START)
    clock.set(START + 20 * MIN)
    return circle


def _listed(kit: SessionKit, circle: str, as_of: datetime | None = None) -> dict[str, str]:
    found = kit.attendance.for_session(T, circle, as_of=as_of)
    return {str(a.participant): a.effective_status for a in found}


@pytest.mark.parametrize("store", STORES)
def test_a_read_as_of_lists_the_bookings_confirmed_then(store: str) -> None:
    with attendance_kit(store, journal=True) as (kit, clock):
        circle = _circle(kit, clock)
        # At 16:30 ben was booked (cancelled at 16:45); cy had not booked yet.
        assert _listed(kit, circle, START - 30 * MIN) == {
            "student:ana": PENDING,
            "student:ben": PENDING,
        }
        # At 16:40 cy had just booked (a booking at as_of had been made).
        assert _listed(kit, circle, START - 20 * MIN) == {
            "student:ana": PENDING,
            "student:ben": PENDING,
            "student:cy": PENDING,
        }
        # From 16:45 ben's booking was cancelled.
        assert _listed(kit, circle, START + 10 * MIN) == {
            "student:ana": PRESENT,
            "student:cy": PENDING,
        }
        clock.set(START + 90 * MIN)
        assert _listed(kit, circle) == {"student:ana": PRESENT, "student:cy": ABSENT}


@pytest.mark.parametrize("store", STORES)
def test_without_a_journal_only_a_booking_changed_since_is_read_by_its_status_now(
    store: str,
) -> None:
    with attendance_kit(store) as (kit, clock):
        circle = _circle(kit, clock)
        # cy's booking, made after 16:30, had not been made: known without a journal. Ben's,
        # cancelled since, cannot be told without one: read by its status now (cancelled).
        assert _listed(kit, circle, START - 30 * MIN) == {"student:ana": PENDING}
        # ana's and cy's, not written since 16:40, had their status now.
        assert _listed(kit, circle, START - 20 * MIN) == {
            "student:ana": PENDING,
            "student:cy": PENDING,
        }
