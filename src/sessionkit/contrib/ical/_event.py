"""One VEVENT's values as wall times in IANA zones, with errors that name its lines."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
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
)
from sessionkit.contrib.ical._source import SourceEvent, SourceZone, listed
from sessionkit.contrib.ical._vtimezone import RULE_EXPECTED, impossible_rule, last_onset
from sessionkit.errors import UnknownTimeZone
from sessionkit.errors._base import shown
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone

__all__ = [
    "EventReader",
    "Wall",
    "Zones",
    "broken_zone",
    "iana_key",
    "instant",
    "local_wall",
    "named_zone",
    "zone_rules",
]

Wall = tuple[datetime | date, str]
"""A value as written: a naive wall time (or a date) and the IANA zone it is in."""


class Zones:
    """Turns TZIDs into IANA keys: IANA names, Windows names, or a VTIMEZONE matched by offsets.

    A Windows name with a VTIMEZONE is held to it as any other TZID, its zone tried first.
    """

    def __init__(
        self,
        cal: icalendar.Calendar,
        floating: str,
        hint: str | None,
        sources: Sequence[SourceZone] = (),
    ) -> None:
        """Read every VTIMEZONE of a TZID that is no IANA name; refuse one that cannot be read.

        Every time, not only when an event uses it: icalendar reads them as it
        parses, unless it has one of the TZID already (from any calendar).
        ``sources`` are the VTIMEZONEs' lines (:func:`vtimezones`).
        """
        self.floating = floating
        self._hint = hint  # the calendar's X-WR-TIMEZONE, if an IANA name
        self._vtimezones = {
            str(tz.get("TZID", "")): tz
            for tz in cal.walk("VTIMEZONE")
            if isinstance(tz, icalendar.Timezone)
        }
        where = {z.tzid: z for z in sources}
        # A Windows name too: icalendar reads such a VTIMEZONE as it parses, unless it has
        # read one of that TZID before, so it would be refused, or not, by what came before.
        self._rules = {
            tzid: zone_rules(vtz, tzid, where.get(tzid))
            for tzid, vtz in self._vtimezones.items()
            if iana_key(tzid) is None
        }
        self._known: dict[str, list[str]] = {}
        self._first: dict[str, str] = {}  # the zone of a TZID's first value

    @property
    def hint(self) -> str | None:
        """The calendar's ``X-WR-TIMEZONE``, if it is an IANA name, else ``None``."""
        return self._hint

    def rules(self, tzid: str) -> tzinfo | None:
        """Return the offsets a TZID names: its own VTIMEZONE's, else its IANA or Windows zone's.

        ``None`` for a name that is neither and has no VTIMEZONE. No IANA
        zone is matched (:meth:`key`): a VTIMEZONE's rules are its writer's.
        """
        found = self._rules.get(tzid)
        if found is not None:
            return found
        key = named_zone(tzid)
        return None if key is None else get_zone(key)

    def key(self, tzid: str, where: tuple[int, str], uid: str, near: datetime) -> str:
        found = iana_key(tzid)
        if found is not None:
            return found
        vtz = self._vtimezones.get(tzid)
        windows = named_zone(tzid)
        if vtz is None and windows is not None:
            return windows
        # A Windows name's own VTIMEZONE rules, as any other TZID's: its zone is a first guess.
        known = self._known.setdefault(tzid, [] if windows is None else [windows])
        # A zone matched by offsets from another value's date may differ on this one (a
        # VTIMEZONE of today's US rules, an event of 2005): the value would shift by an hour.
        for zone in known:
            if _agrees(self._rules[tzid], zone, near):
                self._first.setdefault(tzid, zone)
                return zone
        # Its rules end (one STANDARD/DAYLIGHT pair of the events' year): its last offset for
        # ever after is no zone's, so it is held to its own dates; past them a value is in
        # the zone first matched, as a series' occurrences there are.
        end = None if vtz is None else last_onset(vtz)
        first = self._first.get(tzid)
        if first is not None and end is not None and near.date() > end.date():
            return first
        if vtz is not None:
            hints = (*known, iana_key(str(vtz.get("X-LIC-LOCATION", ""))), self._hint)
            found = _matching_zone(self._rules[tzid], near, hints)
            if found is None and end is not None:
                found = _matching_zone(self._rules[tzid], near, hints, end)
        if found is None:
            why = "its VTIMEZONE matches no IANA zone" if vtz else "the calendar has no VTIMEZONE"
            if known:
                how = "its Windows name's" if known[0] == windows else "matched on another date"
                why = (
                    f"its VTIMEZONE's offsets on {near.date().isoformat()} are not"
                    f" {known[0]}'s ({how}) nor any IANA zone's"
                )
            raise UnknownCalendarZone(
                f"unknown time zone {shown(tzid)}: not an IANA name, and {why}",
                line=where[0],
                text=where[1],
                uid=uid,
                expected="an IANA TZID, or a VTIMEZONE for it",
            )
        known.append(found)
        self._first.setdefault(tzid, found)
        return found


