"""The generic SQL repository: get / get_many / add / add_many / update / delete for any kind.

:class:`SqlRepository` works from a kind's :class:`~._kind.SqlKind`: a fixed
number of statements per call (``IN`` lists are split into chunks only for the
drivers' parameter limits), every write in a SAVEPOINT
(:func:`~._versioned.savepoint`), versions checked in the ``UPDATE``/``DELETE``
itself. When the database refuses a write, :meth:`SqlRepository._refused`
finds out why with a few queries and raises the kind's own error with the
stored record loaded: a taken id or unique key (``kind.taken``), a missing
parent (the parent kind's ``NotFound``); never a driver error.

Subclasses add a kind's own reads and checks through the hooks
``_check_batch``, ``_before_insert``, ``_before_children`` and ``_explain``.

This module keeps the writes, their hooks and the refusals; the reads (``get``,
``get_many``, ``claim`` and the loading of rows with their children) are
:class:`~._repository_reads.SqlRepositoryReads`', the class's base, kept apart
by the style's size limit.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from functools import partial
from typing import Any, Literal, NoReturn, TypeVar

import attrs
from sqlalchemy import and_, case, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy._inserts import insert_rows
from sessionkit.adapters.sqlalchemy._kind import known_kinds, registered
from sessionkit.adapters.sqlalchemy._query import CHUNK, chunks
from sessionkit.adapters.sqlalchemy._repository_reads import SqlRepositoryReads
from sessionkit.adapters.sqlalchemy._versioned import (
    delete_versioned,
    savepoint,
    update_versioned,
)
from sessionkit.errors import StillReferenced
from sessionkit.ports import Record, UniqueKey

__all__ = ["SqlRepository", "constraint_named"]

R = TypeVar("R", bound=Record)

_MYSQL_KEY = re.compile(r"for key '(?:[^'.]*\.)?([^'.]+)'")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([^\n]+)")
_WRITTEN_TABLE = re.compile(
    r"\s*(?:INSERT\s+INTO|UPDATE)\s+(?:\S+\.)?[`\"]?(\w+)[`\"]?[\s(]", re.IGNORECASE
)


def constraint_named(error: IntegrityError) -> str | None:
    """Return the constraint the database names in ``error``, if it names one.

    PostgreSQL reports it in the diagnostics, MySQL/MariaDB in the message
    ("Duplicate entry ... for key 'name'"); SQLite names the columns only.
    """
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if isinstance(name, str):
        return name
    found = _MYSQL_KEY.search(str(error.orig))
    return found.group(1) if found else None


class SqlRepository(SqlRepositoryReads[R]):
    """The :class:`~sessionkit.ports.Repository` of one kind, over the table ``sql`` describes."""

    # ------------------------------------------------------------------ writes

    def add(self, record: R) -> None:
        """Store a new record; raise the kind's ``Duplicate`` for a taken id or unique key."""
        self.add_many([record])

    def add_many(self, records: Sequence[R]) -> None:
        """Store new records in bulk, all or none; same errors as :meth:`add`.

        One multi-row ``executemany`` per table. Repeats inside the batch are
        refused before anything is written; against stored records the
        database's constraints decide.
        """
        batch = list(records)
        if not batch:
            return
        self._check_batch(batch)
        db = self._unit.db()
        with savepoint(db, partial(self._refused, db, batch, False)):
            self._before_insert(db, batch)
            instants: dict[type, dict[Any, Any]] = {}  # converted once for all the tables
            insert_rows(db, self.table, [self.sql.values(r) for r in batch], instants)
            for child in self.sql.children:
                rows = [row for r in batch for row in child.values(r)]
                if rows:
                    insert_rows(db, child.table, rows, instants)

    def update(self, record: R, *, expected_version: int) -> R:
        """Replace the stored record, returning it with ``version + 1``.

        Raises the kind's ``NotFound``, ``ConcurrentModification`` (the
        ``UPDATE ... WHERE version = :expected`` matched nothing) or the kind's
        ``Duplicate`` (a unique key taken by another record).
        """
        new: R = attrs.evolve(record, version=expected_version + 1)  # type: ignore[misc]  # records are attrs classes (Record is a protocol)
        tenant, record_id = new.tenant, new.id
        db = self._unit.db()
        with savepoint(db, partial(self._refused, db, [new], True)):
            update_versioned(
                db,
                self.table,
                self.sql.values(new),
                tenant=tenant,
                record_id=record_id,
                expected=expected_version,
                not_found=partial(self.kind.missing, record_id, tenant),
            )
            self._before_children(db, new)
            for child in self.sql.children:
                rows_of = child.table
                owned = rows_of.c[child.parent_column] == record_id
                db.execute(delete(rows_of).where(rows_of.c.tenant == tenant, owned))
                rows = child.values(new)
                if rows:
                    db.execute(insert(rows_of), rows)
        return new

    def delete(self, tenant: str, record_id: str, *, expected_version: int) -> None:
        """Delete the record; raise ``NotFound``, ``ConcurrentModification`` or ``StillReferenced``.

        ``StillReferenced`` names the kinds whose rows' foreign keys point at it.
        """
        db = self._unit.db()
        with savepoint(db, partial(self._still_referenced, db, tenant, record_id)):
            delete_versioned(
                db,
                self.table,
                [(child.table, child.parent_column) for child in self.sql.children],
                tenant=tenant,
                record_id=record_id,
                expected=expected_version,
                not_found=partial(self.kind.missing, record_id, tenant),
            )

    # ------------------------------------------------------------------ hooks

    def _check_batch(self, batch: Sequence[R]) -> None:
        """Refuse a batch that repeats an id or a unique key value (no database needed)."""
        kind = self.kind
        by_id: dict[tuple[str, str], R] = {}
        firsts: list[dict[tuple[str, Hashable], R]] = [{} for _ in kind.unique]
        for record in batch:
            tenant, record_id = record.tenant, record.id
            first = by_id.setdefault((tenant, record_id), record)
            if first is not record:
                raise kind.taken(record, None, first)
            for key, seen in zip(kind.unique, firsts, strict=True):
                value = key.value(record)
                if value is not None:
                    owner = seen.setdefault((tenant, value), record)
                    if owner is not record:
                        raise kind.taken(record, key, owner)

    def _before_insert(self, db: Db, batch: Sequence[R]) -> None:
        """Run checks or take locks before ``batch`` is inserted (inside its savepoint)."""

    def _before_children(self, db: Db, new: R) -> None:
        """Run checks or take locks after ``new``'s row is updated, before its child rows."""

    def _explain(self, db: Db, tenant: str, mine: Sequence[R], error: IntegrityError) -> None:
        """Raise the kind's own error for a refusal not caused by an id, key or parent."""

    # ------------------------------------------------------------------ refusals

    def _refused(
        self, db: Db, batch: Sequence[R], updating: bool, error: IntegrityError
    ) -> NoReturn:
        """Raise the kind's error behind a refused write (the savepoint is rolled back).

        Looks, per tenant, for: a stored record with a new record's id (not
        when ``updating``), a stored record holding one of its unique keys
        (the key the database named first), the kind's own causes
        (:meth:`_explain`), a missing parent. A refusal the database pins on a
        unique key or the primary key whose holder none of these finds (two
        records of the batch that its collation calls equal and Python does
        not) is still the kind's ``Duplicate``, for the first record of the
        batch that holds the key and with no stored record. Re-raises
        ``error`` if nothing explains it.
        """
        kind = self.kind
        named = constraint_named(error)
        keys = sorted(kind.unique, key=lambda k: self.sql.unique[k.name] != named)
        for tenant in sorted({r.tenant for r in batch}):
            mine = [r for r in batch if r.tenant == tenant]
            if not updating:
                owners = self._owners(db, tenant, None, mine)
                if owners:
                    first = min(owners)
                    raise kind.taken(mine[first], None, owners[first]) from error
            for key in keys:
                owners = self._owners(db, tenant, key, mine)
                if owners:
                    first = min(owners)
                    raise kind.taken(mine[first], key, owners[first]) from error
            self._explain(db, tenant, mine, error)
            self._missing_parents(db, tenant, mine, error)
        refused = self._refused_by(error, named)
        if refused is not None:
            taken = None if isinstance(refused, str) else refused  # None: the id
            holder = next((r for r in batch if taken is None or taken.value(r) is not None), None)
            if holder is not None:
                raise kind.taken(holder, taken, None) from error
        raise error

    def _refused_by(
        self, error: IntegrityError, named: str | None
    ) -> UniqueKey | Literal["id"] | None:
        """Return the unique key (or ``"id"``) whose constraint refused, if the database says.

        PostgreSQL and MySQL/MariaDB name the constraint (the primary key is
        ``<table>_pkey`` or ``PRIMARY`` unless the table names it); SQLite
        lists its columns ("UNIQUE constraint failed: t.tenant, t.name").
        """
        table = self.table
        if named is None:
            found = _SQLITE_UNIQUE.search(str(error.orig))
            if found is None:
                return None
            named_columns = [part.strip().rpartition(".") for part in found.group(1).split(",")]
            if any(of != table.name for of, _, _ in named_columns):
                return None  # a child table's
            columns = {column for _, _, column in named_columns}
            if columns == {str(c.name) for c in table.primary_key.columns}:
                return "id"
            for key in self.kind.unique:
                if columns == {str(c.name) for c in self.sql.unique_columns(key.name)}:
                    return key
            return None
        if named in {table.primary_key.name, f"{table.name}_pkey"}:
            return "id"
        if named == "PRIMARY":  # MySQL/MariaDB name every table's primary key so
            into = _WRITTEN_TABLE.match(str(error.statement or ""))
            return "id" if into is not None and into.group(1) == table.name else None
        for key in self.kind.unique:
            if self.sql.unique[key.name] == named:
                return key
        return None

    def _owners(
        self, db: Db, tenant: str, key: UniqueKey | None, records: Sequence[R]
    ) -> dict[int, R]:
        """Return the stored records holding ``key`` values (``None``: ids) of ``records``.

        By position in ``records``. The database compares the values, with
        the columns' own collation, as the constraint does: under MariaDB's
        ``utf8mb4_bin`` (``PAD SPACE``) a stored ``"Lab"`` holds ``"Lab "``,
        under a ``_ci`` collation ``"lab"`` too, though Python calls them
        different. Each stored row answers, in a ``CASE``, the first record
        (in ``records``' order) it equals. For a unique key, a record's own
        row is not its owner (an update keeps its key).
        """
        table = self.table
        if key is None:
            columns = [table.c.id]
            wanted = {(r.id,): p for p, r in reversed(list(enumerate(records)))}
        else:
            columns = [c for c in self.sql.unique_columns(key.name) if c.name != "tenant"]
            wanted = {}  # column values -> the first record holding them
            for position, record in enumerate(records):
                if key.value(record) is not None:
                    row = self.sql.values(record)
                    wanted.setdefault(tuple(row[c.name] for c in columns), position)
        values = list(wanted.items())
        holders: dict[str, int] = {}  # a stored record's id -> the first record it holds
        size = max(1, CHUNK // (2 * len(columns) + 1))  # each value in the CASE and the OR
        for begin in range(0, len(values), size):
            part = values[begin : begin + size]
            tests = [
                and_(*(c == v for c, v in zip(columns, value, strict=True))) for value, _ in part
            ]
            first = case(
                *((test, position) for test, (_, position) in zip(tests, part, strict=True))
            )
            statement = select(table.c.id, first).where(table.c.tenant == tenant, or_(*tests))
            for stored_id, position in db.connection().execute(statement):
                if key is None or stored_id != records[position].id:
                    holders[stored_id] = min(position, holders.get(stored_id, position))
        stored = self._fetch(db, tenant, sorted(holders))
        owners: dict[int, R] = {}
        for stored_id, position in sorted(holders.items()):
            if stored_id in stored:  # else deleted since: no owner to show
                owners.setdefault(position, stored[stored_id])
        return owners

    def _still_referenced(
        self, db: Db, tenant: str, record_id: str, error: IntegrityError
    ) -> NoReturn:
        """Raise ``StillReferenced`` naming the kinds whose rows point at the record."""
        counts: dict[str, int] = {}
        for name in known_kinds():
            found = registered(name)
            assert found is not None
            child_kind, child = found
            for column, parent in child.parents.items():
                if parent.name != self.kind.name:
                    continue
                table = child.table
                count = db.scalar(
                    select(func.count())
                    .select_from(table)
                    .where(table.c.tenant == tenant, table.c[column] == record_id)
                )
                if count:
                    counts[child_kind.name] = counts.get(child_kind.name, 0) + count
        if counts:
            raise StillReferenced(self.kind.name, record_id, tenant, counts) from error
        raise error

    def _missing_parents(
        self, db: Db, tenant: str, mine: Sequence[R], error: IntegrityError
    ) -> None:
        for column, parent in self.sql.parents.items():
            ids = sorted({v for v in (self.sql.values(r)[column] for r in mine) if v is not None})
            if not ids:
                continue
            referred = {e.parent.name: e.column for e in self.sql.parent_key(column).elements}
            parent_id, parent_tenant = referred[column], referred["tenant"]
            known: set[Any] = set()
            for chunk in chunks(ids):
                known.update(
                    db.scalars(
                        select(parent_id).where(parent_tenant == tenant, parent_id.in_(chunk))
                    )
                )
            for missing in ids:
                if missing not in known:
                    raise parent.missing(missing, tenant) from error
