"""Whether a session passes a :class:`~sessionkit.model.query.SessionQuery`'s filters, in Python.

The predicate the in-memory store's queries and the looped analytics
(:mod:`~sessionkit.adapters._looped_analytics`, the in-memory store's reader;
the Django store's picks its sessions as its queries do) filter sessions
with, and the ``LIKE`` pattern the SQL stores search with.
"""

from __future__ import annotations

from sessionkit.model.fields import field_matches, text_contains
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import Session

__all__ = ["contains_pattern", "matches"]


def matches(session: Session, query: SessionQuery, needle: str | None) -> bool:
    """Return whether ``session`` passes ``query``'s filters (``needle``: the folded search)."""
    if query.series_id is not None and session.series_id != query.series_id:
        return False
    # None is no filter; an empty tuple (any of none) keeps no session.
    if query.statuses is not None and session.status not in query.statuses:
        return False
    if query.is_extra is not None and session.is_extra != query.is_extra:
        return False
    if query.group is not None and session.group != query.group:
        return False
    start = session.span.start
    if query.start_from is not None and start < query.start_from:
        return False
    if query.start_to is not None and start >= query.start_to:
        return False
    if query.resources is not None and not set(query.resources).intersection(session.resources):
        return False
    if not all(field_matches(session.metadata, key, values) for key, values in query.fields):
        return False
    if needle is None or needle in session.title.casefold():
        return True
    search = query.search or ""
    return any(text_contains(session.metadata, key, search) for key in query.search_fields)


def contains_pattern(needle: str) -> str:
    """The SQL ``LIKE`` pattern of "contains ``needle``", literally (escaped by backslash)."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
