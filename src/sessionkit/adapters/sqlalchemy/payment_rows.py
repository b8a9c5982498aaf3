"""The payments and payment-event tables and their row mapping, in both directions.

``sessionkit_payments`` holds one row per :class:`~sessionkit.model.payment.Payment`,
keyed by ``(tenant, id)``, with a foreign key to its booking (no cascade: a
booking with a payment is not deleted, it raises ``StillReferenced``).
``(tenant, booking_id)`` is unique (one payment per booking; the constraint
also indexes the foreign key) and so is ``(tenant, provider, intent_ref)`` (a
provider's reference finds one payment). Amounts are exact decimals
(:class:`~._types.Amount`) beside the currency's code; the participant is two
columns, kind and id, as on bookings.

``due_since`` is the row's own column, not the payment's: when a provider
call is due, the instant it may be made (``Payment.due_at``: the payment's
last change, ``updated_at`` else ``created_at``, or a failed call's later
``retry_at``), else ``NULL``. :meth:`~._payments.SqlAlchemyPaymentRepository.with_due`
orders by exactly that, so one plain index ``(due_since, tenant, id)`` serves
it on every database (``NULL`` rows fall outside its range), where a
``coalesce()`` ordering would need an expression index and a ``WHERE due IS
NOT NULL`` one a partial index MySQL has not. SQL writing payments around
sessionkit must keep it.

Indexes: the tenant's payments by session start with the keyset tiebreaker
(tenant, session_start, id), a participant's by start (tenant,
participant_kind, participant_id, session_start, id), a status's by start
(tenant, status, session_start), and the due calls (due_since, tenant, id).

``sessionkit_payment_events`` holds the receipts of applied provider events
(:class:`~sessionkit.model.payment.ReceivedEvent`), keyed by ``(tenant, id)``,
the id being ``provider:event_id``: the primary key is what makes a
redelivered event apply once, even when two deliveries race.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sessionkit.adapters.sqlalchemy._types import (
    AMOUNT_SCALE,
    Amount,
    JSONValue,
    UTCDateTime,
    exact_amount,
    key_type,
)
from sessionkit.adapters.sqlalchemy.rows import Base
from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown
from sessionkit.model.money import Money, minor_unit
from sessionkit.model.payment import Payment, ReceivedEvent
from sessionkit.model.session import MAX_NAME_LENGTH, MAX_REF_LENGTH, ResourceRef

__all__ = [
    "BOOKING_CONSTRAINT",
    "INTENT_CONSTRAINT",
    "PARTICIPANT_INDEX",
    "PaymentEventRow",
    "PaymentRow",
    "payment_events_table",
    "payment_from_row",
    "payment_values",
    "payments_table",
    "received_event_from_row",
    "received_event_values",
]

BOOKING_CONSTRAINT = "uq_sessionkit_payments_tenant_booking_id"
"""The unique constraint behind the payment key ``booking``: (tenant, booking_id)."""

INTENT_CONSTRAINT = "uq_sessionkit_payments_tenant_provider_intent_ref"
"""The unique constraint behind the payment key ``intent``: (tenant, provider, intent_ref)."""

PARTICIPANT_INDEX = "ix_sessionkit_payments_participant"
"""A participant's payments by session start then id (named by hand: the conventional
name passes PostgreSQL's 63 characters)."""

_NAME = String(255)
_LABEL = String(64)


class PaymentRow(Base):
    """One payment: a booking's amount, status, refunds and provider reference."""

    __tablename__ = "sessionkit_payments"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    booking_id: Mapped[str] = mapped_column(key_type())
    session_id: Mapped[str] = mapped_column(key_type())
    participant_kind: Mapped[str] = mapped_column(key_type(255))
    participant_id: Mapped[str] = mapped_column(key_type(255))
    session_start: Mapped[datetime] = mapped_column(UTCDateTime())
    amount: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(key_type(MAX_NAME_LENGTH))
    status: Mapped[str] = mapped_column(_LABEL)
    intent_ref: Mapped[str | None] = mapped_column(key_type(MAX_REF_LENGTH))
    refunded: Mapped[Decimal] = mapped_column(Amount())
    refund_due: Mapped[Decimal] = mapped_column(Amount())
    refund_sending: Mapped[Decimal] = mapped_column(Amount())
    refunds: Mapped[int] = mapped_column(Integer)
    due: Mapped[str | None] = mapped_column(String(16))
    due_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the due call may be made (``Payment.due_at``), ``NULL`` when none is due."""
    failure: Mapped[str | None] = mapped_column(_NAME)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(_NAME)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(_NAME)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONValue)
    # Last, where migration 0017 adds them (ALTER TABLE appends), so both schemas agree.
    failed_calls: Mapped[int] = mapped_column(Integer, server_default="0")
    """Failed tries of ``run_due`` at the due call since the payment last changed."""
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When a failed due call may be tried again, ``NULL``: at once."""

    __table_args__ = (
        # One payment per booking; also the index of the foreign key below.
        UniqueConstraint("tenant", "booking_id", name=BOOKING_CONSTRAINT),
        # A provider's event finds its payment by the intent; NULL (no intent yet) never collides.
        UniqueConstraint("tenant", "provider", "intent_ref", name=INTENT_CONSTRAINT),
        ForeignKeyConstraint(
            ["tenant", "booking_id"], ["sessionkit_bookings.tenant", "sessionkit_bookings.id"]
        ),
        # The tenant's payments by session start, with the id for keyset pages.
        Index(None, "tenant", "session_start", "id"),
        # A participant's payments by start.
        Index(
            PARTICIPANT_INDEX, "tenant", "participant_kind", "participant_id", "session_start", "id"
        ),
        # The payments of some statuses (open, refunded) by start.
        Index(None, "tenant", "status", "session_start"),
        # Provider calls due, oldest first, across tenants (run_due).
        Index(None, "due_since", "tenant", "id"),
    )


