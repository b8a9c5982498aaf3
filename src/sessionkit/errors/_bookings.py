"""Errors of bookings: full sessions, expired holds, replayed keys, rules that refuse."""

from __future__ import annotations

from datetime import datetime

from sessionkit.errors._base import SessionKitError, shown
from sessionkit.errors._policies import ActionRefused
from sessionkit.errors._storage import Duplicate, NotFound


class BookingNotFound(NotFound):
    """No booking with that id exists for the tenant (another tenant's id looks the same)."""

    def __init__(self, booking_id: object, tenant: object) -> None:
        super().__init__("booking", booking_id, tenant)
        self.booking_id = booking_id


class DuplicateBooking(Duplicate):
    """A booking with that id, or that idempotency key, already exists for the tenant."""


class CapacityExceeded(SessionKitError, ValueError):
    """The session has fewer free seats than asked for.

    ``capacity`` is the session's, ``taken`` the seats held, offered or
    confirmed at the command's instant, ``waiting`` the seats of waitlisted
    bookings still queued (with anyone queued, no seat is free for a
    newcomer, so ``taken + waiting`` may pass the capacity), ``asked`` the
    seats wanted, so ``remaining`` (``capacity - taken - waiting``, at least
    0) is what could still be booked.

    ``may_free_at`` is the earliest instant at which enough held or offered
    seats run out, if nobody confirms them, for the request to fit beside
    the seats waited for, while the session still takes it then (its start,
    the rules' notice); ``None`` when no such instant is in sight (the
    confirmed seats and the waitlist alone leave too few, or the session
    stops taking bookings first). Unlike ``allows_at`` it is no promise: a
    hold confirmed keeps its seat (a cancel may free one sooner).

    Only the booking commands compute it (``kit.bookings.book`` and
    ``kit.payments.book``; ``can_book``'s ``Refusal`` the same), which count
    the seats under the session's lock before they write, so their write
    never meets the store's own check. That check refuses any other write
    adding seats past the capacity (a repository's ``add``, ``add_many`` or
    ``update``: an app's or an admin's own write, an import, writers racing
    through the repository alone) with ``may_free_at`` ``None`` and
    ``waiting`` 0, not computed: it counts the seats taken only, and knows
    neither the rules nor the notice that decide whether the session still
    takes the booking then.
    """

    # A CapacityExceeded pickled before this field existed (a job queue's) reads it as None.
    may_free_at: datetime | None = None

    def __init__(
        self,
        *,
        session_id: str,
        capacity: int,
        taken: int,
        asked: int,
        waiting: int = 0,
        may_free_at: datetime | None = None,
    ) -> None:
        remaining = max(0, capacity - taken - waiting)
        # Seats waited for may be more than the capacity leaves (a 2-seat place first in
        # line when 1 is free): say both counts, not a share of the capacity "owed".
        ahead = f", {waiting} waited for on its waitlist ahead of newcomers" if waiting else ""
        super().__init__(
            f"session {shown(session_id)} has {remaining} of {capacity} seat(s) free"
            f" ({taken} taken{ahead}); {asked} asked for{_may_free(may_free_at, 'seats')}"
        )
        self.session_id = session_id
        self.capacity = capacity
        self.taken = taken
        self.waiting = waiting
        self.asked = asked
        self.remaining = remaining
        self.may_free_at = may_free_at


class HoldExpired(SessionKitError, ValueError):
    """The hold (or waitlist offer) ran out at ``expired_at``: it can no longer be confirmed.

    ``offer`` is true for a waitlist offer, whose seat passed to the next in
    line: the participant joins the waitlist again (a hold's: books again).
    ``started``: it ran out at the session's start, which takes no booking
    since, so neither helps.
    """

    def __init__(
        self, booking_id: str, expired_at: datetime, *, offer: bool = False, started: bool = False
    ) -> None:
        what, then = ("hold", "book again")
        if offer:
            what, then = ("waitlist offer", "join the waitlist again")
        if started:
            then = "it ran out as the session started, which takes no more bookings"
        super().__init__(
            f"the {what} of booking {shown(booking_id)} expired at {expired_at.isoformat()}; {then}"
        )
        self.booking_id = booking_id
        self.expired_at = expired_at
        self.offer = offer
        self.started = started


