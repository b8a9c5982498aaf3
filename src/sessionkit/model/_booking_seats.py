"""Seat counts and list order over bookings: what a store and a command judge a session's seats by.

Private to :mod:`sessionkit.model.booking`, which imports these functions once
:class:`~sessionkit.model.booking.Booking` is defined (they check their
arguments are bookings) and exports them; import them from there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sessionkit.errors import WrongType
from sessionkit.errors._base import instances_of
from sessionkit.model._booking_lifecycle import WAITLISTED
from sessionkit.model._booking_values import SessionOrder, check_session_order, session_order_key
from sessionkit.zones import check_aware

__all__ = ["in_session_order", "keeps_its_seats", "seats_owed", "seats_taken", "stamped_at"]


def in_session_order(
    bookings: Iterable[Booking], *, after: SessionOrder | None = None
) -> list[Booking]:
    """Return ``bookings`` in their session's order, those after ``after`` only (if given)."""
    ordered = sorted(
        instances_of(bookings, Booking, name="bookings"),
        key=lambda b: session_order_key(b.session_order),
    )
    if after is None:
        return ordered
    last = session_order_key(check_session_order(after))
    return [b for b in ordered if session_order_key(b.session_order) > last]


def stamped_at(booking: Booking) -> datetime:
    """Return the instant of the booking's latest change (``updated_at``, else ``created_at``).

    Storage judges a written booking's seats at this instant.
    """
    if not isinstance(booking, Booking):
        raise WrongType(booking, name="booking", expected="a Booking")
    return booking.created_at if booking.updated_at is None else booking.updated_at


def keeps_its_seats(stored: Booking | None, record: Booking) -> bool:
    """Whether ``record``, an update of ``stored``, takes no seat ``stored`` did not take already.

    A booking that took its seats at the update's instant and takes no more
    (confirmed, moved with its session) adds nothing to the count: storage
    checks capacity for what a write adds, so a session whose capacity was
    lowered below its booked seats can still confirm and move the bookings
    it has, while a newcomer or an offer is refused until seats free.
    """
    at = stamped_at(record)
    return (
        stored is not None
        and stored.session_id == record.session_id
        and stored.takes_seats(at)
        and record.seats <= stored.seats
    )


def seats_taken(bookings: Iterable[Booking], at: datetime, *, excluding: str | None = None) -> int:
    """Return the seats ``bookings`` take at ``at`` (leaving out the booking ``excluding``)."""
    check_aware(at, "at")
    return sum(
        b.seats
        for b in instances_of(bookings, Booking, name="bookings")
        if b.id != excluding and b.takes_seats(at)
    )


def seats_owed(bookings: Iterable[Booking], *, capacity: int | None = None) -> int:
    """Return the seats of the waitlisted ``bookings``: owed to them, free for no newcomer.

    With ``capacity`` (their session's), a place waiting for more seats than
    that is owed none: the next write to the session ends it (a capacity
    lowered by the host's own admin), so a read counts as ``book`` would.
    """
    return sum(
        b.seats
        for b in instances_of(bookings, Booking, name="bookings")
        if b.status == WAITLISTED and (capacity is None or b.seats <= capacity)
    )


# Last, as booking.py imports this module last: imported first, this module has its
# functions defined by the time booking (run by this import) asks for them; a top import
# made that a circular ImportError. The functions read Booking only when called.
from sessionkit.model.booking import Booking  # noqa: E402
