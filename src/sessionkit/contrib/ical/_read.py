"""Reading an iCalendar file into plain values (:class:`IcalCalendar`), all or nothing."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import icalendar
from icalendar.timezone.tzid import tzids_from_tzinfo
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from sessionkit.contrib.ical._errors import (
    CalendarError,
    CalendarSyntaxError,
    MissingProperty,
    UnknownCalendarZone,
    UnsupportedCalendar,
)
from sessionkit.contrib.ical._source import SourceEvent, scan
from sessionkit.contrib.ical._values import IcalCalendar, IcalEvent, IcalOverride, IcalSeries
from sessionkit.errors import InvalidValue, UnknownTimeZone, WrongType
from sessionkit.model.series import ScheduleItem
from sessionkit.recurrence import Recurrence
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone

__all__ = ["read_ical"]

ONLY_DTSTART = "FREQ=DAILY;COUNT=1"
"""The rule of an event with RDATEs but no RRULE: DTSTART alone, the RDATEs added."""

_Wall = tuple[datetime | date, str]
"""A value as written: a naive wall time (or a date) and the IANA zone it is in."""


class _Zones:
    """Turns TZIDs into IANA keys: IANA names, Windows names, or a VTIMEZONE matched by offsets."""

    def __init__(self, cal: icalendar.Calendar, floating: str) -> None:
        self.floating = floating
        self._vtimezones = {
            str(tz.get("TZID", "")): tz
            for tz in cal.walk("VTIMEZONE")
            if isinstance(tz, icalendar.Timezone)
        }
        self._known: dict[str, str] = {}

    def key(self, tzid: str, where: tuple[int, str], uid: str, near: datetime) -> str:
        if tzid in self._known:
            return self._known[tzid]
        found = _iana(tzid) or _iana(WINDOWS_TO_OLSON.get(tzid, ""))
        vtz = self._vtimezones.get(tzid)
        if found is None and vtz is not None:
            found = _matching_zone(vtz.to_tz(), near)
        if found is None:
            why = "its VTIMEZONE matches no IANA zone" if vtz else "the calendar has no VTIMEZONE"
            raise UnknownCalendarZone(
                f"unknown time zone {tzid!r}: not an IANA name, and {why}",
                line=where[0],
                text=where[1],
                uid=uid,
                expected="an IANA TZID, or a VTIMEZONE for it",
            )
        self._known[tzid] = found
        return found


def _iana(name: str) -> str | None:
    if not name:
        return None
    try:
        return get_zone(name).key
    except UnknownTimeZone:
        return None


def _matching_zone(custom: tzinfo, near: datetime) -> str | None:
    """Return an IANA zone with ``custom``'s offsets around ``near`` (two years, twice a month)."""
    names = [n for n in tzids_from_tzinfo(custom) if _iana(n)]
    if names:
        return names[0]
    samples = [
        datetime(near.year + y, m, d, 12, tzinfo=UTC)
        for y in (0, 1)
        for m in range(1, 13)
        for d in (1, 15)
    ]
    wanted = [s.astimezone(custom).utcoffset() for s in samples]
    for name in sorted(zoneinfo.available_timezones()):
        zone = zoneinfo.ZoneInfo(name)
        if all(s.astimezone(zone).utcoffset() == w for s, w in zip(samples, wanted, strict=True)):
            return name
    return None


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


