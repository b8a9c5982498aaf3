"""A session whose capacity was lowered below its booked seats, on every store alike.

Capacity is checked on what a write adds: bookings that hold their seats
keep them (a hold can still be confirmed, a booked session still moved),
while nothing that would take a seat more (a newcomer, an offer to the
waitlist) gets in until enough seats free. Memory, SQLite, PostgreSQL and
MariaDB give the same answers and events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.errors import CapacityExceeded
from sessionkit.model import ResourceRef, Session
from sessionkit.model.booking import BOOKING_LIFECYCLE, Booking
from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.policies import BookingRules
from sessionkit.ports import BOOKINGS, UnitOfWorkFactory
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
RULES = BookingRules(
    waitlist=True,
    lock_booked=False,
    hold_for=timedelta(minutes=15),
    offer_for=timedelta(hours=2),
)


def _kit(
    engine: Engine | None, rules: BookingRules = RULES
) -> tuple[SessionKit, UnitOfWorkFactory, RecordingPublisher]:
    events = RecordingPublisher()
    store: UnitOfWorkFactory
    if engine is None:
        store = InMemoryStore(publisher=events).unit_of_work
    else:
        clear_tables(engine)
        store = SqlAlchemyStore(engine, events).unit_of_work
    kit = SessionKit(uow=store, clock=ManualClock(NOW), booking_rules=rules)
    return kit, store, events


def _lower(store: UnitOfWorkFactory, session: Session, capacity: int) -> None:
    """Lower the stored session's capacity, as a host editing its own table would."""
    with store() as uow:
        current = uow.sessions.get(T, session.id)
        lowered = attrs.evolve(current, capacity=capacity)
        uow.sessions.update(lowered, expected_version=current.version)
        uow.commit()


def _algebra(kit: SessionKit) -> Session:
    """A 3-seat session of tutor tina."""
    return kit.sessions.create_extra(
        T,
        actor="tina",
        title="Algebra",
        start=datetime(2026, 3, 4, 10, tzinfo=UTC),
        end=datetime(2026, 3, 4, 11, tzinfo=UTC),
        resources=[ResourceRef("tutor", "tina")],
        lifecycle="lms",
        capacity=3,
    )


def _ben_waits_for_three(kit: SessionKit) -> tuple[Session, Booking]:
    """A 3-seat session: ana confirmed for 1; ben waits for 3 seats."""
    session = _algebra(kit)
    kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)
    ben = kit.bookings.book(T, session.id, "student:ben", actor="ben", seats=3, waitlist=True)
    return session, ben


def _seated(kit: SessionKit) -> tuple[Session, list[str], str, str]:
    """A full 3-seat session: ana and ben confirmed, cai held; dan waits."""
    session = _algebra(kit)
    confirmed = [
        kit.bookings.book(T, session.id, who, actor="x", confirm=True).id
        for who in ("student:ana", "student:ben")
    ]
    held = kit.bookings.book(T, session.id, "student:cai", actor="cai").id
    waiting = kit.bookings.book(T, session.id, "student:dan", actor="dan", waitlist=True).id
    return session, confirmed, held, waiting


def test_a_lowered_capacity_keeps_the_seats_booked_and_lets_nobody_more_in(
    every_store: Engine | None,
) -> None:
    kit, store, events = _kit(every_store)
    session, (ana, _ben), cai, dan = _seated(kit)
    _lower(store, session, 1)

    # The hold took its seat before the capacity was lowered: confirming adds none.
    assert kit.bookings.confirm(T, cai, actor="cai").status == "CONFIRMED"
    assert kit.bookings.remaining_seats(T, [session.id]) == {session.id: 0}
    # One cancel leaves two seats booked of one: nothing is offered to the waitlist.
    assert kit.bookings.cancel(T, ana, actor="ana").status == "CANCELLED"
    assert kit.bookings.get(T, dan).status == "WAITLISTED"
    with pytest.raises(CapacityExceeded) as full:
        kit.bookings.book(T, session.id, "student:eve", actor="eve")
    assert (full.value.capacity, full.value.taken, full.value.waiting) == (1, 2, 1)

    # A booked session moves with its bookings (their copy of the time follows).
    later = session.start + timedelta(hours=2)
    moved = kit.sessions.update(T, session.id, actor="tina", start=later)
    assert moved.start == later
    stored = kit.bookings.for_session(T, session.id)
    assert sorted((str(b.participant), b.status, b.session_start) for b in stored) == [
        ("student:ana", "CANCELLED", later),
        ("student:ben", "CONFIRMED", later),
        ("student:cai", "CONFIRMED", later),
        ("student:dan", "WAITLISTED", later),
    ]
    changes = [
        (type(e).__name__, str(e.booking.participant))
        for e in events.events
        if isinstance(e, BookingStatusChanged)
    ]
    assert changes == [
        ("BookingConfirmed", "student:ana"),
        ("BookingConfirmed", "student:ben"),
        ("BookingHeld", "student:cai"),
        ("BookingWaitlisted", "student:dan"),
        ("BookingConfirmed", "student:cai"),
        ("BookingCancelled", "student:ana"),
    ]


