"""Reading sessions in SQL: by statement, by ids, and ``SessionQuery`` pages.

:func:`load_sessions` and :func:`fetch_sessions` are the loaders the session
repository and the write diagnosis share. :func:`run_query` answers a
``SessionQuery`` (filters, sort with an id tiebreaker, offset or keyset pages)
with two statements per page: ``count(*)`` over the filters, and the page itself
(``limit + 1`` rows, the extra one only says whether a next page exists).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import mysql

from sessionkit.adapters._session_match import contains_pattern
from sessionkit.adapters.sqlalchemy._backend import Backend
from sessionkit.adapters.sqlalchemy._db import Db
from sessionkit.adapters.sqlalchemy.mapping import session_from_row
from sessionkit.adapters.sqlalchemy.rows import LONG_SPAN, session_resources_table, sessions_table
from sessionkit.model.fields import FieldValue
from sessionkit.model.query import Cursor, Page, SessionQuery, SortField, SortKey, sort_value
from sessionkit.model.session import Session
from sessionkit.timespan import TimeSpan

__all__ = [
    "CHUNK",
    "busy_rows_overlapping",
    "chunks",
    "fetch_sessions",
    "load_sessions",
    "overlap_params",
    "run_query",
    "session_filters",
    "sort_value",
]

S = sessions_table
R = session_resources_table
CHUNK = 900
"""Ids per ``IN (...)`` list: far below every driver's parameter limit."""

T = TypeVar("T")


def chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """Yield ``values`` in slices of at most :data:`CHUNK`."""
    for begin in range(0, len(values), CHUNK):
        yield values[begin : begin + CHUNK]


def busy_rows_overlapping(
    *columns: ColumnElement[Any], resources: int | None = None
) -> CompoundSelect[Any]:
    """Return a select of ``columns`` of the busy resource rows that may overlap a span.

    Every row overlapping ``[start, end)`` is in the result, and a few that do
    not: rows of at most :data:`~.rows.LONG_SPAN` that start in ``(earliest,
    end)`` but end by ``start``. Callers select ``start_at``/``end_at`` and
    check the overlap themselves. Parameters (see :func:`overlap_params`):
    ``tenant``, the resources, ``start``, ``end`` and ``earliest``; the
    resources are one expanding list ``resources``, or with ``resources=n``
    the ``n`` parameters ``r0`` ..., so that the SQL is compiled once rather
    than re-rendered per call.

    Bounded on both sides so that the database reads index ranges, whatever
    the resource's history: rows of at most ``LONG_SPAN`` by their start
    (the short branch names no ``end_at``, so no planner mistakes the
    ``end_at`` index for it), longer ones (``long_span``) by their end. Two
    selects joined by ``UNION ALL`` rather than one ``OR``, which PostgreSQL
    reads as one range bounded by ``start_at < :end`` alone; a row matches
    one of them only.
    """
    if resources is None:
        on_resources = R.c.resource.in_(bindparam("resources", expanding=True))
    else:
        on_resources = R.c.resource.in_([bindparam(f"r{i}") for i in range(resources)])
    common = (R.c.tenant == bindparam("tenant"), on_resources, R.c.busy.is_(True))
    short = select(*columns).where(
        *common,
        R.c.long_span == false(),
        R.c.start_at > bindparam("earliest"),
        R.c.start_at < bindparam("end"),
    )
    long = select(*columns).where(
        *common,
        R.c.long_span == true(),
        R.c.end_at > bindparam("start"),
        R.c.start_at < bindparam("end"),
    )
    return union_all(short, long)


def overlap_params(
    tenant: str, span: TimeSpan, resources: Sequence[str], *, numbered: bool = False
) -> dict[str, Any]:
    """Return the parameters of :func:`busy_rows_overlapping` (``numbered``: ``r0`` ...)."""
    params: dict[str, Any] = {
        "tenant": tenant,
        "start": span.start,
        "end": span.end,
        "earliest": span.start - LONG_SPAN,
    }
    if numbered:
        params.update((f"r{i}", name) for i, name in enumerate(resources))
    else:
        params["resources"] = list(resources)
    return params


def load_sessions(
    db: Db, statement: Select[Any], params: Mapping[str, Any] | None = None
) -> list[Session]:
    """Return the sessions ``statement`` (a select of session rows) finds, in its order."""
    # Core statements through the connection: the ORM session's execute adds nothing here.
    rows = db.connection().execute(statement, params).mappings()
    return [session_from_row(row) for row in rows]


_FIXED = 16
"""Up to this many ids (or resources), a statement of its own with numbered parameters."""


