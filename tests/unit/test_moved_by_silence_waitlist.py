"""A session silence moved keeps its waitlist, however late the tick answered the request.

A reschedule request's silence moves its session at the request's deadline;
the tick answers it whenever it runs. A waitlist place runs out when its
session starts, so it is judged on the time the session had when it moved:
answered after the old start (but before the new one), the place still waits,
as it does when the tick ran on time. It was lapsed, judged on the old start
at the answer's instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.model import ResourceRef
from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.policies import BookingRules, coaching_notice
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = datetime(2026, 3, 3, 9, tzinfo=UTC)  # the request's deadline is 08:00 that day
MOVED = datetime(2026, 3, 4, 10, tzinfo=UTC)
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15), offer_for=timedelta(hours=2))


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("late", [timedelta(minutes=-30), timedelta(minutes=30)])
def test_a_waitlist_place_moves_with_its_session_whenever_the_tick_answers(
    store: str, late: timedelta
) -> None:
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    session = kit.sessions.create_extra(
        T,
        actor="cleo",
        lifecycle="lms",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
        capacity=1,
    )
    kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)
    ben = kit.bookings.book(T, session.id, "student:ben", actor="ben", waitlist=True)
    request = kit.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason="I have an exam that morning",
        proposed_start=MOVED,
    )
    assert request.deadline == START - timedelta(hours=1)
    assert kit.tick(T, now=START + late).approved == 1  # before or after the old start
    waiting = kit.bookings.get(T, ben.id)
    assert (waiting.status, waiting.session_start, waiting.position) == ("WAITLISTED", MOVED, 1)
    assert [e.change.transition for e in events.of_type(BookingStatusChanged)] == [
        "book",
        "queue",
    ]
