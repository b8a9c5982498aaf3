"""Exact keys on MySQL/MariaDB: tenants, ids, resources, participants and keys stop padding.

Revision ID: 0007_exact_keys
Revises: 0006_bookings
Create Date: 2026-12-06

Migrations 0001 to 0006 made every key column ``utf8mb4_bin`` on MySQL and
MariaDB. That collation is ``PAD SPACE``: it ignores trailing spaces, so tenant
``"acme "`` read, changed and deleted tenant ``"acme"``'s sessions, and its
sessions took ``"acme"``'s rooms. This revision gives those columns the binary
collation that does not pad: ``utf8mb4_nopad_bin`` on MariaDB,
``utf8mb4_0900_bin`` on MySQL 8 (see ``_types.exact_collation``). PostgreSQL
(``COLLATE "C"``) and SQLite (``BINARY``) compared exactly already: nothing
changes there.

MySQL will not change the collation of a column a foreign key uses, so the
four foreign keys are dropped, the columns changed (one ``ALTER TABLE`` per
table) and the foreign keys added again, which checks them. Before touching
anything the upgrade looks for rows that only matched their parent by padding
(a tenant ``"acme "`` session of tenant ``"acme"``'s series, say) and stops,
naming the table and how many, if there are any: which of the two was meant
is for a person to decide. Each ``ALTER TABLE`` commits on its own there: a
run stopped midway (foreign keys dropped, some tables changed) is finished by
running it again, which drops only the foreign keys still there and states each
column's whole type. The downgrade restores ``utf8mb4_bin``; it stops
first, naming the table and key, if two rows' keys now differ only by
trailing spaces, as each ``ALTER TABLE`` commits on its own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessionkit.adapters.sqlalchemy._types import (
    KEY_LENGTH,
    exact_collation,
    key_type,
    pad_space_key_type,
)

revision = "0007_exact_keys"
down_revision = "0006_bookings"
branch_labels = None
depends_on = None

# (table, [(column, length, nullable)]) for every key column, parents before children.
_KEYS: list[tuple[str, list[tuple[str, int, bool]]]] = [
    (
        "sessionkit_series",
        [("tenant", KEY_LENGTH, False), ("id", KEY_LENGTH, False), ("group_key", KEY_LENGTH, True)],
    ),
    (
        "sessionkit_schedule_items",
        [
            ("tenant", KEY_LENGTH, False),
            ("series_id", KEY_LENGTH, False),
            ("id", KEY_LENGTH, False),
        ],
    ),
    (
        "sessionkit_sessions",
        [
            ("tenant", KEY_LENGTH, False),
            ("id", KEY_LENGTH, False),
            ("series_id", KEY_LENGTH, True),
            ("schedule_item_id", KEY_LENGTH, True),
            ("group_key", KEY_LENGTH, True),
        ],
    ),
    (
        "sessionkit_session_resources",
        [
            ("tenant", KEY_LENGTH, False),
            ("session_id", KEY_LENGTH, False),
            ("resource", 255, False),
        ],
    ),
    (
        "sessionkit_bookings",
        [
            ("tenant", KEY_LENGTH, False),
            ("id", KEY_LENGTH, False),
            ("session_id", KEY_LENGTH, False),
            ("participant_kind", 255, False),
            ("participant_id", 255, False),
            ("idempotency_key", 255, True),
        ],
    ),
]

# (name, child table, child columns, parent table, ondelete); parents are keyed (tenant, id).
_FOREIGN_KEYS: list[tuple[str, str, tuple[str, str], str, str | None]] = [
    (
        "fk_sessionkit_schedule_items_sessionkit_series",
        "sessionkit_schedule_items",
        ("tenant", "series_id"),
        "sessionkit_series",
        "CASCADE",
    ),
    (
        "fk_sessionkit_sessions_sessionkit_series",
        "sessionkit_sessions",
        ("tenant", "series_id"),
        "sessionkit_series",
        None,
    ),
    (
        "fk_sessionkit_session_resources_sessionkit_sessions",
        "sessionkit_session_resources",
        ("tenant", "session_id"),
        "sessionkit_sessions",
        "CASCADE",
    ),
    (
        "fk_sessionkit_bookings_sessionkit_sessions",
        "sessionkit_bookings",
        ("tenant", "session_id"),
        "sessionkit_sessions",
        None,
    ),
]


def _check_no_padded_matches(bind: sa.Connection, collation: str) -> None:
    found: list[str] = []
    for _name, child_name, (tenant, parent_id), parent_name, _ondelete in _FOREIGN_KEYS:
        child = sa.table(child_name, sa.column(tenant), sa.column(parent_id))
        parent = sa.table(parent_name, sa.column("tenant"), sa.column("id"))
        exact_parent = sa.exists().where(
            parent.c.tenant == child.c[tenant].collate(collation),
            parent.c.id == child.c[parent_id].collate(collation),
        )
        count = bind.execute(
            sa.select(sa.func.count())
            .select_from(child)
            .where(child.c[parent_id].is_not(None), ~exact_parent)
        ).scalar_one()
        if count:
            found.append(f"{count} row(s) of {child_name} ({tenant}, {parent_id})")
    if found:
        raise RuntimeError(
            "0007_exact_keys makes keys compare exactly, but "
            + "; ".join(found)
            + " only match their parent row when trailing spaces are ignored (written under a "
            "look-alike tenant or id before this migration). Correct or delete them, then "
            "upgrade again; nothing was changed."
        )


def _check_no_padded_twins(bind: sa.Connection) -> None:
    """Stop the downgrade, changing nothing, if padding would make two rows' keys equal.

    Each ``ALTER TABLE`` commits on its own on MySQL/MariaDB: found at the
    sessions table, a duplicate left the foreign keys dropped and the tables
    before it converted, at a revision that still said 0007.
    """
    inspector = sa.inspect(bind)
    retyped = {table: {column for column, _length, _null in columns} for table, columns in _KEYS}
    found: list[str] = []
    for table, columns in retyped.items():
        uniques: list[list[str | None]] = [
            list(inspector.get_pk_constraint(table)["constrained_columns"])
        ]
        uniques += [list(u["column_names"]) for u in inspector.get_unique_constraints(table)]
        uniques += [list(i["column_names"]) for i in inspector.get_indexes(table) if i["unique"]]
        keys = {tuple(name for name in key if name is not None) for key in uniques}
        for names in sorted(keys):
            if not columns.intersection(names):
                continue
            rows = sa.table(table, *(sa.column(name) for name in names))
            padded = [
                rows.c[name].collate("utf8mb4_bin") if name in columns else rows.c[name]
                for name in names
            ]
            # A unique key takes any number of rows with a NULL in it: they are no twins.
            twins = (
                sa.select(sa.literal(1))
                .select_from(rows)
                .where(*(rows.c[name].is_not(None) for name in names))
                .group_by(*padded)
                .having(sa.func.count() > 1)
                .subquery()
            )
            count = bind.execute(sa.select(sa.func.count()).select_from(twins)).scalar_one()
            if count:
                found.append(f"{count} key(s) of {table} ({', '.join(names)})")
    if found:
        raise RuntimeError(
            "0007_exact_keys cannot be downgraded: under utf8mb4_bin, which ignores trailing "
            "spaces, "
            + "; ".join(found)
            + " would be shared by rows whose keys differ only by trailing spaces (written "
            "since this migration). Correct or delete them, then downgrade again; nothing was "
            "changed."
        )


def _retype(bind: sa.Connection, exact: bool) -> None:
    preparer = bind.dialect.identifier_preparer
    for table, columns in _KEYS:
        changes = []
        for column, length, nullable in columns:
            kind = key_type(length) if exact else pad_space_key_type(length)
            compiled = kind.compile(dialect=bind.dialect)
            null = "NULL" if nullable else "NOT NULL"
            changes.append(f"MODIFY {preparer.quote(column)} {compiled} {null}")
        op.execute(f"ALTER TABLE {preparer.quote(table)} " + ", ".join(changes))


def _convert(exact: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name not in ("mysql", "mariadb"):
        return  # COLLATE "C" (PostgreSQL) and BINARY (SQLite) compare exactly already
    if exact:
        _check_no_padded_matches(bind, exact_collation(bind.dialect) or "utf8mb4_nopad_bin")
    else:
        _check_no_padded_twins(bind)
    inspector = sa.inspect(bind)
    for name, child, _columns, _parent, _ondelete in _FOREIGN_KEYS:
        # Each ALTER TABLE commits on its own: a run stopped midway dropped some already, and
        # dropping one again failed (1091), so the run could never be finished.
        if name in {key["name"] for key in inspector.get_foreign_keys(child)}:
            op.drop_constraint(name, child, type_="foreignkey")
    _retype(bind, exact)
    for name, child, columns, parent, ondelete in _FOREIGN_KEYS:
        op.create_foreign_key(
            name, child, parent, list(columns), ["tenant", "id"], ondelete=ondelete
        )


def upgrade() -> None:
    """Give MySQL/MariaDB key columns the exact, no-pad binary collation."""
    _convert(exact=True)


def downgrade() -> None:
    """Give them back ``utf8mb4_bin`` (fails if two keys differ only by trailing spaces)."""
    _convert(exact=False)
