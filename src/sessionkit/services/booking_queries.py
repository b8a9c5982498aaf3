"""Booking reads: a session's bookings, a participant's bookings and agenda, free seats.

Each read runs in one unit of work at one instant; seats are counted at that
instant, so a hold that ran out is free whether or not the expiry job ran.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.booking import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    check_seats,
    participant_ref,
)
from sessionkit.model.query import MAX_LIMIT, SessionQuery
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.text import check_id, check_ids, check_names, check_tenant
from sessionkit.services._context import Context
from sessionkit.timespan import TimeSpan
from sessionkit.zones import EARLIEST, LATEST, check_instant

__all__ = ["BookableSession", "BookingReads", "MAX_BOOKINGS_PAGE", "continuation"]

MAX_BOOKINGS_PAGE = 500
"""The most bookings one read returns; page on with ``after``."""


@attrs.frozen(slots=True, kw_only=True)
class BookableSession:
    """A session with a capacity and the seats still free in it at the query's instant."""

    session: Session
    taken: int
    remaining: int


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise WrongType(limit, name="limit", expected=f"an integer 1..{MAX_BOOKINGS_PAGE}")
    if not 1 <= limit <= MAX_BOOKINGS_PAGE:
        raise InvalidValue(
            f"limit must be 1..{MAX_BOOKINGS_PAGE}, got {limit!r}",
            value=limit,
            expected=f"1..{MAX_BOOKINGS_PAGE}",
        )
    return limit


def continuation(after: object) -> tuple[datetime, str]:
    """Check a page's continuation: ``(last.session_start, last.id)``."""
    if not isinstance(after, tuple) or len(after) != 2:
        raise WrongType(
            after, name="after", expected="a (session_start, booking id) pair from the last page"
        )
    start, last_id = after
    return check_instant(start, "after[0]"), check_id(last_id, "after[1]")


class BookingReads:
    """The reads of :class:`~sessionkit.services.bookings.BookingCommands`."""

    _ctx: Context

    def get(self, tenant: str, booking_id: str) -> Booking:
        """Return the booking; raise ``BookingNotFound`` (also for another tenant's id)."""
        check_tenant(tenant)
        check_id(booking_id, "booking_id")
        with self._ctx.transaction() as tx:
            return tx.bookings.get(tenant, booking_id)

    def for_session(
        self, tenant: str, session_id: str, *, statuses: Iterable[str] | None = None
    ) -> list[Booking]:
        """Return the session's bookings (in ``statuses``, if given) by waitlist order, creation."""
        check_tenant(tenant)
        check_id(session_id, "session_id")
        wanted = None if statuses is None else check_names(statuses, "statuses")
        with self._ctx.transaction() as tx:
            tx.sessions.get(tenant, session_id)  # SessionNotFound for an unknown session
            return tx.bookings.for_session(tenant, session_id, statuses=wanted)

    def for_participant(
        self,
        tenant: str,
        participant: ResourceRef | str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        statuses: Iterable[str] | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 100,
    ) -> list[Booking]:
        """Return one page of the participant's bookings, by session start then id.

        ``start``/``end`` bound the sessions' starts (``[start, end)``);
        continue with ``after=(last.session_start, last.id)``.
        """
        check_tenant(tenant)
        ref = participant_ref(participant)
        window = None
        if start is not None or end is not None:
            begin = EARLIEST if start is None else check_instant(start, "start")
            finish = LATEST if end is None else check_instant(end, "end")
            window = TimeSpan(begin, finish)
        wanted = None if statuses is None else check_names(statuses, "statuses")
        position = None if after is None else continuation(after)
        with self._ctx.transaction() as tx:
            return tx.bookings.for_participant(
                tenant,
                ref,
                window=window,
                statuses=wanted,
                after=position,
                limit=_limit(limit),
            )

    def agenda(
        self,
        tenant: str,
        participant: ResourceRef | str,
        *,
        days: int = 7,
        now: datetime | None = None,
    ) -> list[Booking]:
        """Return what the participant is booked into over the next ``days`` days, by start.

        Bookings in play only (held, offered, confirmed, waitlisted); a hold
        that ran out is left out at once.
        """
        check_tenant(tenant)
        most = self._ctx.limits.window.days
        if isinstance(days, bool) or not isinstance(days, int):
            raise WrongType(days, name="days", expected=f"an integer 1..{most}")
        if not 1 <= days <= most:
            raise InvalidValue(
                f"days must be 1..{most} (Limits.window), got {days!r}",
                value=days,
                expected=f"1..{most}",
            )
        with self._ctx.transaction(now) as tx:
            window = TimeSpan(tx.now, tx.now + timedelta(days=days))
            found = tx.bookings.for_participant(
                tenant,
                participant_ref(participant),
                window=window,
                statuses=ACTIVE_BOOKING_STATUSES,
                limit=MAX_BOOKINGS_PAGE,
            )
            return [b for b in found if not b.expired_at(tx.now)]

    def remaining_seats(
        self, tenant: str, session_ids: Iterable[str], *, now: datetime | None = None
    ) -> dict[str, int]:
        """Return the free seats of each of the tenant's sessions among ``session_ids``.

        At most ``MAX_LIMIT`` (1,000) ids per call.
        """
        check_tenant(tenant)
        wanted = check_ids(session_ids, "session_ids", most=MAX_LIMIT)
        with self._ctx.transaction(now) as tx:
            sessions = tx.sessions.get_many(tenant, wanted)
            taken = tx.bookings.seats_taken(tenant, [s.id for s in sessions], at=tx.now)
        return {s.id: max(0, s.capacity - taken.get(s.id, 0)) for s in sessions}

    def bookable(
        self,
        tenant: str,
        *,
        start: datetime,
        end: datetime,
        resource: ResourceRef | str | None = None,
        seats: int = 1,
        now: datetime | None = None,
    ) -> list[BookableSession]:
        """Return busy sessions starting in ``[start, end)`` with ``seats`` free, by start.

        ``resource`` narrows to one provider's (or room's) sessions. Seats are
        counted by the database in one grouped query, at one instant. The
        window may be at most ``Limits.window`` long (``LimitExceeded``).
        """
        check_tenant(tenant)
        check_seats(seats)
        lo, hi = check_instant(start, "start"), check_instant(end, "end")
        self._ctx.limits.check_window(lo, hi, "the window of bookable sessions")
        query = SessionQuery(
            resources=None if resource is None else (resource,),
            start_from=lo,
            start_to=hi,
            limit=500,
        )
        found: list[BookableSession] = []
        with self._ctx.transaction(now) as tx:
            while True:
                page = tx.sessions.query(tenant, query)
                candidates = [s for s in page.items if s.busy and s.start > tx.now]
                taken = tx.bookings.seats_taken(tenant, [s.id for s in candidates], at=tx.now)
                for session in candidates:
                    used = taken.get(session.id, 0)
                    if session.capacity - used >= seats:
                        found.append(
                            BookableSession(
                                session=session, taken=used, remaining=session.capacity - used
                            )
                        )
                if page.next_cursor is None:
                    break
                query = attrs.evolve(query, after=page.next_cursor)
        return found
