"""Hypothesis strategies for sessionkit's value types, for property-testing your own rules.

>>> from hypothesis import given
>>> from sessionkit.testing import strategies as sks
>>> @given(sks.timespans())
... def test_duration_positive(span):
...     assert span.duration.total_seconds() > 0
>>> test_duration_positive()
"""

from __future__ import annotations

from sessionkit.testing import _type_strategies
from sessionkit.testing._session_strategies import (
    BookedSession,
    booked_sessions,
    bookings,
    sessions,
)
from sessionkit.testing._value_strategies import (
    DST_ZONES,
    availabilities,
    aware_datetimes,
    booking_rules,
    daily_hours,
    recurrences,
    rules,
    timespans,
    timezones,
    weekly_hours,
)

__all__ = [
    "DST_ZONES",
    "BookedSession",
    "availabilities",
    "aware_datetimes",
    "booked_sessions",
    "booking_rules",
    "bookings",
    "daily_hours",
    "recurrences",
    "rules",
    "sessions",
    "timespans",
    "timezones",
    "weekly_hours",
]

# st.from_type(Session) and the rest draw these strategies from here on (the entry point
# registers them when Hypothesis is imported; this covers an install without it).
_type_strategies.register()
