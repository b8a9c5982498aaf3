"""Writing plain values (:class:`IcalCalendar`) as iCalendar text.

The calendar, each series' VEVENTs with their overrides, and single events; how instants
and VTIMEZONEs are written is ``_write_zones``', how rules share or split VEVENTs and what
EXDATEs they take is ``_write_rules``'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

import attrs
import icalendar

from sessionkit.contrib.ical._attendee import IcalAttendee
from sessionkit.contrib.ical._read_series import ONLY_DTSTART
from sessionkit.contrib.ical._text import scrub, uids_without_controls
from sessionkit.contrib.ical._values import (
    IcalCalendar,
    IcalEvent,
    IcalOverride,
    IcalSeries,
    check_candidates,
)
from sessionkit.contrib.ical._write_rules import (
    date_of,
    days_of,
    group_exdates,
    keys_given,
    last_day,
    unshared,
)
from sessionkit.contrib.ical._write_zones import (
    Ranges,
    first_date,
    ical_stamp,
    in_zone,
    last_date,
    outward,
    written_at,
)
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.series import ScheduleItem
from sessionkit.recurrence import MAX_CANDIDATES

__all__ = ["write_ical"]

PRODID = "-//sessionkit//sessionkit.contrib.ical//EN"


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


_DATES = {"VALUE": "DATE"}


def _add_dates(
    event: icalendar.Event, name: str, values: Iterable[datetime | date], tz: str
) -> None:
    days = sorted(v for v in values if not isinstance(v, datetime))
    instants = sorted(v for v in values if isinstance(v, datetime))
    local = [written_at(i, tz) for i in instants]
    zoned = [v for v in local if v.tzinfo is not UTC]
    utc = [v for v in local if v.tzinfo is UTC]
    if zoned:
        event.add(name, zoned)
    if utc:
        event.add(name, utc)
    if days:
        # VALUE=DATE named: icalendar before 7 writes a list of dates without it (DATE-TIME then).
        event.add(name, days, parameters=_DATES)


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
    series: IcalSeries, stamp: str, ranges: Ranges, floating: str | None, budget: int
) -> list[icalendar.Event]:
    groups = [series.items] if _same_frame(series.items) else [(i,) for i in series.items]
    events: list[icalendar.Event] = []
    built: list[tuple[icalendar.Event, str, str, bool, set[datetime]]] = []
    for index, group in enumerate(groups):
        if index:  # a VEVENT of its own: without the instants the items before it give
            group = (unshared(group[0], series.items[:index], budget),)
        rec = group[0].recurrence
        # The first keeps the series' UID, which its extra events' RELATED-TO name.
        uid = series.uid if index == 0 else f"{series.uid}/{group[0].id}"
        days = days_of(series, group, floating)
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
            master.add("DTSTART", in_zone(rec.start, rec.tz))
            # An all-day series of another zone keeps its days nominal: calendar days.
            exact = not series.all_day or rec.duration % timedelta(days=1)
            master.add("DURATION", _ExactDuration(rec.duration) if exact else rec.duration)
        for item in group:
            text = item.recurrence.to_rrule()
            if text != ONLY_DTSTART or not rec.rdates:
                rule = icalendar.vRecur.from_ical(text)
                if days is not None and "UNTIL" in rule:  # a DATE start wants a DATE UNTIL
                    rule["UNTIL"] = [last_day(rule["UNTIL"][0], rec.tz)]
                master.add("RRULE", rule)
            if days is None:
                ranges.add(rec.tz, first_date(item.recurrence), last_date(item.recurrence))
        if days is not None:
            exdates, rdates = days
            if exdates:
                master.add("EXDATE", exdates, parameters=_DATES)
            if rdates:
                master.add("RDATE", rdates, parameters=_DATES)
        else:
            _add_dates(master, "EXDATE", group_exdates(group), rec.tz)
            _add_dates(master, "RDATE", rec.rdates, rec.tz)
        keys = keys_given(group, series.overrides, budget) if len(groups) > 1 else set()
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


def _override(
    uid: str,
    series: IcalSeries,
    o: IcalOverride,
    stamp: str,
    tz: str,
    ranges: Ranges,
    *,
    days: bool = False,
) -> icalendar.Event:
    """An override's VEVENT; in a series of DATEs, keyed by date, and in DATEs if whole days."""
    event = icalendar.Event()
    event.add("UID", uid)
    event.add("DTSTAMP", icalendar.vText(stamp))
    event.add("RECURRENCE-ID", o.key.date() if days else in_zone(o.key, tz))
    event.add("SUMMARY", series.title if o.title is None else o.title)
    first, last = date_of(o.span.start, tz), date_of(o.span.end, tz)
    if days and first is not None and last is not None:
        event.add("DTSTART", first)
        event.add("DTEND", last)
        return event
    start, end = outward(o.span)
    event.add("DTSTART", written_at(start, tz))
    event.add("DTEND", written_at(end, tz))
    ranges.add(tz, min(o.key.date(), o.span.start.date()), o.span.end.date())
    return event


def _single(e: IcalEvent, stamp: str, ranges: Ranges, floating: str | None) -> icalendar.Event:
    """A single event's VEVENT; an all-day one of the calendar's zone in DATEs, as it was read."""
    event = icalendar.Event()
    event.add("UID", e.uid)
    event.add("DTSTAMP", icalendar.vText(stamp))
    event.add("SUMMARY", e.title)
    first, last = date_of(e.span.start, e.tz), date_of(e.span.end, e.tz)
    if e.all_day and e.tz == floating and first is not None:
        event.add("DTSTART", first)
        if last is not None:
            event.add("DTEND", last)
        else:  # it ends at another time than midnight (a DTEND of a time): its exact length
            event.add("DURATION", _ExactDuration(e.span.duration))
    else:
        start, end = outward(e.span)
        written = written_at(start, e.tz), written_at(end, e.tz)
        event.add("DTSTART", written[0])
        event.add("DTEND", written[1])
        if any(w.tzinfo is not UTC for w in written):  # both in UTC (a fold): no TZID to define
            ranges.add(e.tz, e.span.start.date(), e.span.end.date())
    if e.series_uid is not None:
        event.add("RELATED-TO", e.series_uid)
    if e.cancelled:
        event.add("STATUS", "CANCELLED")
    if e.organizer is not None:
        event.add("ORGANIZER", icalendar.vCalAddress(e.organizer))
    for attendee in e.attendees:
        event.add("ATTENDEE", _attendee(attendee))
    return event


def _attendee(attendee: IcalAttendee) -> icalendar.vCalAddress:
    """An ATTENDEE's value with its parameters (icalendar writes them in name order)."""
    address = icalendar.vCalAddress(attendee.address)
    address.params["CUTYPE"] = attendee.cutype
    address.params["ROLE"] = attendee.role
    address.params["PARTSTAT"] = attendee.partstat
    if attendee.seats > 1:
        address.params["X-SESSIONKIT-SEATS"] = str(attendee.seats)
    return address


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
    ``STATUS:CANCELLED``; an event's attendees are ATTENDEE lines. Each zone's VTIMEZONE covers
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
    text_stamp = ical_stamp(stamp)
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
    ranges = Ranges()
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
