"""The tenant's bookings by session start are read as one range of a new index.

Revision ID: 0018_booking_tenant_start_index
Revises: 0017_payment_retries
Create Date: 2026-12-06

``kit.bookings.for_tenant`` lists every booking of a tenant's sessions
starting in a window (an admin's "this week's bookings"), by session start
then id, paged with a ``(session_start, id)`` cursor. The bookings indexes
lead with a session, a participant or a status, so such a read walked the
tenant's whole table and sorted it. ``ix_sessionkit_bookings_tenant_start``
on ``(tenant, session_start, id)`` holds it in the order it is read, so a
window after a cursor is one range.

On a large table the upgrade builds an index over every booking: run it when
writes are few. On MySQL/MariaDB the index commits on its own: a run stopped
before the revision was recorded is finished by running it again (an index
made already is kept). The downgrade drops it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_booking_tenant_start_index"
down_revision = "0017_payment_retries"
branch_labels = None
depends_on = None

_TABLE = "sessionkit_bookings"
_INDEX = "ix_sessionkit_bookings_tenant_start"


def upgrade() -> None:
    """Index the tenant's bookings by session start, then id."""
    made = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes(_TABLE)}
    if _INDEX not in made:  # by a run stopped midway (MySQL commits each statement)
        op.create_index(_INDEX, _TABLE, ["tenant", "session_start", "id"])


def downgrade() -> None:
    """Drop the tenant's start index."""
    op.drop_index(_INDEX, table_name=_TABLE)
