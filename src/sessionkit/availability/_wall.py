"""Local-day arithmetic shared by availability and the slot grid.

Most local days have one UTC offset from midnight to midnight; on those a wall
time becomes an instant by subtracting the offset, with no zone lookups. Only the
few days with a transition take the careful path through
:func:`sessionkit.zones.resolve_local`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sessionkit.zones import resolve_local

ONE_DAY = timedelta(days=1)
ZERO = timedelta(0)
_MIDNIGHT = time(0)


@lru_cache(maxsize=8192)
def day_offset(zone: ZoneInfo, day: date) -> timedelta | None:
    """Return the UTC offset in force all through the local ``day``, or None on a transition day.

    A day counts as regular when neither its midnight nor the next is skipped
    or repeated and both have the same offset; then every wall time of the
    day maps to ``wall - offset``, once. The next midnight is read on both
    sides of a change there: a change just after it (St. John's went back at
    00:01 to 23:01 the evening before) repeats the day's last hour, one just
    before it (Toronto, 1919: 23:30 to 00:30) skips its last half hour.
    Cached: a calendar asks for the same days over and over.
    """
    midnight = datetime.combine(day, _MIDNIGHT)
    offset = zone.utcoffset(midnight)
    if offset is None:  # pragma: no cover - ZoneInfo always answers
        return None
    following = midnight + ONE_DAY
    for wall in (midnight.replace(fold=1), following, following.replace(fold=1)):
        if zone.utcoffset(wall) != offset:
            return None
    return offset


def wall_to_utc(zone: ZoneInfo, day: date, offset: timedelta | None, wall: timedelta) -> datetime:
    """Return the UTC instant of local ``day`` + ``wall`` (``wall`` may be 24 hours).

    Skipped and repeated wall times follow the RFC 5545 default ("compatible").
    """
    local = datetime.combine(day, _MIDNIGHT) + wall
    if offset is not None:
        return (local - offset).replace(tzinfo=UTC)
    return resolve_local(local, zone).astimezone(UTC)


_SAMPLE = timedelta(minutes=30)
_AROUND = timedelta(hours=27)
_SECOND = timedelta(seconds=1)

Run = tuple[datetime, datetime, timedelta]
"""A stretch of UTC time ``[start, end)`` with one UTC offset: (start, end, offset)."""


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


@lru_cache(maxsize=4096)
def offset_runs(zone: ZoneInfo, day: date) -> tuple[Run, ...]:
    """Return the stretches of one UTC offset covering every instant of the local ``day``.

    Ascending and contiguous, from 27 hours before the day's midnight (read as
    UTC) to 27 hours after its end, which covers any offset. Offset changes are
    found by sampling every 30 minutes and bisecting to the second (tzdata has
    no two transitions that close, and none off a whole second).
    """
    midnight = datetime.combine(day, _MIDNIGHT).replace(tzinfo=UTC)
    start = midnight - _AROUND
    end = midnight + ONE_DAY + _AROUND
    runs: list[Run] = []
    t = start
    offset = _offset(zone, t)
    while t < end:
        nxt = min(t + _SAMPLE, end)
        after = _offset(zone, nxt)
        if after != offset:
            lo, hi = t, nxt  # the offset is `offset` at lo and `after` at hi
            while hi - lo > _SECOND:
                mid = (lo + (hi - lo) / 2).replace(microsecond=0)
                if _offset(zone, mid) == offset:
                    lo = mid
                else:
                    hi = mid
            runs.append((start, hi, offset))
            start, offset = hi, after
        t = nxt
    runs.append((start, end, offset))
    return tuple(runs)


def local_date(zone: ZoneInfo, instant: datetime) -> date:
    """Return the local calendar date of an aware instant."""
    return instant.astimezone(zone).date()
