"""A cancel that answers an overdue reschedule request first offers no seat to what it cancels.

A booking's cancel answers its session's request past its deadline by
silence first (so it is judged, and refunded, at the session's new time).
That answer settles the session: a hold that ran out frees its seat to the
waitlist. The waitlist place being cancelled was offered that seat (a
``BookingOffered``) and cancelled at once in the same unit; now the place is
held back until its cancel is stored, and the seat goes to the next in line.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.model import ResourceRef
from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.policies import BookingRules, coaching_notice
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = datetime(2026, 3, 3, 9, tzinfo=UTC)  # the request's deadline is 08:00 that day
MOVED = datetime(2026, 3, 4, 10, tzinfo=UTC)
HELD_AT = START - timedelta(minutes=65)  # Cai's hold runs out at 08:10, after the deadline
ANSWERED = START - timedelta(minutes=30)  # no tick ran: the cancel answers the request
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15), offer_for=timedelta(hours=2))


def _session(kit: SessionKit, seats: int) -> str:
    """Ana's confirmed seat, a move she asked for, Cai's hold, Ben (``seats``) and Dan waiting."""
    session = kit.sessions.create_extra(
        T,
        actor="cleo",
        lifecycle="lms",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
        capacity=1 + seats,
    )
    kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)
    kit.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason="I have an exam that morning",
        proposed_start=MOVED,
    )
    kit.bookings.book(T, session.id, "student:cai", actor="cai", seats=seats, now=HELD_AT)
    for who in ("ben", "dan"):
        kit.bookings.book(
            T, session.id, f"student:{who}", actor=who, seats=seats, waitlist=True, now=HELD_AT
        )
    return session.id


def _changes(events: RecordingPublisher) -> list[tuple[str, str]]:
    return [
        (e.booking.participant.id, e.change.transition)
        for e in events.of_type(BookingStatusChanged)
    ]


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("seats", [1, 2], ids=["one-seat", "two-seats"])
def test_the_cancelled_waitlist_place_is_offered_nothing_and_the_next_gets_the_seat(
    store: str, seats: int
) -> None:
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    session_id = _session(kit, seats)
    ben, dan = (b for b in kit.bookings.for_session(T, session_id) if b.status == "WAITLISTED")
    cancelled = kit.bookings.cancel(T, ben.id, actor="ben", now=ANSWERED)
    assert (cancelled.status, cancelled.session_start) == ("CANCELLED", MOVED)
    assert _changes(events)[4:] == [("cai", "expire"), ("ben", "cancel"), ("dan", "offer")]
    offered = kit.bookings.get(T, dan.id)
    assert (offered.status, offered.seats, offered.hold_expires_at) == (
        "OFFERED",
        seats,
        ANSWERED + RULES.offer_for,
    )
    assert [r.status for r in kit.reschedules.for_session(T, session_id)] == ["AUTO_APPROVED"]


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_confirmed_booking_s_cancel_still_offers_what_silence_freed_first(store: str) -> None:
    # Not the cancelled booking's own: the seat Cai's hold freed goes to Ben at the answer,
    # the seats Ana gives back to Dan after her cancel, in that order.
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    session_id = _session(kit, 1)
    ana = next(b for b in kit.bookings.for_session(T, session_id) if b.status == "CONFIRMED")
    kit.bookings.cancel(T, ana.id, actor="ana", role="admin", now=ANSWERED)
    assert _changes(events)[4:] == [
        ("cai", "expire"),
        ("ben", "offer"),
        ("ana", "cancel"),
        ("dan", "offer"),
    ]


@pytest.mark.parametrize("store", sorted(STORES))
def test_seats_given_back_by_a_waitlist_place_are_not_offered_to_it_first(store: str) -> None:
    # Ben waits for 2 and gives 1 back: offered the 1 seat he keeps asking for, after his
    # change, never the 2 he gave up half of; Dan (2) does not fit the seat left.
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    session_id = _session(kit, 2)
    ben, dan = (b for b in kit.bookings.for_session(T, session_id) if b.status == "WAITLISTED")
    kept = kit.bookings.cancel(T, ben.id, actor="ben", seats=1, now=ANSWERED)
    assert (kept.status, kept.seats, kept.hold_expires_at) == (
        "OFFERED",
        1,
        ANSWERED + RULES.offer_for,
    )
    assert _changes(events)[4:] == [("cai", "expire"), ("ben", "cancel_seats"), ("ben", "offer")]
    assert kit.bookings.get(T, dan.id).status == "WAITLISTED"
