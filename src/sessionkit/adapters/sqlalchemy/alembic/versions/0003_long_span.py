"""Conflict checks bounded on both sides: ``long_span`` on resource rows, two indexes.

Revision ID: 0003_long_span
Revises: 0002_series_order_index
Create Date: 2026-11-21

The index on (tenant, resource, end_at, start_at) bounded the conflict check
by ``end_at > :start`` only, so a check in the past read everything the
resource did since. Rows now carry ``long_span`` (longer than a day, see
``rows.LONG_SPAN``): short rows are read by an index range on their start,
long ones by their end. Existing rows are backfilled; a row is marked when its
span is longer than a day. On MySQL/MariaDB each DDL statement commits on its
own: a run stopped midway (during the backfill or an index build on a large
table, say) is finished by running it again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_long_span"
down_revision = "0002_series_order_index"
branch_labels = None
depends_on = None

_TABLE = "sessionkit_session_resources"
_OLD = "ix_sessionkit_session_resources_tenant_resource_end_at_start_at"
_BY_START = "ix_sessionkit_session_resources_by_start"
_BY_END = "ix_sessionkit_session_resources_by_end"

_LONGER_THAN_A_DAY = {
    "postgresql": "end_at - start_at > interval '1 day'",
    "mysql": "TIMESTAMPDIFF(MICROSECOND, start_at, end_at) > 86400000000",
    "mariadb": "TIMESTAMPDIFF(MICROSECOND, start_at, end_at) > 86400000000",
    # Instants are stored as text, 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds, then micros.
    # The seconds are read from the first 19 characters: strftime rounds a fraction to the
    # millisecond first, so .9996 s read a second late and 1 day + 400 us made 86,400 s.
    "sqlite": "strftime('%s', substr(end_at, 1, 19)) - strftime('%s', substr(start_at, 1, 19))"
    " > 86400 OR (strftime('%s', substr(end_at, 1, 19))"
    " - strftime('%s', substr(start_at, 1, 19)) = 86400"
    " AND substr(end_at, 21) > substr(start_at, 21))",
}


def upgrade() -> None:
    """Add and backfill ``long_span``; swap the end-bounded index for the two-class pair.

    What a run stopped midway made is kept (MySQL commits each DDL statement on its
    own): the column, either index. The backfill marks the same rows again.
    """
    bind = op.get_bind()
    found = sa.inspect(bind)
    if "long_span" not in {column["name"] for column in found.get_columns(_TABLE)}:
        op.add_column(
            _TABLE, sa.Column("long_span", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    longer = _LONGER_THAN_A_DAY.get(bind.dialect.name, "end_at - start_at > interval '1 day'")
    rows = sa.table(_TABLE, sa.column("long_span", sa.Boolean()))
    op.execute(rows.update().where(sa.text(longer)).values(long_span=True))
    made = {index["name"] for index in found.get_indexes(_TABLE)}
    if _BY_START not in made:
        op.create_index(_BY_START, _TABLE, ["tenant", "resource", "long_span", "start_at"])
    if _BY_END not in made:
        op.create_index(_BY_END, _TABLE, ["tenant", "resource", "long_span", "end_at"])
    if _OLD in made:
        op.drop_index(_OLD, table_name=_TABLE)


def downgrade() -> None:
    """Back to the end-bounded index; drop ``long_span``."""
    op.create_index(_OLD, _TABLE, ["tenant", "resource", "end_at", "start_at"])
    op.drop_index(_BY_END, table_name=_TABLE)
    op.drop_index(_BY_START, table_name=_TABLE)
    with op.batch_alter_table(_TABLE) as batch:
        batch.drop_column("long_span")
