"""Reading an iCalendar file into plain values (:class:`IcalCalendar`), all or nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import attrs
import icalendar

from sessionkit.contrib.ical._errors import (
    CalendarError,
    CalendarSyntaxError,
    MissingProperty,
    UnknownCalendarZone,
    UnsupportedCalendar,
)
from sessionkit.contrib.ical._event import (
    EventReader,
    Wall,
    Zones,
    broken_zone,
    iana_key,
    instant,
    local_wall,
    zone_rules,
)
from sessionkit.contrib.ical._method import check_method
from sessionkit.contrib.ical._source import SourceZone, listed, scan, tzid_lines, vtimezones
from sessionkit.contrib.ical._values import (
    IcalCalendar,
    IcalEvent,
    IcalOverride,
    IcalSeries,
    check_candidates,
)
from sessionkit.contrib.ical._vtimezone import refuse_duplicates
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.series import ScheduleItem
from sessionkit.recurrence import MAX_CANDIDATES, Recurrence, Rule, parse_rule
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone

__all__ = ["ONLY_DTSTART", "read_ical"]

ONLY_DTSTART = "FREQ=DAILY;COUNT=1"
"""The rule of an event with RDATEs but no RRULE: DTSTART alone, the RDATEs added."""


_LONE_CR = re.compile(r"\r(?!\n)")
"""A carriage return that ends a line on its own (old Mac files), without LF after it."""

_FOLDED_INSIDE = re.compile(rb"(\r\n|\n|\r)([ \t])([\x80-\xbf]+)")
"""A fold followed by UTF-8 continuation bytes: a character split across two lines."""


def _split_characters_joined(source: bytes) -> bytes:
    """Return ``source`` with each character a fold split put back together before the fold.

    RFC 5545 3.1 folds at 75 octets, and writers that count octets split a
    character of several (an emoji, an accented letter) across lines; the
    reader is to unfold so as to restore it. Its continuation bytes, which
    no character starts with, move before the line break: the lines keep
    their numbers, and the text decodes.
    """
    return _FOLDED_INSIDE.sub(rb"\3\1\2", source)


def read_ical(
    source: str | bytes, *, default_tz: str = "UTC", max_candidates: int = MAX_CANDIDATES
) -> IcalCalendar:
    """Read an iCalendar file (text or bytes) into plain values; all of it or an error.

    VEVENTs with RRULE or RDATE become :class:`IcalSeries` (one schedule item
    per RRULE), VEVENTs with RECURRENCE-ID their overrides (:class:`IcalOverride`;
    ``STATUS:CANCELLED`` ones become EXDATEs), the rest single events
    (:class:`IcalEvent`; ``STATUS:CANCELLED`` ones, recurring or single, are kept
    with ``cancelled`` set; an event's series is the UID its RELATED-TO of
    RELTYPE=PARENT names). A calendar property given twice (``X-WR-TIMEZONE``,
    ``X-WR-CALNAME``) is read from its first line.
    Floating times and all-day dates are read in ``default_tz`` (or the
    calendar's ``X-WR-TIMEZONE``, if it is an IANA name), except a series'
    floating EXDATEs, RDATEs and RECURRENCE-IDs, which are in the series'
    zone. Raises a :class:`CalendarError` naming the line; an iTIP METHOD
    (``CANCEL``, ``REPLY``, ...: all but PUBLISH and REQUEST) :class:`UnsupportedMethod`.
    ``max_candidates`` is each expansion's budget (an override is checked
    against its rule, which a COUNT walks from DTSTART), as
    :meth:`Recurrence.between <sessionkit.recurrence.Recurrence.between>`'s:
    past it, ``ExpansionLimitExceeded``.
    """
    budget = check_candidates(max_candidates)
    if isinstance(source, bytes):
        try:
            source = _split_characters_joined(source).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CalendarSyntaxError(
                f"the calendar is not UTF-8 text ({exc.reason})", line=None, text=None
            ) from None
    if not isinstance(source, str):
        raise WrongType(source, name="source", expected="iCalendar text or bytes")
    source = source.removeprefix("\ufeff")
    floating = get_zone(default_tz).key
    outline = scan(source)
    check_method(source)  # an iTIP CANCEL, REPLY, ...: no events that take place
    sources = vtimezones(source)
    refuse_duplicates(sources)  # before icalendar, which keeps the last of them
    used = tzid_lines(source)
    named = tuple(dict.fromkeys([*outline.zones, *(tzid for _, _, tzid in used)]))
    for number, line, tzid in used:
        # icalendar guesses a "globally unique" TZID of no VTIMEZONE by its tail, with a
        # warning (raised under -W error, as no SessionKitError); sessionkit refuses it anyway.
        if tzid.startswith("/") and tzid not in outline.zones:
            raise _no_vtimezone(number, line, tzid)
    try:
        # A lone CR ends a line, as the outline reads it (scan); icalendar splits at LF only.
        cal = icalendar.Calendar.from_ical(_LONE_CR.sub("\r\n", source))
    except (ValueError, TypeError) as exc:  # TypeError: a value of the wrong declared type
        raise _unreadable(sources, exc) from None
    except (AttributeError, KeyError, IndexError) as exc:
        # icalendar's parser meeting a shape it does not expect (a VTIMEZONE with its TZID
        # twice gives a list where it wants a string): still the calendar's fault.
        raise CalendarSyntaxError(
            f"unreadable calendar: icalendar could not parse it"
            f" ({type(exc).__name__}: {exc}); a component with a property given twice?",
            line=None,
            text=None,
        ) from None
    except OSError as exc:
        # icalendar loads each TZID with zoneinfo as it parses: a name that is a folder
        # of the zone database ("Europe") or too long for a file name raises OSError.
        raise _unloadable_zone(source, outline.zones, exc) from None
    hint = iana_key(str(_first(cal.get("X-WR-TIMEZONE", ""))))
    zones = Zones(cal, hint or floating, hint, sources)
    vevents = cal.walk("VEVENT")
    if len(vevents) != len(outline.events):  # pragma: no cover - the outline and icalendar agree
        raise CalendarSyntaxError("VEVENTs could not be matched to lines", line=None, text=None)
    readers = [EventReader(c, s, zones) for c, s in zip(vevents, outline.events, strict=True)]
    masters: dict[str, EventReader] = {}
    changed: dict[str, list[EventReader]] = {}
    for reader in readers:
        if reader.comp.get("EXRULE") is not None:
            # RFC 2445's exclusion rule, dropped by RFC 5545: refused, since ignoring it would
            # bring back the occurrences it takes out.
            raise reader.fail(
                UnsupportedCalendar,
                "EXRULE is not supported (RFC 5545 dropped it); list the dates as EXDATEs",
                "EXRULE",
                "EXDATEs instead of an EXRULE",
            )
        if reader.comp.get("RECURRENCE-ID") is not None:
            changed.setdefault(reader.uid, []).append(reader)
        elif reader.uid in masters:
            raise reader.fail(
                UnsupportedCalendar,
                f"a second event with UID {shown(reader.uid)} and no RECURRENCE-ID",
                "UID",
                "one event per UID, plus its overrides",
            )
        else:
            masters[reader.uid] = reader
    series: list[IcalSeries] = []
    events: list[IcalEvent] = []
    for uid, reader in masters.items():
        overrides = changed.pop(uid, [])
        with _in_range(reader):
            if reader.comp.get("RRULE") is None and reader.comp.get("RDATE") is None:
                # A single event: the highest SEQUENCE of it and its overrides wins; on a
                # tie an override wins, wherever it stands (of overrides, the later in the file).
                newest = max([*reversed(overrides), reader], key=_sequence) if overrides else reader
                events.append(_single(newest))
            else:
                series.append(_series(reader, overrides, budget, named))
    for orphans in changed.values():
        for orphan in orphans:
            with _in_range(orphan):
                events.append(_single(orphan))
    return IcalCalendar(
        series=tuple(series),
        events=tuple(events),
        name=_calendar_name(_first(cal.get("X-WR-CALNAME"))),
    )


_ESCAPED = re.compile(r"\\([\\;,nN])")
"""A TEXT escape of RFC 5545 (3.3.11): a backslash before another, ``;``, ``,``, ``n`` or ``N``."""


def _first(value: object) -> object:
    """The first of a calendar property given more than once (icalendar's list), else itself."""
    return value[0] if isinstance(value, list) and value else value


def _calendar_name(value: object) -> str | None:
    """``X-WR-CALNAME`` as text: an X- property of no declared type is kept escaped."""
    if value is None:
        return None
    if isinstance(value, icalendar.vText):
        return str(value)
    return _ESCAPED.sub(lambda m: "\n" if m[1] in "nN" else m[1], str(value))


@contextmanager
def _in_range(reader: EventReader, name: str = "DTSTART") -> Iterator[None]:
    """Report a date that leaves the years 1..9999 on the way to UTC as the event's error.

    ``name``: the property whose line the error names.
    """
    try:
        yield
    except OverflowError:
        raise reader.fail(
            CalendarError,
            "a date of this event is too close to year 1 or 9999",
            name,
            "dates between the years 2 and 9998",
        ) from None


def _single(reader: EventReader) -> IcalEvent:
    start = reader.start()
    return IcalEvent(
        uid=reader.uid,
        title=reader.title,
        span=reader.span(start, None),
        tz=_zone_of_single(reader, start[1]),
        all_day=not isinstance(start[0], datetime),
        series_uid=_parent(reader),
        line=reader.src.begin,
        cancelled=_cancelled(reader),
    )


def _zone_of_single(reader: EventReader, tz: str) -> str:
    """A single event's zone: its DTSTART's, else (a DTSTART in UTC) its DTEND's TZID.

    sessionkit writes a start in a DST gap or fold in UTC (its local time
    would name two instants, or none) and the end in the event's zone: read
    back, the event keeps that zone.
    """
    end = reader.timed("DTEND")
    if tz != "UTC" or end is None or not isinstance(end.dt, datetime):
        return tz
    if end.params.get("TZID") is None:
        return tz
    return reader.wall(end.dt, end.params, "DTEND")[1]


def _series(
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
    # One override per occurrence: the highest SEQUENCE wins, then the later in the file.
    by_key: dict[datetime, IcalOverride | None] = {o.key: o for o in overrides}
    told: dict[datetime, tuple[EventReader, str]] = {o.key: (reader, "RDATE") for o in overrides}
    for other in sorted(changed, key=_sequence):
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
        with _in_range(other, "RECURRENCE-ID"):  # its instant is read to match occurrences
            key.replace(tzinfo=get_zone(tz)).astimezone(UTC)
        if _cancelled(other):
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
                _until_as_date(text, tz, writers) if all_day else text,
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
        cancelled=_cancelled(reader),
    )
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


def _parent(reader: EventReader) -> str | None:
    """The UID the first RELATED-TO of RELTYPE=PARENT (the default) names, if any.

    An event may have several RELATED-TO; a CHILD or SIBLING one names no series
    the event belongs to.
    """
    for related in listed(reader.comp.get("RELATED-TO")):
        params = getattr(related, "params", {})
        if str(params.get("RELTYPE", "PARENT")).upper() == "PARENT":
            return str(related)
    return None


def _cancelled(reader: EventReader) -> bool:
    """Whether the event says ``STATUS:CANCELLED``."""
    return str(reader.one("STATUS") or "").strip().upper() == "CANCELLED"


def _sequence(reader: EventReader) -> int:
    """The SEQUENCE of an event (0 when absent or unreadable), to order its revisions."""
    sequence = reader.one("SEQUENCE")  # refused more than once, as any one-value property
    try:
        return int(str(sequence or 0))
    except ValueError:
        return 0


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
    return ScheduleItem(
        id=item.id,
        recurrence=Recurrence.from_rrule(
            rec.rule,
            start=rec.start,
            tz=rec.tz,
            duration=rec.duration,
            exdates=rec.exdates,
            rdates=sorted([*rec.rdates, begin]),
        ),
    )


def _unreadable(sources: Sequence[SourceZone], error: Exception) -> CalendarError:
    """The error for a calendar icalendar cannot parse: its VTIMEZONE's if one is at fault.

    icalendar reads a VTIMEZONE of a TZID it does not know as it parses (and
    fails there), unless it has read one of that TZID before, from any
    calendar; :class:`Zones` reads them afterwards, to the same error.
    """
    for zone in sources:
        try:
            parsed = icalendar.Component.from_ical(zone.block)
        except (ValueError, TypeError, LookupError, AttributeError) as exc:
            raise broken_zone(zone.tzid, zone, exc) from None
        if isinstance(parsed, icalendar.Timezone) and iana_key(zone.tzid) is None:
            zone_rules(parsed, zone.tzid, zone)  # its own error, not wrapped in another
    return CalendarSyntaxError(f"unreadable calendar: {error}", line=None, text=None)


def _unloadable_zone(source: str, defined: Mapping[str, int], error: OSError) -> CalendarError:
    """The error for the first TZID that names no zone and no VTIMEZONE (``error``'s cause)."""
    for number, line, tzid in tzid_lines(source):
        if tzid not in defined and iana_key(tzid) is None:
            return _no_vtimezone(number, line, tzid)
    return CalendarSyntaxError(  # pragma: no cover - icalendar reads zones only by TZID
        f"unreadable calendar: {type(error).__name__}", line=None, text=None
    )


def _no_vtimezone(number: int, line: str, tzid: str) -> UnknownCalendarZone:
    """The error for a TZID on line ``number`` that names no IANA zone and no VTIMEZONE."""
    return UnknownCalendarZone(
        f"unknown time zone {shown(tzid)}: not an IANA name, and the calendar has no"
        " VTIMEZONE for it",
        line=number,
        text=line,
        expected="an IANA TZID, or a VTIMEZONE for it",
    )


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
