"""Payments inside one command: storing a change, following a booking out of play, refunds.

Private to the services. Every function runs inside a unit of work (a
:class:`~sessionkit.services._context.Tx`) with the booking's session locked
where a booking changes; provider calls never happen here. A payment left
with a provider call ``due`` is queued on ``tx.calls`` and made once the unit
committed. The no-show refunds a session's status decides are
:mod:`sessionkit.services._money_no_shows`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from sessionkit.errors import InvalidValue, PaymentRequired, WrongType
from sessionkit.errors._base import shown
from sessionkit.lifecycle import StatusChanged
from sessionkit.model.booking import CANCELLED, Booking
from sessionkit.model.money import DECIMALS, Money
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
from sessionkit.policies.money import Pricing, RefundPolicy
from sessionkit.services._context import Context, Tx

__all__ = [
    "NO_SHOW_FIELD",
    "SEATS_PART_FIELD",
    "follow_seats",
    "paid_part",
    "check_paid",
    "priced",
    "follow_booking",
    "give_back",
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
    """Store ``after`` stamped now, collect its ``PaymentChanged``, queue its due provider call.

    A change (a decision, the provider's answer or event) clears the due
    call's failed tries: it is made at once again.
    """
    stamped = attrs.evolve(
        after, updated_at=tx.now, updated_by=actor, failed_calls=0, retry_at=None
    )
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
            raise PaymentRequired(booking.id, None, "missing", session_id=session.id)
        return
    if payment.status not in PAID_STATUSES or payment.status == REFUNDED:
        # Money that came in and went back in full pays for nothing.
        raise PaymentRequired(booking.id, payment.id, payment.status)


def unpriced(session_id: str) -> InvalidValue:
    """The error of taking a seat of a free session by paying (``kit.payments.book``)."""
    return InvalidValue(
        f"session {session_id!r} has no price; book it with kit.bookings.book",
        value=session_id,
        expected="a session the kit's pricing prices",
    )


def priced(ctx: Context, tx: Tx, session: Session) -> bool:
    """Whether a seat of ``session`` is taken by paying for it (``kit.payments.book``).

    True when the kit prices it; a store that keeps no payments has nothing to
    pay with, so its seats are booked as free ones.
    """
    return ctx.price_of(session) is not None and tx.payments_or_none() is not None


def _due_after_close(payment: Payment) -> Due | None:
    """The provider call that closes an unpaid payment: cancel its intent (if it may exist)."""
    if payment.provider == MANUAL:
        return None
    return "cancel" if payment.intent_ref is not None or payment.due == "create" else None


def follow_booking(
    tx: Tx,
    booking: Booking,
    *,
    role: str | None,
    actor: str | None,
    reason: str | None,
    in_full: bool = False,
) -> None:
    """Bring the payment of a booking that left play along with it.

    An unpaid payment is CANCELLED (and its intent cancelled at the
    provider). A paid one of a CANCELLED booking is refunded as the kit's
    refund policy says for ``role``, or wholly with ``in_full`` (its session
    was cancelled); nothing for an expired booking: it never had a payment
    that came in. A no-show refund decided for the payment
    before (a session marked a no-show, then corrected) counts toward that
    share: the two together never give back more than the larger.
    """
    payments = tx.payments_or_none()
    if payments is None:
        return
    payment = payments.for_booking(booking.tenant, booking.id)
    if payment is None:
        return
    if payment.status in OPEN_PAYMENT_STATUSES:
        closed, change = PAYMENT_LIFECYCLE.fire(
            payment, "cancel", now=tx.now, actor=actor, role=role, reason=reason
        )
        closed = attrs.evolve(closed, due=_due_after_close(payment))
        store_payment(tx, payment, closed, change, actor=actor, reason=reason)
    elif booking.status == CANCELLED and payment.status in (PAID, PARTIALLY_REFUNDED):
        policy, start = tx.refunds, booking.session_start
        part, zero = paid_part(payment), Money.zero(payment.currency)  # seats given back: done
        share = (
            part
            if in_full
            else _refund_of(policy, payment, part, zero, role=role, start=start, at=tx.now)
        )
        share = share - _no_show_left(payment)  # a no-show refund given counts toward share
        refund = min(share, payment.refundable)
        if refund.is_positive:
            why = reason or "booking cancelled"
            give_back(tx, payment, refund, actor=actor, role=role, reason=why)


SEATS_PART_FIELD = "seats_part"
"""The own field of a payment whose booking gave seats back: the ``seats`` it keeps and the
part of the amount they paid for (``amount``, text), which its later refunds come from, and
``no_show_counted`` (text), what of a no-show refund given before its seats' refunds took."""


def _no_show_left(payment: Payment) -> Money:
    """What of ``payment``'s no-show refund (given for all its seats) no cancel has counted yet.

    A no-show decided, then corrected away, refunded the booking's seats
    already: a cancel of some or all of them refunds only past what is left.
    """
    decided, zero = payment.metadata.get(NO_SHOW_FIELD), Money.zero(payment.currency)
    if not isinstance(decided, Mapping):
        return zero
    left = Money.of(decided["refund"], payment.currency) - _no_show_counted(payment)
    return max(zero, left)


def _no_show_counted(payment: Payment) -> Money:
    """What of ``payment``'s no-show refund its partial cancels counted (``no_show_counted``)."""
    part = payment.metadata.get(SEATS_PART_FIELD)
    if isinstance(part, Mapping) and isinstance(part.get("no_show_counted"), str):
        return Money.of(part["no_show_counted"], payment.currency)
    return Money.zero(payment.currency)


def paid_part(payment: Payment) -> Money:
    """The part of ``payment``'s amount its booking's seats paid for (all until it gave some back).

    :func:`follow_seats` records it (:data:`SEATS_PART_FIELD`) at each partial cancel.
    """
    part = payment.metadata.get(SEATS_PART_FIELD)
    if isinstance(part, Mapping) and isinstance(part.get("amount"), str):
        return min(Money.of(part["amount"], payment.currency), payment.amount)
    return payment.amount


def _kept_part(ctx: Context, session: Session, part: Money, before: int, after: int) -> Money:
    """The share of ``part`` (what ``before`` seats paid for) that ``after`` of them keep.

    ``part`` x price(after) / price(before) by the session's pricing, rounded,
    so the parts given back and the last one add up to the amount: a
    ``FixedPrice`` keeps it all, a ``SeatPrice`` ``after / before`` of it. A
    session priced no more (or at nothing) is shared by seats.
    """
    pricing, ratio = ctx.price_of(session), DECIMALS.divide(after, before)
    if pricing is not None:
        was, now = _priced(pricing, session, before), _priced(pricing, session, after)
        if was.is_positive:
            ratio = min(max(DECIMALS.divide(now.amount, was.amount), Decimal(0)), Decimal(1))
    return (part * ratio).rounded()


def _priced(pricing: Pricing, session: Session, seats: int) -> Money:
    """What ``pricing`` asks for ``seats`` of ``session``; no ``Money`` is its ``WrongType``."""
    price: object = pricing.price(session, seats)
    if not isinstance(price, Money):
        name = f"pricing.price(session {shown(session.id)}, seats={seats})"
        raise WrongType(price, name=name, expected="Money")
    return price


def _refund_of(
    policy: RefundPolicy,
    payment: Payment,
    was: Money,
    kept: Money,
    *,
    role: str | None,
    start: datetime,
    at: datetime,
) -> Money:
    """What a cancel in ``role`` at ``at`` refunds of ``was - kept``, a part of ``payment``.

    The policy's share of it, less a tier's fee in proportion to the part of
    the amount it is (the fee's shares of ``was`` and ``kept``, each rounded,
    so the shares a booking's cancels keep add up to one fee): seats given
    back in pieces keep one fee in all, as the whole booking's cancel would.
    The share is taken the same way, of ``was`` less of ``kept``, each
    rounded: pieces rounded alone (0.42 + 0.42 + 0.42 of 2.50 EUR at 50 %)
    would give back more than the whole booking's cancel (1.25).
    """
    if was - kept == payment.amount:
        return policy.refund(payment.amount, role=role, start=start, at=at)
    share = policy.share(role=role, start=start, at=at)
    back = was.percent(share) - kept.percent(share)
    tier = policy.tier(role=role, start=start, at=at)
    fee = None if tier is None else tier.fee_in(payment.currency)
    if fee is None:
        return back
    whole = payment.amount.amount
    held = (fee * DECIMALS.divide(was.amount, whole)).rounded()
    held -= (fee * DECIMALS.divide(kept.amount, whole)).rounded()
    return back - held if back > held else Money.zero(payment.currency)


def follow_seats(
    ctx: Context,
    tx: Tx,
    session: Session,
    before: Booking,
    after: Booking,
    *,
    role: str,
    actor: str | None,
    reason: str | None,
) -> None:
    """Refund the share of the seats ``before`` gave back (``after`` keeps the rest).

    The part of the amount they paid for (:func:`_kept_part`), refunded as a
    cancel in ``role`` would (:func:`_refund_of`), never more than is left;
    the payment records the part the rest paid for (:data:`SEATS_PART_FIELD`),
    which the cancel of the rest, a session's cancel and a no-show refund
    from. Call only for a payment that is not open.
    """
    payments = tx.payments_or_none()
    payment = None if payments is None else payments.for_booking(before.tenant, before.id)
    if payment is None or payment.status not in PAID_STATUSES:
        return
    was = paid_part(payment)
    kept = _kept_part(ctx, session, was, before.seats, after.seats)
    start = before.session_start
    share = _refund_of(tx.refunds, payment, was, kept, role=role, start=start, at=tx.now)
    record = {"seats": after.seats, "amount": str(kept.amount)}
    left = _no_show_left(payment)
    if left.is_positive:  # what the no-show refund gave counts toward these seats' share
        counted = min(share, left)
        share -= counted
        record["no_show_counted"] = str((_no_show_counted(payment) + counted).amount)
    marked = attrs.evolve(payment, metadata={**payment.metadata, SEATS_PART_FIELD: record})
    refund = min(share, payment.refundable)
    why = reason or f"{before.seats - after.seats} of {before.seats} seats cancelled"
    if refund.is_positive:
        give_back(tx, marked, refund, actor=actor, role=role, reason=why)
    else:
        store_payment(tx, payment, marked, None, actor=actor, reason=why)


NO_SHOW_FIELD = "no_show"
"""The own field of a payment recording its no-show decision.

See :func:`sessionkit.services._money_no_shows.settle_no_shows`.
"""


def give_back(
    tx: Tx,
    payment: Payment,
    refund: Money,
    *,
    actor: str | None,
    reason: str | None,
    role: str | None = None,
) -> Payment:
    """Decide to refund ``refund`` of ``payment``: at once when manual, else by the provider.

    ``role``: the role whose cancel decided it, kept by a manual refund's change.
    """
    if payment.provider == MANUAL:
        total = payment.refunded + refund.amount
        done, change = refunded_to(payment, total, tx, actor=actor, role=role)
        return store_payment(tx, payment, done, change, actor=actor, refund=refund, reason=reason)
    # A new decision sends what is due again, a refund the provider answered failed too.
    added = payment.refund_due + refund.amount
    due = attrs.evolve(payment, refund_due=added, due="refund", failure=None)
    return store_payment(tx, payment, due, None, actor=actor, refund=refund, reason=reason)


def refunded_to(
    payment: Payment, total: Decimal, tx: Tx, *, actor: str | None, role: str | None = None
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
    due, failure = payment.due, payment.failure
    if due == "refund" and not left:
        due = failure = None  # and a refund call answered failed is no longer a concern
    moved = attrs.evolve(payment, refunded=total, refund_due=left, due=due, failure=failure)
    if moved.status == REFUNDED:
        return moved, None
    if moved.status not in (PAID, PARTIALLY_REFUNDED):  # refunded before we heard it was paid
        moved, _ = PAYMENT_LIFECYCLE.fire(moved, "succeed", now=tx.now, actor=actor, role=role)
    transition = "refund" if total >= payment.amount.amount else "refund_part"
    if transition == "refund_part" and moved.status == PARTIALLY_REFUNDED:
        return moved, None
    return PAYMENT_LIFECYCLE.fire(moved, transition, now=tx.now, actor=actor, role=role)
