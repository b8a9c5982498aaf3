"""Which IANA zone a VTIMEZONE's own rules are: offsets compared each day and around changes.

A VTIMEZONE under a TZID that names no zone gives only offsets; :func:`matching_zone`
finds the IANA zone with them (the common names first, the old aliases last).
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from importlib.resources import files

import attrs
from icalendar.timezone.tzid import tzids_from_tzinfo

from sessionkit.errors import UnknownTimeZone
from sessionkit.zones import get_zone, wall_time_kind

__all__ = ["Match", "iana_key", "instant_offset", "match", "matching_zone"]


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
    "Europe/Lisbon",  # WET/WEST: not Atlantic/Canary, Faroe or Madeira, first by name
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


def matching_zone(
    custom: tzinfo,
    near: datetime,
    hints: Sequence[str | None] = (),
    end: datetime | None = None,
) -> str | None:
    """Return the key of :func:`match`'s zone, else ``None``."""
    found = match(custom, near, hints, end)
    return None if found is None else found.key


@attrs.frozen
class Match:
    """The IANA zone a VTIMEZONE's rules are, and whether it reads them exactly."""

    key: str
    exact: bool
    """Whether it reads each wall time around each change as the VTIMEZONE does."""


def match(
    custom: tzinfo,
    near: datetime,
    hints: Sequence[str | None] = (),
    end: datetime | None = None,
    among: Sequence[str] | None = None,
) -> Match | None:
    """Return an IANA zone with ``custom``'s offsets from ``near`` on (two years, every day).

    Tried in order: the zones ``hints`` name (the VTIMEZONE's ``X-LIC-LOCATION``,
    the calendar's ``X-WR-TIMEZONE``), common zones, then every other zone by
    name with the old aliases last, so Berlin's rules come back as
    ``Europe/Berlin``, not ``Africa/Ceuta``; a zone that also reads the wall
    times around each change as ``custom`` does (:func:`_around_changes`)
    before one that agrees at noon only, and of those, one whose abbreviations
    are ``custom``'s TZNAMEs before one whose are not; of the exact ones with
    them, one that changes at ``custom``'s instants (:func:`_same_instants`)
    first. ``end``: no day after
    the day after it is compared (``near``'s always is). ``among``: only these
    zones are tried.
    """
    names = [n for n in tzids_from_tzinfo(custom) if iana_key(n)]
    if names and among is None:
        return Match(names[0], exact=True)
    # Every day at noon UTC: zones that change on other days (Jerusalem on a Friday, Helsinki
    # on the Sunday after) differ on one of them. From the event's day, not 1 January: a
    # VTIMEZONE may begin with the event (sessionkit's own, icalendar's from_tzinfo), and
    # before its first onset it keeps that onset's TZOFFSETFROM (WallRules), maybe no zone's.
    first = datetime.combine(min(near.date(), date(9997, 12, 31)), time(12), tzinfo=UTC)
    samples = [first + timedelta(days=n) for n in range(731)]
    if end is not None:
        # Up to the day after the last change: its offset holds from then on (one that ends
        # on the day of the change, after noon, was never compared: Lord Howe's +10:30).
        samples = [first, *(s for s in samples[1:] if s - timedelta(days=1) <= end)]
    wanted: list[timedelta | None] = [instant_offset(custom, s) for s in samples]
    # The first zone that reads each wall time around a change as the VTIMEZONE does
    # (_around_changes) and agrees at every other noon wins: Havana's rules are Havana's, not
    # New York's, which changes two hours later on the same days. The noons next to a change
    # are compared as wall times only: a DAYLIGHT onset icalendar writes an hour late puts
    # Adak's (12:00 UTC) after the noon of its day. Where no zone does (Outlook writes Chile's
    # changes at 02:00, Santiago's are at midnight), the first that agrees at every noon. Of
    # either kind, one whose abbreviations are the VTIMEZONE's TZNAMEs (if it gives any) first.
    changes = [i for i in range(len(wanted) - 1) if wanted[i] != wanted[i + 1]]
    spans = [(samples[max(i - 1, 0)], samples[i + 1]) for i in changes]
    near_change = {j for i in changes for j in (i, i + 1)}
    # The VTIMEZONE's reading of a wall time, once: dateutil walks its RRULEs from DTSTART
    # (Outlook's 1601) for each, and the zones tried share most wall times (some 30 keep the
    # US rules).
    read = cache(lambda wall: wall.replace(tzinfo=custom).utcoffset())
    at = cache(lambda instant: instant_offset(custom, instant))
    told = _told_names(custom, samples, changes, near_change)
    first_of: dict[tuple[bool, bool], str] = {}  # (exact, named): the first such zone
    for name in (
        among if among is not None else (*(h for h in hints if h), *_PREFERRED, *_by_name())
    ):
        zone = zoneinfo.ZoneInfo(name)
        # Dublin's offsets are London's at every instant: its GMT/IST tell them from GMT/BST.
        named = all(samples[i].astimezone(zone).tzname() == n for i, n in told.items())
        if not named and ((True, False) in first_of or (True, True) in first_of):
            # Only an exact zone with the VTIMEZONE's names could still come first: without
            # them (Outlook's German MEZ/MESZ, no zone's), not some 30 zones of Berlin's rules
            # compared around each change, then passed over.
            continue
        # Most zones differ at the first noon or so: stop at the first steady one that does,
        # rather than convert all 731 for each of some 600 zones.
        steady = all(
            samples[i].astimezone(zone).utcoffset() == wanted[i]
            for i in range(len(samples))
            if i not in near_change
        )
        if not steady:
            continue
        if (True, True) in first_of:
            # An exact zone reads the wall times in its own fold or gap as it will: one that
            # changes an hour away from the VTIMEZONE is exact too (Amman an hour after
            # Damascus, first by name), and read a value at that hour an hour off. Past the
            # first, only one that changes at the VTIMEZONE's instants can still win.
            if named and _same_instants(at, zone, spans):
                return Match(name, exact=True)
            continue
        exact = _around_changes(read, zone, spans) and _beyond_ends(read, at, zone, spans)
        if not exact and any(
            samples[i].astimezone(zone).utcoffset() != wanted[i] for i in near_change
        ):
            continue
        if exact and named and _same_instants(at, zone, spans):
            return Match(name, exact=True)
        first_of.setdefault((exact, named), name)
    for exact, named in ((True, True), (True, False), (False, True), (False, False)):
        if (exact, named) in first_of:
            return Match(first_of[exact, named], exact=exact)
    return None


