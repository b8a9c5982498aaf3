"""The reads of the generic SQL repository: get, get_many, claim; rows loaded with their children.

:class:`SqlRepositoryReads` is the base of
:class:`~sessionkit.adapters.sqlalchemy._repository.SqlRepository`: it holds
the kind, its :class:`~._kind.SqlKind` and the unit of work, and reads records
back, a row with its child tables' rows, each child query checking the versions
it saw against the rows' (a writer committing between two statements reads
everything again). The writes, their hooks and the refusals are
``_repository``'s; kept apart by the style's size limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, select

from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy._kind import SqlKind, SqlUnit
from sessionkit.adapters.sqlalchemy._query import chunks
from sessionkit.errors import ConcurrentModification
from sessionkit.ports import Kind, Record

__all__ = ["SqlRepositoryReads"]

R = TypeVar("R", bound=Record)

_CONSISTENT_READS = 5
"""How many times a read is repeated while writers keep committing between its statements."""

_PARENT_TENANT, _PARENT_ID, _PARENT_VERSION = "_parent_tenant", "_parent_id", "_parent_version"


class SqlRepositoryReads(Generic[R]):
    """The reads of :class:`~sessionkit.adapters.sqlalchemy._repository.SqlRepository`."""

    def __init__(self, kind: Kind[Any], sql: SqlKind[R], unit: SqlUnit) -> None:
        self.kind = kind
        self.sql = sql
        self._unit = unit
        self.table = sql.table

    # ------------------------------------------------------------------ reads

    def get(self, tenant: str, record_id: str) -> R:
        """Return the record; raise the kind's ``NotFound`` (also for another tenant's id)."""
        found = self._fetch(self._unit.db(), tenant, [record_id])
        if record_id not in found:
            raise self.kind.missing(record_id, tenant)
        return found[record_id]

    def get_many(self, tenant: str, record_ids: Iterable[str]) -> list[R]:
        """Return the records that exist among ``record_ids``, in the order asked, each once."""
        wanted = list(dict.fromkeys(record_ids))
        found = self._fetch(self._unit.db(), tenant, wanted)
        return [found[i] for i in wanted if i in found]

    def claim(self, tenant: str, record_ids: Iterable[str]) -> list[R]:
        """Lock the records no other unit of work holds (``FOR UPDATE SKIP LOCKED``); by id.

        PostgreSQL and MySQL/MariaDB (8.0 / 10.6 and later) skip rows another
        transaction locked; SQLite has no row locks (the clause is dropped) and
        needs none: ``BEGIN IMMEDIATE`` gave this transaction the only write
        lock, so a second worker waits for the first's commit and then reads
        what it wrote. The records are read after their rows are locked, so
        they are the last committed versions.
        """
        table = self.table
        wanted = sorted(set(record_ids))
        db = self._unit.db()
        connection = db.connection()
        locked: list[str] = []
        for chunk in chunks(wanted):
            statement = (
                select(table.c.id)
                .where(table.c.tenant == tenant, table.c.id.in_(chunk))
                .order_by(table.c.id)
                .with_for_update(skip_locked=True)
            )
            locked.extend(connection.execute(statement).scalars())
        return sorted(self.get_many(tenant, locked), key=lambda record: record.id)

    def _fetch(self, db: Db, tenant: str, ids: Sequence[str]) -> dict[str, R]:
        """Return ``tenant``'s records among ``ids`` by id (one ``IN`` list per chunk)."""
        table = self.table
        found: dict[str, R] = {}
        for chunk in chunks(ids):
            conditions = [table.c.tenant == tenant, table.c.id.in_(chunk)]
            found.update((record.id, record) for record in self._load(db, conditions))
        return found

    def _load(
        self,
        db: Db,
        conditions: Sequence[ColumnElement[bool]],
        order_by: Sequence[Any] = (),
    ) -> list[R]:
        """Return the records whose rows match ``conditions``, by ``order_by`` (or id, tenant).

        One query for the rows, and one per loaded :class:`~._kind.ChildTable`.
        Under READ COMMITTED each statement sees the commits made before it,
        so a writer committing between them (a series replaced or deleted)
        would pair a row with another version's children, or with none. Each
        child query therefore also reads its parents' versions; a mismatch
        reads everything again (a few times, then ``ConcurrentModification``).
        """
        changed: tuple[str, int | None, int | None] = ("", None, None)
        for _ in range(_CONSISTENT_READS):
            loaded = self._load_once(db, conditions, order_by)
            if not isinstance(loaded, tuple):
                return loaded
            changed = loaded
        record_id, expected, actual = changed
        raise ConcurrentModification(record_id, -1 if expected is None else expected, actual)

    def _load_once(
        self,
        db: Db,
        conditions: Sequence[ColumnElement[bool]],
        order_by: Sequence[Any],
    ) -> list[R] | tuple[str, int | None, int | None]:
        """Return the records, or the first record a child query saw in another version.

        That is ``(id, version of its row, version the child query saw)``,
        ``None`` for a record missing from one of the two reads.
        """
        table = self.table
        order = list(order_by) or [table.c.id, table.c.tenant]
        connection = db.connection()
        statement = select(table).where(*conditions).order_by(*order)
        heads = list(connection.execute(statement).mappings())
        if not heads:
            return []
        versions = {(row["tenant"], row["id"]): row["version"] for row in heads}
        groups: list[dict[tuple[str, str], list[Any]]] = []
        for child in self.sql.children:
            if not child.load:
                continue
            rows_of = child.table
            parent = rows_of.c[child.parent_column]
            joined = (
                select(
                    table.c.tenant.label(_PARENT_TENANT),
                    table.c.id.label(_PARENT_ID),
                    table.c.version.label(_PARENT_VERSION),
                    rows_of,
                )
                .select_from(
                    table.outerjoin(
                        rows_of, (table.c.tenant == rows_of.c.tenant) & (table.c.id == parent)
                    )
                )
                .where(*conditions)
                .order_by(table.c.tenant, table.c.id, *(rows_of.c[n] for n in child.order_by))
            )
            rows: dict[tuple[str, str], list[Any]] = {}
            seen: dict[tuple[str, str], int] = {}
            for row in connection.execute(joined).mappings():
                owner = (row[_PARENT_TENANT], row[_PARENT_ID])
                seen[owner] = row[_PARENT_VERSION]
                if row[child.parent_column] is not None:  # None: the outer join found no rows
                    rows.setdefault(owner, []).append(row)
            if seen != versions:
                key = min(
                    k for k in versions.keys() | seen.keys() if seen.get(k) != versions.get(k)
                )
                return key[1], versions.get(key), seen.get(key)
            groups.append(rows)
        make = self.sql.from_row
        return [
            make(row, *(g.get((row["tenant"], row["id"]), []) for g in groups)) for row in heads
        ]
