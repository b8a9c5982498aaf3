"""pandas and polars data frames of sessionkit values (extras ``pandas`` and ``polars``).

:func:`to_pandas` and :func:`to_polars` take what
:func:`~sessionkit.model.records.to_records` takes (sessions, series,
bookings, payments, reschedule requests, subscriptions, usage entries, a
session's attendance, a page of them, an analytics result
or records) and build a frame with the schema's columns, typed. They also
take what a notebook holds at hand: one analytics row
(``kit.analytics.rates(tenant).get()``, a one-row frame) or a list, tuple or
generator of rows of one kind (``result.rows``, filtered), with the columns and types
their result gives (an empty list tells no kind: it has no columns, as any
empty list; pass the result itself to keep them), and a generation report
(:class:`~sessionkit.services.reports.MaterialiseReport`): one row per
occurrence, ``outcome`` ``created`` (its ``session_id``) or the reason it
was skipped (``conflict``, with the busy ``resource``, or ``exists``) and the
session in its way (``blocking``). Columns are typed:

===========  ==============================  ===============================
column type  pandas dtype                    polars dtype
===========  ==============================  ===============================
instant      ``datetime64[us, UTC]``         ``Datetime("us", "UTC")``
category     ``category``                    ``Categorical``
text         ``string``                      ``String``
int          ``int64`` (``Int64`` if null)   ``Int64``
float        ``float64``                     ``Float64``
bool         ``bool`` (``boolean`` if null)  ``Boolean``
decimal      ``object`` (exact ``Decimal``)  ``Decimal(38, 6)`` (see below)
object       ``object`` (values as given)    see below
===========  ==============================  ===============================

No schema has an ``object`` column; one comes only from records read without
their schema, a column inferred from the values (records with exactly one
schema's columns are typed by it, ``schema=`` or not). In polars, a column of
``None`` only (records of your own, no ``schema=``, where no row fills it) is
``Null`` and one of lists or tuples of text is ``List(String)``
(CSV holds no lists: ``.list.join(", ")`` first); anything else (mappings,
values of mixed types, your own objects) is ``Object``, which polars cannot
write to a file, cast or compare: turn it into text first
(``json.dumps``, ``str``) or name the schema.

A polars amount column has six decimal places (the SQL stores keep six), or
as many as its finest amount has when more (an amount made in memory), so
frames of JPY, EUR or no amounts at all have one dtype and ``pl.concat``
rounds none of them to the first frame's places (polars casts to those).
Only an amount of more than 32 digits before the point leaves fewer.

Instants are UTC; a session's zone is its ``tz`` column, so
``df["start"].dt.tz_convert("Europe/Berlin")`` shows Berlin's wall clock for
the rows that want it. Microsecond resolution keeps every instant sessionkit
accepts (years 1000..9000), which nanoseconds would not. This is the only
module that imports pandas or polars, and each only when its function is
called, so ``pip install sessionkit[pandas]`` is enough for :func:`to_pandas`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation, localcontext
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.analytics import Counts, RateRow, Rates, StatusCount
from sessionkit.model.analytics_money import ClientRow, ClientStats, Revenue, RevenueRow
from sessionkit.model.analytics_use import AttendanceRow, AttendanceStats, SubscriptionUse, UsageRow
from sessionkit.model.records import ColumnType, Schema, Values, column_values
from sessionkit.zones import check_aware

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from sessionkit.services.reports import MaterialiseReport
    from sessionkit.timespan import TimeSpan

__all__ = ["to_pandas", "to_polars"]

T = TypeVar("T")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_DIGITS = 38
"""The most digits a polars decimal holds."""
_PLACES = 6
"""The fewest places a polars amount column has: the six the SQL stores keep (millionths)."""


def _pandas_column(column: Values) -> pd.Series:
    import pandas as pd  # imported on use: the extra is optional

    values, kind, null = column.values, column.type, column.nullable
    if kind == "instant":
        # From integer microseconds: pandas 2.1 reads datetime objects through
        # nanoseconds and overflows past 2262, which microseconds hold.
        import numpy as np  # pandas' own dependency

        micros = [_micros(v) for v in values]
        stamps = np.array([0 if m is None else m for m in micros], dtype="int64")
        stamps = stamps.view("datetime64[us]").copy()
        stamps[[m is None for m in micros]] = np.datetime64("NaT")
        return pd.Series(pd.DatetimeIndex(stamps).tz_localize("UTC"), name=column.name)
    if kind == "category":
        return pd.Series(pd.Categorical(values), name=column.name)
    if kind == "text":
        return pd.Series(values, dtype="string", name=column.name)
    if kind == "int":
        return pd.Series(values, dtype="Int64" if null else "int64", name=column.name)
    if kind == "float":
        return pd.Series(values, dtype="float64", name=column.name)
    if kind == "bool":
        return pd.Series(values, dtype="boolean" if null else "bool", name=column.name)
    return pd.Series(values, dtype="object", name=column.name)


def to_pandas(values: object, *, schema: Schema | None = None) -> pd.DataFrame:
    """Return a pandas DataFrame of ``values``, one row each, typed as the module docs say.

    ``schema`` (e.g. :data:`~sessionkit.model.records.SESSION`) gives the
    columns when ``values`` is empty, and the types of records of that schema
    (an int column a pandas frame's records hold as floats, NaN for ``None``,
    is read as whole numbers and ``None``; a fraction there is ``InvalidValue``).
    Raises :class:`~sessionkit.errors.WrongType` for values sessionkit has no
    records of (a data frame among them, analytics rows of two kinds),
    :class:`~sessionkit.errors.InvalidValue` for records that are not of
    ``schema`` or hold an instant with nanoseconds.
    """
    import pandas as pd  # imported on use: the extra is optional

    columns = _columns(values, schema)
    return pd.DataFrame({c.name: _built(_pandas_column, c, "pandas") for c in columns})


_INT64 = range(-(2**63), 2**63)
"""The integers an ``Int64`` column holds."""
_FLOAT64 = range(-(2**1024 - 2**970) + 1, 2**1024 - 2**970)
"""The integers a ``Float64`` column can take (rounded): from 2**1024 - 2**970 on,
``float()`` rounds to 2**1024 and overflows."""


def _built(build: Callable[[Values], T], column: Values, library: str) -> T:
    # The library's own refusal (an int past int64, text it cannot encode, a Decimal NaN, ...)
    # becomes one sessionkit error naming the column, whatever the library raised.
    try:
        return build(column)
    except Exception as error:  # re-raised as InvalidValue, chained
        raise InvalidValue(
            f"{library} cannot hold column {shown(column.name)} ({column.type}): {error}",
            value=column.name,
            expected=f"values {library} stores as {column.type}",
        ) from error


_RESULTS: dict[type, Callable[[tuple[Any, ...]], object]] = {
    StatusCount: lambda rows: Counts(tenant="", by=None, rows=rows),
    RateRow: lambda rows: Rates(tenant="", by=None, rows=rows),
    RevenueRow: lambda rows: Revenue(tenant="", by=None, rows=rows),
    ClientRow: lambda rows: ClientStats(tenant="", rows=rows),
    AttendanceRow: lambda rows: AttendanceStats(tenant="", by=None, rows=rows),
    UsageRow: lambda rows: SubscriptionUse(tenant="", by="subscription", now=_EPOCH, rows=rows),
}
"""Each analytics row's result, built around rows (its tenant and grouping have no column), so
rows give the columns and types their result gives."""


@attrs.frozen
class _Occurrences:
    """A generation report's records: one per occurrence the run created or skipped."""

    report: MaterialiseReport

    COLUMNS = (
        "outcome",
        "series_id",
        "item_id",
        "start",
        "end",
        "session_id",
        "resource",
        "blocking",
    )
    TYPES: ClassVar[Mapping[str, ColumnType]] = {
        "outcome": "category",
        "series_id": "text",
        "item_id": "text",
        "start": "instant",
        "end": "instant",
        "session_id": "text",
        "resource": "text",
        "blocking": "text",
    }

    def to_records(self) -> list[dict[str, object]]:
        # The occurrence key is a naive local time (no instant column takes it); start is its
        # instant. A skipped occurrence has no session, but the one in its way (blocking).
        created = [
            _occurrence("created", s.series_id, s.schedule_item_id, s.span, session_id=s.id)
            for s in self.report.created
        ]
        return created + [
            _occurrence(
                k.reason,
                k.series_id,
                k.item_id,
                k.span,
                resource=None if k.resource is None else str(k.resource),
                blocking=k.blocking.id,
            )
            for k in self.report.skipped
        ]


