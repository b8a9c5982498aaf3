"""A booking's values and their checks: participant, seats, instants, waitlist place, list order.

Private to :mod:`sessionkit.model.booking`, which exports the public names
(:func:`participant_ref`, :func:`check_seats`, :data:`MAX_IDEMPOTENCY_KEY_LENGTH`,
:data:`SessionOrder`, :func:`session_order_key`); the rest are the converters and checks of
:class:`~sessionkit.model.booking.Booking`'s fields and of a session-order
cursor, used as they are (no wrapper stands between a booking and them).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import check_int, plain_int, shown
from sessionkit.model.session import MAX_CAPACITY, ResourceRef
from sessionkit.zones import check_aware

__all__ = [
    "MAX_IDEMPOTENCY_KEY_LENGTH",
    "SessionOrder",
    "check_at",
    "check_seats",
    "check_session_order",
    "hold_expiry",
    "participant_ref",
    "session_order_key",
    "utc_instant",
    "waitlist_position",
]

MAX_IDEMPOTENCY_KEY_LENGTH = 255
"""Longest idempotency key any adapter must store."""


def participant_ref(value: ResourceRef | str) -> ResourceRef:
    """Return a participant reference from a :class:`ResourceRef` or ``"kind:id"`` text."""
    if isinstance(value, ResourceRef):
        return value
    if isinstance(value, str):
        return ResourceRef.parse(value)
    raise WrongType(
        value, name="participant", expected="a ResourceRef or 'kind:id' text such as 'student:ana'"
    )


def check_seats(value: object) -> int:
    """Return ``value`` if it is a whole number of seats (>= 1), else raise ``InvalidValue``.

    A value that is no integer (a bool included) raises ``WrongType``.
    """
    value = check_int(value, name="seats", expected="an integer >= 1")
    if not 1 <= value <= MAX_CAPACITY:
        raise InvalidValue(
            f"a booking takes 1..{MAX_CAPACITY:,} seats, got seats={shown(value)}",
            value=value,
            expected=f"an integer 1..{MAX_CAPACITY}",
            name="seats",
        )
    return value


def utc_instant(value: datetime) -> datetime:
    """Return the aware ``value`` in UTC (a booking's instants are kept so); naive raises."""
    return check_aware(value, "instant").astimezone(UTC)


def check_at(at: datetime) -> None:
    """Refuse an ``at`` that is no aware datetime (the aware one passes at the cost of a test)."""
    # Compared with a stored aware instant, a naive one raised a bare TypeError for a hold
    # and answered silently for a confirmed booking.
    if type(at) is not datetime or at.tzinfo is None:
        check_aware(at, "at")


def hold_expiry(value: datetime | None) -> datetime | None:
    """Return ``hold_expires_at`` in UTC, or ``None`` (no hold); a naive one raises."""
    return None if value is None else check_aware(value, "hold_expires_at").astimezone(UTC)


def waitlist_position(value: int | None) -> int | None:
    """A waitlist position: ``None`` (not waiting) or a plain ``int`` from 1."""
    if value is None:
        return None
    position = check_int(value, name="Booking.position", expected="None or an integer from 1")
    if position < 1:
        raise InvalidValue(
            f"a waitlist position counts from 1, got {position}",
            value=position,
            expected="None or an integer from 1",
        )
    return position


SessionOrder = tuple[int | None, datetime, str]
"""Where a booking stands in its session's list (:attr:`Booking.session_order`)."""


def session_order_key(order: SessionOrder) -> tuple[bool, int, datetime, str]:
    """Return the sort key of a :data:`SessionOrder`: unplaced last, then position, creation, id."""
    position, created_at, booking_id = order
    return (position is None, position or 0, created_at, booking_id)


def check_session_order(value: object) -> SessionOrder:
    """Return ``value`` if it is a :data:`SessionOrder` (position, creation, id), else raise."""
    if isinstance(value, tuple) and len(value) == 3:
        position, created_at, booking_id = value
        position = plain_int(position)
        if (
            (position is None or (isinstance(position, int) and not isinstance(position, bool)))
            and isinstance(created_at, datetime)
            and isinstance(booking_id, str)
        ):
            check_aware(created_at, "after's creation instant")
            return (position, created_at, booking_id)
    raise WrongType(
        value, name="after", expected="a booking's session_order: (position, created_at, id)"
    )
