"""The provider calls a payment has due: intents, captures, cancels and refunds.

Private to the services. A command decides a call and records it on the
payment (``due``); the call itself is made here, outside every unit of work,
with an idempotency key derived from the payment and the operation, and what
the provider answered is stored in a unit of work of its own. A call that
fails stays due for :meth:`DueCalls.run_due`; a command's calls are made as
soon as its unit of work commits. A call a run tried and the provider failed
waits before the next try (the kit's
:class:`~sessionkit.policies.retries.PaymentRetries`; by default
:data:`RETRY_FIRST`, doubling up to :data:`RETRY_MAX`), so it never holds
back the calls behind it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from sessionkit.errors import (
    ConcurrentModification,
    InvalidValue,
    PaymentDeclined,
    PaymentGatewayError,
    SessionKitError,
)
from sessionkit.errors._base import shown
from sessionkit.model.booking import Booking
from sessionkit.model.html import html_of
from sessionkit.model.money import Money
from sessionkit.model.payment import AUTHORIZED, MANUAL, Payment
from sessionkit.model.query import MAX_LIMIT
from sessionkit.model.text import check_tenant
from sessionkit.policies.retries import PaymentRetries
from sessionkit.ports import Intent, PaymentGateway
from sessionkit.services._context import Context, Tx, mark, raise_late, raised_after_commit
from sessionkit.services._money import refunded_to, store_payment
from sessionkit.services._payment_answers import (
    authorized,
    fail,
    over_before_capture,
    succeed,
    void_capture,
)
from sessionkit.services.bookings import check_batch

__all__ = [
    "RETRY_FIRST",
    "RETRY_MAX",
    "DueCalls",
    "DueReport",
    "create_intent",
    "gateway_of",
    "perform",
    "record_intent",
    "refund_failed",
]

DUE_REPORT_ATTRIBUTE = "due_report"
"""The attribute of an error an event handler raised during :meth:`DueCalls.run_due`: its report."""

_CLAIM_TRIES = 5
"""How often a runner re-reads a payment whose refund claim another runner changed first."""

RETRY_FIRST: timedelta = PaymentRetries().first
"""How long a due call waits after :meth:`DueCalls.run_due` first failed at it (then doubled),
unless the kit's ``payment_retries`` say otherwise: 1 minute."""
RETRY_MAX: timedelta = PaymentRetries().most
"""The longest a failed due call waits for its next try, unless the kit's ``payment_retries``
say otherwise: 1 hour."""


@attrs.frozen(kw_only=True)
class DueReport:
    """What one run of :meth:`PaymentCommands.run_due` did: calls made, failed, and whether more.

    ``failed`` holds ``(tenant, payment_id, error)`` of each call that failed;
    ``unscheduled`` those of the failed calls whose wait for their next try
    could not be stored (the error is the store's, which every attempt met):
    the next run may try them at once.
    """

    _repr_html_ = html_of

    done: int = 0
    failed: tuple[tuple[str, str, SessionKitError], ...] = ()
    more: bool = False
    unscheduled: tuple[tuple[str, str, SessionKitError], ...] = ()


