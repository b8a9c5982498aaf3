"""Booking reads: a session's, a participant's and a tenant's bookings, an agenda, free seats.

Each read runs in one unit of work at one instant; seats are counted at that
instant, so a hold that ran out is free whether or not the expiry job ran.
What ``bookable`` lists is judged in :mod:`~sessionkit.services._bookable`,
the status filters and page continuations are checked in
:mod:`~sessionkit.services._read_args`; this module keeps the names others
import from here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from sessionkit.errors import InvalidValue, LimitExceeded, UnknownLifecycle, UnknownStatus
from sessionkit.errors._base import check_int, shown
from sessionkit.model.booking import (
    ACTIVE_BOOKING_STATUSES,
    WAITLISTED,
    BookableSession,
    Booking,
    SessionOrder,
    check_seats,
    participant_ref,
    seats_owed,
)
from sessionkit.model.query import MAX_LIMIT
from sessionkit.model.session import ResourceRef, Session, resource_refs
from sessionkit.model.text import check_id, check_ids, check_tenant
from sessionkit.policies.booking import BookingRules
from sessionkit.services._bookable import allowed, open_starts, open_statuses, open_to
from sessionkit.services._context import Context
from sessionkit.services._read_args import MAX_POSITION as MAX_POSITION
from sessionkit.services._read_args import booking_statuses as booking_statuses
from sessionkit.services._read_args import continuation, order_continuation
from sessionkit.services._read_args import known_statuses as known_statuses
from sessionkit.services._seats import closed, takes_bookings
from sessionkit.services.booking_requests import check_role
from sessionkit.timespan import TimeSpan
from sessionkit.zones import EARLIEST, LATEST, check_instant

__all__ = [
    "AGENDA_LOOKBACK",
    "MAX_BOOKINGS_PAGE",
    "BookableSession",
    "BookingReads",
    "continuation",
    "order_continuation",
]

MAX_BOOKINGS_PAGE = 500
"""The most bookings one read returns; page on with ``after``."""

AGENDA_LOOKBACK = timedelta(days=7)
"""How long before ``now`` a session in progress may have started for the agenda to show it.

