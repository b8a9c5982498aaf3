"""Reading a recurring VEVENT (RRULE or RDATE) into an :class:`IcalSeries`.

Its rules, EXDATEs and RDATEs in its zone, an UNTIL read as its writer meant it, occurrence
keys as local starts, and the checks that its DTSTART is one of its occurrences and that
each part is given once.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import attrs

from sessionkit.contrib.ical._errors import (
    CalendarError,
    MissingProperty,
    UnsupportedCalendar,
)
from sessionkit.contrib.ical._event import EventReader, Wall, instant, local_wall
from sessionkit.contrib.ical._near_miss import as_its_vtimezone_gives, until_as_wall, vtimezone_of
from sessionkit.contrib.ical._read_parts import in_range, is_cancelled, sequence_of
from sessionkit.contrib.ical._source import listed
from sessionkit.contrib.ical._values import IcalOverride, IcalSeries, rebuilt
from sessionkit.errors import InvalidValue
from sessionkit.model.series import ScheduleItem
from sessionkit.recurrence import Recurrence, Rule, parse_rule
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone

__all__ = ["ONLY_DTSTART", "read_series"]


ONLY_DTSTART = "FREQ=DAILY;COUNT=1"
"""The rule of an event with RDATEs but no RRULE: DTSTART alone, the RDATEs added."""


def read_series(
    reader: EventReader, changed: Sequence[EventReader], budget: int, named: Sequence[str]
) -> IcalSeries:
    """The series of ``reader`` and its overrides (``changed``).

    ``named``: the TZIDs the calendar names (its VTIMEZONEs', its values').
    """
    start = reader.start()
    all_day = not isinstance(start[0], datetime)
    tz = start[1]
    local_start = local_wall(start, tz)
    span = reader.span(start, None)
    # All-day: whole days (each occurrence midnight to midnight), not the first day's hours.
    duration = reader.days(start) or span.duration
    exdates: list[datetime | date] = []
    for wall, _ in reader.dates("EXDATE", tz):
        if all_day:  # the day it names, as a RECURRENCE-ID's (a midnight in its own zone)
            exdates.append(_key(wall, tz, local_start, all_day=True).date())
        else:
            exdates.append(wall[0] if not isinstance(wall[0], datetime) else instant(wall))
    rdates: list[datetime | date] = []
    overrides: list[IcalOverride] = []
    for wall, tail in reader.dates("RDATE", tz):
        if not isinstance(wall[0], datetime):
            rdates.append(wall[0])
            continue
        if all_day and tail is None:  # a day of its own, named as an EXDATE names one
            rdates.append(_key(wall, tz, local_start, all_day=True).date())
            continue
        begin = instant(wall)
        rdates.append(begin)
        end = begin + tail if isinstance(tail, timedelta) else instant(tail) if tail else None
        if end is not None and end <= begin:
            why = (
                "an RDATE PERIOD has no length (a reminder: sessions last)"
                if end == begin
                else "an RDATE PERIOD ends before it starts"
            )
            raise reader.fail(CalendarError, why, "RDATE", "a PERIOD that ends after it starts")
        if end is not None and end - begin != duration:  # a PERIOD of its own length
            overrides.append(
                IcalOverride(
                    key=local_wall(wall, tz), span=TimeSpan(begin, end), line=reader.src.begin
                )
            )
    written = None if all_day else vtimezone_of(reader, tz)
    # One override per occurrence: the highest SEQUENCE wins, then the later in the file.
    by_key: dict[datetime, IcalOverride | None] = {o.key: o for o in overrides}
    told: dict[datetime, tuple[EventReader, str]] = {o.key: (reader, "RDATE") for o in overrides}
    for other in sorted(changed, key=sequence_of):
        rid = other.timed("RECURRENCE-ID")
        scope = str(rid.params.get("RANGE", "")).upper()
        if scope:  # THISANDFUTURE, or RFC 2445's THISANDPRIOR: more than one occurrence
            raise other.fail(
                UnsupportedCalendar,
                f"RANGE={scope} overrides are not supported; split the series instead",
                "RECURRENCE-ID",
                "a RECURRENCE-ID of one occurrence",
            )
        key_wall = other.wall(rid.dt, rid.params, "RECURRENCE-ID", floating=tz)
        key = _key(key_wall, tz, local_start, all_day=all_day)
        if written is not None and key_wall[1] != tz and isinstance(key_wall[0], datetime):
            # An instant (UTC): the occurrence its VTIMEZONE has there, the key of its wall time.
            with suppress(ValueError, OverflowError):  # dateutil cannot convert: tz's, as before
                key = instant(key_wall).astimezone(written).replace(tzinfo=None, fold=0)
        with in_range(other, "RECURRENCE-ID"):  # its instant is read to match occurrences
            key.replace(tzinfo=get_zone(tz)).astimezone(UTC)
        if is_cancelled(other):
            by_key[key] = None
            continue
        own = other.prop("DTSTART")
        if own is None:
            raise other.fail(MissingProperty, "an override needs a DTSTART", "DTSTART", "DTSTART")
        title = other.title if other.title and other.title != reader.title else None
        by_key[key] = IcalOverride(
            key=key, span=other.span(own, duration), title=title, line=other.src.begin
        )
        told[key] = (other, "DTSTART")
    overrides = [o for o in by_key.values() if o is not None]
    exdates.extend(
        k.replace(tzinfo=get_zone(tz)).astimezone(UTC) for k, o in by_key.items() if o is None
    )
    rules = listed(reader.comp.get("RRULE"))
    texts: list[str] = []
    for index, rule in enumerate(rules):
        _check_parts_once(reader, index)
        try:
            texts.append(rule.to_ical().decode())
        except (ValueError, TypeError) as exc:  # parsed, but cannot be written back (an UNTIL)
            line, raw = reader.src.nth("RRULE", index)
            raise CalendarError(
                f"the RRULE cannot be read: {exc}", line=line, text=raw, uid=reader.uid
            ) from exc
    texts = texts or [ONLY_DTSTART]
    writers = _writer_zones(reader, changed, named) if all_day else []
    items: list[ScheduleItem] = []
    for index, text in enumerate(texts):
        try:
            rec = Recurrence.from_rrule(
                _until_as_date(text, tz, writers) if all_day else until_as_wall(text, tz, written),
                start=local_start,
                tz=tz,
                duration=duration,
                exdates=exdates,
                rdates=rdates if index == 0 else (),
            )
        except InvalidValue as exc:
            part = getattr(exc, "part", None)
            if part in ("DTSTART", "EXDATE", "RDATE"):
                line, raw = reader.src.first(str(part))
            else:
                line, raw = reader.src.nth("RRULE", index) if rules else reader.src.first("DTSTART")
            raise CalendarError(str(exc), line=line, text=raw, uid=reader.uid) from exc
        items.append(ScheduleItem(id=f"rule-{index + 1}", recurrence=rec))
    items[0] = _with_dtstart(
        items[0],
        local_start,
        tz,
        any_rule=_produces(items, local_start, tz) or _ended_before(items, local_start, tz),
    )
    rule_lines = tuple(reader.src.nth("RRULE", i)[0] for i in range(len(rules)))
    made = IcalSeries(
        uid=reader.uid,
        title=reader.title,
        items=tuple(items),
        overrides=tuple(sorted(overrides, key=lambda o: o.key)),
        all_day=all_day,
        line=reader.src.begin,
        rule_lines=rule_lines or (reader.src.begin,),
        cancelled=is_cancelled(reader),
    )
    if not all_day:
        made = as_its_vtimezone_gives(reader, made, duration, budget)
    for crowded in made.crowded(max_candidates=budget)[:1]:
        source, name = told[crowded.key]
        raise source.fail(
            UnsupportedCalendar,
            f"an override moves an occurrence onto {crowded.span.start.isoformat()}, where "
            "another occurrence of the event starts; a series holds one session per start, "
            "so one of the two would be lost",
            name,
            "an override at a start no other occurrence of the event takes",
        )
    return made


_UNTIL_SLACK = timedelta(hours=12)
"""How far before a day's local midnight a UTC UNTIL of an all-day series still names that day."""


