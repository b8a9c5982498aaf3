"""Usage: subscriptions, the usage ledger, counters and session codes.

Revision ID: 0011_usage
Revises: 0010_reschedules
Create Date: 2026-11-30

Four new tables. ``sessionkit_usage`` holds one row per (subscription,
session, participant), held by the unique constraint
``uq_sessionkit_usage_charge`` so a session is counted once on every
database; it points at its subscription (no cascade). ``sessionkit_counters``
holds named per-tenant counters moved by ``UPDATE ... SET value = value + n``.
``sessionkit_session_codes`` holds each session's code, unique per tenant.
Existing rows are not touched; the downgrade drops the tables and their rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import UTCDateTime, key_type

revision = "0011_usage"
down_revision = "0010_reschedules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the subscription, usage, counter and session-code tables."""
    op.create_table(
        "sessionkit_subscriptions",
        sa.Column("tenant", key_type(), nullable=False),
        sa.Column("id", key_type(), nullable=False),
        sa.Column("subscriber", key_type(255), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("per", sa.String(16), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("starts", UTCDateTime(), nullable=False),
        sa.Column("ends", UTCDateTime(), nullable=True),
        sa.Column("on_limit", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_subscriptions"),
    )
    op.create_index(
        "ix_sessionkit_subscriptions_tenant_subscriber_starts_id",
        "sessionkit_subscriptions",
        ["tenant", "subscriber", "starts", "id"],
    )
    op.create_table(
        "sessionkit_usage",
        sa.Column("tenant", key_type(), nullable=False),
        sa.Column("id", key_type(), nullable=False),
        sa.Column("subscription_id", key_type(), nullable=False),
        sa.Column("session_id", key_type(), nullable=False),
        sa.Column("participant", key_type(255), nullable=False),
        sa.Column("period", sa.String(64), nullable=False),
        sa.Column("used_by", key_type(), nullable=False),
        sa.Column("consumed_at", UTCDateTime(), nullable=False),
        sa.Column("reversed_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "subscription_id"],
            ["sessionkit_subscriptions.tenant", "sessionkit_subscriptions.id"],
            name="fk_sessionkit_usage_sessionkit_subscriptions",
        ),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_usage"),
        sa.UniqueConstraint(
            "tenant",
            "subscription_id",
            "session_id",
            "participant",
            name="uq_sessionkit_usage_charge",
        ),
    )
    op.create_index(
        "ix_sessionkit_usage_tenant_session_id", "sessionkit_usage", ["tenant", "session_id"]
    )
    op.create_index("ix_sessionkit_usage_tenant_used_by", "sessionkit_usage", ["tenant", "used_by"])
    op.create_table(
        "sessionkit_counters",
        sa.Column("tenant", key_type(), nullable=False),
        sa.Column("id", key_type(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_counters"),
    )
    op.create_table(
        "sessionkit_session_codes",
        sa.Column("tenant", key_type(), nullable=False),
        sa.Column("id", key_type(), nullable=False),
        sa.Column("code", key_type(), nullable=False),
        sa.Column("counter", sa.String(64), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_session_codes"),
        sa.UniqueConstraint("tenant", "code", name="uq_sessionkit_session_codes_tenant_code"),
    )


def downgrade() -> None:
    """Drop the four tables (and their rows)."""
    op.drop_table("sessionkit_session_codes")
    op.drop_table("sessionkit_counters")
    op.drop_table("sessionkit_usage")
    op.drop_table("sessionkit_subscriptions")
