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

This module owns the runs: :class:`DueCalls` (which calls are due, the wait
after a failure) and :class:`DueReport`. Making one call and storing its
answer (:func:`perform`, :func:`create_intent`, :func:`record_intent`,
:func:`refund_failed`, :func:`gateway_of`) is
:mod:`sessionkit.services._payment_perform`'s, exported here as well.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

from sessionkit.errors import (
    ConcurrentModification,
    PaymentDeclined,
    SessionKitError,
    WrongType,
)
from sessionkit.model.html import html_of
from sessionkit.model.payment import Payment
from sessionkit.model.query import MAX_LIMIT
from sessionkit.model.text import check_tenant
from sessionkit.policies.retries import PaymentRetries
from sessionkit.services._context import Context, Tx, mark, raise_late, raised_after_commit
from sessionkit.services._context_retry import note
from sessionkit.services._payment_perform import (
    create_intent,
    gateway_of,
    perform,
    record_intent,
    refund_failed,
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
    the next run may try them at once. ``stopped`` says the run's
    ``should_stop`` stopped it before a call still due (the calls not made
    stay due). ``more`` says to run again: a full batch was read, or the run
    was stopped, and a call of it was done (``done`` above 0: a run that did
    none, as one whose every call failed, would meet the same again, so a loop
    ``while report.more`` ends).
    """

    _repr_html_ = html_of

    done: int = 0
    failed: tuple[tuple[str, str, SessionKitError], ...] = ()
    more: bool = False
    unscheduled: tuple[tuple[str, str, SessionKitError], ...] = ()
    stopped: bool = False


class DueCalls:
    """The due provider calls of :class:`~sessionkit.services.payments.PaymentCommands`."""

    _ctx: Context
    _retries: PaymentRetries

    def run_due(
        self,
        tenant: str | None = None,
        *,
        limit: int = 100,
        now: datetime | None = None,
        should_stop: Callable[[], bool] | None = None,
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

        ``should_stop`` (a callable taking nothing, returning a bool) is asked
        before each call, never inside a unit of work (nor before a refund
        the provider answered failed: it is only reported), as the tick's is:
        once it returns ``True`` the run makes no other call (nor reports such
        a refund after it), and its report has ``stopped`` set (the calls not
        made are still due), and ``more`` if a call of it was done; the calls made
        are stored and counted. It is not asked when no call is left, nor
        again once it said stop. One that raises, or answers anything but a
        bool (``WrongType`` naming ``should_stop()``), stops the run too, and
        its error is raised as a handler's above, the report with it.
        """
        if tenant is not None:
            check_tenant(tenant)
        limit = check_batch(limit, "limit", MAX_LIMIT)
        if should_stop is not None and not callable(should_stop):
            raise WrongType(
                should_stop,
                name="should_stop",
                expected="a callable taking nothing, returning a bool",
            )
        with self._ctx.transaction(now) as tx:
            due, calls = _due_calls(tx, tenant, limit)
        done = 0
        failed: list[tuple[str, str, SessionKitError]] = []
        unscheduled: list[tuple[str, str, SessionKitError]] = []
        late: list[Exception] = []
        stopped = False
        for payment in due:
            if should_stop is not None and not refund_failed(payment):
                stopped = _stopping(should_stop, late)
                if stopped:
                    break  # the calls not made stay due
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
            more=(stopped or calls >= limit) and done > 0,
            unscheduled=tuple(unscheduled),
            stopped=stopped,
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


def _stopping(should_stop: Callable[[], bool], late: list[Exception]) -> bool:
    """Whether ``should_stop`` says stop; its error, or an answer not a bool, stops too.

    Such an error joins ``late``, raised once the run is over with its report,
    as :meth:`TickRun.stopping <sessionkit.services._tick_run.TickRun.stopping>`
    does: a deadline that cannot be read is no reason to make more calls.
    """
    try:
        answer: object = should_stop()
        if not isinstance(answer, bool):
            raise WrongType(answer, name="should_stop()", expected="True or False")
    except Exception as error:  # noqa: BLE001  # raised by run_due, the report with it
        # note(), not add_note: a frozen error class refuses __notes__, and the refusal
        # would escape in its stead, the report of the calls made lost with it.
        note(error, "raised by run_due's should_stop, which stopped the run")
        late.append(error)
        return True
    return answer


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
