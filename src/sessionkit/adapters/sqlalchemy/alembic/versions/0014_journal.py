"""The journal: ``sessionkit_journal``.

Revision ID: 0014_journal
Revises: 0013_booking_seats_index
Create Date: 2026-12-03

One row per journal entry (a kit built with ``journal=True`` writes one per
domain event, in the unit of work of the change), keyed by (tenant, id). No
foreign key: a session's history stays when the session is deleted. Two
indexes read histories in order: a session's and a record's. A new table
only: existing rows are not touched, and the downgrade drops the entries.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import JSONValue, UTCDateTime, key_type

revision = "0014_journal"
down_revision = "0013_booking_seats_index"
branch_labels = None
depends_on = None

_TABLE = "sessionkit_journal"


def upgrade() -> None:
    """Create ``sessionkit_journal``."""
    op.create_table(
        _TABLE,
        sa.Column("tenant", key_type(), nullable=False),
        sa.Column("id", key_type(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("subject_id", key_type(), nullable=False),
        sa.Column("session_id", key_type(), nullable=True),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.Column("role", sa.String(255), nullable=True),
        sa.Column("previous", sa.String(64), nullable=True),
        sa.Column("status", sa.String(64), nullable=True),
        sa.Column("transition", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("details", JSONValue, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_sessionkit_journal"),
    )
    op.create_index(
        "ix_sessionkit_journal_tenant_session_id_at_seq_id",
        _TABLE,
        ["tenant", "session_id", "at", "seq", "id"],
    )
    op.create_index(
        "ix_sessionkit_journal_tenant_subject_subject_id_at_seq_id",
        _TABLE,
        ["tenant", "subject", "subject_id", "at", "seq", "id"],
    )


def downgrade() -> None:
    """Drop ``sessionkit_journal`` (and the entries)."""
    op.drop_table(_TABLE)
