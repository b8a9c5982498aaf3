"""Records: the fixed, documented column schemas a notebook or a frame library reads.

A *record* is a plain ``dict`` of one value's columns, in a fixed order, with
plain Python values: ``str``, ``int``, ``bool``, :class:`~decimal.Decimal`,
``None`` and aware :class:`~datetime.datetime` **in UTC**. Instants are never
local: a session's zone is a column of its own (``tz``), so no column ever
mixes zones, and a frame library can type every instant column as one UTC
datetime column.

Each stored aggregate has one :class:`Schema` (:data:`SESSION`,
:data:`SERIES`, :data:`BOOKING`, :data:`PAYMENT`, :data:`RESCHEDULE`,
:data:`USAGE`, :data:`SUBSCRIPTION`), and a derived attendance has
:data:`ATTENDANCE`; its
:class:`Column` objects say each column's name, :data:`ColumnType`, whether it
may be ``None``, and what it holds (``print(SESSION.describe())``). The value
classes name their schema in ``__record_schema__``, so :func:`to_records`
needs no registry. Anything else with a ``to_records()`` method returning a
list of dicts (an analytics result, a class of your own) is read through that
method. A service's report has none: pass the sessions it holds
(``to_records(report.created)``).

This module imports nothing but the standard library, attrs and the errors;
``sessionkit.contrib.frames`` turns records into pandas or polars frames. The
column and schema types live in ``_record_types`` and the schemas in
``_record_schemas``; every name is imported from here.

>>> from datetime import UTC, datetime, timedelta
>>> from sessionkit.model.session import Session
>>> from sessionkit.timespan import TimeSpan
>>> start = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
>>> lesson = Session(
...     id="s1", tenant="t", title="Chemistry A", span=TimeSpan(start, start + timedelta(hours=1)),
...     tz="Europe/Berlin", status="scheduled", lifecycle="lms", busy=True, created_at=start,
...     resources=["teacher:ana", "room:lab"], is_extra=True)
>>> [row] = to_records([lesson])
>>> row["start"].isoformat(), row["tz"], row["resources"]
('2026-03-02T17:00:00+00:00', 'Europe/Berlin', 'room:lab, teacher:ana')
>>> SESSION.names[:6]
('id', 'tenant', 'title', 'start', 'end', 'tz')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from sessionkit.errors import InvalidValue, NaiveDatetime, WrongType
from sessionkit.errors._base import shown
from sessionkit.model._record_schemas import (
    ATTENDANCE,
    BOOKING,
    PAYMENT,
    RESCHEDULE,
    SCHEMAS,
    SERIES,
    SESSION,
    SUBSCRIPTION,
    USAGE,
)

# COLUMN_TYPES is re-exported (the tests read it) though, as before, not in __all__.
from sessionkit.model._record_types import COLUMN_TYPES as COLUMN_TYPES
from sessionkit.model._record_types import (
    Column,
    ColumnType,
    Record,
    Schema,
    utc,
    whole,
)
from sessionkit.model.text import MAX_TITLE_LENGTH, check_text

__all__ = [
    "ATTENDANCE",
    "BOOKING",
    "PAYMENT",
    "RESCHEDULE",
    "SCHEMAS",
    "SERIES",
    "SESSION",
    "SUBSCRIPTION",
    "USAGE",
    "Column",
    "ColumnType",
    "Record",
    "Schema",
    "Values",
    "column_values",
    "schema_of",
    "to_records",
]

_EXPECTED = (
    "sessions, series, bookings, payments, reschedule requests, attendance records, "
    "subscriptions, usage entries, or records (dicts)"
)
_PLURALS = {
    "series": "series",
    "reschedule": "reschedule requests",
    "attendance": "attendance records",
    "usage": "usage entries",
}


def _not_values(values: object) -> WrongType:
    """The error for ``values`` that are no list: one domain value or record says so."""
    schema = schema_of(values)
    if schema is None and not isinstance(values, Mapping):
        return WrongType(values, name="values", expected=_EXPECTED)
    kind = "records" if schema is None else _PLURALS.get(schema.name, f"{schema.name}s")
    return WrongType(values, name="values", expected=f"a list of {kind} (one in a list: [value])")


def schema_of(value: object) -> Schema | None:
    """Return the schema of ``value``'s class (``None`` if it has none)."""
    schema = getattr(type(value), "__record_schema__", None)
    # Duck-typed: a doctest run may import a module twice, giving two Schema classes.
    return schema if hasattr(schema, "columns_of") else None


