"""Reading an iCalendar file into plain values (:class:`IcalCalendar`), all or nothing.

The file's text and lines, its VTIMEZONEs and METHOD, and which VEVENTs are series,
overrides or single events; a series is read by ``_read_series``, what every VEVENT reads
alike by ``_read_parts``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import icalendar

from sessionkit.contrib.ical._errors import (
    CalendarError,
    CalendarSyntaxError,
    UnknownCalendarZone,
    UnsupportedCalendar,
)
from sessionkit.contrib.ical._event import EventReader
from sessionkit.contrib.ical._event_zones import Zones, broken_zone, iana_key, zone_rules
from sessionkit.contrib.ical._method import check_method
from sessionkit.contrib.ical._read_parts import in_range, sequence_of, single_event
from sessionkit.contrib.ical._read_series import read_series
from sessionkit.contrib.ical._source import SourceZone, scan, tzid_lines, vtimezones
from sessionkit.contrib.ical._values import IcalCalendar, IcalEvent, IcalSeries, check_candidates
from sessionkit.contrib.ical._vtimezone import refuse_duplicates
from sessionkit.errors import WrongType
from sessionkit.errors._base import shown
from sessionkit.recurrence import MAX_CANDIDATES
from sessionkit.zones import get_zone

__all__ = ["read_ical"]


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
        with in_range(reader):
            if reader.comp.get("RRULE") is None and reader.comp.get("RDATE") is None:
                # A single event: the highest SEQUENCE of it and its overrides wins; on a
                # tie an override wins, wherever it stands (of overrides, the later in the file).
                newest = (
                    max([*reversed(overrides), reader], key=sequence_of) if overrides else reader
                )
                events.append(single_event(newest))
            else:
                series.append(read_series(reader, overrides, budget, named))
    for orphans in changed.values():
        for orphan in orphans:
            with in_range(orphan):
                events.append(single_event(orphan))
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
