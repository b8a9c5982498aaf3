"""Expansion: from a rule to ascending occurrences inside a window.

Two stages:

1. *Candidates*: wall-clock times (as deltas from a naive epoch, see ``_clock``)
   that the rule produces, in wall-clock order, starting near the window rather
   than at DTSTART whenever the rule has no COUNT. DAILY, WEEKLY and simple
   MONTHLY rules with one time of day are computed arithmetically; everything
   else goes through ``dateutil.rrule`` in chunks whose DTSTART is moved to a
   period boundary close to the window (with every BYxxx default made explicit,
   so the move changes nothing).
2. *Finishing*: each wall time becomes an instant through the zone's
   gap/fold policy; then COUNT, UNTIL, the window and EXDATE apply.

Every call counts the candidate periods it examines and raises
:class:`~sessionkit.errors.ExpansionLimitExceeded` past ``max_candidates``, so a
rule that can never match or a MINUTELY rule over a century cannot hang.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Final, Literal
from zoneinfo import ZoneInfo

import attrs
from dateutil import rrule as du

from sessionkit.errors import ExpansionLimitExceeded
from sessionkit.recurrence._clock import EPOCH, UTC_EPOCH, WallClock, clamp
from sessionkit.recurrence.rule import Rule, Weekday
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone

if TYPE_CHECKING:
    from sessionkit.recurrence.recurrence import Occurrence, Recurrence

__all__ = ["MAX_CANDIDATES", "expand"]

MAX_CANDIDATES: Final = 1_000_000
"""Default cap on candidate dates (rule periods, or dates for the arithmetic paths) per call."""

_DAY: Final = timedelta(days=1)
_MARGIN: Final = timedelta(days=2)  # > any UTC offset plus any gap: wall vs instant slack
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
_SUBDAY: Final = {"HOURLY": 3600, "MINUTELY": 60, "SECONDLY": 1}


class _Budget:
    __slots__ = ("left", "limit", "rule")

    def __init__(self, limit: int, rule: str) -> None:
        self.left = limit
        self.limit = limit
        self.rule = rule

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise ExpansionLimitExceeded(self.rule, self.limit)


@attrs.frozen(slots=True)
class Plan:
    """Everything about a recurrence that expansion needs, computed once per Recurrence."""

    rule: Rule
    start_d: timedelta
    start: datetime
    zone_key: str
    zone: ZoneInfo
    byday_key: tuple[tuple[int, int | None], ...]
    byhour: tuple[int, ...]
    byminute: tuple[int, ...]
    bysecond: tuple[int, ...]
    bymonth: tuple[int, ...]
    bymonthday: tuple[int, ...]
    byday: tuple[Weekday, ...]
    fast: str | None
    never: bool
    tod: timedelta
    until: datetime | None
    ex_instants: frozenset[datetime]
    ex_days: frozenset[date]
    text: str

    @classmethod
    def build(cls, rec: Recurrence) -> Plan:
        """Fill in the BYxxx defaults that RFC 5545 takes from DTSTART and pick a fast path."""
        rule = rec.rule
        start = rec.start
        byhour = rule.byhour or ((start.hour,) if rule.freq not in _SUBDAY else ())
        byminute = rule.byminute or (
            (start.minute,) if rule.freq not in ("MINUTELY", "SECONDLY") else ()
        )
        bysecond = rule.bysecond or ((start.second,) if rule.freq != "SECONDLY" else ())
        bymonth, bymonthday, byday = rule.bymonth, rule.bymonthday, rule.byday
        if not (rule.byweekno or rule.byyearday or rule.bymonthday or rule.byday):
            if rule.freq == "YEARLY":
                bymonth = bymonth or (start.month,)
                bymonthday = (start.day,)
            elif rule.freq == "MONTHLY":
                bymonthday = (start.day,)
            elif rule.freq == "WEEKLY":
                byday = (Weekday(start.weekday()),)
        single_time = len(byhour) == 1 and len(byminute) == 1 and len(bysecond) == 1
        fast: str | None = None
        if single_time and not (rule.bysetpos or rule.byweekno or rule.byyearday):
            plain_days = all(w.n is None for w in byday)
            if rule.freq == "DAILY" and plain_days and not bymonthday:
                fast = "daily"
            elif rule.freq == "WEEKLY" and plain_days:
                fast = "weekly"
            elif rule.freq == "MONTHLY":
                fast = "monthly"
            elif rule.freq == "YEARLY" and (plain_days or rule.bymonth):
                # Numbered weekdays count within the month only when BYMONTH is given.
                fast = "yearly"
        until = rule.until
        assert until is None or isinstance(until, datetime)
        ex_instants = frozenset(x for x in rec.exdates if isinstance(x, datetime))
        ex_days = frozenset(x for x in rec.exdates if not isinstance(x, datetime))
        return cls(
            rule=rule,
            start_d=start - EPOCH,
            start=start,
            zone_key=rec.tz,
            zone=get_zone(rec.tz),
            byday_key=tuple((w.weekday, w.n) for w in byday),
            byhour=byhour,
            byminute=byminute,
            bysecond=bysecond,
            bymonth=bymonth,
            bymonthday=bymonthday,
            byday=byday,
            fast=fast,
            never=not _month_days_possible(bymonth, bymonthday),
            tod=timedelta(
                hours=byhour[0] if byhour else 0,
                minutes=byminute[0] if byminute else 0,
                seconds=bysecond[0] if bysecond else 0,
            ),
            until=until,
            ex_instants=ex_instants,
            ex_days=ex_days,
            text=rule.to_text(),
        )


_LONGEST_MONTH: Final = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}


def _month_days_possible(bymonth: tuple[int, ...], bymonthday: tuple[int, ...]) -> bool:
    """Whether some month allowed by BYMONTH has some day named by BYMONTHDAY (ever)."""
    if not bymonthday:
        return True
    return any(
        abs(day) <= _LONGEST_MONTH.get(month, 31)
        for month in (bymonth or range(1, 13))
        for day in bymonthday
    )


# --------------------------------------------------------------------------- candidates


def _daily(plan: Plan, lo: timedelta, hi: timedelta, budget: _Budget) -> Iterator[timedelta]:
    step = plan.rule.interval
    day0 = plan.start_d.days
    k = max(0, -(-(lo.days - day0) // step)) if lo.days > day0 else 0
    d = timedelta(days=day0 + k * step) + plan.tod
    inc = timedelta(days=step)
    weekdays = frozenset(w.weekday for w in plan.byday)
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


def _weekly(plan: Plan, lo: timedelta, hi: timedelta, budget: _Budget) -> Iterator[timedelta]:
    wkst = plan.rule.wkst
    start_day = plan.start_d.days
    week0 = start_day - (_EPOCH_WEEKDAY + start_day - wkst) % 7  # day number of the week start
    period = 7 * plan.rule.interval
    k = max(0, (lo.days - week0) // period)
    tod = plan.tod
    offsets = sorted({(w.weekday - wkst) % 7 for w in plan.byday})
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
    for day in _month_days(year, month, plan.bymonthday, plan.byday_key):
        d = base + timedelta(days=day - 1)
        if d >= hi:
            return
        if d >= start_d:
            yield d


def _yearly(plan: Plan, lo: timedelta, hi: timedelta, budget: _Budget) -> Iterator[timedelta]:
    start = plan.start
    step = plan.rule.interval
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


def _monthly(plan: Plan, lo: timedelta, hi: timedelta, budget: _Budget) -> Iterator[timedelta]:
    start = plan.start
    step = plan.rule.interval
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
    rule, start = plan.rule, plan.start
    step = rule.interval
    target = EPOCH + lo
    if target <= start:
        return start, 0
    if rule.freq == "YEARLY":
        k = (target.year - start.year) // step
        return datetime(start.year + k * step, 1, 1), k
    if rule.freq == "MONTHLY":
        m0 = start.year * 12 + start.month - 1
        k = (target.year * 12 + target.month - 1 - m0) // step
        year, month = divmod(m0 + k * step, 12)
        return datetime(year, month + 1, 1), k
    if rule.freq == "WEEKLY":
        week0 = start.date() - timedelta(days=(start.weekday() - rule.wkst) % 7)
        k = (target.date() - week0).days // (7 * step)
        return datetime.combine(week0 + timedelta(days=7 * k * step), time()), k
    if rule.freq == "DAILY":
        k = (target.date() - start.date()).days // step
        return datetime.combine(start.date() + timedelta(days=k * step), time()), k
    unit = _SUBDAY[rule.freq]
    anchor = start.replace(minute=0, second=0) if unit == 3600 else start.replace(second=0)
    if unit == 1:
        anchor = start
    k = int((target - anchor).total_seconds()) // (unit * step)
    return anchor + timedelta(seconds=k * unit * step), k


def _advance(plan: Plan, boundary: datetime, periods: int) -> datetime | None:
    """The period boundary ``periods`` periods after ``boundary`` (None past year 9999)."""
    rule = plan.rule
    n = periods * rule.interval
    try:
        if rule.freq == "YEARLY":
            return datetime(boundary.year + n, 1, 1)
        if rule.freq == "MONTHLY":
            year, month = divmod(boundary.year * 12 + boundary.month - 1 + n, 12)
            return datetime(year, month + 1, 1)
        if rule.freq == "WEEKLY":
            return boundary + timedelta(days=7 * n)
        if rule.freq == "DAILY":
            return boundary + timedelta(days=n)
        return boundary + timedelta(seconds=_SUBDAY[rule.freq] * n)
    except (ValueError, OverflowError):
        return None


def _general(plan: Plan, lo: timedelta, hi: timedelta, budget: _Budget) -> Iterator[timedelta]:
    rule = plan.rule
    boundary, _ = _period_start(plan, lo)
    freq = _FREQ[rule.freq]
    byweekday = [du.weekday(w.weekday, w.n) for w in plan.byday] or None

    def make(dtstart: datetime, until: datetime) -> du.rrule:
        return du.rrule(
            freq,
            dtstart=dtstart,
            until=until,
            interval=rule.interval,
            wkst=rule.wkst,
            bysetpos=rule.bysetpos or None,
            bymonth=plan.bymonth or None,
            bymonthday=plan.bymonthday or None,
            byyearday=rule.byyearday or None,
            byweekno=rule.byweekno or None,
            byweekday=byweekday,
            byhour=plan.byhour or None,
            byminute=plan.byminute or None,
            bysecond=plan.bysecond or None,
        )

    hi_dt = EPOCH + hi
    chunk = _CHUNK_PERIODS
    first = True
    day_ok = _day_filter(plan) if rule.freq in _FINE else None
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
        for moment in expansion:
            yield moment - EPOCH
        if nxt is None:
            return
        boundary = nxt


_FINE: Final = frozenset({"DAILY", "HOURLY", "MINUTELY", "SECONDLY"})


def _day_filter(plan: Plan) -> Callable[[date], bool] | None:
    """A test of the day-level BYxxx parts (a superset for numbered weekdays), or None."""
    rule = plan.rule
    months = frozenset(plan.bymonth)
    weekdays = frozenset(w.weekday for w in plan.byday)
    monthdays = plan.bymonthday
    yeardays = rule.byyearday
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


_CANDIDATES: Final = {
    "daily": _daily,
    "weekly": _weekly,
    "monthly": _monthly,
    "yearly": _yearly,
}


# --------------------------------------------------------------------------- finishing


def _instants(
    clock: WallClock, candidates: Iterator[timedelta], reorder: bool
) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """Map wall times to (instant, local, wall) in strictly ascending instant order."""
    last: datetime | None = None
    if not reorder:
        # One time of day: consecutive candidates are at least a day apart, so a
        # gap can only make two of them collide (a skipped day), never cross.
        lo = hi = timedelta(0)
        base: datetime | None = None
        zone_epoch = clock.zone_epoch
        for d in candidates:
            if not lo <= d < hi:
                lo, hi, base = clock.region(d)
            if base is not None:
                instant = base + d
                local = zone_epoch + d
            else:
                mapped = clock.resolve_band(d)
                if mapped is None:
                    continue
                instant, local = mapped
            if last is not None and instant <= last:
                continue
            last = instant
            yield instant, local, d
        return
    # Several times a day: a time moved out of a gap may pass later candidates,
    # so results near a DST band wait in a heap until no later candidate can come
    # before them. Far from any band (the usual case) they go out at once, so a
    # sparse rule is not held back until its next, possibly distant, candidate.
    pending: list[tuple[datetime, datetime, timedelta]] = []
    zone_epoch = clock.zone_epoch
    for d in candidates:
        _, region_hi, base = clock.region(d)
        if base is not None:
            item = (base + d, zone_epoch + d, d)
            safe = d + _MARGIN < region_hi or clock.base_at(clamp(d + _MARGIN)) == base
        else:
            mapped = clock.resolve_band(d)
            safe = False
            if mapped is None:
                continue
            item = (mapped[0], mapped[1], d)
        heapq.heappush(pending, item)
        floor = item[0] if safe else UTC_EPOCH + d - _MARGIN
        while pending and pending[0][0] <= floor:
            popped = heapq.heappop(pending)
            if last is None or popped[0] > last:
                last = popped[0]
                yield popped
    while pending:
        popped = heapq.heappop(pending)
        if last is None or popped[0] > last:
            last = popped[0]
            yield popped


def expand(
    rec: Recurrence,
    plan: Plan,
    lo: datetime,
    hi: datetime,
    max_candidates: int,
    occurrence: type[Occurrence],
) -> Iterator[Occurrence]:
    """Yield the occurrences of ``rec`` whose start lies in ``[lo, hi)``, ascending."""
    rule = plan.rule
    if plan.never:  # e.g. BYMONTH=2;BYMONTHDAY=30: no day can ever match
        return
    clock = WallClock(plan.zone, rec.disambiguate)
    budget = _Budget(max_candidates, plan.text)
    count = rule.count
    until = plan.until
    lo_wall = clamp(lo - UTC_EPOCH - _MARGIN)
    hi_wall = clamp(hi - UTC_EPOCH + _MARGIN)
    if until is not None:
        hi_wall = min(hi_wall, clamp(until - UTC_EPOCH + _MARGIN + _DAY))
    start_wall = plan.start_d if count is not None else max(plan.start_d - _DAY, lo_wall)
    if plan.fast is not None:
        candidates = _CANDIDATES[plan.fast](plan, start_wall, hi_wall, budget)
    else:
        candidates = _general(plan, start_wall, hi_wall, budget)
    ex_instants, ex_days = plan.ex_instants, plan.ex_days
    duration = rec.duration
    # TimeSpan._trusted, inlined: building two objects per occurrence is most of the cost.
    new_object = object.__new__
    set_field = object.__setattr__
    new = tuple.__new__
    emitted = 0
    stream = _instants(clock, candidates, reorder=plan.fast is None)
    for instant, local, d in stream:
        if until is not None and instant > until:
            return
        if count is not None:
            if emitted >= count:
                return
            emitted += 1
        if instant < lo:
            continue
        if instant >= hi:
            return
        if (ex_instants and instant in ex_instants) or (ex_days and local.date() in ex_days):
            continue
        span = new_object(TimeSpan)
        set_field(span, "start", instant)
        set_field(span, "end", instant + duration)
        yield new(occurrence, (span, local, EPOCH + d))
