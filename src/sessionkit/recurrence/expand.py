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
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final, Literal

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
    byhour: tuple[int, ...]
    byminute: tuple[int, ...]
    bysecond: tuple[int, ...]
    bymonth: tuple[int, ...]
    bymonthday: tuple[int, ...]
    byday: tuple[Weekday, ...]
    fast: str | None
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
            elif rule.freq == "MONTHLY" and (
                (bymonthday and not byday)
                or (byday and not bymonthday and all(w.n is not None for w in byday))
            ):
                fast = "monthly"
        until = rule.until
        assert until is None or isinstance(until, datetime)
        ex_instants = frozenset(x for x in rec.exdates if isinstance(x, datetime))
        ex_days = frozenset(x for x in rec.exdates if not isinstance(x, datetime))
        return cls(
            rule=rule,
            start_d=start - EPOCH,
            start=start,
            zone_key=rec.tz,
            byhour=byhour,
            byminute=byminute,
            bysecond=bysecond,
            bymonth=bymonth,
            bymonthday=bymonthday,
            byday=byday,
            fast=fast,
            until=until,
            ex_instants=ex_instants,
            ex_days=ex_days,
            text=rule.to_text(),
        )

    def time_of_day(self) -> timedelta:
        """The single time of day of a fast-path rule, as a delta from midnight."""
        return timedelta(hours=self.byhour[0], minutes=self.byminute[0], seconds=self.bysecond[0])


# --------------------------------------------------------------------------- candidates


def _daily(plan: Plan, lo: timedelta, hi: timedelta, budget: _Budget) -> Iterator[timedelta]:
    step = plan.rule.interval
    day0 = plan.start_d.days
    k = max(0, -(-(lo.days - day0) // step)) if lo.days > day0 else 0
    d = timedelta(days=day0 + k * step) + plan.time_of_day()
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
    tod = plan.time_of_day()
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


def _month_days(year: int, month: int, plan: Plan) -> list[int]:
    first = date(year, month, 1)
    length = ((first.replace(day=28) + timedelta(days=4)).replace(day=1) - first).days
    days: set[int] = set()
    for md in plan.bymonthday:
        day = md if md > 0 else length + md + 1
        if 1 <= day <= length:
            days.add(day)
    first_wd = first.weekday()
    for w in plan.byday:
        assert w.n is not None
        offset = (w.weekday - first_wd) % 7 + 1  # first such weekday
        count = (length - offset) // 7 + 1
        index = w.n - 1 if w.n > 0 else count + w.n
        if 0 <= index < count:
            days.add(offset + 7 * index)
    return sorted(days)


def _monthly(plan: Plan, lo: timedelta, hi: timedelta, budget: _Budget) -> Iterator[timedelta]:
    start = plan.start
    step = plan.rule.interval
    m0 = start.year * 12 + start.month - 1
    lo_dt = EPOCH + lo
    k = max(0, (lo_dt.year * 12 + lo_dt.month - 1 - m0) // step)
    index = m0 + k * step
    tod = plan.time_of_day()
    months = frozenset(plan.bymonth)
    start_d = plan.start_d
    spent = 0
    while True:
        year, month = divmod(index, 12)
        month += 1
        if year > 9999 or datetime(year, month, 1) - EPOCH >= hi:
            break
        spent += 1
        if spent == 256:
            budget.spend(spent)
            spent = 0
        if not months or month in months:
            for day in _month_days(year, month, plan):
                d = datetime(year, month, day) - EPOCH + tod
                if d >= hi:
                    break
                if d >= start_d:
                    yield d
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


_CANDIDATES: Final = {"daily": _daily, "weekly": _weekly, "monthly": _monthly}


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
    # so hold results until no later candidate can come before them.
    pending: list[tuple[datetime, datetime, timedelta]] = []
    for d in candidates:
        mapped = clock.map(d)
        if mapped is not None:
            heapq.heappush(pending, (mapped[0], mapped[1], d))
        floor = UTC_EPOCH + d - _MARGIN
        while pending and pending[0][0] < floor:
            item = heapq.heappop(pending)
            if last is None or item[0] > last:
                last = item[0]
                yield item
    while pending:
        item = heapq.heappop(pending)
        if last is None or item[0] > last:
            last = item[0]
            yield item


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
    clock = WallClock(get_zone(plan.zone_key), rec.disambiguate)
    budget = _Budget(max_candidates, plan.text)
    count = rule.count
    until = plan.until
    lo_wall = clamp(lo.astimezone(UTC).replace(tzinfo=None) - EPOCH - _MARGIN)
    hi_wall = clamp(hi.astimezone(UTC).replace(tzinfo=None) - EPOCH + _MARGIN)
    if until is not None:
        hi_wall = min(hi_wall, clamp(until.replace(tzinfo=None) - EPOCH + _MARGIN + _DAY))
    start_wall = plan.start_d if count is not None else max(plan.start_d - _DAY, lo_wall)
    if plan.fast is not None:
        candidates = _CANDIDATES[plan.fast](plan, start_wall, hi_wall, budget)
    else:
        candidates = _general(plan, start_wall, hi_wall, budget)
    ex_instants, ex_days = plan.ex_instants, plan.ex_days
    duration = rec.duration
    trusted = TimeSpan._trusted
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
        yield new(occurrence, (trusted(instant, instant + duration), local, EPOCH + d))