def _occurrence(
    outcome: str,
    series_id: str | None,
    item_id: str | None,
    span: TimeSpan,
    *,
    session_id: str | None = None,
    resource: str | None = None,
    blocking: str | None = None,
) -> dict[str, object]:
    return {
        "outcome": outcome,
        "series_id": series_id,
        "item_id": item_id,
        "start": span.start,
        "end": span.end,
        "session_id": session_id,
        "resource": resource,
        "blocking": blocking,
    }


def _source(values: object) -> object:
    """``values`` as :func:`column_values` reads them: analytics rows and reports as records."""
    if isinstance(values, Iterator):  # rows filtered in a generator expression: read once
        values = list(values)
    if type(values) in _RESULTS:
        return _RESULTS[type(values)]((values,))
    if isinstance(values, list | tuple) and values and type(values[0]) in _RESULTS:
        kind = type(values[0])
        for value in values:
            if type(value) is not kind:
                raise WrongType(value, name="value", expected=f"a {kind.__name__}, like the first")
        return _RESULTS[kind](tuple(values))
    # Imported on use, as pandas is: importing this module loads no service.
    from sessionkit.services.reports import MaterialiseReport

    return _Occurrences(values) if isinstance(values, MaterialiseReport) else values


def _columns(values: object, schema: Schema | None) -> list[Values]:
    """The typed columns of ``values``, refusing a data frame by name (see :func:`_checked`)."""
    values = _source(values)
    if hasattr(values, "columns") and hasattr(values, "shape"):
        # A pandas frame reached DataFrame.to_records() and was refused as "np.record, not a
        # mapping"; a polars frame iterated its columns and was refused as a Series.
        raise WrongType(
            values,
            name="values",
            expected="sessionkit values, a page or records, not a data frame; pass "
            "df.to_dict('records') (pandas) or df.to_dicts() (polars), with schema= to keep "
            "the schema's types",
        )
    return _checked(column_values(values, schema=schema))


