"""A series' sessions in order: index (tenant, series_id, start_at, id).

Revision ID: 0002_series_order_index
Revises: 0001_initial
Create Date: 2026-11-21

Replaces the index on (tenant, series_id, start_at). Reading a series' sessions
sorts by start and then id; without the id in the index, SQLite preferred
(tenant, start_at, id), which avoids the sort but walks every session of the
tenant.
"""

from __future__ import annotations

from alembic import op

revision = "0002_series_order_index"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_TABLE = "sessionkit_sessions"
_OLD = "ix_sessionkit_sessions_tenant_series_id_start_at"
_NEW = "ix_sessionkit_sessions_tenant_series_id_start_at_id"


def upgrade() -> None:
    """Swap the series index for one that also holds the id."""
    op.create_index(_NEW, _TABLE, ["tenant", "series_id", "start_at", "id"])
    op.drop_index(_OLD, table_name=_TABLE)


def downgrade() -> None:
    """Bring back the index without the id."""
    op.create_index(_OLD, _TABLE, ["tenant", "series_id", "start_at"])
    op.drop_index(_NEW, table_name=_TABLE)
