"""Candidates computed arithmetically: DAILY, WEEKLY and simple MONTHLY / YEARLY rules.

These rules have one time of day, so their wall times are whole days from the
naive epoch (see ``_clock``) plus that time: no ``dateutil`` involved. Each
generator starts at the period containing ``lo`` rather than at DTSTART and
charges its periods ahead with :func:`~sessionkit.recurrence._budget.charge_periods`,
numbered and chunked as the ``dateutil`` path numbers and chunks them, so a rule
costs the same whichever path expands it.
:data:`CANDIDATES` maps a plan's ``fast`` kind to its generator; the calendar
helpers here (:func:`month_length`, :func:`month_days_possible`) serve the
``dateutil`` path and plan building too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Final

from sessionkit.recurrence._budget import Budget, Candidates, charge_periods
from sessionkit.recurrence._clock import EPOCH
from sessionkit.recurrence._plan import Plan

__all__ = ["CANDIDATES", "month_days_possible", "month_length"]

_EPOCH_WEEKDAY: Final = EPOCH.weekday()
_LONGEST_MONTH: Final = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}
_TICK: Final = timedelta(microseconds=1)


def month_days_possible(bymonth: tuple[int, ...], bymonthday: tuple[int, ...]) -> bool:
    """Whether some month allowed by BYMONTH has some day named by BYMONTHDAY (ever)."""
    if not bymonthday:
        return True
    return any(
        abs(day) <= _LONGEST_MONTH.get(month, 31)
        for month in (bymonth or range(1, 13))
        for day in bymonthday
    )


def month_length(year: int, month: int) -> int:
    """The number of days in ``month`` of ``year`` (proleptic Gregorian)."""
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def _last_period(plan: Plan, hi: timedelta, index: Callable[[timedelta], int]) -> int:
    """The number of the last period starting before ``hi`` (DTSTART's is 0)."""
    end = hi - _TICK
    return 0 if end <= plan.start_d else index(end)


def _fixed_periods(
    plan: Plan, lo: timedelta, hi: timedelta, budget: Budget, origin: int, days: int
) -> tuple[timedelta, Iterator[timedelta]]:
    """Periods of ``days`` days numbered from day ``origin`` (DTSTART's period is 0).

    Returns where the period containing ``lo`` starts (DTSTART's, if ``lo``
    is before it) and the ends, capped at ``hi``, of the chunks of periods
    charged to ``budget`` as the caller walks on: its candidates below each
    end are paid for.
    """

    def index(wall: timedelta) -> int:
        return (wall.days - origin) // days

    k = 0 if lo <= plan.start_d else index(lo)
    last = _last_period(plan, hi, index)

    def ends(k: int) -> Iterator[timedelta]:
        boundary = plan.start_d if lo <= plan.start_d else timedelta(days=origin + k * days)
        while boundary < hi:
            k += charge_periods(budget, k, last)
            boundary = timedelta(days=origin + k * days)
            yield min(boundary, hi)

    return timedelta(days=origin + k * days), ends(k)


def _daily(plan: Plan, lo: timedelta, hi: timedelta, budget: Budget) -> Iterator[timedelta]:
    base, ends = _fixed_periods(plan, lo, hi, budget, plan.start_d.days, plan.interval)
    d = base + plan.tod
    inc = timedelta(days=plan.interval)
    weekdays = frozenset(weekday for weekday, _ in plan.byday)
    months = frozenset(plan.bymonth)
    first = max(plan.start_d, lo)
    for stop in ends:
        while d < stop:
            if (
                d >= first
                and (not weekdays or (_EPOCH_WEEKDAY + d.days) % 7 in weekdays)
                and (not months or (EPOCH + d).month in months)
            ):
                yield d
            d += inc


def _weekly(plan: Plan, lo: timedelta, hi: timedelta, budget: Budget) -> Iterator[timedelta]:
    wkst = plan.wkst
    start_day = plan.start_d.days
    week0 = start_day - (_EPOCH_WEEKDAY + start_day - wkst) % 7  # day number of the week start
    base, ends = _fixed_periods(plan, lo, hi, budget, week0, 7 * plan.interval)
    offsets = sorted({(weekday - wkst) % 7 for weekday, _ in plan.byday})
    deltas = [timedelta(days=o) + plan.tod for o in offsets]
    inc = timedelta(days=7 * plan.interval)
    months = frozenset(plan.bymonth)
    first = max(plan.start_d, lo)
    for stop in ends:
        while base < stop:
            for delta in deltas:
                d = base + delta
                if d >= hi:
                    break
                if d >= first and (not months or (EPOCH + d).month in months):
                    yield d
            base += inc


@lru_cache(maxsize=16384)
def _month_days(
    year: int, month: int, monthdays: tuple[int, ...], byday: tuple[tuple[int, int | None], ...]
) -> tuple[int, ...]:
    """The days of a month named by BYMONTHDAY and/or BYDAY (both given: both must hold)."""
    first = date(year, month, 1)
    length = month_length(year, month)
    named: set[int] | None = None
    if monthdays:
        named = set()
        for md in monthdays:
            day = md if md > 0 else length + md + 1
            if 1 <= day <= length:
                named.add(day)
    if byday:
        first_wd = first.weekday()
        by_weekday: set[int] = set()
        for weekday, n in byday:
            offset = (weekday - first_wd) % 7 + 1  # the first such weekday
            count = (length - offset) // 7 + 1
            if n is None:
                by_weekday.update(offset + 7 * i for i in range(count))
                continue
            index = n - 1 if n > 0 else count + n
            if 0 <= index < count:
                by_weekday.add(offset + 7 * index)
        named = by_weekday if named is None else named & by_weekday
    return tuple(sorted(named or ()))


def _month_candidates(
    plan: Plan, year: int, month: int, hi: timedelta, start_d: timedelta
) -> Iterator[timedelta]:
    base = _month_start(year * 12 + month - 1) + plan.tod
    for day in _month_days(year, month, plan.bymonthday, plan.byday):
        d = base + timedelta(days=day - 1)
        if d >= hi:
            return
        if d >= start_d:
            yield d


def _yearly(plan: Plan, lo: timedelta, hi: timedelta, budget: Budget) -> Iterator[timedelta]:
    start = plan.start
    step = plan.interval

    def index(wall: timedelta) -> int:
        return ((EPOCH + wall).year - start.year) // step

    if lo <= plan.start_d:
        k, boundary = 0, plan.start_d
    else:
        k = index(lo)
        boundary = datetime(start.year + k * step, 1, 1) - EPOCH
    last = _last_period(plan, hi, index)
    year = start.year + k * step
    months = sorted(plan.bymonth) or list(range(1, 13))
    first = max(plan.start_d, lo)
    while boundary < hi:
        k += charge_periods(budget, k, last)
        stop = start.year + k * step
        while year < stop and year <= 9999:
            for month in months:
                index_ = year * 12 + month - 1
                if _month_start(index_) >= hi:
                    break
                if index_ < 9999 * 12 + 11 and _month_start(index_ + 1) <= lo:
                    continue
                yield from _month_candidates(plan, year, month, hi, first)
            year += step
        if stop > 9999:
            return
        boundary = datetime(stop, 1, 1) - EPOCH


@lru_cache(maxsize=65536)
def _month_start(index: int) -> timedelta:
    """Wall-time delta of the first of month ``index`` (year * 12 + month - 1)."""
    year, month = divmod(index, 12)
    return datetime(year, month + 1, 1) - EPOCH


def _monthly(plan: Plan, lo: timedelta, hi: timedelta, budget: Budget) -> Iterator[timedelta]:
    start = plan.start
    step = plan.interval
    m0 = start.year * 12 + start.month - 1

    def index(wall: timedelta) -> int:
        at = EPOCH + wall
        return (at.year * 12 + at.month - 1 - m0) // step

    if lo <= plan.start_d:
        k, boundary = 0, plan.start_d
    else:
        k = index(lo)
        boundary = _month_start(m0 + k * step)
    last = _last_period(plan, hi, index)
    month_index = m0 + k * step
    months = frozenset(plan.bymonth)
    first = max(plan.start_d, lo)
    last_index = 9999 * 12 + 11
    while boundary < hi:
        k += charge_periods(budget, k, last)
        stop = m0 + k * step
        while month_index < stop and month_index <= last_index:
            month = month_index % 12 + 1
            if (not months or month in months) and (
                month_index == last_index or _month_start(month_index + 1) > lo
            ):
                yield from _month_candidates(plan, month_index // 12, month, hi, first)
            month_index += step
        if stop > last_index:
            return
        boundary = _month_start(stop)


CANDIDATES: Final[dict[str, Candidates]] = {
    "daily": _daily,
    "weekly": _weekly,
    "monthly": _monthly,
    "yearly": _yearly,
}
