"""Keyset cursors for the HTTP API's pages.

Sessions page with the core's own keyset :class:`~sessionkit.model.query.Cursor`
(the sort order travels inside it). A participant's bookings page by
``(session_start, id)``; :func:`booking_cursor` wraps that pair in the same kind
of opaque URL-safe text. Either way a page continues strictly after the last
row it returned, so rows inserted meanwhile never shift or repeat a page.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown
from sessionkit.model.booking import Booking
from sessionkit.model.query import MAX_CURSOR_LENGTH

__all__ = ["booking_cursor", "read_booking_cursor"]


def booking_cursor(last: Booking) -> str:
    """Return the cursor continuing after ``last`` in a participant's bookings."""
    payload = json.dumps([last.session_start.isoformat(), last.id])
    return base64.urlsafe_b64encode(payload.encode()).decode()


def read_booking_cursor(text: str) -> tuple[datetime, str]:
    """Return the ``(session_start, id)`` a cursor from :func:`booking_cursor` holds.

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
            f"not a bookings cursor from a previous page: {shown(text)}",
            value=text,
            expected="the next_cursor of a previous page",
        ) from exc