def _told_names(
    custom: tzinfo, samples: Sequence[datetime], changes: Sequence[int], near_change: set[int]
) -> dict[int, str]:
    """``custom``'s TZNAME at one noon of each of its offsets' spells, where it names a place.

    Not one that names its offset only (``+03``, ``GMT``): many zones share
    those, and the order of :data:`_PREFERRED` already picks among them (``UTC``
    for ``+0000``, not ``Africa/Abidjan``, whose abbreviation is ``GMT``).
    """
    spells = sorted({0, *(i + 2 for i in changes)} - near_change)
    told = {i: _tzname(custom, samples[i]) for i in spells if i < len(samples)}
    return {i: name for i, name in told.items() if name and not _offset_only(name)}


def instant_offset(custom: tzinfo, instant: datetime) -> timedelta | None:
    """``custom``'s UTC offset at an aware ``instant``, where dateutil cannot convert it too.

    dateutil's ``astimezone`` refuses a DAYLIGHT offset a day or more from
    the one before it (Apia's jump over the date line in 2011, ``-1000`` to
    ``+1400``: a "DST" of 24 hours). Then the offset is one whose wall time
    ``custom`` reads at it, either fold; where two are (just before a jump
    forward, the later offset's wall time is in the gap, which dateutil reads
    after it), the smaller, the one before the jump.
    """
    try:
        return instant.astimezone(custom).utcoffset()
    except ValueError:
        utc = instant.astimezone(UTC).replace(tzinfo=None)
        offsets = {custom.utcoffset(utc + timedelta(hours=h)) for h in range(-12, 15)}
        fits = [
            o
            for o in offsets
            if o is not None and o in {custom.utcoffset((utc + o).replace(fold=f)) for f in (0, 1)}
        ]
        return min(fits, default=None)


def _tzname(custom: tzinfo, instant: datetime) -> str | None:
    """``custom``'s abbreviation at an aware ``instant`` (see :func:`instant_offset`)."""
    try:
        return instant.astimezone(custom).tzname()
    except ValueError:
        offset = instant_offset(custom, instant)
    utc = instant.astimezone(UTC).replace(tzinfo=None)
    return None if offset is None else custom.tzname(utc + offset)


