"""One VEVENT's values as wall times in IANA zones, with errors that name its lines.

Which IANA zone a TZID stands for is ``_event_zones``'.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import icalendar

from sessionkit.contrib.ical._errors import CalendarError, CalendarSyntaxError, MissingProperty
from sessionkit.contrib.ical._event_zones import Zones
from sessionkit.contrib.ical._source import SourceEvent, listed
from sessionkit.errors._base import shown
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone

__all__ = ["EventReader", "Wall", "instant", "local_wall"]

Wall = tuple[datetime | date, str]
"""A value as written: a naive wall time (or a date) and the IANA zone it is in."""


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
        wall = value.replace(tzinfo=None)
        if name in ("DTSTART", "DTEND") and not self.recurring:
            # A single event's (or an override's) own times: where its VTIMEZONE and the zone
            # matched to it change at other hours, the VTIMEZONE's instant (Zones.exact).
            wall = self.zones.exact(str(tzid), wall, key)
        return wall, key

    @property
    def recurring(self) -> bool:
        """Whether the event has an RRULE or RDATE: its DTSTART is its rules' wall time."""
        return self.comp.get("RRULE") is not None or self.comp.get("RDATE") is not None

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
