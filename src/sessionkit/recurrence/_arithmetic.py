"""Candidates computed arithmetically: DAILY, WEEKLY and simple MONTHLY / YEARLY rules.

These rules have one time of day, so their wall times are whole days from the
naive epoch (see ``_clock``) plus that time: no ``dateutil`` involved. Each
generator starts at the period containing ``lo`` rather than at DTSTART and
spends from the :class:`~sessionkit.recurrence._budget.Budget` in batches.
:data:`CANDIDATES` maps a plan's ``fast`` kind to its generator; the calendar
helpers here (:func:`month_length`, :func:`month_days_possible`) serve the
``dateutil`` path and plan building too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Final

from sessionkit.recurrence._budget import Budget, Candidates
from sessionkit.recurrence._clock import EPOCH
from sessionkit.recurrence._plan import Plan

__all__ = ["CANDIDATES", "month_days_possible", "month_length"]

_EPOCH_WEEKDAY: Final = EPOCH.weekday()
_LONGEST_MONTH: Final = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}


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


def _daily(plan: Plan, lo: timedelta, hi: timedelta, budget: Budget) -> Iterator[timedelta]:
    step = plan.interval
    day0 = plan.start_d.days
    k = max(0, -(-(lo.days - day0) // step)) if lo.days > day0 else 0
    d = timedelta(days=day0 + k * step) + plan.tod
    inc = timedelta(days=step)
    weekdays = frozenset(weekday for weekday, _ in plan.byday)
    months = frozenset(plan.bymonth)
    start_d = plan.start_d
    spent = 0
    while d < hi:
        spent += 1
        if spent == 4096:
            budget.spend(spent)
            spent = 0
        if (
            d >= start_d
            and (not weekdays or (_EPOCH_WEEKDAY + d.days) % 7 in weekdays)
            and (not months or (EPOCH + d).month in months)
        ):
            yield d
        d += inc
    budget.spend(spent)


def _weekly(plan: Plan, lo: timedelta, hi: timedelta, budget: Budget) -> Iterator[timedelta]:
    wkst = plan.wkst
    start_day = plan.start_d.days
    week0 = start_day - (_EPOCH_WEEKDAY + start_day - wkst) % 7  # day number of the week start
    period = 7 * plan.interval
    k = max(0, (lo.days - week0) // period)
    tod = plan.tod
    offsets = sorted({(weekday - wkst) % 7 for weekday, _ in plan.byday})
    deltas = [timedelta(days=o) + tod for o in offsets]
    base = timedelta(days=week0 + k * period)
    inc = timedelta(days=period)
    months = frozenset(plan.bymonth)
    start_d = plan.start_d
    spent = 0
    while base < hi:
        spent += 1
        if spent == 4096:
            budget.spend(spent)
            spent = 0
        for delta in deltas:
            d = base + delta
            if d >= hi:
                break
            if d >= start_d and (not months or (EPOCH + d).month in months):
                yield d
        base += inc
    budget.spend(spent)


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
    lo_dt = EPOCH + lo
    year = start.year + max(0, (lo_dt.year - start.year) // step) * step
    months = sorted(plan.bymonth) or list(range(1, 13))
    start_d = plan.start_d
    spent = 0
    while year <= 9999 and datetime(year, 1, 1) - EPOCH < hi:
        spent += 1
        if spent == 256:
            budget.spend(spent)
            spent = 0
        for month in months:
            index = year * 12 + month - 1
            if _month_start(index) >= hi:
                break
            if index < 9999 * 12 + 11 and _month_start(index + 1) <= lo:
                continue
            yield from _month_candidates(plan, year, month, hi, start_d)
        year += step
    budget.spend(spent)


@lru_cache(maxsize=65536)
def _month_start(index: int) -> timedelta:
    """Wall-time delta of the first of month ``index`` (year * 12 + month - 1)."""
    year, month = divmod(index, 12)
    return datetime(year, month + 1, 1) - EPOCH


def _monthly(plan: Plan, lo: timedelta, hi: timedelta, budget: Budget) -> Iterator[timedelta]:
    start = plan.start
    step = plan.interval
    m0 = start.year * 12 + start.month - 1
    lo_dt = EPOCH + lo
    k = max(0, (lo_dt.year * 12 + lo_dt.month - 1 - m0) // step)
    index = m0 + k * step
    months = frozenset(plan.bymonth)
    start_d = plan.start_d
    last_index = 9999 * 12 + 11
    spent = 0
    while index <= last_index and _month_start(index) < hi:
        spent += 1
        if spent == 256:
            budget.spend(spent)
            spent = 0
        month = index % 12 + 1
        if (not months or month in months) and (
            index == last_index or _month_start(index + 1) > lo
        ):
            yield from _month_candidates(plan, index // 12, month, hi, start_d)
        index += step
    budget.spend(spent)


CANDIDATES: Final[dict[str, Candidates]] = {
    "daily": _daily,
    "weekly": _weekly,
    "monthly": _monthly,
    "yearly": _yearly,
}
