"""Expansion: from a recurrence's plan to ascending occurrences inside a window.

Two stages:

1. *Candidates* (``_candidates``): wall-clock times that the rule produces, in
   wall-clock order, starting near the window rather than at DTSTART whenever
   the rule has no COUNT.
2. *Finishing* (here): each wall time becomes an instant through the zone's
   gap/fold policy; then COUNT, UNTIL, the window and EXDATE apply.

Every call counts its candidate cost (the rule periods and candidate dates it
examines, and each local year whose transitions it works out) and raises
:class:`~sessionkit.errors.ExpansionLimitExceeded` past ``max_candidates``, so a
rule that can never match or a MINUTELY rule over a century cannot hang.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Final

from sessionkit.errors import InvalidRecurrence
from sessionkit.recurrence._candidates import (
    CANDIDATES,
    SUBDAY,
    Budget,
    general,
    month_days_possible,
)
from sessionkit.recurrence._clock import EPOCH, UTC_EPOCH, WallClock, clamp
from sessionkit.recurrence._plan import MAX_CANDIDATES, YEAR_COST, Occurrence, Plan
from sessionkit.recurrence.rule import Rule, Weekday
from sessionkit.timespan import TimeSpan
from sessionkit.zones import RecurrenceDisambiguate, get_zone, resolve_local, wall_time_kind

__all__ = ["MAX_CANDIDATES", "expand", "make_plan", "past_year_9999"]

_DAY: Final = timedelta(days=1)
_LAST: Final = datetime.max.replace(tzinfo=UTC)
_FIRST: Final = datetime.min.replace(tzinfo=UTC)
_MARGIN: Final = timedelta(days=2)  # > any UTC offset plus any gap: wall vs instant slack


def past_year_9999(instant: datetime, duration: timedelta) -> InvalidRecurrence:
    """The error for an occurrence at ``instant`` that would end after year 9999."""
    return InvalidRecurrence(
        f"the occurrence at {instant.isoformat()} lasting {duration} would end after year 9999",
        value=instant,
        part="DURATION",
    )


def make_plan(
    rule: Rule,
    *,
    start: datetime,
    tz: str,
    duration: timedelta,
    disambiguate: RecurrenceDisambiguate,
    exdates: Iterable[datetime | date],
) -> Plan:
    """Fill in the BYxxx defaults that RFC 5545 takes from DTSTART and pick a fast path.

    ``start`` is the naive local DTSTART in zone ``tz``; ``rule.until`` is
    ``None`` or an aware UTC datetime; ``exdates`` are UTC instants or dates.
    """
    byhour = rule.byhour or ((start.hour,) if rule.freq not in SUBDAY else ())
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
    ex_instants: set[datetime] = set()
    ex_days: set[date] = set()
    for x in exdates:
        if isinstance(x, datetime):
            ex_instants.add(x)
        else:
            ex_days.add(x)
    return Plan(
        freq=rule.freq,
        interval=rule.interval,
        rule_count=rule.count,
        until=until,
        wkst=rule.wkst,
        start_d=start - EPOCH,
        start=start,
        zone=get_zone(tz),
        disambiguate=disambiguate,
        duration=duration,
        byday=tuple((w.weekday, w.n) for w in byday),
        byhour=byhour,
        byminute=byminute,
        bysecond=bysecond,
        bymonth=bymonth,
        bymonthday=bymonthday,
        byyearday=rule.byyearday,
        byweekno=rule.byweekno,
        bysetpos=rule.bysetpos,
        fast=fast,
        never=not month_days_possible(bymonth, bymonthday),
        tod=timedelta(
            hours=byhour[0] if byhour else 0,
            minutes=byminute[0] if byminute else 0,
            seconds=bysecond[0] if bysecond else 0,
        ),
        ex_instants=frozenset(ex_instants),
        ex_days=frozenset(ex_days),
        describe=rule.to_text,
    )


def _instants(
    clock: WallClock, candidates: Iterator[timedelta], reorder: bool, budget: Budget
) -> Iterator[tuple[datetime, datetime | None, timedelta]]:
    """Map wall times to (instant, local, wall) in ascending instant order.

    Each candidate costs 1, charged here as it is received: before anything
    can stop the expansion, and the same whichever generator made it.

    A wall time that lands on the instant of the one before it (a time moved
    out of a gap onto another of the rule's times) comes with ``local``
    ``None``: it is one of the rule's instances, which COUNT counts (RFC 5545
    counts the instances the rule generates; the set then holds an instant
    once), but not another occurrence.
    """
    last: datetime | None = None
    if not reorder:
        # One time of day: consecutive candidates are at least a day apart, so a
        # gap can only make two of them collide (a skipped day), never cross.
        lo = hi = timedelta(0)
        base: datetime | None = None
        zone_epoch = clock.zone_epoch
        for d in candidates:
            budget.left -= 1
            if budget.left < 0:
                budget.overdrawn()
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
                yield instant, None, d
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
        budget.left -= 1
        if budget.left < 0:
            budget.overdrawn()
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
            else:
                yield popped[0], None, popped[2]
    while pending:
        popped = heapq.heappop(pending)
        if last is None or popped[0] > last:
            last = popped[0]
            yield popped
        else:
            yield popped[0], None, popped[2]


def expand(
    plan: Plan, lo: datetime, hi: datetime, max_candidates: int, *, instances: bool = False
) -> Iterator[Occurrence]:
    """Yield the rule's occurrences whose start lies in ``[lo, hi)``, ascending.

    ``instances``: yield each of the rule's instances instead, so that an
    instant two of them share (a time moved out of a gap onto another of the
    rule's times) comes twice, as COUNT counts it (the split of a COUNT rule
    counts them so).

    ``lo`` and ``hi`` must be UTC datetimes (``tzinfo is datetime.UTC``): every
    candidate is compared with them, and comparing datetimes of two different
    zones costs a ``utcoffset`` call each time.
    """
    if plan.never:  # e.g. BYMONTH=2;BYMONTHDAY=30: no day can ever match
        return
    budget = Budget(max_candidates, plan.describe)
    # "raise" is for an occurrence the caller gets: a wall time in a gap or a fold outside
    # the window (the scan runs a margin past it) or excluded is resolved as "compatible",
    # and only one that is yielded raises, below.
    raising = plan.disambiguate == "raise"
    policy: RecurrenceDisambiguate = "compatible" if raising else plan.disambiguate
    clock = WallClock(plan.zone, policy, partial(budget.spend, YEAR_COST))
    count = plan.rule_count
    until = plan.until
    lo_wall = clamp(lo - UTC_EPOCH - _MARGIN)
    hi_wall = clamp(hi - UTC_EPOCH + _MARGIN)
    if until is not None:
        hi_wall = min(hi_wall, clamp(until - UTC_EPOCH + _MARGIN + _DAY))
    start_wall = plan.start_d if count is not None else max(plan.start_d - _DAY, lo_wall)
    if plan.fast is not None:
        candidates = CANDIDATES[plan.fast](plan, start_wall, hi_wall, budget)
    else:
        candidates = general(plan, start_wall, hi_wall, budget)
    ex_instants, ex_days = plan.ex_instants, plan.ex_days
    duration = plan.duration
    try:  # an occurrence starting later than this would end after year 9999
        last_start = _LAST - duration
    except OverflowError:  # a duration longer than all of datetime's range
        last_start = _FIRST
    # TimeSpan.unchecked, inlined: building two objects per occurrence is most of the cost.
    new_object = object.__new__
    set_field = object.__setattr__
    new = tuple.__new__
    emitted = 0
    # One time of day keeps consecutive candidates a day apart, whichever path made them.
    one_time = len(plan.byhour) == len(plan.byminute) == len(plan.bysecond) == 1
    stream = _instants(clock, candidates, not one_time, budget)
    for instant, local, d in stream:
        if until is not None and instant > until:
            return
        if count is not None:
            if emitted >= count:
                return
            emitted += 1
        if local is None:  # the instant of the instance before it: in the set once
            if not instances or instant < lo or instant >= hi:
                continue
            local = instant.astimezone(clock.zone)  # counted by a split, never stored
        if instant < lo:
            continue
        if instant >= hi:
            return
        if (ex_instants and instant in ex_instants) or (ex_days and local.date() in ex_days):
            continue
        if instant > last_start:
            raise past_year_9999(instant, duration)
        if raising and wall_time_kind(EPOCH + d, clock.zone) != "normal":
            resolve_local(EPOCH + d, clock.zone, disambiguate="raise")  # SkippedTime, RepeatedTime
        span = new_object(TimeSpan)
        set_field(span, "start", instant)
        set_field(span, "end", instant + duration)
        yield new(Occurrence, (span, local, EPOCH + d))
