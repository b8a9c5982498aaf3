"""Seats inside one command: settling a session's holds and waitlist, and the session hooks.

Every booking write to a session first locks the session's row
(``bookings.lock_session``) and *settles* it at the command's instant: holds
and offers that ran out become EXPIRED (as does the waitlist once the session
started), and freed seats are offered to the waitlist in order. So an expired
hold frees its seat for the waitlist at the next write to its session, whether
or not the expiry job ever ran, and a newcomer never jumps the queue. The
session hooks keep bookings in step with their session: a cancelled session
cancels its bookings, and a moved one carries its bookings' copy of the time
along. Storing one booking's change and expiring what ran out, which both
build on, live in :mod:`~sessionkit.services._booking_changes`; this module
keeps the names others import from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

import attrs

from sessionkit.model.booking import (
    ACTIVE_BOOKING_STATUSES,
    BOOKING_LIFECYCLE,
    WAITLISTED,
    Booking,
    seats_owed,
)
from sessionkit.model.session import ResourceRef, Session
from sessionkit.services._booking_changes import (
    HOLDING,
    as_judged,
    expire,
    expire_in_order,
    refuse_run_out,
    store_booking_change,
)
from sessionkit.services._context import Context, Tx

__all__ = [
    "as_judged",
    "cancel_session_bookings",
    "closed",
    "takes_bookings",
    "expire",
    "expire_before_move",
    "expire_in_order",
    "held_back",
    "lapse_session_bookings",
    "may_free_at",
    "move_session_bookings",
    "refuse_run_out",
    "RanOut",
    "Settled",
    "settle",
    "store_booking_change",
]


def takes_bookings(ctx: Context, session: Session, at: datetime) -> bool:
    """Whether ``session`` takes bookings at ``at``: busy, not started, and not ended.

    A session in a terminal status of its lifecycle (finished or completed
    ahead of its time) is over, as :func:`~sessionkit.services.bookings.session_over`
    has it, though such a status may still keep its time busy.
    """
    return session.busy and session.start > at and not closed(ctx, session)


def closed(ctx: Context, session: Session) -> bool:
    """Whether ``session``'s status is terminal in its lifecycle: it takes no bookings."""
    return ctx.lifecycle(session.lifecycle).status(session.status).terminal


@attrs.frozen
class Settled:
    """A session after settling: its seats taken, who still waits, and what changed.

    ``owed`` is the seats of the bookings still waiting, which no newcomer
    may take. ``mine`` holds the bookings in play of the participant the
    caller asked about, as stored: one this settling offered a seat is still
    WAITLISTED there, since the refusal that names it rolls the offer back.
    """

    taken: int
    mine: tuple[Booking, ...] = ()
    expired: int = 0
    offered: int = 0
    owed: int = 0
    offered_seats: int = 0
    """The seats of this settling's offers: counted in ``taken``, no longer in ``owed``."""

    def free(self, capacity: int) -> int:
        """The seats of a session of ``capacity`` a newcomer may book: none while anyone waits."""
        return max(0, capacity - self.taken - self.owed)


def settle(
    ctx: Context,
    tx: Tx,
    session: Session,
    *,
    actor: str | None,
    participant: ResourceRef | None = None,
) -> Settled:
    """Expire the session's run-out holds, offers and waitlist, then offer freed seats in order.

    A waitlist place asking for more seats than the session's capacity (lowered
    since it joined) ends too: it could never be offered them.
    Call with the session's row locked. Reads only the bookings it may act
    on (``bookings.seating``): the run-out ones, the waitlist, and
    ``participant``'s, whose bookings in play come back in ``Settled.mine``.
    What ran out is expired in the order it ran out (the session's order for
    equal instants), then freed seats are offered: the events, each dated when
    it happened, are published in time order for a subscriber replaying them.
    """
    seating = tx.bookings.seating(session.tenant, session.id, at=tx.now, participant=participant)
    if seating.lapsed:  # rarely: the booking path reads none
        expire_in_order(tx, seating.lapsed)
    waiting = seating.waiting
    ended = {b.id: _end_unmet(tx, session, b, actor) for b in waiting if b.seats > session.capacity}
    if ended:
        waiting = tuple(b for b in waiting if b.id not in ended)
    free = session.capacity - seating.taken
    offers = _offer_freed(ctx, tx, session, waiting, free, actor)
    mine = tuple(b for b in seating.mine if b.id not in ended)
    offered = sum(b.seats for b in offers.values())
    return Settled(
        taken=seating.taken + offered,
        mine=mine,
        expired=len(seating.lapsed) + len(ended),
        offered=len(offers),
        owed=seats_owed(b for b in waiting if b.id not in offers),
        offered_seats=offered,
    )


