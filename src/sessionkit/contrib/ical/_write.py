"""Writing plain values (:class:`IcalCalendar`) as iCalendar text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import attrs
import icalendar

from sessionkit.contrib.ical._read import ONLY_DTSTART
from sessionkit.contrib.ical._text import scrub, uids_without_controls
from sessionkit.contrib.ical._values import (
    IcalCalendar,
    IcalEvent,
    IcalOverride,
    IcalSeries,
    check_candidates,
)
from sessionkit.errors import ExpansionLimitExceeded, InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.series import ScheduleItem
from sessionkit.recurrence import MAX_CANDIDATES, Occurrence, Recurrence
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_aware, get_zone, resolve_local, wall_time_kind

__all__ = ["write_ical"]

PRODID = "-//sessionkit//sessionkit.contrib.ical//EN"
_OPEN_ENDED_YEARS = 10
"""How many years a VTIMEZONE covers after the start of a rule that never ends."""
_SPARE = timedelta(days=366)
"""What a VTIMEZONE covers past the extrapolated end of a rule too long to expand."""
_FIRST_COVERED = date.min + timedelta(days=1)
_LAST_COVERED = date.max - timedelta(days=70)
"""The dates a VTIMEZONE may start and end on: icalendar steps up to 64 days past its end."""


class _ExactDuration(icalendar.vDuration):
    """A DURATION in hours, minutes and seconds: RFC 5545 reads ``P1D`` as a calendar day.

    A day of a DURATION is nominal (23 or 25 hours across a DST change, as
    other calendar apps read it), while a session lasts an exact length, so a
    24-hour session is written ``PT24H``.
    """

    def to_ical(self) -> bytes:
        """Return the exact length (never negative here: sessions last)."""
        whole = int(self.td.total_seconds())
        hours, rest = divmod(whole, 3600)
        minutes, seconds = divmod(rest, 60)
        # RFC 5545's grammar has no seconds straight after hours: PT1H0M5S.
        parts = [
            f"{hours}H" if hours else "",
            f"{minutes}M" if minutes or (hours and seconds) else "",
        ]
        parts.append(f"{seconds}S" if seconds or not (hours or minutes) else "")
        return f"PT{''.join(parts)}".encode()


def _stamp(value: datetime) -> str:
    return check_aware(value, "stamp").astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _outward(span: TimeSpan) -> tuple[datetime, datetime]:
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


def _when(instant: datetime, tz: str) -> datetime:
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


def _local(naive: datetime, tz: str) -> datetime:
    """A naive wall time (DTSTART, RECURRENCE-ID) as written: with its TZID, or ``Z`` in UTC."""
    return naive.replace(tzinfo=UTC if tz == "UTC" else ZoneInfo(tz))


class _Ranges:
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

    # icalendar's private list of steps (from 64 days down to a second), from 1 day on; a
    # class variable there too (mypy reads it as an instance's, so no ClassVar here).
    _from_tzinfo_skip_search = [  # noqa: RUF012
        step for step in icalendar.Timezone._from_tzinfo_skip_search if step <= timedelta(days=1)
    ]


@lru_cache(maxsize=256)
def _vtimezone(tz: str, first: date, last: date) -> icalendar.Timezone:
    """The VTIMEZONE of ``tz`` from ``first`` to ``last`` (cached: icalendar scans the zone).

    A day more on each side, within the calendar (years 1 to 9999): an
    event of year 1 starts its VTIMEZONE on 1 January of year 1. Shared
    between calendars, so never changed after it is built.
    """
    lo = min(max(first, _FIRST_COVERED), _LAST_COVERED) - timedelta(days=1)
    hi = max(min(last, _LAST_COVERED) + timedelta(days=2), lo + timedelta(days=1))
    return _DailyTimezone.from_tzinfo(ZoneInfo(tz), tzid=tz, first_date=lo, last_date=hi)


def _first_date(rec: Recurrence) -> date:
    """The first date ``rec`` is used on: its start's, or an earlier RDATE's."""
    return min([rec.start.date(), *(r.date() for r in rec.rdates)])


def _last_date(rec: Recurrence) -> date:
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


def _add_dates(
    event: icalendar.Event, name: str, values: Iterable[datetime | date], tz: str
) -> None:
    days = sorted(v for v in values if not isinstance(v, datetime))
    instants = sorted(v for v in values if isinstance(v, datetime))
    local = [_when(i, tz) for i in instants]
    zoned = [v for v in local if v.tzinfo is not UTC]
    utc = [v for v in local if v.tzinfo is UTC]
    if zoned:
        event.add(name, zoned)
    if utc:
        event.add(name, utc)
    if days:
        event.add(name, days)


def _same_frame(items: Sequence[ScheduleItem]) -> bool:
    first = items[0].recurrence
    return all(
        i.recurrence.start == first.start
        and i.recurrence.tz == first.tz
        and i.recurrence.duration == first.duration
        and i.recurrence.exdates == first.exdates
        and not i.recurrence.rdates
        for i in items[1:]
    )


def _series_events(
    series: IcalSeries, stamp: str, ranges: _Ranges, floating: str | None, budget: int
) -> list[icalendar.Event]:
    groups = [series.items] if _same_frame(series.items) else [(i,) for i in series.items]
    events: list[icalendar.Event] = []
    built: list[tuple[icalendar.Event, str, str, bool, set[datetime]]] = []
    for index, group in enumerate(groups):
        if index:  # a VEVENT of its own: without the instants the items before it give
            group = (_unshared(group[0], series.items[:index], budget),)
        rec = group[0].recurrence
        # The first keeps the series' UID, which its extra events' RELATED-TO name.
        uid = series.uid if index == 0 else f"{series.uid}/{group[0].id}"
        days = _days_of(series, group, floating)
        master = icalendar.Event()
        master.add("UID", uid)
        master.add("DTSTAMP", icalendar.vText(stamp))
        master.add("SUMMARY", series.title)
        if series.cancelled:
            master.add("STATUS", "CANCELLED")
        if days is not None:
            master.add("DTSTART", rec.start.date())  # VALUE=DATE, in the calendar's zone
            master.add("DURATION", rec.duration)  # whole days: P1D, as calendars count days
        else:
            master.add("DTSTART", _local(rec.start, rec.tz))
            # An all-day series of another zone keeps its days nominal: calendar days.
            exact = not series.all_day or rec.duration % timedelta(days=1)
            master.add("DURATION", _ExactDuration(rec.duration) if exact else rec.duration)
        for item in group:
            text = item.recurrence.to_rrule()
            if text != ONLY_DTSTART or not rec.rdates:
                rule = icalendar.vRecur.from_ical(text)
                if days is not None and "UNTIL" in rule:  # a DATE start wants a DATE UNTIL
                    rule["UNTIL"] = [_last_day(rule["UNTIL"][0], rec.tz)]
                master.add("RRULE", rule)
            if days is None:
                ranges.add(rec.tz, _first_date(item.recurrence), _last_date(item.recurrence))
        if days is not None:
            exdates, rdates = days
            if exdates:
                master.add("EXDATE", exdates)
            if rdates:
                master.add("RDATE", rdates)
        else:
            _add_dates(master, "EXDATE", _exdates(group), rec.tz)
            _add_dates(master, "RDATE", rec.rdates, rec.tz)
        keys = _keys_given(group, series.overrides, budget) if len(groups) > 1 else set()
        built.append((master, uid, rec.tz, days is not None, keys))
    # An override whose key no item gives (an EXDATE'd occurrence, one no rule gives) still
    # takes place: it goes with the first VEVENT, the series' UID, as with one VEVENT.
    claimed = set().union(*(keys for *_, keys in built))
    for index, (master, uid, tz, dated, keys) in enumerate(built):
        events.append(master)
        mine = [
            o
            for o in series.overrides
            if len(built) == 1 or o.key in keys or (index == 0 and o.key not in claimed)
        ]
        events.extend(_override(uid, series, o, stamp, tz, ranges, days=dated) for o in mine)
    return events


def _unshared(item: ScheduleItem, before: Sequence[ScheduleItem], budget: int) -> ScheduleItem:
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
        end = min(_last_date(rec), max(_last_date(i.recurrence) for i in before))
        hi = datetime.combine(end + timedelta(days=2), time(), tzinfo=UTC)
    except OverflowError:  # a rule at the very edge of the calendar: nothing to compare
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


def _day(value: datetime | date, tz: str) -> date | None:
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


def _last_day(until: datetime, tz: str) -> date:
    """The last local date whose midnight is not after ``until`` (an all-day rule's UNTIL)."""
    zone = get_zone(tz)
    day = until.astimezone(zone).date()
    if datetime.combine(day, time(), tzinfo=zone) > until:
        day -= timedelta(days=1)
    return day


def _days_of(
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
                _last_day(until, rec.tz)
            except OverflowError:  # the last days of the calendar: written timed, as ever
                return None
    exdates = [_day(v, rec.tz) for v in _exdates(group)]
    rdates = [_day(v, rec.tz) for v in rec.rdates]
    if None in exdates or None in rdates:
        return None
    return sorted(d for d in exdates if d is not None), sorted(d for d in rdates if d is not None)


def _exdates(group: Sequence[ScheduleItem]) -> list[datetime | date]:
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


def _keys_given(
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


def _override(
    uid: str,
    series: IcalSeries,
    o: IcalOverride,
    stamp: str,
    tz: str,
    ranges: _Ranges,
    *,
    days: bool = False,
) -> icalendar.Event:
    """An override's VEVENT; in a series of DATEs, keyed by date, and in DATEs if whole days."""
    event = icalendar.Event()
    event.add("UID", uid)
    event.add("DTSTAMP", icalendar.vText(stamp))
    event.add("RECURRENCE-ID", o.key.date() if days else _local(o.key, tz))
    event.add("SUMMARY", series.title if o.title is None else o.title)
    first, last = _day(o.span.start, tz), _day(o.span.end, tz)
    if days and first is not None and last is not None:
        event.add("DTSTART", first)
        event.add("DTEND", last)
        return event
    start, end = _outward(o.span)
    event.add("DTSTART", _when(start, tz))
    event.add("DTEND", _when(end, tz))
    ranges.add(tz, min(o.key.date(), o.span.start.date()), o.span.end.date())
    return event


def _single(e: IcalEvent, stamp: str, ranges: _Ranges, floating: str | None) -> icalendar.Event:
    """A single event's VEVENT; an all-day one of the calendar's zone in DATEs, as it was read."""
    event = icalendar.Event()
    event.add("UID", e.uid)
    event.add("DTSTAMP", icalendar.vText(stamp))
    event.add("SUMMARY", e.title)
    first, last = _day(e.span.start, e.tz), _day(e.span.end, e.tz)
    if e.all_day and e.tz == floating and first is not None:
        event.add("DTSTART", first)
        if last is not None:
            event.add("DTEND", last)
        else:  # it ends at another time than midnight (a DTEND of a time): its exact length
            event.add("DURATION", _ExactDuration(e.span.duration))
    else:
        start, end = _outward(e.span)
        written = _when(start, e.tz), _when(end, e.tz)
        event.add("DTSTART", written[0])
        event.add("DTEND", written[1])
        if any(w.tzinfo is not UTC for w in written):  # both in UTC (a fold): no TZID to define
            ranges.add(e.tz, e.span.start.date(), e.span.end.date())
    if e.series_uid is not None:
        event.add("RELATED-TO", e.series_uid)
    if e.cancelled:
        event.add("STATUS", "CANCELLED")
    return event


def write_ical(
    calendar: IcalCalendar,
    *,
    stamp: datetime,
    name: str | None = None,
    max_candidates: int = MAX_CANDIDATES,
) -> str:
    """Return ``calendar`` as iCalendar text (CRLF lines), with a VTIMEZONE per zone used.

    A series is one VEVENT with its RRULEs, EXDATEs and RDATEs (DTSTART with
    TZID, exact DURATION such as ``PT24H``; the all-day series of the first
    one's zone in DATE values, that zone the calendar's ``X-WR-TIMEZONE``),
    followed by one VEVENT per override
    (RECURRENCE-ID); items that differ in start, zone, duration or EXDATEs
    get a VEVENT each (UID ``<uid>/<item id>``), with an EXDATE for each instant
    an item before it gives (ten years of them for two rules that never end);
    an override follows the VEVENT of the item that gives its key (of none: the first).
    All-day single events of
    that zone (of the first all-day event's, without an all-day series) are
    written in DATE values too. A cancelled series or event says
    ``STATUS:CANCELLED``. Each zone's VTIMEZONE covers
    the dates it is used on (a rule that never ends: ten years; one with a
    COUNT too long to expand at once: up to its end at the pace of the
    occurrences found, and a year). ``stamp``
    is the DTSTAMP of every event; ``name`` (or the calendar's) becomes
    ``X-WR-CALNAME``. ``max_candidates`` is each expansion's budget, as
    :func:`read_ical`'s: the instants items share are looked for in full, and
    past it ``ExpansionLimitExceeded`` is raised rather than a file with
    doubles. Raises ``WrongType`` for a ``calendar`` that is no
    :class:`IcalCalendar` or a ``name`` that is no text, ``InvalidValue`` for
    text with a lone surrogate.
    """
    if not isinstance(calendar, IcalCalendar):
        raise WrongType(calendar, name="calendar", expected="an IcalCalendar")
    if name is not None and not isinstance(name, str):  # 5 was written X-WR-CALNAME:5
        raise WrongType(name, name="name", expected="text or None")
    calendar = uids_without_controls(calendar)  # before they are made unique
    text_stamp = _stamp(stamp)
    budget = check_candidates(max_candidates)
    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    label = name if name is not None else calendar.name
    if label is not None:
        # As text, escaped: an X- property is written as given, so a newline in the
        # name would end the line and start a property of its own.
        cal.add("X-WR-CALNAME", icalendar.vText(label))
    # All-day series and events in this zone are written in DATEs, which are read in the
    # calendar's zone: the first all-day series' zone, else the first all-day event's.
    floating = next((s.tz for s in calendar.series if s.all_day), None) or next(
        (e.tz for e in calendar.events if e.all_day), None
    )
    if floating is not None:
        cal.add("X-WR-TIMEZONE", floating)
    ranges = _Ranges()
    events: list[icalendar.Event] = []
    for series in calendar.series:
        events.extend(_series_events(series, text_stamp, ranges, floating, budget))
    # One VEVENT per UID without RECURRENCE-ID: a single event whose UID is taken (two
    # overrides read without their master, say) is written as ``<uid>/<n>``.
    taken = {str(e["UID"]) for e in events if "RECURRENCE-ID" not in e}
    for single in calendar.events:
        uid, n = single.uid, 1
        while uid in taken:
            n += 1
            uid = f"{single.uid}/{n}"
        taken.add(uid)
        events.append(_single(attrs.evolve(single, uid=uid), text_stamp, ranges, floating))
    for component in ranges.components():
        cal.add_component(component)
    for event in events:
        cal.add_component(event)
    scrub(cal)  # RFC 5545 TEXT holds no control characters but HTAB
    try:
        return str(cal.to_ical().decode("utf-8"))
    except UnicodeEncodeError as exc:  # a lone surrogate in a value built by hand
        bad = exc.object[max(exc.start - 20, 0) : exc.end + 20]
        raise InvalidValue(
            f"text with a lone surrogate, which is no character, near {shown(bad)}",
            value=bad,
            expected="Unicode text",
        ) from None
