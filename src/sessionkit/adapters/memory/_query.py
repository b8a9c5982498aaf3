"""Filtering, sorting and paging of sessions in memory, as :class:`SessionQuery` describes."""

from __future__ import annotations

from collections.abc import Iterable

from sessionkit.adapters._session_match import matches
from sessionkit.model.query import Cursor, Page, SessionQuery, SortKey, SortValue, sort_value
from sessionkit.model.session import Session

__all__ = ["matches", "run_query", "sort_value"]


def _sort(sessions: list[Session], order: tuple[SortKey, ...]) -> None:
    """Sort in place by ``order``, ties by id in the last key's direction (stable passes)."""
    sessions.sort(key=lambda s: s.id, reverse=order[-1][1] == "desc")
    for field, direction in reversed(order):
        sessions.sort(key=lambda s, f=field: sort_value(s, f), reverse=direction == "desc")  # type: ignore[misc]  # the default binds the loop's field


def _follows(session: Session, cursor: Cursor) -> bool:
    """Whether ``session`` comes strictly after the cursor's row in the cursor's order."""
    mark: SortValue
    for (field, direction), mark in zip(cursor.order, cursor.values, strict=True):
        value = sort_value(session, field)
        if value != mark:
            return (value > mark) if direction == "asc" else (value < mark)  # type: ignore[operator]  # same field, same type
    if session.id == cursor.id:
        return False
    return (session.id > cursor.id) if cursor.order[-1][1] == "asc" else (session.id < cursor.id)


def run_query(sessions: Iterable[Session], query: SessionQuery) -> Page[Session]:
    """Return the page of ``sessions`` that ``query`` asks for, with the total and next cursor.

    Rows sort by each key of the order, then by id in the last key's
    direction, so a keyset cursor is simply "strictly after ``(values, id)``".
    """
    needle = None if query.search is None else query.search.casefold()
    if query.matches_nothing:  # an empty statuses or resources list: nothing to scan
        sessions = ()
    matched = [s for s in sessions if matches(s, query, needle)]
    order = query.ordering
    _sort(matched, order)
    if query.after is None:
        position = query.offset
    else:
        cursor = Cursor.decode(query.after, order)
        position = next(
            (n for n, session in enumerate(matched) if _follows(session, cursor)), len(matched)
        )
    items = tuple(matched[position : position + query.limit])
    next_cursor = None
    if items and position + len(items) < len(matched):
        next_cursor = Cursor.after_row(order, items[-1]).encode()
    return Page(
        items=items,
        total=len(matched),
        page=query.page,
        limit=query.limit,
        next_cursor=next_cursor,
    )