def _items(values: object) -> object:
    # A Page (or anything with .items and .total) stands for its items.
    items = getattr(values, "items", None)
    if isinstance(items, tuple) and hasattr(values, "total"):
        return items
    return values


def to_records(values: object) -> list[Record]:
    """Return the records of ``values``: domain values of one kind, a page of them, or records.

    ``values`` may be a list (any iterable) of sessions, series, bookings,
    payments, reschedule requests, subscriptions, usage entries or
    attendance records (all of one kind), a
    :class:`~sessionkit.model.query.Page` of them, an object with a
    ``to_records()`` method, or records already (mappings, copied as dicts).
    Raises :class:`~sessionkit.errors.WrongType` for anything else, naming the
    first value that does not fit.
    """
    to = getattr(values, "to_records", None)
    if callable(to):
        rows = to()
        name = f"{type(values).__name__}.to_records()"
        if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Iterable):
            raise WrongType(rows, name=name, expected="a list of records (mappings)")
        rows = list(rows)
        for row in rows:
            if not isinstance(row, Mapping):
                raise WrongType(row, name=f"a record of {name}", expected="a mapping")
        return [dict(row) for row in rows]
    values = _items(values)
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise _not_values(values)
    seq = list(values)
    if not seq:
        return []
    if isinstance(seq[0], Mapping):
        for value in seq:
            if not isinstance(value, Mapping):
                raise WrongType(value, name="record", expected="a mapping, like the first")
        return [dict(value) for value in seq]
    schema = schema_of(seq[0])
    if schema is None:
        raise WrongType(seq[0], name="values[0]", expected=_EXPECTED)
    kind = type(seq[0])
    for value in seq:
        if type(value) is not kind:
            raise WrongType(value, name="value", expected=f"a {kind.__name__}, like the first")
    return schema.records(seq)


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


def column_values(values: object, *, schema: Schema | None = None) -> list[Values]:
    """Return ``values`` column by column, typed, for a frame library to build a frame from.

    ``values`` is what :func:`to_records` takes. Domain values are read
    through their schema (``schema``, when given, must be theirs; it also
    gives the columns of an empty input). Records given with a ``schema``
    must have its columns and are typed as it declares (a column of ``None``
    only too; an int column pandas gave as floats is read as whole numbers,
    NaN as ``None``, a fraction refused with ``InvalidValue``), and so are
    records with exactly one schema's columns, in its order, when their
    values fit it (``to_records(bookings)``, filtered).
    Other records (an analytics result's) have their column types inferred:
    bool, int, float, Decimal, str (a column named ``status``, ``outcome``,
    ``kind``, ``role`` or ending in ``_status``... is a category), aware
    datetimes (converted to UTC; a naive one raises
    :class:`~sessionkit.errors.NaiveDatetime`), else ``object``. A numpy
    scalar is read as the plain value it holds; pandas' ``NaT`` and ``NA``
    are ``None``.
    """
    if schema is not None and not hasattr(schema, "columns_of"):
        raise WrongType(schema, name="schema", expected="a records Schema, e.g. SESSION")
    source = values if callable(getattr(values, "to_records", None)) else _items(values)
    if not callable(getattr(source, "to_records", None)):
        if isinstance(source, str | bytes | Mapping) or not isinstance(source, Iterable):
            raise _not_values(values)
        seq = list(source)
        found = schema_of(seq[0]) if seq else None
        if found is not None or (schema is not None and not seq):
            use = schema if schema is not None else found
            assert use is not None
            if schema is not None and found is not None and found is not schema:
                raise WrongType(
                    seq[0], name="values[0]", expected=f"a value of the {schema.name} schema"
                )
            kind = type(seq[0]) if seq else None
            for value in seq:
                if type(value) is not kind:
                    raise WrongType(
                        value, name="value", expected=f"a {type(seq[0]).__name__}, like the first"
                    )
            data = use.columns_of(seq)
            return [Values(c.name, c.type, c.nullable, data[c.name]) for c in use.columns]
        source = seq
    columns = _from_records(to_records(source))
    if schema is not None:
        return _as_schema(columns, schema, getattr(source, "COLUMNS", None))
    known = _BY_NAMES.get(tuple(c.name for c in columns))
    if known is not None:
        # Records with exactly a schema's columns (to_records(bookings), filtered) are typed
        # as their values would be: a role is text, not a category by its name, and a column
        # of None only keeps its type. Values of other types are read as they are.
        try:
            return _as_schema(columns, known)
        except InvalidValue:
            pass
    return _with_declared(columns, getattr(source, "COLUMNS", None), getattr(source, "TYPES", None))


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
