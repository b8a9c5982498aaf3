"""What the split model modules moved still reads from the public ones, as it did.

``sessionkit.model.booking`` and ``sessionkit.model.attendance`` keep their
definitions in private modules (``_booking_*``, ``_attendance_*``,
``_presence_events``) and export them under their own names.
"""

from __future__ import annotations

from datetime import UTC, datetime


def test_booking_still_exports_session_order_key() -> None:
    # A public name of booking.py before the split, left in _booking_values without an import.
    from sessionkit.model.booking import session_order_key

    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert session_order_key((None, at, "b1")) == (True, 0, at, "b1")
    assert session_order_key((2, at, "b1")) == (False, 2, at, "b1")
    assert session_order_key.__module__ == "sessionkit.model.booking"
