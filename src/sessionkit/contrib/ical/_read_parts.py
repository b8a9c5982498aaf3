"""What a VEVENT reads the same whether it is a single event or a series.

Its dates checked to lie within the calendar, its STATUS, SEQUENCE and RELATED-TO, and a
single event (one without RRULE or RDATE) as an :class:`IcalEvent`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sessionkit.contrib.ical._errors import CalendarError
from sessionkit.contrib.ical._event import EventReader
from sessionkit.contrib.ical._source import listed
from sessionkit.contrib.ical._values import IcalEvent

__all__ = ["in_range", "is_cancelled", "parent_of", "sequence_of", "single_event"]


@contextmanager
def in_range(reader: EventReader, name: str = "DTSTART") -> Iterator[None]:
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


def single_event(reader: EventReader) -> IcalEvent:
    """The event (one without RRULE or RDATE) as an :class:`IcalEvent`."""
    start = reader.start()
    return IcalEvent(
        uid=reader.uid,
        title=reader.title,
        span=reader.span(start, None),
        tz=_zone_of_single(reader, start[1]),
        all_day=not isinstance(start[0], datetime),
        series_uid=parent_of(reader),
        line=reader.src.begin,
        cancelled=is_cancelled(reader),
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


def parent_of(reader: EventReader) -> str | None:
    """The UID the first RELATED-TO of RELTYPE=PARENT (the default) names, if any.

    An event may have several RELATED-TO; a CHILD or SIBLING one names no series
    the event belongs to.
    """
    for related in listed(reader.comp.get("RELATED-TO")):
        params = getattr(related, "params", {})
        if str(params.get("RELTYPE", "PARENT")).upper() == "PARENT":
            return str(related)
    return None


def is_cancelled(reader: EventReader) -> bool:
    """Whether the event says ``STATUS:CANCELLED``."""
    return str(reader.one("STATUS") or "").strip().upper() == "CANCELLED"


def sequence_of(reader: EventReader) -> int:
    """The SEQUENCE of an event (0 when absent or unreadable), to order its revisions."""
    sequence = reader.one("SEQUENCE")  # refused more than once, as any one-value property
    try:
        return int(str(sequence or 0))
    except ValueError:
        return 0
