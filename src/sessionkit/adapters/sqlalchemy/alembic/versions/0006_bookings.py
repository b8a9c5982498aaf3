"""Bookings: the ``sessionkit_bookings`` table, its key, its foreign key and its three indexes.

Revision ID: 0006_bookings
Revises: 0005_groups_and_fields
Create Date: 2026-12-01

One row per booking, keyed by (tenant, id), pointing at its session (no
cascade: a session with bookings is not deleted). The idempotency key is unique
per tenant. The indexes serve a session's bookings and their seat count
(tenant, session_id, status), a participant's agenda (tenant,
participant_kind, participant_id, session_start, id) and the expiry job across
tenants (status, hold_expires_at). A new table only: existing rows are not
touched, and the downgrade drops the bookings with it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import JSONValue, UTCDateTime, pad_space_key_type

revision = "0006_bookings"
down_revision = "0005_groups_and_fields"
branch_labels = None
depends_on = None

_BOOKINGS = "sessionkit_bookings"


def upgrade() -> None:
    """Create ``sessionkit_bookings`` with its constraints and indexes."""
    op.create_table(
        _BOOKINGS,
        sa.Column("tenant", pad_space_key_type(), nullable=False),
        sa.Column("id", pad_space_key_type(), nullable=False),
        sa.Column("session_id", pad_space_key_type(), nullable=False),
        sa.Column("participant_kind", pad_space_key_type(255), nullable=False),
        sa.Column("participant_id", pad_space_key_type(255), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("hold_expires_at", UTCDateTime(), nullable=True),
        sa.Column("session_start", UTCDateTime(), nullable=False),
        sa.Column("session_end", UTCDateTime(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", pad_space_key_type(255), nullable=True),
        sa.Column("fingerprint", sa.String(255), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("updated_by", sa.String(255), nullable=True),
        sa.Column("metadata", JSONValue, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "session_id"],
            ["sessionkit_sessions.tenant", "sessionkit_sessions.id"],
            name="fk_sessionkit_bookings_sessionkit_sessions",
        ),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_bookings"),
        sa.UniqueConstraint(
            "tenant", "idempotency_key", name="uq_sessionkit_bookings_tenant_idempotency_key"
        ),
    )
    op.create_index(
        "ix_sessionkit_bookings_tenant_session_id_status",
        _BOOKINGS,
        ["tenant", "session_id", "status"],
    )
    op.create_index(
        "ix_sessionkit_bookings_agenda",
        _BOOKINGS,
        ["tenant", "participant_kind", "participant_id", "session_start", "id"],
    )
    op.create_index(
        "ix_sessionkit_bookings_status_hold_expires_at", _BOOKINGS, ["status", "hold_expires_at"]
    )


def downgrade() -> None:
    """Drop the bookings table (and the bookings)."""
    op.drop_table(_BOOKINGS)
