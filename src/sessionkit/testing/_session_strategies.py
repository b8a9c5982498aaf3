"""The session and booking strategies of :mod:`sessionkit.testing.strategies`, gathered.

Private: import them from :mod:`sessionkit.testing.strategies`, which
re-exports every public name. Each lives in its own module:
:mod:`~sessionkit.testing._sessions_strategy` (:func:`sessions`),
:mod:`~sessionkit.testing._bookings_strategy` (:func:`bookings`) and
:mod:`~sessionkit.testing._booked_sessions_strategy` (:func:`booked_sessions`,
:class:`BookedSession`, replaying the commands with
:mod:`sessionkit.testing._booking_replay`). This module keeps the import path
(and ``_booked_sessions``, which a test replays on a kit) as it was.
"""

from __future__ import annotations

from sessionkit.testing._booked_sessions_strategy import BookedSession, booked_sessions
from sessionkit.testing._booked_sessions_strategy import (
    _booked_sessions as _booked_sessions,  # a test replays it on a kit
)
from sessionkit.testing._bookings_strategy import bookings
from sessionkit.testing._sessions_strategy import sessions

__all__ = [
    "BookedSession",
    "booked_sessions",
    "bookings",
    "sessions",
]
