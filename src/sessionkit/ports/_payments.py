"""Payments: the provider port (:class:`PaymentGateway`), and the payment kinds and repository.

The gateway is the only vendor code sessionkit calls for money; an app wraps
its provider's SDK (Stripe, Adyen, ...) in a small class with these four
methods. sessionkit derives every idempotency key from the payment and the
operation (:meth:`~sessionkit.model.payment.Payment.gateway_key`) and never
calls the gateway inside a unit of work. ``sessionkit.testing.payments``
ships a fake that can decline, delay, duplicate and reorder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal, Protocol

import attrs

from sessionkit.errors import DuplicatePayment, PaymentNotFound
from sessionkit.model.money import Money
from sessionkit.model.payment import Payment, ReceivedEvent
from sessionkit.model.session import ResourceRef
from sessionkit.ports._bookings import BOOKINGS
from sessionkit.ports._storage import Kind, Repository, UniqueKey

IntentStatus = Literal["pending", "authorized", "succeeded", "failed", "canceled"]
"""Where a payment intent stands at the provider."""


@attrs.frozen(kw_only=True)
class Intent:
    """The provider's answer about a payment intent.

    ``ref`` is its reference, ``status`` where it stands, ``client_secret``
    what a browser needs to complete it (if the provider has one), ``reason``
    the provider's word for a decline.
    """

    ref: str
    status: IntentStatus
    client_secret: str | None = None
    reason: str | None = None


@attrs.frozen(kw_only=True)
class RefundReceipt:
    """The provider's answer to a refund: its reference and whether it already went through."""

    ref: str
    status: Literal["pending", "succeeded", "failed"]


class PaymentGateway(Protocol):
    """A payment provider. Transient failures raise ``PaymentGatewayError`` (safe to retry).

    Every method takes the idempotency key sessionkit derived: the same key
    twice must return the first call's result and charge or refund nothing
    more. A declined payment is an answer (``Intent.status == "failed"``),
    not an exception.
    """

    @property
    def name(self) -> str:
        """The provider's name, stored on each payment (``"stripe"``)."""
        ...

    def create_intent(
        self, *, amount: Money, idempotency_key: str, metadata: Mapping[str, str]
    ) -> Intent:
        """Create (or, for a known key, return) an intent to collect ``amount``; return it.

        ``metadata`` carries sessionkit's ``payment_id``, ``booking_id`` and
        ``tenant``; the provider echoes it in its events.
        """
        ...

    def capture(self, intent_ref: str, *, idempotency_key: str) -> Intent:
        """Capture an authorized intent; return it."""
        ...

    def cancel(self, intent_ref: str, *, idempotency_key: str) -> Intent:
        """Cancel an intent that has not succeeded; return it (a succeeded one stays so)."""
        ...

    def refund(self, intent_ref: str, amount: Money, *, idempotency_key: str) -> RefundReceipt:
        """Give ``amount`` of a succeeded intent back; return the receipt.

        A ``"failed"`` receipt is no refund: nothing is counted as given back,
        and the call stays due under its key (``run_due`` reports it) until a
        ``refunded`` event of a refund made at the provider settles it.
        """
        ...


class PaymentRepository(Repository[Payment], Protocol):
    """Payments of all tenants: the generic methods plus the reads the payment commands need."""

    def for_booking(self, tenant: str, booking_id: str) -> Payment | None:
        """Return the booking's payment, or ``None``."""
        ...

    def by_intent(self, tenant: str, provider: str, intent_ref: str) -> Payment | None:
        """Return the payment the provider knows as ``intent_ref``, or ``None``."""
        ...

    def for_bookings(self, tenant: str, booking_ids: Iterable[str]) -> dict[str, Payment]:
        """Return the payments of those bookings that have one, by booking id."""
        ...

    def with_due(
        self, tenant: str | None, *, limit: int, now: datetime | None = None
    ) -> list[Payment]:
        """Return payments with a provider call due, by ``due_at`` (``None``: all tenants).

        Oldest first, then by tenant and id; with ``now``, none whose ``due_at``
        (a failed call's retry time) is after it.
        """
        ...

    def query(
        self,
        tenant: str,
        *,
        statuses: Iterable[str] | None = None,
        participant: ResourceRef | None = None,
        session_ids: Iterable[str] | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> list[Payment]:
        """Return the tenant's payments matching every filter given, by session start then id.

        ``start_from`` / ``start_to`` bound the session's start (``[from,
        to)``); ``after`` is a keyset cursor ``(session_start, id)``.
        """
        ...


def _duplicate_payment(
    record: Payment, key: UniqueKey | None, existing: object
) -> DuplicatePayment:
    owner = getattr(existing, "id", None)
    if key is None:
        message = f"payment {record.id!r} already exists for tenant {record.tenant!r}"
    elif key.name == "booking":
        message = f"booking {record.booking_id!r} already has payment {owner!r}"
    else:
        message = f"{record.provider} intent {record.intent_ref!r} is already payment {owner!r}"
    return DuplicatePayment(
        message,
        kind="payment",
        record_id=record.id,
        tenant=record.tenant,
        key="id" if key is None else key.name,
        existing=existing,
    )


PAYMENTS: Kind[PaymentRepository] = Kind(
    "payment",
    Payment,
    unique=(
        UniqueKey("booking", ("booking_id",)),
        UniqueKey("intent", ("provider", "intent_ref")),
    ),
    not_found=lambda _kind, record_id, tenant: PaymentNotFound(record_id, tenant),
    duplicate=lambda _kind, record, key, existing: _duplicate_payment(record, key, existing),
    parents={"booking_id": BOOKINGS},
)
"""Payments: one per booking, unique per tenant by id, booking and provider reference."""

PAYMENT_EVENTS: Kind[Repository[ReceivedEvent]] = Kind("payment_event", ReceivedEvent)
"""Receipts of applied provider events, by ``provider:event_id``: each is applied once."""