def _agrees(custom: tzinfo, zone: str, near: datetime) -> bool:
    """Whether ``custom`` and ``zone`` give one offset on ``near``'s day (at noon UTC)."""
    sample = datetime.combine(min(near.date(), date(9998, 12, 31)), time(12), tzinfo=UTC)
    try:
        theirs = sample.astimezone(custom).utcoffset()
        return theirs == sample.astimezone(get_zone(zone)).utcoffset()
    except ValueError:  # dateutil cannot convert by this VTIMEZONE (see _matching_zone)
        return False


def named_zone(tzid: str) -> str | None:
    """The IANA key a TZID names, as an IANA or a Windows name; else ``None``."""
    return iana_key(tzid) or iana_key(WINDOWS_TO_OLSON.get(tzid, ""))


def zone_rules(vtz: icalendar.Timezone, tzid: str, source: SourceZone | None) -> tzinfo:
    """Return the rules of a calendar's own VTIMEZONE; ``CalendarSyntaxError`` if it has none.

    ``lookup_tzid=False``: this calendar's VTIMEZONE, never icalendar's
    process-wide cache entry for the same TZID (Outlook names every custom zone
    "Customized Time Zone": the first calendar read would win, and a broken
    VTIMEZONE would pass, or fail, by what was read before it). Refused too: a
    STANDARD or DAYLIGHT RRULE that can never happen (:func:`impossible_rule`).
    """
    try:
        rules: tzinfo = vtz.to_tz(lookup_tzid=False)
    except (ValueError, TypeError, LookupError, AttributeError) as exc:
        # icalendar's own checks (no STANDARD or DAYLIGHT, no DTSTART or TZOFFSETFROM)
        # raise ValueError; the others are shapes it does not expect, still the calendar's.
        raise broken_zone(tzid, source, exc) from None
    impossible = impossible_rule(vtz, source)
    if impossible is not None:
        raise broken_zone(tzid, source, impossible.why, RULE_EXPECTED) from impossible.cause
    return rules


def broken_zone(
    tzid: str,
    source: SourceZone | None,
    why: Exception | str,
    expected: str = "a VTIMEZONE with a STANDARD or DAYLIGHT part, each with DTSTART,"
    " TZOFFSETFROM and TZOFFSETTO",
) -> CalendarSyntaxError:
    """The error for a VTIMEZONE that gives no rules (``why``), on its TZID line."""
    return CalendarSyntaxError(
        f"the VTIMEZONE of TZID {shown(tzid)} cannot be read ({why})",
        line=None if source is None else source.line,
        text=None if source is None else source.text,
        expected=expected,
    )


def iana_key(name: str) -> str | None:
    if not name:
        return None
    try:
        return get_zone(name).key
    except UnknownTimeZone:
        return None


