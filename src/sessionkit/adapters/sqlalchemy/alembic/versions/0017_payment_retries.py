"""A failed provider call waits before its next try: ``failed_calls`` and ``retry_at`` on payments.

Revision ID: 0017_payment_retries
Revises: 0016_journal_tenant_reads
Create Date: 2026-12-05

``kit.payments.run_due`` left a call the provider failed due and first in
line, so ``limit`` such calls filled every batch and the calls behind them
were never made. A failed try is now counted on the payment (``failed_calls``,
``0`` on every existing row) and the call waits until ``retry_at`` (``NULL``:
at once, as every existing row). ``due_since``, which orders the due calls,
then holds the later of the last change and ``retry_at``: existing rows have no
retry time, so their ``due_since`` is right as it is, and the index serves the
read of calls due by now as one range.

Two added columns, no row rewritten but for the default. On MySQL/MariaDB each
``ALTER TABLE`` commits on its own: a run stopped between them is finished by
running it again (a column made already is kept). The downgrade drops both,
and sets ``due_since`` back to the last change where it held a retry time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import UTCDateTime

revision = "0017_payment_retries"
down_revision = "0016_journal_tenant_reads"
branch_labels = None
depends_on = None

_TABLE = "sessionkit_payments"


def upgrade() -> None:
    """Add ``failed_calls`` (``0``) and ``retry_at`` (``NULL``) to ``sessionkit_payments``."""
    made = {column["name"] for column in sa.inspect(op.get_bind()).get_columns(_TABLE)}
    if "failed_calls" not in made:  # by a run stopped midway (MySQL commits each statement)
        op.add_column(
            _TABLE, sa.Column("failed_calls", sa.Integer(), server_default="0", nullable=False)
        )
    if "retry_at" not in made:
        op.add_column(_TABLE, sa.Column("retry_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Set ``due_since`` back to the last change; drop ``retry_at`` and ``failed_calls``.

    A waiting call's ``due_since`` holds its retry time; the version before
    reads it, and documents it, as the instant of the payment's last change.
    """
    table = sa.table(
        _TABLE,
        sa.column("due_since", UTCDateTime()),
        sa.column("retry_at", UTCDateTime()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    last_change = sa.func.coalesce(table.c.updated_at, table.c.created_at)
    op.execute(
        table.update()
        .where(table.c.due_since.is_not(None), table.c.retry_at.is_not(None))
        .values(due_since=last_change)
    )
    with op.batch_alter_table(_TABLE) as batch:
        batch.drop_column("retry_at")
        batch.drop_column("failed_calls")
