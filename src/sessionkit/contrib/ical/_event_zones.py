"""The IANA zone a calendar's TZID stands for, and the rules of one it defines itself.

A TZID that names an IANA or Windows zone (or embeds one, as Outlook's and others' do), the
rules of a VTIMEZONE that names none, matched to an IANA zone where they agree (``_zone_match``),
the instants it gives where that zone changes at other hours, and the errors for a zone that
cannot be read; :class:`Zones` holds them for one calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from sessionkit.contrib.ical._errors import (
    CalendarSyntaxError,
    UnknownCalendarZone,
)
from sessionkit.contrib.ical._source import SourceZone
from sessionkit.contrib.ical._vtimezone import (
    RULE_EXPECTED,
    WallRules,
    first_onset,
    impossible_rule,
    last_onset,
)
from sessionkit.contrib.ical._zone_match import (
    Match,
    iana_key,
    instant_offset,
    match,
    matching_zone,
)
from sessionkit.errors._base import shown
from sessionkit.zones import get_zone

__all__ = [
    "Zones",
    "broken_zone",
    "iana_key",
    "named_zone",
    "vtimezone_instant",
    "zone_rules",
]


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
        self._loose: dict[tuple[str, str], bool] = {}  # (TZID, zone): matched near changes only
        self._ends: dict[str, datetime | None] = {}  # TZID: its VTIMEZONE's last_onset
        self._starts: dict[str, datetime | None] = {}  # TZID: its first_onset, if it ends
        self._agreed: dict[tuple[str, str], int] = {}  # (TZID, zone): values read alike

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

    def written(self, tzid: str) -> bool:
        """Whether ``tzid`` is read by a VTIMEZONE of the calendar (no IANA name)."""
        return tzid in self._rules

    def alike(self, tzid: str, key: str) -> bool:
        """Whether ``tzid``'s VTIMEZONE is known to read as ``key`` at its changes too.

        Then :meth:`exact` gives every value of ``tzid`` back as it is.
        """
        return self._loose.get((tzid, key)) is False

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
        end = self._end(tzid)
        first = self._first.get(tzid)
        if first is not None and end is not None and near.date() > end.date():
            return first
        if vtz is not None:
            hints = (*known, iana_key(str(vtz.get("X-LIC-LOCATION", ""))), self._hint)
            matched = self._past_changes(tzid, near, hints, end)
            if matched is None:
                matched = match(self._rules[tzid], near, hints)
            if matched is None and end is not None:
                matched = match(self._rules[tzid], near, hints, end)
            elif matched is not None and end is None:
                # Rules that go on are compared from the value's day, as exact() does: its
                # zone's answer is this one, which cost the VTIMEZONE's 731 noon offsets.
                self._loose.setdefault((tzid, matched.key), not matched.exact)
            found = None if matched is None else matched.key
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

    def exact(self, tzid: str, wall: datetime, key: str) -> datetime:
        """Return ``wall`` (of ``tzid``) as the wall time in ``key`` of the instant it names.

        ``wall`` itself, unless ``tzid``'s VTIMEZONE was matched to ``key`` (:meth:`key`)
        only near its changes, not at them: no zone changes at its hours (the US
        rules written at 03:00; Outlook's Chile at 02:00, Santiago at midnight),
        and the VTIMEZONE, which RFC 5545 makes the value's meaning, gives other
        instants there. Its instant then (:func:`vtimezone_instant`), as ``key``'s
        wall time (``fold=1``: the second of a repeated one). Past the last
        change of a VTIMEZONE whose rules end, a value is in ``key`` (:meth:`key`).
        """
        rules = self._rules.get(tzid)
        if rules is None:  # no VTIMEZONE of its own is read (an IANA name's)
            return wall
        end = self._end(tzid)
        if end is not None and wall.date() > end.date():
            return wall
        loose = self._loose.get((tzid, key))
        agreed = self._agreed.get((tzid, key), 0)
        if loose is None and agreed >= _ONE_BY_ONE:
            loose = self._loose[tzid, key] = self._near_miss(tzid, rules, wall, key, end)
        if loose is False:  # differences in a gap or fold only: the writer's convention
            return wall
        zone = get_zone(key)
        moment = vtimezone_instant(rules, wall)
        if moment is None or moment == wall.replace(tzinfo=zone).astimezone(UTC):
            # Alike here, whatever either does at the changes. Not matched to learn that (a
            # Windows name's zone is taken unmatched): 731 offsets by dateutil, 0.2 s.
            self._agreed[tzid, key] = agreed + 1
            return wall
        if loose is None:
            loose = self._loose[tzid, key] = self._near_miss(tzid, rules, wall, key, end)
        return moment.astimezone(zone).replace(tzinfo=None) if loose else wall

    def _end(self, tzid: str) -> datetime | None:
        """:func:`last_onset` of ``tzid``'s VTIMEZONE (``None``: none), worked out once.

        icalendar lists every onset for it: some 40 ms for Outlook's rules from
        1601 with an UNTIL, which each value paid.
        """
        if tzid not in self._ends:
            vtz = self._vtimezones.get(tzid)
            self._ends[tzid] = None if vtz is None else last_onset(vtz)
        return self._ends[tzid]

    def _near_miss(
        self, tzid: str, rules: tzinfo, wall: datetime, key: str, end: datetime | None
    ) -> bool:
        """Whether ``key`` reads ``tzid``'s VTIMEZONE other than exactly around its changes.

        Rules that go on are compared from ``wall``'s day for two years, which
        meets each yearly change, as :meth:`key` compares them. Rules that end are
        compared up to their last change, from at most two years before it and no
        earlier than the day before their first, whatever ``wall``'s date: from
        ``wall``'s own noon UTC, the change beside it (at night, before that noon)
        and all before it went unseen, and the answer is kept for the TZID's
        other values. Before its first onset a VTIMEZONE gives that onset's
        TZOFFSETFROM (:class:`WallRules`), maybe no zone's: no match is a near miss,
        whose values then take the VTIMEZONE's instants, the zone's but in its
        gaps and folds.
        """
        if end is None:
            found = match(rules, wall.replace(tzinfo=UTC), among=(key,))
        else:
            found = match(rules, self._own_days(tzid, wall, end), end=end, among=(key,))
        return found is None or not found.exact

    def _own_days(self, tzid: str, wall: datetime, end: datetime) -> datetime:
        """Whence rules that end are compared, up to ``end`` (their last change).

        From at most two years before it, no earlier than the day before their
        first (see :meth:`_near_miss`), and the day before ``wall`` if that is
        earlier still.
        """
        if tzid not in self._starts:
            self._starts[tzid] = first_onset(self._vtimezones[tzid])
        first = self._starts[tzid]
        start = min(wall.replace(tzinfo=UTC) - timedelta(days=1), end - _TWO_YEARS)
        return start if first is None else max(start, first - timedelta(days=1))

    def _past_changes(
        self, tzid: str, near: datetime, hints: Sequence[str | None], end: datetime | None
    ) -> Match | None:
        """The zone of a VTIMEZONE's own changes, for a value on or after the last of them.

        From that change on it keeps one offset, which any zone of that offset
        shares: compared from the value's day, New York's 2026 pair, read in
        December, was America/Bogota. ``None``: no such value, or no zone has its
        changes and agrees on the value's day.
        """
        if end is None or near.date() < end.date():
            return None
        rules = self._rules[tzid]
        found = match(rules, self._own_days(tzid, near, end), hints, end)
        return found if found is not None and _agrees(rules, found.key, near) else None


_ONE_BY_ONE = 64
"""Values :meth:`Zones.exact` reads by a VTIMEZONE (a few offsets each) before it matches
the zone once (some 700) to learn whether it may keep the rest as they are."""

_TWO_YEARS = timedelta(days=729)
"""Days before a VTIMEZONE's last change from which :meth:`Zones._near_miss` compares."""


def vtimezone_instant(rules: tzinfo, wall: datetime) -> datetime | None:
    """The UTC instant of ``wall`` by a VTIMEZONE's ``rules``, as sessionkit reads any zone's.

    RFC 5545 3.3.5: a repeated wall time is its first occurrence, a skipped
    one is read at the offset before the gap (dateutil's reading, and its
    ``fold=1``, give the one after). ``None``: one dateutil cannot convert.
    """
    try:
        read = {_offset(wall.replace(tzinfo=rules, fold=fold)) for fold in (0, 1)}
        # Beside each reading, the offset on the other side of a change (a gap's before).
        offsets = read | {_offset((wall - o).replace(tzinfo=UTC).astimezone(rules)) for o in read}
        moments = sorted((wall - o).replace(tzinfo=UTC) for o in offsets)
        real = [m for m in moments if m.astimezone(rules).replace(tzinfo=None) == wall]
        # Skipped: the offset before the gap is the smaller, as clocks jump forward over it.
        return real[0] if real else (wall - min(offsets)).replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # see matching_zone; the years' ends
        return None


def _offset(local: datetime) -> timedelta:
    """The UTC offset of an aware ``local`` (a VTIMEZONE's rules always give one)."""
    found = local.utcoffset()
    assert found is not None
    return found


def _agrees(custom: tzinfo, zone: str, near: datetime) -> bool:
    """Whether ``custom`` and ``zone`` give one offset on ``near``'s day (at noon UTC)."""
    sample = datetime.combine(min(near.date(), date(9998, 12, 31)), time(12), tzinfo=UTC)
    return instant_offset(custom, sample) == sample.astimezone(get_zone(zone)).utcoffset()


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
    return WallRules(rules, vtz)


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


_matching_zone = matching_zone  # the name tests/unit/test_ical_zone_match_*.py read here
