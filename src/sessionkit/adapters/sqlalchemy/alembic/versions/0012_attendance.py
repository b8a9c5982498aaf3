"""Attendance: ``sessionkit_presence`` and ``sessionkit_attendance_overrides``.

Revision ID: 0012_attendance
Revises: 0011_usage
Create Date: 2026-11-30

One row per presence event a meeting provider reported, keyed by (tenant,
``provider:event_id``): the primary key makes a redelivered event a no-op.
One row per teacher override (session, participant). Both point at their
session (no cascade). New tables only: existing rows are not touched, and the
downgrade drops the presence and overrides with them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import UTCDateTime, key_type

revision = "0012_attendance"
down_revision = "0011_usage"
branch_labels = None
depends_on = None

_PRESENCE = "sessionkit_presence"
_OVERRIDES = "sessionkit_attendance_overrides"


def upgrade() -> None:
    """Create ``sessionkit_presence`` and ``sessionkit_attendance_overrides``."""
    op.create_table(
        _PRESENCE,
        sa.Column("tenant", key_type(), nullable=False),
        sa.Column("id", key_type(), nullable=False),
        sa.Column("session_id", key_type(), nullable=False),
        sa.Column("participant", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "session_id"],
            ["sessionkit_sessions.tenant", "sessionkit_sessions.id"],
            name="fk_sessionkit_presence_sessionkit_sessions",
        ),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_presence"),
    )
    op.create_index(
        "ix_sessionkit_presence_tenant_session_id_at_id",
        _PRESENCE,
        ["tenant", "session_id", "at", "id"],
    )
    op.create_table(
        _OVERRIDES,
        sa.Column("tenant", key_type(), nullable=False),
        sa.Column("id", key_type(), nullable=False),
        sa.Column("session_id", key_type(), nullable=False),
        sa.Column("participant", sa.String(255), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("decided_by", sa.String(255), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant", "session_id"],
            ["sessionkit_sessions.tenant", "sessionkit_sessions.id"],
            name="fk_sessionkit_attendance_overrides_sessionkit_sessions",
        ),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_attendance_overrides"),
    )
    op.create_index(
        "ix_sessionkit_attendance_overrides_tenant_session_id_id",
        _OVERRIDES,
        ["tenant", "session_id", "id"],
    )


def downgrade() -> None:
    """Drop both tables (and the presence and overrides)."""
    op.drop_table(_OVERRIDES)
    op.drop_table(_PRESENCE)
