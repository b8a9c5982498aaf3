"""What may stand in an iCalendar TEXT value: no control characters but HTAB (RFC 5545 3.3.11)."""

from __future__ import annotations

import re

import attrs
import icalendar

from sessionkit.contrib.ical._values import IcalCalendar

__all__ = ["scrub", "uids_without_controls"]

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


def uids_without_controls(calendar: IcalCalendar) -> IcalCalendar:
    """Return ``calendar`` with its UIDs (and RELATED-TO's) as :func:`scrub` writes them.

    Before the UIDs are made unique: ``a`` and ``a`` with a control character
    after it would be two events of one UID, which readers take for one.
    """
    if not any(
        _CONTROL.search(uid)
        for uid in (
            *(s.uid for s in calendar.series),
            *(e.uid for e in calendar.events),
            *(e.series_uid for e in calendar.events if e.series_uid is not None),
        )
    ):
        return calendar
    return attrs.evolve(
        calendar,
        series=tuple(attrs.evolve(s, uid=_CONTROL.sub("", s.uid)) for s in calendar.series),
        events=tuple(
            attrs.evolve(
                e,
                uid=_CONTROL.sub("", e.uid),
                series_uid=None if e.series_uid is None else _CONTROL.sub("", e.series_uid),
            )
            for e in calendar.events
        ),
    )
