"""Records: the fixed, documented column schemas a notebook or a frame library reads.

A *record* is a plain ``dict`` of one value's columns, in a fixed order, with
plain Python values: ``str``, ``int``, ``bool``, :class:`~decimal.Decimal`,
``None`` and aware :class:`~datetime.datetime` **in UTC**. Instants are never
local: a session's zone is a column of its own (``tz``), so no column ever
mixes zones, and a frame library can type every instant column as one UTC
datetime column.

Each stored aggregate has one :class:`Schema` (:data:`SESSION`,
:data:`SERIES`, :data:`BOOKING`, :data:`PAYMENT`, :data:`RESCHEDULE`); its
:class:`Column` objects say each column's name, :data:`ColumnType`, whether it
may be ``None``, and what it holds (``print(SESSION.describe())``). The value
classes name their schema in ``__record_schema__``, so :func:`to_records`
needs no registry. Anything else with a ``to_records()`` method returning a
list of dicts (an analytics result, a report) is read through that method.

This module imports nothing but the standard library, attrs and the errors;
``sessionkit.contrib.frames`` turns records into pandas or polars frames.

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

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, Literal

import attrs

from sessionkit.errors import InvalidValue, NaiveDatetime, WrongType
from sessionkit.model.text import MAX_TITLE_LENGTH, check_text

__all__ = [
    "BOOKING",
    "PAYMENT",
    "RESCHEDULE",
    "SCHEMAS",
    "SERIES",
    "SESSION",
    "Column",
    "ColumnType",
    "Record",
    "Schema",
    "Values",
    "column_values",
    "schema_of",
    "to_records",
]

Record = dict[str, Any]
"""One row: column name to a plain value (see the module docs for the value types)."""

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
                f"column {self.name!r} has type {self.type!r}; expected one of {COLUMN_TYPES}",
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
            f"the {self.name} schema has no column {name!r}; its columns are {self.names}",
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
                column = [_utc(v) for v in column]
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


def _utc(value: datetime | None) -> datetime | None:
    # Stored instants are UTC already; this keeps a record's promise for any other aware value.
    if value is None or value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def _instant(path: str) -> Callable[[Any], object]:
    read = attrgetter(path)
    return lambda value: _utc(read(value))


def _text(path: str) -> Callable[[Any], object]:
    read = attrgetter(path)
    return lambda value: None if (v := read(value)) is None else str(v)


def _refs(value: Any) -> str:
    return ", ".join(map(str, value.resources))


def _col(
    name: str,
    type: ColumnType,
    doc: str,
    get: Callable[[Any], object] | None = None,
    *,
    nullable: bool = False,
    path: str | None = None,
) -> Column:
    if get is None:
        path = path or name
        get = _instant(path) if type == "instant" else attrgetter(path)
    return Column(name, type, doc, get, nullable, path)


_ID = _col("id", "text", "the record's id")
_TENANT = _col("tenant", "text", "the tenant (organisation) it belongs to")
_VERSION = _col("version", "int", "the optimistic-concurrency version, 1 when new")
_CREATED = _col("created_at", "instant", "when it was created (UTC)")
_UPDATED = _col("updated_at", "instant", "when it last changed (UTC); None if never", nullable=True)


SESSION = Schema(
    "session",
    (
        _ID,
        _TENANT,
        _col("title", "text", "the title"),
        _col("start", "instant", "the start instant (UTC)", path="span.start"),
        _col("end", "instant", "the end instant (UTC), after start", path="span.end"),
        _col("tz", "text", "the IANA zone its wall-clock times are read in, e.g. Europe/Berlin"),
        _col("status", "category", "the lifecycle status, e.g. scheduled"),
        _col("lifecycle", "text", "the lifecycle's name"),
        _col("busy", "bool", "whether it occupies its resources in this status"),
        _col("resources", "text", "the resources it occupies, 'kind:id' joined by ', '", _refs),
        _col("series_id", "text", "its series; None for a one-off session", nullable=True),
        _col("group", "text", "the series' group key; None without one", nullable=True),
        _col("capacity", "int", "how many seats it has"),
        _col("is_extra", "bool", "added by hand, outside the series' schedule"),
        _col("detached", "bool", "moved or edited by hand; regeneration leaves it alone"),
        _CREATED,
        _UPDATED,
        _VERSION,
    ),
)
"""The columns of a :class:`~sessionkit.model.session.Session` record."""

SERIES = Schema(
    "series",
    (
        _ID,
        _TENANT,
        _col("title", "text", "the title"),
        _col("status", "category", "active or closed", _text("status")),
        _col("lifecycle", "text", "the lifecycle its sessions follow"),
        _col("items", "int", "how many schedule items it has", lambda s: len(s.items)),
        _col("capacity", "int", "the seats of each session"),
        _col("group", "text", "the group key; None without one", nullable=True),
        _col(
            "generated_until",
            "instant",
            "how far sessions are materialised (UTC); None before the first run",
            nullable=True,
        ),
        _CREATED,
        _UPDATED,
        _VERSION,
    ),
)
"""The columns of a :class:`~sessionkit.model.series.Series` record."""

BOOKING = Schema(
    "booking",
    (
        _ID,
        _TENANT,
        _col("session_id", "text", "the session booked"),
        _col("participant", "text", "who holds the seats, 'kind:id'", _text("participant")),
        _col("role", "text", "the participant's role, e.g. attendee"),
        _col("seats", "int", "how many seats it holds"),
        _col("status", "category", "the booking status, e.g. CONFIRMED"),
        _col("session_start", "instant", "the session's start (UTC)"),
        _col("session_end", "instant", "the session's end (UTC)"),
        _col(
            "hold_expires_at",
            "instant",
            "when a held seat or an offer lapses (UTC); None otherwise",
            nullable=True,
        ),
        _col(
            "position", "int", "its place on the waiting list; None if not waiting", nullable=True
        ),
        _CREATED,
        _UPDATED,
        _VERSION,
    ),
)
"""The columns of a :class:`~sessionkit.model.booking.Booking` record."""

PAYMENT = Schema(
    "payment",
    (
        _ID,
        _TENANT,
        _col("booking_id", "text", "the booking paid for"),
        _col("session_id", "text", "the booking's session"),
        _col("participant", "text", "who pays, 'kind:id'", _text("participant")),
        _col("session_start", "instant", "the session's start (UTC)"),
        _col("amount", "decimal", "the price, in currency units (exact)", path="amount.amount"),
        _col("currency", "text", "the ISO 4217 code", path="amount.currency"),
        _col("provider", "text", "the payment provider"),
        _col("status", "category", "the payment status, e.g. PAID"),
        _col("refunded", "decimal", "what the provider confirmed giving back"),
        _col("refund_due", "decimal", "what was decided to give back, not yet confirmed"),
        _col("failure", "text", "why it failed; None unless it did", nullable=True),
        _CREATED,
        _UPDATED,
        _VERSION,
    ),
)
"""The columns of a :class:`~sessionkit.model.payment.Payment` record."""

RESCHEDULE = Schema(
    "reschedule",
    (
        _ID,
        _TENANT,
        _col("session_id", "text", "the session to move"),
        _col("role", "text", "the asking party's role, e.g. student"),
        _col("requested_by", "text", "who asked"),
        _col("reason", "text", "why"),
        _col("session_start", "instant", "the session's start when asked (UTC)"),
        _col("proposed_start", "instant", "the start proposed (UTC); None if open", nullable=True),
        _col("deadline", "instant", "when silence approves it (UTC)"),
        _col("status", "category", "the request status, e.g. PENDING"),
        _col("decided_by", "text", "who approved or declined; None if open", nullable=True),
        _col("decided_role", "text", "their role; None if open", nullable=True),
        _col("new_start", "instant", "the start agreed (UTC); None if not moved", nullable=True),
        _CREATED,
        _UPDATED,
        _VERSION,
    ),
)
"""The columns of a :class:`~sessionkit.model.reschedule.RescheduleRequest` record."""

SCHEMAS: Mapping[str, Schema] = {s.name: s for s in (SESSION, SERIES, BOOKING, PAYMENT, RESCHEDULE)}
"""Every schema by name."""

_EXPECTED = "sessions, series, bookings, payments, reschedule requests, or records (dicts)"


def schema_of(value: object) -> Schema | None:
    """Return the schema of ``value``'s class (``None`` if it has none)."""
    schema = getattr(type(value), "__record_schema__", None)
    # Duck-typed: a doctest run may import this module twice, giving two Schema classes.
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
    payments or reschedule requests (all of one kind), a
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
        raise WrongType(values, name="values", expected=_EXPECTED)
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
                raise NaiveDatetime(stamp, name=f"column {name!r}")
        return "instant"
    if all(isinstance(v, str) for v in present):
        named = name in _CATEGORY_NAMES or name.endswith(tuple(f"_{n}" for n in _CATEGORY_NAMES))
        return "category" if named else "text"
    return "object"