@functools.cache
def _by_ids(count: int | None) -> Select[Any]:
    """Sessions of ``tenant`` among ``count`` ids ``i0`` ... (``None``: the expanding ``ids``).

    Built once per size: building a select per call, or re-rendering an
    expanding ``IN`` list, costs more than the database's answer.
    """
    if count is None:
        ids = S.c.id.in_(bindparam("ids", expanding=True))
    else:
        ids = S.c.id.in_([bindparam(f"i{n}") for n in range(count)])
    return select(S).where(S.c.tenant == bindparam("tenant"), ids)


def fetch_sessions(db: Db, tenant: str, ids: Sequence[str]) -> dict[str, Session]:
    """Return ``tenant``'s sessions among ``ids`` by id (an ``IN`` list per chunk of ids)."""
    found: dict[str, Session] = {}
    for chunk in chunks(ids):
        params: dict[str, Any] = {"tenant": tenant}
        if len(chunk) <= _FIXED:
            params.update((f"i{n}", i) for n, i in enumerate(chunk))
            statement = _by_ids(len(chunk))
        else:
            params["ids"] = list(chunk)
            statement = _by_ids(None)
        found.update((s.id, s) for s in load_sessions(db, statement, params))
    return found


def _binary(backend: Backend, expression: ColumnElement[Any]) -> ColumnElement[Any]:
    """Return ``expression`` compared and sorted by code point, as Python compares ``str``.

    SQLite's default ``BINARY`` collation does that already; PostgreSQL does
    with ``COLLATE "C"`` (UTF-8 bytes sort as code points). MySQL/MariaDB's
    ``utf8mb4_bin`` pads with spaces (``'a' = 'a '``) and the no-pad binary
    collations differ by server, so there the value is cast to its bytes.
    """
    if backend.name == "postgresql":
        return expression.collate("C")
    if backend.name == "mysql":
        # Typed as a string again, so that parameters compared with it stay strings.
        return type_coerce(cast(expression, mysql.BINARY()), String())
    return expression


def _sort_column(backend: Backend, field: SortField) -> ColumnElement[Any]:
    """Return the expression sessions sort by under ``field`` (rules: :mod:`.model.query`)."""
    if field == "start":
        return S.c.start_at
    if field == "end":
        return S.c.end_at
    if field == "created":
        return S.c.created_at
    if field == "updated":
        return func.coalesce(S.c.updated_at, S.c.created_at)
    if field == "title":
        return _binary(backend, S.c.title)
    if field == "status":
        return _binary(backend, S.c.status)
    return _binary(backend, func.coalesce(S.c.group_key, ""))


def _beyond(backend: Backend, order: tuple[SortKey, ...], cursor: Cursor) -> ColumnElement[bool]:
    """Rows strictly after the cursor: the lexicographic OR-chain over the keys and the id."""
    keys: list[tuple[ColumnElement[Any], Any, bool]] = [
        (_sort_column(backend, field), value, direction == "desc")
        for (field, direction), value in zip(order, cursor.values, strict=True)
    ]
    keys.append((S.c.id, cursor.id, order[-1][1] == "desc"))
    branches: list[ColumnElement[bool]] = []
    for n, (column, value, descending) in enumerate(keys):
        equal = [earlier == known for earlier, known, _ in keys[:n]]
        step = column < value if descending else column > value
        branches.append(and_(*equal, step))
    return or_(*branches)


def _member(backend: Backend, key: str) -> tuple[ColumnElement[Any], ColumnElement[Any], str]:
    """Own field ``key``'s JSON type, its value (as text; SQLite: as stored), a text's type name.

    ``key`` is a plain identifier (checked by the query), so the JSON path is
    safe; it is still passed as a parameter.
    """
    document = S.c["metadata"]
    if backend.name == "sqlite":
        path = f"$.{key}"
        return func.json_type(document, path), func.json_extract(document, path), "text"
    if backend.name == "postgresql":
        value = document.op("->>", return_type=String)(key)
        return func.jsonb_typeof(document.op("->")(key)), value, "string"
    extracted = func.JSON_EXTRACT(document, f"$.{key}")
    return func.JSON_TYPE(extracted), func.JSON_UNQUOTE(extracted, type_=String), "STRING"


