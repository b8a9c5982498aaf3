"""Refunds and manual payments: cancel and settle, give money back, mark cash as paid.

Private to the services. A refund is decided in a unit of work (``refund_due``)
and sent to the provider once it commits; a refund asked for with an
idempotency key stores a receipt of the key beside the provider events'
receipts, so a retry refunds nothing more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import attrs

from sessionkit.errors import (
    CurrencyMismatch,
    Duplicate,
    InvalidValue,
    PaymentNotFound,
    RefundExceedsPayment,
    RefundKeyReused,
    TransitionRefused,
    WrongType,
)
from sessionkit.errors._base import shown
from sessionkit.model.booking import WAITLISTED, Booking
from sessionkit.model.money import Money, minor_unit
from sessionkit.model.payment import (
    CANCELLED,
    MANUAL,
    OPEN_PAYMENT_STATUSES,
    PAID,
    PAID_STATUSES,
    PARTIALLY_REFUNDED,
    REFUND_RECEIPTS,
    Payment,
    ReceivedEvent,
)
from sessionkit.model.query import MAX_LIMIT
from sessionkit.model.text import (
    MAX_REF_LENGTH,
    check_actor,
    check_id,
    check_ids,
    check_tenant,
    check_text,
)
from sessionkit.ports import PAYMENT_EVENTS
from sessionkit.services._context import Context, Tx, retried
from sessionkit.services._money import give_back, store_payment
from sessionkit.services._payment_answers import succeed
from sessionkit.services._payment_calls import refund_failed
from sessionkit.services._seats import settle
from sessionkit.services.bookings import BookingCommands, check_key

__all__ = ["RefundCommands"]


class RefundCommands:
    """The refunds and manual payments of :class:`~sessionkit.services.payments.PaymentCommands`."""

    _ctx: Context
    _bookings: BookingCommands

    def cancel(
        self,
        tenant: str,
        booking_id: str,
        *,
        actor: str | None,
        role: str = "participant",
        reason: str | None = None,
        seats: int | None = None,
        expected_version: int | None = None,
        now: datetime | None = None,
    ) -> Payment | None:
        """Cancel a booking and settle its payment by ``role``; return the payment (or ``None``).

        The same as ``kit.bookings.cancel`` (which does the same to payments),
        returning the payment: its ``refund_due`` or ``refunded`` say what
        goes back. ``seats`` gives back only those, refunded the part of the
        payment they paid for, as ``kit.bookings.cancel(..., seats=k)`` does;
        ``expected_version`` refuses it if the booking changed since.
        """
        self._bookings.cancel(
            tenant,
            booking_id,
            actor=actor,
            role=role,
            reason=reason,
            seats=seats,
            expected_version=expected_version,
            now=now,
        )
        with self._ctx.transaction(now) as tx:
            return tx.payments.for_booking(tenant, booking_id)

    def refund(
        self,
        tenant: str,
        payment_id: str,
        amount: Money,
        *,
        actor: str | None,
        reason: str | None = None,
        idempotency_key: str | None = None,
        now: datetime | None = None,
    ) -> Payment:
        """Give ``amount`` of a paid payment back (a goodwill refund); return the payment.

        The provider is asked at once; if it fails, the refund stays due
        (``refund_due``) for :meth:`run_due`.

        With ``idempotency_key``, a receipt of the key (unique in the
        database, beside the provider events' receipts) is stored in the
        refund's own unit of work: the same key for the same payment and
        amount again returns the payment as it stands and refunds nothing
        more, even when two retries race; the same key with another payment or
        amount raises ``RefundKeyReused``. A refused refund stores no receipt.

        Raises ``RefundExceedsPayment`` above what is left, ``CurrencyMismatch``
        for another currency, ``InvalidValue`` for an amount finer than the
        currency's minor unit (a refund is never rounded), ``PaymentNotFound``;
        nothing is written then.
        """
        check_tenant(tenant)
        check_id(payment_id, "payment_id")
        check_actor(actor)
        check_text(reason, "reason", limit=MAX_REF_LENGTH, optional=True)
        key = check_key(idempotency_key)
        if not isinstance(amount, Money):
            raise WrongType(amount, name="amount", expected="Money above zero")
        if not amount.is_positive:
            raise InvalidValue(
                f"a refund is Money above zero, got {amount}",
                value=amount,
                expected="Money > 0",
            )
        if amount.rounded() != amount:  # a provider refunds whole minor units: never rounded
            places = minor_unit(amount.currency)
            raise InvalidValue(
                f"a refund is whole {amount.currency} minor units ({places} decimal places), "
                f"got {amount.amount}",
                value=amount,
                expected=f"an amount with at most {places} decimal places",
            )
        # Run again when a concurrent writer moved the payment on (see SessionKit.retrying).
        run = self._ctx.retrying
        try:
            run(self._refund, tenant, payment_id, amount, actor, reason, key, now)
        except Duplicate as taken:
            if key is None or taken.kind != PAYMENT_EVENTS.name:
                raise
            # A retry with the same key committed its receipt first: run again to replay it.
            run(self._refund, tenant, payment_id, amount, actor, reason, key, now)
        with self._ctx.transaction() as tx:  # as it stands after the provider's answer
            return tx.payments.get(tenant, payment_id)

    def _refund(
        self,
        tenant: str,
        payment_id: str,
        amount: Money,
        actor: str | None,
        reason: str | None,
        key: str | None,
        now: datetime | None,
    ) -> None:
        with self._ctx.transaction(now) as tx:
            if key is not None and _replayed(tx, tenant, payment_id, amount, key):
                return  # this key refunded this payment once already
            payment = tx.payments.get(tenant, payment_id)
            if amount.currency != payment.currency:  # whatever its status: 5 USD is no EUR
                raise CurrencyMismatch(
                    payment.currency, amount.currency, operation="refund a payment in"
                )
            if payment.status not in (PAID, PARTIALLY_REFUNDED) or amount > payment.refundable:
                raise RefundExceedsPayment(
                    payment.id,
                    paid=payment.received.amount,
                    refunded=payment.refunded + payment.refund_due,
                    asked=amount.rounded().amount,  # in the currency's minor units, as paid
                    currency=payment.currency,
                )
            if key is not None:
                # Before the refund: of two requests racing with one key, the second waits
                # on the receipt's primary key and fails as a duplicate, before the payment.
                tx.repository(PAYMENT_EVENTS).add(
                    ReceivedEvent(
                        id=_receipt_id(key),
                        tenant=tenant,
                        payment_id=payment_id,
                        type="refund",
                        outcome=str(amount.rounded()),
                        received_at=tx.now,
                    )
                )
            give_back(tx, payment, amount.rounded(), actor=actor, reason=reason)

    @retried
    def retry_refund(
        self,
        tenant: str,
        payment_id: str,
        *,
        actor: str | None,
        now: datetime | None = None,
    ) -> Payment:
        """Send again a refund the provider answered failed; return the payment after the call.

        The provider's ``"failed"`` answer gave nothing back: the refund stays
        due (``refund_due``), its reason in ``failure``, and is not sent again
        on its own (its key would only be answered "failed" again), but
        reported by every :meth:`run_due`. Once the cause is mended (the
        customer's new card, the account's balance), this sends it in a fresh
        call under a fresh key. Raises ``InvalidValue`` for a payment with no
        such refund, ``PaymentNotFound``; nothing is written then.
        """
        check_tenant(tenant)
        check_id(payment_id, "payment_id")
        check_actor(actor)
        with self._ctx.transaction(now) as tx:
            payment = tx.payments.get(tenant, payment_id)
            if not refund_failed(payment):
                raise InvalidValue(
                    f"payment {shown(payment_id)} has no refund the provider answered failed",
                    value=payment_id,
                    expected="a payment whose refund call the provider answered failed",
                )
            retried = attrs.evolve(payment, failure=None)
            store_payment(tx, payment, retried, None, actor=actor, reason="refund retried")
        with self._ctx.transaction() as tx:  # as it stands after the provider's answer
            return tx.payments.get(tenant, payment_id)

    @retried
    def mark_paid(
        self,
        tenant: str,
        payment_ids: Iterable[str],
        *,
        actor: str | None,
        now: datetime | None = None,
    ) -> list[Payment]:
        """Record manual payments as paid (cash, invoice), all or none; return them in order.

        Each booking is confirmed as a provider's success would. A manual
        payment PAID already is returned as it is, nothing written or
        published for it: the same call sent again (its first answer lost)
        answers as the first did. Raises ``PaymentNotFound``,
        ``InvalidValue`` (a payment that is not manual) or
        ``TransitionRefused`` (a manual payment past being paid: refunded
        since it was, or cancelled, its hold run out; or one of a WAITLISTED
        booking, not yet offered a seat) and changes nothing then.
        """
        check_tenant(tenant)
        check_actor(actor)
        ids = check_ids(payment_ids, "payment_ids", most=MAX_LIMIT)
        ctx = self._ctx
        with ctx.transaction(now) as tx:
            found = {p.id: p for p in tx.payments.get_many(tenant, ids)}
            for payment_id in ids:
                if payment_id not in found:
                    raise PaymentNotFound(payment_id, tenant)
            marking = [found[i] for i in ids if _to_mark(found[i])]
            bookings = {p.booking_id: tx.bookings.get(tenant, p.booking_id) for p in marking}
            for session_id in sorted({b.session_id for b in bookings.values()}):
                # Settled first, as every write to a session is: a hold that ran out is
                # expired (its payment cancelled) and its seat offered to the waitlist,
                # whether or not the expiry job ran.
                settle(ctx, tx, tx.bookings.lock_session(tenant, session_id), actor=actor)
            # Read again under the locks: a cancel or an expiry that committed while this
            # waited (or the settling) made the payment CANCELLED, and succeed() would take
            # this as late money and refund it all.
            locked = [tx.payments.get(tenant, i) for i in ids]
            for payment in locked:
                if _to_mark(payment):  # else marked paid meanwhile: succeed() returns it
                    _check_in_play(tx.bookings.get(tenant, payment.booking_id), payment, tx.now)
            return [succeed(ctx, tx, payment, actor=actor) for payment in locked]


def _to_mark(payment: Payment) -> bool:
    """Whether ``mark_paid`` marks ``payment`` (a pending manual one) or returns it (PAID).

    Raises ``InvalidValue`` for a payment that is not manual (a provider's
    success marks it paid), ``TransitionRefused`` for a manual one past being
    paid: refunded in part or all since it was, or cancelled.
    """
    if payment.provider != MANUAL:
        raise InvalidValue(
            f"payment {shown(payment.id)} is a {payment.status} {payment.provider} "
            "payment; only pending manual ones are marked paid",
            value=payment.id,
            expected="a PENDING manual payment",
        )
    if payment.status in OPEN_PAYMENT_STATUSES:
        return True
    if payment.status == PAID:
        return False
    if payment.status in PAID_STATUSES:
        raise _past_paying(payment, payment.status, "it was paid, and refunded since")
    raise _past_paying(payment, payment.status, "its booking was released before it was paid")


def _past_paying(payment: Payment, status: str, why: str) -> TransitionRefused:
    """The refusal of ``mark_paid`` for manual ``payment``, judged ``status``, for ``why``."""
    return TransitionRefused(
        session_id=payment.id,
        status=status,
        transition="succeed",
        reason=f"{why}; only pending manual payments are marked paid",
        subject="payment",
    )


def _check_in_play(booking: Booking, payment: Payment, now: datetime) -> None:
    """Refuse a manual payment whose booking has no seat to pay for, or ran out.

    Both are states, not bad input: ``TransitionRefused``. A WAITLISTED
    booking waits for a seat: marked paid, its money was taken and at once
    given back as late, and the booking could be confirmed later with nothing
    kept. The same call succeeds once it is offered. The expiry job cancels
    the payment of a hold that ran out; until it runs, the payment is
    cancelled as every read judges it, and is no more markable than after (as
    for a CANCELLED one).
    """
    if booking.status == WAITLISTED:
        raise TransitionRefused(
            session_id=payment.id,
            status=payment.status,
            transition="succeed",
            reason=f"its booking {shown(booking.id)} is WAITLISTED: it has no seat to pay for "
            "yet; mark it paid once it is offered",
            subject="payment",
        )
    if booking.expired_at(now):
        raise _past_paying(
            payment,
            CANCELLED,
            f"its booking {shown(booking.id)} ran out at {shown(booking.runs_out_at)} before "
            "it was paid",
        )


_REFUND_RECEIPT = f"{REFUND_RECEIPTS}:"
"""The receipts of refund keys share the provider events' store (``PAYMENT_EVENTS``) under
this prefix, where a provider event's receipt is ``provider:event_id``; no provider may be
called so (:func:`~sessionkit.model.payment.check_provider_name`)."""


def _receipt_id(key: str) -> str:
    """Return the id of refund key ``key``'s receipt: a digest, since keys outgrow ids."""
    return _REFUND_RECEIPT + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _replayed(tx: Tx, tenant: str, payment_id: str, amount: Money, key: str) -> bool:
    """Whether refund key ``key`` refunded ``amount`` of the payment already.

    Raises ``RefundKeyReused`` when its receipt names another payment or amount.
    """
    found = tx.repository(PAYMENT_EVENTS).get_many(tenant, [_receipt_id(key)])
    if not found:
        return False
    first, asked = found[0], amount.rounded()
    if (first.payment_id, first.outcome) != (payment_id, str(asked)):
        first_amount, _, first_currency = first.outcome.partition(" ")  # as str(Money) wrote it
        raise RefundKeyReused(
            key,
            payment_id=payment_id,
            amount=asked.amount,
            currency=asked.currency,
            first_payment_id=first.payment_id,
            first_amount=Decimal(first_amount),
            first_currency=first_currency,
        )
    return True
