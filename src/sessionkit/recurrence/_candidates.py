"""Expansion stage 1, candidates: the wall-clock times a rule produces, in wall-clock order.

Wall times are deltas from a naive epoch (see ``_clock``). Candidates start
near the window rather than at DTSTART whenever the rule has no COUNT. DAILY,
WEEKLY and simple MONTHLY / YEARLY rules with one time of day are computed
arithmetically (:data:`CANDIDATES`); everything else goes through
``dateutil.rrule`` (:func:`general`) in chunks whose DTSTART is moved to a
period boundary close to the window (with every BYxxx default made explicit, so
the move changes nothing).

Every generator spends from a :class:`Budget` of candidate periods, which raises
:class:`~sessionkit.errors.ExpansionLimitExceeded` once exhausted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Final, Literal

from dateutil import rrule as du

from sessionkit.errors import ExpansionLimitExceeded
from sessionkit.recurrence._clock import EPOCH
from sessionkit.recurrence._plan import Plan

__all__ = ["CANDIDATES", "SUBDAY", "Budget", "Candidates", "general", "month_days_possible"]

_DAY: Final = timedelta(days=1)
_EPOCH_WEEKDAY: Final = EPOCH.weekday()
_CHUNK_PERIODS: Final = 4096
_FREQ: Final[dict[str, Literal[0, 1, 2, 3, 4, 5, 6]]] = {
    "YEARLY": du.YEARLY,
    "MONTHLY": du.MONTHLY,
    "WEEKLY": du.WEEKLY,
    "DAILY": du.DAILY,
    "HOURLY": du.HOURLY,
    "MINUTELY": du.MINUTELY,
    "SECONDLY": du.SECONDLY,
}
SUBDAY: Final = {"HOURLY": 3600, "MINUTELY": 60, "SECONDLY": 1}


class Budget:
    """Counts the candidate periods one expansion examines; raises past the limit."""

    __slots__ = ("describe", "left", "limit")

    def __init__(self, limit: int, describe: Callable[[], str]) -> None:
        self.left = limit
        self.limit = limit
        self.describe = describe

    def spend(self, n: int) -> None:
        """Count ``n`` more candidate periods; raise once past the limit."""
        self.left -= n
        if self.left < 0:
            raise ExpansionLimitExceeded(
                self.describe(), self.limit, examined=self.limit - self.left
            )


Candidates = Callable[[Plan, timedelta, timedelta, Budget], Iterator[timedelta]]
"""A candidate generator: wall times in ``[lo, hi)`` (and at or after DTSTART), ascending."""

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


# --------------------------------------------------------------------------- candidates


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
    length = _month_length(year, month)
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


def _period_start(plan: Plan, lo: timedelta) -> tuple[datetime, int]:
    """The first period boundary at or before wall time ``lo`` aligned with DTSTART's INTERVAL.

    Returns the boundary and the number of periods it skipped (0 = use DTSTART).
    """
    start = plan.start
    step = plan.interval
    target = EPOCH + lo
    if target <= start:
        return start, 0
    if plan.freq == "YEARLY":
        k = (target.year - start.year) // step
        return datetime(start.year + k * step, 1, 1), k
    if plan.freq == "MONTHLY":
        m0 = start.year * 12 + start.month - 1
        k = (target.year * 12 + target.month - 1 - m0) // step
        year, month = divmod(m0 + k * step, 12)
        return datetime(year, month + 1, 1), k
    if plan.freq == "WEEKLY":
        week0 = start.date() - timedelta(days=(start.weekday() - plan.wkst) % 7)
        k = (target.date() - week0).days // (7 * step)
        return datetime.combine(week0 + timedelta(days=7 * k * step), time()), k
    if plan.freq == "DAILY":
        k = (target.date() - start.date()).days // step
        return datetime.combine(start.date() + timedelta(days=k * step), time()), k
    unit = SUBDAY[plan.freq]
    anchor = start.replace(minute=0, second=0) if unit == 3600 else start.replace(second=0)
    if unit == 1:
        anchor = start
    k = int((target - anchor).total_seconds()) // (unit * step)
    return anchor + timedelta(seconds=k * unit * step), k


def _advance(plan: Plan, boundary: datetime, periods: int) -> datetime | None:
    """The period boundary ``periods`` periods after ``boundary`` (None past year 9999)."""
    n = periods * plan.interval
    try:
        if plan.freq == "YEARLY":
            return datetime(boundary.year + n, 1, 1)
        if plan.freq == "MONTHLY":
            year, month = divmod(boundary.year * 12 + boundary.month - 1 + n, 12)
            return datetime(year, month + 1, 1)
        if plan.freq == "WEEKLY":
            return boundary + timedelta(days=7 * n)
        if plan.freq == "DAILY":
            return boundary + timedelta(days=n)
        return boundary + timedelta(seconds=SUBDAY[plan.freq] * n)
    except (ValueError, OverflowError):
        return None


_CYCLE: Final = {"YEARLY": 400, "MONTHLY": 4800, "WEEKLY": 20871}
"""Periods in 400 Gregorian years, after which the calendar (weekdays, leap days) repeats."""


def _never(plan: Plan) -> bool:
    """Whether a YEARLY, MONTHLY or WEEKLY rule on the dateutil path can never match.

    dateutil stops at UNTIL only when a result passes it: a rule that never
    matches makes it scan every period up to year 9999 (seconds of work), so
    such rules are found once here and expand to nothing.
    """
    if plan.freq not in _CYCLE:
        return False
    return _never_matches(
        plan.freq,
        plan.interval,
        plan.wkst,
        plan.bysetpos,
        plan.bymonth,
        plan.bymonthday,
        plan.byyearday,
        plan.byweekno,
        plan.byday,
        plan.byhour,
        plan.byminute,
        plan.bysecond,
        plan.start.replace(year=2000 + plan.start.year % 400),
    )


@lru_cache(maxsize=1024)
def _never_matches(
    freq: str,
    interval: int,
    wkst: int,
    bysetpos: tuple[int, ...],
    bymonth: tuple[int, ...],
    bymonthday: tuple[int, ...],
    byyearday: tuple[int, ...],
    byweekno: tuple[int, ...],
    byday: tuple[tuple[int, int | None], ...],
    byhour: tuple[int, ...],
    byminute: tuple[int, ...],
    bysecond: tuple[int, ...],
    start: datetime,
) -> bool:
    # The calendar repeats every 400 years, so the rule's pattern from DTSTART
    # repeats once the interval lines up with that too: after `periods` periods.
    cycle = _CYCLE[freq]
    periods = cycle // math.gcd(interval, cycle)
    years = periods * interval * 400 // cycle + 2
    if years > 9000:
        return False  # no room for a whole cycle: dateutil's own scan is short then
    # Probe from a DTSTART on the same day of the 400-year cycle, late enough that
    # dateutil's scan to year 9999 is about one cycle long.
    year = start.year + 400 * ((9998 - years - start.year) // 400)
    probe = du.rrule(
        _FREQ[freq],
        dtstart=start.replace(year=year),
        interval=interval,
        wkst=wkst,
        bysetpos=bysetpos or None,
        bymonth=bymonth or None,
        bymonthday=bymonthday or None,
        byyearday=byyearday or None,
        byweekno=byweekno or None,
        byweekday=[du.weekday(weekday, n) for weekday, n in byday] or None,
        byhour=byhour or None,
        byminute=byminute or None,
        bysecond=bysecond or None,
    )
    try:
        return next(iter(probe), None) is None
    except ValueError:  # "byxxx generates an empty set"
        return True


def general(plan: Plan, lo: timedelta, hi: timedelta, budget: Budget) -> Iterator[timedelta]:
    """Candidates of any rule, through ``dateutil.rrule`` in chunks that start near ``lo``."""
    if _never(plan):
        return
    boundary, _ = _period_start(plan, lo)
    freq = _FREQ[plan.freq]
    byweekday = [du.weekday(weekday, n) for weekday, n in plan.byday] or None

    def make(dtstart: datetime, until: datetime) -> du.rrule:
        return du.rrule(
            freq,
            dtstart=dtstart,
            until=until,
            interval=plan.interval,
            wkst=plan.wkst,
            bysetpos=plan.bysetpos or None,
            bymonth=plan.bymonth or None,
            bymonthday=plan.bymonthday or None,
            byyearday=plan.byyearday or None,
            byweekno=plan.byweekno or None,
            byweekday=byweekday,
            byhour=plan.byhour or None,
            byminute=plan.byminute or None,
            bysecond=plan.bysecond or None,
        )

    hi_dt = EPOCH + hi
    chunk = _CHUNK_PERIODS
    first = True
    day_ok = _day_filter(plan) if plan.freq in _FINE else None
    while boundary < hi_dt:
        nxt = _advance(plan, boundary, chunk)
        budget.spend(chunk)
        until = hi_dt if nxt is None or nxt > hi_dt else nxt - timedelta(seconds=1)
        dtstart = boundary if not first else max(boundary, plan.start)
        first = False
        if day_ok is not None and not _any_day(day_ok, dtstart.date(), until.date()):
            # dateutil only checks UNTIL against results, so a stretch where no
            # day can match would make it scan on to year 9999.
            if nxt is None:
                return
            boundary = nxt
            continue
        try:
            expansion = make(dtstart, until)
        except ValueError:
            # dateutil refuses BYHOUR/BYMINUTE/BYSECOND values that the INTERVAL
            # can never reach ("byxxx generates an empty set"): such a rule simply
            # has no occurrences.
            return
        # dateutil's cost grows with the dates it produces too (60 a period for
        # MINUTELY;BYSECOND=0,...,59), so each one is counted besides the periods.
        produced = 0
        for moment in expansion:
            produced += 1
            if produced == _CHUNK_PERIODS:
                budget.spend(produced)
                produced = 0
            yield moment - EPOCH
        budget.spend(produced)
        if nxt is None:
            return
        boundary = nxt


_FINE: Final = frozenset({"DAILY", "HOURLY", "MINUTELY", "SECONDLY"})


def _day_filter(plan: Plan) -> Callable[[date], bool] | None:
    """A test of the day-level BYxxx parts (a superset for numbered weekdays), or None."""
    months = frozenset(plan.bymonth)
    weekdays = frozenset(weekday for weekday, _ in plan.byday)
    monthdays = plan.bymonthday
    yeardays = plan.byyearday
    if not (months or weekdays or monthdays or yeardays):
        return None

    def ok(day: date) -> bool:
        if months and day.month not in months:
            return False
        if weekdays and day.weekday() not in weekdays:
            return False
        if monthdays:
            length = _month_length(day.year, day.month)
            if day.day not in monthdays and day.day - length - 1 not in monthdays:
                return False
        if yeardays:
            number = day.timetuple().tm_yday
            length = 366 if _month_length(day.year, 2) == 29 else 365
            if number not in yeardays and number - length - 1 not in yeardays:
                return False
        return True

    return ok


def _month_length(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def _any_day(ok: Callable[[date], bool], first: date, last: date) -> bool:
    day = first
    while day <= last:
        if ok(day):
            return True
        day += _DAY
    return False


CANDIDATES: Final[dict[str, Candidates]] = {
    "daily": _daily,
    "weekly": _weekly,
    "monthly": _monthly,
    "yearly": _yearly,
}