The agenda reads the sessions starting from ``now - AGENDA_LOOKBACK`` (one
range of the stores' agenda index, as long whatever the participant's
history) and keeps those ending after ``now``: sessionkit sets no longest
session, so one in progress that started earlier than this is left out.
"""


def _limit(limit: int) -> int:
    limit = check_int(limit, name="limit", expected=f"an integer 1..{MAX_BOOKINGS_PAGE}")
    if not 1 <= limit <= MAX_BOOKINGS_PAGE:
        raise InvalidValue(
            f"limit must be 1..{MAX_BOOKINGS_PAGE}, got {shown(limit)}",
            value=limit,
            expected=f"1..{MAX_BOOKINGS_PAGE}",
        )
    return limit


def _by_start_args(
    start: datetime | None,
    end: datetime | None,
    statuses: Iterable[str] | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> tuple[TimeSpan | None, tuple[str, ...] | None, tuple[datetime, str] | None, int]:
    """Check the arguments of a read by session start: its window, statuses, cursor, limit."""
    window = None
    if start is not None or end is not None:
        begin = EARLIEST if start is None else check_instant(start, "start")
        finish = LATEST if end is None else check_instant(end, "end")
        window = TimeSpan(begin, finish)
    wanted = None if statuses is None else booking_statuses(statuses)
    position = None if after is None else continuation(after)
    return window, wanted, position, _limit(limit)


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
        self,
        tenant: str,
        session_id: str,
        *,
        statuses: Iterable[str] | None = None,
        after: SessionOrder | None = None,
        limit: int = MAX_BOOKINGS_PAGE,
    ) -> list[Booking]:
        """Return one page of the session's bookings (in ``statuses``, if given), in order.

        By waitlist position (bookings never on the waitlist last), then
        creation, then id; at most ``limit`` (1 to :data:`MAX_BOOKINGS_PAGE`,
        the default), continued with ``after=last.session_order``. The database
        filters, orders and cuts the page. ``statuses`` is a collection of
        booking statuses (``["HELD"]``; a bare string is an ``InvalidValue``).
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        wanted = None if statuses is None else booking_statuses(statuses)
        position = None if after is None else order_continuation(after)
        most = _limit(limit)
        with self._ctx.transaction() as tx:
            tx.sessions.get(tenant, session_id)  # SessionNotFound for an unknown session
            return tx.bookings.for_session(
                tenant, session_id, statuses=wanted, after=position, limit=most
            )

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
        continue with ``after=(last.session_start, last.id)``. ``statuses``
        is a collection of booking statuses, as for :meth:`for_session`.
        """
        check_tenant(tenant)
        ref = participant_ref(participant)
        window, wanted, position, most = _by_start_args(start, end, statuses, after, limit)
        with self._ctx.transaction() as tx:
            return tx.bookings.for_participant(
                tenant, ref, window=window, statuses=wanted, after=position, limit=most
            )

    def for_tenant(
        self,
        tenant: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        statuses: Iterable[str] | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 100,
    ) -> list[Booking]:
        """Return one page of the tenant's bookings, every participant's, by session start then id.

        As :meth:`for_participant`, for all of them (an admin's listing):
        ``start``/``end`` bound the sessions' starts (``[start, end)``); continue
        with ``after=(last.session_start, last.id)``; at most ``limit`` (1 to
        :data:`MAX_BOOKINGS_PAGE`). The database filters, orders and cuts the page.
        """
        check_tenant(tenant)
        window, wanted, position, most = _by_start_args(start, end, statuses, after, limit)
        with self._ctx.transaction() as tx:
            return tx.bookings.for_tenant(
                tenant, window=window, statuses=wanted, after=position, limit=most
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

        Every session overlapping them: starting before ``now + days`` and
        ending after ``now``, so one in progress is listed too (if it started
        at most :data:`AGENDA_LOOKBACK` ago), but not one its host ended early
        (a terminal status: it is over, under way by the clock or not yet
        started; one in a status the kit's lifecycles do not know is listed,
        read by the clock alone). Bookings in play only (held, offered, confirmed,
        waitlisted); a hold that ran out is left out at once. All of them, in
        one read (and one of their sessions, if any) with no page cap:
        ``days`` (at most ``Limits.window``, else ``LimitExceeded``) bounds it,
        and a participant has at most one booking in play per session. For a
        long span, page :meth:`for_participant` instead.
        """
        check_tenant(tenant)
        most = self._ctx.limits.window.days
        days = check_int(days, name="days", expected=f"an integer 1..{most}")
        if days < 1:
            raise InvalidValue(
                f"days must be 1..{most} (Limits.window), got {shown(days)}",
                value=days,
                expected=f"1..{most}",
            )
        if days > most:
            asked: object = days  # beyond what a timedelta holds, the count itself
            with contextlib.suppress(OverflowError):
                asked = timedelta(days=days)
            raise LimitExceeded("window", asked, self._ctx.limits.window, what="the agenda's days")
        with self._ctx.transaction(now) as tx:
            # By start only, so the stores read one index range; the overlap is judged here.
            window = TimeSpan(tx.now - AGENDA_LOOKBACK, tx.now + timedelta(days=days))
            found = tx.bookings.for_participant(
                tenant,
                participant_ref(participant),
                window=window,
                statuses=ACTIVE_BOOKING_STATUSES,
                limit=None,
            )
            kept = [b for b in found if b.session_end > tx.now and not b.expired_at(tx.now)]
            if not kept:
                return kept
            # Any of them may be over already, its host having ended it early (a terminal
            # status): one under way by the clock, or one finished ahead of its time.
            sessions = tx.sessions.get_many(tenant, [b.session_id for b in kept])
            over = {s.id for s in sessions if self._ended(s)}
            return [b for b in kept if b.session_id not in over]

    def _ended(self, session: Session) -> bool:
        """Whether ``session``'s status says it is over (not one the kit's lifecycles lack).

        Such a session (a lifecycle or status of another kit's, or renamed since) is read
        by the clock alone, as ``kit.attendance`` reads it: listed, not an error.
        """
        try:
            return closed(self._ctx, session)
        except (UnknownLifecycle, UnknownStatus):
            return False

    def _open(self, session: Session, at: datetime) -> bool:
        """Whether ``session`` takes bookings at ``at``: not one the kit's lifecycles lack.

        ``book`` refuses such a session (a lifecycle or status renamed or removed
        since), so none of its seats is free: one answer, not an error for them all.
        """
        try:
            return takes_bookings(self._ctx, session, at)
        except (UnknownLifecycle, UnknownStatus):
            return False

    def remaining_seats(
        self, tenant: str, session_ids: Iterable[str], *, now: datetime | None = None
    ) -> dict[str, int]:
        """Return the free seats of each of the tenant's sessions among ``session_ids``.

        Free for a newcomer at ``now``: the capacity less the seats taken (a
        hold that ran out takes none) and less the seats of waitlisted
        bookings, which the waitlist is offered first. A session that takes
        no bookings at ``now`` (it started, or is not in a busy status, such
        as a cancelled one, or is in a terminal one, finished ahead of its
        time) has none free, as :meth:`bookable` leaves it out; so has one of
        a lifecycle or status the kit does not know (renamed or removed since
        it was stored), which ``book`` refuses (``UnknownLifecycle``,
        ``UnknownStatus``).
        Seats only: the booking rules' times and the notice policy, which
        ``bookable`` and ``can_book`` also apply, are not judged here.
        Sessions not found are left out. At most ``MAX_LIMIT`` (1,000) ids
        per call.
        """
        check_tenant(tenant)
        wanted = check_ids(session_ids, "session_ids", most=MAX_LIMIT)
        with self._ctx.transaction(now) as tx:
            found = tx.sessions.get_many(tenant, wanted)
            sessions = [s for s in found if self._open(s, tx.now)]
            ids = [s.id for s in sessions]
            capacity = {s.id: s.capacity for s in sessions}
            taken = tx.bookings.seats_taken(tenant, ids, at=tx.now)
            owed = {
                session_id: seats_owed(
                    tx.bookings.for_session(tenant, session_id, statuses=(WAITLISTED,)),
                    capacity=capacity[session_id],
                )
                for session_id, waiting in tx.bookings.counts(
                    tenant, ids, statuses=(WAITLISTED,)
                ).items()
                if waiting
            }
        free = {s.id: max(0, s.capacity - taken.get(s.id, 0) - owed.get(s.id, 0)) for s in sessions}
        return {s.id: free.get(s.id, 0) for s in found}

    def bookable(
        self,
        tenant: str,
        *,
        start: datetime,
        end: datetime,
        resource: ResourceRef | str | None = None,
        seats: int = 1,
        acting_role: str = "attendee",
        participant: ResourceRef | str | None = None,
        now: datetime | None = None,
    ) -> list[BookableSession]:
        """Return the sessions starting in ``[start, end)`` that ``book`` would take now, by start.

        Busy sessions with ``seats`` free at ``now`` (default: the clock) that
        the booking rules and the notice policy let ``acting_role`` book then,
        as ``book`` and ``can_book`` judge it: a session that starts too soon
        for ``min_notice`` or the role's notice, too far ahead for
        ``max_horizon``, or above ``max_capacity`` is left out, and so is
        one of a lifecycle or status the kit does not know (renamed or removed
        since it was stored), which ``book`` refuses (``UnknownLifecycle``,
        ``UnknownStatus``). With
        ``participant``, so is a session ``book`` would refuse them: one they
        are in already (a booking in play: held, offered, confirmed or
        waitlisted) and one whose day or week has them at the rules'
        ``per_day`` or ``per_week`` (counted as ``book`` counts, from one read
        of their bookings in the window). Each with its id,
        title, time, capacity and the seats taken and remaining at ``now`` (a
        hold that ran out is free). ``resource`` narrows to one provider's (or
        room's) sessions. The store sums the seats and leaves out full
        sessions itself, a page of :data:`MAX_BOOKINGS_PAGE` sessions per
        query; with booking rules picked per session (a function), each
        page's sessions are read too, to pick their rules. Raises
        ``InvalidValue`` for ``seats`` below 1, ``InvalidTimeSpan`` for an
        ``end`` not after ``start``; the window may be at most
        ``Limits.window`` long (``LimitExceeded``).
        """
        check_tenant(tenant)
        begin, finish = check_instant(start, "start"), check_instant(end, "end")
        TimeSpan(begin, finish)  # InvalidTimeSpan for an end not after the start, as elsewhere
        wanted = check_seats(seats)
        acting = check_role(acting_role, "acting_role")
        self._ctx.limits.check_window(begin, finish, "the window of bookable sessions")
        ref = None if resource is None else resource_refs((resource,))[0]
        who = None if participant is None else participant_ref(participant)
        rules = self._ctx.booking_rules
        fixed = rules if isinstance(rules, BookingRules) else None
        found: list[tuple[BookableSession, BookingRules]] = []
        known = open_statuses(self._ctx)
        with self._ctx.transaction(now) as tx:
            begin, finish = open_starts(self._ctx, fixed, acting, begin, finish, tx.now)
            if begin >= finish:
                return []
            window = TimeSpan(begin, finish)
            after: tuple[datetime, str] | None = None
            while True:
                page = tx.bookings.bookable(
                    tenant,
                    window=window,
                    at=tx.now,
                    seats=wanted,
                    resource=ref,
                    after=after,
                    limit=MAX_BOOKINGS_PAGE,
                    known=known,
                )
                found.extend(allowed(self._ctx, tx, tenant, fixed, page))
                if len(page) < MAX_BOOKINGS_PAGE:
                    break
                after = (page[-1].start, page[-1].session_id)
            if who is not None:
                return open_to(tx, tenant, who, found)
        return [listed for listed, _ in found]
