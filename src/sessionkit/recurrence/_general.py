"""Candidates of any rule, through ``dateutil.rrule``: the path for what arithmetic cannot do.

:func:`general` expands in chunks of periods whose DTSTART is moved to a period
boundary close to the window (with every BYxxx default made explicit, so the
move changes nothing). Rules that can never match (:func:`_never`) and stretches
where no day can match (:func:`_day_filter`) are skipped up front, since
``dateutil`` would otherwise scan on to year 9999.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Final, Literal

from dateutil import rrule as du

from sessionkit.recurrence._arithmetic import month_length
from sessionkit.recurrence._budget import Budget, charge_periods
from sessionkit.recurrence._clock import EPOCH
from sessionkit.recurrence._plan import Plan

__all__ = ["SUBDAY", "general"]

_DAY: Final = timedelta(days=1)
_TICK: Final = timedelta(microseconds=1)
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
    """Whether a rule on the dateutil path can never match.

    A YEARLY, MONTHLY or WEEKLY rule is probed over one calendar cycle; a
    finer one never matches when its BYSETPOS reaches past every period's set.

    dateutil stops at UNTIL only when a result passes it: a rule that never
    matches makes it scan every period up to year 9999 (seconds of work), so
    such rules are found once here and expand to nothing.
    """
    if plan.freq not in _CYCLE:
        return _setpos_unreachable(plan)
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


_SET_PARTS: Final = {"DAILY": 3, "HOURLY": 2, "MINUTELY": 1, "SECONDLY": 0}
"""How many of BYSECOND, BYMINUTE, BYHOUR (in that order) expand a period's set, by FREQ."""


def _setpos_unreachable(plan: Plan) -> bool:
    """Whether no BYSETPOS value of a DAILY or finer rule reaches into a period's set.

    Such a period's set holds at most the product of the BYxxx parts below
    the frequency (one instant an hour for ``FREQ=HOURLY`` at a fixed minute
    and second), so ``BYSETPOS=319`` there selects nothing, ever, and dateutil
    would scan every hour to year 9999.
    """
    if not plan.bysetpos:
        return False
    parts = (plan.bysecond, plan.byminute, plan.byhour)[: _SET_PARTS[plan.freq]]
    size = math.prod(len(part) or 1 for part in parts)
    return all(abs(position) > size for position in plan.bysetpos)


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
    lo_dt = EPOCH + lo
    # Periods are numbered from DTSTART's, as the arithmetic paths number them.
    k = _period_start(plan, lo)[1]
    last = _period_start(plan, hi - _TICK)[1]
    first = True
    day_ok = _day_filter(plan) if plan.freq in _FINE else None
    while boundary < hi_dt:
        # The periods this chunk examines, charged before dateutil runs (see _budget).
        chunk = charge_periods(budget, k, last)
        k += chunk
        nxt = _advance(plan, boundary, chunk)
        # UNTIL is inclusive; the stretch ends before hi.
        until = hi_dt - _TICK if nxt is None or nxt > hi_dt else nxt - timedelta(seconds=1)
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
        # Each date produced is charged by expand as it receives it (60 a period for
        # MINUTELY;BYSECOND=0,...,59), so dateutil's own cost stays bounded too.
        moments = iter(expansion)
        while True:
            try:
                moment = next(moments)
            except StopIteration:
                break
            except ValueError:
                # The same "empty set", found only while iterating: an INTERVAL of
                # seconds that never reaches a BYMINUTE from DTSTART's second.
                return
            if moment >= lo_dt:  # the first period's dates before lo are not examined
                yield moment - EPOCH
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
            length = month_length(day.year, day.month)
            if day.day not in monthdays and day.day - length - 1 not in monthdays:
                return False
        if yeardays:
            number = day.timetuple().tm_yday
            length = 366 if month_length(day.year, 2) == 29 else 365
            if number not in yeardays and number - length - 1 not in yeardays:
                return False
        return True

    return ok


def _any_day(ok: Callable[[date], bool], first: date, last: date) -> bool:
    day = first
    while day <= last:
        if ok(day):
            return True
        day += _DAY
    return False