def _checked(columns: list[Values]) -> list[Values]:
    """``columns``, once no instant has nanoseconds (a pandas ``Timestamp`` in records).

    Microseconds would silently drop them, where analytics and the services refuse
    them: the same :class:`~sessionkit.errors.InvalidValue`, naming the column.
    """
    for column in columns:
        if column.type == "instant":
            for value in column.values:
                if value is not None and type(value) is not datetime:
                    check_aware(value, f"column {shown(column.name)}")
    return columns


def _micros(value: object) -> int | None:
    # Integers build a polars datetime column five times faster than datetime objects do.
    return None if value is None else (value - _EPOCH) // _MICROSECOND  # type: ignore[operator]


def _polars_column(column: Values) -> pl.Series:
    import polars as pl  # imported on use: the extra is optional

    values, kind, name = column.values, column.type, column.name
    if kind == "instant":
        micros = pl.Series(name, [_micros(v) for v in values], dtype=pl.Int64)
        return micros.cast(pl.Datetime("us", "UTC"))
    if kind == "category":
        return pl.Series(name, values, dtype=pl.Categorical)
    if kind == "text":
        return pl.Series(name, values, dtype=pl.String)
    if kind == "int":
        # Refused before polars sees it: past int64, polars's own error prints the value, and
        # one past Python's 4,300 digits went to sys.unraisablehook besides.
        if any(isinstance(v, int) and v not in _INT64 for v in values):
            raise ValueError("an integer is past int64")
        return pl.Series(name, values, dtype=pl.Int64)
    if kind == "float":
        if any(isinstance(v, int) and v not in _FLOAT64 for v in values):  # as for Int64
            raise ValueError("an integer is past float64's range")
        return pl.Series(name, values, dtype=pl.Float64)
    if kind == "bool":
        return pl.Series(name, values, dtype=pl.Boolean)
    if kind == "decimal":
        for value in values:
            # polars panics on these (a pyo3 PanicException, no Exception): refuse them first.
            if isinstance(value, Decimal) and not value.is_finite():
                raise ValueError(f"{value} is no amount polars can hold")
        # Each amount written with the column's places (never rounding: the scale is the
        # most any has): polars 1.0 refuses amounts of mixed places (10.50 beside 1.125).
        # At least six, so every frame of stored amounts has one dtype, empty (no amount to
        # read places from) or in JPY or EUR: pl.concat casts to the first frame's scale,
        # and an empty month's Decimal(38, 0) first rounded 1000.02 EUR after it to 1000.
        whole = max([0, *(v.adjusted() + 1 for v in values if isinstance(v, Decimal) and v)])
        scale = max(_scale(values), min(_PLACES, _DIGITS - whole))  # huge amounts: fewer
        if scale > _DIGITS:
            raise ValueError(f"an amount has {scale} decimal places, more than {_DIGITS}")
        step = Decimal(1).scaleb(-scale)
        try:
            with localcontext(prec=2 * _DIGITS):  # the default 28 digits are too few
                exact = [v.quantize(step) if isinstance(v, Decimal) else v for v in values]
        except InvalidOperation:
            raise ValueError(f"an amount has more than {_DIGITS} digits") from None
        return pl.Series(name, exact, dtype=pl.Decimal(_DIGITS, scale))
    return _polars_object(name, values)