def _writer_zones(
    reader: EventReader, changed: Sequence[EventReader], named: Sequence[str]
) -> list[tzinfo]:
    """Return the zones the calendar says an all-day series was written in (empty: none).

    The zones of the TZIDs on the event's lines and its overrides' (Exchange
    writes its RECURRENCE-IDs and EXDATEs so), else the calendar's
    ``X-WR-TIMEZONE``, else every zone the calendar ``named``. A TZID that
    names no zone is left out: a value that uses it is refused on its line.
    """
    zones = reader.zones
    own = [tzid for other in (reader, *changed) for tzid in other.src.tzids()]
    if not own and zones.hint is not None:
        return [get_zone(zones.hint)]
    found = (zones.rules(tzid) for tzid in dict.fromkeys(own or named))
    return [zone for zone in found if zone is not None]


def _until_as_date(text: str, tz: str, writers: Sequence[tzinfo]) -> Rule | str:
    """An all-day series' RRULE with a UTC UNTIL made the DATE of its last day.

    RFC 5545 wants a DATE UNTIL after a DATE DTSTART; Exchange writes the last
    day's midnight in its own zone, in UTC (``20261204T230000Z`` for 5 December
    in Berlin), which read in UTC or New York is the day before and lost the
    last occurrence. The last day is the UNTIL's date in the zone its writer
    was in, which the calendar tells (``writers``: :func:`_writer_zones`), when
    those zones agree on it: RFC 5545's bound on the days' midnights there.
    Else an UNTIL on a quarter hour names the day whose midnight in ``tz`` is
    nearest to it (within 12 hours, later on a tie), and any other (an end of
    day, ``T225959Z``) bounds the occurrences' starts, as RFC 5545 says.
    """
    rule = parse_rule(text)
    until = rule.until
    if not isinstance(until, datetime) or until.tzinfo is None:
        return text
    days: set[date] = set()
    for zone in writers:
        with suppress(ValueError):  # dateutil cannot convert by this VTIMEZONE (_matching_zone)
            days.add(until.astimezone(zone).date())
    if len(days) == 1:
        return attrs.evolve(rule, until=days.pop())
    if until.second or until.microsecond or until.minute % 15:
        return text
    return attrs.evolve(rule, until=(until + _UNTIL_SLACK).astimezone(get_zone(tz)).date())


