"""The booking contract's support: sample bookings and sessions, and the base of its topics.

Bookings sit in sessions without resources (nothing they could conflict on),
each with a capacity of :data:`ROOMY` unless a test says otherwise; a
booking's instant is its ``created_at`` (or ``updated_at``), hours after
:data:`~sessionkit.testing.contract.T0` as in ``make_session``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from sessionkit.errors import (
    SessionNotFound,
)
from sessionkit.model.booking import CONFIRMED, Booking
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import BOOKINGS, BookingRepository, UnitOfWork
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._support import T0, TENANT, make_session
from sessionkit.testing.contract.parents import ParentsContract

__all__ = [
    "ROOMY",
    "BookingContractBase",
    "at_hours",
    "booking_ids",
    "make_booking",
    "make_booking_session",
]

ROOMY = 100
"""The capacity of the sessions :meth:`BookingsRepositoryContract.prepare` adds."""


def at_hours(hours: float) -> datetime:
    """Return the instant ``hours`` after :data:`~sessionkit.testing.contract.T0`."""
    return T0 + timedelta(hours=hours)


def make_booking_session(
    session_id: str, *, tenant: str = TENANT, capacity: int = ROOMY, at: float = 0.0
) -> Session:
    """Return a bookable session: no resources, ``capacity`` seats, ``at`` hours after ``T0``."""
    session = make_session(session_id, tenant=tenant, at=at, resources=(), busy=False)
    return attrs.evolve(session, capacity=capacity)


def make_booking(
    booking_id: str,
    *,
    tenant: str = TENANT,
    session_id: str = "s1",
    participant: str | None = None,
    seats: int = 1,
    status: str = CONFIRMED,
    hold_until: float | None = None,
    created: float = -50.0,
    updated: float | None = None,
    key: str | None = None,
    position: int | None = None,
    at: float = 0.0,
) -> Booking:
    """Return a booking of ``session_id`` (a one-hour session ``at`` hours after ``T0``).

    ``participant`` defaults to ``student:<booking_id>``; ``hold_until``,
    ``created`` and ``updated`` are hours after :data:`T0`.
    """
    start = at_hours(at)
    return Booking(
        id=booking_id,
        tenant=tenant,
        session_id=session_id,
        participant=participant or f"student:{booking_id}",
        seats=seats,
        status=status,
        hold_expires_at=None if hold_until is None else at_hours(hold_until),
        session_start=start,
        session_end=start + timedelta(hours=1),
        position=position,
        idempotency_key=key,
        created_at=at_hours(created),
        created_by="contract",
        updated_at=None if updated is None else at_hours(updated),
        updated_by=None if updated is None else "contract",
    )


def booking_ids(bookings: Sequence[Booking]) -> list[str]:
    """Return the bookings' ids, in order."""
    return [b.id for b in bookings]


class BookingContractBase(ParentsContract[Booking]):
    """The generic contract filled in for bookings, and the helpers the booking topics share."""

    kind = BOOKINGS

    # ------------------------------------------------------------------ the generic contract

    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> Booking:
        """Return a confirmed booking of ``s1`` by ``student:<record_id>``, keyed by ``variant``."""
        return make_booking(record_id, tenant=tenant, key=f"key-{variant}")

    def change(self, record: Booking) -> Booking:
        """Return the booking with another role."""
        return attrs.evolve(record, role=record.role + "-changed")

    def prepare(self, uow: UnitOfWork, records: Sequence[Booking]) -> None:
        """Add the bookings' sessions (:data:`ROOMY` seats each) that are not stored yet."""
        for tenant, session_id in sorted({(r.tenant, r.session_id) for r in records}):
            try:
                uow.sessions.get(tenant, session_id)
            except SessionNotFound:
                uow.sessions.add(make_booking_session(session_id, tenant=tenant))

    def collide(self, record: Booking, new_id: str) -> Booking:
        """Return a booking by another participant with the same idempotency key."""
        return attrs.evolve(record, id=new_id, participant=ResourceRef("student", new_id))

    # ------------------------------------------------------------------ helpers

    def bookings(self, uow: UnitOfWork) -> BookingRepository:
        """Return the unit's booking repository."""
        return uow.repository(BOOKINGS)

    def open_sessions(self, store: Factory, *sessions: Session) -> None:
        """Store ``sessions`` in one committed unit of work."""
        with store() as uow:
            uow.sessions.add_many(sessions)
            uow.commit()
