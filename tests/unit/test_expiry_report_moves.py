"""What ``expire_due`` reports for a session that silence moved first.

``kit.bookings.expire_due`` answers a session's overdue reschedule request by
silence before it settles the session (f6827186). The move marks what ran out
EXPIRED itself and offers the seats it freed, so the settling after it found
nothing left: the report said nothing expired and nothing was offered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.model import ResourceRef
from sessionkit.policies import BookingRules, coaching_notice
from sessionkit.services import SessionKit
from sessionkit.services.reports import ExpiryReport
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = datetime(2026, 3, 3, 9, tzinfo=UTC)
DEADLINE = START - timedelta(hours=1)  # the coaching notice's: silence moves it at 08:00
MOVED = datetime(2026, 3, 4, 10, tzinfo=UTC)
AFTER = START - timedelta(minutes=30)  # the job runs at 08:30, the request unanswered
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15), offer_for=timedelta(hours=2))
RUNS_OUT = {"before": DEADLINE - timedelta(minutes=5), "after": DEADLINE + timedelta(minutes=10)}
"""When the hold or offer runs out: before silence moved the session, or after (by 08:30)."""


def moving(kit: SessionKit, ending: str, runs_out: datetime) -> tuple[str, str, str]:
    """A session of 2 seats, Ana's (booked) asked to move; a ``ending`` that runs out at
    ``runs_out`` and a waitlist place behind it. The session's, that one's and the place's ids.
    """
    session = kit.sessions.create_extra(
        T,
        actor="cleo",
        lifecycle="lms",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
        capacity=2,
    )
    kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)
    request = kit.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason="I have an exam that morning",
        proposed_start=MOVED,
    )
    assert request.deadline == DEADLINE
    if ending == "hold":
        at = runs_out - RULES.hold_for
        ends = kit.bookings.book(T, session.id, "student:cai", actor="cai", now=at)
    else:  # Cai's hold ran out, the job offered Ben the seat until ``runs_out``
        at = runs_out - RULES.offer_for
        held = at - RULES.hold_for
        kit.bookings.book(T, session.id, "student:cai", actor="cai", now=held)
        ends = kit.bookings.book(T, session.id, "student:ben", actor="ben", waitlist=True, now=held)
        assert kit.bookings.expire_due(T, now=at) == ExpiryReport(expired=1, offered=1, sessions=1)
    waits = kit.bookings.book(T, session.id, "student:dan", actor="dan", waitlist=True, now=at)
    return session.id, ends.id, waits.id


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("ending", ["hold", "offer"])
@pytest.mark.parametrize("when", sorted(RUNS_OUT), ids=lambda w: f"ran-out-{w}-the-move")
def test_the_report_counts_what_the_move_of_an_overdue_request_ended(
    store: str, ending: str, when: str
) -> None:
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    session_id, ends, waits = moving(kit, ending, RUNS_OUT[when])
    report = kit.bookings.expire_due(T, now=AFTER)
    assert report == ExpiryReport(expired=1, offered=1, sessions=1, more=False)
    assert kit.queries.get(T, session_id).start == MOVED
    assert kit.bookings.get(T, ends).status == "EXPIRED"
    offer = kit.bookings.get(T, waits)
    assert (offer.status, offer.session_start) == ("OFFERED", MOVED)
    assert kit.bookings.expire_due(T, now=AFTER) == ExpiryReport()  # counted once
    assert kit.tick(T, now=AFTER).done == 0
