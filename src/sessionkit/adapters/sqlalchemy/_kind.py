"""How a kind is stored in SQL: its table description (:class:`SqlKind`) and the registry.

A kind needs a table keyed by ``(tenant, id)`` with an integer ``version``
column, a function from record to row values and one from row (and child
rows) back to record, and a unique constraint per unique key of the kind.
One line makes it storable by every :class:`~.store.SqlAlchemyStore`::

    register(NOTES, SqlKind(notes_table, note_values, note_from_row,
                            unique={"title": "uq_notes_tenant_title"}))

Kinds that need more than the generic repository (queries, conflict checks)
name a subclass of :class:`~._repository.SqlRepository` as ``repository``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

import attrs
from sqlalchemy import Column, ForeignKeyConstraint, Table, UniqueConstraint
from sqlalchemy.engine import Connection

from sessionkit.adapters.sqlalchemy._backend import Backend
from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown
from sessionkit.ports import Kind, Record, check_kind

__all__ = [
    "ChildTable",
    "SqlKind",
    "SqlUnit",
    "known_kinds",
    "reader",
    "register",
    "register_reader",
    "registered",
]

R = TypeVar("R", bound=Record)


class SqlUnit(Protocol):
    """What a repository needs of its unit of work: its open session and the backend."""

    @property
    def backend(self) -> Backend:
        """How the database keeps double bookings out (locks, checks, text search)."""
        ...

    @property
    def joined(self) -> bool:
        """Whether the unit runs inside the host's transaction (its snapshot, its level)."""
        ...

    def db(self) -> Db:
        """Return the open session (a ``Db``); raise ``RuntimeError`` outside the ``with`` block."""
        ...

    def core(self) -> Connection:
        """Return the Core connection of the open transaction (``db().connection()``, cheaper)."""
        ...

    def refuse_stale_counts(self) -> None:
        """Raise ``InvalidValue`` if counts after a lock may miss commits (a host's level)."""
        ...


@attrs.frozen
class ChildTable:
    """Rows that belong to one record (a series' schedule items), written and deleted with it.

    ``values(record)`` returns the child rows; ``parent_column`` holds the
    record's id beside ``tenant``. With ``load`` the rows, in ``order_by``
    order, are passed to the kind's ``from_row`` after the record's row; a
    child table that only indexes the record (a session's resources) sets
    ``load=False``.
    """

    table: Table
    values: Callable[[Any], list[dict[str, Any]]]
    parent_column: str
    order_by: tuple[str, ...] = ()
    load: bool = True


@attrs.frozen(eq=False)
class SqlKind(Generic[R]):
    """The SQL description of one kind: its table, its row mapping, its constraints.

    - ``table``: keyed by ``(tenant, id)``, with an integer ``version``.
    - ``values(record)``: the row as a dict of column names (for ``insert`` and ``update``).
    - ``from_row(row, *children)``: the record back from its row (a mapping of
      column names) and, per loaded :class:`ChildTable`, the list of its rows.
    - ``unique``: the name of each of the kind's :class:`~sessionkit.ports.UniqueKey`
      mapped to the name of the table's unique constraint (or unique index)
      that enforces it, ``tenant`` among its columns.
    - ``children``: :class:`ChildTable` rows written, replaced and deleted with the record.
    - ``parents``: a foreign-key column mapped to the kind it references, so a
      missing parent is reported as that kind's ``NotFound``.
    - ``repository``: the repository class, ``SqlRepository`` or a subclass
      (``None``: the generic one).
    """

    table: Table
    values: Callable[[R], dict[str, Any]]
    from_row: Callable[..., R]
    unique: Mapping[str, str] = attrs.field(factory=dict)
    children: tuple[ChildTable, ...] = ()
    parents: Mapping[str, Kind[Any]] = attrs.field(factory=dict)
    repository: Callable[[Kind[Any], SqlKind[Any], SqlUnit], object] | None = None

    def unique_columns(self, key: str) -> list[Column[Any]]:
        """Return the columns of the unique constraint (or index) enforcing the key ``key``.

        Raises :class:`~sessionkit.errors.InvalidValue` when ``unique`` does
        not map ``key``, or maps it to a name the table has no unique
        constraint or index by.
        """
        if key not in self.unique:
            raise InvalidValue(
                f"unique key {shown(key)} is not mapped to a unique constraint of table "
                f"{shown(self.table.name)}; unique= maps {sorted(self.unique)}",
                value=key,
                expected=f"one of the mapped unique keys {sorted(self.unique)}",
            )
        name = self.unique[key]
        for constraint in self.table.constraints:
            if isinstance(constraint, UniqueConstraint) and constraint.name == name:
                return list(constraint.columns)
        for index in self.table.indexes:
            if index.unique and index.name == name:
                return [c for c in index.columns if isinstance(c, Column)]
        names = sorted(
            str(c.name)
            for c in self.table.constraints
            if isinstance(c, UniqueConstraint) and c.name
        ) + sorted(str(i.name) for i in self.table.indexes if i.unique and i.name)
        raise InvalidValue(
            f"table {shown(self.table.name)} has no unique constraint or index {shown(name)} "
            f"(mapped to the unique key {shown(key)}); it has {names or 'none'}",
            value=name,
            expected=f"the name of a unique constraint or index of {shown(self.table.name)}, "
            "tenant among its columns",
        )

    def parent_key(self, column: str) -> ForeignKeyConstraint:
        """Return the foreign key through ``column`` (a parent kind's id).

        Raises :class:`~sessionkit.errors.InvalidValue` when the table has none.
        """
        for foreign in self.table.foreign_key_constraints:
            if column in foreign.column_keys:
                return foreign
        parent = self.parents.get(column)
        of = "" if parent is None else f" to the table of kind {parent.name!r}"
        raise InvalidValue(
            f"table {shown(self.table.name)} has no foreign key through {shown(column)}; a parent "
            f"column needs one{of}, over (tenant, {column})",
            value=column,
            expected=f"a column of {shown(self.table.name)} in a foreign key to its parent's table",
        )


