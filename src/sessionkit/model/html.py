"""HTML tables for notebooks: ``_repr_html_`` of sessions, pages, reports and anything with records.

Jupyter shows a value's ``_repr_html_()`` instead of its ``repr``. Everything
here returns a string and does no I/O; every piece of text that comes from a
value is escaped, so a title like ``<script>`` is shown, never run.

- :func:`html_table` renders records (dicts) as one table, at most ``limit`` rows.
- :func:`html_of` renders one value: a session, series, booking, payment or
  reschedule request as a two-column field/value table; a
  :class:`~sessionkit.model.query.Page` as a table of its items with the paging
  in the caption; anything with ``to_records()`` as a table of those records;
  any other attrs value (the services' reports) as its plain fields followed by
  a table per non-empty tuple field.

A class gets a notebook table with one line in its body::

    _repr_html_ = html_of

>>> from sessionkit.model.html import html_table
>>> print(html_table([{"title": "<b>Chemistry</b>", "seats": 3}], caption="Lessons"))
<table class="sessionkit">
<caption>Lessons</caption>
<thead><tr><th>title</th><th>seats</th></tr></thead>
<tbody>
<tr><td>&lt;b&gt;Chemistry&lt;/b&gt;</td><td>3</td></tr>
</tbody>
</table>
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import check_int, shown
from sessionkit.model.records import Record, Schema, schema_of, to_records

__all__ = ["DEFAULT_LIMIT", "cell", "html_of", "html_table"]

DEFAULT_LIMIT = 50
"""How many rows a table shows before it says how many more there are."""


def cell(value: object) -> str:
    """Return ``value`` as the (unescaped) text of a table cell.

    ``None`` is empty; an instant reads ``2026-03-02 17:00:00Z`` (UTC); a time
    span ``start - end``; a record with an ``id`` (a session in a report) its
    id; an exception ``Type: message``; a tuple or list its cells joined by
    ``", "``.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat(sep=" ")
        try:
            return value.astimezone(UTC).isoformat(sep=" ").replace("+00:00", "Z")
        except OverflowError:  # datetime.min at +14:00 has no UTC equivalent: as given
            return value.isoformat(sep=" ")
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    if isinstance(value, tuple | list):
        try:
            return ", ".join(cell(v) for v in value)
        except RecursionError:  # nested past the interpreter's limit
            return shown(value)
    start, end = getattr(value, "start", None), getattr(value, "end", None)
    if type(value).__name__ == "TimeSpan" and isinstance(start, datetime):
        return f"{cell(start)} - {cell(end)}"
    ident = getattr(value, "id", None)
    if attrs.has(type(value)) and isinstance(ident, str):
        return ident
    try:
        return str(value)
    except (ValueError, RecursionError):  # an int too long to print, a deep container
        return shown(value)


def _check_limit(limit: object) -> int:
    limit = check_int(limit, name="limit", expected="an int >= 1")
    if limit < 1:
        raise InvalidValue(
            f"limit must be at least 1, got {shown(limit)}", value=limit, expected=">= 1"
        )
    return limit


def _columns(records: Sequence[Mapping[str, Any]]) -> list[str]:
    # The first record's order, then any key a later record adds.
    seen: dict[str, None] = {}
    for record in records:
        for key in record:
            seen.setdefault(str(key), None)
    return list(seen)


def html_table(
    records: Iterable[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    caption: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> str:
    """Return ``records`` as an HTML table (every text escaped), at most ``limit`` rows.

    ``columns`` picks and orders the columns (default: every key, in the order
    first seen). A row past ``limit`` is not shown; a last row says how many
    were left out. A record without a column shows an empty cell.
    """
    limit = _check_limit(limit)
    if caption is not None and not isinstance(caption, str):
        raise WrongType(caption, name="caption", expected="text or None")
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, Iterable):
        raise WrongType(records, name="records", expected="an iterable of mappings")
    rows = list(records)
    for row in rows:
        if not isinstance(row, Mapping):
            raise WrongType(row, name="record", expected="a mapping of column to value")
    if columns is not None and (
        isinstance(columns, str)
        or not isinstance(columns, Iterable)
        or not all(isinstance(n, str) for n in columns)
    ):
        raise WrongType(columns, name="columns", expected="a sequence of column names")
    names = list(columns) if columns is not None else _columns(rows)
    esc = html.escape
    out = ['<table class="sessionkit">']
    if caption is not None:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{esc(n)}</th>" for n in names) + "</tr></thead>")
    out.append("<tbody>")
    for row in rows[:limit]:
        tds = "".join(f"<td>{esc(cell(row.get(n)))}</td>" for n in names)
        out.append(f"<tr>{tds}</tr>")
    if len(rows) > limit:
        more = len(rows) - limit
        out.append(f'<tr><td colspan="{max(1, len(names))}">... {more} more row(s)</td></tr>')
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def _fields(schema: Schema, value: object) -> list[Record]:
    return [{"field": name, "value": v} for name, v in schema.record(value).items()]


def _plain(value: object) -> dict[str, object]:
    fields = attrs.fields(cast("type[attrs.AttrsInstance]", type(value)))
    return {f.name: getattr(value, f.name) for f in fields}


def _row(item: object) -> Record:
    schema = schema_of(item)
    if schema is not None:
        return schema.record(item)
    if attrs.has(type(item)):
        return _plain(item)
    if isinstance(item, Mapping):
        return dict(item)
    if isinstance(item, tuple):
        return {f"#{n}": v for n, v in enumerate(item, 1)}
    return {"value": item}


def _report(value: object, limit: int) -> str:
    name = type(value).__name__
    plain: list[Record] = []
    parts: list[str] = []
    for field, v in _plain(value).items():
        if isinstance(v, tuple) and not v:
            plain.append({"field": field, "value": "(none)"})
        elif isinstance(v, tuple) and any(not isinstance(x, str | int) for x in v):
            caption = f"{field} ({len(v)})"
            parts.append(html_table([_row(x) for x in v], caption=caption, limit=limit))
        else:
            plain.append({"field": field, "value": v})
    head = html_table(plain, columns=("field", "value"), caption=name, limit=limit)
    return "\n".join([f'<div class="sessionkit">{head}', *parts, "</div>"])


def html_of(value: object, *, limit: int = DEFAULT_LIMIT) -> str:
    """Return ``value`` as HTML for a notebook (see the module docs for what each value gives).

    Raises :class:`~sessionkit.errors.WrongType` for a value that is none of
    those (not an attrs value, no records).
    """
    limit = _check_limit(limit)
    name = type(value).__name__
    schema = schema_of(value)
    if schema is not None:
        return html_table(
            _fields(schema, value), columns=("field", "value"), caption=name, limit=limit
        )
    items = getattr(value, "items", None)
    total = getattr(value, "total", None)
    if isinstance(items, tuple) and isinstance(total, int):
        page, pages = getattr(value, "page", 1), getattr(value, "pages", 1)
        caption = f"Page {page} of {pages}: {len(items)} of {total}"
        return html_table([_row(x) for x in items], caption=caption, limit=limit)
    if callable(getattr(value, "to_records", None)):
        records = to_records(value)
        declared = getattr(value, "COLUMNS", None)
        # No rows to take the columns from: the header still names the result's own.
        columns = declared if not records and isinstance(declared, tuple) else None
        return html_table(records, columns=columns, caption=name, limit=limit)
    if attrs.has(type(value)):
        return _report(value, limit)
    raise WrongType(value, name="value", expected="a sessionkit value, a page or records")
