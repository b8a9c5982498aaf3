"""Booking events: one per booking change, each a :class:`BookingStatusChanged`.

Listeners pick the class they care about (a refund listener watches
:class:`BookingCancelled` and :class:`BookingExpired`); a listener of every
change watches :class:`BookingStatusChanged`. :func:`booking_event` builds the
right class from the lifecycle's change; :func:`seats_cancelled` builds the
one change that keeps the status, :class:`BookingSeatsCancelled`.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from sessionkit.errors import WrongType
from sessionkit.lifecycle import StatusChanged
from sessionkit.model.booking import (
    BOOKING_LIFECYCLE,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HELD,
    OFFERED,
    WAITLISTED,
    Booking,
)
from sessionkit.model.events import DomainEvent

__all__ = [
    "BookingCancelled",
    "BookingConfirmed",
    "BookingExpired",
    "BookingHeld",
    "BookingOffered",
    "BookingSeatsCancelled",
    "BookingStatusChanged",
    "BookingWaitlisted",
    "SEATS_CANCELLED",
    "booking_event",
    "seats_cancelled",
]


@attrs.frozen(slots=True, kw_only=True)
class BookingStatusChanged(DomainEvent):
    """A booking changed status; ``change`` is the lifecycle's event, ``reason`` why (if given)."""

    booking: Booking
    change: StatusChanged
    reason: str | None = None


@attrs.frozen(slots=True, kw_only=True)
class BookingHeld(BookingStatusChanged):
    """Seats were held until ``booking.hold_expires_at``."""


@attrs.frozen(slots=True, kw_only=True)
class BookingConfirmed(BookingStatusChanged):
    """Seats were confirmed (booked directly, or a hold or offer confirmed)."""


@attrs.frozen(slots=True, kw_only=True)
class BookingWaitlisted(BookingStatusChanged):
    """The participant joined the session's waitlist at ``booking.position``."""


@attrs.frozen(slots=True, kw_only=True)
class BookingOffered(BookingStatusChanged):
    """A freed seat was offered to a waitlisted participant until ``booking.hold_expires_at``."""


@attrs.frozen(slots=True, kw_only=True)
class BookingCancelled(BookingStatusChanged):
    """The booking was cancelled (by someone, or because its session was cancelled)."""


@attrs.frozen(slots=True, kw_only=True)
class BookingExpired(BookingStatusChanged):
    """A hold or offer ran out unconfirmed and freed its seats, or a waitlist place ran out.

    A waitlist place runs out when its session starts (transition ``lapse``):
    the participant got no seat. A session that reaches a terminal status
    ahead of its time (finished, completed early) ends its holds, offers and
    waitlist places at once, each with this event and a reason naming it.
    """


@attrs.frozen(slots=True, kw_only=True)
class BookingSeatsCancelled(BookingStatusChanged):
    """Some of a booking's seats were cancelled; it keeps its status with the rest.

    ``seats_before`` is what it had, ``seats_after`` (``booking.seats``) what
    it keeps: ``seats_before - seats_after`` were given back, to the waitlist's
    first in line as a cancel's are. ``change`` changes no status
    (``from_status == to_status``); its transition is :data:`SEATS_CANCELLED`,
    its ``role`` the role that cancelled. Not a :class:`BookingCancelled`: the
    booking is still in play.
    """

    seats_before: int
    seats_after: int


SEATS_CANCELLED = "cancel_seats"
"""The transition name a :class:`BookingSeatsCancelled`'s change carries (no lifecycle's own)."""


def seats_cancelled(
    before: Booking,
    after: Booking,
    *,
    at: datetime,
    actor: str | None,
    role: str | None = None,
    reason: str | None = None,
) -> BookingSeatsCancelled:
    """Return the event of ``before`` keeping ``after.seats`` of its seats at ``at``."""
    change = StatusChanged(
        session_id=after.id,
        lifecycle=BOOKING_LIFECYCLE.name,
        transition=SEATS_CANCELLED,
        from_status=before.status,
        to_status=after.status,
        at=at,
        actor=actor,
        role=role,
        reason=reason,
    )
    return BookingSeatsCancelled(
        tenant=after.tenant,
        actor=actor,
        at=at,
        booking=after,
        change=change,
        reason=reason,
        seats_before=before.seats,
        seats_after=after.seats,
    )


_BY_STATUS: dict[str, type[BookingStatusChanged]] = {
    HELD: BookingHeld,
    CONFIRMED: BookingConfirmed,
    WAITLISTED: BookingWaitlisted,
    OFFERED: BookingOffered,
    CANCELLED: BookingCancelled,
    EXPIRED: BookingExpired,
}


def booking_event(
    booking: Booking,
    change: StatusChanged,
    *,
    tenant: str,
    actor: str | None,
    reason: str | None = None,
) -> BookingStatusChanged:
    """Return the event class for the status ``booking`` entered, at the change's instant."""
    if not isinstance(booking, Booking):
        raise WrongType(booking, name="booking", expected="a Booking")
    if not isinstance(change, StatusChanged):
        raise WrongType(change, name="change", expected="a StatusChanged")
    cls = _BY_STATUS.get(booking.status, BookingStatusChanged)
    return cls(
        tenant=tenant, actor=actor, at=change.at, booking=booking, change=change, reason=reason
    )
