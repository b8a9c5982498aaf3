"""Keyset cursors for the HTTP API's pages.

Sessions page with the core's own keyset :class:`~sessionkit.model.query.Cursor`
(the sort order travels inside it). A participant's bookings and a tenant's
payments page by ``(session_start, id)``; :func:`start_cursor` wraps that pair
in the same kind of opaque URL-safe text (:func:`booking_cursor` is its older
name). Either way a page continues strictly after the last row it returned, so
rows inserted meanwhile never shift or repeat a page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown
from sessionkit.model.query import MAX_CURSOR_LENGTH

__all__ = [
    "Started",
    "booking_cursor",
    "keyset_page",
    "read_booking_cursor",
    "read_start_cursor",
    "start_cursor",
]


class Started(Protocol):
    """A row listed by its session's start, then its id (a booking, a payment)."""

    @property
    def id(self) -> str:
        """The row's id."""
        ...

    @property
    def session_start(self) -> datetime:
        """The start of the row's session."""
        ...


RowT = TypeVar("RowT", bound=Started)


def start_cursor(last: Started) -> str:
    """Return the cursor continuing after ``last`` in a list by session start, then id."""
    payload = json.dumps([last.session_start.isoformat(), last.id])
    return base64.urlsafe_b64encode(payload.encode()).decode()


def read_start_cursor(text: str) -> tuple[datetime, str]:
    """Return the ``(session_start, id)`` a cursor from :func:`start_cursor` holds.

    Raises ``InvalidValue`` for text that is not such a cursor.
    """
    try:
        if len(text) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        start, last_id = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
        if not isinstance(start, str) or not isinstance(last_id, str):
            raise TypeError("a (start, id) pair of strings")
        return datetime.fromisoformat(start), last_id
    except (ValueError, TypeError, binascii.Error, UnicodeError) as exc:
        raise InvalidValue(
            f"not a cursor from a previous page: {shown(text)}",
            value=text,
            expected="the next_cursor of a previous page",
        ) from exc


booking_cursor = start_cursor
"""The cursor continuing after a booking in a participant's bookings (:func:`start_cursor`)."""
read_booking_cursor = read_start_cursor
"""Read a cursor of :func:`booking_cursor` (:func:`read_start_cursor`)."""


def keyset_page(found: Sequence[RowT], limit: int) -> tuple[list[RowT], str | None]:
    """Split rows read with ``limit + 1`` into the page and the cursor of the next (or ``None``).

    Reading one row more than the page holds tells whether a next page exists
    without counting.
    """
    items = list(found[:limit])
    more = len(found) > limit
    return items, start_cursor(items[-1]) if more and items else None
