"""The provider's events: apply each once, in any order, and keep a receipt of it.

Private to the services. An event's payment is found by the payment id its
intent carries (else by the intent) and moved on with the booking's session
locked; the event's receipt (``provider:event_id``, in ``PAYMENT_EVENTS``) is
stored in the same unit of work, so a repeat changes nothing. An event for no
payment here leaves no receipt: its payment may be recorded later (the
provider's webhook outran the kit storing the intent's reference), and a
redelivery of it is then applied.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

import attrs

from sessionkit.errors import Duplicate, InvalidValue, WrongType
from sessionkit.model.payment import PAID_STATUSES, Payment, PaymentEvent, ReceivedEvent
from sessionkit.model.text import check_tenant
from sessionkit.ports import PAYMENT_EVENTS
from sessionkit.services._context import Context, Tx, retried
from sessionkit.services._money import refunded_to, store_payment
from sessionkit.services._payment_answers import authorized, fail, succeed

__all__ = ["Applied", "ProviderEvents"]


@attrs.frozen(kw_only=True)
class Applied:
    """What applying one provider event did.

    ``outcome``: ``"applied"``, ``"duplicate"`` (applied or found stale
    before; nothing changed), ``"stale"`` (the payment had moved past it),
    ``"unknown"`` (no such payment here, yet: nothing is stored, so the same
    event delivered again once its payment exists is applied).
    """

    outcome: Literal["applied", "duplicate", "stale", "unknown"]
    payment: Payment | None = None


class ProviderEvents:
    """The provider events of :class:`~sessionkit.services.payments.PaymentCommands`."""

    _ctx: Context

    @retried
    def apply(self, tenant: str, event: PaymentEvent, *, now: datetime | None = None) -> Applied:
        """Apply one provider event (verified by the app), once; return what it did.

        Deduplicated by the provider's event id (a receipt is stored with the
        effect, in one unit of work; none for an ``"unknown"`` event, which a
        redelivery weighs again) and tolerant of order: an event the
        payment has moved past is ``"stale"`` and changes nothing; a refund
        heard before the success counts both. ``"succeeded"`` confirms the
        booking while it holds, else refunds the money at once. Run again,
        reading the payment afresh, when a concurrent writer moved it on meanwhile
        (``run_due`` counting a failed call on it, say).
        """
        check_tenant(tenant)
        if not isinstance(event, PaymentEvent):
            raise WrongType(event, name="event", expected="a PaymentEvent")
        try:
            return self._apply(tenant, event, now)
        except Duplicate as taken:
            if taken.kind != PAYMENT_EVENTS.name:
                raise
            return Applied(outcome="duplicate")  # the same event, applied at the same time

    def _apply(self, tenant: str, event: PaymentEvent, now: datetime | None) -> Applied:
        ctx = self._ctx
        with ctx.transaction(now) as tx:
            seen = tx.repository(PAYMENT_EVENTS).get_many(tenant, [event.key])
            if seen and seen[0].outcome != _UNKNOWN:
                return Applied(outcome="duplicate")
            payment = self._find(tx, tenant, event)
            if payment is None:
                # No receipt: the provider's webhook may have outrun the kit storing the
                # intent's reference, and its redelivery must be applied then, not ignored.
                return Applied(outcome="unknown")
            booking = tx.bookings.get(tenant, payment.booking_id)
            tx.bookings.lock_session(tenant, booking.session_id)  # sessions before payments
            payment = tx.payments.get(tenant, payment.id)
            if payment.intent_ref is None and event.intent_ref is not None:
                payment = store_payment(
                    tx,
                    payment,
                    attrs.evolve(
                        payment,
                        intent_ref=event.intent_ref,
                        due=None if payment.due == "create" else payment.due,
                    ),
                    None,
                    actor=None,
                )
            after = self._react(tx, payment, event)
            outcome: Literal["applied", "stale"] = "stale" if after is payment else "applied"
            self._receipt(tx, tenant, event, payment.id, outcome, seen[0] if seen else None)
        return Applied(outcome=outcome, payment=after)

    def _react(self, tx: Tx, payment: Payment, event: PaymentEvent) -> Payment:
        ctx, reason = self._ctx, event.reason
        if event.type == "succeeded":
            return succeed(ctx, tx, payment, actor=None, paid_at=event.occurred_at)
        if event.type == "failed":
            return fail(ctx, tx, payment, "fail", actor=None, reason=reason or "declined")
        if event.type == "canceled":
            return fail(ctx, tx, payment, "cancel", actor=None, reason=reason or "canceled")
        if event.type == "authorized":
            return authorized(tx, payment, actor=None)
        total = payment.amount.amount if event.amount is None else event.amount.amount
        if event.amount is not None and event.amount.currency != payment.currency:
            raise InvalidValue(
                f"a refund event in {event.amount.currency} for a {payment.currency} payment",
                value=event.amount,
                expected=payment.currency,
            )
        if payment.status not in PAID_STATUSES:
            payment = succeed(ctx, tx, payment, actor=None)  # refunded: it must have been paid
        moved, change = refunded_to(payment, total, tx, actor=None)
        sending = payment.refund_sending
        if sending and total >= payment.refunded + sending:
            # The provider's total covers the refund call under way (its webhook outran its
            # answer): count that call now, so its runner finds it recorded, not adds it again.
            moved = attrs.evolve(moved, refunds=payment.refunds + 1, refund_sending=Decimal(0))
        elif sending and total + sending > payment.amount.amount:
            # A refund made elsewhere (the provider's dashboard) leaves less than the claimed
            # call to give back, and the provider's total only grows: that call was never
            # made and never can be. Give it up with its key; what is still due goes in a
            # fresh call (every retry of the old one was refused, for good).
            moved = attrs.evolve(moved, refunds=payment.refunds + 1, refund_sending=Decimal(0))
        if moved is payment:
            return payment
        return store_payment(tx, payment, moved, change, actor=None, reason="refunded")

    @staticmethod
    def _find(tx: Tx, tenant: str, event: PaymentEvent) -> Payment | None:
        """The event's payment: by the id its intent carries, else by the intent.

        Only a payment of the event's provider: another provider's payment,
        or a manual one (marked paid by ``mark_paid`` alone), is not this
        event's, whatever id the event names.
        """
        if event.payment_id is not None:
            found = tx.payments.get_many(tenant, [event.payment_id])
            if found and found[0].provider == event.provider:
                return found[0]
        if event.intent_ref is not None:
            return tx.payments.by_intent(tenant, event.provider, event.intent_ref)
        return None

    @staticmethod
    def _receipt(
        tx: Tx,
        tenant: str,
        event: PaymentEvent,
        payment_id: str,
        outcome: str,
        unknown: ReceivedEvent | None,
    ) -> None:
        """Store the event's receipt, in place of the ``unknown`` one an earlier version stored."""
        receipt = ReceivedEvent(
            id=event.key,
            tenant=tenant,
            payment_id=payment_id,
            type=event.type,
            outcome=outcome,
            received_at=tx.now,
        )
        receipts = tx.repository(PAYMENT_EVENTS)
        if unknown is None:
            receipts.add(receipt)
        else:  # a redelivery racing this one to replace it fails on the version, and retries
            version = unknown.version
            receipts.update(attrs.evolve(receipt, version=version), expected_version=version)


_UNKNOWN = "unknown"
"""The outcome of the receipts earlier versions stored for an event of no payment here.

Such a receipt no longer marks its event seen: a redelivery is weighed again.
"""
