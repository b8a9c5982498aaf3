"""Title search folds case in Python: ``title_folded`` on sessions, filled for existing rows.

Revision ID: 0008_title_search
Revises: 0007_exact_keys
Create Date: 2026-12-06

Search compared ``lower(title)`` in the database with the needle lowered in
Python. The two disagree beyond ASCII: PostgreSQL and MariaDB lower "İ" to
"i" (Python: "i" and a combining dot), lower a word's last "Σ" to the medial
sigma (Python: the final one), and MariaDB keeps "ẞ", so searching
"İstanbul", "ΣΊΣΥΦΟΣ" or "ẞ-Straße" did not find those very titles. Sessions
now carry ``title_folded``, the title's ``str.casefold()`` written with it,
and search compares it with the folded needle, as the in-memory store does.
The column is text with the exact collation (``_types.ExactText``), so MySQL
folds no accents on top.

Existing rows are filled here, in Python, a thousand at a time. On
MySQL/MariaDB the ``ALTER TABLE`` commits on its own before the fill: a run
stopped during the fill is finished by running it again, which keeps the
column and fills the rows still without it. The column stays nullable: a
row written around sessionkit without it is never found by search (see
``docs/sqlalchemy.md``). The downgrade drops it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import ExactText

revision = "0008_title_search"
down_revision = "0007_exact_keys"
branch_labels = None
depends_on = None

_SESSIONS = "sessionkit_sessions"
_BATCH = 1000


def upgrade() -> None:
    """Add ``title_folded`` and fill it with each title's ``casefold()``."""
    bind = op.get_bind()
    made = {column["name"] for column in sa.inspect(bind).get_columns(_SESSIONS)}
    if "title_folded" not in made:  # by a run stopped during the fill (MySQL commits DDL)
        op.add_column(_SESSIONS, sa.Column("title_folded", ExactText, nullable=True))
    sessions = sa.table(
        _SESSIONS,
        sa.column("tenant", sa.String()),
        sa.column("id", sa.String()),
        sa.column("title", sa.String()),
        sa.column("title_folded", sa.String()),
    )
    pending = (
        sa.select(sessions.c.tenant, sessions.c.id, sessions.c.title)
        .where(sessions.c.title_folded.is_(None))
        .order_by(sessions.c.tenant, sessions.c.id)
        .limit(_BATCH)
    )
    fill = (
        sessions.update()
        .where(sessions.c.tenant == sa.bindparam("t"), sessions.c.id == sa.bindparam("i"))
        .values(title_folded=sa.bindparam("folded"))
    )
    while rows := bind.execute(pending).all():
        bind.execute(
            fill,
            [{"t": tenant, "i": id_, "folded": title.casefold()} for tenant, id_, title in rows],
        )


def downgrade() -> None:
    """Drop ``title_folded`` (search goes back to the database's ``lower()``)."""
    op.drop_column(_SESSIONS, "title_folded")