_PREFERRED: tuple[str, ...] = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Helsinki",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Halifax",
    "America/Sao_Paulo",
    "America/Santiago",  # not America/Coyhaique, which keeps Chile's rules only until 2025
    "America/Mexico_City",
    "Pacific/Honolulu",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Perth",
    "Pacific/Auckland",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "America/Bogota",
)
"""The zones an offsets-only match tries first: the common names for the common rules."""


def _legacy(name: str) -> bool:
    """Whether ``name`` is an alias kept for old software (``US/Eastern``, ``EST5EDT``)."""
    area = name.split("/", 1)[0]
    return "/" not in name or area in {
        "US",
        "Etc",
        "SystemV",
        "Brazil",
        "Canada",
        "Mexico",
        "Chile",
    }


def _matching_zone(
    custom: tzinfo,
    near: datetime,
    hints: Sequence[str | None] = (),
    end: datetime | None = None,
) -> str | None:
    """Return an IANA zone with ``custom``'s offsets from ``near`` on (two years, every day).

    Tried in order: the zones ``hints`` name (the VTIMEZONE's ``X-LIC-LOCATION``,
    the calendar's ``X-WR-TIMEZONE``), common zones, then every other zone by
    name with the old aliases last, so Berlin's rules come back as
    ``Europe/Berlin``, not ``Africa/Ceuta``. ``end``: no day after its day is
    compared (``near``'s always is).
    """
    names = [n for n in tzids_from_tzinfo(custom) if iana_key(n)]
    if names:
        return names[0]
    # Every day at noon UTC: zones that change on other days (Jerusalem on a Friday, Helsinki
    # on the Sunday after) differ on one of them. From the event's day, not 1 January: a
    # VTIMEZONE may begin with the event (sessionkit's own, icalendar's from_tzinfo), and
    # before its first onset its offsets are no zone's (Dublin's or Santiago's January).
    first = datetime.combine(min(near.date(), date(9997, 12, 31)), time(12), tzinfo=UTC)
    samples = [first + timedelta(days=n) for n in range(731)]
    if end is not None:
        samples = [first, *(s for s in samples[1:] if s.date() <= end.date())]
    try:
        wanted = [s.astimezone(custom).utcoffset() for s in samples]
    except ValueError:
        # dateutil cannot convert by a DAYLIGHT offset a day or more from the standard one
        # (Apia's jump over the date line in 2011, to +1400 from -1100); no zone is told by it.
        return None
    rest = sorted(zoneinfo.available_timezones(), key=lambda n: (_legacy(n), n))
    for name in (*(h for h in hints if h), *_PREFERRED, *rest):
        zone = zoneinfo.ZoneInfo(name)
        if all(s.astimezone(zone).utcoffset() == w for s, w in zip(samples, wanted, strict=True)):
            return name
    return None