class _Reader:
    """Reads one VEVENT: its values as walls in IANA zones, errors naming its lines."""

    def __init__(self, comp: icalendar.Component, src: SourceEvent, zones: _Zones) -> None:
        # Any: icalendar types a property as a union of every value type; each use knows its own.
        self.comp: Any = comp
        self.src = src
        self.zones = zones
        self.uid = f"line-{src.begin}"
        for name, problem in comp.errors:  # icalendar keeps going past a value it cannot read
            line, text = self._broken(str(name or "BEGIN").upper(), comp)
            raise CalendarSyntaxError(
                f"unreadable {name or 'property'} value ({problem})",
                line=line,
                text=text,
                uid=self.uid,
                expected="a value of the property's type",
            )
        self.uid = str(self.one("UID") or "") or self.uid
        self.title = str(self.one("SUMMARY") or "")

    def _broken(self, name: str, comp: icalendar.Component) -> tuple[int, str]:
        """Return the line of the value of ``name`` icalendar could not read (else the first)."""
        kept = {
            value.to_ical().decode() if hasattr(value, "to_ical") else str(value)
            for value in _listed(comp.get(name))
            if type(value).__name__ == "vBroken"  # icalendar 7 keeps the text; 6 drops it
        }
        for line, text in self.src.props.get(name, []):
            if text.partition(":")[2] in kept:
                return line, text
        return self.src.first(name)

    def fail(
        self, kind: type[CalendarError], message: str, name: str, expected: str
    ) -> CalendarError:
        line, text = self.src.first(name)
        return kind(message, line=line, text=text, uid=self.uid, expected=expected)

    def wall(self, value: Any, params: Any, name: str, index: int = 0) -> _Wall:
        """Return ``value`` (a date, or a datetime read with ``params``) as a wall time and zone."""
        if not isinstance(value, date):
            line, text = self.src.nth(name, index)
            raise CalendarSyntaxError(
                f"{name} must be a date or a date-time, got {type(value).__name__}",
                line=line,
                text=text,
                uid=self.uid,
                expected="a DATE or DATE-TIME value",
            )
        if not isinstance(value, datetime):
            return value, self.zones.floating
        tzid = params.get("TZID") if params is not None else None
        if value.tzinfo is not None and tzid is None:
            return value.astimezone(UTC).replace(tzinfo=None), "UTC"
        if tzid is None:
            return value, self.zones.floating
        key = self.zones.key(str(tzid), self.src.nth(name, index), self.uid, value)
        return value.replace(tzinfo=None), key

    def one(self, name: str) -> Any:
        """Return the property ``name`` (``None`` if absent); refuse it more than once."""
        found = self.comp.get(name)
        if isinstance(found, list):
            line, text = self.src.nth(name, 1)
            raise CalendarSyntaxError(
                f"{name} more than once in one event",
                line=line,
                text=text,
                uid=self.uid,
                expected=f"one {name}",
            )
        return found

    def prop(self, name: str) -> _Wall | None:
        found = self.one(name)
        if found is None:
            return None
        return self.wall(found.dt, found.params, name)

    def start(self) -> _Wall:
        found = self.prop("DTSTART")
        if found is None:
            raise self.fail(MissingProperty, "an event needs a DTSTART", "DTSTART", "DTSTART")
        return found

    def span(self, start: _Wall, default: timedelta | None) -> TimeSpan:
        """Return the event's span from ``start`` and its DTEND or DURATION (else ``default``)."""
        begin = instant(start)
        end = self.prop("DTEND")
        if end is not None:
            finish = instant(end)
        elif self.one("DURATION") is not None:
            length = self.comp["DURATION"].dt
            if not isinstance(length, timedelta):
                raise self.fail(
                    CalendarSyntaxError, "DURATION must be a duration", "DURATION", "e.g. PT1H"
                )
            finish = begin + length
        elif isinstance(start[0], datetime) and default is None:
            raise self.fail(
                MissingProperty,
                "a timed event needs a DTEND or a DURATION (sessions last)",
                "DTSTART",
                "DTEND or DURATION",
            )
        else:
            finish = begin + (default or timedelta(days=1))
        if finish <= begin:
            raise self.fail(
                CalendarError,
                "the event ends before it starts",
                "DTEND" if end is not None else "DURATION",
                "an end after DTSTART",
            )
        return TimeSpan(begin, finish)

    def dates(self, name: str) -> list[tuple[_Wall, _Wall | timedelta | None]]:
        """Return the EXDATE or RDATE values, each with its PERIOD end (or duration), if any."""
        found: list[tuple[_Wall, _Wall | timedelta | None]] = []
        for index, lst in enumerate(_listed(self.comp.get(name))):
            for item in lst.dts:
                value = item.dt
                if isinstance(value, tuple):
                    first, second = value
                    tail = second if isinstance(second, timedelta) else None
                    other = None if tail is not None else self.wall(second, lst.params, name, index)
                    found.append((self.wall(first, lst.params, name, index), tail or other))
                else:
                    found.append((self.wall(value, lst.params, name, index), None))
        return found


