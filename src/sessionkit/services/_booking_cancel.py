"""The cancel command's helpers: giving back some seats, and the refusals of a cancel.

Private to the services: :meth:`~sessionkit.services.bookings.BookingCommands.cancel`
checks ``seats`` (:func:`given_back`, :func:`too_many`), refuses a confirmed
booking's cancel by its session being over or the notice (:func:`check_cancel`),
and gives back part of a booking (:func:`cancel_part`) with its payment's
part. :func:`ended_at` and :func:`session_over` are read by
``kit.reschedules.options`` too.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from sessionkit.errors import CancelRefused, InvalidValue
from sessionkit.errors._base import check_int, shown
from sessionkit.model.booking import Booking
from sessionkit.model.booking_events import seats_cancelled
from sessionkit.model.payment import OPEN_PAYMENT_STATUSES, PAID, PARTIALLY_REFUNDED
from sessionkit.model.session import Session
from sessionkit.services._context import Context, Tx
from sessionkit.services._money import follow_seats
from sessionkit.services._presence_seal import seal_instant
from sessionkit.services._seats import settle

__all__ = [
    "cancel_part",
    "check_cancel",
    "ended_at",
    "given_back",
    "session_over",
    "too_many",
]


def given_back(seats: object) -> int:
    """Return ``seats``, the seats a cancel gives back, if it is an int of at least 1."""
    given = check_int(seats, name="seats", expected="an int >= 1 (the seats given back)")
    if given < 1:
        raise InvalidValue(
            f"a cancel gives back 1 or more seats, got seats={shown(seats)}",
            value=seats,
            expected="an int >= 1",
            name="seats",
        )
    return given


def too_many(booking: Booking, seats: int) -> InvalidValue:
    """The error of giving back more ``seats`` than ``booking`` has."""
    return InvalidValue(
        f"booking {shown(booking.id)} has {booking.seats} seat(s); a cancel gives back "
        f"1..{booking.seats} of them, got seats={seats}",
        value=seats,
        expected=f"1..{booking.seats}",
        name="seats",
    )


def check_cancel(ctx: Context, tx: Tx, session: Session, booking: Booking, role: str) -> None:
    """Refuse cancelling confirmed ``booking`` in ``role``: its session over, or the notice.

    ``CancelRefused``: over first, since after the end ``"ended"`` is what
    stands, whatever the notice says; then the kit's ``NoticePolicy``.
    """
    if session_over(ctx, session, tx.now):
        _check_over(ctx, tx, session, booking, role)
    refusal = ctx.notice.notice_refusal("cancel", role, session, tx.now)
    if refusal is not None:
        raise CancelRefused(refusal.rule, refusal.reason, booking_id=booking.id)


def cancel_part(
    ctx: Context,
    tx: Tx,
    session: Session,
    booking: Booking,
    seats: int,
    *,
    actor: str | None,
    role: str,
    reason: str | None,
) -> Booking:
    """Give back ``seats`` (fewer than it has) of ``booking``, its payment's part too; return it.

    Refused (``CancelRefused``, rule ``"unpaid"``) while its payment is open;
    a paid one is refunded the part they paid for (:func:`follow_seats`).
    """
    _refuse_open_part(tx, booking, seats)
    stored = _cancel_seats(tx, booking, seats, actor=actor, role=role, reason=reason)
    follow_seats(ctx, tx, session, booking, stored, role=role, actor=actor, reason=reason)
    # Still in play, it empties nothing; a waitlist place now asking for seats that are
    # free is offered them here.
    if settle(ctx, tx, session, actor=actor).offered:
        stored = tx.bookings.get(booking.tenant, booking.id)
    return stored


def _cancel_seats(
    tx: Tx, booking: Booking, seats: int, *, actor: str | None, role: str, reason: str | None
) -> Booking:
    """Store ``booking`` with ``seats`` fewer (its status kept) and its event; return it."""
    kept = attrs.evolve(booking, seats=booking.seats - seats, updated_at=tx.now, updated_by=actor)
    stored = tx.bookings.update(kept, expected_version=booking.version)
    tx.collect([seats_cancelled(booking, stored, at=tx.now, actor=actor, role=role, reason=reason)])
    return stored


def _refuse_open_part(tx: Tx, booking: Booking, seats: int) -> None:
    """Refuse giving back ``seats`` of ``booking`` while its payment is open (not paid yet).

    The provider was asked for the whole price: the seats given back would be
    charged all the same.
    """
    payments = tx.payments_or_none()
    payment = None if payments is None else payments.for_booking(booking.tenant, booking.id)
    if payment is None or payment.status not in OPEN_PAYMENT_STATUSES:
        return
    raise CancelRefused(
        "unpaid",
        f"booking {shown(booking.id)} has a {payment.status} payment of {payment.amount} for "
        f"its {booking.seats} seats: {seats} of them cannot be given back before it is paid; "
        "cancel the booking whole (seats=None)",
        booking_id=booking.id,
    )


def _paid(tx: Tx, booking: Booking) -> bool:
    """Whether ``booking``'s payment has money in that a cancel would refund."""
    payments = tx.payments_or_none()
    payment = None if payments is None else payments.for_booking(booking.tenant, booking.id)
    return payment is not None and payment.status in (PAID, PARTIALLY_REFUNDED)


def _check_over(ctx: Context, tx: Tx, session: Session, booking: Booking, role: str) -> None:
    """Refuse cancelling ``booking`` of ``session``, which is over, unless it is a write-off.

    A paid booking stands in every role: its refund was decided with the
    session. An unpaid one (an invoice never paid, a free seat) is written off
    only by a host-side role, one of the kit's ``RefundPolicy.full_refund_roles``;
    a participant does not cancel a session they had.
    """
    over = (
        f"session {session.id!r} is over (ended {ended_at(ctx, session).isoformat()}, "
        f"status {session.status})"
    )
    if _paid(tx, booking):
        raise CancelRefused(
            "ended",
            f"{over} and booking {shown(booking.id)} is paid; its refund was decided with the "
            "session, a goodwill refund is kit.payments.refund",
            booking_id=booking.id,
        )
    staff = ctx.refunds.full_refund_roles
    if role not in staff:
        raise CancelRefused(
            "ended",
            f"{over}; role {shown(role)} cannot cancel booking {shown(booking.id)} after it, only "
            "one of "
            f"{sorted(staff)} writes it off",
            booking_id=booking.id,
        )


def ended_at(ctx: Context, session: Session) -> datetime:
    """When ``session`` ended: when it entered its terminal status, at most its scheduled end.

    A tutor who ends a lesson at 16:50 of 17:00 ended it then, not at 17:00
    (which may still lie ahead when a refusal names it).
    """
    sealed = seal_instant(ctx.lifecycle(session.lifecycle), session)
    return session.end if sealed is None else sealed


def session_over(ctx: Context, session: Session, now: datetime) -> bool:
    """Whether ``session`` is over at ``now``: its end passed, or its status is terminal.

    A confirmed booking of a session that is over is cancelled only as a write-off
    (:meth:`BookingCommands.cancel`); ``kit.reschedules.options`` says so in advance.
    """
    return session.end <= now or ctx.lifecycle(session.lifecycle).status(session.status).terminal
