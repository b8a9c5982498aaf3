"""The value strategies of :mod:`sessionkit.testing.strategies`: zones, instants, spans, rules.

Private: import them from :mod:`sessionkit.testing.strategies`, which
re-exports every public name. Each group lives in its own module:
:mod:`~sessionkit.testing._time_strategies` (:func:`timezones`,
:func:`aware_datetimes`, :func:`timespans`, and the leap-day and zone checks
the others draw with), :mod:`~sessionkit.testing._recurrence_strategies`
(:func:`rules`, :func:`recurrences`) and
:mod:`~sessionkit.testing._availability_strategies` (:func:`daily_hours`,
:func:`weekly_hours`, :func:`availabilities`, :func:`booking_rules`). This
module keeps the import path (and ``LAST``, ``leap_day`` and ``minutes``,
which the session and booking strategies in
:mod:`sessionkit.testing._session_strategies` draw with) as it was.
"""

from __future__ import annotations

from sessionkit.testing._availability_strategies import (
    availabilities,
    booking_rules,
    daily_hours,
    minutes,
    weekly_hours,
)
from sessionkit.testing._recurrence_strategies import recurrences, rules
from sessionkit.testing._time_strategies import (
    DST_ZONES,
    LAST,
    aware_datetimes,
    leap_day,
    timespans,
    timezones,
)

__all__ = [
    "DST_ZONES",
    "LAST",
    "availabilities",
    "aware_datetimes",
    "booking_rules",
    "daily_hours",
    "leap_day",
    "minutes",
    "recurrences",
    "rules",
    "timespans",
    "timezones",
    "weekly_hours",
]
