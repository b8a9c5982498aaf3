"""Making one provider call a payment has due, and storing what the provider answered.

Private to the services. :func:`perform` makes the call a payment has due (an
intent, a capture, a cancel or a refund) outside every unit of work, under the
idempotency key derived from the payment and the operation, and stores the
answer in a unit of work of its own; a refund's amount is claimed before it is
sent, so a call sent again carries the same amount under the same key. The
runs that pick the due calls and wait after failures are
:mod:`sessionkit.services._payment_calls`'s, which exports these names too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import attrs

from sessionkit.errors import (
    ConcurrentModification,
    InvalidValue,
    PaymentGatewayError,
    SessionKitError,
)
from sessionkit.errors._base import shown
from sessionkit.model.booking import Booking
from sessionkit.model.money import Money
from sessionkit.model.payment import AUTHORIZED, MANUAL, Payment
from sessionkit.ports import Intent, PaymentGateway
from sessionkit.services._context import Context
from sessionkit.services._money import refunded_to, store_payment
from sessionkit.services._payment_answers import (
    authorized,
    fail,
    over_before_capture,
    succeed,
    void_capture,
)

__all__ = ["create_intent", "gateway_of", "perform", "record_intent", "refund_failed"]

_CLAIM_TRIES = 5
"""How often a runner re-reads a payment whose refund claim another runner changed first."""


def perform(ctx: Context, tenant: str, payment_id: str) -> Payment:
    """Make the call the payment has due, if any, and store the answer; return the payment.

    A due capture of a booking whose session is over (a terminal status
    reached since the capture was decided) is not made: the booking ends and
    the authorization is cancelled instead (:func:`void_capture`).
    """
    with ctx.transaction() as tx:
        payment = tx.payments.get(tenant, payment_id)
        over = over_before_capture(ctx, tx, payment)
    if over:
        # Its session ended before the capture: no booking is confirmed into it, and
        # the authorization is released (cancelled) instead of captured and refunded.
        payment = void_capture(ctx, payment)
    if payment.due is None or payment.provider == MANUAL:
        return payment
    gateway = gateway_of(ctx)
    ref = payment.intent_ref
    if payment.due == "create" or ref is None:
        intent = create_intent(ctx, payment)
        stored, _ = record_intent(ctx, payment, intent)
        if stored.due is None or stored.due == "create":
            return stored
        payment, ref = stored, intent.ref
    if payment.due == "refund":
        if refund_failed(payment):
            # Sent again under its key, the call would only be answered "failed" again:
            # reported, not sent, until the host retries it (a fresh call, a fresh key).
            raise PaymentGatewayError(
                "refund",
                payment.id,
                detail=f"{payment.failure}; kit.payments.retry_refund sends it again",
            )
        claimed = _claim_refund(ctx, payment)
        if claimed.due != "refund" or not claimed.refund_sending:
            return claimed
        amount = Money.of(claimed.refund_sending, claimed.currency).rounded()
        key = claimed.gateway_key("refund", claimed.refunds + 1)
        with _provider("refund", claimed.id):
            receipt = gateway.refund(claimed.intent_ref or ref, amount, idempotency_key=key)
        if getattr(receipt, "status", None) == "failed":
            # No money went back: counted, the payment said REFUNDED while the provider
            # kept it all. Still due, and reported by each run, but not sent again.
            why = f"the provider answered refund {shown(receipt.ref)} failed"
            _refusal_recorded(ctx, claimed, why)
            raise PaymentGatewayError(
                "refund", claimed.id, detail=f"{why}; {amount} was not given back"
            )
        return _record_refund(ctx, claimed, amount)
    if payment.due == "capture":
        with _provider("capture", payment.id):
            intent = gateway.capture(ref, idempotency_key=payment.gateway_key("capture"))
    else:
        with _provider("cancel", payment.id):
            intent = gateway.cancel(ref, idempotency_key=payment.gateway_key("cancel"))
    return record_intent(ctx, payment, intent)[0]


@contextmanager
def _provider(operation: str, payment_id: str) -> Iterator[None]:
    """Raise any error of the provider's adapter that is not sessionkit's as PaymentGatewayError.

    The port asks adapters for ``PaymentGatewayError``; one that lets its
    SDK's own exception through would otherwise fail a command after it
    committed, and stop :meth:`DueCalls.run_due` at that payment. Each call
    carries its idempotency key, so the retry the error invites is safe. A
    ``PaymentGatewayError`` the adapter raised names the payment by its id
    here (an adapter knows only the key it was handed).
    """
    try:
        yield
    except PaymentGatewayError as error:
        if error.payment_id == payment_id:
            raise
        raise PaymentGatewayError(error.operation, payment_id, detail=error.detail) from error
    except SessionKitError:
        raise
    except Exception as error:  # the adapter's raw error, as the port's
        raise PaymentGatewayError(
            operation, payment_id, detail=f"{type(error).__name__}: {error}"
        ) from error


def create_intent(ctx: Context, payment: Payment) -> Intent:
    """Ask the provider for the payment's intent (under its derived key); return it."""
    gateway = gateway_of(ctx)
    with _provider("create_intent", payment.id):
        return gateway.create_intent(
            amount=payment.amount.rounded(),
            idempotency_key=payment.gateway_key("create"),
            metadata={
                "payment_id": payment.id,
                "booking_id": payment.booking_id,
                "tenant": payment.tenant,
            },
        )


def record_intent(ctx: Context, seen: Payment, intent: Intent) -> tuple[Payment, Booking]:
    """Store what the provider said of the payment's intent; return it and its booking.

    Run again, reading the payment afresh, when a concurrent writer moved it
    on meanwhile (a run counting a failed call on it): the provider's answer
    stands, and nothing is asked of the provider again.
    """
    return ctx.retrying(_record_intent, ctx, seen, intent)


