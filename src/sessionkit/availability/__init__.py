"""Availability and free slots: "when is this person free?".

:class:`Availability` holds recurring hours in local wall time of an IANA zone
(weekly hours, or any RFC 5545 rule through recurrences) with date overrides.
:func:`free_time` subtracts busy spans from it; :func:`free_slots` cuts the
result into bookable slots on a local step grid; :func:`common_free_time` and
:func:`common_free_slots` do the same for several resources at once.

>>> from datetime import UTC, date, datetime, time, timedelta
>>> from sessionkit.timespan import TimeSpan
>>> hours = Availability.weekly(
...     {"MO": [(time(9), time(12)), (time(13), time(17))]}, tz="Europe/Berlin"
... ).with_blocked_date(date(2026, 4, 6))  # Easter Monday
>>> ten = datetime(2026, 3, 30, 8, tzinfo=UTC)  # 10:00 in Berlin (summer time)
>>> busy = [TimeSpan(ten, ten + timedelta(hours=1))]
>>> slots = free_slots(
...     hours, busy,
...     window=(datetime(2026, 3, 30, tzinfo=UTC), datetime(2026, 4, 7, tzinfo=UTC)),
...     duration=timedelta(hours=1), step=timedelta(minutes=30),
... )
>>> [slot.in_zone("Europe/Berlin")[0].strftime("%a %d %H:%M") for slot in slots[:6]]
['Mon 30 09:00', 'Mon 30 11:00', 'Mon 30 13:00', 'Mon 30 13:30', 'Mon 30 14:00', 'Mon 30 14:30']
>>> len(slots)  # Monday 30 March only: 6 April is blocked
9
"""

from __future__ import annotations

from sessionkit.availability.model import (
    WEEKDAY_CODES,
    Availability,
    HasSpan,
    OccurrenceSource,
    Window,
)
from sessionkit.availability.slots import (
    Calendar,
    common_free_slots,
    common_free_time,
    free_slots,
    free_time,
)

__all__ = [
    "WEEKDAY_CODES",
    "Availability",
    "Calendar",
    "HasSpan",
    "OccurrenceSource",
    "Window",
    "common_free_slots",
    "common_free_time",
    "free_slots",
    "free_time",
]
