"""Keyset cursors for the HTTP API's pages.

Sessions page with the core's own keyset :class:`~sessionkit.model.query.Cursor`
(the sort order travels inside it). A participant's bookings and a tenant's
payments page by ``(session_start, id)``; :func:`start_cursor` wraps that pair
in the same kind of opaque URL-safe text (:func:`booking_cursor` is its older
name). A session's bookings page by where they stand in its list
(:attr:`~sessionkit.model.booking.Booking.session_order`, :func:`session_order_cursor`),
and a journal by ``(at, seq, id)`` (:func:`journal_cursor`).
Either way a page continues strictly after the last row it returned, so
rows inserted meanwhile never shift or repeat a page. A cursor is read with the
very checks the services make of a page's continuation, so a tampered one is
refused here as no cursor, never with the names of the services' arguments.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sessionkit.errors import InvalidValue, SessionKitError
from sessionkit.errors._base import shown
from sessionkit.model.booking import Booking, SessionOrder
from sessionkit.model.journal import JournalEntry
from sessionkit.model.query import MAX_CURSOR_LENGTH
from sessionkit.services.booking_queries import continuation, order_continuation
from sessionkit.services.journal import journal_continuation

__all__ = [
    "Started",
    "booking_cursor",
    "journal_cursor",
    "keyset_page",
    "session_order_cursor",
    "read_booking_cursor",
    "read_journal_cursor",
    "read_session_order_cursor",
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


def _decoded(text: str) -> Any:
    """Return the JSON a cursor holds; ``ValueError`` for text that is no cursor."""
    if len(text) > MAX_CURSOR_LENGTH:
        raise ValueError("too long")
    try:
        return json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
    except (binascii.Error, UnicodeError, RecursionError) as exc:
        # RecursionError: JSON nested past the interpreter's limit (a forged cursor).
        raise ValueError("not base64 JSON") from exc


def _not_a_cursor(text: str) -> InvalidValue:
    return InvalidValue(
        f"not a cursor from a previous page: {shown(text)}",
        value=text,
        expected="the next_cursor of a previous page",
    )


def read_start_cursor(text: str) -> tuple[datetime, str]:
    """Return the ``(session_start, id)`` a cursor from :func:`start_cursor` holds.

    Raises ``InvalidValue`` for text that is not such a cursor.
    """
    try:
        start, last_id = _decoded(text)
        if not isinstance(start, str) or not isinstance(last_id, str):
            raise TypeError("a (start, id) pair of strings")
        return continuation((datetime.fromisoformat(start), last_id))
    except (ValueError, TypeError, SessionKitError) as exc:
        raise _not_a_cursor(text) from exc


def session_order_cursor(last: Booking) -> str:
    """Return the cursor continuing after ``last`` in its session's bookings (``session_order``)."""
    position, created_at, last_id = last.session_order
    payload = json.dumps([position, created_at.isoformat(), last_id])
    return base64.urlsafe_b64encode(payload.encode()).decode()


def read_session_order_cursor(text: str) -> SessionOrder:
    """Return the ``(position, created_at, id)`` a cursor from :func:`session_order_cursor` holds.

    Raises ``InvalidValue`` for text that is not such a cursor.
    """
    try:
        position, created_at, last_id = _decoded(text)
        if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
            raise TypeError("a position: an integer or null")
        if not isinstance(created_at, str) or not isinstance(last_id, str):
            raise TypeError("an instant and an id, as strings")
        return order_continuation((position, datetime.fromisoformat(created_at), last_id))
    except (ValueError, TypeError, SessionKitError) as exc:
        raise _not_a_cursor(text) from exc


booking_cursor = start_cursor
"""The cursor continuing after a booking in a participant's bookings (:func:`start_cursor`)."""
read_booking_cursor = read_start_cursor
"""Read a cursor of :func:`booking_cursor` (:func:`read_start_cursor`)."""


def keyset_page(
    found: Sequence[RowT], limit: int, cursor: Callable[[RowT], str] = start_cursor
) -> tuple[list[RowT], str | None]:
    """Split rows read with ``limit + 1`` into the page and the cursor of the next (or ``None``).

    Reading one row more than the page holds tells whether a next page exists
    without counting; ``cursor`` makes the next page's cursor of the page's
    last row (default: :func:`start_cursor`).
    """
    items = list(found[:limit])
    more = len(found) > limit
    return items, cursor(items[-1]) if more and items else None


def journal_cursor(last: JournalEntry) -> str:
    """Return the cursor continuing after ``last`` in a history (``at``, ``seq``, ``id``)."""
    at, seq, last_id = last.cursor
    payload = json.dumps([at.isoformat(), seq, last_id])
    return base64.urlsafe_b64encode(payload.encode()).decode()


def read_journal_cursor(text: str) -> tuple[datetime, int, str]:
    """Return the ``(at, seq, id)`` a cursor from :func:`journal_cursor` holds.

    Raises ``InvalidValue`` for text that is not such a cursor.
    """
    try:
        at, seq, last_id = _decoded(text)
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise TypeError("a sequence number: an integer")
        if not isinstance(at, str) or not isinstance(last_id, str):
            raise TypeError("an instant and an id, as strings")
        checked = journal_continuation((datetime.fromisoformat(at), seq, last_id))
        assert checked is not None  # a triple, never None
        return checked
    except (ValueError, TypeError, SessionKitError) as exc:
        raise _not_a_cursor(text) from exc
