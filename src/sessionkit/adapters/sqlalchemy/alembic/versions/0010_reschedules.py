"""Reschedule requests: ``sessionkit_reschedules``.

Revision ID: 0010_reschedules
Revises: 0009_payments
Create Date: 2026-12-09

One row per reschedule request, keyed by (tenant, id), pointing at its
session (no cascade: a session with requests is not deleted).
``pending_session_id`` holds the session's id while the request is pending
and NULL after; the unique constraint on (tenant, pending_session_id) keeps
one pending request per session on every database. A new table only:
existing rows are not touched, and the downgrade drops the requests with it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import UTCDateTime, key_type

revision = "0010_reschedules"
down_revision = "0009_payments"
branch_labels = None
depends_on = None

_TABLE = "sessionkit_reschedules"


def upgrade() -> None:
    """Create ``sessionkit_reschedules``."""
    op.create_table(
        _TABLE,
        sa.Column("tenant", key_type(), nullable=False),
        sa.Column("id", key_type(), nullable=False),
        sa.Column("session_id", key_type(), nullable=False),
        sa.Column("pending_session_id", key_type(), nullable=True),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(255), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("session_start", UTCDateTime(), nullable=False),
        sa.Column("proposed_start", UTCDateTime(), nullable=True),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("decided_by", sa.String(255), nullable=True),
        sa.Column("decided_role", sa.String(64), nullable=True),
        sa.Column("new_start", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "session_id"],
            ["sessionkit_sessions.tenant", "sessionkit_sessions.id"],
            name="fk_sessionkit_reschedules_sessionkit_sessions",
        ),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_reschedules"),
        sa.UniqueConstraint(
            "tenant",
            "pending_session_id",
            name="uq_sessionkit_reschedules_tenant_pending_session_id",
        ),
    )
    op.create_index(
        "ix_sessionkit_reschedules_tenant_session_id_created_at_id",
        _TABLE,
        ["tenant", "session_id", "created_at", "id"],
    )
    op.create_index(
        "ix_sessionkit_reschedules_status_deadline_tenant_id",
        _TABLE,
        ["status", "deadline", "tenant", "id"],
    )


def downgrade() -> None:
    """Drop ``sessionkit_reschedules`` (and the requests)."""
    op.drop_table(_TABLE)
