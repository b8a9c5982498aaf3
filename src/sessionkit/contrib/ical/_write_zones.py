"""How a written calendar puts instants, and the VTIMEZONEs it needs for them.

DTSTAMP text, a span widened to whole seconds, an instant as a local time of its zone (or
UTC where that zone skips or repeats it, or lies beyond what a VTIMEZONE covers), and the
dates each zone's VTIMEZONE covers: from a rule's start to its last occurrence, extrapolated
for a rule too long to expand, some years on for one that never ends. Each change of offset
has its onset written as RFC 5545 reads it, in the offset before it; a first DAYLIGHT
begins at its change too, so that readers see its saving.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

from sessionkit.errors import ExpansionLimitExceeded
from sessionkit.recurrence import Occurrence, Recurrence
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_aware, get_zone, wall_time_kind

__all__ = [
    "Ranges",
    "first_date",
    "ical_stamp",
    "in_zone",
    "last_date",
    "outward",
    "written_at",
]

_OPEN_ENDED_YEARS = 10
"""How many years a VTIMEZONE covers after the start of a rule that never ends."""
_SPARE = timedelta(days=366)
"""What a VTIMEZONE covers past the extrapolated end of a rule too long to expand."""
_FIRST_COVERED = date.min + timedelta(days=1)
_LAST_COVERED = date.max - timedelta(days=70)
"""The dates a VTIMEZONE may start and end on: icalendar steps up to 64 days past its end."""


def ical_stamp(value: datetime) -> str:
    """``value`` as a DTSTAMP's text: UTC, whole seconds; naive is refused."""
    return check_aware(value, "stamp").astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def outward(span: TimeSpan) -> tuple[datetime, datetime]:
    """``span``'s start cut to its second and its end raised to the next whole one.

    RFC 5545 writes times in whole seconds: cutting both (as icalendar does)
    could make a span shorter than a second end where it starts, which no
    reader takes. The written span covers the session's.
    """
    start, end = span.start.replace(microsecond=0), span.end
    if end.microsecond:
        try:
            end = end.replace(microsecond=0) + timedelta(seconds=1)
        except OverflowError:  # the last second of year 9999: nothing later to write
            end = end.replace(microsecond=0)
    return start, end


def written_at(instant: datetime, tz: str) -> datetime:
    """The instant in ``tz`` where its wall time is unambiguous, else in UTC (a gap or fold).

    Also in UTC when the wall time would fall outside years 1-9999 (an EXDATE
    at the very edge of the calendar), or after the last date a VTIMEZONE can
    cover (late in year 9999).
    """
    zone = get_zone(tz)
    try:
        local = instant.astimezone(zone)
    except OverflowError:
        return instant.astimezone(UTC)
    if (
        tz == "UTC"
        or local.date() > _LAST_COVERED
        or wall_time_kind(local.replace(tzinfo=None), zone) != "normal"
    ):
        return instant.astimezone(UTC)
    return local


def in_zone(naive: datetime, tz: str) -> datetime:
    """A naive wall time (DTSTART, RECURRENCE-ID) as written: with its TZID, or ``Z`` in UTC."""
    return naive.replace(tzinfo=UTC if tz == "UTC" else ZoneInfo(tz))


class Ranges:
    """The dates each zone is used on, for VTIMEZONEs that cover them."""

    def __init__(self) -> None:
        self.spans: dict[str, tuple[date, date]] = {}

    def add(self, tz: str, first: date, last: date) -> None:
        if tz == "UTC":
            return
        lo, hi = self.spans.get(tz, (first, last))
        self.spans[tz] = (min(lo, first), max(hi, last))

    def components(self) -> list[icalendar.Timezone]:
        return [_vtimezone(tz, lo, hi) for tz, (lo, hi) in sorted(self.spans.items())]


class _DailyTimezone(icalendar.Timezone):
    """icalendar's VTIMEZONE builder, looking for a change of offset every day, not 64 days.

    ``from_tzinfo`` steps 64 days while the offset stays the same, so an offset
    kept for less than that between two steps is never seen: Casablanca's
    Ramadan hour (2027-02-07 to 2027-03-14) was left out, and readers that go
    by the VTIMEZONE put its sessions an hour off. Offsets kept less than a
    day are unknown to the zone database's zones in use.
    """

    # icalendar's private list of steps (64 days down to a second; the last is the finest),
    # from 1 day on. Written out, not read from icalendar: one without it (a private name)
    # would fail the import. A class variable there too (mypy reads it as an instance's).
    _from_tzinfo_skip_search = [  # noqa: RUF012
        *(timedelta(days=1), timedelta(hours=4), timedelta(hours=1), timedelta(minutes=20)),
        *(timedelta(minutes=5), timedelta(minutes=1), timedelta(seconds=20)),
        *(timedelta(seconds=5), timedelta(seconds=1)),
    ]


