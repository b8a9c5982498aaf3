"""One session per series and start: unique index (tenant, series_id, start_at).

Revision ID: 0004_series_start_unique
Revises: 0003_long_span
Create Date: 2026-11-29

Concurrent ``create_extra`` calls for one series and one start could each
store a session (the check ran in Python, before the insert). The database now
refuses the second one; the adapter reports it as ``DuplicateSession`` with
``key="series_start"``. Sessions without a series (NULL ``series_id``) never
collide. A unique index rather than a constraint, so SQLite adds it without
rebuilding the table (a rebuild drops the table, and with foreign keys on that
would cascade to the resource rows).

If the race already stored duplicates, the upgrade stops and lists them:
decide which session of each group to keep (bookings may hang off either),
delete or move the others, and upgrade again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_series_start_unique"
down_revision = "0003_long_span"
branch_labels = None
depends_on = None

_TABLE = "sessionkit_sessions"
_INDEX = "uq_sessionkit_sessions_tenant_series_id_start_at"
_SHOWN = 10

_DUPLICATES = sa.text(
    "SELECT tenant, series_id, start_at, count(*) AS n FROM sessionkit_sessions "
    "WHERE series_id IS NOT NULL GROUP BY tenant, series_id, start_at HAVING count(*) > 1 "
    "ORDER BY tenant, series_id, start_at"
)


def upgrade() -> None:
    """Refuse to go on over duplicates; add the unique index."""
    duplicates = op.get_bind().execute(_DUPLICATES).all()
    if duplicates:
        shown = "; ".join(
            f"tenant {t!r} series {s!r} at {start} ({n} sessions)"
            for t, s, start, n in duplicates[:_SHOWN]
        )
        more = f" and {len(duplicates) - _SHOWN} more" if len(duplicates) > _SHOWN else ""
        raise RuntimeError(
            f"{len(duplicates)} (series, start) pairs hold more than one session: {shown}{more}. "
            "Keep one session of each, delete or move the others, then upgrade again."
        )
    op.create_index(_INDEX, _TABLE, ["tenant", "series_id", "start_at"], unique=True)


def downgrade() -> None:
    """Drop the unique index."""
    op.drop_index(_INDEX, table_name=_TABLE)