class IdempotencyKeyReused(SessionKitError, ValueError):
    """An idempotency key came back with a different request than the one it first made.

    ``key`` is the key, ``kind`` what its first request made (``"booking"``;
    the FastAPI router's ``POST /sessions`` and ``POST /series`` say
    ``"session"`` and ``"series"``) and ``record_id`` that record's id;
    ``booking_id`` is the same id for a booking, else ``None``. Both are
    ``None`` where the record is not the caller's to know (the HTTP router
    names another participant's booking only to staff).
    """

    def __init__(self, key: str, record_id: str | None, *, kind: str = "booking") -> None:
        made = f"a {kind}" if record_id is None else f"{kind} {shown(record_id)}"
        super().__init__(
            f"idempotency key {shown(key)} already made {made} with another "
            "request; use a new key for a new request"
        )
        self.key = key
        self.kind = kind
        self.record_id = record_id
        self.booking_id = record_id if kind == "booking" else None


class AlreadyBooked(SessionKitError, ValueError):
    """The participant already has a booking in play for the session (``booking_id``).

    ``booking_id`` and ``status`` are ``None`` where they are not the
    caller's to know (the HTTP router tells a caller that is not that
    participant only that it is booked).
    """

    def __init__(
        self,
        *,
        session_id: str,
        participant: str,
        booking_id: str | None = None,
        status: str | None = None,
    ) -> None:
        which = "a booking in play" if booking_id is None else f"booking {shown(booking_id)}"
        state = "" if status is None else f" ({status})"
        super().__init__(f"{participant} already has {which}{state} in session {shown(session_id)}")
        self.session_id = session_id
        self.participant = participant
        self.booking_id = booking_id
        self.status = status


class BookingRefused(ActionRefused):
    """A booking rule refused the command.

    ``rule`` names the rule (``"min_notice"``, ``"max_horizon"``,
    ``"in_the_past"``, ``"max_capacity"``, ``"per_day"``, ``"per_week"``,
    ``"booked_session_locked"``, ``"not_bookable"``), ``reason`` says why in
    words, and ``allows_at`` is when the same request would be allowed, if
    ever (``None``: not by waiting). For ``"per_day"`` and ``"per_week"``,
    ``limit`` is the rule's maximum and ``count`` the participant's bookings
    and waitlist places already counted against it, and ``allows_at`` is
    ``None`` (:meth:`participant_limit` says why) while ``may_free_at`` is
    when enough of them may run out; for every other rule
    ``limit``, ``count`` and ``may_free_at`` are ``None``.
    """

    # A BookingRefused pickled before these fields existed (a job queue's) reads them as None.
    limit: int | None = None
    count: int | None = None
    may_free_at: datetime | None = None

    def __init__(
        self,
        rule: str,
        reason: str,
        *,
        allows_at: datetime | None = None,
        limit: int | None = None,
        count: int | None = None,
        may_free_at: datetime | None = None,
    ) -> None:
        super().__init__(rule, reason, allows_at=allows_at)
        self.limit = limit
        self.count = count
        self.may_free_at = may_free_at

    @classmethod
    def participant_limit(
        cls,
        rule: str,
        *,
        participant: str,
        count: int,
        limit: int,
        start: datetime,
        end: datetime,
        may_free_at: datetime | None = None,
    ) -> BookingRefused:
        """Return the refusal of ``participant``, at ``limit`` of ``rule`` in ``[start, end)``.

        ``rule`` is ``"per_day"`` or ``"per_week"``; ``count`` is what the
        participant has in play in sessions starting in that day or week.
        ``allows_at`` is ``None``: a place frees only when one of the counted
        bookings ends, and whether it does is not known (a counted hold may be
        confirmed, and then counts for good), so no instant is certain.
        ``may_free_at`` is the earliest instant at which enough of the counted
        holds, offers and waitlist places run out by themselves, unconfirmed,
        to leave one place, under the other of ``per_day`` / ``per_week`` too,
        if the session still takes the booking then; else ``None`` (confirmed
        bookings alone reach either limit).
        """
        return cls(
            rule,
            f"{participant} already has {count} booking(s) or waitlist place(s) in sessions "
            f"starting between {start.isoformat()} and {end.isoformat()} (at most {limit})"
            f"{_may_free(may_free_at, 'a place')}",
            limit=limit,
            count=count,
            may_free_at=may_free_at,
        )


def _may_free(at: datetime | None, what: str) -> str:
    """The words for ``may_free_at``: when ``what`` may free, which no one can promise."""
    if at is None:
        return ""
    return f"; {what} may free at {at.isoformat()} (not certain: a hold may yet be confirmed)"