def _from_records(records: list[Record]) -> list[Values]:
    names: dict[str, None] = {}
    for record in records:
        for key in record:
            if key not in names:
                check_text(key, "column name", limit=MAX_TITLE_LENGTH)
            names.setdefault(key, None)
    out = []
    for name in names:
        values = [record.get(name) for record in records]
        kind = _infer(name, values)
        if kind == "instant":
            values = [_utc(v) for v in values]
        out.append(Values(name, kind, any(v is None for v in values), values))
    return out


def column_values(values: object, *, schema: Schema | None = None) -> list[Values]:
    """Return ``values`` column by column, typed, for a frame library to build a frame from.

    ``values`` is what :func:`to_records` takes. Domain values are read
    through their schema (``schema``, when given, must be theirs; it also
    gives the columns of an empty input). Records (an analytics result's) have
    their column types inferred: bool, int, float, Decimal, str (a column
    named ``status``, ``outcome``, ``kind``, ``role`` or ending in
    ``_status``... is a category), aware datetimes (converted to UTC; a naive
    one raises :class:`~sessionkit.errors.NaiveDatetime`), else ``object``.
    """
    if schema is not None and not hasattr(schema, "columns_of"):
        raise WrongType(schema, name="schema", expected="a records Schema, e.g. SESSION")
    source = values if callable(getattr(values, "to_records", None)) else _items(values)
    if not callable(getattr(source, "to_records", None)):
        if isinstance(source, str | bytes | Mapping) or not isinstance(source, Iterable):
            raise WrongType(values, name="values", expected=_EXPECTED)
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
    return _from_records(to_records(source))
