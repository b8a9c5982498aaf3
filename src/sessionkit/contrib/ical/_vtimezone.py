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
from datetime import UTC, date, datetime, time, timedelta, tzinfo

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
    "WallRules",
    "first_onset",
    "impossible_rule",
    "last_onset",
    "refuse_duplicates",
]

RULE_EXPECTED = "STANDARD and DAYLIGHT RRULEs that some date matches (BYMONTH 1..12, ...)"
"""The ``expected`` of the error for a VTIMEZONE with an RRULE that can never happen."""

_PARTS = ("STANDARD", "DAYLIGHT")
_LAST = datetime(9999, 1, 1, tzinfo=UTC)


class WallRules(tzinfo):
    """A VTIMEZONE's rules as icalendar reads them, an instant read as the wall time of its offset.

    icalendar's reader (dateutil) gives the right offset of each wall time, but
    converts an instant by the standard library's algorithm, which takes a
    DAYLIGHT's TZOFFSETTO less its TZOFFSETFROM for the saving over standard time.
    A negative one (Dublin's winter GMT under its summer IST, Windhoek's WAT
    1994-2017, as the zone database has them since 2018 and Google and
    icalendar write them) put the instants in the hour before each change in
    the wrong offset. Here an instant is the wall time that the VTIMEZONE
    reads at the offset it was read with: the earlier of two (a fold's first),
    the smaller offset beside a gap (whose wall times dateutil reads after it).
    Before its first onset, the offset is that onset's TZOFFSETFROM, the one
    "in use prior" (RFC 5545 3.8.3.3), named by an observance that has it:
    dateutil takes its first STANDARD, which for Dublin's 2026 pair (IST from
    March) is IST in January, and for Santiago's (from April) is winter's -04.
    """

    def __init__(self, read: tzinfo, vtz: icalendar.Timezone) -> None:
        self.read = read
        parts = [p for p in vtz.subcomponents if p.name in _PARTS]
        starts = [(start, p) for p in parts if (start := _start(p, shifted=False)) is not None]
        self._opens: tuple[datetime, timedelta, timedelta, str | None] | None = None
        start, first = min(starts, key=lambda found: found[0], default=(None, None))
        before, after = _utc_offset(first, "TZOFFSETFROM"), _utc_offset(first, "TZOFFSETTO")
        if start is not None and before is not None and after is not None:
            named = (p for p in parts if _utc_offset(p, "TZOFFSETTO") == before and "TZNAME" in p)
            name = next((str(p["TZNAME"]) for p in named), None)
            self._opens = (start, before, after - before, name)

    def _before_opening(self, dt: datetime | None) -> bool:
        """Whether the wall time ``dt`` is before the first onset (read as dateutil, by fold)."""
        if dt is None or self._opens is None:
            return False
        start, _, change, _ = self._opens
        wall = dt.replace(tzinfo=None)
        return (wall - change if change < timedelta() and dt.fold else wall) < start

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        if self._opens is not None and self._before_opening(dt):
            return self._opens[1]
        return self.read.utcoffset(dt)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self.read.dst(dt)

    def tzname(self, dt: datetime | None) -> str | None:
        if self._opens is not None and self._before_opening(dt):
            return self._opens[3]
        return self.read.tzname(dt)

    def fromutc(self, dt: datetime) -> datetime:
        if dt.tzinfo is not self:
            raise ValueError("fromutc: dt.tzinfo is not self")
        utc = dt.replace(tzinfo=None)
        for steps in (_DAY_STEPS, _HOUR_STEPS):  # offsets kept a day or more, then any
            walls = (_shifted(utc, step) for step in steps)
            # Its own offsets, not dateutil's: before the first onset that onset's TZOFFSETFROM.
            offsets = {self.utcoffset(wall) for wall in walls if wall is not None}
            for offset in sorted(o for o in offsets if o is not None):
                wall = _shifted(utc, offset)
                for fold in (0, 1):
                    if wall is not None and self.utcoffset(wall.replace(fold=fold)) == offset:
                        return wall.replace(tzinfo=self, fold=fold)
        raise ValueError(f"no wall time of the VTIMEZONE has the offset it reads at {utc} UTC")


_DAY_STEPS = (timedelta(days=-1), timedelta(), timedelta(days=1))
_HOUR_STEPS = tuple(timedelta(hours=h) for h in range(-26, 27))


def _utc_offset(part: icalendar.Component | None, name: str) -> timedelta | None:
    """A part's TZOFFSETFROM or TZOFFSETTO (``None``: none icalendar reads)."""
    found = getattr(None if part is None else part.get(name), "td", None)
    return found if isinstance(found, timedelta) else None


def _shifted(instant: datetime, step: timedelta) -> datetime | None:
    """``instant + step``, or ``None`` past year 1 or 9999."""
    try:
        return instant + step
    except OverflowError:
        return None


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


def _start(part: icalendar.Component, *, shifted: bool = True) -> datetime | None:
    """A part's DTSTART, naive, in the years 2000-2399 (``None``: one icalendar cannot read).

    ``shifted=False``: in its own year.
    """
    found = listed(part.get("DTSTART"))
    value = getattr(found[0], "dt", None) if found else None
    if isinstance(value, datetime):
        value = value.replace(tzinfo=None)
    elif isinstance(value, date):
        value = datetime.combine(value, time())
    else:  # pragma: no cover - icalendar's rules need a DTSTART it reads
        return None
    return value.replace(year=2000 + value.year % 400) if shifted else value


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