class _Until(tzinfo):
    """``zone`` up to the wall time ``end``; past it, an ``OverflowError``.

    ``from_tzinfo`` looks for the change after the last one it writes until it
    finds one, or, where none comes, until zoneinfo's end in year 9999 (its
    OverflowError): day by day (:class:`_DailyTimezone`), about a second for
    each VTIMEZONE of a zone whose offset no longer changes (Tokyo, Phoenix).
    """

    def __init__(self, zone: ZoneInfo, end: datetime) -> None:
        self.zone, self.end = zone, end

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        wall = None if dt is None else dt.replace(tzinfo=None)
        if wall is not None and wall > self.end:
            raise OverflowError(f"{wall} is past {self.end}, the end of the VTIMEZONE written")
        return self.zone.utcoffset(dt)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self.zone.dst(dt)

    def tzname(self, dt: datetime | None) -> str | None:
        return self.zone.tzname(dt)


@lru_cache(maxsize=256)
def _vtimezone(tz: str, first: date, last: date) -> icalendar.Timezone:
    """The VTIMEZONE of ``tz`` from ``first`` to ``last`` (cached: icalendar scans the zone).

    A day more on each side, within the calendar (years 1 to 9999): an
    event of year 1 starts its VTIMEZONE on 1 January of year 1. Shared
    between calendars, so never changed after it is built.
    """
    lo = min(max(first, _FIRST_COVERED), _LAST_COVERED) - timedelta(days=1)
    hi = max(min(last, _LAST_COVERED) + timedelta(days=2), lo + timedelta(days=1))
    zone = ZoneInfo(tz)
    # Two days on, a change a day before ``hi`` is still found (the search steps a day).
    until = _Until(zone, datetime.combine(hi + timedelta(days=2), time()))
    vtimezone = _DailyTimezone.from_tzinfo(until, tzid=tz, first_date=lo, last_date=hi)
    (begins, offset), *changes = [_onsets_before(p, zone) for p in vtimezone.subcomponents]
    # icalendar's first observance is where the VTIMEZONE begins (TZOFFSETFROM is TZOFFSETTO).
    # Where a change has its onset there too (lo's midnight opening a gap, as in Havana's
    # spring), readers took the tie for that observance, and its offset until the next change.
    # (Instants compared as differences: year 1 less a positive offset is no datetime.)
    if any(start - begins <= before - offset for start, before in changes):
        del vtimezone.subcomponents[0]
    else:
        _open_at_its_change(vtimezone.subcomponents[0], zone, begins, offset)
    return vtimezone


