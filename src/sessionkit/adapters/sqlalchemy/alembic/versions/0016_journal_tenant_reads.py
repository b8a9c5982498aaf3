"""The tenant's journal, and one actor's in it, are read as ranges of two new indexes.

Revision ID: 0016_journal_tenant_reads
Revises: 0015_exact_statuses
Create Date: 2026-12-05

``kit.journal.list`` reads a tenant's journal across its sessions and
records: what happened in a window of ``at``, and what one actor did. The
indexes of 0014 lead with a session or a record, so such a read walked the
tenant's whole table. ``ix_sessionkit_journal_tenant_at_seq_id`` and
``ix_sessionkit_journal_tenant_actor_at_seq_id`` hold it in the order it is
read, so a window after a cursor is one range of either.

On MySQL/MariaDB ``actor`` had its table's default collation, which in a
database made with ``CHARACTER SET utf8mb4`` and no ``COLLATE`` folds case
(``utf8mb4_general_ci``, ...): the store compared it in the exact collation
instead, which no index in the column's own can serve. It first gets the key
columns' exact collation (``utf8mb4_nopad_bin`` on MariaDB, ``utf8mb4_0900_bin``
on MySQL 8; see ``_types.exact_collation``), the values kept, as 0015 did for
statuses: no key holds it, so nothing can clash. PostgreSQL's default collation
is deterministic and SQLite's ``BINARY`` exact: there the column stays.

On a large journal the upgrade builds two indexes over every entry (and on
MySQL/MariaDB may copy the table for the collation): run it when writes are
few. Each statement commits on its own on MySQL/MariaDB: a run stopped between
them is finished by running it again (the ``ALTER TABLE`` states the column's
whole type, and an index made already is kept). The downgrade drops the
indexes and gives ``actor`` back its table's default collation.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import key_type

revision = "0016_journal_tenant_reads"
down_revision = "0015_exact_statuses"
branch_labels = None
depends_on = None

_TABLE = "sessionkit_journal"
_INDEXES = {
    "ix_sessionkit_journal_tenant_at_seq_id": ["tenant", "at", "seq", "id"],
    "ix_sessionkit_journal_tenant_actor_at_seq_id": ["tenant", "actor", "at", "seq", "id"],
}


def _retype_actor(exact: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name not in ("mysql", "mariadb"):
        return  # PostgreSQL's deterministic default and SQLite's BINARY compare exactly already
    preparer = bind.dialect.identifier_preparer
    # A plain String names no collation: the column takes its table's default again.
    kind = key_type(255) if exact else sa.String(255)
    compiled = kind.compile(dialect=bind.dialect)
    op.execute(f"ALTER TABLE {preparer.quote(_TABLE)} MODIFY actor {compiled} NULL")


def upgrade() -> None:
    """Make ``actor`` exact on MySQL/MariaDB, then index the tenant's and an actor's journal."""
    _retype_actor(exact=True)
    made = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes(_TABLE)}
    for name, columns in _INDEXES.items():
        if name not in made:  # by a run stopped midway (MySQL commits each statement)
            op.create_index(name, _TABLE, columns)


def downgrade() -> None:
    """Drop the two indexes and give ``actor`` back its table's default collation."""
    for name in _INDEXES:
        op.drop_index(name, table_name=_TABLE)
    _retype_actor(exact=False)
