"""Availability: when a provider (or a room) can be booked, in local wall time of an IANA zone.

This module owns :class:`Availability`, what it is built from
(:class:`OccurrenceSource`, :class:`HasSpan`), a query :data:`Window` and its
check, and how the available time in a window is read (``_pairs``). The
weekday codes, :data:`Hours` and the checks of the wall-clock hours and dates a
caller gives live in ``_hours``; this module exports them as before.
"""

from __future__ import annotations

import functools
import inspect
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import attrs

from sessionkit.availability._hours import (
    WEEKDAY_CODES,
    _check_date,
    _hours,
    _merge_walls,
    _weekday_index,
)

# Hours is read from here (importers, the class's hints) though, as before, not in __all__.
from sessionkit.availability._hours import Hours as Hours
from sessionkit.availability._wall import ONE_DAY, ZERO, day_offset, local_date, wall_to_utc
from sessionkit.errors import InvalidAvailability, InvalidWindow, NotADatetime, WrongType
from sessionkit.errors._base import iterator_of, shown
from sessionkit.limits import DEFAULT_LIMITS
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_instant, get_zone

__all__ = ["WEEKDAY_CODES", "Availability", "HasSpan", "OccurrenceSource", "Window"]

Window = TimeSpan | tuple[datetime, datetime]
"""A query window: a TimeSpan, or a ``(start, end)`` pair of aware datetimes (may be empty)."""

_MIDNIGHT = time(0)


class HasSpan(Protocol):
    """Anything with a ``span`` (a recurrence's occurrence, a session)."""

    @property
    def span(self) -> TimeSpan:
        """The real time it occupies."""
        ...


class OccurrenceSource(Protocol):
    """What :meth:`Availability.from_recurrences` needs, as a Recurrence provides.

    ``between(start, end)`` yields, ascending, the occurrences that *start* in
    ``[start, end)``; each lasts ``duration``. A ``between`` that also takes
    ``max_candidates=`` (a :class:`~sessionkit.recurrence.Recurrence` does) is
    given the caller's ``Limits.candidates``.
    """

    @property
    def duration(self) -> timedelta:
        """The length of every occurrence."""
        ...

    def between(self, start: datetime, end: datetime) -> Iterable[HasSpan]:
        """Yield the occurrences starting in ``[start, end)``, ascending."""
        ...


@functools.lru_cache(maxsize=64)
def _takes_budget(kind: type[OccurrenceSource]) -> bool:
    """Whether ``kind``'s ``between`` takes ``max_candidates=`` (a Recurrence's does)."""
    try:
        return "max_candidates" in inspect.signature(kind.between).parameters
    except (AttributeError, TypeError, ValueError):  # no signature to read: call it plainly
        return False


def _sources(values: Iterable[Any], name: str) -> tuple[OccurrenceSource, ...]:
    """Return the occurrence sources ``values`` holds; ``WrongType`` for anything else.

    Checked when the availability is built, not first when its spans are read.
    """
    expected = "an iterable of recurrences"
    if isinstance(values, str | bytes):
        raise WrongType(values, name=name, expected=expected)
    found = tuple(iterator_of(values, name=name, expected=expected))
    for position, value in enumerate(found):
        if not callable(getattr(value, "between", None)) or not hasattr(value, "duration"):
            raise WrongType(
                value,
                name=f"{name}[{position}]",
                expected="a Recurrence (or a value with between(start, end) and duration)",
            )
    return found


def check_window(window: Window) -> tuple[datetime, datetime]:
    """Return a window as a UTC ``(start, end)`` pair, raising a sessionkit error if it is bad.

    Both ends must lie in :data:`~sessionkit.zones.EARLIEST` .. :data:`~sessionkit.zones.LATEST`.
    """
    if isinstance(window, TimeSpan):
        start, end = window.start, window.end
    elif isinstance(window, (str, bytes)):
        raise NotADatetime(
            window, name="window", expected="TimeSpan or (start, end) pair of datetimes"
        )
    else:
        try:
            start, end = window
        except (TypeError, ValueError):
            raise NotADatetime(
                window, name="window", expected="TimeSpan or (start, end) pair of datetimes"
            ) from None
    lo = check_instant(start, "window start")
    hi = check_instant(end, "window end")
    if hi < lo:
        raise InvalidWindow(
            f"window end {end.isoformat()} is before its start {start.isoformat()}",
            value=(start, end),
            expected="end >= start",
        )
    return lo, hi


