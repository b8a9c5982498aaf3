"""The value strategies of :mod:`sessionkit.testing.strategies`: zones, instants, spans, rules.

Private: import them from :mod:`sessionkit.testing.strategies`, which
re-exports every public name. The session and booking strategies, which draw
on these, are in :mod:`sessionkit.testing._session_strategies`.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import reject
from hypothesis import strategies as st

from sessionkit.availability import Availability
from sessionkit.errors import ExpansionLimitExceeded, InvalidValue, WallTimeError, WrongType
from sessionkit.errors._base import shown
from sessionkit.policies import BookingRules
from sessionkit.recurrence import FREQUENCIES, Recurrence, Rule, Weekday, parse_rule
from sessionkit.testing import _strategy_args as _args
from sessionkit.timespan import TimeSpan
from sessionkit.zones import RecurrenceDisambiguate, check_disambiguate, get_zone

__all__ = [
    "DST_ZONES",
    "LAST",
    "availabilities",
    "aware_datetimes",
    "booking_rules",
    "daily_hours",
    "leap_day",
    "minutes",
    "recurrences",
    "rules",
    "timespans",
    "timezones",
    "weekly_hours",
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


def rules(
    *,
    frequencies: Sequence[str] = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY"),
    allow_count: bool = True,
    allow_until: bool = True,
) -> st.SearchStrategy[Rule]:
    """Valid RFC 5545 rules mixing the fast arithmetic paths and the general one.

    Of a frequency from ``frequencies`` (each one of
    :data:`~sessionkit.recurrence.FREQUENCIES`). UNTIL, when drawn, is an
    aware UTC instant between 2000 and 2045.
    """
    chosen = _args.names(frequencies, "frequencies", strategy="rules")
    for freq in chosen:
        if freq not in FREQUENCIES:
            raise InvalidValue(
                f"rules(frequencies={shown(frequencies)}): {shown(freq)} is not a frequency",
                value=freq,
                expected=f"some of {', '.join(FREQUENCIES)}",
            )
    _args.flag(allow_count, "allow_count", strategy="rules")
    _args.flag(allow_until, "allow_until", strategy="rules")
    return _drawn_rules(chosen, allow_count=allow_count, allow_until=allow_until)


@st.composite
def _drawn_rules(
    draw: st.DrawFn, frequencies: list[str], *, allow_count: bool, allow_until: bool
) -> Rule:
    freq = draw(st.sampled_from(frequencies))
    interval = draw(st.integers(1, 3))
    days = st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True)
    byday: tuple[Weekday, ...] = ()
    bymonthday: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    byhour: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    if freq in ("DAILY", "WEEKLY") and draw(st.booleans()):
        byday = tuple(Weekday(d) for d in draw(days))
    elif freq == "MONTHLY":
        choice = draw(st.sampled_from(["default", "monthday", "nth", "setpos"]))
        if choice == "monthday":
            bymonthday = tuple(
                draw(
                    st.lists(
                        st.sampled_from([1, 2, 15, 28, 29, 30, 31, -1, -3]),
                        min_size=1,
                        max_size=3,
                        unique=True,
                    )
                )
            )
        elif choice == "nth":
            byday = tuple(Weekday(d, draw(st.sampled_from([1, 2, -1]))) for d in draw(days))
        elif choice == "setpos":
            byday = tuple(Weekday(d) for d in draw(days))
            bysetpos = (draw(st.sampled_from([1, 2, -1])),)
    elif freq == "YEARLY":
        if draw(st.booleans()):
            bymonth = tuple(draw(st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True)))
            if draw(st.booleans()):
                byday = tuple(Weekday(d) for d in draw(days))
    elif freq == "HOURLY":
        interval = draw(st.integers(1, 7))
        if draw(st.booleans()):
            byhour = tuple(draw(st.lists(st.integers(0, 23), min_size=1, max_size=4, unique=True)))
    if freq == "DAILY" and draw(st.booleans()):
        byhour = tuple(draw(st.lists(st.integers(0, 23), min_size=1, max_size=3, unique=True)))
    count = until = None
    ending = draw(st.sampled_from(["none", "count", "until"]))
    if ending == "count" and allow_count:
        count = draw(st.integers(1, 60))
    elif ending == "until" and allow_until:
        until = draw(
            st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2045, 1, 1))
        ).replace(microsecond=0, tzinfo=UTC, fold=0)  # no fold in UTC (see timespans)
    return Rule(
        freq=freq,  # type: ignore[arg-type]  # drawn from valid frequencies
        interval=interval,
        count=count,
        until=until,
        byday=byday,
        bymonthday=bymonthday,
        bymonth=bymonth,
        byhour=byhour,
        bysetpos=bysetpos,
        wkst=draw(st.sampled_from([0, 0, 6])),
    )


def recurrences(
    *,
    zones: st.SearchStrategy[ZoneInfo] | None = None,
    rule_strategy: st.SearchStrategy[Rule | str] | None = None,
    disambiguate: Sequence[RecurrenceDisambiguate] = ("compatible",),
    with_exdates: bool = True,
    first_day: date = date(2000, 1, 1),
    last_day: date = date(2035, 1, 1),
) -> st.SearchStrategy[Recurrence]:
    """Recurrences in zones with DST gaps and folds, starting from ``first_day`` to ``last_day``.

    The start day is a local one, by default from 2000 to 2035; the days are
    within the years a kit runs at (:data:`_FIRST_START_DAY` to :data:`_LAST_START_DAY`).

    Start times favour the small hours, where DST transitions happen, and one
    start day in eight is a Feb 29 (uniform draws: once in 1,461), where a
    yearly or monthly rule breaks. Rules
    are drawn from ``rule_strategy`` (default :func:`rules`): :class:`Rule`
    values or RRULE text, as ``Recurrence.from_rrule`` takes them; one that
    is neither is refused naming the option, when the strategy is built if
    it lists its values (``st.just``, ``st.sampled_from``), else as drawn.
    """
    _args.strategy_or_none(zones, "zones", strategy="recurrences")
    _args.strategy_or_none(rule_strategy, "rule_strategy", strategy="recurrences")
    chosen = _args.names(disambiguate, "disambiguate", strategy="recurrences", what="policies")
    with _args.naming("disambiguate", disambiguate, strategy="recurrences"):
        for policy in chosen:
            check_disambiguate(policy, allow_skip=True)
    _args.flag(with_exdates, "with_exdates", strategy="recurrences")
    days = (first_day, last_day)
    for option, day in zip(("first_day", "last_day"), days, strict=True):
        _args.day(day, option, strategy="recurrences")
        if not _FIRST_START_DAY <= day <= _LAST_START_DAY:
            raise InvalidValue(
                f"recurrences({option}={day}): a recurrence starting then is none a kit runs at",
                value=day,
                expected=f"a day from {_FIRST_START_DAY} to {_LAST_START_DAY}",
            )
    _args.not_after(first_day, last_day, strategy="recurrences", called=("first_day", "last_day"))
    pool = None if zones is None else _checked_zones(zones, "recurrences", keyed=True)
    drawn_rules = None if rule_strategy is None else _checked_rules(rule_strategy)
    return _drawn_recurrences(pool, drawn_rules, chosen, days, with_exdates=with_exdates)


_FIRST_START_DAY = date(1000, 1, 2)
_LAST_START_DAY = date(8999, 12, 31)
"""The start days :func:`recurrences` takes: within the instants a kit runs at, either side."""


def _checked_rules(rule_strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Rule]:
    """``rule_strategy``'s values as :class:`Rule` s: listed ones checked now, others as drawn.

    A ``Rule``, or RRULE text (what ``Recurrence.from_rrule`` takes) parsed;
    anything else is ``WrongType``, and text that is no rule
    ``InvalidRecurrence``, each naming the option (as :func:`_checked_zones`).
    """

    def check(rule: object) -> Rule:
        if isinstance(rule, Rule):
            return rule
        if not isinstance(rule, str):
            raise WrongType(
                rule,
                name="recurrences(rule_strategy)",
                expected="a strategy of Rules (rules()) or of RRULE text",
            )
        with _args.naming("rule_strategy", rule, strategy="recurrences"):
            return parse_rule(rule)

    listed = _listed(rule_strategy)
    if listed is None:
        return rule_strategy.map(check)
    return st.sampled_from([check(rule) for rule in listed])


@st.composite
def _drawn_recurrences(
    draw: st.DrawFn,
    zones: st.SearchStrategy[ZoneInfo] | None,
    rule_strategy: st.SearchStrategy[Rule] | None,
    disambiguate: list[RecurrenceDisambiguate],
    days: tuple[date, date],
    *,
    with_exdates: bool,
) -> Recurrence:
    zone = draw(zones if zones is not None else timezones())
    day = draw(_days(*days))
    at = draw(
        st.one_of(
            st.builds(time, st.integers(0, 3), st.sampled_from([0, 15, 30, 45])),
            st.builds(time, st.integers(0, 23), st.integers(0, 59)),
        )
    )
    rule = draw(rule_strategy if rule_strategy is not None else rules())
    duration = timedelta(minutes=draw(st.integers(1, 240)))
    start = datetime.combine(day, at)
    rec = Recurrence.from_rrule(
        rule,
        start=start,
        tz=zone.key,
        duration=duration,
        disambiguate=draw(st.sampled_from(disambiguate)),
    )
    if with_exdates and draw(st.booleans()):
        sample = _exdate_sample(rec, datetime.combine(day, time()).replace(tzinfo=UTC))
        if sample:
            chosen = draw(st.lists(st.sampled_from(sample), max_size=3, unique=True))
            rec = Recurrence.from_rrule(
                rule,
                start=start,
                tz=zone.key,
                duration=duration,
                exdates=chosen,
                disambiguate=rec.disambiguate,
            )
    return rec


_EXDATE_SAMPLE = 50
"""The first occurrences an EXDATE of :func:`recurrences` is drawn from."""
_EXDATE_DAYS = 400
"""The days after its start a recurrence's EXDATEs are drawn from (a sparse rule has few)."""
_EXDATE_CANDIDATES = 10_000
"""The candidate dates looked at to find them (``between``'s ``max_candidates``)."""


