"""Payments and payment event receipts in Django: rows, mapping and the payment reads.

Writes are the generic repository's: the unique constraints refuse a second
payment for a booking (``DuplicatePayment``, key ``"booking"``) and a
provider reference another payment holds (key ``"intent"``), the booking
link refuses a payment of a missing booking (``BookingNotFound``), and the
versioned ``UPDATE`` refuses a stale one. The reads are filtered, ordered
and limited by the database (ids and tenants by code point).

Amounts go through :class:`~sessionkit.contrib.django.fields.AmountField`
(exact everywhere) and read back without the column's padding: the
currency's places, or more when more were stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from sessionkit.contrib.django._repository import DjangoRepository
from sessionkit.contrib.django.fields import AMOUNT_SCALE, exact_amount
from sessionkit.contrib.django.models import PaymentEventRecord, PaymentRecord
from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown
from sessionkit.model.money import Money, minor_unit
from sessionkit.model.payment import Payment, ReceivedEvent
from sessionkit.model.session import ResourceRef

__all__ = [
    "DjangoPaymentEventRepository",
    "DjangoPaymentRepository",
    "payment_fields",
    "payment_from_record",
]


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _stored(payment: Payment, name: str, value: Decimal) -> Decimal:
    """Return ``value`` as the amount columns hold it; ``InvalidValue`` if they cannot exactly."""
    fixed = exact_amount(value)
    if fixed is None:
        raise InvalidValue(
            f"payment {shown(payment.id)}: {name} {value} {payment.currency} has more than "
            f"{AMOUNT_SCALE} decimal places, which the amount columns would round",
            value=value,
            expected=f"at most {AMOUNT_SCALE} decimal places",
        )
    return fixed


def _read(value: Decimal, currency: str) -> Decimal:
    """Return a stored amount without the column's padding: the currency's places, or more.

    ``60.000000`` EUR reads ``60.00``, ``0.125000`` EUR ``0.125``, ``1050.000000`` JPY ``1050``.
    """
    places = minor_unit(currency)
    trimmed = value.normalize()
    exponent = trimmed.as_tuple().exponent
    if isinstance(exponent, int) and exponent <= -places:
        return trimmed
    return value.quantize(Decimal(1).scaleb(-places))


def payment_fields(payment: Payment) -> dict[str, Any]:
    """Return the :class:`PaymentRecord` field values of ``payment`` (the booking row aside).

    Raises ``InvalidValue`` for an amount with more than six decimal places.
    """
    return {
        "tenant": payment.tenant,
        "record_id": payment.id,
        "booking_ref": payment.booking_id,
        "session_ref": payment.session_id,
        "participant": str(payment.participant),
        "session_start": payment.session_start,
        "amount": _stored(payment, "amount", payment.amount.amount),
        "currency": payment.currency,
        "provider": payment.provider,
        "status": payment.status,
        "intent_ref": payment.intent_ref,
        "refunded": _stored(payment, "refunded", payment.refunded),
        "refund_due": _stored(payment, "refund_due", payment.refund_due),
        "refund_sending": _stored(payment, "refund_sending", payment.refund_sending),
        "refunds": payment.refunds,
        "due": payment.due,
        "due_since": payment.due_at,
        "failure": payment.failure,
        "failed_calls": payment.failed_calls,
        "retry_at": payment.retry_at,
        "version": payment.version,
        "created_at": payment.created_at,
        "created_by": payment.created_by,
        "updated_at": payment.updated_at,
        "updated_by": payment.updated_by,
        "metadata": dict(payment.metadata),
    }


def payment_from_record(row: PaymentRecord) -> Payment:
    """Build the domain :class:`~sessionkit.model.payment.Payment` from its row."""
    currency = row.currency
    amounts: dict[str, Decimal] = {
        name: _read(getattr(row, name), currency)
        for name in ("amount", "refunded", "refund_due", "refund_sending")
    }
    return Payment(
        id=row.record_id,
        tenant=row.tenant,
        booking_id=row.booking_ref,
        session_id=row.session_ref,
        participant=ResourceRef.parse(row.participant),
        session_start=row.session_start.astimezone(UTC),
        amount=Money.of(amounts["amount"], currency),
        provider=row.provider,
        status=row.status,
        intent_ref=row.intent_ref,
        refunded=amounts["refunded"],
        refund_due=amounts["refund_due"],
        refund_sending=amounts["refund_sending"],
        refunds=row.refunds,
        due=row.due,  # type: ignore[arg-type]  # written from a Due, read back as text
        failure=row.failure,
        failed_calls=row.failed_calls,
        retry_at=_optional_utc(row.retry_at),
        created_at=row.created_at.astimezone(UTC),
        created_by=row.created_by,
        updated_at=_optional_utc(row.updated_at),
        updated_by=row.updated_by,
        version=row.version,
        metadata=row.metadata or {},
    )


class DjangoPaymentRepository(DjangoRepository[Payment, PaymentRecord]):
    """The :class:`~sessionkit.ports.PaymentRepository` of a Django unit of work."""

    model = PaymentRecord
    links = {"booking_id": "booking_row"}  # noqa: RUF012  # read-only class data

    def to_fields(self, record: Payment) -> dict[str, Any]:
        """Return the :class:`PaymentRecord` field values of ``record``."""
        return payment_fields(record)

    def from_row(self, row: PaymentRecord) -> Payment:
        """Return the payment a row holds."""
        return payment_from_record(row)

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:
        """Return the lookups of the ``booking`` or the ``intent`` key."""
        if key == "booking":
            return {"booking_ref": value[0]}
        provider, intent_ref = value
        return {"provider": provider, "intent_ref": intent_ref}

    def _one(self, rows: QuerySet[PaymentRecord]) -> Payment | None:
        row = rows.first()
        return None if row is None else self.from_row(row)

    def for_booking(self, tenant: str, booking_id: str) -> Payment | None:
        """Return the booking's payment, or ``None``."""
        return self._one(self.rows(tenant).filter(booking_ref=booking_id))

    def by_intent(self, tenant: str, provider: str, intent_ref: str) -> Payment | None:
        """Return the payment the provider knows as ``intent_ref``, or ``None``."""
        return self._one(self.rows(tenant).filter(provider=provider, intent_ref=intent_ref))

    def for_bookings(self, tenant: str, booking_ids: Iterable[str]) -> dict[str, Payment]:
        """Return the payments of those bookings that have one, by booking id (in the order asked)."""  # noqa: E501
        wanted = list(dict.fromkeys(booking_ids))
        found: dict[str, Payment] = {}
        for start in range(0, len(wanted), 500):
            for row in self.rows(tenant).filter(booking_ref__in=wanted[start : start + 500]):
                found[row.booking_ref] = self.from_row(row)
        return {i: found[i] for i in wanted if i in found}

    def with_due(
        self, tenant: str | None, *, limit: int, now: datetime | None = None
    ) -> list[Payment]:
        """Return payments with a provider call due by ``now``, by ``due_at`` (``None``: all tenants).

        Ties go by tenant, then id; one range of the ``(due_since, tenant, id)`` index.
        """  # noqa: E501
        self._uow.require_open()
        if limit <= 0:
            return []
        rows = PaymentRecord.objects.using(self.using).filter(due_since__isnull=False)
        if now is not None:
            rows = rows.filter(due_since__lte=now)
        if tenant is not None:
            rows = rows.filter(tenant=tenant)
        ordered = rows.order_by(
            "due_since", self._exact("tenant").asc(), self._exact("record_id").asc()
        )
        return [self.from_row(row) for row in ordered[:limit]]

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
        rows = self.rows(tenant)
        for name, values in (("status", statuses), ("session_ref", session_ids)):
            if values is not None:
                wanted = sorted(set(values))
                if not wanted:
                    return []
                rows = rows.filter(**{f"{name}__in": wanted})
        if participant is not None:
            rows = rows.filter(participant=str(participant))
        if start_from is not None:
            rows = rows.filter(session_start__gte=start_from)
        if start_to is not None:
            rows = rows.filter(session_start__lt=start_to)
        rows = rows.annotate(sk_id=self._exact("record_id"))
        if after is not None:
            start, last_id = after
            rows = rows.filter(
                Q(session_start__gt=start) | Q(session_start=start, sk_id__gt=last_id)
            )
        ordered = rows.order_by("session_start", "sk_id")
        if limit is not None:
            if limit <= 0:
                return []
            ordered = ordered[:limit]
        return [self.from_row(row) for row in ordered]


class DjangoPaymentEventRepository(DjangoRepository[ReceivedEvent, PaymentEventRecord]):
    """The payment event receipts of a Django unit of work: stored once per ``provider:event_id``."""  # noqa: E501

    model = PaymentEventRecord

    def to_fields(self, record: ReceivedEvent) -> dict[str, Any]:
        """Return the :class:`PaymentEventRecord` field values of ``record``."""
        return {
            "tenant": record.tenant,
            "record_id": record.id,
            "payment_ref": record.payment_id,
            "type": record.type,
            "outcome": record.outcome,
            "received_at": record.received_at,
            "version": record.version,
        }

    def from_row(self, row: PaymentEventRecord) -> ReceivedEvent:
        """Return the receipt a row holds."""
        return ReceivedEvent(
            id=row.record_id,
            tenant=row.tenant,
            payment_id=row.payment_ref,
            type=row.type,
            outcome=row.outcome,
            received_at=row.received_at.astimezone(UTC),
            version=row.version,
        )

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:  # noqa: ARG002
        """Receipts have no unique key beside the id."""
        raise LookupError(f"payment events have no unique key {shown(key)}")
