"""One journalled table type for every kind: rows per tenant by id, indexes kept in step.

A :class:`Table` holds the records of one kind; its indexes (one
:class:`UniqueIndex` per unique key of the kind, plus whatever a specialised
repository asks for) are told of every insert and removal, so they never
drift from the rows. Writes go through the store-wide :class:`Journal`, which
remembers how to undo each one, so a unit of work rolls back every table as
a whole. None of this is thread-safe by itself: the store's lock guards it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from sessionkit.ports import Kind, Record, UniqueKey

__all__ = ["Index", "Journal", "ReferenceIndex", "Table", "UniqueIndex"]

R = TypeVar("R", bound=Record)
R_contra = TypeVar("R_contra", bound=Record, contravariant=True)

_NO_ROWS: Mapping[str, Any] = {}


class Index(Protocol[R_contra]):
    """A secondary index over one table, told of every row inserted and removed."""

    def insert(self, row: R_contra) -> None:
        """Index a row that was just stored."""
        ...

    def remove(self, row: R_contra) -> None:
        """Forget a row that was just dropped."""
        ...


class UniqueIndex(Generic[R]):
    """Who holds each value of one unique key, per tenant.

    As with SQL NULLs, a row with ``None`` in any of the key's fields is not
    indexed and never collides.
    """

    def __init__(self, key: UniqueKey) -> None:
        self.key = key
        self._owners: dict[tuple[str, tuple[Any, ...]], str] = {}

    def lookup(self, tenant: str, value: tuple[Any, ...]) -> str | None:
        """Return the id of the row of ``tenant`` holding ``value``, or ``None``."""
        return self._owners.get((tenant, value))

    def owner(self, row: R) -> str | None:
        """Return the id of the row holding ``row``'s value of the key (maybe ``row`` itself)."""
        value = self.key.value(row)
        return None if value is None else self._owners.get((row.tenant, value))

    def insert(self, row: R) -> None:
        """Index a row that was just stored."""
        value = self.key.value(row)
        if value is not None:
            self._owners[(row.tenant, value)] = row.id

    def remove(self, row: R) -> None:
        """Forget a row that was just dropped."""
        value = self.key.value(row)
        if value is not None:
            del self._owners[(row.tenant, value)]

    def snapshot(self) -> dict[tuple[str, tuple[Any, ...]], str]:
        """Return a copy of the index, for tests that compare states."""
        return dict(self._owners)


class ReferenceIndex(Generic[R]):
    """Which rows point at each parent id through one field (a session's ``series_id``), per tenant."""  # noqa: E501

    def __init__(self, field: str) -> None:
        self.field = field
        self._children: dict[tuple[str, Any], set[str]] = {}

    def count(self, tenant: str, parent_id: object) -> int:
        """Return how many rows of ``tenant`` point at ``parent_id``."""
        return len(self._children.get((tenant, parent_id), ()))

    def insert(self, row: R) -> None:
        """Index a row that was just stored."""
        parent = getattr(row, self.field)
        if parent is not None:
            self._children.setdefault((row.tenant, parent), set()).add(row.id)

    def remove(self, row: R) -> None:
        """Forget a row that was just dropped."""
        parent = getattr(row, self.field)
        if parent is not None:
            key = (row.tenant, parent)
            children = self._children[key]
            children.discard(row.id)
            if not children:
                del self._children[key]


class Table(Generic[R]):
    """The records of one kind, of every tenant, with their indexes.

    ``unique`` holds a :class:`UniqueIndex` per unique key of the kind, by key
    name; ``references`` a :class:`ReferenceIndex` per parent field of the
    kind, by field; ``named`` the specialised indexes a repository asked for,
    by name.

    ``insert`` and ``remove`` keep every index in step and are not journalled
    (the :class:`Journal` calls them); they trust the caller, which checks ids
    and unique keys first.
    """

    def __init__(self, kind: Kind[Any], indexes: Mapping[str, Index[R]] | None = None) -> None:
        self.kind = kind
        self.rows: dict[str, dict[str, R]] = {}
        self.unique: dict[str, UniqueIndex[R]] = {key.name: UniqueIndex(key) for key in kind.unique}
        self.references: dict[str, ReferenceIndex[R]] = {
            field: ReferenceIndex(field) for field in kind.parents
        }
        self.named: dict[str, Index[R]] = dict(indexes or {})
        self.indexes: tuple[Index[R], ...] = (
            *self.unique.values(),
            *self.references.values(),
            *self.named.values(),
        )

    def get(self, tenant: str, record_id: str) -> R | None:
        """Return the stored record or ``None``."""
        return self.rows.get(tenant, _NO_ROWS).get(record_id)

    def of(self, tenant: str) -> Mapping[str, R]:
        """Return the records of ``tenant`` by id (read-only; empty if none)."""
        return self.rows.get(tenant, _NO_ROWS)

    def insert(self, row: R) -> None:
        """Store a row whose id is free and index it."""
        self.rows.setdefault(row.tenant, {})[row.id] = row
        for index in self.indexes:
            index.insert(row)

    def remove(self, row: R) -> None:
        """Drop a stored row and its index entries."""
        rows = self.rows[row.tenant]
        del rows[row.id]
        if not rows:
            del self.rows[row.tenant]
        for index in self.indexes:
            index.remove(row)


class Journal:
    """Applies changes to tables and remembers how to undo them, newest last.

    One journal serves every table of a unit of work, so :meth:`undo_to`
    takes back the writes to all of them in reverse order.
    """

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def mark(self) -> int:
        """Return a savepoint for :meth:`undo_to`."""
        return len(self._undo)

    def undo_to(self, mark: int) -> None:
        """Undo every change made since ``mark``, newest first."""
        while len(self._undo) > mark:
            self._undo.pop()()

    def forget(self) -> None:
        """Keep every change made so far (the commit)."""
        self._undo.clear()

    def insert(self, table: Table[R], row: R) -> None:
        """Store a new row."""
        table.insert(row)
        self._undo.append(lambda: table.remove(row))

    def replace(self, table: Table[R], old: R, new: R) -> None:
        """Replace a stored row by a new state of it (same tenant and id)."""
        table.remove(old)
        table.insert(new)

        def undo() -> None:
            table.remove(new)
            table.insert(old)

        self._undo.append(undo)

    def remove(self, table: Table[R], row: R) -> None:
        """Delete a stored row."""
        table.remove(row)
        self._undo.append(lambda: table.insert(row))