def _polars_object(name: str, values: list[object]) -> pl.Series:
    # polars writes no Object column (parquet, CSV, IPC) and casts none, so a column of
    # None only (records without their schema) is Null and lists of text are List(String).
    # Anything else (mappings, mixed types, objects) stays Object, as pandas keeps it:
    # polars' own inference reads a struct's keys from the first rows only, dropping later
    # ones, and panics on some nested values (a Decimal NaN in a dict).
    import polars as pl  # imported on use: the extra is optional

    present = [v for v in values if v is not None]
    if not present:
        return pl.Series(name, values, dtype=pl.Null)
    if all(isinstance(v, list | tuple) and all(isinstance(t, str) for t in v) for v in present):
        lists = [list(v) if isinstance(v, list | tuple) else None for v in values]
        return pl.Series(name, lists, dtype=pl.List(pl.String))
    return pl.Series(name, values, dtype=pl.Object)


def _scale(values: list[object]) -> int:
    # The most decimal places any amount has (JPY 0, EUR 2, KWD 3), so none is rounded.
    exponents = [v.as_tuple().exponent for v in values if isinstance(v, Decimal)]
    return max([0, *(-e for e in exponents if isinstance(e, int))])


def to_polars(values: object, *, schema: Schema | None = None) -> pl.DataFrame:
    """Return a polars DataFrame of ``values``, one row each, typed as the module docs say.

    ``schema`` gives the columns when ``values`` is empty, and the types of
    records of that schema (floats in an int column read as :func:`to_pandas`
    reads them). Raises :class:`~sessionkit.errors.WrongType` for
    values sessionkit has no records of (a data frame among them, analytics rows of
    two kinds), :class:`~sessionkit.errors.InvalidValue` for records that are not of
    ``schema`` or hold an instant with nanoseconds.
    """
    import polars as pl  # imported on use: the extra is optional

    columns = _columns(values, schema)
    return pl.DataFrame([_built(_polars_column, c, "polars") for c in columns])
