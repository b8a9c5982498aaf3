"""Groups above series: ``group_key`` on series and sessions, with their indexes.

Revision ID: 0005_groups_and_fields
Revises: 0004_series_start_unique
Create Date: 2026-11-22

A series may be filed under a group (a class holding several groups, a
coaching contract); its sessions carry the same key so that a query for a
group's sessions reads one index range, (tenant, group_key, start_at, id).
Series are found by (tenant, group_key) to close a whole group. Both columns
are nullable and start empty: existing series belong to no group. Own fields
(``metadata``) need no schema change: filters read the JSON column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import pad_space_key_type

revision = "0005_groups_and_fields"
down_revision = "0004_series_start_unique"
branch_labels = None
depends_on = None

_SERIES = "sessionkit_series"
_SESSIONS = "sessionkit_sessions"
_SERIES_INDEX = "ix_sessionkit_series_tenant_group_key"
_SESSIONS_INDEX = "ix_sessionkit_sessions_tenant_group_key_start_at_id"


def upgrade() -> None:
    """Add ``group_key`` to series and sessions, and index it."""
    op.add_column(_SERIES, sa.Column("group_key", pad_space_key_type(), nullable=True))
    op.add_column(_SESSIONS, sa.Column("group_key", pad_space_key_type(), nullable=True))
    op.create_index(_SERIES_INDEX, _SERIES, ["tenant", "group_key"])
    op.create_index(_SESSIONS_INDEX, _SESSIONS, ["tenant", "group_key", "start_at", "id"])


def downgrade() -> None:
    """Drop the indexes and the columns (the groups are lost).

    ``DROP COLUMN`` on every backend (SQLite has it since 3.35), not a batch
    rebuild: on SQLite that copies the table and drops the old one, and with
    foreign keys on (a store turns them on) the drop cascaded to every
    session's resource rows, or failed on the series' schedule items.
    """
    op.drop_index(_SESSIONS_INDEX, table_name=_SESSIONS)
    op.drop_index(_SERIES_INDEX, table_name=_SERIES)
    op.drop_column(_SESSIONS, "group_key")
    op.drop_column(_SERIES, "group_key")