def may_free_at(running: Iterable[tuple[datetime, int]], need: int) -> datetime | None:
    """The earliest instant by which ``need`` (at least 1) of what ``running`` holds runs out.

    ``running`` pairs when a hold, offer or waitlist place runs out by itself
    with the seats (or places) it frees then; ``None`` when all of them
    together free fewer than ``need``. Which of them will be confirmed
    instead is not known: the instant is one at which room may free.
    """
    freed = 0
    for at, amount in sorted(running, key=lambda pair: pair[0]):
        freed += amount
        if freed >= need:
            return at
    return None


def _end_unmet(tx: Tx, session: Session, booking: Booking, actor: str | None) -> Booking:
    """End a waitlist place that asks for more seats than ``session`` has at all; return it.

    Its capacity was lowered below the place's seats after it joined: it can
    never be offered them and, first in line, would block everyone behind it
    (no one jumps the queue). It runs out now (``lapse``), as at the start.
    """
    why = (
        f"the session's capacity is {session.capacity}, below the {booking.seats} seat(s) "
        "this waitlist place waits for"
    )
    lapsed, change = BOOKING_LIFECYCLE.fire(booking, "lapse", now=tx.now, actor=actor, reason=why)
    return store_booking_change(tx, booking, lapsed, [change], actor=actor, reason=why)


def _offer_freed(
    ctx: Context,
    tx: Tx,
    session: Session,
    waiting: Sequence[Booking],
    free: int,
    actor: str | None,
) -> dict[str, Booking]:
    """Offer ``free`` seats to the ``waiting`` bookings, first come first served; the offers by id.

    Strictly in order: when the first in line needs more seats than are free,
    nobody behind it is offered any (no one jumps the queue). A session that
    takes no bookings any more (started, or not in a busy status) offers
    none (once it started, its waitlist has run out).
    """
    offers: dict[str, Booking] = {}
    if not takes_bookings(ctx, session, tx.now):
        return offers
    claim = ctx.rules_for(session).offer_for
    changing = _HELD_BACK.get()
    for booking in waiting:
        if booking.seats > free or changing == (id(tx), booking.id):
            break
        changed, change = BOOKING_LIFECYCLE.fire(
            booking.holding(until=tx.now + claim), "offer", now=tx.now, actor=actor
        )
        offers[booking.id] = store_booking_change(
            tx, booking, changed, [change], actor=actor, reason="a seat freed"
        )
        free -= booking.seats
    return offers


_HELD_BACK: ContextVar[tuple[int, str] | None] = ContextVar("_HELD_BACK", default=None)
"""``(id(tx), booking id)`` of the waitlist place :func:`held_back` holds back, if any."""


@contextmanager
def held_back(tx: Tx, booking_id: str) -> Iterator[None]:
    """Offer nothing to waitlist place ``booking_id`` (nor behind it) in ``tx`` inside the block.

    For a command that changes the booking after settling its session: a
    cancel answers an overdue reschedule request first, whose settling would
    offer the place seats the cancel takes back at once. Those behind it wait
    too (nobody jumps the queue); the command's own settling, once the change
    is stored, offers the seats in order.
    """
    token = _HELD_BACK.set((id(tx), booking_id))
    try:
        yield
    finally:
        _HELD_BACK.reset(token)


