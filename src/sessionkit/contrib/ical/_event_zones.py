"""The IANA zone a calendar's TZID stands for, and the rules of one it defines itself.

A TZID that names an IANA or Windows zone (or embeds one, as Outlook's and others' do), the
rules of a VTIMEZONE that names none, matched to an IANA zone where they agree, and the
errors for a zone that cannot be read; :class:`Zones` holds them for one calendar.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache

import icalendar
from icalendar.timezone.tzid import tzids_from_tzinfo
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from sessionkit.contrib.ical._errors import (
    CalendarSyntaxError,
    UnknownCalendarZone,
)
from sessionkit.contrib.ical._source import SourceZone
from sessionkit.contrib.ical._vtimezone import RULE_EXPECTED, impossible_rule, last_onset
from sessionkit.errors import UnknownTimeZone
from sessionkit.errors._base import shown
from sessionkit.zones import get_zone, wall_time_kind

__all__ = [
    "Zones",
    "broken_zone",
    "iana_key",
    "named_zone",
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


_RENAMED = frozenset(
    {
        "Africa/Asmera",
        "America/Godthab",
        "America/Porto_Acre",
        "Asia/Ashkhabad",
        "Asia/Calcutta",
        "Asia/Chungking",
        "Asia/Dacca",
        "Asia/Katmandu",
        "Asia/Macao",
        "Asia/Rangoon",
        "Asia/Saigon",
        "Asia/Thimbu",
        "Asia/Ujung_Pandang",
        "Asia/Ulan_Bator",
        "Atlantic/Faeroe",
        "Europe/Kiev",
        "Pacific/Enderbury",
    }
)
"""Old spellings the tz database keeps as links (its ``backward`` file): by name, some come
first (``Asia/Rangoon`` before ``Asia/Yangon``, ``America/Godthab`` before ``America/Nuuk``)."""


def _legacy(name: str) -> bool:
    """Whether ``name`` is an alias kept for old software (``US/Eastern``, ``EST5EDT``)."""
    area, tail = name.split("/", 1)[0], name.rsplit("/", 1)[-1]
    # Australia/LHI, ACT and NSW: the old names of Lord_Howe and Sydney.
    return (
        "/" not in name
        or name in _RENAMED
        or (area == "Australia" and tail.isupper())
        or area
        in {
            "US",
            "Etc",
            "SystemV",
            "Brazil",
            "Canada",
            "Mexico",
            "Chile",
        }
    )


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

_QUARTER = timedelta(minutes=15)
"""The step of the wall times compared around a change of offset."""


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
    ``Europe/Berlin``, not ``Africa/Ceuta``; a zone that also reads the wall
    times around each change as ``custom`` does (:func:`_around_changes`)
    before one that agrees at noon only. ``end``: no day after the day after
    it is compared (``near``'s always is).
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
        # Up to the day after the last change: its offset holds from then on (one that ends
        # on the day of the change, after noon, was never compared: Lord Howe's +10:30).
        samples = [first, *(s for s in samples[1:] if s - timedelta(days=1) <= end)]
    try:
        wanted = [s.astimezone(custom).utcoffset() for s in samples]
    except ValueError:
        # dateutil cannot convert by a DAYLIGHT offset a day or more from the standard one
        # (Apia's jump over the date line in 2011, to +1400 from -1100); no zone is told by it.
        return None
    # The first zone that reads each wall time around a change as the VTIMEZONE does
    # (_around_changes) and agrees at every other noon wins: Havana's rules are Havana's, not
    # New York's, which changes two hours later on the same days. The noons next to a change
    # are compared as wall times only: a DAYLIGHT onset icalendar writes an hour late puts
    # Adak's (12:00 UTC) after the noon of its day. Where no zone does (Outlook writes Chile's
    # changes at 02:00, Santiago's are at midnight), the first that agrees at every noon.
    changes = [i for i in range(len(wanted) - 1) if wanted[i] != wanted[i + 1]]
    spans = [(samples[max(i - 1, 0)], samples[i + 1]) for i in changes]
    near_change = {j for i in changes for j in (i, i + 1)}
    # The VTIMEZONE's reading of a wall time, once: dateutil walks its RRULEs from DTSTART
    # (Outlook's 1601) for each, and the zones tried share most wall times (some 30 keep the
    # US rules).
    read = cache(lambda wall: wall.replace(tzinfo=custom).utcoffset())
    loose: str | None = None
    for name in (*(h for h in hints if h), *_PREFERRED, *_by_name()):
        zone = zoneinfo.ZoneInfo(name)
        # Most zones differ at the first noon or so: stop at the first steady one that does,
        # rather than convert all 731 for each of some 600 zones.
        steady = all(
            samples[i].astimezone(zone).utcoffset() == wanted[i]
            for i in range(len(samples))
            if i not in near_change
        )
        if not steady:
            continue
        if _around_changes(read, zone, spans):
            return name
        if loose is None and all(
            samples[i].astimezone(zone).utcoffset() == wanted[i] for i in near_change
        ):
            loose = name
    return loose


@cache
def _by_name() -> tuple[str, ...]:
    """Every zone sessionkit takes (not ``localtime``) by name, the old aliases last."""
    found = (n for n in zoneinfo.available_timezones() if iana_key(n))
    return tuple(sorted(found, key=lambda n: (_legacy(n), n)))


def _around_changes(
    read: Callable[[datetime], timedelta | None],
    zone: zoneinfo.ZoneInfo,
    spans: Sequence[tuple[datetime, datetime]],
) -> bool:
    """Whether ``read`` gives ``zone``'s offset for each of ``zone``'s wall times in ``spans``.

    ``read``: a VTIMEZONE's offset of a naive wall time. Every quarter hour
    (zones change on whole quarter hours): a zone that
    changes on the same day at another hour (New York two hours after Havana)
    gives other instants between. Compared as wall times, which is how a
    calendar's values are read, and only where ``zone`` has one reading of
    them: writers put an onset at the wall time before the change (RFC 5545)
    or after it (icalendar's DAYLIGHT, an hour late in UTC; Outlook's
    STANDARD, an hour early), which differ only in the gap or fold.
    """
    for lo, hi in spans:
        instant = lo
        while instant <= hi:
            local = instant.astimezone(zone)
            wall = local.replace(tzinfo=None)
            if wall_time_kind(wall, zone) == "normal":
                try:
                    theirs = read(wall)
                except ValueError:  # see _matching_zone
                    return False
                if theirs != local.utcoffset():
                    return False
            instant += _QUARTER
    return True
