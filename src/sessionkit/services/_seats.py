"""Seats inside one command: settling a session's holds and waitlist, and the session hooks.

Every booking write to a session first locks the session's row
(``bookings.lock_session``) and *settles* it at the command's instant: holds
and offers that ran out become EXPIRED, and freed seats are offered to the
waitlist in order. So an expired hold frees its seat for the waitlist at the
next write to its session, whether or not the expiry job ever ran, and a
newcomer never jumps the queue. The session hooks keep bookings in step with
their session: a cancelled session cancels its bookings, and a moved one
carries its bookings' copy of the time along.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from sessionkit.lifecycle import StatusChanged
from sessionkit.model.booking import (
    ACTIVE_BOOKING_STATUSES,
    BOOKING_LIFECYCLE,
    HELD,
    OFFERED,
    WAITLISTED,
    Booking,
    seats_taken,
)
from sessionkit.model.booking_events import booking_event
from sessionkit.model.session import Session
from sessionkit.services._context import Context, Tx
from sessionkit.services._money import follow_booking

_HOLDING = frozenset({HELD, OFFERED})

__all__ = [
    "cancel_session_bookings",
    "expire",
    "move_session_bookings",
    "Settled",
    "settle",
    "store_booking_change",
]


def store_booking_change(
    tx: Tx,
    before: Booking,
    after: Booking,
    changes: Sequence[StatusChanged],
    *,
    actor: str | None,
    reason: str | None = None,
    role: str | None = None,
) -> Booking:
    """Store ``after`` (a new state of ``before``) stamped now, and collect one event per change.

    A booking no longer held or offered keeps no expiry. A booking that
    leaves play (cancelled, expired) takes its payment along: an unpaid one
    is cancelled, a paid one refunded as the refund policy says for ``role``
    (:func:`~sessionkit.services._money.follow_booking`).
    """
    expires = after.hold_expires_at if after.status in _HOLDING else None
    stamped = attrs.evolve(after, hold_expires_at=expires, updated_at=tx.now, updated_by=actor)
    stored = tx.bookings.update(stamped, expected_version=before.version)
    tx.collect(
        booking_event(stored, change, tenant=stored.tenant, actor=actor, reason=reason)
        for change in changes
    )
    if before.active and not stored.active:
        follow_booking(tx, stored, role=role, actor=actor, reason=reason)
    return stored


def expire(tx: Tx, booking: Booking) -> Booking:
    """Mark a hold or offer that ran out EXPIRED (its event dated when it ran out); return it."""
    ran_out, changes = BOOKING_LIFECYCLE.advance(booking, tx.now)
    return store_booking_change(tx, booking, ran_out, changes, actor=None)


@attrs.frozen
class Settled:
    """A session after settling: its bookings in play (waitlist order) and what changed."""

    live: list[Booking]
    expired: int = 0
    offered: int = 0


def settle(ctx: Context, tx: Tx, session: Session, *, actor: str | None) -> Settled:
    """Expire the session's run-out holds and offers, then offer freed seats in order.

    Call with the session's row locked.
    """
    bookings = tx.bookings.for_session(session.tenant, session.id, statuses=ACTIVE_BOOKING_STATUSES)
    live: list[Booking] = []
    expired = 0
    for booking in bookings:
        if booking.expired_at(tx.now):
            expire(tx, booking)
            expired += 1
        else:
            live.append(booking)
    return _offer_freed(ctx, tx, session, live, expired=expired, actor=actor)


def _offer_freed(
    ctx: Context, tx: Tx, session: Session, live: list[Booking], *, expired: int, actor: str | None
) -> Settled:
    """Offer free seats to waitlisted bookings, first come first served.

    Strictly in order: when the first in line needs more seats than are free,
    nobody behind it is offered any (no one jumps the queue).
    """
    free = session.capacity - seats_taken(live, tx.now)
    claim = ctx.rules_for(session).offer_for
    result: list[Booking] = []
    offered = 0
    blocked = False
    for booking in live:
        if booking.status == WAITLISTED and not blocked:
            if booking.seats <= free:
                changed, change = BOOKING_LIFECYCLE.fire(
                    booking.holding(until=tx.now + claim), "offer", now=tx.now, actor=actor
                )
                booking = store_booking_change(
                    tx, booking, changed, [change], actor=actor, reason="a seat freed"
                )
                free -= booking.seats
                offered += 1
            else:
                blocked = True
        result.append(booking)
    return Settled(result, expired, offered)


def cancel_session_bookings(
    tx: Tx, session: Session, *, actor: str | None, reason: str | None
) -> int:
    """Cancel the bookings in play of a cancelled ``session`` (one event each); return how many.

    A hold or offer that had already run out is marked EXPIRED instead, with
    its ``BookingExpired`` event: nobody cancelled an unpaid hold.
    """
    bookings = tx.bookings_or_none()
    if bookings is None:
        return 0
    active = bookings.for_session(session.tenant, session.id, statuses=ACTIVE_BOOKING_STATUSES)
    why = "the session was cancelled" + ("" if reason is None else f": {reason}")
    cancelled = 0
    for booking in active:
        if booking.expired_at(tx.now):
            expire(tx, booking)  # a hold that ran out was never the session's to cancel
            continue
        changed, change = BOOKING_LIFECYCLE.fire(
            booking, "cancel", now=tx.now, actor=actor, reason=why
        )
        store_booking_change(
            tx, booking, changed, [change], actor=actor, reason=why, role="provider"
        )
        cancelled += 1
    return cancelled


def move_session_bookings(tx: Tx, session: Session, *, actor: str | None) -> None:
    """Carry a moved ``session``'s new time into its bookings' copy of it."""
    bookings = tx.bookings_or_none()
    if bookings is None:
        return
    for booking in bookings.for_session(session.tenant, session.id):
        if (booking.session_start, booking.session_end) != (session.start, session.end):
            moved = attrs.evolve(
                booking,
                session_start=session.start,
                session_end=session.end,
                updated_at=tx.now,
                updated_by=actor,
            )
            bookings.update(moved, expected_version=booking.version)