def _before(instant: datetime, duration: timedelta) -> datetime:
    """Return ``instant - duration``, or the earliest datetime if that is before year 1."""
    try:
        return instant - duration
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def merge_pairs(pairs: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sort ``(start, end)`` pairs and merge those that overlap or touch."""
    pairs.sort()
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in pairs:
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


@attrs.frozen(slots=True)
class Availability:
    """When something can be booked: weekly hours and/or recurrences, with date overrides.

    Hours are local wall times in ``zone``, so "Mondays 09:00-12:00" in Berlin is
    08:00 UTC in winter and 07:00 UTC in summer. A date's hours (weekly plus
    extra) are merged as wall times first; then each stretch's start and end
    are read as RFC 5545 section 3.3.5 says (see :mod:`sessionkit.zones`): a
    skipped wall time takes the offset before the gap. So hours that are the
    gap, such as 02:00-03:00 on the day clocks jump from 02:00 to 03:00, are
    not available at all, while 02:10-02:20 that day is 03:10-03:20 in
    summer time.

    Overrides, applied per local date: a *blocked* date (or range of dates, such
    as a holiday) has none of its weekly or recurring hours; *extra* hours on a
    date are added on top of whatever else that date has, even when it is
    blocked, so ``.with_blocked_date(d).with_extra_hours(d, ...)`` replaces a
    day's hours.

    Values are immutable; the ``with_*`` methods return new ones. Build them
    with :meth:`weekly`, :meth:`from_recurrences` or :meth:`always`.
    """

    zone: ZoneInfo = attrs.field(converter=get_zone)
    weekly_hours: tuple[Hours, ...] = ((),) * 7
    extra_hours: tuple[tuple[date, Hours], ...] = ()
    blocked: tuple[tuple[date, date], ...] = ()
    recurrences: tuple[OccurrenceSource, ...] = ()

    # ------------------------------------------------------------------ constructors

    @classmethod
    def weekly(
        cls, hours: Mapping[str, Iterable[tuple[time, time]]], *, tz: str | tzinfo
    ) -> Availability:
        """Build from weekly hours: ``{"MO": [(time(9), time(12)), ...], ...}`` in zone ``tz``.

        Keys are RFC 5545 weekday codes (any case). An end of ``time(0)`` means
        midnight at the end of the day, so ``(time(0), time(0))`` is the whole
        day. Overlapping or touching hours merge. Raises
        :class:`~sessionkit.errors.InvalidAvailability` for an unknown weekday or
        hours that end before they start, :class:`~sessionkit.errors.NotADatetime`
        for a value that is not a ``time``, and
        :class:`~sessionkit.errors.UnknownTimeZone` for an unknown ``tz``.
        """
        zone = get_zone(tz)
        if not isinstance(hours, Mapping):
            raise InvalidAvailability(
                f"weekly hours must map weekday codes to hours, got {shown(hours)}",
                value=hours,
                expected='{"MO": [(time, time), ...], ...}',
            )
        week: list[list[tuple[timedelta, timedelta]]] = [[] for _ in WEEKDAY_CODES]
        for code, pairs in hours.items():
            index = _weekday_index(code)
            week[index].extend(_hours(pairs, WEEKDAY_CODES[index]))
        return cls(zone=zone, weekly_hours=tuple(_merge_walls(day) for day in week))

    @classmethod
    def always(cls, *, tz: str | tzinfo = "UTC") -> Availability:
        """Available at every moment (a room with no opening hours); overrides still apply."""
        whole_day: Hours = ((ZERO, ONE_DAY),)
        return cls(zone=get_zone(tz), weekly_hours=(whole_day,) * 7)

    @classmethod
    def from_recurrences(
        cls, recurrences: Iterable[OccurrenceSource], *, tz: str | tzinfo
    ) -> Availability:
        """Build from recurrences: every occurrence is a stretch of available time.

        Any RFC 5545 rule works, e.g.
        ``Recurrence.from_rrule("FREQ=MONTHLY;BYDAY=1SA", start=..., tz=..., duration=...)``
        for "the first Saturday of each month". ``tz`` is the zone whose local
        dates the overrides and whose wall clock the slot grid use.
        """
        return cls(zone=get_zone(tz), recurrences=_sources(recurrences, "recurrences"))

    # ------------------------------------------------------------------ overrides

    def with_weekly(self, hours: Mapping[str, Iterable[tuple[time, time]]]) -> Availability:
        """Return a copy with these weekly hours added to the existing ones."""
        extra = Availability.weekly(hours, tz=self.zone).weekly_hours
        week = tuple(
            _merge_walls(mine + theirs)
            for mine, theirs in zip(self.weekly_hours, extra, strict=True)
        )
        return attrs.evolve(self, weekly_hours=week)

    def with_recurrences(self, *recurrences: OccurrenceSource) -> Availability:
        """Return a copy whose available time also includes every occurrence of ``recurrences``."""
        added = _sources(recurrences, "recurrences")
        return attrs.evolve(self, recurrences=self.recurrences + added)

    def with_extra_hours(self, day: date, hours: Iterable[tuple[time, time]]) -> Availability:
        """Return a copy also available during ``hours`` (local wall times) on ``day``."""
        day = _check_date(day, "day")
        added = _hours(hours, day.isoformat())
        table = dict(self.extra_hours)
        table[day] = _merge_walls(table.get(day, ()) + added)
        return attrs.evolve(self, extra_hours=tuple(sorted(table.items())))

    def with_blocked_date(self, day: date) -> Availability:
        """Return a copy with none of the weekly or recurring hours on the local date ``day``."""
        return self.with_blocked_range(day, day)

    def with_blocked_range(self, first: date, last: date) -> Availability:
        """Return a copy with every local date from ``first`` to ``last`` (inclusive) blocked."""
        first = _check_date(first, "first")
        last = _check_date(last, "last")
        if last < first:
            raise InvalidAvailability(
                f"blocked range ends ({last.isoformat()}) before it starts ({first.isoformat()})",
                value=(first, last),
                expected="first <= last",
            )
        ranges = sorted((*self.blocked, (first, last)))
        merged: list[tuple[date, date]] = []
        for lo, hi in ranges:
            # Subtracted, not ``merged[-1][1] + ONE_DAY``: a range may end on date.max ("from
            # now on"), and a day after it is past what a date holds.
            if merged and lo - merged[-1][1] <= ONE_DAY:
                if hi > merged[-1][1]:
                    merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        return attrs.evolve(self, blocked=tuple(merged))

    # ------------------------------------------------------------------ queries

    def is_blocked(self, day: date) -> bool:
        """Return whether the local date ``day`` is blocked (extra hours may still apply).

        Raises :class:`~sessionkit.errors.NotADatetime` for anything but a ``date``
        (a ``datetime`` included: say which local date is meant).
        """
        return self._is_blocked(_check_date(day, "day"))

    def _is_blocked(self, day: date) -> bool:
        index = bisect_right(self.blocked, (day, date.max)) - 1
        return index >= 0 and self.blocked[index][1] >= day

    def spans(self, window: Window) -> list[TimeSpan]:
        """Return the available time inside ``window``: merged, ascending, clipped to it."""
        lo, hi = check_window(window)
        return [TimeSpan.unchecked(start, end) for start, end in self._pairs(lo, hi)]

    def covers(self, span: TimeSpan) -> bool:
        """Return whether all of ``span`` is available time."""
        if not isinstance(span, TimeSpan):
            raise NotADatetime(span, name="span", expected="TimeSpan")
        check_window(span)
        pairs = self._pairs(span.start, span.end)
        return len(pairs) == 1 and pairs[0] == (span.start, span.end)

    def _pairs(
        self, lo: datetime, hi: datetime, candidates: int = DEFAULT_LIMITS.candidates
    ) -> list[tuple[datetime, datetime]]:
        """Return the available time in ``[lo, hi)`` (UTC) as merged ``(start, end)`` pairs.

        ``candidates``: each recurrence's expansion budget (``Limits.candidates``).
        """
        if hi <= lo:
            return []
        zone = self.zone
        found: list[tuple[datetime, datetime]] = []
        extra = dict(self.extra_hours)
        has_weekly = any(self.weekly_hours)
        if has_weekly or extra:
            # The day before: its hours end by the next local midnight, which may be after lo.
            day = local_date(zone, lo) - ONE_DAY
            last = local_date(zone, hi)
            # Where the clocks go back across midnight (St. John's at 00:01 until 2011),
            # hi can read as the evening before a day whose hours start before hi.
            if day_offset(zone, last) is None:
                last += ONE_DAY
            while day <= last:
                hours = self.weekly_hours[day.weekday()] if has_weekly else ()
                if hours and self.blocked and self._is_blocked(day):
                    hours = ()
                more = extra.get(day)
                if more:
                    hours = _merge_walls(hours + more) if hours else more
                if hours:
                    offset = day_offset(zone, day)
                    for start, end in hours:
                        begin = wall_to_utc(zone, day, offset, start)
                        finish = wall_to_utc(zone, day, offset, end)
                        # A stretch wholly inside a gap, or cut by one, can come out empty.
                        if begin < finish and begin < hi and finish > lo:
                            found.append((max(begin, lo), min(finish, hi)))
                day += ONE_DAY
        for source in self.recurrences:
            begin = _before(lo, source.duration)
            occurrences = (
                source.between(begin, hi, max_candidates=candidates)  # type: ignore[call-arg]
                if _takes_budget(type(source))
                else source.between(begin, hi)
            )
            for occurrence in occurrences:
                occ = occurrence.span
                if occ.end <= lo or occ.start >= hi:
                    continue
                if self.blocked and self._is_blocked(local_date(zone, occ.start)):
                    continue
                found.append((max(occ.start, lo), min(occ.end, hi)))
        return merge_pairs(found)