def _offset_only(name: str) -> bool:
    """Whether an abbreviation says an offset, not a place (``+03``, ``-0430``, ``GMT``)."""
    return name[0] in "+-" or name.upper() in {"UTC", "GMT", "UT", "Z"}


@cache
def _by_name() -> tuple[str, ...]:
    """Every zone sessionkit takes (not ``localtime``), the old aliases last.

    Of the others, the zones the tz database links other names to come first, the
    most linked first, and the links last: tzdb merges zones that agree since 1970
    into one, the others' names becoming links to it (``backward``), so CAT is
    ``Africa/Maputo``, not ``Africa/Blantyre`` or ``Africa/Juba``, first by name.
    Then by name.
    """
    found = (n for n in zoneinfo.available_timezones() if iana_key(n))
    links = _links()
    linked = Counter(links.values())
    return tuple(sorted(found, key=lambda n: (_legacy(n), n in links, -linked[n], n)))


def _links() -> dict[str, str]:
    """The tz database's links, name to target, as the tzdata package lists them (else none)."""
    try:
        text = files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError):  # pragma: no cover - a dependency of sessionkit
        return {}
    rows = (line.split() for line in text.splitlines() if line.startswith("L "))
    return {row[2]: row[1] for row in rows if len(row) == 3}


def _same_instants(
    at: Callable[[datetime], timedelta | None],
    zone: zoneinfo.ZoneInfo,
    spans: Sequence[tuple[datetime, datetime]],
) -> bool:
    """Whether ``zone`` changes at the instants ``at`` (a VTIMEZONE's offsets) does in ``spans``.

    ``at`` at the ends of each span and beside each of ``zone``'s changes
    (a quarter hour before and at it) only: dateutil walks Outlook's RRULEs
    from 1601 for each, and a VTIMEZONE's change at another instant, with the
    same offsets either side, differs on one of them.
    """
    for lo, hi in spans:
        before, instant = lo.astimezone(zone).utcoffset(), lo
        if at(lo) != before or at(hi) != hi.astimezone(zone).utcoffset():
            return False
        while instant < hi:
            instant += _QUARTER
            offset = instant.astimezone(zone).utcoffset()
            if offset != before and (at(instant - _QUARTER), at(instant)) != (before, offset):
                return False
            before = offset
    return True


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
                except ValueError:  # see matching_zone
                    return False
                if theirs != local.utcoffset():
                    return False
            instant += _QUARTER
    return True


def _beyond_ends(
    read: Callable[[datetime], timedelta | None],
    at: Callable[[datetime], timedelta | None],
    zone: zoneinfo.ZoneInfo,
    spans: Sequence[tuple[datetime, datetime]],
) -> bool:
    """Whether ``read`` gives ``zone``'s offset for the VTIMEZONE's own wall times in ``spans``.

    Those that are not also ``zone``'s: :func:`_around_changes` compares those.

    ``at``: the VTIMEZONE's offset of an instant. Its wall times at a span's
    ends are ``zone``'s but for a difference of offsets there, which the noons
    beside a change may have; most often none. A zone a day ahead
    (Kiritimati's +14) had no wall time in the day Apia's VTIMEZONE kept at
    -10 before it skipped one, and so read none of it otherwise.
    """
    for lo, hi in spans:
        offsets = (lo.astimezone(zone).utcoffset(), hi.astimezone(zone).utcoffset(), at(lo), at(hi))
        if any(o is None for o in offsets):
            return False
        ours_lo, ours_hi, theirs_lo, theirs_hi = (o or timedelta() for o in offsets)
        first, last = (lo + ours_lo).replace(tzinfo=None), (hi + ours_hi).replace(tzinfo=None)
        wall = min(first, (lo + theirs_lo).replace(tzinfo=None))
        end = max(last, (hi + theirs_hi).replace(tzinfo=None))
        while wall <= end:
            outside = not first <= wall <= last
            if (
                outside
                and wall_time_kind(wall, zone) == "normal"
                and read(wall) != wall.replace(tzinfo=zone).utcoffset()
            ):
                return False
            wall += _QUARTER
    return True