def _field_condition(
    backend: Backend, key: str, values: Sequence[FieldValue]
) -> ColumnElement[bool]:
    """Own field ``key`` equals one of ``values``, JSON type included (``"1"`` is not ``1``)."""
    strings = [v for v in values if isinstance(v, str)]
    integers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    booleans = ["true" if v else "false" for v in values if isinstance(v, bool)]
    kind, value, text = _member(backend, key)
    if backend.name == "sqlite":  # the value as stored: an integer compares as one
        typed: list[tuple[str, Sequence[Any]]] = [(text, strings), ("integer", integers)]
        conditions = [and_(kind == name, value.in_(wanted)) for name, wanted in typed if wanted]
        if booleans:
            conditions.append(kind.in_(booleans))
        return or_(*conditions)
    names = (
        (text, "number", "boolean")
        if backend.name == "postgresql"
        else (text, "INTEGER", "BOOLEAN")
    )
    value = _binary(backend, value)
    # The text form of a JSON integer is its digits; of a boolean, true or false.
    groups = zip(names, (strings, [str(i) for i in integers], booleans), strict=True)
    return or_(*(and_(kind == name, value.in_(wanted)) for name, wanted in groups if wanted))


def _text_contains(backend: Backend, key: str, needle: str) -> ColumnElement[bool]:
    """Own field ``key`` is text containing ``needle``, ``lower()`` of both compared literally.

    The database's ``lower()`` of both, so that a text is found by itself: every
    letter on PostgreSQL and MySQL, ASCII letters only on SQLite (whose other
    letters compare exactly); Python's ``lower()`` differs (two letters for
    ``İ``, ``é`` for SQLite's ``É``). The value's bytes are compared on MySQL,
    as the titles are, so its collation folds no accents.
    """
    kind, value, text = _member(backend, key)
    pattern: ColumnElement[Any] = func.lower(literal(contains_pattern(needle), String))
    found = _binary(backend, func.lower(value)).like(_binary(backend, pattern), escape="\\")
    return and_(kind == text, found)


def session_filters(
    backend: Backend, tenant: str, query: SessionQuery
) -> list[ColumnElement[bool]]:
    """Return the WHERE conditions picking ``tenant``'s sessions that ``query`` filters for."""
    conditions: list[ColumnElement[bool]] = [S.c.tenant == tenant]
    if query.matches_nothing:
        # An empty statuses or resources list is "any of none": no row, and no IN ().
        return [*conditions, false()]
    if query.series_id is not None:
        conditions.append(S.c.series_id == query.series_id)
    if query.statuses is not None:
        conditions.append(S.c.status.in_(query.statuses))
    if query.is_extra is not None:
        conditions.append(S.c.is_extra.is_(query.is_extra))
    if query.start_from is not None:
        conditions.append(S.c.start_at >= query.start_from)
    if query.start_to is not None:
        conditions.append(S.c.start_at < query.start_to)
    if query.resources is not None:
        # The resource rows first, then their sessions by primary key (not an EXISTS
        # probed for every session of the tenant).
        occupying = select(R.c.session_id).where(
            R.c.tenant == tenant,
            R.c.resource.in_(sorted(str(r) for r in query.resources)),
        )
        conditions.append(S.c.id.in_(occupying))
    if query.search is not None:
        title = backend.title_matches(S.c.title_folded, query.search)
        fields = [_text_contains(backend, key, query.search) for key in query.search_fields]
        conditions.append(or_(title, *fields) if fields else title)
    if query.group is not None:
        conditions.append(S.c.group_key == query.group)
    conditions.extend(_field_condition(backend, key, values) for key, values in query.fields)
    return conditions


def run_query(db: Db, backend: Backend, tenant: str, query: SessionQuery) -> Page[Session]:
    """Return the page of ``tenant``'s sessions that ``query`` asks for."""
    if query.matches_nothing:  # no statement: an empty any-of list picks no row
        return Page(items=(), total=0, page=query.page, limit=query.limit, next_cursor=None)
    conditions = session_filters(backend, tenant, query)
    total = db.scalar(select(func.count()).select_from(S).where(*conditions)) or 0
    order = query.ordering
    statement = select(S).where(*conditions)
    if query.after is not None:
        statement = statement.where(_beyond(backend, order, Cursor.decode(query.after, order)))
    columns = [
        _sort_column(backend, field).desc() if direction == "desc" else _sort_column(backend, field)
        for field, direction in order
    ]
    columns.append(S.c.id.desc() if order[-1][1] == "desc" else S.c.id)
    statement = statement.order_by(*columns)
    statement = statement.limit(query.limit + 1)
    if query.after is None and query.offset:
        statement = statement.offset(query.offset)
    rows = [session_from_row(row) for row in db.execute(statement).mappings()]
    items = tuple(rows[: query.limit])
    next_cursor = None
    if len(rows) > query.limit:
        next_cursor = Cursor.after_row(order, items[-1]).encode()
    return Page(
        items=items, total=total, page=query.page, limit=query.limit, next_cursor=next_cursor
    )