def cancel_session_bookings(
    tx: Tx, session: Session, *, actor: str | None, reason: str | None, role: str | None = None
) -> int:
    """Cancel the bookings in play of a cancelled ``session`` (one event each); return how many.

    ``role`` is the role the session was cancelled in: each booking's cancel
    (and its payment's) is fired and journaled in it; paid ones are refunded
    in full whatever it is.

    A hold or offer that had already run out (or a waitlist place of a
    session that started) is marked EXPIRED instead, with its
    ``BookingExpired`` event: nobody cancelled an unpaid hold. Those come
    first, in the order they ran out
    (:func:`~sessionkit.services._booking_changes.expire_in_order`).
    """
    bookings = tx.bookings_or_none()
    if bookings is None:
        return 0
    active = bookings.for_session(session.tenant, session.id, statuses=ACTIVE_BOOKING_STATUSES)
    why = "the session was cancelled" + ("" if reason is None else f": {reason}")
    # What ran out was never the session's to cancel: expired first, in time order.
    expire_in_order(tx, [b for b in active if b.expired_at(tx.now)])
    cancelled = 0
    for booking in (b for b in active if not b.expired_at(tx.now)):
        changed, change = BOOKING_LIFECYCLE.fire(
            booking, "cancel", now=tx.now, actor=actor, role=role, reason=why
        )
        # In full whatever the policy calls its roles: nobody who booked cancelled.
        store_booking_change(
            tx, booking, changed, [change], actor=actor, reason=why, role=role, in_full=True
        )
        cancelled += 1
    return cancelled


def expire_before_cancel(tx: Tx, session: Session, *, at: datetime) -> None:
    """Mark EXPIRED, in time order, what of a cancelled ``session`` had run out by ``at``.

    The first step of :func:`cancel_session_bookings`, for a caller that
    publishes the status changes between it and the rest: called before each
    step's event up to the cancel, with that step's instant as ``at`` (at
    most now), so each expiry comes before the status change it preceded, as
    a move's come before its ``SessionUpdated``.
    """
    bookings = tx.bookings_or_none()
    if bookings is None:
        return
    active = bookings.for_session(session.tenant, session.id, statuses=ACTIVE_BOOKING_STATUSES)
    expire_in_order(tx, [b for b in active if b.expired_at(min(at, tx.now))])


def lapse_session_bookings(tx: Tx, session: Session, *, actor: str | None) -> int:
    """End the holds, offers and waitlist places of an ended ``session``; return how many.

    ``session`` reached a terminal status that is no cancellation (finished,
    completed), perhaps ahead of its time: what still waits for a seat in it
    never gets one, so it leaves play now rather than at the session's start,
    and counts toward no limit, agenda or listing meanwhile. A hold or offer
    ends by ``expire`` (its expiry brought forward to now: it ran out then),
    a waitlist place by ``lapse``: EXPIRED, as what
    ran out unclaimed, one ``BookingExpired`` event each; nobody cancelled
    them, and an open payment is cancelled with its booking
    (:func:`~sessionkit.services._booking_changes.store_booking_change`).
    What had already run out is left to the
    expiry job, as before (a hold paid in time whose notice comes late is
    refunded then, not confirmed into a session that is over; one whose
    authorization's capture was decided while it held has it released before
    the capture). Confirmed bookings
    stay: they took place, attended or not.
    """
    bookings = tx.bookings_or_none()
    if bookings is None:
        return 0
    found = bookings.for_session(session.tenant, session.id, statuses=HOLDING | {WAITLISTED})
    waiting = [b for b in found if not b.expired_at(tx.now)]
    why = f"the session is {session.status}: it ended before this booking took a seat"
    for booking in waiting:
        if booking.status == WAITLISTED:
            ended, change = BOOKING_LIFECYCLE.fire(
                booking, "lapse", now=tx.now, actor=actor, reason=why
            )
        else:
            cut = attrs.evolve(booking, hold_expires_at=tx.now)
            ended, change = BOOKING_LIFECYCLE.fire(
                cut, "expire", now=tx.now, actor=actor, reason=why
            )
        store_booking_change(tx, booking, ended, [change], actor=actor, reason=why)
    return len(waiting)


@attrs.frozen
class RanOut:
    """What of a moving session had run out at its old time by the move (``at``), marked.

    ``held`` is each of its bookings as read (any status, ``for_session``
    order), ``expired`` those of them :func:`expire_before_move` marked
    EXPIRED, as stored then, by id.
    """

    at: datetime
    held: tuple[Booking, ...] = ()
    expired: Mapping[str, Booking] = attrs.field(factory=dict)