def _record_intent(ctx: Context, seen: Payment, intent: Intent) -> tuple[Payment, Booking]:
    with ctx.transaction() as tx:
        booking = tx.bookings.get(seen.tenant, seen.booking_id)
        tx.bookings.lock_session(seen.tenant, booking.session_id)
        payment = tx.payments.get(seen.tenant, seen.id)
        # A capture sessionkit decided on an authorization in time, now done: the money
        # was secured then, however late the capture (see ``succeed``).
        capturing = payment.status == AUTHORIZED and payment.due == "capture"
        if payment.intent_ref is None:
            due = None if payment.due == "create" else payment.due
            payment = store_payment(
                tx,
                payment,
                attrs.evolve(payment, intent_ref=intent.ref, due=due),
                None,
                actor=None,
            )
        elif payment.due in ("capture", "cancel") and payment.due == _done_by(intent):
            payment = store_payment(tx, payment, attrs.evolve(payment, due=None), None, actor=None)
        if intent.status == "succeeded":
            payment = succeed(ctx, tx, payment, actor=None, capturing=capturing)
        elif intent.status == "failed":
            payment = fail(ctx, tx, payment, "fail", actor=None, reason=intent.reason)
        elif intent.status == "canceled":
            payment = fail(ctx, tx, payment, "cancel", actor=None, reason="canceled")
        elif intent.status == "authorized":
            payment = authorized(tx, payment, actor=None)
        booking = tx.bookings.get(seen.tenant, seen.booking_id)
    return payment, booking


def _claim_refund(ctx: Context, seen: Payment) -> Payment:
    """Fix the amount of refund call ``refunds + 1`` before it is made; return the payment.

    The claim (``refund_sending``) is written in a unit of work of its own
    and committed before the provider is asked. A claim already there (a
    crashed run's, a racing runner's) is kept, so the call is sent again
    with the same amount under the same key; a refund decided meanwhile
    waits in ``refund_due`` for the next call. Of runners claiming at once
    one writes; the others read its claim.
    """
    conflict: ConcurrentModification | None = None
    for _ in range(_CLAIM_TRIES):
        with ctx.transaction() as tx:
            payment = tx.payments.get(seen.tenant, seen.id)
            if payment.due != "refund" or payment.refund_sending or not payment.refund_due:
                return payment
            # Not store_payment: a claim is bookkeeping (no event, no call queued), and
            # updated_at stays the decision's, which is what run_due orders by.
            claim = attrs.evolve(payment, refund_sending=payment.refund_due)
            try:
                return tx.payments.update(claim, expected_version=payment.version)
            except ConcurrentModification as error:
                conflict = error
    assert conflict is not None
    raise conflict


def _record_refund(ctx: Context, claimed: Payment, amount: Money) -> Payment:
    """Record refund call ``claimed.refunds + 1`` as done (``amount`` went back); return it.

    Run again when a concurrent writer moved the payment on meanwhile, as
    :func:`record_intent` is.
    """
    return ctx.retrying(_refund_recorded, ctx, claimed, amount)


def _refund_recorded(ctx: Context, claimed: Payment, amount: Money) -> Payment:
    with ctx.transaction() as tx:
        payment = tx.payments.get(claimed.tenant, claimed.id)
        if payment.refunds != claimed.refunds:
            return payment  # recorded already: by a racing runner, or by the provider's event
        counted = attrs.evolve(payment, refunds=payment.refunds + 1, refund_sending=Decimal(0))
        moved, change = refunded_to(counted, payment.refunded + amount.amount, tx, actor=None)
        return store_payment(tx, payment, moved, change, actor=None, reason="refunded")


def refund_failed(payment: Payment) -> bool:
    """Whether the payment's refund is due after the provider answered its last call failed.

    Such a call is given up with its key (``refunds`` counts it) and its reason
    kept in ``failure``; nothing is sent until the host retries it
    (:meth:`~sessionkit.services.payments.PaymentCommands.retry_refund`), or
    decides another refund, or the provider reports the money given back.
    """
    return payment.due == "refund" and payment.failure is not None and not payment.refund_sending


def _refusal_recorded(ctx: Context, claimed: Payment, why: str) -> None:
    """Give up refund call ``claimed.refunds + 1``, which the provider answered failed.

    Run again when a concurrent writer moved the payment on meanwhile, as
    :func:`record_intent` is.
    """
    ctx.retrying(_refusal_stored, ctx, claimed, why)


def _refusal_stored(ctx: Context, claimed: Payment, why: str) -> None:
    with ctx.transaction() as tx:
        payment = tx.payments.get(claimed.tenant, claimed.id)
        if payment.refunds != claimed.refunds:
            return  # settled meanwhile: by a racing runner, or by the provider's event
        given_up = attrs.evolve(
            payment, refunds=payment.refunds + 1, refund_sending=Decimal(0), failure=why
        )
        store_payment(tx, payment, given_up, None, actor=None, reason="refund failed")


def gateway_of(ctx: Context) -> PaymentGateway:
    """Return the kit's payment gateway; ``InvalidValue`` for a kit without one."""
    gateway = ctx.gateway
    if gateway is None:
        raise InvalidValue(
            "this kit has no payment gateway: pass SessionKit(gateway=...), or manual=True",
            value=None,
            expected="a PaymentGateway",
        )
    return gateway


def _done_by(intent: Intent) -> str | None:
    return {"succeeded": "capture", "canceled": "cancel"}.get(intent.status)
