"""What icalendar leaves unchecked in a calendar's VTIMEZONEs: one per TZID, rules that happen.

icalendar (dateutil underneath) accepts a STANDARD or DAYLIGHT RRULE such as
``BYMONTH=13`` and fails (a bare ``ValueError``) only when it converts a date by
it; one that no date matches (``BYMONTHDAY=32``, ``BYMONTH=10;BYDAY=9SU``) leaves
the zone without that change of offset. Nor does it mind two VTIMEZONEs of one
TZID: it keeps the last, and the first is never read. And when a VTIMEZONE's
rules end (:func:`last_onset`), its last offset holds for ever after, which a
zone matched to it need not share past that change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import attrs
import icalendar

from sessionkit.contrib.ical._errors import CalendarSyntaxError
from sessionkit.contrib.ical._source import SourceZone, listed
from sessionkit.errors import InvalidValue, LimitExceeded
from sessionkit.errors._base import shown
from sessionkit.recurrence import Recurrence, parse_rule

__all__ = [
    "RULE_EXPECTED",
    "ImpossibleRule",
    "first_onset",
    "impossible_rule",
    "last_onset",
    "refuse_duplicates",
]

RULE_EXPECTED = "STANDARD and DAYLIGHT RRULEs that some date matches (BYMONTH 1..12, ...)"
"""The ``expected`` of the error for a VTIMEZONE with an RRULE that can never happen."""

_PARTS = ("STANDARD", "DAYLIGHT")
_LAST = datetime(9999, 1, 1, tzinfo=UTC)


def refuse_duplicates(zones: Sequence[SourceZone]) -> None:
    """Refuse a second VTIMEZONE of a TZID (RFC 5545 3.8.3.1), naming its TZID line.

    icalendar keeps the last of them, so the first was never read: it could
    be broken, or say other offsets, and pass.
    """
    first: dict[str, SourceZone] = {}
    for zone in zones:
        seen = first.setdefault(zone.tzid, zone)
        if seen is not zone:
            raise CalendarSyntaxError(
                f"a second VTIMEZONE of TZID {shown(zone.tzid)} (the first is on line"
                f" {seen.line}); a TZID names one VTIMEZONE in a calendar",
                line=zone.line,
                text=zone.text,
                expected="one VTIMEZONE per TZID (RFC 5545 section 3.8.3.1)",
            )


@attrs.frozen
class ImpossibleRule:
    """Why an RRULE of a VTIMEZONE can never happen: ``why``, and the core's error, if any."""

    why: str
    cause: InvalidValue | None = None


def impossible_rule(vtz: icalendar.Timezone, source: SourceZone | None) -> ImpossibleRule | None:
    """The first STANDARD or DAYLIGHT RRULE of ``vtz`` that no date matches, else ``None``.

    Each is read as sessionkit reads an event's RRULE (parts in range, each
    once), then asked for one onset after the part's DTSTART, its COUNT and
    UNTIL left out: a rule that has ended is history, one that never begins
    is a mistake. The DTSTART is moved by whole 400-year cycles, which keep
    every weekday and leap day, into 2000-2399: Outlook's 1601 and a year 1 or
    9999 ask the same question. ``source`` gives the rules' lines (else
    icalendar's text).
    """
    lines = source.rules if source is not None else ()
    index = 0
    for part in vtz.subcomponents:
        if part.name not in _PARTS:
            continue
        start = _start(part)
        for rule in listed(part.get("RRULE")):
            line, raw = lines[index] if index < len(lines) else (None, "")
            index += 1
            if start is None:  # pragma: no cover - see _start
                continue
            text = raw.partition(":")[2] if raw else rule.to_ical().decode()
            where = f"its {part.name} RRULE" + (f" on line {line}" if line else "")
            where += f", {shown(text)},"
            try:
                parsed = parse_rule(text)
                probe = Recurrence.from_rrule(
                    attrs.evolve(parsed, count=None, until=None),
                    start=start,
                    tz="UTC",
                    duration=timedelta(seconds=1),
                )
                onset = next(iter(probe.between(start.replace(tzinfo=UTC), _LAST)), None)
            except InvalidValue as exc:
                return ImpossibleRule(f"{where} can never happen: {exc}", exc)
            except LimitExceeded:  # a fine rule far from its first date: it may well happen
                continue
            if onset is None:
                return ImpossibleRule(f"{where} can never happen: no date matches it")
    return None


def _start(part: icalendar.Component) -> datetime | None:
    """A part's DTSTART, naive, in the years 2000-2399 (``None``: one icalendar cannot read)."""
    found = listed(part.get("DTSTART"))
    value = getattr(found[0], "dt", None) if found else None
    if isinstance(value, datetime):
        value = value.replace(tzinfo=None)
    elif isinstance(value, date):
        value = datetime.combine(value, time())
    else:  # pragma: no cover - icalendar's rules need a DTSTART it reads
        return None
    return value.replace(year=2000 + value.year % 400)


def last_onset(vtz: icalendar.Timezone) -> datetime | None:
    """The UTC instant of ``vtz``'s last change of offset; ``None`` if its rules never end.

    ``None`` too for a zone that never changes its offset (``TZOFFSETFROM`` is
    ``TZOFFSETTO`` in every part): a fixed ``+0300`` from 1601 holds today.

    RFC 5545 3.6.5 asks a VTIMEZONE to be valid for the values (and recurrence
    instances) that use it, not for ever: writers give one STANDARD/DAYLIGHT
    pair of the events' year, or a history cut short, with no RRULE going on.
    """
    parts = [part for part in vtz.subcomponents if part.name in _PARTS]
    if all(part.get("TZOFFSETFROM") == part.get("TZOFFSETTO") for part in parts):
        return None
    for part in parts:
        if any(
            rule.get("UNTIL") is None and rule.get("COUNT") is None
            for rule in listed(part.get("RRULE"))
        ):
            return None
    try:
        onsets = vtz.get_transitions()[0]
    except (ValueError, TypeError, OverflowError):  # pragma: no cover - to_tz read it first
        return None
    return max(onsets).replace(tzinfo=UTC) if onsets else None


def first_onset(vtz: icalendar.Timezone) -> datetime | None:
    """The UTC instant of ``vtz``'s first onset (``None``: icalendar finds none).

    For a VTIMEZONE whose rules end (:func:`last_onset`): icalendar lists every onset.
    """
    try:
        onsets = vtz.get_transitions()[0]
    except (ValueError, TypeError, OverflowError):  # pragma: no cover - to_tz read it first
        return None
    return min(onsets).replace(tzinfo=UTC) if onsets else None