class DueCalls:
    """The due provider calls of :class:`~sessionkit.services.payments.PaymentCommands`."""

    _ctx: Context
    _retries: PaymentRetries

    def run_due(
        self, tenant: str | None = None, *, limit: int = 100, now: datetime | None = None
    ) -> DueReport:
        """Make the provider calls that are due (intents, captures, cancels, refunds); a report.

        Idempotent (every call carries its derived key) and batched: at most
        ``limit`` calls per run (run again while ``report.more``). A
        provider failure, or a runner that changed the payment first, is
        reported and the call left due. A call that failed (the provider's
        ``PaymentGatewayError``, or any other error but a racing runner's
        ``ConcurrentModification``) waits for a later run: 1 minute after its
        first failure, doubling with each failure in a row up to 1 hour, or as
        the kit's ``payment_retries`` say
        (:class:`~sessionkit.policies.retries.PaymentRetries`;
        ``payment.failed_calls`` and ``payment.retry_at``); till then runs
        leave it out, so failing calls never fill every batch.
        Any change of the payment (a success) clears the count. A refund the
        provider answered failed is reported by every run and takes no place
        among the ``limit``: it waits for ``retry_refund``. ``more`` says a full
        batch was read and some of it done: a run whose every call failed (the
        provider is down) says no more, so a loop ``while report.more`` ends.
        An error an event handler raises once a call's answer is stored does not
        stop the run: the other calls are made, then it is raised, with the
        run's report in its notes and as its ``due_report`` attribute
        (:data:`DUE_REPORT_ATTRIBUTE`), as the tick raises such an error.
        A failed call whose wait could not be stored (the store failed that
        write at every attempt) is in ``report.unscheduled`` too.
        """
        if tenant is not None:
            check_tenant(tenant)
        limit = check_batch(limit, "limit", MAX_LIMIT)
        with self._ctx.transaction(now) as tx:
            due, calls = _due_calls(tx, tenant, limit)
        done = 0
        failed: list[tuple[str, str, SessionKitError]] = []
        unscheduled: list[tuple[str, str, SessionKitError]] = []
        late: list[Exception] = []
        for payment in due:
            try:
                perform(self._ctx, payment.tenant, payment.id)
            except Exception as error:
                if raised_after_commit(error):
                    # Its answer stored, then an event handler raised: the call is done,
                    # and the other payments' calls are still made before it is raised.
                    late.append(error)
                elif isinstance(error, PaymentDeclined):
                    pass  # an answer, recorded: the call is done
                elif isinstance(error, SessionKitError):  # the provider failed, or a runner won
                    failed.append((payment.tenant, payment.id, error))
                    if not isinstance(error, ConcurrentModification):
                        lost = _back_off(self._ctx, self._retries, payment, tx.now)
                        if lost is not None:
                            unscheduled.append((payment.tenant, payment.id, lost))
                    continue
                else:
                    raise
            done += 1
        report = DueReport(
            done=done,
            failed=tuple(failed),
            more=calls >= limit and done > 0,
            unscheduled=tuple(unscheduled),
        )
        if late:
            mark(late[0], DUE_REPORT_ATTRIBUTE, report)  # any exception type, a frozen one too
        raise_late(late, "run_due", report, "payment's call")
        return report

    def _after_commit(self, calls: list[tuple[str, str]]) -> None:
        """Make the calls a committed command left due; a failure waits for :meth:`run_due`."""
        if self._ctx.gateway is None:
            return
        for tenant, payment_id in dict.fromkeys(calls):
            try:
                perform(self._ctx, tenant, payment_id)
            except SessionKitError:
                continue  # still due: the command committed, so it does not fail now


def _due_calls(tx: Tx, tenant: str | None, limit: int) -> tuple[list[Payment], int]:
    """Return the due payments up to the ``limit``-th call to make, oldest first; and the calls.

    A call waiting for its retry time (``retry_at`` after ``tx.now``) is left out.

    A refund the provider answered failed (:func:`refund_failed`) waits for the
    host and is only reported, so it takes no place in the batch: ``limit``
    of those, oldest first, stood before every other due call, and no run
    ever made those calls again.
    """
    want = limit
    while True:
        found = tx.payments.with_due(tenant, limit=want, now=tx.now)
        picked: list[Payment] = []
        calls = 0
        for payment in found:
            if calls == limit:
                return picked, calls
            picked.append(payment)
            calls += not refund_failed(payment)
        if calls == limit or len(found) < want:
            return picked, calls
        want *= 2  # reported refunds filled the page: read further


def _back_off(
    ctx: Context, retries: PaymentRetries, seen: Payment, run_at: datetime
) -> SessionKitError | None:
    """Count a failed try at the due call of ``seen`` and set when it may be tried again.

    Return ``None``, or the store's error when the count could not be written:
    the call then stays due as it was, to be tried at once by the next run.
    A write that lost a race (a deadlock, the payment moved on meanwhile) is
    run again, reading the payment afresh; it used to be dropped, and the
    next run tried the call again at once.

    The wait counts from the failure: the clock's instant, or the run's
    ``run_at`` if later (a run given a ``now`` ahead of the clock). Counted
    from the run's start, a batch of calls timing out outlasted the wait, and
    the next run tried them all again.

    Not a refund the provider answered failed (reported by every run, its
    ``retry_refund`` waited for). Nor a payment changed since the run read it but
    for the refund claim of the call itself: a racing runner that failed the
    call counted it already, and a change (a cancel, the provider's event)
    decided a call no run has tried, to be made at once.
    """
    if refund_failed(seen):
        return None  # as read by the run: no unit of work for each of them, every run
    try:
        ctx.retrying(_count_failure, ctx, retries, seen, run_at)
    except SessionKitError as error:  # storage is away, or lost every race
        return error
    return None


def _count_failure(ctx: Context, retries: PaymentRetries, seen: Payment, run_at: datetime) -> None:
    with ctx.transaction(max(run_at, ctx.now())) as tx:
        payment = tx.payments.get(seen.tenant, seen.id)
        if payment.due is None or refund_failed(payment):
            return
        as_read = attrs.evolve(payment, version=seen.version, refund_sending=seen.refund_sending)
        if as_read != seen:
            return  # a racing runner's or the provider's change came first
        wait = retries.wait(payment.failed_calls)
        # Not store_payment: bookkeeping (no event, no call queued), as a refund claim.
        waiting = attrs.evolve(
            payment, failed_calls=payment.failed_calls + 1, retry_at=tx.now + wait
        )
        tx.payments.update(waiting, expected_version=payment.version)


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