_KINDS: dict[str, tuple[Kind[Any], SqlKind[Any]]] = {}


def register(kind: Kind[Any], sql: SqlKind[Any]) -> None:
    """Store ``kind`` as ``sql`` describes, in every :class:`~.store.SqlAlchemyStore`.

    Checks the description against the kind: each of its unique keys needs a
    unique constraint on the table (else a race could store two records with
    one key), and each parent a foreign key. Registering a kind's name again
    replaces the earlier description.

    Raises :class:`~sessionkit.errors.InvalidValue` naming what does not fit
    (``value``: the missing columns, the unmapped or unknown unique keys, the
    missing constraint, the parent column without a foreign key) and what was
    expected; nothing is registered then.
    """
    check_kind(kind)
    columns = set(sql.table.c.keys())
    missing_columns = tuple(sorted({"tenant", "id", "version"} - columns))
    if missing_columns:
        raise InvalidValue(
            f"table {shown(sql.table.name)} lacks the columns {list(missing_columns)}; a kind's "
            "table is keyed by (tenant, id) and has an integer version",
            value=missing_columns,
            expected="the columns 'tenant', 'id' and 'version'",
        )
    wanted = {key.name for key in kind.unique}
    if set(sql.unique) != wanted:
        unmapped = tuple(sorted(wanted - set(sql.unique)))
        unknown = tuple(sorted(set(sql.unique) - wanted))
        problems = [f"{list(unmapped)} not mapped"] if unmapped else []
        problems += [f"{list(unknown)} not keys of the kind"] if unknown else []
        raise InvalidValue(
            f"kind {shown(kind.name)} has the unique keys {sorted(wanted)}; map each to a unique "
            f"constraint (or unique index) of {shown(sql.table.name)}: {', '.join(problems)}",
            value=unmapped or unknown,
            expected=f"unique= mapping exactly {sorted(wanted)} to constraint names",
        )
    for key in kind.unique:
        _check_constraint(sql, key.name, key.fields)
    for column in sql.parents:
        sql.parent_key(column)
    _KINDS[kind.name] = (kind, sql)


def _check_constraint(sql: SqlKind[Any], key: str, fields: tuple[str, ...]) -> None:
    """Refuse a unique constraint without ``tenant``, or on other columns than the key's fields.

    A key whose fields are all columns of the table must be enforced on
    exactly ``tenant`` and those columns; a field stored otherwise (a
    reference split in two columns) is left to the description.
    """
    names = [str(column.name) for column in sql.unique_columns(key)]
    wanted = {"tenant", *fields}
    fits = "tenant" in names
    if fits and wanted <= set(sql.table.c.keys()):
        fits = set(names) == wanted
    if not fits:
        raise InvalidValue(
            f"the unique key {shown(key)} (fields {list(fields)}) is mapped to "
            f"{shown(sql.unique[key])} of {shown(sql.table.name)}, on {names}: it must be "
            "scoped by the tenant and hold the key's fields, else records of one tenant could "
            "share the key, or one tenant's key block another's",
            value=tuple(names),
            expected=f"a unique constraint on tenant and {', '.join(fields)}",
        )


def registered(name: str) -> tuple[Kind[Any], SqlKind[Any]] | None:
    """Return the kind called ``name`` and its description, or ``None``."""
    return _KINDS.get(name)


def known_kinds() -> list[str]:
    """Return the names of the registered kinds with a table (reader kinds are not among them)."""
    return sorted(_KINDS)


_READERS: dict[str, Callable[[SqlUnit], Any]] = {}


def register_reader(kind: Kind[Any], make: Callable[[SqlUnit], Any]) -> None:
    """Make ``make(unit)`` the repository of the reader kind ``kind`` (one owning no table).

    Analytics is one: a reader over other kinds' tables, handed out by
    ``uow.repository(kind)`` like any repository.
    """
    check_kind(kind)
    _READERS[kind.name] = make


def reader(name: str) -> Callable[[SqlUnit], Any] | None:
    """Return the factory of the reader kind called ``name``, or ``None``."""
    return _READERS.get(name)
