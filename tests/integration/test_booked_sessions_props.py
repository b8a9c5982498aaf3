"""The shipped ``booked_sessions`` strategy against every store: stored, read back, counted.

Each drawn session with its bookings is written through a unit of work and
read back on memory, SQLite, PostgreSQL and MariaDB (engines as in
``conftest.py``, emptied per example): the bookings read back equal, and the
store's seat reads (``remaining_seats``, ``bookable``, for anyone and for
each participant) say what the drawn value's oracle says at its instant.
So the strategy draws only states the stores hold as they are, and a
user's property over them sees what sessionkit would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from hypothesis import find, given, settings
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.model.booking import (
    ACTIVE_BOOKING_STATUSES,
    EXPIRED,
    HELD,
    WAITLISTED,
    Booking,
)
from sessionkit.policies import BookingRules
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.testing import strategies as sks
from sessionkit.testing.clocks import ManualClock


def _stored(engine: Engine | None, booked: sks.BookedSession) -> SessionKit:
    """A kit over the store (emptied), at ``booked.at``, holding ``booked`` as drawn."""
    store: UnitOfWorkFactory = InMemoryStore().unit_of_work
    if engine is not None:
        clear_tables(engine)
        store = SqlAlchemyStore(engine).unit_of_work
    kit = SessionKit(uow=store, clock=ManualClock(booked.at))
    with kit.context.transaction() as tx:
        tx.sessions.add(booked.session)
        tx.bookings.add_many(list(booked.bookings))
    return kit


@settings(max_examples=30, deadline=None)
@given(booked=sks.booked_sessions(max_bookings=8))
def test_a_drawn_booked_session_is_stored_read_back_and_counted_as_its_oracle(
    every_store: Engine | None, booked: sks.BookedSession
) -> None:
    session = booked.session
    kit = _stored(every_store, booked)

    read = kit.bookings.for_session(session.tenant, session.id)
    assert sorted(read, key=lambda b: b.id) == sorted(booked.bookings, key=lambda b: b.id)
    assert kit.bookings.remaining_seats(session.tenant, [session.id]) == {
        session.id: booked.remaining
    }
    listed = kit.bookings.bookable(session.tenant, start=session.start, end=session.end)
    assert [(b.session_id, b.taken, b.remaining) for b in listed] == (
        [(session.id, booked.taken, booked.remaining)] if booked.remaining else []
    )
    for who in {b.participant for b in booked.bookings}:
        # Listed for a participant unless they are in it already: a booking in play that
        # has not run out at the drawn instant.
        inside = any(
            b.participant == who
            and b.status in ACTIVE_BOOKING_STATUSES
            and not b.expired_at(booked.at)
            for b in booked.bookings
        )
        theirs = kit.bookings.bookable(
            session.tenant, start=session.start, end=session.end, participant=who
        )
        assert [b.session_id for b in theirs] == (
            [session.id] if booked.remaining and not inside else []
        )


@settings(max_examples=10, deadline=None)
@given(booked=sks.booked_sessions(at=datetime(2026, 3, 2, 8, tzinfo=UTC)))
def test_a_booked_session_at_a_given_instant_is_counted_at_that_instant(
    every_store: Engine | None, booked: sks.BookedSession
) -> None:
    assert booked.at == datetime(2026, 3, 2, 8, tzinfo=UTC)
    session = booked.session
    kit = _stored(every_store, booked)
    assert kit.bookings.remaining_seats(session.tenant, [session.id]) == {
        session.id: booked.remaining
    }


@pytest.mark.parametrize(
    ("finished_at", "left"),
    [
        # After the start: the hold ran out and the waitlist place with the start, and the
        # finish left both to the expiry job, stored as they were.
        (timedelta(days=1, minutes=5), {HELD, WAITLISTED}),
        # Finished ahead of its time: the waitlist place lapsed (EXPIRED, no expiry).
        (timedelta(minutes=20), {HELD, EXPIRED}),
    ],
)
def test_bookings_draw_what_a_finish_leaves_for_the_expiry_job(
    finished_at: timedelta, left: set[str]
) -> None:
    # bookings() of a finished session drew only CONFIRMED, CANCELLED and EXPIRED, where the
    # kit leaves a hold that had run out (and a started session's waitlist place) stored as
    # it was until the job runs: a rule over them was never tried on what the kit holds.
    began = datetime(2026, 5, 1, 9, tzinfo=UTC)
    clock = ManualClock(began)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=clock, booking_rules=BookingRules(waitlist=True)
    )
    start = began + timedelta(days=1)
    session = kit.sessions.create_extra(
        "acme",
        actor=None,
        start=start,
        end=start + timedelta(hours=1),
        lifecycle="lms",
        capacity=1,  # the second booking waits
    )
    kit.bookings.book("acme", session.id, "student:a", actor=None, hold_for=timedelta(minutes=10))
    kit.bookings.book("acme", session.id, "student:b", actor=None, waitlist=True)
    clock.set(began + finished_at)
    for transition in ("start", "finish"):
        session = kit.sessions.fire("acme", session.id, transition, actor="admin", role="admin")
    stored = kit.bookings.for_session("acme", session.id)
    assert {b.status for b in stored} == left
    now = clock.now()
    for kept in stored:
        drawn = find(sks.bookings(session, at=now), partial(_alike, kept=kept, now=now))
        assert drawn.status == kept.status


def _alike(drawn: Booking, kept: Booking, now: datetime) -> bool:
    """Whether ``drawn`` is stored as ``kept`` is at ``now``: status, expiry, position, run out."""
    return (
        drawn.status == kept.status
        and (drawn.hold_expires_at is None) == (kept.hold_expires_at is None)
        and (drawn.position is None) == (kept.position is None)
        and drawn.expired_at(now) == kept.expired_at(now)
    )
