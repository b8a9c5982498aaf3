"""What a seat read returns: a listing's :class:`BookableSession`, a command's :class:`Seating`.

Private to :mod:`sessionkit.model.booking`, which exports both classes under
its own name (their ``__module__``), so they show and pickle as before.
:meth:`BookableSession.unchecked_many` builds a store's listing slot by slot.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_aware

if TYPE_CHECKING:  # Seating only names it: Booking's module imports this one
    from sessionkit.model.booking import Booking

__all__ = ["BookableSession", "Seating"]


def _listed_start(value: datetime) -> datetime:
    return check_aware(value, "BookableSession.start").astimezone(UTC)


def _listed_end(value: datetime) -> datetime:
    return check_aware(value, "BookableSession.end").astimezone(UTC)


@attrs.frozen(slots=True, kw_only=True)
class BookableSession:
    """A session open for booking as a listing shows it: what, when, and its seats at an instant.

    ``taken`` counts the seats of held, offered and confirmed bookings at the
    read's instant (a hold that ran out takes none, whether or not the expiry
    job has run); ``remaining`` is what a newcomer can book: ``capacity -
    taken``, less the seats of waitlisted bookings (the waitlist is served
    first, so ``book`` would offer those seats to it), but for a place asking
    for more seats than the capacity, which ``book`` ends. The session itself is
    one ``kit.sessions.get(tenant, session_id)`` away. ``start`` and ``end``
    are kept in UTC; a naive one raises ``NaiveDatetime``.
    """

    session_id: str
    title: str
    start: datetime = attrs.field(converter=_listed_start)
    end: datetime = attrs.field(converter=_listed_end)
    capacity: int
    taken: int
    remaining: int

    @property
    def span(self) -> TimeSpan:
        """The session's time."""
        return TimeSpan.unchecked(self.start, self.end)

    @classmethod
    def unchecked_many(
        cls, rows: Iterable[tuple[str, str, datetime, datetime, int, int, int]]
    ) -> list[BookableSession]:
        """Build a listing from ``(session_id, title, start, end, capacity, taken, owed)`` rows.

        ``remaining`` is ``capacity - taken - owed``. For a store's hot read
        (one value per listed session): the fields are set straight into
        their slots, at under half the cost of the constructor's keyword call
        per field. The caller's obligations, which nothing verifies (the
        constructor's instant checks are skipped too): ints, aware UTC instants.
        """
        listed: list[BookableSession] = []
        append = listed.append
        for session_id, title, start, end, capacity, taken, owed in rows:
            value = _new(cls)
            _set_id(value, session_id)
            _set_title(value, title)
            _set_start(value, start)
            _set_end(value, end)
            _set_capacity(value, capacity)
            _set_taken(value, taken)
            _set_remaining(value, capacity - taken - owed)
            append(value)
        return listed


_new = object.__new__
_SLOT_SETTERS = {
    field.name: BookableSession.__dict__[field.name].__set__
    for field in attrs.fields(BookableSession)
}
"""Each field's slot setter: what attrs' frozen ``__init__`` reaches by ``object.__setattr__``."""
_set_id = _SLOT_SETTERS["session_id"]
_set_title = _SLOT_SETTERS["title"]
_set_start = _SLOT_SETTERS["start"]
_set_end = _SLOT_SETTERS["end"]
_set_capacity = _SLOT_SETTERS["capacity"]
_set_taken = _SLOT_SETTERS["taken"]
_set_remaining = _SLOT_SETTERS["remaining"]


@attrs.frozen(slots=True, kw_only=True)
class Seating:
    """A session's seats at an instant, and the bookings in play a command must act on.

    ``taken`` is the seats held, offered and confirmed bookings take at the
    instant. ``lapsed`` are the bookings that ran out by then
    (:meth:`Booking.expired_at`: holds and offers, and the waitlist once its
    session started, still stored as before), ``waiting`` the waitlist still
    waiting, and ``mine`` the bookings in play of one participant that had
    not run out; each in waitlist order, then by creation, then id (as
    ``for_session``).
    """

    taken: int
    lapsed: tuple[Booking, ...] = ()
    waiting: tuple[Booking, ...] = ()
    mine: tuple[Booking, ...] = ()
