"""Payments inside one command: storing a change, following a booking out of play, refunds.

Private to the services. Every function runs inside a unit of work (a
:class:`~sessionkit.services._context.Tx`) with the booking's session locked
where a booking changes; provider calls never happen here. A payment left
with a provider call ``due`` is queued on ``tx.calls`` and made once the unit
committed.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from sessionkit.errors import PaymentRequired
from sessionkit.lifecycle import StatusChanged
from sessionkit.model.booking import CANCELLED, CONFIRMED, Booking
from sessionkit.model.money import Money
from sessionkit.model.payment import (
    MANUAL,
    OPEN_PAYMENT_STATUSES,
    PAID,
    PAID_STATUSES,
    PARTIALLY_REFUNDED,
    PAYMENT_LIFECYCLE,
    REFUNDED,
    Due,
    Payment,
    PaymentChanged,
)
from sessionkit.model.session import Session
from sessionkit.services._context import Context, Tx

__all__ = [
    "check_paid",
    "check_unpriced",
    "follow_booking",
    "give_back",
    "refund_no_shows",
    "refunded_to",
    "store_payment",
]


def store_payment(
    tx: Tx,
    before: Payment,
    after: Payment,
    change: StatusChanged | None,
    *,
    actor: str | None,
    refund: Money | None = None,
    reason: str | None = None,
) -> Payment:
    """Store ``after`` stamped now, collect its ``PaymentChanged``, queue its due provider call."""
    stamped = attrs.evolve(after, updated_at=tx.now, updated_by=actor)
    stored = tx.payments.update(stamped, expected_version=before.version)
    tx.collect(
        [
            PaymentChanged(
                tenant=stored.tenant,
                actor=actor,
                at=tx.now,
                payment=stored,
                change=change,
                refund=refund,
                reason=reason,
            )
        ]
    )
    if stored.due is not None:
        tx.calls.append((stored.tenant, stored.id))
    return stored


def check_paid(ctx: Context, tx: Tx, session: Session, booking: Booking) -> None:
    """Refuse to confirm ``booking`` unless its payment came in (``PaymentRequired``).

    A booking of a priced session needs a payment that was paid; a free
    session's booking (no pricing, no payment) is confirmed as before.
    """
    payments = tx.payments_or_none()
    payment = None if payments is None else payments.for_booking(booking.tenant, booking.id)
    if payment is None:
        if ctx.price_of(session) is not None and payments is not None:
            raise PaymentRequired(booking.id, "(none)", "missing")
        return
    if payment.status not in PAID_STATUSES:
        raise PaymentRequired(booking.id, payment.id, payment.status)


def check_unpriced(ctx: Context, tx: Tx, session: Session) -> None:
    """Refuse to confirm a new booking of ``session`` at once when it is priced.

    Its payment confirms it (``kit.payments.book``); ``PaymentRequired`` otherwise.
    A store that keeps no payments has nothing to pay with, so it is not refused.
    """
    if ctx.price_of(session) is not None and tx.payments_or_none() is not None:
        raise PaymentRequired.at_once(session.id)


def _due_after_close(payment: Payment) -> Due | None:
    """The provider call that closes an unpaid payment: cancel its intent (if it may exist)."""
    if payment.provider == MANUAL:
        return None
    return "cancel" if payment.intent_ref is not None or payment.due == "create" else None


def follow_booking(
    tx: Tx, booking: Booking, *, role: str | None, actor: str | None, reason: str | None
) -> None:
    """Bring the payment of a booking that left play along with it.

    An unpaid payment is CANCELLED (and its intent cancelled at the
    provider). A paid one of a CANCELLED booking is refunded as the kit's
    refund policy says for ``role`` (nothing for an expired booking: it never
    had a payment that came in).
    """
    payments = tx.payments_or_none()
    if payments is None:
        return
    payment = payments.for_booking(booking.tenant, booking.id)
    if payment is None:
        return
    if payment.status in OPEN_PAYMENT_STATUSES:
        closed, change = PAYMENT_LIFECYCLE.fire(
            payment, "cancel", now=tx.now, actor=actor, reason=reason
        )
        closed = attrs.evolve(closed, due=_due_after_close(payment))
        store_payment(tx, payment, closed, change, actor=actor, reason=reason)
    elif booking.status == CANCELLED and payment.status in (PAID, PARTIALLY_REFUNDED):
        share = tx.refunds.refund(payment.amount, role=role, start=booking.session_start, at=tx.now)
        refund = min(share, payment.refundable)
        if refund.is_positive:
            give_back(tx, payment, refund, actor=actor, reason=reason or "booking cancelled")


def refund_no_shows(tx: Tx, session: Session, *, actor: str | None) -> int:
    """Refund the paid, confirmed bookings of ``session``, which just became a no-show.

    By the kit's refund policy (``no_show_percent`` less ``no_show_fee``;
    the default keeps everything). Return how many refunds were decided.
    Entering a no-show status happens once, so this runs once per session.
    """
    payments, bookings = tx.payments_or_none(), tx.bookings_or_none()
    if payments is None or bookings is None:
        return 0
    decided = 0
    for booking in bookings.for_session(session.tenant, session.id, statuses={CONFIRMED}):
        payment = payments.for_booking(booking.tenant, booking.id)
        if payment is None or payment.status not in (PAID, PARTIALLY_REFUNDED):
            continue
        refund = min(tx.refunds.no_show_refund(payment.amount), payment.refundable)
        if refund.is_positive:
            give_back(tx, payment, refund, actor=actor, reason=f"no-show: {session.status}")
            decided += 1
    return decided


def give_back(
    tx: Tx, payment: Payment, refund: Money, *, actor: str | None, reason: str | None
) -> Payment:
    """Decide to refund ``refund`` of ``payment``: at once when manual, else by the provider."""
    if payment.provider == MANUAL:
        done, change = refunded_to(payment, payment.refunded + refund.amount, tx, actor=actor)
        return store_payment(tx, payment, done, change, actor=actor, refund=refund, reason=reason)
    due = attrs.evolve(payment, refund_due=payment.refund_due + refund.amount, due="refund")
    return store_payment(tx, payment, due, None, actor=actor, refund=refund, reason=reason)


def refunded_to(
    payment: Payment, total: Decimal, tx: Tx, *, actor: str | None
) -> tuple[Payment, StatusChanged | None]:
    """Return ``payment`` with ``total`` refunded in all (never less than before), and the change.

    A provider's ``refunded`` events say the total so far, so applying one
    twice, or after sessionkit recorded its own refund, adds nothing.
    ``refund_due`` shrinks by what came through.
    """
    if total <= payment.refunded:
        return payment, None
    total = min(total, payment.amount.amount)
    came = total - payment.refunded
    left = max(payment.refund_due - came, Decimal(0))
    due = payment.due
    if due == "refund" and not left:
        due = None
    moved = attrs.evolve(payment, refunded=total, refund_due=left, due=due)
    if moved.status == REFUNDED:
        return moved, None
    if moved.status not in (PAID, PARTIALLY_REFUNDED):  # refunded before we heard it was paid
        moved, _ = PAYMENT_LIFECYCLE.fire(moved, "succeed", now=tx.now, actor=actor)
    transition = "refund" if total >= payment.amount.amount else "refund_part"
    if transition == "refund_part" and moved.status == PARTIALLY_REFUNDED:
        return moved, None
    return PAYMENT_LIFECYCLE.fire(moved, transition, now=tx.now, actor=actor)
