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

from datetime import UTC, datetime

from hypothesis import given, settings
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.model.booking import ACTIVE_BOOKING_STATUSES
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