def instant(wall: _Wall) -> datetime:
    """Return the UTC instant of a wall time (a date: its midnight); RFC 5545's gap/fold rule."""
    value, key = wall
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return value.replace(tzinfo=get_zone(key)).astimezone(UTC)


def _local(wall: _Wall, tz: str) -> datetime:
    """Return ``wall`` as a naive local time in ``tz`` (converted if it is in another zone)."""
    value, key = wall
    if not isinstance(value, datetime):
        return datetime.combine(value, time())
    if key == tz:
        return value
    return instant(wall).astimezone(get_zone(tz)).replace(tzinfo=None)


def read_ical(source: str | bytes, *, default_tz: str = "UTC") -> IcalCalendar:
    """Read an iCalendar file (text or bytes) into plain values; all of it or an error.

    VEVENTs with RRULE or RDATE become :class:`IcalSeries` (one schedule item
    per RRULE), VEVENTs with RECURRENCE-ID their overrides (:class:`IcalOverride`;
    ``STATUS:CANCELLED`` ones become EXDATEs), the rest single events
    (:class:`IcalEvent`).
    Floating times and all-day dates are read in ``default_tz`` (or the
    calendar's ``X-WR-TIMEZONE``, if it is an IANA name). Raises a
    :class:`CalendarError` naming the line.
    """
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CalendarSyntaxError(
                f"the calendar is not UTF-8 text ({exc.reason})", line=None, text=None
            ) from None
    if not isinstance(source, str):
        raise WrongType(source, name="source", expected="iCalendar text or bytes")
    floating = get_zone(default_tz).key
    outline = scan(source)
    try:
        cal = icalendar.Calendar.from_ical(source)
    except ValueError as exc:
        raise CalendarSyntaxError(f"unreadable calendar: {exc}", line=None, text=None) from None
    floating = _iana(str(cal.get("X-WR-TIMEZONE", ""))) or floating
    zones = _Zones(cal, floating)
    vevents = cal.walk("VEVENT")
    if len(vevents) != len(outline.events):  # pragma: no cover - the outline and icalendar agree
        raise CalendarSyntaxError("VEVENTs could not be matched to lines", line=None, text=None)
    readers = [_Reader(c, s, zones) for c, s in zip(vevents, outline.events, strict=True)]
    masters: dict[str, _Reader] = {}
    changed: dict[str, list[_Reader]] = {}
    for reader in readers:
        if reader.comp.get("RECURRENCE-ID") is not None:
            changed.setdefault(reader.uid, []).append(reader)
        elif reader.uid in masters:
            raise reader.fail(
                UnsupportedCalendar,
                f"a second event with UID {reader.uid!r} and no RECURRENCE-ID",
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
                # A single event: an override of it is its newer version.
                events.append(_single(overrides[-1] if overrides else reader))
            else:
                series.append(_series(reader, overrides))
    for orphans in changed.values():
        for orphan in orphans:
            with _in_range(orphan):
                events.append(_single(orphan))
    return IcalCalendar(
        series=tuple(series),
        events=tuple(events),
        name=str(cal["X-WR-CALNAME"]) if cal.get("X-WR-CALNAME") is not None else None,
    )


@contextmanager
def _in_range(reader: _Reader) -> Iterator[None]:
    """Report a date that leaves the years 1..9999 on the way to UTC as the event's error."""
    try:
        yield
    except OverflowError:
        raise reader.fail(
            CalendarError,
            "a date of this event is too close to year 1 or 9999",
            "DTSTART",
            "dates between the years 2 and 9998",
        ) from None


def _single(reader: _Reader) -> IcalEvent:
    start = reader.start()
    related = reader.comp.get("RELATED-TO")
    return IcalEvent(
        uid=reader.uid,
        title=reader.title,
        span=reader.span(start, None),
        tz=start[1],
        all_day=not isinstance(start[0], datetime),
        series_uid=str(related) if related is not None else None,
        line=reader.src.begin,
    )


def _series(reader: _Reader, changed: Sequence[_Reader]) -> IcalSeries:
    start = reader.start()
    all_day = not isinstance(start[0], datetime)
    tz = start[1]
    local_start = _local(start, tz)
    duration = reader.span(start, None).duration
    exdates: list[datetime | date] = []
    for wall, _ in reader.dates("EXDATE"):
        exdates.append(wall[0] if not isinstance(wall[0], datetime) else instant(wall))
    rdates: list[datetime | date] = []
    overrides: list[IcalOverride] = []
    for wall, tail in reader.dates("RDATE"):
        if not isinstance(wall[0], datetime):
            rdates.append(wall[0])
            continue
        begin = instant(wall)
        rdates.append(begin)
        end = begin + tail if isinstance(tail, timedelta) else instant(tail) if tail else None
        if end is not None and end <= begin:
            raise reader.fail(
                CalendarError, "an RDATE PERIOD ends before it starts", "RDATE", "start/end"
            )
        if end is not None and end - begin != duration:  # a PERIOD of its own length
            overrides.append(IcalOverride(key=_local(wall, tz), span=TimeSpan(begin, end)))
    # One override per occurrence: the highest SEQUENCE wins, then the later in the file.
    by_key: dict[datetime, IcalOverride | None] = {o.key: o for o in overrides}
    for other in sorted(changed, key=_sequence):
        rid = other.one("RECURRENCE-ID")
        if str(rid.params.get("RANGE", "")).upper() == "THISANDFUTURE":
            raise other.fail(
                UnsupportedCalendar,
                "RANGE=THISANDFUTURE overrides are not supported; split the series instead",
                "RECURRENCE-ID",
                "a RECURRENCE-ID of one occurrence",
            )
        key_wall = other.wall(rid.dt, rid.params, "RECURRENCE-ID")
        key = _local(key_wall, tz)
        if all_day:
            key = datetime.combine(key.date(), time())
        elif not isinstance(key_wall[0], datetime):
            key = datetime.combine(key_wall[0], local_start.time())
        if str(other.comp.get("STATUS", "")).upper() == "CANCELLED":
            by_key[key] = None
            continue
        own = other.prop("DTSTART")
        if own is None:
            raise other.fail(MissingProperty, "an override needs a DTSTART", "DTSTART", "DTSTART")
        title = other.title if other.title and other.title != reader.title else None
        by_key[key] = IcalOverride(key=key, span=other.span(own, duration), title=title)
    overrides = [o for o in by_key.values() if o is not None]
    exdates.extend(
        k.replace(tzinfo=get_zone(tz)).astimezone(UTC) for k, o in by_key.items() if o is None
    )
    rules = _listed(reader.comp.get("RRULE"))
    texts = [r.to_ical().decode() for r in rules] or [ONLY_DTSTART]
    items: list[ScheduleItem] = []
    for index, text in enumerate(texts):
        try:
            rec = Recurrence.from_rrule(
                text,
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
    items[0] = _with_dtstart(items[0], local_start, tz, any_rule=_produces(items, local_start, tz))
    rule_lines = tuple(reader.src.nth("RRULE", i)[0] for i in range(len(rules)))
    return IcalSeries(
        uid=reader.uid,
        title=reader.title,
        items=tuple(items),
        overrides=tuple(sorted(overrides, key=lambda o: o.key)),
        all_day=all_day,
        line=reader.src.begin,
        rule_lines=rule_lines or (reader.src.begin,),
    )


def _sequence(reader: _Reader) -> int:
    """The SEQUENCE of an event (0 when absent or unreadable), to order its revisions."""
    try:
        return int(str(reader.one("SEQUENCE") or 0))
    except ValueError:
        return 0


def _produces(items: Sequence[ScheduleItem], local_start: datetime, tz: str) -> bool:
    begin = local_start.replace(tzinfo=get_zone(tz)).astimezone(UTC)
    return any(
        any(True for _ in item.recurrence.between(begin, begin + timedelta(seconds=1)))
        for item in items
    )


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
