"""Giving back some of a booking's seats: ``kit.bookings.cancel(..., seats=k)``.

The booking keeps its status (and its hold's expiry, its waitlist position)
with ``k`` seats fewer, one ``BookingSeatsCancelled`` event says how many it
had and has, the seats go to the waitlist as a cancel's do, and the rules of
a cancel apply. As many seats as it has is a whole cancel. Bad values, and a
booking no longer in play, are refused with nothing written. On the memory
store and on SQLite, which must agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessionkit.errors import CancelRefused, InvalidTransition, InvalidValue, WrongType
from sessionkit.model import ResourceRef
from sessionkit.model.booking import Booking
from sessionkit.model.booking_events import (
    SEATS_CANCELLED,
    BookingCancelled,
    BookingSeatsCancelled,
    BookingStatusChanged,
)
from sessionkit.policies import BookingRules, NoticePolicy, NoticeRule
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(days=2)
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15), offer_for=timedelta(hours=2))


def _kit(store: str, **options: Any) -> tuple[SessionKit, RecordingPublisher]:
    events = RecordingPublisher()
    options.setdefault("booking_rules", RULES)
    return kit_on(STORES[store](events), NOW, **options), events


def _group(kit: SessionKit, capacity: int = 3, start: datetime = START) -> str:
    session = kit.sessions.create_extra(
        T,
        actor="tina",
        lifecycle="lms",
        title="Algebra (group)",
        start=start,
        end=start + timedelta(hours=1),
        resources=[ResourceRef("tutor", "tina")],
        capacity=capacity,
    )
    return session.id


def _family(kit: SessionKit, session_id: str, *, confirm: bool = True) -> Booking:
    """Three seats for a family, confirmed (or held)."""
    return kit.bookings.book(T, session_id, "parent:ana", actor="ana", seats=3, confirm=confirm)


def _seat_events(events: RecordingPublisher) -> list[BookingSeatsCancelled]:
    return events.of_type(BookingSeatsCancelled)


@pytest.mark.parametrize("store", sorted(STORES))
def test_giving_back_seats_keeps_the_booking_confirmed_with_the_rest(store: str) -> None:
    kit, events = _kit(store)
    session_id = _group(kit)
    family = _family(kit, session_id)
    kept = kit.bookings.cancel(T, family.id, actor="ana", seats=2, reason="two of them are ill")
    assert (kept.status, kept.seats, kept.version) == ("CONFIRMED", 1, family.version + 1)
    assert kit.bookings.get(T, family.id) == kept
    assert kit.bookings.remaining_seats(T, [session_id]) == {session_id: 2}
    [event] = _seat_events(events)
    assert (event.seats_before, event.seats_after, event.booking) == (3, 1, kept)
    change = event.change
    assert (change.transition, change.from_status, change.to_status, change.role) == (
        SEATS_CANCELLED,
        "CONFIRMED",
        "CONFIRMED",
        "participant",
    )
    assert (event.at, event.actor, event.reason) == (NOW, "ana", "two of them are ill")
    assert not events.of_type(BookingCancelled)  # still in play


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_hold_keeps_its_expiry_and_can_be_confirmed_with_fewer_seats(store: str) -> None:
    kit, _ = _kit(store)
    held = _family(kit, _group(kit), confirm=False)
    kept = kit.bookings.cancel(T, held.id, actor="ana", seats=1)
    assert (kept.status, kept.seats, kept.hold_expires_at) == ("HELD", 2, NOW + RULES.hold_for)
    confirmed = kit.bookings.confirm(T, held.id, actor="ana")
    assert (confirmed.status, confirmed.seats) == ("CONFIRMED", 2)


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_waitlist_place_keeps_its_position_and_is_offered_once_it_fits(store: str) -> None:
    kit, events = _kit(store)
    session_id = _group(kit, capacity=3)
    kit.bookings.book(T, session_id, "student:ben", actor="ben", seats=2, confirm=True)
    place = kit.bookings.book(T, session_id, "parent:cai", actor="cai", seats=3, waitlist=True)
    other = kit.bookings.book(T, session_id, "student:dan", actor="dan", waitlist=True)
    fewer = kit.bookings.cancel(T, place.id, actor="cai", seats=1)  # waits for 2: still too many
    assert (fewer.status, fewer.seats, fewer.position) == ("WAITLISTED", 2, 1)
    assert kit.bookings.get(T, other.id).status == "WAITLISTED"  # nobody jumps the queue
    one = kit.bookings.cancel(T, place.id, actor="cai", seats=1)  # 1 seat: the free one
    assert (one.status, one.seats, one.hold_expires_at) == ("OFFERED", 1, NOW + RULES.offer_for)
    assert [type(e).__name__ for e in events.of_type(BookingStatusChanged)][-3:] == [
        "BookingSeatsCancelled",
        "BookingSeatsCancelled",
        "BookingOffered",
    ]


@pytest.mark.parametrize("store", sorted(STORES))
def test_as_many_seats_as_it_has_is_a_whole_cancel(store: str) -> None:
    kit, events = _kit(store)
    session_id = _group(kit)
    family = _family(kit, session_id)
    cancelled = kit.bookings.cancel(T, family.id, actor="ana", seats=3)
    assert (cancelled.status, cancelled.seats) == ("CANCELLED", 3)
    assert [e.booking.id for e in events.of_type(BookingCancelled)] == [family.id]
    assert not _seat_events(events)
    assert kit.bookings.remaining_seats(T, [session_id]) == {session_id: 3}


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize(
    ("seats", "error", "expected"),
    [
        (0, InvalidValue, "an int >= 1"),
        (-1, InvalidValue, "an int >= 1"),
        (4, InvalidValue, "1..3"),
        (True, WrongType, "an int >= 1 (the seats given back)"),
        (1.0, WrongType, "an int >= 1 (the seats given back)"),
        ("1", WrongType, "an int >= 1 (the seats given back)"),
    ],
    ids=["zero", "negative", "more-than-it-has", "bool", "float", "text"],
)
def test_bad_seats_are_refused_naming_the_value_and_nothing_is_written(
    store: str, seats: object, error: type[Exception], expected: str
) -> None:
    kit, events = _kit(store)
    family = _family(kit, _group(kit))
    published = len(events.events)
    with pytest.raises(error) as refused:
        kit.bookings.cancel(T, family.id, actor="ana", seats=seats)  # type: ignore[arg-type]
    assert refused.value.expected == expected  # type: ignore[attr-defined]
    if isinstance(refused.value, InvalidValue):
        assert refused.value.value == seats
        assert f"seats={seats!r}" in str(refused.value)
    else:  # the WrongType names the argument and the value it got
        assert (refused.value.name, refused.value.value) == ("seats", seats)  # type: ignore[attr-defined]
        assert str(refused.value).startswith("seats must be")
    assert kit.bookings.get(T, family.id) == family
    assert len(events.events) == published


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_booking_no_longer_in_play_is_refused_as_a_cancel_is(store: str) -> None:
    kit, events = _kit(store)
    session_id = _group(kit)
    family = _family(kit, session_id)
    kit.bookings.cancel(T, family.id, actor="ana")
    held = kit.bookings.book(T, session_id, "parent:ben", actor="ben", seats=2)
    later = NOW + RULES.hold_for  # the hold ran out; no job marked it
    published = len(events.events)
    for booking, status in ((family, "CANCELLED"), (held, "EXPIRED")):
        stored = kit.bookings.get(T, booking.id)
        with pytest.raises(InvalidTransition) as refused:
            kit.bookings.cancel(T, booking.id, actor="ana", seats=1, now=later)
        assert (refused.value.status, refused.value.transition) == (status, "cancel")
        assert kit.bookings.get(T, booking.id) == stored
    assert len(events.events) == published


@pytest.mark.parametrize("store", sorted(STORES))
def test_the_notice_applies_as_to_a_cancel(store: str) -> None:
    notice = NoticePolicy(rules=(NoticeRule("cancel", {"student"}, timedelta(hours=24)),))
    kit, events = _kit(store, notice=notice)
    family = _family(kit, _group(kit, start=NOW + timedelta(hours=20)))
    published = len(events.events)
    with pytest.raises(CancelRefused) as refused:
        kit.bookings.cancel(T, family.id, actor="ana", role="student", seats=1)
    assert (refused.value.rule, refused.value.booking_id) == ("notice", family.id)
    assert kit.bookings.get(T, family.id) == family
    assert len(events.events) == published
    kept = kit.bookings.cancel(T, family.id, actor="tina", role="host", seats=1)
    assert (kept.status, kept.seats) == ("CONFIRMED", 2)


@pytest.mark.parametrize("store", sorted(STORES))
def test_the_journal_keeps_the_change_and_attendance_still_expects_them(store: str) -> None:
    kit, _ = _kit(store, journal=True)
    session_id = _group(kit)
    family = _family(kit, session_id)
    later = NOW + timedelta(hours=1)
    kit.bookings.cancel(T, family.id, actor="ana", seats=1, reason="Ben is ill", now=later)
    entries = [e for e in kit.journal.for_session(T, session_id) if e.subject == "booking"]
    assert [
        (e.event, e.previous, e.status, e.transition, e.details["seats"], e.reason) for e in entries
    ] == [
        ("BookingConfirmed", "NEW", "CONFIRMED", "book", 3, None),
        ("BookingSeatsCancelled", "CONFIRMED", "CONFIRMED", SEATS_CANCELLED, 2, "Ben is ill"),
    ]
    # The entry tells how many it had too, so a reader sees how many went back.
    assert [e.details.get("seats_before") for e in entries] == [None, 3]
    for as_of in (NOW + timedelta(minutes=30), later + timedelta(minutes=1)):
        listed = kit.attendance.for_session(T, session_id, as_of=as_of)
        assert [str(p.participant) for p in listed] == ["parent:ana"]