class EventReader:
    """Reads one VEVENT: its values as walls in IANA zones, errors naming its lines."""

    def __init__(self, comp: icalendar.Component, src: SourceEvent, zones: Zones) -> None:
        # Any: icalendar types a property as a union of every value type; each use knows its own.
        self.comp: Any = comp
        self.src = src
        self.zones = zones
        self.uid = f"line-{src.begin}"
        for name, problem in comp.errors:  # icalendar keeps going past a value it cannot read
            line, text = self._broken(str(name or "BEGIN").upper(), comp, str(problem))
            raise CalendarSyntaxError(
                f"unreadable {name or 'property'} value ({problem})",
                line=line,
                text=text,
                uid=self.uid,
                expected="a value of the property's type",
            )
        self.uid = str(self.one("UID") or "") or self.uid
        self.title = str(self.one("SUMMARY") or "")

    def _broken(self, name: str, comp: icalendar.Component, problem: str) -> tuple[int, str]:
        """Return the line of the value of ``name`` icalendar could not read (else the first).

        icalendar 7 keeps the unreadable text (``vBroken``); 6 drops the value,
        but its message quotes it.
        """
        kept = {
            value.to_ical().decode() if hasattr(value, "to_ical") else str(value)
            for value in listed(comp.get(name))
            if type(value).__name__ == "vBroken"
        }
        candidates = self.src.props.get(name, [])
        for line, text in candidates:
            if text.partition(":")[2] in kept:
                return line, text
        for line, text in candidates:
            if text.partition(":")[2] and text.partition(":")[2] in problem:
                return line, text
        return self.src.first(name)

    def fail(
        self, kind: type[CalendarError], message: str, name: str, expected: str, index: int = 0
    ) -> CalendarError:
        """``kind`` naming the ``index``-th line of property ``name`` (else the first)."""
        line, text = self.src.nth(name, index)
        return kind(message, line=line, text=text, uid=self.uid, expected=expected)

    def wall(
        self, value: Any, params: Any, name: str, index: int = 0, *, floating: str | None = None
    ) -> Wall:
        """Return ``value`` (a date, or a datetime read with ``params``) as a wall time and zone.

        A floating date-time (no TZID, no ``Z``) is in ``floating``, else in the
        calendar's zone: a series' EXDATE, RDATE or RECURRENCE-ID passes the
        series' zone (such a value is the series' local time, as its DTSTART's).
        """
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
            return value, floating or self.zones.floating
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

    def timed(self, name: str) -> Any:
        """Return the property ``name`` (``None`` if absent); refuse one of another type.

        A value declared another type (``VALUE=BINARY``, ``RECUR``, ...) is
        parsed as that type by icalendar, which then has no ``dt``.
        """
        found = self.one(name)
        if found is not None and not hasattr(found, "dt"):
            raise self.fail(
                CalendarSyntaxError,
                f"{name} is not a date, date-time or duration",
                name,
                f"{name} of its own type (no VALUE of another)",
            )
        return found

    def prop(self, name: str) -> Wall | None:
        found = self.timed(name)
        if found is None:
            return None
        return self.wall(found.dt, found.params, name)

    def start(self) -> Wall:
        found = self.prop("DTSTART")
        if found is None:
            raise self.fail(MissingProperty, "an event needs a DTSTART", "DTSTART", "DTSTART")
        return found

    def length(self) -> timedelta | None:
        """Return the DURATION (``None`` if absent); refuse one that is no duration."""
        found = self.timed("DURATION")
        if found is None:
            return None
        length = found.dt
        if not isinstance(length, timedelta):
            raise self.fail(
                CalendarSyntaxError, "DURATION must be a duration", "DURATION", "e.g. PT1H"
            )
        return length

    def days(self, start: Wall) -> timedelta | None:
        """Return the whole days an all-day event lasts, else ``None`` (a timed end or length).

        DTEND's date minus DTSTART's, a DURATION of whole days, or one day
        without either (RFC 5545): a nominal length, midnight to midnight.
        """
        if isinstance(start[0], datetime):
            return None
        end = self.prop("DTEND")
        if end is not None:
            if isinstance(end[0], datetime):
                return None
            return end[0] - start[0]
        length = self.length()
        if length is None:
            return timedelta(days=1)
        return length if length % timedelta(days=1) == timedelta(0) else None

    def span(self, start: Wall, default: timedelta | None) -> TimeSpan:
        """Return the event's span from ``start`` and its DTEND or DURATION (else ``default``).

        An all-day event of whole days lasts from local midnight to local
        midnight, however long those days are (23 or 25 hours at a DST change).
        """
        begin = instant(start)
        end = self.prop("DTEND")
        if end is not None and self.comp.get("DURATION") is not None:
            raise self._end_twice()
        if end is not None and isinstance(start[0], datetime) and not isinstance(end[0], datetime):
            raise self._date_end()
        if end is not None:
            finish = instant(end)
        else:
            length = self.length()
            if length is None:
                if isinstance(start[0], datetime) and default is None:
                    raise self.fail(
                        MissingProperty,
                        "a timed event needs a DTEND or a DURATION (sessions last)",
                        "DTSTART",
                        "DTEND or DURATION",
                    )
                length = default or timedelta(days=1)
            whole = _whole_days(start, length)
            try:
                finish = instant((start[0] + length, start[1])) if whole else begin + length
            except OverflowError:  # the DURATION is at fault, not the DTSTART it starts from
                raise self.fail(
                    CalendarError,
                    f"the event would end after year 9999 (it lasts {length})",
                    "DURATION" if self.comp.get("DURATION") is not None else "DTSTART",
                    "a DURATION that ends within the calendar",
                ) from None
        if finish <= begin:
            why = (
                "the event has no length (a reminder: sessions last)"
                if finish == begin
                else "the event ends before it starts"
            )
            raise self.fail(
                CalendarError,
                why,
                "DTEND" if end is not None else "DURATION",
                "an end after DTSTART",
            )
        return TimeSpan(begin, finish)

    def _date_end(self) -> CalendarError:
        """The error for a DTEND of a DATE after a DTSTART of a DATE-TIME.

        RFC 5545 3.8.2.2: DTEND's value type "MUST be the same" as DTSTART's. The
        date was read as midnight in the calendar's zone, not the start's, so the
        event ended hours off (a Berlin evening to midnight UTC); which midnight
        was meant cannot be told. (A DATE DTSTART with a DATE-TIME DTEND is read:
        the end names its instant.)
        """
        line, text = self.src.first("DTEND")
        return CalendarSyntaxError(
            f"DTEND is a DATE but DTSTART a DATE-TIME ({self.src.first('DTSTART')[1]!r});"
            " RFC 5545 wants one value type for both",
            line=line,
            text=text,
            uid=self.uid,
            expected="a DTEND of a DATE-TIME, as DTSTART",
        )

    def _end_twice(self) -> CalendarError:
        """The error for an event with both DTEND and DURATION, on the later of the two lines.

        RFC 5545 3.6.1: they "MUST NOT occur in the same 'eventprop'"; which of
        the two lengths was meant cannot be told.
        """
        first, second = sorted([self.src.first("DTEND"), self.src.first("DURATION")])
        return CalendarSyntaxError(
            f"the event {shown(self.uid)} has both DTEND and DURATION ({first[1]!r} on line "
            f"{first[0]}); RFC 5545 allows one of them",
            line=second[0],
            text=second[1],
            uid=self.uid,
            expected="DTEND or DURATION, not both",
        )

    def dates(self, name: str, floating: str) -> list[tuple[Wall, Wall | timedelta | None]]:
        """Return the EXDATE or RDATE values, each with its PERIOD end (or duration), if any.

        Floating date-times are read in ``floating`` (the series' zone).
        """
        found: list[tuple[Wall, Wall | timedelta | None]] = []
        for index, lst in enumerate(listed(self.comp.get(name))):
            for item in lst.dts:
                value = item.dt
                params = lst.params
                if isinstance(value, tuple):
                    first, second = value
                    tail = second if isinstance(second, timedelta) else None
                    other = (
                        None
                        if tail is not None
                        else self.wall(second, params, name, index, floating=floating)
                    )
                    found.append(
                        (
                            self.wall(first, params, name, index, floating=floating),
                            tail if tail is not None else other,  # PT0S is a tail too
                        )
                    )
                else:
                    found.append((self.wall(value, params, name, index, floating=floating), None))
        return found


def _whole_days(start: Wall, length: timedelta) -> bool:
    """Whether ``length`` from an all-day ``start`` is nominal days (RFC 5545 3.3.6)."""
    return not isinstance(start[0], datetime) and length % timedelta(days=1) == timedelta(0)


def instant(wall: Wall) -> datetime:
    """Return the UTC instant of a wall time (a date: its midnight); RFC 5545's gap/fold rule."""
    value, key = wall
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return value.replace(tzinfo=get_zone(key)).astimezone(UTC)


def local_wall(wall: Wall, tz: str) -> datetime:
    """Return ``wall`` as a naive local time in ``tz`` (converted if it is in another zone)."""
    value, key = wall
    if not isinstance(value, datetime):
        return datetime.combine(value, time())
    if key == tz:
        return value
    return instant(wall).astimezone(get_zone(tz)).replace(tzinfo=None)
