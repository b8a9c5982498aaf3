"""Booking events: one per booking change, each a :class:`BookingStatusChanged`.

Listeners pick the class they care about (a refund listener watches
:class:`BookingCancelled` and :class:`BookingExpired`); a listener of every
change watches :class:`BookingStatusChanged`. :func:`booking_event` builds the
right class from the lifecycle's change.
"""

from __future__ import annotations

import attrs

from sessionkit.errors import WrongType
from sessionkit.lifecycle import StatusChanged
from sessionkit.model.booking import (
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
    "BookingStatusChanged",
    "BookingWaitlisted",
    "booking_event",
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
