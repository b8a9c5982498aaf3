"""iCalendar (RFC 5545) export and import of series and sessions, behind the ``ical`` extra.

The only part of sessionkit that imports ``icalendar`` (an import-linter
contract checks it). :func:`read_ical` reads a calendar into plain values
(:class:`IcalCalendar`: recurring :class:`IcalSeries` with their
overrides (:class:`IcalOverride`), single events (:class:`IcalEvent`), which
:func:`write_ical` writes with their attendees, :class:`IcalAttendee`) that an application
stores through the services, or all at once with :func:`store_ical`.
:func:`write_ical` writes such values, :func:`export_series` a stored series
with its moved and extra sessions, :func:`sessions_feed` and
:func:`resource_feed` a feed of sessions. See ``docs/ical.md``.
"""

from __future__ import annotations

from sessionkit.contrib.ical._attendee import IcalAttendee
from sessionkit.contrib.ical._errors import (
    CalendarError,
    CalendarSyntaxError,
    MissingProperty,
    UnboundedRule,
    UnknownCalendarZone,
    UnsupportedCalendar,
    UnsupportedMethod,
)
from sessionkit.contrib.ical._export import calendar_of, export_series, sessions_feed
from sessionkit.contrib.ical._feed import resource_feed
from sessionkit.contrib.ical._read import read_ical
from sessionkit.contrib.ical._store import StoredCalendar, store_ical
from sessionkit.contrib.ical._values import (
    IcalCalendar,
    IcalEvent,
    IcalOccurrence,
    IcalOverride,
    IcalSeries,
)
from sessionkit.contrib.ical._write import write_ical

__all__ = [
    "CalendarError",
    "CalendarSyntaxError",
    "IcalAttendee",
    "IcalCalendar",
    "IcalEvent",
    "IcalOccurrence",
    "IcalOverride",
    "IcalSeries",
    "MissingProperty",
    "StoredCalendar",
    "UnboundedRule",
    "UnknownCalendarZone",
    "UnsupportedCalendar",
    "UnsupportedMethod",
    "calendar_of",
    "export_series",
    "read_ical",
    "resource_feed",
    "sessions_feed",
    "store_ical",
    "write_ical",
]
