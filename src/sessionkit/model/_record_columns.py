"""Records read column by column: the typed columns a frame library builds a frame from.

:class:`Values` (one column's name, type, nullability and values) and what
:func:`~sessionkit.model.records.column_values` does with records that are not
domain values: reads each value as a plain Python one (a numpy scalar's own,
pandas' ``NaT`` and ``NA`` as ``None``), infers a column's type, converts
instants to UTC, and types records as a schema declares (:func:`_as_schema`)
or as an analytics result declares its columns (:func:`_with_declared`).

Private to :mod:`sessionkit.model.records`, which exports its names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from sessionkit.errors import InvalidValue, NaiveDatetime
from sessionkit.errors._base import shown
from sessionkit.model._record_schemas import SCHEMAS
from sessionkit.model._record_types import (
    COLUMN_TYPES,
    ColumnType,
    Record,
    Schema,
    utc,
    whole,
)
from sessionkit.model.text import MAX_TITLE_LENGTH, check_text

__all__ = ["Values"]


@attrs.frozen(slots=True)
class Values:
    """One column's values, ready for a frame library: name, type, whether any is None."""

    name: str
    type: ColumnType
    nullable: bool
    values: list[object]


_CATEGORY_NAMES = ("status", "outcome", "kind", "role")


def _infer(name: str, values: list[object]) -> ColumnType:
    present = [v for v in values if v is not None]
    kinds = {type(v) for v in present}
    if not present:
        return "object"
    if kinds <= {bool}:
        return "bool"
    if kinds <= {int}:
        return "int"
    if kinds <= {float, int}:
        return "float"
    if all(isinstance(v, Decimal) for v in present):
        return "decimal"
    stamps = [v for v in present if isinstance(v, datetime)]
    if len(stamps) == len(present):
        for stamp in stamps:
            if stamp.utcoffset() is None:
                raise NaiveDatetime(stamp, name=f"column {shown(name)}")
        return "instant"
    if all(isinstance(v, str) for v in present):
        named = name in _CATEGORY_NAMES or name.endswith(tuple(f"_{n}" for n in _CATEGORY_NAMES))
        return "category" if named else "text"
    return "object"


_PLAIN = frozenset({str, int, float, bool, Decimal, datetime, type(None)})