class PaymentEventRow(Base):
    """The receipt of one applied provider event, keyed by ``provider:event_id``."""

    __tablename__ = "sessionkit_payment_events"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    payment_id: Mapped[str | None] = mapped_column(key_type())
    type: Mapped[str] = mapped_column(_LABEL)
    outcome: Mapped[str] = mapped_column(_LABEL)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)


payments_table = cast("Table", PaymentRow.__table__)
"""``sessionkit_payments`` as a Core table."""
payment_events_table = cast("Table", PaymentEventRow.__table__)
"""``sessionkit_payment_events`` as a Core table."""


def _stored(payment: Payment, name: str, value: Decimal) -> Decimal:
    """Return ``value`` as the amount columns hold it; ``InvalidValue`` if they cannot exactly."""
    fixed = exact_amount(value)
    if fixed is None:
        raise InvalidValue(
            f"payment {shown(payment.id)}: {name} {value} {payment.currency} has more than "
            f"{AMOUNT_SCALE} decimal places, which SQL storage would round",
            value=value,
            expected=f"at most {AMOUNT_SCALE} decimal places",
        )
    return fixed


def _read(value: Decimal, currency: str) -> Decimal:
    """Return a stored amount without the column's padding: the currency's places, or more.

    ``60.000000`` EUR reads ``60.00``, ``0.125000`` EUR ``0.125`` and ``1050.000000`` JPY
    ``1050``: equal to what was stored, and shown as written unless it was written with
    zeros past the minor unit (``0.5610`` EUR reads ``0.561``: the column keeps values,
    not how they were written).
    """
    places = minor_unit(currency)
    trimmed = value.normalize()
    exponent = trimmed.as_tuple().exponent
    if isinstance(exponent, int) and exponent <= -places:
        return trimmed
    return value.quantize(Decimal(1).scaleb(-places))


def payment_values(payment: Payment) -> dict[str, Any]:
    """Return the ``sessionkit_payments`` row of ``payment``.

    Raises ``InvalidValue`` for an amount with more than six decimal places
    (the columns would round it).
    """
    return {
        "tenant": payment.tenant,
        "id": payment.id,
        "booking_id": payment.booking_id,
        "session_id": payment.session_id,
        "participant_kind": payment.participant.kind,
        "participant_id": payment.participant.id,
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


def payment_from_row(row: Mapping[Any, Any]) -> Payment:
    """Build the domain :class:`~sessionkit.model.payment.Payment` from a payments row."""
    currency = row["currency"]
    return Payment(
        id=row["id"],
        tenant=row["tenant"],
        booking_id=row["booking_id"],
        session_id=row["session_id"],
        participant=ResourceRef(row["participant_kind"], row["participant_id"]),
        session_start=row["session_start"],
        amount=Money.of(_read(row["amount"], currency), currency),
        provider=row["provider"],
        status=row["status"],
        intent_ref=row["intent_ref"],
        refunded=_read(row["refunded"], currency),
        refund_due=_read(row["refund_due"], currency),
        refund_sending=_read(row["refund_sending"], currency),
        refunds=row["refunds"],
        due=row["due"],
        failure=row["failure"],
        failed_calls=row["failed_calls"],
        retry_at=row["retry_at"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        version=row["version"],
        metadata=row["metadata"],
    )


def received_event_values(event: ReceivedEvent) -> dict[str, Any]:
    """Return the ``sessionkit_payment_events`` row of ``event``."""
    return {
        "tenant": event.tenant,
        "id": event.id,
        "payment_id": event.payment_id,
        "type": event.type,
        "outcome": event.outcome,
        "received_at": event.received_at,
        "version": event.version,
    }


def received_event_from_row(row: Mapping[Any, Any]) -> ReceivedEvent:
    """Build the :class:`~sessionkit.model.payment.ReceivedEvent` from its row."""
    return ReceivedEvent(
        id=row["id"],
        tenant=row["tenant"],
        payment_id=row["payment_id"],
        type=row["type"],
        outcome=row["outcome"],
        received_at=row["received_at"],
        version=row["version"],
    )
