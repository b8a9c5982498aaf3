"""The building blocks of a record schema: :class:`Column`, :class:`Schema` and their types.

:data:`Record` is one row, :data:`ColumnType` what a column holds, :class:`Column`
one documented column with the getter that reads it from a domain value, and
:class:`Schema` a fixed, ordered tuple of columns that turns values into
records or into column lists. :func:`utc` gives an instant in UTC, as every
instant column does, and :func:`whole` an int column's values read back from
floats. The schemas themselves live in
:mod:`sessionkit.model._record_schemas`; import all of these from
:mod:`sessionkit.model.records`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Literal

import attrs

from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown

__all__ = ["COLUMN_TYPES", "Column", "ColumnType", "Record", "Schema", "utc", "whole"]

Record = dict[str, Any]
"""One row: column name to a plain value (:mod:`sessionkit.model.records` lists the types)."""

ColumnType = Literal["text", "category", "int", "float", "bool", "decimal", "instant", "object"]
"""What a column holds, and so how a frame types it.

``text``: ``str``; ``category``: ``str`` from a small set (a status), a
categorical column in a frame; ``int``; ``float``; ``bool``; ``decimal``: a
:class:`~decimal.Decimal` (money, exact); ``instant``: an aware ``datetime``
in UTC; ``object``: anything else (only ever inferred from records).
"""

COLUMN_TYPES: tuple[ColumnType, ...] = (
    "text",
    "category",
    "int",
    "float",
    "bool",
    "decimal",
    "instant",
    "object",
)


@attrs.frozen(slots=True)
class Column:
    """One column of a :class:`Schema`: its name, type, whether it may be ``None``, and meaning.

    ``get`` reads the column's value from a domain value. ``path``, when set,
    says that ``get`` is the attribute path (``"span.start"``) read as it is
    (an instant converted to UTC), so a whole column can be read at C speed.
    A column (and its schema) pickles when ``get`` does: a module's function,
    an ``attrgetter`` or a ``functools.partial`` of one, not a lambda.
    """

    name: str
    type: ColumnType
    doc: str
    get: Callable[[Any], object] = attrs.field(eq=False, repr=False)
    nullable: bool = False
    path: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise InvalidValue(
                f"column {shown(self.name)} has type {shown(self.type)}; expected one of "
                f"{COLUMN_TYPES}",
                value=self.type,
                expected=" | ".join(COLUMN_TYPES),
            )


@attrs.frozen(slots=True)
class Schema:
    """The fixed columns of one kind of value (``name``: ``"session"``, ``"booking"``, ...)."""

    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """Return the column called ``name``; raise :class:`InvalidValue` naming the known ones."""
        for column in self.columns:
            if column.name == name:
                return column
        raise InvalidValue(
            f"the {self.name} schema has no column {shown(name)}; its columns are {self.names}",
            value=name,
            expected=" | ".join(self.names),
        )

    def record(self, value: object) -> Record:
        """Return ``value``'s record: one entry per column, in order."""
        return {c.name: c.get(value) for c in self.columns}

    def records(self, values: Iterable[object]) -> list[Record]:
        """Return one record per value, in order."""
        getters = [(c.name, c.get) for c in self.columns]
        return [{name: get(value) for name, get in getters} for value in values]

    def columns_of(self, values: Iterable[object]) -> dict[str, list[object]]:
        """Return the values column by column (what a frame is built from), in order."""
        seq = values if isinstance(values, list | tuple) else list(values)
        out: dict[str, list[object]] = {}
        for c in self.columns:
            if c.path is None:
                out[c.name] = list(map(c.get, seq))
                continue
            column: list[Any] = list(map(attrgetter(c.path), seq))
            if c.type == "instant" and not all(v is None or v.tzinfo is UTC for v in column):
                column = [utc(v) for v in column]
            out[c.name] = column
        return out

    def describe(self) -> str:
        """Return the schema as a table a person reads: name, type, nullable, meaning."""
        width = max(len(c.name) for c in self.columns)
        lines = [f"{self.name} records:"]
        for c in self.columns:
            kind = f"{c.type}{'?' if c.nullable else ''}"
            lines.append(f"  {c.name:<{width}}  {kind:<9}  {c.doc}")
        return "\n".join(lines)


def utc(value: datetime | None) -> datetime | None:
    """Return ``value`` in UTC (``None`` stays ``None``): how every instant column is given."""
    # Stored instants are UTC already; this keeps a record's promise for any other aware value.
    if value is None or value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


_EXACT = float(2**53)
"""The least float from which on some ints have no float of their own (2**53 + 1 rounds to it)."""


def whole(column: str, values: list[object], schema: str) -> list[object]:
    """An int column's values read back from a float column: ``3.0`` is ``3``, NaN ``None``.

    pandas holds an int column with a missing value as ``float64``, NaN where
    ``None`` was (unless it is the nullable ``Int64`` ``to_pandas`` builds),
    and its ``df.to_dict("records")`` gives ``3.0`` and ``nan``. A float with a
    fractional part (or an infinity) is no value the column held:
    ``InvalidValue`` naming the column and the value. Nor is one of 2**53 or
    more (either sign): a float holds every int only below that, so such a
    float may be another int rounded, and is refused rather than read as it.
    """
    out: list[object] = []
    for value in values:
        if isinstance(value, float):
            if value != value:  # NaN: the None pandas stored as a float
                out.append(None)
                continue
            if not value.is_integer():
                raise InvalidValue(
                    f"column {shown(column)} holds {shown(value)}, which is no whole number;"
                    f" the {schema} schema has int there",
                    value=value,
                    expected="whole numbers (or None)",
                )
            if abs(value) >= _EXACT:
                raise InvalidValue(
                    f"column {shown(column)} holds {shown(value)}, a float too large to be"
                    f" sure of the int it held; the {schema} schema has int there (keep the"
                    " column an int one: pandas' Int64, or records not read through a frame)",
                    value=value,
                    expected="whole numbers below 2**53 as floats (or ints, or None)",
                )
            value = int(value)
        out.append(value)
    return out
