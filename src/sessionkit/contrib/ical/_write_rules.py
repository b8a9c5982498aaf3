"""How a series' rules are written: per VEVENT, its EXDATEs, all-day dates and override keys.

Items that cannot share a VEVENT get their own with what the others took out, an UNTIL is
written as a date for all-day rules, EXDATEs are read as the readers read a gap or fold, and
the keys each VEVENT's rules give decide which of them an override belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import attrs

from sessionkit.contrib.ical._values import IcalOverride, IcalSeries
from sessionkit.contrib.ical._write_zones import last_date
from sessionkit.model.series import ScheduleItem
from sessionkit.zones import get_zone, resolve_local

__all__ = [
    "date_of",
    "days_of",
    "group_exdates",
    "keys_given",
    "last_day",
    "unshared",
]


def unshared(item: ScheduleItem, before: Sequence[ScheduleItem], budget: int) -> ScheduleItem:
    """``item`` with an EXDATE at each instant an item ``before`` it gives too.

    A series holds one session per instant, the first item's (generation and
    :meth:`IcalSeries.occurrences` keep it); written as a VEVENT of its own,
    ``item`` would give it again, and readers would show it twice. Looked for
    up to where the rules end (exact when either side ends), else as far as
    the VTIMEZONE covers a rule that never ends (ten years). Each expansion
    is held to ``budget`` (``max_candidates``): past it, ``ExpansionLimitExceeded``,
    never a list cut short (later shared instants would be written twice).
    """
    rec = item.recurrence
    try:
        first = min([resolve_local(rec.start, rec.tz).astimezone(UTC), *rec.rdates])
        lo = first - timedelta(days=2)
        end = min(last_date(rec), max(last_date(i.recurrence) for i in before))
        hi = datetime.combine(end + timedelta(days=2), time(), tzinfo=UTC)
    except OverflowError:  # a rule at the very edge of the calendar: nothing to compare
        return item
    if hi <= lo:  # the items before it end before it starts: no instant to share
        return item
    taken = {
        o.span.start for i in before for o in i.recurrence.between(lo, hi, max_candidates=budget)
    }
    compatible = rec.disambiguate not in ("earlier", "later")
    shared = [
        # As readers read it ("compatible"), or the EXDATE would exclude nothing.
        o.span.start
        if compatible or o.span.start in rec.rdates
        else resolve_local(o.key, rec.tz).astimezone(UTC)
        for o in rec.between(lo, hi, max_candidates=budget)
        if o.span.start in taken
    ]
    if not shared:
        return item
    return attrs.evolve(item, recurrence=attrs.evolve(rec, exdates=(*rec.exdates, *shared)))


def date_of(value: datetime | date, tz: str) -> date | None:
    """The local date whose midnight ``value`` is (a date is itself), else ``None``."""
    if not isinstance(value, datetime):
        return value
    zone = get_zone(tz)
    try:
        day = value.astimezone(zone).date()
        midnight = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return None
    return day if midnight == value else None


def last_day(until: datetime, tz: str) -> date:
    """The last local date whose midnight is not after ``until`` (an all-day rule's UNTIL)."""
    zone = get_zone(tz)
    day = until.astimezone(zone).date()
    if datetime.combine(day, time(), tzinfo=zone) > until:
        day -= timedelta(days=1)
    return day


def days_of(
    series: IcalSeries, group: Sequence[ScheduleItem], floating: str | None
) -> tuple[list[date], list[date]] | None:
    """An all-day series' EXDATEs and RDATEs as local dates, if it can be written in DATEs.

    It can when its zone is the calendar's (``X-WR-TIMEZONE``, which DATE values
    are read in), it starts at midnight and lasts whole days, and every
    EXDATE, RDATE and override key is a local midnight. Else ``None``: it is
    written timed, from midnight, which keeps its instants but not its days.
    """
    rec = group[0].recurrence
    if not series.all_day or rec.tz != floating:
        return None
    if rec.start.time() != time() or rec.duration % timedelta(days=1):
        return None
    if any(o.key.time() != time() for o in series.overrides):
        return None
    for item in group:
        until = item.recurrence.rule.until
        if isinstance(until, datetime):
            try:
                last_day(until, rec.tz)
            except OverflowError:  # the last days of the calendar: written timed, as ever
                return None
    exdates = [date_of(v, rec.tz) for v in group_exdates(group)]
    rdates = [date_of(v, rec.tz) for v in rec.rdates]
    if None in exdates or None in rdates:
        return None
    return sorted(d for d in exdates if d is not None), sorted(d for d in rdates if d is not None)


def group_exdates(group: Sequence[ScheduleItem]) -> list[datetime | date]:
    """The EXDATEs, and DTSTART too if no rule gives it: RFC 5545 counts DTSTART, sessionkit not."""
    rec = group[0].recurrence
    # Whether the rule gives DTSTART, asked of the start as the rule reads it (a start in
    # a gap or fold read "later" is its first occurrence); if not, the EXDATE names the
    # start as every reader reads it ("compatible"), or it would exclude nothing.
    reading = rec.disambiguate if rec.disambiguate in ("earlier", "later") else "compatible"
    begin = resolve_local(rec.start, rec.tz, disambiguate=reading).astimezone(UTC)
    read = rec.start.replace(tzinfo=get_zone(rec.tz)).astimezone(UTC)
    listed = [*rec.exdates]
    if begin in rec.rdates or begin in listed or read in listed:
        return listed
    if any(not isinstance(x, datetime) and x == rec.start.date() for x in listed):
        return listed  # a date EXDATE excludes its whole day, DTSTART too (read back so)
    if any(
        any(True for _ in item.recurrence.between(begin, begin + timedelta(seconds=1)))
        for item in group
    ):
        return listed
    return [*listed, read]


def keys_given(
    group: Sequence[ScheduleItem], overrides: Sequence[IcalOverride], budget: int
) -> set[datetime]:
    """The overrides' keys an item of ``group`` gives, each looked for around itself.

    A key is a local time, a day at most from its instant. One window from the
    first key to the last expanded every occurrence between them (years of an
    hourly rule), past the budget :func:`read_ical` kept to. Kept within the
    calendar: a key may lie on the last days of year 9999.
    """
    low, high = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    margin = timedelta(days=2)
    found: set[datetime] = set()
    for o in overrides:
        around = o.key.replace(tzinfo=UTC)
        lo, hi = max(around, low + margin) - margin, min(around, high - margin) + margin
        if any(
            occ.key == o.key
            for item in group
            for occ in item.recurrence.between(lo, hi, max_candidates=budget)
        ):
            found.add(o.key)
    return found
