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
``_record_schemas``, one column's values and how records are typed column by
column in ``_record_columns``; every name is imported from here.

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

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model._record_columns import (
    _BY_NAMES,
    Values,
    _as_schema,
    _from_records,
    _with_declared,
)
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
)

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


# Show (and pickle) what moved to the private module under this public path, as before.
Values.__module__ = __name__
