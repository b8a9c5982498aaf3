"""Payment commands: book and pay, apply the provider's events, refunds, due provider calls.

A paid booking is HELD until its payment succeeds; success confirms it,
failure or the hold's expiry releases the seats and cancels the provider's
intent, and money that comes in for a booking already released is refunded
at once. Provider calls are made outside every unit of work, with
idempotency keys derived from the payment and the operation; what a command
decided and the provider has not confirmed is recorded on the payment
(``due``), made once the unit commits and, if the provider fails then, by
:meth:`PaymentCommands.run_due`, which waits :data:`RETRY_FIRST` after a call
it tried failed, doubling up to :data:`RETRY_MAX` (the kit's
:class:`~sessionkit.policies.retries.PaymentRetries` change both).

The commands live in private modules by concern and come together here:
paid bookings in ``_payment_checkouts``, the provider's events in
``_payment_events``, refunds and manual payments in ``_payment_refunds``,
the due provider calls in ``_payment_calls``, and what the provider's
answers do inside a unit of work in ``_payment_answers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from sessionkit.model.booking import participant_ref
from sessionkit.model.payment import PAYMENT_LIFECYCLE, Payment
from sessionkit.model.query import MAX_LIMIT, check_window_order
from sessionkit.model.session import ResourceRef
from sessionkit.model.text import check_id, check_ids, check_tenant
from sessionkit.policies.retries import PaymentRetries
from sessionkit.services._context import Context
from sessionkit.services._payment_calls import (
    DUE_REPORT_ATTRIBUTE,
    RETRY_FIRST,
    RETRY_MAX,
    DueCalls,
    DueReport,
)
from sessionkit.services._payment_checkouts import Checkout, CheckoutCommands
from sessionkit.services._payment_events import Applied, ProviderEvents
from sessionkit.services._payment_refunds import RefundCommands
from sessionkit.services.booking_queries import continuation, known_statuses
from sessionkit.services.bookings import BookingCommands, check_batch
from sessionkit.zones import check_instant

__all__ = [
    "DUE_REPORT_ATTRIBUTE",
    "RETRY_FIRST",
    "RETRY_MAX",
    "Applied",
    "Checkout",
    "DueReport",
    "PaymentCommands",
]


class PaymentCommands(CheckoutCommands, ProviderEvents, RefundCommands, DueCalls):
    """Paid bookings, provider events, refunds and reads of payments (``kit.payments``)."""

    def __init__(
        self, ctx: Context, bookings: BookingCommands, retries: PaymentRetries | None = None
    ) -> None:
        self._ctx = ctx
        self._bookings = bookings
        self._retries = PaymentRetries() if retries is None else retries
        ctx.after_commit.append(self._after_commit)

    # -- reads ----------------------------------------------------------------------

    def get(self, tenant: str, payment_id: str) -> Payment:
        """Return the payment; ``PaymentNotFound`` otherwise."""
        check_tenant(tenant)
        check_id(payment_id, "payment_id")
        with self._ctx.transaction() as tx:
            return tx.payments.get(tenant, payment_id)

    def for_booking(self, tenant: str, booking_id: str) -> Payment | None:
        """Return the booking's payment, or ``None`` for a booking without one."""
        check_tenant(tenant)
        check_id(booking_id, "booking_id")
        with self._ctx.transaction() as tx:
            return tx.payments.for_booking(tenant, booking_id)

    def list(
        self,
        tenant: str,
        *,
        statuses: Iterable[str] | None = None,
        participant: ResourceRef | str | None = None,
        session_ids: Iterable[str] | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> list[Payment]:
        """Return the tenant's payments by session start then id, filtered at the database.

        ``after=(last.session_start, last.id)`` continues a page. A status no
        payment can have (``"pending"``, a typo) is an ``InvalidValue``, not a
        filter that quietly matches nothing; so is a ``start_to`` before
        ``start_from`` (``InvalidWindow``).
        """
        check_tenant(tenant)
        ref = None if participant is None else participant_ref(participant)
        wanted = (
            None
            if statuses is None
            else list(known_statuses(statuses, _PAYMENT_STATUSES, "payment"))
        )
        ids = (
            None
            if session_ids is None
            else sorted(check_ids(session_ids, "session_ids", most=MAX_LIMIT))
        )
        lo = None if start_from is None else check_instant(start_from, "start_from")
        hi = None if start_to is None else check_instant(start_to, "start_to")
        check_window_order(lo, hi)  # swapped, it would match nothing and say nothing
        position = None if after is None else continuation(after)
        limit = check_batch(limit, "limit", MAX_LIMIT)
        with self._ctx.transaction() as tx:
            return tx.payments.query(
                tenant,
                statuses=wanted,
                participant=ref,
                session_ids=ids,
                start_from=lo,
                start_to=hi,
                after=position,
                limit=limit,
            )

    def each(
        self,
        tenant: str,
        *,
        statuses: Iterable[str] | None = None,
        participant: ResourceRef | str | None = None,
        session_ids: Iterable[str] | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        after: tuple[datetime, str] | None = None,
    ) -> Iterator[Payment]:
        """Yield every payment :meth:`list` would page through, by session start then id.

        For a loop that wants them all (a report of money in): pages of
        ``MAX_LIMIT`` (1,000) are read one after another, from ``after`` or the
        start. The filters are :meth:`list`'s, checked and the first page read
        at the call; each page is read in a unit of work of its own.
        """
        # An iterator read once, for every page (the first page would spend it); anything
        # else is left to list() to check, as it checks it.
        wanted = _once(statuses)
        ids = _once(session_ids)

        def page(position: tuple[datetime, str] | None) -> list[Payment]:
            return self.list(
                tenant,
                statuses=wanted,
                participant=participant,
                session_ids=ids,
                start_from=start_from,
                start_to=start_to,
                after=position,
                limit=MAX_LIMIT,
            )

        def pages(found: list[Payment]) -> Iterator[Payment]:
            while True:
                yield from found
                if len(found) < MAX_LIMIT:
                    return
                found = page((found[-1].session_start, found[-1].id))

        return pages(page(after))


def _once(values: Iterable[str] | None) -> Iterable[str] | None:
    """An iterator's values as a list; anything else as it is."""
    return list(values) if isinstance(values, Iterator) else values


_PAYMENT_STATUSES = frozenset(str(s.name) for s in PAYMENT_LIFECYCLE.statuses)