def expire_before_move(
    tx: Tx,
    session: Session,
    *,
    moved_at: datetime | None = None,
    statuses: Iterable[str] | None = None,
) -> RanOut:
    """Mark EXPIRED, in time order, what of ``session`` had run out by its move at its old time.

    The first step of :func:`move_session_bookings`, for a caller that
    publishes the move between it and the rest (passed on as ``ran_out``):
    ``moved_at`` (at most now; default now) as there. One read of the
    session's bookings, which the rest uses. ``statuses`` reads only those
    (``held``; default every booking): for a caller that publishes another
    change at ``moved_at`` (silence's answer) and passes on no ``ran_out``.
    """
    at = tx.now if moved_at is None else min(moved_at, tx.now)
    bookings = tx.bookings_or_none()
    if bookings is None:
        return RanOut(at)
    held = tuple(bookings.for_session(session.tenant, session.id, statuses=statuses))
    return RanOut(at, held, expire_in_order(tx, [b for b in held if b.expired_at(at)]))


def move_session_bookings(
    tx: Tx,
    session: Session,
    *,
    actor: str | None,
    moved_at: datetime | None = None,
    ran_out: RanOut | None = None,
) -> int:
    """Carry a moved ``session``'s new time into its bookings' and payments' copy of it.

    ``moved_at`` (at most now; default now) is when the move took effect: a
    request's deadline, for a move silence approved whenever the tick
    answered it. What ran out at the old time by then stays over: a hold or
    offer past its expiry, or a waitlist place of a session that had started,
    is marked EXPIRED first, whether or not the job had run, so a move never
    brings it back; what would have run out at the old time only after it
    moved (a waitlist place at the old start) moves, as on time. A hold or
    offer running past the new start ends by it
    (:meth:`~sessionkit.model.booking.Booking.holding`); one that ran out by
    now at the new time is marked EXPIRED too. A waitlist place, hold
    or offer of a session moved to a start already past ends at the move
    (``lapse`` or ``expire``, dated now: it was in play until then).
    Returns how many bookings ended so (the caller may release the session).
    ``ran_out``: that first step, taken already (:func:`expire_before_move`,
    whose ``moved_at`` then counts); its ended bookings are counted here too.
    """
    bookings = tx.bookings_or_none()
    if bookings is None:
        return 0
    # Judged on the old time when it moved: what ran out then is EXPIRED (in time order).
    if ran_out is None:
        ran_out = expire_before_move(tx, session, moved_at=moved_at)
    at, held, expired = ran_out.at, ran_out.held, ran_out.expired
    ended = len(expired)
    later: list[Booking] = []  # ran out at the new time, after the move, by now
    for stored in held:
        booking = expired.get(stored.id, stored)
        if (booking.session_start, booking.session_end) == (session.start, session.end):
            continue
        moved = attrs.evolve(
            booking,
            session_start=session.start,
            session_end=session.end,
            updated_at=tx.now,
            updated_by=actor,
        )
        if moved.status in HOLDING and moved.hold_expires_at is not None:
            # It ends by the new start; by now, at the move, when that start is past.
            until = min(moved.hold_expires_at, max(session.start, tx.now))
            moved = attrs.evolve(moved, hold_expires_at=until)
        if moved.expired_at(at):
            why = "the session moved to a start already past"
            ends = "lapse" if moved.status == WAITLISTED else "expire"
            lapsed, change = BOOKING_LIFECYCLE.fire(
                moved, ends, now=tx.now, actor=actor, reason=why
            )
            store_booking_change(tx, booking, lapsed, [change], actor=actor, reason=why)
            ended += 1
        else:
            kept = bookings.update(moved, expected_version=booking.version)
            if kept.expired_at(tx.now):
                later.append(kept)
    ended += len(expire_in_order(tx, later))
    _move_payments(tx, session, [b.id for b in held], actor=actor)
    return ended


def _move_payments(tx: Tx, session: Session, booking_ids: list[str], *, actor: str | None) -> None:
    """Carry a moved ``session``'s new start into its bookings' payments (no event)."""
    payments = tx.payments_or_none()
    if payments is None:
        return
    for payment in payments.for_bookings(session.tenant, booking_ids).values():
        if payment.session_start != session.start:
            moved = attrs.evolve(
                payment, session_start=session.start, updated_at=tx.now, updated_by=actor
            )
            payments.update(moved, expected_version=payment.version)
