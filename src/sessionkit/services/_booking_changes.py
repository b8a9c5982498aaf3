"""One booking's change inside a command: stored with its events, expired when it ran out.

Private to the services package, beneath the settling and the session hooks
of :mod:`~sessionkit.services._seats` (which keeps the names others import
from there): :func:`store_booking_change` stores a booking's new state with
its events and takes its payment along when it leaves play;
:func:`expire` and :func:`expire_in_order` mark what ran out EXPIRED, dated
when it did; :func:`as_judged` and :func:`refuse_run_out` judge a booking
that ran out as every command does, whether or not the expiry job ran.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import attrs

from sessionkit.errors import HoldExpired
from sessionkit.lifecycle import StatusChanged
from sessionkit.model.booking import BOOKING_LIFECYCLE, EXPIRED, HELD, OFFERED, Booking
from sessionkit.model.booking_events import booking_event
from sessionkit.services._context import Tx
from sessionkit.services._money import follow_booking

__all__ = [
    "HOLDING",
    "as_judged",
    "expire",
    "expire_in_order",
    "refuse_run_out",
    "store_booking_change",
]

HOLDING = frozenset({HELD, OFFERED})
"""The statuses that hold seats until an expiry: a hold and an offer."""


def refuse_run_out(booking: Booking, now: datetime, running: Collection[str] = HOLDING) -> None:
    """Raise ``HoldExpired`` for a booking whose hold or offer ran out by ``now``.

    One in ``running`` past its expiry, whether or not the expiry job has run,
    or one the job marked EXPIRED (which keeps when it ran out); a waitlist
    place that expired never had a hold to name.
    """
    ran_out = booking.status in running and booking.expired_at(now)
    if ran_out or (booking.status == EXPIRED and booking.hold_expires_at is not None):
        assert booking.hold_expires_at is not None  # a hold or offer ran out
        # An offer came to a waitlist place, which keeps its position; a hold has none.
        expired_at = booking.hold_expires_at
        raise HoldExpired(
            booking.id,
            expired_at,
            offer=booking.position is not None,
            started=expired_at >= booking.session_start,
        )


def store_booking_change(
    tx: Tx,
    before: Booking,
    after: Booking,
    changes: Sequence[StatusChanged],
    *,
    actor: str | None,
    reason: str | None = None,
    role: str | None = None,
    in_full: bool = False,
) -> Booking:
    """Store ``after`` (a new state of ``before``) stamped now, and collect one event per change.

    A booking no longer held or offered keeps no expiry, but for a hold or
    offer that ran out (EXPIRED by ``expire``), which keeps when it did
    (``HoldExpired`` names it to a late confirm). A booking that
    leaves play (cancelled, expired) takes its payment along: an unpaid one
    is cancelled, a paid one refunded as the refund policy says for ``role``,
    or wholly with ``in_full`` (:func:`~sessionkit.services._money.follow_booking`).
    """
    ran_out = after.status == EXPIRED and before.status in HOLDING
    expires = after.hold_expires_at if after.status in HOLDING or ran_out else None
    stamped = attrs.evolve(after, hold_expires_at=expires, updated_at=tx.now, updated_by=actor)
    stored = tx.bookings.update(stamped, expected_version=before.version)
    tx.collect(
        booking_event(stored, change, tenant=stored.tenant, actor=actor, reason=reason)
        for change in changes
    )
    if before.active and not stored.active:
        follow_booking(tx, stored, role=role, actor=actor, reason=reason, in_full=in_full)
    return stored


def as_judged(booking: Booking, now: datetime) -> Booking:
    """``booking`` as every command judges it at ``now``: EXPIRED once it ran out, job or no job.

    Not stored: what its next transition (or refusal) starts from.
    """
    return BOOKING_LIFECYCLE.advance(booking, now)[0] if booking.expired_at(now) else booking


def expire(tx: Tx, booking: Booking) -> Booking:
    """Mark a booking that ran out EXPIRED (its event dated when it ran out); return it.

    A hold or offer past its expiry (transition ``expire``), or a waitlist
    place whose session started (``lapse``).
    """
    ran_out, changes = BOOKING_LIFECYCLE.advance(booking, tx.now)
    return store_booking_change(tx, booking, ran_out, changes, actor=None)


def expire_in_order(tx: Tx, ran_out: Sequence[Booking]) -> dict[str, Booking]:
    """Mark the bookings that ran out EXPIRED in the order they did; return them by id.

    By :attr:`~sessionkit.model.booking.Booking.runs_out_at`, ties in the
    order given (the session's): each event is dated when its booking ran
    out, so a subscriber replaying a session's events sees them in time order.
    """
    return {b.id: expire(tx, b) for b in sorted(ran_out, key=_ran_out_at)}  # a stable sort


def _ran_out_at(booking: Booking) -> datetime:
    """When ``booking``, which ran out, did: the order a settling expires in."""
    assert booking.runs_out_at is not None  # only what ran out is expired
    return booking.runs_out_at