def _key(wall: Wall, tz: str, local_start: datetime, *, all_day: bool) -> datetime:
    """Return the occurrence key a RECURRENCE-ID names, a naive local time in ``tz``.

    Of an all-day series, the RECURRENCE-ID's own date, in whatever zone it
    is written (Exchange writes ``TZID=...:20200416T000000``: converting that
    midnight to another zone would name the day before); a DATE one of a
    timed series, that day at the series' local start time.
    """
    value = wall[0]
    if all_day:
        if not isinstance(value, datetime):
            return datetime.combine(value, time())
        # A midnight names its own date, whatever its zone (Exchange writes the day's local
        # midnight with a TZID); any other instant (a UTC "Z" value) is the series' local day.
        day = value.date() if value.time() == time() else local_wall(wall, tz).date()
        return datetime.combine(day, time())
    if not isinstance(value, datetime):
        return datetime.combine(value, local_start.time())
    return local_wall(wall, tz)


def _produces(items: Sequence[ScheduleItem], local_start: datetime, tz: str) -> bool:
    begin = local_start.replace(tzinfo=get_zone(tz)).astimezone(UTC)
    return any(
        any(True for _ in item.recurrence.between(begin, begin + timedelta(seconds=1)))
        for item in items
    )


def _ended_before(items: Sequence[ScheduleItem], local_start: datetime, tz: str) -> bool:
    """Whether every rule ends (UNTIL) before DTSTART: the recurrence set is empty.

    UNTIL bounds the set, DTSTART included (RFC 5545 3.3.10: inclusive).
    Atlassian Confluence writes such an UNTIL for a deleted recurring event,
    and other readers (``recurring_ical_events``, dateutil) give no occurrence.
    """
    begin = local_start.replace(tzinfo=get_zone(tz)).astimezone(UTC)
    untils = [item.recurrence.rule.until for item in items]
    return all(until is not None and until < begin for until in untils)


def _with_dtstart(
    item: ScheduleItem, local_start: datetime, tz: str, *, any_rule: bool
) -> ScheduleItem:
    """Add DTSTART as an RDATE if no rule gives it: RFC 5545 counts it as an occurrence."""
    if any_rule:
        return item
    rec = item.recurrence
    begin = local_start.replace(tzinfo=get_zone(tz)).astimezone(UTC)
    if begin in rec.rdates or begin in rec.exdates:
        return item
    return ScheduleItem(id=item.id, recurrence=rebuilt(rec, rdates=sorted([*rec.rdates, begin])))


def _check_parts_once(reader: EventReader, index: int) -> None:
    """Refuse an RRULE naming a rule part twice (RFC 5545 3.3.10: "MUST NOT occur more than once").

    icalendar's parse keeps one of them, so the rule it writes back would pass
    the core's own check with a part the calendar never settled on.
    """
    _, raw = reader.src.nth("RRULE", index)
    seen: set[str] = set()
    for part in raw.partition(":")[2].split(";"):
        name = part.partition("=")[0].strip().upper()
        if name in seen:
            message = f"{name} is given twice in the RRULE"
            raise reader.fail(CalendarError, message, "RRULE", "each rule part once", index)
        seen.add(name)
