"""What may stand in an iCalendar TEXT value: no control characters but HTAB (RFC 5545 3.3.11)."""

from __future__ import annotations

import re

import attrs
import icalendar

from sessionkit.contrib.ical._values import IcalCalendar, IcalEvent, IcalSeries

__all__ = ["scrub", "uids_without_controls", "without_controls"]

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""RFC 5545's CONTROL but HTAB, LF and CR: LF and CR in a value are written escaped (``\\n``)."""


def scrub(cal: icalendar.Calendar) -> None:
    """Take the control characters out of every TEXT value of ``cal``, in place, before folding.

    RFC 5545 TEXT (3.3.11) holds no CTL but HTAB, and a file with one is
    invalid: readers refuse it, or cut the value there. A session's title
    may have one (a NUL aside), pasted from elsewhere; written calendars
    leave them out of every value (SUMMARY, UID, RELATED-TO, X-WR-CALNAME), so
    one odd title does not spoil a whole feed. Taken out before icalendar
    folds the lines, so what is left is folded as a title without them is.
    """
    for component in cal.walk():
        for name, value in list(component.items()):
            values = value if isinstance(value, list) else [value]
            if not any(isinstance(v, icalendar.vText) and _CONTROL.search(v) for v in values):
                continue
            cleaned = [_cleaned(v) if isinstance(v, icalendar.vText) else v for v in values]
            component[name] = cleaned if isinstance(value, list) else cleaned[0]


def _cleaned(value: icalendar.vText) -> icalendar.vText:
    text = icalendar.vText(_CONTROL.sub("", value))
    text.params = value.params
    return text


def without_controls(text: str) -> str:
    """``text`` as :func:`scrub` writes it: without its control characters (but HTAB, LF, CR)."""
    return _CONTROL.sub("", text)


def uids_without_controls(calendar: IcalCalendar) -> IcalCalendar:
    """Return ``calendar`` with its UIDs (and RELATED-TO's) as :func:`scrub` writes them.

    Before the UIDs are made unique: ``a`` and ``a`` with a control character
    after it would be two events of one UID, which readers take for one. So
    the series' UIDs are made unique here (``<uid>/<n>``, as the writer makes a
    single event's), a RELATED-TO naming the series' new one. A UID left empty
    (made only of control characters) is named as the reader names an event
    without one: ``line-N`` (its VEVENT's line), else ``series-N`` or
    ``event-N`` (its place in the calendar); an empty UID is invalid.
    """
    taken: set[str] = set()
    renamed: dict[str, str] = {}
    series: list[IcalSeries] = []
    for n, s in enumerate(calendar.series, start=1):
        base = _named(s.uid, s.line, f"series-{n}")
        uid, k = base, 1
        while uid in taken:
            k += 1
            uid = f"{base}/{k}"
        taken.add(uid)
        renamed.setdefault(s.uid, uid)
        series.append(s if uid == s.uid else attrs.evolve(s, uid=uid))
    events: list[IcalEvent] = []
    for n, e in enumerate(calendar.events, start=1):
        uid = _named(e.uid, e.line, f"event-{n}")
        related = e.series_uid
        if related is not None:
            related = renamed.get(related, without_controls(related)) or None
        changed = (uid, related) != (e.uid, e.series_uid)
        events.append(attrs.evolve(e, uid=uid, series_uid=related) if changed else e)
    if tuple(series) == calendar.series and tuple(events) == calendar.events:
        return calendar
    return attrs.evolve(calendar, series=tuple(series), events=tuple(events))


def _named(uid: str, line: int | None, place: str) -> str:
    """``uid`` without control characters; if nothing is left, the name the reader gives."""
    return without_controls(uid) or (f"line-{line}" if line is not None else place)
