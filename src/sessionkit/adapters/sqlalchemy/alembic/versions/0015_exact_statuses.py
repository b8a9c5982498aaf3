"""Exact statuses on MySQL/MariaDB: sessions' and series' status and lifecycle stop folding case.

Revision ID: 0015_exact_statuses
Revises: 0014_journal
Create Date: 2026-12-04

The ``status`` and ``lifecycle`` columns of ``sessionkit_sessions`` and
``sessionkit_series`` were plain text, of their table's default collation.
On a MySQL/MariaDB database made with ``CHARACTER SET utf8mb4`` and no
``COLLATE``, that is the server's default, which folds case
(``utf8mb4_general_ci``, ``utf8mb4_uca1400_ai_ci``, ``utf8mb4_0900_ai_ci``):
``SessionQuery(statuses=["COMPLETED"])``, the analytics scopes built on one,
the tick's due sessions and the bookable listing's closed statuses matched a
host lifecycle's ``Completed`` too, and lifecycle ``Consulting`` was
``consulting``, as in no other store. This revision gives the four columns the
key columns' exact collation: ``utf8mb4_nopad_bin`` on MariaDB,
``utf8mb4_0900_bin`` on MySQL 8 (see ``_types.exact_collation``). PostgreSQL
(a database's default collation is deterministic: text is equal only when its
bytes are) and SQLite (``BINARY``) compared them exactly already: nothing
changes there.

No primary key, unique key or foreign key holds these columns, so no two rows
can come to clash either way and nothing is checked first: one ``ALTER
TABLE`` per table, the values kept as they are (``utf8mb4`` before and after).
The server rebuilds the status indexes, and may copy the table: on a large
one, run it when writes are few. Each ``ALTER TABLE`` commits on its own and
states the columns' whole type, so a run stopped between the two is finished
by running it again. The downgrade gives the columns back their table's
default collation, as migration 0001 made them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import key_type

revision = "0015_exact_statuses"
down_revision = "0014_journal"
branch_labels = None
depends_on = None

# (table, [(column, length)]): every one NOT NULL, in the order 0001 created them.
_COLUMNS: list[tuple[str, list[tuple[str, int]]]] = [
    ("sessionkit_series", [("lifecycle", 64), ("status", 16)]),
    ("sessionkit_sessions", [("status", 64), ("lifecycle", 64)]),
]


def _retype(exact: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name not in ("mysql", "mariadb"):
        return  # PostgreSQL's deterministic default and SQLite's BINARY compare exactly already
    preparer = bind.dialect.identifier_preparer
    for table, columns in _COLUMNS:
        changes = []
        for column, length in columns:
            # A plain String names no collation: the column takes its table's default again.
            kind = key_type(length) if exact else sa.String(length)
            compiled = kind.compile(dialect=bind.dialect)
            changes.append(f"MODIFY {preparer.quote(column)} {compiled} NOT NULL")
        op.execute(f"ALTER TABLE {preparer.quote(table)} " + ", ".join(changes))


def upgrade() -> None:
    """Give MySQL/MariaDB status and lifecycle columns the exact, no-pad binary collation."""
    _retype(exact=True)


def downgrade() -> None:
    """Give them back their table's default collation."""
    _retype(exact=False)
