"""Filtering, sorting and paging of sessions in memory, as :class:`SessionQuery` describes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sessionkit.errors import InvalidValue
from sessionkit.model.query import Cursor, Page, SessionQuery, SortField
from sessionkit.model.session import Session

__all__ = ["run_query", "sort_value"]


def _updated(session: Session) -> datetime:
    # A session never updated sorts by when it was created, as COALESCE would in SQL.
    return session.created_at if session.updated_at is None else session.updated_at


_SORT_VALUES: dict[SortField, Callable[[Session], datetime]] = {
    "start": lambda s: s.span.start,
    "end": lambda s: s.span.end,
    "created": lambda s: s.created_at,
    "updated": _updated,
}


def sort_value(session: Session, sort: SortField) -> datetime:
    """Return the value ``session`` sorts by under ``sort`` (``updated`` falls back to created)."""
    return _SORT_VALUES[sort](session)


def _matches(session: Session, query: SessionQuery, needle: str | None) -> bool:
    if query.series_id is not None and session.series_id != query.series_id:
        return False
    if query.statuses and session.status not in query.statuses:
        return False
    if query.is_extra is not None and session.is_extra != query.is_extra:
        return False
    start = session.span.start
    if query.start_from is not None and start < query.start_from:
        return False
    if query.start_to is not None and start >= query.start_to:
        return False
    if query.resources and not set(query.resources).intersection(session.resources):
        return False
    return needle is None or needle in session.title.casefold()


def run_query(sessions: Iterable[Session], query: SessionQuery) -> Page[Session]:
    """Return the page of ``sessions`` that ``query`` asks for, with the total and next cursor.

    Rows sort by the sort value, then by id, both in the query's direction, so
    a keyset cursor is simply "strictly after ``(value, id)``".
    """
    needle = None if query.search is None else query.search.casefold()
    matched = [s for s in sessions if _matches(s, query, needle)]
    value_of = _SORT_VALUES[query.sort]
    matched.sort(key=lambda s: (value_of(s), s.id), reverse=query.descending)
    if query.after is None:
        position = query.offset
    else:
        cursor = Cursor.decode(query.after, query.sort)
        if cursor.value is None:
            raise InvalidValue(
                "this cursor has no sort value", value=query.after, expected="a cursor"
            )
        mark = (cursor.value, cursor.id)
        position = len(matched)
        for number, session in enumerate(matched):
            key = (value_of(session), session.id)
            if (key < mark) if query.descending else (key > mark):
                position = number
                break
    items = tuple(matched[position : position + query.limit])
    next_cursor = None
    if items and position + len(items) < len(matched):
        last = items[-1]
        next_cursor = Cursor(query.sort, value_of(last), last.id).encode()
    return Page(
        items=items,
        total=len(matched),
        page=query.page,
        limit=query.limit,
        next_cursor=next_cursor,
    )
