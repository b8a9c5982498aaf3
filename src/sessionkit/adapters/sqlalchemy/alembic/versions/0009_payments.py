"""Payments: ``sessionkit_payments`` and the provider-event receipts ``sessionkit_payment_events``.

Revision ID: 0009_payments
Revises: 0008_title_search
Create Date: 2026-12-02

One payment row per paid booking, keyed by (tenant, id), pointing at its
booking (no cascade: a booking with a payment is not deleted). (tenant,
booking_id) and (tenant, provider, intent_ref) are unique. Amounts are
NUMERIC(21, 6) (text on SQLite, which has no exact decimal). ``due_since``
(the payment's last change while a provider call is due, else NULL) orders
the due calls through a plain index, on every database. The receipts table is
keyed by (tenant, provider:event_id) alone. New tables only: existing rows are
not touched, and the downgrade drops the payments and receipts with them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import Amount, JSONValue, UTCDateTime, key_type

revision = "0009_payments"
down_revision = "0008_title_search"
branch_labels = None
depends_on = None

_PAYMENTS = "sessionkit_payments"
_EVENTS = "sessionkit_payment_events"


def upgrade() -> None:
    """Create ``sessionkit_payments`` and ``sessionkit_payment_events``."""
    op.create_table(
        _PAYMENTS,
        sa.Column("tenant", key_type(), nullable=False),
        sa.Column("id", key_type(), nullable=False),
        sa.Column("booking_id", key_type(), nullable=False),
        sa.Column("session_id", key_type(), nullable=False),
        sa.Column("participant_kind", key_type(255), nullable=False),
        sa.Column("participant_id", key_type(255), nullable=False),
        sa.Column("session_start", UTCDateTime(), nullable=False),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("provider", key_type(64), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("intent_ref", key_type(255), nullable=True),
        sa.Column("refunded", Amount(), nullable=False),
        sa.Column("refund_due", Amount(), nullable=False),
        sa.Column("refund_sending", Amount(), nullable=False),
        sa.Column("refunds", sa.Integer(), nullable=False),
        sa.Column("due", sa.String(16), nullable=True),
        sa.Column("due_since", UTCDateTime(), nullable=True),
        sa.Column("failure", sa.String(255), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("updated_by", sa.String(255), nullable=True),
        sa.Column("metadata", JSONValue, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "booking_id"],
            ["sessionkit_bookings.tenant", "sessionkit_bookings.id"],
            name="fk_sessionkit_payments_sessionkit_bookings",
        ),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_payments"),
        sa.UniqueConstraint(
            "tenant", "booking_id", name="uq_sessionkit_payments_tenant_booking_id"
        ),
        sa.UniqueConstraint(
            "tenant",
            "provider",
            "intent_ref",
            name="uq_sessionkit_payments_tenant_provider_intent_ref",
        ),
    )
    op.create_index(
        "ix_sessionkit_payments_tenant_session_start_id",
        _PAYMENTS,
        ["tenant", "session_start", "id"],
    )
    op.create_index(
        "ix_sessionkit_payments_participant",
        _PAYMENTS,
        ["tenant", "participant_kind", "participant_id", "session_start", "id"],
    )
    op.create_index(
        "ix_sessionkit_payments_tenant_status_session_start",
        _PAYMENTS,
        ["tenant", "status", "session_start"],
    )
    op.create_index(
        "ix_sessionkit_payments_due_since_tenant_id", _PAYMENTS, ["due_since", "tenant", "id"]
    )
    op.create_table(
        _EVENTS,
        sa.Column("tenant", key_type(), nullable=False),
        sa.Column("id", key_type(), nullable=False),
        sa.Column("payment_id", key_type(), nullable=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_payment_events"),
    )


def downgrade() -> None:
    """Drop both tables (and the payments and receipts)."""
    op.drop_table(_EVENTS)
    op.drop_table(_PAYMENTS)
