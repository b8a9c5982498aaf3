"""Fast local-wall-time -> instant mapping for one zone, with the gap/fold policy.

Local wall times are handled as ``timedelta`` offsets from a naive epoch
(1970-01-01 00:00 on the local clock): adding, comparing and converting them is
plain arithmetic, while ``datetime.replace(tzinfo=...)`` costs ten times more.

For each zone and year the local timeline is cut into *regions*: stretches with
one UTC offset, and *bands* where the local clock is ambiguous (a gap it skips,
or a fold it repeats). Mapping a wall time inside a region is two additions;
only times inside a band go through :func:`sessionkit.zones.resolve_local`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

from sessionkit.zones import RecurrenceDisambiguate, get_zone, resolve_local, wall_time_kind

EPOCH: Final = datetime(1970, 1, 1)
UTC_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SAMPLE: Final = timedelta(hours=6)
_ONE_SECOND: Final = timedelta(seconds=1)
_MIN_D: Final = datetime(1, 1, 2) - EPOCH
_MAX_D: Final = datetime(9999, 12, 30) - EPOCH

# A region is (lo, hi, utc_base) in wall-time deltas: the instant of wall time d
# is utc_base + d. A band has utc_base None.
Region = tuple[timedelta, timedelta, datetime | None]


def _offset_at(zone: ZoneInfo, utc_naive: datetime) -> timedelta:
    offset = (UTC_EPOCH + (utc_naive - EPOCH)).astimezone(zone).utcoffset()
    assert offset is not None
    return offset


@lru_cache(maxsize=2048)
def _transitions(key: str, year: int) -> tuple[tuple[datetime, timedelta, timedelta], ...]:
    """Offset changes during a UTC year: (instant as naive UTC, offset before, offset after).

    Found by sampling every six hours and bisecting to the second; tzdata has no
    two transitions closer than that.
    """
    zone = get_zone(key)
    found: list[tuple[datetime, timedelta, timedelta]] = []
    t = datetime(year, 1, 1) if year > 1 else datetime(1, 1, 2)
    end = datetime(year + 1, 1, 1) if year < 9999 else datetime(9999, 12, 31)
    before = _offset_at(zone, t)
    while t < end:
        nxt = min(t + _SAMPLE, end)
        after = _offset_at(zone, nxt)
        if after != before:
            lo, hi = t, nxt  # offset(lo) == before, offset(hi) == after
            while hi - lo > _ONE_SECOND:
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if _offset_at(zone, mid) == before:
                    lo = mid
                else:
                    hi = mid
            found.append((hi, before, after))
            before = after
        t = nxt
    return tuple(found)


def year_transitions(key: str, year: int) -> tuple[datetime, ...]:
    """The instants (naive UTC) at which zone ``key`` changes its offset in UTC year ``year``."""
    return tuple(instant for instant, _before, _after in _transitions(key, year))


@lru_cache(maxsize=2048)
def year_regions(key: str, year: int) -> tuple[tuple[timedelta, ...], tuple[Region, ...]]:
    """Cut the local wall-clock year into regions and bands; returns (starts, regions)."""
    zone = get_zone(key)
    year_lo = (datetime(year, 1, 1) if year > 1 else datetime(1, 1, 2)) - EPOCH
    year_hi = (datetime(year + 1, 1, 1) if year < 9999 else datetime(9999, 12, 31)) - EPOCH
    bands: list[tuple[timedelta, timedelta]] = []
    for y in (year - 1, year, year + 1):
        if not 1 <= y <= 9999:
            continue
        for instant, before, after in _transitions(key, y):
            a = instant + before - EPOCH
            b = instant + after - EPOCH
            lo, hi = (a, b) if a < b else (b, a)
            if hi > year_lo and lo < year_hi:
                bands.append((max(lo, year_lo), min(hi, year_hi)))
    bands.sort()
    regions: list[Region] = []
    cursor = year_lo
    for lo, hi in bands:
        if lo > cursor:
            regions.append(_normal(zone, cursor, lo))
        if hi > cursor:
            regions.append((max(lo, cursor), hi, None))
            cursor = hi
    if cursor < year_hi:
        regions.append(_normal(zone, cursor, year_hi))
    return tuple(r[0] for r in regions), tuple(regions)


def _normal(zone: ZoneInfo, lo: timedelta, hi: timedelta) -> Region:
    offset = (datetime(1970, 1, 1, tzinfo=zone) + lo).utcoffset()
    assert offset is not None
    return (lo, hi, UTC_EPOCH - offset)


@lru_cache(maxsize=1024)
def _zone_epoch(zone: ZoneInfo) -> datetime:
    return datetime(1970, 1, 1, tzinfo=zone)


class WallClock:
    """Maps wall-time deltas of one zone to (instant in UTC, aware local time) under a policy.

    Not thread-safe (it caches the current region); make one per expansion.
    """

    __slots__ = ("_base", "_hi", "_lo", "_on_year", "_year", "key", "policy", "zone", "zone_epoch")

    def __init__(
        self,
        zone: ZoneInfo,
        policy: RecurrenceDisambiguate,
        on_year: Callable[[], None] | None = None,
    ) -> None:
        self.zone = zone
        self.key = zone.key
        self.policy = policy
        self.zone_epoch = _zone_epoch(zone)
        self._lo = timedelta(0)
        self._hi = timedelta(0)
        self._base: datetime | None = None
        self._year = 0
        self._on_year = on_year
        """Called each time the clock moves into another local year (to charge its cost)."""

    def region(self, d: timedelta) -> tuple[timedelta, timedelta, datetime | None]:
        """Return (lo, hi, utc_base) of the region holding wall time ``d``; base None in a band."""
        if not self._lo <= d < self._hi:
            year = (EPOCH + d).year
            if year != self._year:
                if self._year and self._on_year is not None:
                    self._on_year()
                self._year = year
            starts, regions = year_regions(self.key, year)
            self._lo, self._hi, self._base = regions[bisect_right(starts, d) - 1]
        return self._lo, self._hi, self._base

    def base_at(self, d: timedelta) -> datetime | None:
        """Return the region base at ``d`` (``None`` in a band) without moving the cache."""
        starts, regions = year_regions(self.key, (EPOCH + d).year)
        return regions[bisect_right(starts, d) - 1][2]

    def resolve_band(self, d: timedelta) -> tuple[datetime, datetime] | None:
        """Resolve a wall time inside a band by the policy; ``None`` means skip it."""
        naive = EPOCH + d
        if self.policy == "skip":
            if wall_time_kind(naive, self.zone) == "skipped":
                return None
            local = resolve_local(naive, self.zone)
        else:
            local = resolve_local(naive, self.zone, disambiguate=self.policy)
        return local.astimezone(UTC), local

    def map(self, d: timedelta) -> tuple[datetime, datetime] | None:
        """Return (instant, local) for wall time ``d``, or ``None`` if the policy skips it."""
        base = self.region(d)[2]
        if base is None:
            return self.resolve_band(d)
        return base + d, self.zone_epoch + d


def clamp(d: timedelta) -> timedelta:
    """Keep a wall-time delta inside what ``datetime`` can represent (with a margin)."""
    return min(max(d, _MIN_D), _MAX_D)