def test_a_write_that_adds_seats_past_a_lowered_capacity_is_still_refused(
    every_store: Engine | None,
) -> None:
    kit, store, _ = _kit(every_store)
    session, _confirmed, _cai, dan = _seated(kit)
    _lower(store, session, 2)
    with store() as uow:
        waiting = uow.repository(BOOKINGS).get(T, dan)
        offered, _ = BOOKING_LIFECYCLE.fire(
            waiting.holding(until=NOW + timedelta(hours=1)), "offer", now=NOW
        )
        with pytest.raises(CapacityExceeded) as full:
            uow.repository(BOOKINGS).update(
                attrs.evolve(offered, updated_at=NOW), expected_version=waiting.version
            )
    assert (full.value.capacity, full.value.taken, full.value.asked) == (2, 3, 1)


def _waiting_for_three(kit: SessionKit) -> tuple[Session, str, str, str]:
    """A full 3-seat session: ana confirmed for 3; ben waits for 3 seats, cai for 1."""
    session = _algebra(kit)
    ana = kit.bookings.book(T, session.id, "student:ana", actor="x", seats=3, confirm=True).id
    ben = kit.bookings.book(T, session.id, "student:ben", actor="ben", seats=3, waitlist=True).id
    cai = kit.bookings.book(T, session.id, "student:cai", actor="cai", waitlist=True).id
    return session, ana, ben, cai


def test_a_capacity_lowered_below_a_waitlist_place_ends_it_and_serves_the_next(
    every_store: Engine | None,
) -> None:
    # Before, ben's place (3 seats of a session now of 2) could never be offered and,
    # first in line, blocked everyone behind it: a session with 2 seats free and
    # nobody in it refused cai and every newcomer until it started.
    kit, _store, events = _kit(every_store)
    session, ana, ben, cai = _waiting_for_three(kit)
    kit.sessions.update(T, session.id, actor="tina", capacity=2)
    ended = kit.bookings.get(T, ben)
    assert (ended.status, kit.bookings.get(T, cai).status) == ("EXPIRED", "WAITLISTED")
    kit.bookings.cancel(T, ana, actor="ana")
    assert kit.bookings.get(T, cai).status == "OFFERED"
    assert kit.bookings.remaining_seats(T, [session.id]) == {session.id: 1}
    assert kit.bookings.book(T, session.id, "student:dan", actor="dan").status == "HELD"
    lapsed = [
        e for e in events.events if isinstance(e, BookingStatusChanged) and e.booking.id == ben
    ][-1]
    assert (type(lapsed).__name__, lapsed.change.transition, lapsed.actor) == (
        "BookingExpired",
        "lapse",
        "tina",
    )
    assert lapsed.reason == (
        "the session's capacity is 2, below the 3 seat(s) this waitlist place waits for"
    )


def test_a_waitlist_place_above_a_capacity_lowered_by_the_host_ends_at_the_next_write(
    every_store: Engine | None,
) -> None:
    kit, store, _ = _kit(every_store)
    session, ana, ben, cai = _waiting_for_three(kit)
    _lower(store, session, 2)  # the host's own admin: no kit command ran
    kit.bookings.cancel(T, ana, actor="ana")
    assert kit.bookings.get(T, ben).status == "EXPIRED"
    assert kit.bookings.get(T, cai).status == "OFFERED"
    assert kit.bookings.remaining_seats(T, [session.id]) == {session.id: 1}


def test_the_reads_already_free_what_a_place_above_a_lowered_capacity_holds_back(
    every_store: Engine | None,
) -> None:
    # Before, until the next write ended ben's place, remaining_seats and bookable
    # still counted its 3 seats as owed (0 free, not listed) while can_book and book
    # ended it and took the free seat: a listing disagreed with the command.
    kit, store, _ = _kit(every_store)
    session, ben = _ben_waits_for_three(kit)
    assert kit.bookings.remaining_seats(T, [session.id]) == {session.id: 0}
    _lower(store, session, 2)  # the host's own admin: ben's 3 seats can never be offered
    assert kit.bookings.remaining_seats(T, [session.id]) == {session.id: 1}
    listed = kit.bookings.bookable(T, start=NOW, end=NOW + timedelta(days=7))
    assert [(b.session_id, b.taken, b.remaining) for b in listed] == [(session.id, 1, 1)]
    assert kit.bookings.can_book(T, session.id, "student:cai") is None
    assert kit.bookings.book(T, session.id, "student:cai", actor="cai").status == "HELD"
    assert kit.bookings.get(T, ben.id).status == "EXPIRED"
    assert kit.bookings.remaining_seats(T, [session.id]) == {session.id: 0}


def test_a_participant_listing_forgets_their_place_above_a_lowered_capacity(
    every_store: Engine | None,
) -> None:
    # Before, bookable(participant=ben) left the session out (ben "in it already", and at
    # per_day by that place) while can_book and book ended the place and seated him.
    kit, store, _ = _kit(every_store, attrs.evolve(RULES, per_day=1))
    session, ben = _ben_waits_for_three(kit)

    def listing() -> list[tuple[str, int]]:
        found = kit.bookings.bookable(
            T, start=NOW, end=NOW + timedelta(days=7), participant="student:ben"
        )
        return [(b.session_id, b.remaining) for b in found]

    assert listing() == []
    _lower(store, session, 2)  # the host's own admin: ben's place can never be offered
    assert listing() == [(session.id, 1)]
    assert kit.bookings.can_book(T, session.id, "student:ben") is None
    again = kit.bookings.book(T, session.id, "student:ben", actor="ben")
    assert (again.status, kit.bookings.get(T, ben.id).status) == ("HELD", "EXPIRED")
    assert listing() == []