def _exdate_sample(rec: Recurrence, start: datetime) -> list[datetime]:
    """Return the starts of ``rec``'s first occurrences (from the day before ``start``), to exclude.

    Up to :data:`_EXDATE_SAMPLE` of them, within :data:`_EXDATE_DAYS` days,
    expanded lazily so that a rule of any frequency (one a minute, one a
    second) costs only the occurrences taken; what is found before the
    expansion meets its candidate limit or a wall time ``rec`` refuses
    (``disambiguate="raise"`` meeting a gap or fold) is the sample.
    """
    sample: list[datetime] = []
    occurrences = rec.between(
        start - timedelta(days=1),
        start + timedelta(days=_EXDATE_DAYS),
        max_candidates=_EXDATE_CANDIDATES,
    )
    try:
        for occurrence in itertools.islice(occurrences, _EXDATE_SAMPLE):
            sample.append(occurrence.span.start)  # noqa: PERF401  # kept if the next one raises
    except (WallTimeError, ExpansionLimitExceeded):
        pass  # the occurrences found so far are the sample
    return sample


def _quarter(index: int) -> time:
    """The wall time ``index`` quarter hours after midnight (96 is midnight at the day's end)."""
    return time((index // 4) % 24, (index % 4) * 15)


def daily_hours(*, max_size: int = 3) -> st.SearchStrategy[list[tuple[time, time]]]:
    """Lists of 1 to ``max_size`` ``(start, end)`` wall times on the quarter hour (may overlap).

    Start times favour the small hours, where DST transitions happen; an end of
    ``time(0)`` means midnight at the end of the day. ``max_size`` is 1..96
    (a day's quarter hours): more would only repeat them, and fail
    Hypothesis's health checks.
    """
    size = _args.count(max_size, "max_size", strategy="daily_hours", least=1, most=_QUARTERS)
    return _drawn_hours(size)


_QUARTERS = 96
"""A day's quarter hours: the most ``(start, end)`` pairs :func:`daily_hours` draws."""


@st.composite
def _drawn_hours(draw: st.DrawFn, max_size: int) -> list[tuple[time, time]]:
    pairs: list[tuple[time, time]] = []
    for _ in range(draw(st.integers(1, max_size))):
        start = draw(st.one_of(st.integers(0, 16), st.integers(0, 95)))
        end = draw(st.integers(start + 1, min(96, start + 48)))
        pairs.append((_quarter(start), _quarter(end)))
    return pairs


def weekly_hours(*, min_days: int = 0) -> st.SearchStrategy[dict[str, list[tuple[time, time]]]]:
    """Mappings for :meth:`~sessionkit.availability.Availability.weekly`: ``{"MO": [...], ...}``.

    Of ``min_days`` to 7 days.
    """
    min_days = _args.count(min_days, "min_days", strategy="weekly_hours", least=0, most=7)
    return st.dictionaries(
        st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
        daily_hours(),
        min_size=min_days,
    )


def availabilities(
    *,
    zones: st.SearchStrategy[tzinfo | str] | None = None,
    first_day: date = date(2026, 1, 1),
    last_day: date = date(2028, 12, 31),
    with_overrides: bool = True,
) -> st.SearchStrategy[Availability]:
    """Weekly availabilities in zones with DST, with blocked dates, ranges and extra hours.

    Overrides fall between ``first_day`` and ``last_day`` (by default 2026 to
    2028, which holds a leap day; a blocked range may run up to 5 days past
    it), one in eight on a Feb 29 they hold (uniform draws: once in 1,461).
    """
    _args.strategy_or_none(zones, "zones", strategy="availabilities")
    _args.day(first_day, "first_day", strategy="availabilities")
    _args.day(last_day, "last_day", strategy="availabilities")
    _args.not_after(
        first_day, last_day, strategy="availabilities", called=("first_day", "last_day")
    )
    if last_day > _LAST_DAY:
        raise InvalidValue(
            f"availabilities(last_day={last_day}): a blocked range from it would end past the"
            " last date",
            value=last_day,
            expected=f"last_day <= {_LAST_DAY}",
        )
    _args.flag(with_overrides, "with_overrides", strategy="availabilities")
    pool = (
        None if zones is None else _checked_zones(zones, "availabilities", keyed=True, names=True)
    )
    return _drawn_availabilities(pool, first_day, last_day, with_overrides=with_overrides)


_LAST_DAY = date.max - timedelta(days=5)
"""The last ``last_day`` of :func:`availabilities`: room for a blocked range of 5 days."""


@st.composite
def _drawn_availabilities(
    draw: st.DrawFn,
    zones: st.SearchStrategy[ZoneInfo] | None,
    first_day: date,
    last_day: date,
    *,
    with_overrides: bool,
) -> Availability:
    zone = draw(zones if zones is not None else timezones())
    result = Availability.weekly(draw(weekly_hours()), tz=zone)
    if not with_overrides:
        return result
    days = _days(first_day, last_day)
    for day in draw(st.lists(days, max_size=3)):
        result = result.with_blocked_date(day)
    for day in draw(st.lists(days, max_size=2)):
        result = result.with_blocked_range(day, day + timedelta(days=draw(st.integers(0, 5))))
    for day in draw(st.lists(days, max_size=3)):
        result = result.with_extra_hours(day, draw(daily_hours(max_size=2)))
    return result


def minutes(low: int, high: int) -> st.SearchStrategy[timedelta]:
    return st.integers(low, high).map(lambda n: timedelta(minutes=n))


def booking_rules(*, zones: Sequence[str | tzinfo] = DST_ZONES) -> st.SearchStrategy[BookingRules]:
    """Valid :class:`~sessionkit.policies.BookingRules`: every field drawn, limits often off.

    Notice up to 3 days (0 included), a horizon of none or 1 to 60 days (never
    shorter than the notice: such rules refuse every start and are invalid),
    a capacity cap, per-day and per-week limits each ``None`` or small, the
    per-day zone from ``zones`` (as its name, a ``ZoneInfo`` given too),
    holds of 1 minute to 2 hours, offers of 1 minute to 2 days, the three
    flags (``waitlist``, ``lock_booked``, ``publish_in_horizon``) and
    ``when_emptied`` ``None`` or ``"cancel"`` (a transition every preset has).
    """
    chosen = _args.zone_names(zones, "zones", strategy="booking_rules")
    counts = st.none() | st.integers(1, 5)
    return st.builds(
        _rules,
        min_notice=minutes(0, 3 * 24 * 60),
        max_horizon=st.none() | st.integers(1, 60).map(lambda n: timedelta(days=n)),
        max_capacity=st.none() | st.integers(1, 50),
        per_day=counts,
        per_week=st.none() | st.integers(1, 10),
        zone=st.sampled_from(chosen),
        hold_for=minutes(1, 120),
        offer_for=minutes(1, 2 * 24 * 60),
        waitlist=st.booleans(),
        lock_booked=st.booleans(),
        publish_in_horizon=st.booleans(),
        when_emptied=st.none() | st.just("cancel"),
    )


def _rules(*, min_notice: timedelta, max_horizon: timedelta | None, **rest: Any) -> BookingRules:
    """The rules drawn, a horizon shorter than the notice lengthened by the notice."""
    if max_horizon is not None and max_horizon < min_notice:
        max_horizon += min_notice
    return BookingRules(min_notice=min_notice, max_horizon=max_horizon, **rest)
