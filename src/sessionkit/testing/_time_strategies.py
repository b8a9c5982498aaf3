"""The zone and instant strategies: :func:`timezones`, :func:`aware_datetimes`, :func:`timespans`.

Private: import them from :mod:`sessionkit.testing.strategies`, which
re-exports every public name. Also the draws the other value strategies make
with them: leap days favoured (:func:`leap_day`, :func:`_days`), and a
strategy of zones checked as it is built (:func:`_checked_zones`).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import reject
from hypothesis import strategies as st

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.testing import _strategy_args as _args
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone

__all__ = [
    "DST_ZONES",
    "LAST",
    "aware_datetimes",
    "leap_day",
    "timespans",
    "timezones",
]

DST_ZONES: tuple[str, ...] = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Sao_Paulo",  # DST changes at midnight (until 2019)
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "America/Caracas",  # standard offset changed in 2007 and 2016
    "Asia/Kolkata",
    "UTC",
    "Pacific/Chatham",  # +12:45 / +13:45
    "Africa/Casablanca",  # DST suspended during Ramadan
    "America/Los_Angeles",  # far behind UTC: an evening is the next day in UTC
    "Pacific/Honolulu",  # -10, no DST
)
"""Zones with interesting transitions: the default pool of :func:`timezones`."""

_MIN = datetime(2000, 1, 1)
_MAX = datetime(2040, 12, 31)
LAST = datetime(9999, 12, 31, 23, 59, 59, 999999)
"""The last naive datetime (``datetime.max``)."""


def timezones(names: Sequence[str | tzinfo] = DST_ZONES) -> st.SearchStrategy[ZoneInfo]:
    """Zones drawn from ``names`` (by default zones with gaps, folds and odd offsets).

    Each a zone name or a zone :func:`~sessionkit.zones.get_zone` takes (a
    ``ZoneInfo``, ``datetime.UTC``), as ``sessions(zones=...)`` takes them.
    """
    chosen = _args.zone_names(names, "names", strategy="timezones")
    return st.sampled_from([get_zone(name) for name in chosen])


_FIRST_SAFE = datetime(1, 1, 2)
_LAST_SAFE = datetime(9999, 12, 30, 23, 59, 59)
"""The wall times :func:`aware_datetimes` draws between: each has a UTC instant in every zone."""


def aware_datetimes(
    *,
    min_value: datetime = _MIN,
    max_value: datetime = _MAX,
    zones: st.SearchStrategy[tzinfo] | None = None,
) -> st.SearchStrategy[datetime]:
    """Aware datetimes (whole seconds) in a zone from ``zones``, folds included.

    ``zones`` draws ``tzinfo`` zones: ``ZoneInfo`` ones (:func:`timezones`), or
    fixed offsets (``datetime.UTC``, ``timezone(timedelta(hours=2))``).

    ``min_value`` and ``max_value`` are naive wall-clock bounds. Instants in a
    fold (either side) are drawn, those in a gap never (they do not exist: a
    wall time drawn in one is moved to the end of the gap, or to the second
    before it when the end lies past ``max_value``); both are rare among
    uniform draws, so a property about transitions should draw near them
    itself (e.g. :func:`recurrences`, whose starts favour the small hours).
    One draw in eight is on a Feb 29 (a wall time of that day) when the
    bounds hold one.
    Wall times within a day of the datetime range's ends are not drawn (some
    have no UTC instant, which sessionkit refuses). Bounds that hold no whole
    second, or only such wall times, or (in every zone of ``zones``) only
    wall times a DST gap skips, leave nothing to draw: ``InvalidValue``. That
    is known when the strategy is built if ``zones`` lists its zones (the
    default, :func:`timezones`, ``st.sampled_from``, ``st.just``); a zone
    drawn from another strategy whose gap covers the bounds is filtered out as
    it is drawn (another zone may draw; drawing only such zones fails
    Hypothesis's ``filter_too_much`` health check).
    """
    for name, bound in (("min_value", min_value), ("max_value", max_value)):
        if not isinstance(bound, datetime):
            raise WrongType(bound, name=f"aware_datetimes({name})", expected="a naive datetime")
        if bound.tzinfo is not None:
            raise InvalidValue(
                f"aware_datetimes({name}={shown(bound)}): the bounds are naive wall-clock times",
                value=bound,
                expected="a naive datetime",
            )
    called = ("min_value", "max_value")
    _args.not_after(min_value, max_value, strategy="aware_datetimes", called=called)
    _args.strategy_or_none(zones, "zones", strategy="aware_datetimes")
    low, high = _args.whole(min_value, max_value, strategy="aware_datetimes", called=called)
    # A wall time within a day of the datetime range's ends has no UTC instant in some zones
    # (year 1 at +00:53:28, 9999-12-31 19:00 at -05:00), which sessionkit refuses: none drawn.
    low, high = max(low, _FIRST_SAFE), min(high, _LAST_SAFE)
    if low > high:
        raise InvalidValue(
            f"aware_datetimes(min_value={min_value}, max_value={max_value}): only wall times"
            " within a day of the datetime range's ends lie between them, and some have no"
            " UTC instant",
            value=(min_value, max_value),
            expected=f"bounds holding a wall time between {_FIRST_SAFE} and {_LAST_SAFE}",
        )
    pool = timezones() if zones is None else _checked_zones(zones, "aware_datetimes", keyed=False)
    listed = _listed_zones(pool)
    if listed is not None:
        fitting = [zone for zone in listed if _first_existing(zone, low) <= high]
        if not fitting:
            raise InvalidValue(
                f"aware_datetimes(min_value={min_value}, max_value={max_value}): every wall time"
                f" between them is skipped (a DST gap) in each zone of {_zone_keys(listed)}",
                value=(min_value, max_value),
                expected="bounds holding a wall time that exists in one of the zones",
            )
        if len(fitting) < len(listed):
            pool = st.sampled_from(fitting)
    walls = _datetimes(low, high, timezones=pool, allow_imaginary=True)
    return _existing(walls, low, high)


_LEAP_ONE_IN = 8
"""One draw in this many of :func:`aware_datetimes`, :func:`timespans`, the days of
:func:`recurrences` and :func:`availabilities` is on a Feb 29."""


def leap_day(draw: st.DrawFn, low: datetime, high: datetime) -> date | None:
    """Draw a Feb 29 whose day meets naive ``[low, high]``, or ``None`` if they hold none.

    The leap year at or before a year of the bounds, else the one after it.
    """
    year = draw(st.integers(low.year, high.year))
    before = year - year % 4
    while before > 0 and not calendar.isleap(before):
        before -= 4  # 2100 is no leap year: 2096
    after = before + 4
    while not calendar.isleap(after):
        after += 4
    for leap in (before, after):
        if 1 <= leap <= date.max.year:
            day = datetime(leap, 2, 29)
            if day <= high and low < day + timedelta(days=1):
                return day.date()
    return None


@st.composite
def _datetimes(draw: st.DrawFn, /, low: datetime, high: datetime, **options: Any) -> datetime:
    """``st.datetimes`` between naive ``low`` and ``high`` (whole seconds), leap days favoured.

    One draw in :data:`_LEAP_ONE_IN` lies on a Feb 29 of the bounds, if they
    hold one: uniform draws land on one once in 1,461 days, and a rule about
    dates (a yearly or monthly one, a day's count) breaks there. Shrinking
    goes to the uniform draw.
    """
    if draw(st.integers(1, _LEAP_ONE_IN)) == _LEAP_ONE_IN:
        day = leap_day(draw, low, high)
        if day is not None:
            low = max(low, datetime.combine(day, time()))
            high = min(high, datetime.combine(day, time(23, 59, 59)))
    return draw(st.datetimes(min_value=low, max_value=high, **options))


@st.composite
def _days(draw: st.DrawFn, /, first: date, last: date) -> date:
    """A day from ``first`` to ``last``; one in :data:`_LEAP_ONE_IN` a Feb 29 they hold.

    As :func:`_datetimes` draws instants; shrinking goes to the uniform draw,
    as the leap day is drawn after it (its choices the uniform one's and
    more): Hypothesis takes fewer choices for simpler, and a leap day drawn
    instead of it shrank to itself.
    """
    leap = draw(st.integers(1, _LEAP_ONE_IN)) == _LEAP_ONE_IN
    uniform = draw(st.dates(min_value=first, max_value=last))
    if leap:
        day = leap_day(draw, datetime.combine(first, time()), datetime.combine(last, time()))
        if day is not None:
            return day
    return uniform


@st.composite
def _existing(
    draw: st.DrawFn, walls: st.SearchStrategy[datetime], low: datetime, high: datetime
) -> datetime:
    """A datetime from ``walls``, on a whole second, moved out of a DST gap within the bounds."""
    drawn = draw(walls).replace(microsecond=0)  # the bounds are whole seconds: still within
    zone = drawn.tzinfo
    assert zone is not None  # drawn with zones
    gap = _gap(zone, drawn.replace(tzinfo=None))
    if gap is None:
        return drawn
    skipped, end = gap
    if end <= high:
        return end.replace(tzinfo=zone)
    if skipped - timedelta(seconds=1) >= low:
        return (skipped - timedelta(seconds=1)).replace(tzinfo=zone)
    reject()  # only a gap lies between the bounds in this zone; another zone may draw
    raise AssertionError  # unreachable: reject() raises


def _gap(zone: tzinfo, wall: datetime) -> tuple[datetime, datetime] | None:
    """Return the DST gap naive ``wall`` (whole seconds) lies in: its first wall time and its end.

    ``None`` if ``wall`` exists in ``zone``. In a gap, ``fold=0`` reads a wall
    time with the offset before the transition and ``fold=1`` with the one
    after (PEP 495); the transition is found between the two instants.
    """
    before = zone.utcoffset(wall.replace(fold=0))
    after = zone.utcoffset(wall.replace(fold=1))
    if before is None or after is None or after <= before:
        return None  # an ordinary wall time, or one in a fold
    # UTC instants: the offset before the transition is in force at ``low``, not at ``high``.
    low, high = wall - after, wall - before
    while high - low > timedelta(seconds=1):
        middle = low + timedelta(seconds=(high - low) // timedelta(seconds=1) // 2)
        if middle.replace(tzinfo=UTC).astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high + before, high + after


def _first_existing(zone: tzinfo, wall: datetime) -> datetime:
    """Return the first wall time at or after naive ``wall`` (whole seconds) that ``zone`` has."""
    gap = _gap(zone, wall)
    return wall if gap is None else gap[1]


def _listed(strategy: st.SearchStrategy[Any]) -> list[Any] | None:
    """Return what ``strategy`` draws from, if it lists it (``sampled_from``, ``just``).

    Read from the attributes Hypothesis keeps them in: ``None`` for any other
    strategy (a mapped or filtered one, ``one_of``), whose values are known
    only as they are drawn.
    """
    inner = getattr(strategy, "wrapped_strategy", strategy)  # a lazy strategy, built
    elements = getattr(inner, "elements", None)
    if getattr(inner, "_transformations", None) != () or not isinstance(elements, Sequence):
        return None
    return list(elements) or None


def _listed_zones(zones: st.SearchStrategy[Any]) -> list[tzinfo] | None:
    """Return the zones ``zones`` draws from, if it lists them (see :func:`_listed`)."""
    found = _listed(zones)
    return found if found and all(isinstance(zone, tzinfo) for zone in found) else None


def _checked_zones(
    zones: st.SearchStrategy[Any], strategy: str, *, keyed: bool, names: bool = False
) -> st.SearchStrategy[Any]:
    """``zones``, every zone a tzinfo (a ``ZoneInfo`` if ``keyed``): listed ones checked now.

    A ``keyed`` zone's name is what the values are made with: one that is no
    IANA name (``"localtime"``, ``"posix/..."``, none at all) is refused with
    ``UnknownTimeZone`` noting the option. With ``names``, a zone name or
    any zone :func:`~sessionkit.zones.get_zone` knows is taken
    (``UnknownTimeZone`` noting the option, else). Zones of a strategy that
    does not list them are checked as they are drawn.

    A strategy of zone names (what ``sessions(zones=...)`` takes) is refused
    with ``WrongType`` naming the option, not a builtin error mid-draw.
    """
    kind = ZoneInfo if keyed else tzinfo
    expected = (
        "a strategy of ZoneInfo zones (timezones(), st.sampled_from or st.just of ZoneInfo)"
        if keyed
        else "a strategy of tzinfo zones (timezones(), st.sampled_from or st.just of zones)"
    )

    def check(zone: object) -> object:
        if names and isinstance(zone, str | tzinfo):
            with _args.naming("zones", zone, strategy=strategy):
                get_zone(zone)  # what the strategy's values take: a name, or a zone it knows
            return zone
        if not isinstance(zone, kind):
            raise WrongType(zone, name=f"{strategy}(zones)", expected=expected)
        if keyed:  # the value is made with the zone's name, which must be an IANA one
            with _args.naming("zones", zone, strategy=strategy):
                _args.zone_key(zone)
        return zone

    listed = _listed(zones)
    if listed is None:
        return zones.map(check)
    for zone in listed:
        check(zone)
    return zones


def _zone_keys(zones: list[tzinfo]) -> list[str]:
    """The zones' names (``key``), for a message."""
    return [str(getattr(zone, "key", zone)) for zone in zones]


def timespans(
    *,
    min_start: datetime = _MIN,
    max_start: datetime = _MAX,
    min_duration: timedelta = timedelta(minutes=1),
    max_duration: timedelta = timedelta(days=2),
) -> st.SearchStrategy[TimeSpan]:
    """TimeSpans whose start lies between the UTC bounds and whose length is in range.

    The bounds are naive UTC, or aware (read as the instants they are, as
    :func:`sessions` reads its own); one start in eight is on a Feb 29 (UTC)
    when they hold one. Starts and lengths are whole seconds, so
    the start bounds and the length range must each hold one (``InvalidValue``
    otherwise, as for bounds whose spans would end past the last instant a
    datetime holds; ``WrongType`` for a bound or length of another type).
    """
    low = _args.naive_utc(min_start, "min_start", strategy="timespans")
    high = _args.naive_utc(max_start, "max_start", strategy="timespans")
    _args.duration(min_duration, "min_duration", strategy="timespans")
    _args.duration(max_duration, "max_duration", strategy="timespans")
    _args.not_after(low, high, strategy="timespans")
    low, high = _args.whole(low, high, strategy="timespans")
    whole, part = divmod(min_duration, timedelta(seconds=1))
    shortest = whole + (part > timedelta(0))  # rounded up (negating timedelta.max overflows)
    longest = max_duration // timedelta(seconds=1)
    if min_duration <= timedelta(0) or shortest > longest:
        raise InvalidValue(
            f"timespans(min_duration={min_duration}, max_duration={max_duration}): the lengths"
            " must be positive and hold a whole second",
            value=min_duration,
            expected="0 < min_duration <= max_duration, a whole second between them",
        )
    if max_duration > LAST - high:  # so compared, no bound overflows a datetime
        raise InvalidValue(
            f"timespans(max_start={max_start}, max_duration={max_duration}): such spans would"
            " end past the last datetime",
            value=max_start,
            expected=f"max_start + max_duration <= {LAST}",
        )
    # Rounded down: still in bounds. Hypothesis sets fold=1 on a third of naive datetimes; a
    # UTC instant has no fold, and one carried over by .replace(tzinfo=zone) picks the second
    # of a repeated hour there.
    starts = _datetimes(low, high).map(lambda dt: dt.replace(microsecond=0, tzinfo=UTC, fold=0))
    seconds = st.integers(shortest, longest)
    return st.builds(
        lambda start, secs: TimeSpan(start, start + timedelta(seconds=secs)), starts, seconds
    )