def _plain(value: object) -> object:
    """``value`` as a plain Python value: a numpy scalar's own, ``None`` for a missing one.

    A frame's own records (``df.to_dict("records")``, filtered and passed back)
    hold ``NaT`` where an instant is missing (``NaT.utcoffset()`` raised a bare
    ``ValueError``) and may hold ``pd.NA``; records a notebook builds hold
    numpy scalars (``{"n": df["x"].sum()}``), which made ``object`` columns
    that polars cannot write. Duck-typed, so this module imports no numpy.
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if isinstance(value, datetime):
        return None if value != value else value  # NaT is unequal to itself
    module = kind.__module__
    if module == "numpy" or module.startswith("numpy."):
        # A scalar (or 0-d array); datetime64/timedelta64 give naive values or bare ints.
        item = getattr(value, "item", None)
        dtype = getattr(getattr(value, "dtype", None), "kind", None)
        if callable(item) and getattr(value, "ndim", None) == 0 and dtype not in ("m", "M"):
            held = item()
            # A longdouble's item() is the longdouble itself (no Python float holds it).
            return value if type(held) is kind else _plain(held)
    elif module.startswith("pandas.") and kind.__name__ == "NAType":
        return None
    return value


def _text_missing(values: list[object]) -> list[object]:
    """``values``, with ``None`` for a float NaN among text: how pandas gives a missing category.

    ``df.to_dict("records")`` of a categorical column (a status that may be
    missing) holds NaN there, which made a text column one of mixed types.
    """
    if not any(isinstance(v, str) for v in values):
        return values
    if not all(v is None or isinstance(v, str) or (type(v) is float and v != v) for v in values):
        return values
    return [None if type(v) is float else v for v in values]


def _in_utc(name: str, value: datetime) -> datetime | None:
    """``value`` in UTC, as an instant column holds it; one with no UTC instant is refused.

    Year 1 at +14:00 lies before ``datetime.min`` in UTC: ``astimezone`` raised a
    bare ``OverflowError``.
    """
    try:
        return utc(value)
    except OverflowError:
        raise InvalidValue(
            f"column {shown(name)} holds {shown(value)}, which has no UTC instant",
            value=value,
            expected="an aware datetime between years 1 and 9999 in UTC",
        ) from None


def _from_records(records: list[Record]) -> list[Values]:
    names: dict[str, None] = {}
    for record in records:
        for key in record:
            if key not in names:
                check_text(key, "column name", limit=MAX_TITLE_LENGTH)
            names.setdefault(key, None)
    out = []
    for name in names:
        values = _text_missing([_plain(record.get(name)) for record in records])
        kind = _infer(name, values)
        if kind == "instant":
            values = [_in_utc(name, v) if isinstance(v, datetime) else v for v in values]
        out.append(Values(name, kind, any(v is None for v in values), values))
    return out


_BY_NAMES = {s.names: s for s in SCHEMAS.values()}
"""Each schema by its column names, in order: records with exactly these are of that schema."""


_ALIKE = frozenset({("text", "category"), ("category", "text"), ("int", "float")})
"""Inferred and declared column types whose values the declared type holds as they are."""


def _as_schema(found: list[Values], schema: Schema, declared: object = None) -> list[Values]:
    """``found`` (records' columns) typed as ``schema`` declares, in its order.

    Records given with a schema (``to_records(page)`` filtered in a notebook)
    get the very columns and types the values themselves would: a column of
    ``None`` only is typed as declared, not ``object``. Records with other
    columns, or a column holding values of another type, are refused.
    """
    by_name = {v.name: v for v in found}
    # An empty result still names its columns (an analytics result's COLUMNS).
    names = list(by_name) if found or not isinstance(declared, tuple) else list(declared)
    missing = [n for n in schema.names if n not in names]
    extra = [n for n in names if n not in schema.names]
    if (missing or extra) and names:
        raise InvalidValue(
            f"the records are not {schema.name} records: "
            + "; ".join(
                f"{what} {', '.join(map(shown, which))}"
                for what, which in (("missing", missing), ("unknown", extra))
                if which
            ),
            value=extra or missing,
            expected=f"the {schema.name} schema's columns: {', '.join(schema.names)}",
        )
    out = []
    for column in schema.columns:
        known = by_name.get(column.name)
        values = [] if known is None else known.values
        kind = "object" if known is None else known.type
        if kind == "float" != column.type and all(v is None or v != v for v in values):
            # A column no row fills is NaN in every row of a pandas frame's to_dict("records")
            # (a category, or text in pandas 3); no schema holds a NaN but as a float.
            values, kind = [None] * len(values), "object"
        if kind == "float" and column.type == "int":  # pandas' float64 of ints and NaN
            values, kind = whole(column.name, values, schema.name), "int"
        if kind not in (column.type, "object") and (kind, column.type) not in _ALIKE:
            raise InvalidValue(
                f"column {shown(column.name)} holds {kind} values; the {schema.name} schema "
                f"has {column.type} there",
                value=column.name,
                expected=f"{column.type} values (or None)",
            )
        if kind == "object" != column.type and any(v is not None for v in values):
            raise InvalidValue(
                f"column {shown(column.name)} holds values of mixed types; the {schema.name} "
                f"schema has {column.type} there",
                value=column.name,
                expected=f"{column.type} values (or None)",
            )
        null = column.nullable or any(v is None for v in values)  # as the values' own frame
        out.append(Values(column.name, column.type, null, values))
    return out


def _with_declared(found: list[Values], declared: object, types: object) -> list[Values]:
    """``found`` with every column an analytics result declares (``COLUMNS``), in its order.

    An empty result then still has its columns (``df.groupby("status")``
    works on an empty tenant). A column with no value but ``None`` takes its
    type from the result's ``TYPES`` (a rate of no held session is a float
    column of nulls, not ``object``); without one it is ``object``.
    """
    if not isinstance(declared, tuple) or not all(isinstance(n, str) for n in declared):
        return found
    typed: Mapping[object, object] = types if isinstance(types, Mapping) else {}
    by_name = {v.name: v for v in found}
    rows = len(found[0].values) if found else 0

    def column(name: str) -> Values:
        known = by_name.pop(name, None)
        kind = typed.get(name)
        if known is not None and (known.type != "object" or kind not in COLUMN_TYPES):
            return known
        if known is not None and any(v is not None for v in known.values):
            return known
        nulls: list[object] = [None] * rows
        for allowed in COLUMN_TYPES:
            if kind == allowed:
                return Values(name, allowed, rows > 0, nulls)
        return Values(name, "object", rows > 0, nulls)

    return [column(n) for n in declared] + list(by_name.values())