def _open_at_its_change(
    opening: icalendar.Component, zone: ZoneInfo, begins: datetime, offset: timedelta
) -> None:
    """Begin a first DAYLIGHT at the change that began it, if that came within a year.

    icalendar begins the first observance where the VTIMEZONE does, in its own
    offset (TZOFFSETFROM is TZOFFSETTO): true, but dateutil (icalendar's reader,
    many others) takes TZOFFSETTO less TZOFFSETFROM for a DAYLIGHT's saving, so it
    read New York's from June as no saving and put the four hours before 1
    November's change an hour early. At the change itself, TZOFFSETFROM is the
    offset before it (RFC 5545 3.8.3.3) and the saving is seen. A STANDARD needs
    none, and dateutil reads a negative saving (Dublin's winter) wrong however it
    is written: taken back to October, Dublin's would misread March's change too.
    """
    assert isinstance(opening, icalendar.TimezoneStandard | icalendar.TimezoneDaylight)
    try:
        hi = (begins - offset).replace(tzinfo=UTC)  # kept in the observance's offset, name
        key = _kind(zone, hi)
        if (key[1] or timedelta()) <= timedelta():
            return
        for _ in range(_SPARE.days):  # a day at a time: none is shorter in the zone database
            lo = hi - timedelta(days=1)
            if _kind(zone, lo) != key:
                break
            hi = lo
        else:
            return  # kept a year: the VTIMEZONE begins as icalendar wrote it
    except OverflowError:  # kept since year 1, as far as a datetime tells
        return
    while (seconds := int((hi - lo).total_seconds())) > 1:  # whole seconds, as zoneinfo's
        mid = lo + timedelta(seconds=seconds // 2)
        lo, hi = (lo, mid) if _kind(zone, mid) == key else (mid, hi)
    before = _kind(zone, lo)[0]
    opening.DTSTART = (hi + before).replace(tzinfo=None)
    opening.TZOFFSETFROM = before


def _kind(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, timedelta | None, str | None]:
    """The offset, saving and name of ``zone`` at ``instant``."""
    local = instant.astimezone(zone)
    offset = local.utcoffset()
    assert offset is not None
    return offset, local.dst(), local.tzname()


def _onsets_before(observance: icalendar.Component, zone: ZoneInfo) -> tuple[datetime, timedelta]:
    """Put the observance's DTSTART and RDATEs at its changes' wall times in TZOFFSETFROM.

    RFC 5545 (3.6.5) reads an onset in the offset before it. icalendar writes
    the first wall time after the change: the same when clocks go back, but
    late by the change when they go forward (an hour, Lord Howe's 30 minutes,
    Samoa's day in 2011), so a strict reader moved each spring change that much.
    Returns the new DTSTART and TZOFFSETFROM.
    """
    assert isinstance(observance, icalendar.TimezoneStandard | icalendar.TimezoneDaylight)
    before: timedelta = observance.TZOFFSETFROM
    after: timedelta = observance.TZOFFSETTO
    start = _onset(zone, observance.DTSTART, before, after)
    observance.DTSTART = start
    # The RDATE values as icalendar keeps them, not ``rdates``: icalendar has it from 6.2 on,
    # and pyproject takes 6.1.
    found = observance.pop("RDATE", [])
    walls = [v.dt for r in (found if isinstance(found, list) else [found]) for v in r.dts]
    if walls:  # from_tzinfo writes datetimes, no periods
        observance.add("RDATE", [_onset(zone, wall, before, after) for wall in walls])
    return start, before


def _onset(zone: ZoneInfo, wall: datetime, before: timedelta, after: timedelta) -> datetime:
    """The wall time in ``before`` of the change to ``after`` that ``wall`` gives in either.

    Its instant is ``wall`` less one of the two offsets (whichever icalendar
    counts in), so it is looked for between the two, to the second, as zoneinfo
    has it. ``wall`` itself where the offset does not change (where the VTIMEZONE begins).
    """
    if before == after:
        return wall
    first = wall - max(before, after)
    lo, hi = -1, int(abs(after - before).total_seconds())  # ``before`` at lo, ``after`` at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        at = (first + timedelta(seconds=mid)).replace(tzinfo=UTC)
        lo, hi = (mid, hi) if at.astimezone(zone).utcoffset() == before else (lo, mid)
    return first + timedelta(seconds=hi) + before


def first_date(rec: Recurrence) -> date:
    """The first date ``rec`` is used on: its start's, or an earlier RDATE's."""
    return min([rec.start.date(), *(r.date() for r in rec.rdates)])


def last_date(rec: Recurrence) -> date:
    """The last date ``rec`` is used on, which its zone's VTIMEZONE covers up to."""
    rule = rec.rule
    ends = [r.date() for r in rec.rdates]
    if isinstance(rule.until, datetime):  # Recurrence keeps UNTIL as a UTC instant
        ends.append(rule.until.date())
    elif rule.count is not None:
        ends.append(_count_end(rec, rule.count) or _open_end(rec))
    else:
        ends.append(_open_end(rec))
    return max([rec.start.date(), *ends])


def _open_end(rec: Recurrence) -> date:
    """The date a VTIMEZONE of a rule that never ends covers up to: ten years on."""
    first = rec.start.date()
    year = min(first.year + _OPEN_ENDED_YEARS, 9998)
    leap_day = (first.month, first.day) == (2, 29)  # no 29 February in most years
    return first.replace(year=year, day=28) if leap_day else first.replace(year=year)


def _count_end(rec: Recurrence, count: int) -> date | None:
    """The date the last of a COUNT rule's occurrences ends on (``None`` if none is found).

    Found by expanding the rule as far as one expansion may go (the default
    ``Limits.candidates``). A rule with more occurrences than that
    (``FREQ=HOURLY;COUNT=99000``, which ``store_ical`` takes: sessions are
    generated window by window) is still written, as its RRULE: only its
    VTIMEZONE needs the date, so it is extrapolated from the occurrences found,
    at their pace, with a year to spare (to year 9999 at most).
    """
    lo = rec.start.replace(tzinfo=get_zone(rec.tz)).astimezone(UTC) - timedelta(days=2)
    first: Occurrence | None = None
    last: Occurrence | None = None
    seen = 0
    try:
        for occurrence in rec.between(lo, datetime(9999, 1, 1, tzinfo=UTC)):
            first = occurrence if first is None else first
            last, seen = occurrence, seen + 1
    except ExpansionLimitExceeded:
        if first is None or last is None or seen < 2:
            return None  # too sparse to tell a pace: covered as a rule that never ends
        pace = (last.span.start - first.span.start) / (seen - 1)
        try:
            return (last.span.end + pace * max(count - seen, 0) + _SPARE).date()
        except OverflowError:  # past year 9999: _vtimezone stops at the calendar's end
            return date.max
    return None if last is None else last.span.end.date()
