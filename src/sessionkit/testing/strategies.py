"""Hypothesis strategies for sessionkit's value types, for property-testing your own rules.

>>> from hypothesis import given
>>> from sessionkit.testing import strategies as sks
>>> @given(sks.timespans())
... def test_duration_positive(span):
...     assert span.duration.total_seconds() > 0
>>> test_duration_positive()
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

from sessionkit.availability import Availability
from sessionkit.errors import InvalidValue, WallTimeError, WrongType
from sessionkit.lifecycle import Lifecycle
from sessionkit.model.booking import (
    BOOKING_STATUSES,
    CANCELLED,
    EXPIRED,
    HELD,
    OFFERED,
    WAITLISTED,
    Booking,
    seats_owed,
    seats_taken,
)
from sessionkit.model.session import MAX_CAPACITY, ResourceRef, Session
from sessionkit.model.text import check_tenant
from sessionkit.policies import BookingRules
from sessionkit.recurrence import FREQUENCIES, Recurrence, Rule, Weekday
from sessionkit.testing import _strategy_args as _args
from sessionkit.testing._booking_replay import Replay, Request
from sessionkit.timespan import TimeSpan
from sessionkit.zones import RecurrenceDisambiguate, check_aware, check_disambiguate, get_zone

__all__ = [
    "DST_ZONES",
    "BookedSession",
    "availabilities",
    "aware_datetimes",
    "booked_sessions",
    "booking_rules",
    "bookings",
    "daily_hours",
    "recurrences",
    "rules",
    "sessions",
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
)
"""Zones with interesting transitions: the default pool of :func:`timezones`."""

_MIN = datetime(2000, 1, 1)
_MAX = datetime(2040, 12, 31)
_LAST = datetime(9999, 12, 31, 23, 59, 59, 999999)
"""The last naive datetime (``datetime.max``)."""


def timezones(names: Sequence[str] = DST_ZONES) -> st.SearchStrategy[ZoneInfo]:
    """Zones drawn from ``names`` (by default zones with gaps, folds and odd offsets)."""
    chosen = _args.zone_names(names, "names", strategy="timezones")
    return st.sampled_from([get_zone(name) for name in chosen])


def aware_datetimes(
    *,
    min_value: datetime = _MIN,
    max_value: datetime = _MAX,
    zones: st.SearchStrategy[ZoneInfo] | None = None,
) -> st.SearchStrategy[datetime]:
    """Aware datetimes (whole seconds) in a zone from ``zones``, folds included.

    ``min_value`` and ``max_value`` are naive wall-clock bounds. Instants in a
    fold (either side) are drawn, those in a gap never (they do not exist);
    both are rare among uniform draws, so a property about transitions
    should draw near them itself (e.g. :func:`recurrences`, whose starts
    favour the small hours).
    """
    for name, bound in (("min_value", min_value), ("max_value", max_value)):
        if not isinstance(bound, datetime):
            raise WrongType(bound, name=f"aware_datetimes({name})", expected="a naive datetime")
        if bound.tzinfo is not None:
            raise InvalidValue(
                f"aware_datetimes({name}={bound!r}): the bounds are naive wall-clock times",
                value=bound,
                expected="a naive datetime",
            )
    _args.not_after(
        min_value, max_value, strategy="aware_datetimes", called=("min_value", "max_value")
    )
    _args.strategy_or_none(zones, "zones", strategy="aware_datetimes")
    return st.datetimes(
        min_value=min_value,
        max_value=max_value,
        timezones=zones if zones is not None else timezones(),
        allow_imaginary=False,
    ).map(lambda dt: dt.replace(microsecond=0))


def timespans(
    *,
    min_start: datetime = _MIN,
    max_start: datetime = _MAX,
    min_duration: timedelta = timedelta(minutes=1),
    max_duration: timedelta = timedelta(days=2),
) -> st.SearchStrategy[TimeSpan]:
    """TimeSpans whose start lies between the UTC bounds and whose length is in range.

    The bounds are naive UTC, or aware (read as the instants they are, as
    :func:`sessions` reads its own). Starts and lengths are whole seconds, so
    the length range must hold one (``InvalidValue`` otherwise, as for
    bounds with no start between them or whose spans would end past the last
    instant a datetime holds; ``WrongType`` for a bound or length of another
    type).
    """
    low = _args.naive_utc(min_start, "min_start", strategy="timespans")
    high = _args.naive_utc(max_start, "max_start", strategy="timespans")
    _args.duration(min_duration, "min_duration", strategy="timespans")
    _args.duration(max_duration, "max_duration", strategy="timespans")
    _args.not_after(low, high, strategy="timespans")
    shortest = -(-min_duration // timedelta(seconds=1))  # rounded up
    longest = max_duration // timedelta(seconds=1)
    if min_duration <= timedelta(0) or shortest > longest:
        raise InvalidValue(
            f"timespans(min_duration={min_duration}, max_duration={max_duration}): the lengths"
            " must be positive and hold a whole second",
            value=min_duration,
            expected="0 < min_duration <= max_duration, a whole second between them",
        )
    if max_duration > _LAST - high:  # so compared, no bound overflows a datetime
        raise InvalidValue(
            f"timespans(max_start={max_start}, max_duration={max_duration}): such spans would"
            " end past the last datetime",
            value=max_start,
            expected=f"max_start + max_duration <= {_LAST}",
        )
    starts = st.datetimes(min_value=low, max_value=high).map(
        lambda dt: dt.replace(microsecond=0, tzinfo=UTC)
    )
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
                f"rules(frequencies={frequencies!r}): {freq!r} is not a frequency",
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
        ).replace(microsecond=0, tzinfo=UTC)
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
    rule_strategy: st.SearchStrategy[Rule] | None = None,
    disambiguate: Sequence[RecurrenceDisambiguate] = ("compatible",),
    with_exdates: bool = True,
) -> st.SearchStrategy[Recurrence]:
    """Recurrences in zones with DST gaps and folds, starting between 2000 and 2035.

    Start times favour the small hours, where DST transitions happen.
    """
    _args.strategy_or_none(zones, "zones", strategy="recurrences")
    _args.strategy_or_none(rule_strategy, "rule_strategy", strategy="recurrences")
    chosen = _args.names(disambiguate, "disambiguate", strategy="recurrences", what="policies")
    with _args.naming("disambiguate", disambiguate, strategy="recurrences"):
        for policy in chosen:
            check_disambiguate(policy, allow_skip=True)
    _args.flag(with_exdates, "with_exdates", strategy="recurrences")
    return _drawn_recurrences(zones, rule_strategy, chosen, with_exdates=with_exdates)


@st.composite
def _drawn_recurrences(
    draw: st.DrawFn,
    zones: st.SearchStrategy[ZoneInfo] | None,
    rule_strategy: st.SearchStrategy[Rule] | None,
    disambiguate: list[RecurrenceDisambiguate],
    *,
    with_exdates: bool,
) -> Recurrence:
    zone = draw(zones if zones is not None else timezones())
    day = draw(
        st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2035, 1, 1).date())
    )
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
        window_end = start + timedelta(days=400)
        try:
            sample = [
                occ.span.start
                for occ in rec.between(
                    datetime.combine(day, time()).replace(tzinfo=UTC) - timedelta(days=1),
                    window_end.replace(tzinfo=UTC),
                )
            ][:50]
        except WallTimeError:  # disambiguate="raise" meeting a gap or fold: no exdates drawn
            sample = []
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


def _quarter(index: int) -> time:
    """The wall time ``index`` quarter hours after midnight (96 is midnight at the day's end)."""
    return time((index // 4) % 24, (index % 4) * 15)


def daily_hours(*, max_size: int = 3) -> st.SearchStrategy[list[tuple[time, time]]]:
    """Lists of 1 to ``max_size`` ``(start, end)`` wall times on the quarter hour (may overlap).

    Start times favour the small hours, where DST transitions happen; an end of
    ``time(0)`` means midnight at the end of the day.
    """
    return _drawn_hours(_args.count(max_size, "max_size", strategy="daily_hours", least=1))


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
    _args.count(min_days, "min_days", strategy="weekly_hours", least=0, most=7)
    return st.dictionaries(
        st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
        daily_hours(),
        min_size=min_days,
    )


def availabilities(
    *,
    zones: st.SearchStrategy[ZoneInfo] | None = None,
    first_day: date = date(2026, 1, 1),
    last_day: date = date(2026, 12, 31),
    with_overrides: bool = True,
) -> st.SearchStrategy[Availability]:
    """Weekly availabilities in zones with DST, with blocked dates, ranges and extra hours.

    Overrides fall between ``first_day`` and ``last_day`` (a blocked range
    may run up to 5 days past it).
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
    return _drawn_availabilities(zones, first_day, last_day, with_overrides=with_overrides)


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
    days = st.dates(min_value=first_day, max_value=last_day)
    for day in draw(st.lists(days, max_size=3)):
        result = result.with_blocked_date(day)
    for day in draw(st.lists(days, max_size=2)):
        result = result.with_blocked_range(day, day + timedelta(days=draw(st.integers(0, 5))))
    for day in draw(st.lists(days, max_size=3)):
        result = result.with_extra_hours(day, draw(daily_hours(max_size=2)))
    return result


def _minutes(low: int, high: int) -> st.SearchStrategy[timedelta]:
    return st.integers(low, high).map(lambda n: timedelta(minutes=n))


def booking_rules(*, zones: Sequence[str] = DST_ZONES) -> st.SearchStrategy[BookingRules]:
    """Valid :class:`~sessionkit.policies.BookingRules`: every field drawn, limits often off.

    Notice up to 3 days (0 included), a horizon of none or 1 to 60 days (never
    shorter than the notice: such rules refuse every start and are invalid),
    a capacity cap, per-day and per-week limits each ``None`` or small, the
    per-day zone from ``zones``, holds of 1 minute to 2 hours, offers of 1
    minute to 2 days, and both flags.
    """
    chosen = _args.zone_names(zones, "zones", strategy="booking_rules")
    counts = st.none() | st.integers(1, 5)
    return st.builds(
        _rules,
        min_notice=_minutes(0, 3 * 24 * 60),
        max_horizon=st.none() | st.integers(1, 60).map(lambda n: timedelta(days=n)),
        max_capacity=st.none() | st.integers(1, 50),
        per_day=counts,
        per_week=st.none() | st.integers(1, 10),
        zone=st.sampled_from(chosen),
        hold_for=_minutes(1, 120),
        offer_for=_minutes(1, 2 * 24 * 60),
        waitlist=st.booleans(),
        lock_booked=st.booleans(),
    )


def _rules(*, min_notice: timedelta, max_horizon: timedelta | None, **rest: Any) -> BookingRules:
    """The rules drawn, a horizon shorter than the notice lengthened by the notice."""
    if max_horizon is not None and max_horizon < min_notice:
        max_horizon += min_notice
    return BookingRules(min_notice=min_notice, max_horizon=max_horizon, **rest)


# ----------------------------------------------------------------------- sessions and bookings

_TITLES = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=60)
_SESSION_MIN = datetime(2026, 1, 1)
_SESSION_MAX = datetime(2027, 12, 31)


_FIRST_START = datetime(1, 1, 1) + timedelta(days=91)
_LAST_START = _LAST - timedelta(hours=5)
"""The starts :func:`sessions` draws between: room for ``created_at`` and the session's end."""


def _start_bound(value: object, name: str) -> datetime:
    """Return a start bound as naive UTC (an aware one converted), within what can be drawn."""
    naive = _args.naive_utc(value, name, strategy="sessions")
    if not _FIRST_START <= naive <= _LAST_START:
        raise InvalidValue(
            f"sessions({name}={value}): a session made up to 90 days before it, or ending up"
            " to 4 hours after it, would lie outside the instants a datetime holds",
            value=value,
            expected=f"{_FIRST_START} to {_LAST_START} (UTC)",
        )
    return naive


def sessions(
    *,
    tenant: str = "acme",
    lifecycles: Sequence[Lifecycle | str] | None = None,
    taking_bookings: bool = False,
    zones: Sequence[str] = DST_ZONES,
    min_start: datetime = _SESSION_MIN,
    max_start: datetime = _SESSION_MAX,
    max_capacity: int = 20,
    resource_kinds: Sequence[str] = ("teacher", "room"),
    generated: bool | None = None,
) -> st.SearchStrategy[Session]:
    """Valid :class:`~sessionkit.model.Session` values, as a store holds them.

    Of a lifecycle from ``lifecycles`` (``Lifecycle`` values or preset names;
    default: every preset), in one of its statuses, ``busy`` as that status
    says; with ``taking_bookings``, only statuses that are busy and not
    terminal (a session the booking commands accept, if it has not started),
    of the lifecycles that have one. Starts on whole minutes between the
    naive UTC bounds, 15 minutes to 4 hours long, a zone from ``zones``,
    capacity 1..``max_capacity`` (1 often: one-to-one), up to three
    resources of ``resource_kinds`` (``t1``, ``r2``...), any storable title
    (empty included). Loose sessions (``is_extra``) and sessions generated
    from series ``"series-1"`` (its id and occurrence key set), or only one
    kind (``generated=False`` / ``True``): a store keeps a generated session
    only once its series is stored. Options that leave nothing to draw raise
    ``InvalidValue`` naming the option, and options of the wrong type
    ``WrongType``.
    """
    with _args.naming("tenant", tenant, strategy="sessions"):
        check_tenant(tenant)
    pool = _args.lifecycle_pool(lifecycles)
    _args.flag(taking_bookings, "taking_bookings", strategy="sessions")
    zone_pool = _args.zone_names(zones, "zones", strategy="sessions")
    min_start = _start_bound(min_start, "min_start")
    max_start = _start_bound(max_start, "max_start")
    kinds = _args.names(
        resource_kinds, "resource_kinds", strategy="sessions", what="kinds", empty=True
    )
    with _args.naming("resource_kinds", resource_kinds, strategy="sessions"):
        for kind in kinds:
            ResourceRef(kind, "x1")  # a kind a reference can have, else InvalidValue naming it
    _args.not_after(min_start, max_start, strategy="sessions")
    _args.count(max_capacity, "max_capacity", strategy="sessions", least=1, most=MAX_CAPACITY)
    _args.flag(generated, "generated", strategy="sessions", optional=True)
    choices = [
        (lifecycle, status)
        for lifecycle in pool
        for status in lifecycle.statuses
        if not taking_bookings or (status.busy and not status.terminal)
    ]
    if not choices:
        names = [lifecycle.name for lifecycle in pool]
        raise InvalidValue(
            f"sessions(taking_bookings=True): no lifecycle of {names} has a busy status that"
            " is not terminal",
            value=names,
            expected="a lifecycle whose sessions can take bookings",
        )
    minutes = int((max_start - min_start).total_seconds() // 60)
    first = min_start.replace(tzinfo=UTC)

    @st.composite
    def one(draw: st.DrawFn) -> Session:
        lifecycle, status = draw(st.sampled_from(choices))
        start = first + timedelta(minutes=draw(st.integers(0, minutes)))
        span = TimeSpan(start, start + timedelta(minutes=draw(st.integers(15, 240))))
        zone = draw(st.sampled_from(zone_pool))
        refs = st.builds(
            lambda kind, n: ResourceRef(kind, f"{kind[0]}{n}"),
            st.sampled_from(kinds),
            st.integers(1, 5),
        )
        resources = draw(st.lists(refs, max_size=3)) if kinds else []
        from_series = draw(st.booleans()) if generated is None else generated
        local = span.start.astimezone(get_zone(zone)).replace(tzinfo=None)
        return Session(
            id=f"s{draw(st.integers(1, 10**6))}",
            tenant=tenant,
            title=draw(_TITLES),
            span=span,
            tz=zone,
            status=status.name,
            lifecycle=lifecycle.name,
            busy=status.busy,
            created_at=span.start - timedelta(days=draw(st.integers(1, 90))),
            created_by=draw(st.sampled_from([None, "admin", "teacher:t1"])),
            resources=tuple(resources),
            series_id="series-1" if from_series else None,
            occurrence_key=local if from_series else None,
            is_extra=not from_series,
            capacity=draw(st.just(1) | st.integers(1, max_capacity)),
        )

    return one()


def _drawn_booking(
    draw: st.DrawFn,
    session: Session,
    at: datetime,
    status: str,
    *,
    booking_id: str,
    participant: ResourceRef,
    roles: Sequence[str],
) -> Booking:
    """A booking of ``session`` made before ``at`` (and before the start), in ``status``."""
    latest = min(at, session.start) - timedelta(minutes=1)
    room = int((latest - session.created_at).total_seconds() // 60)
    made = latest - timedelta(minutes=draw(st.integers(0, min(room, 30 * 24 * 60))))
    expires = None
    position = None
    # What an EXPIRED booking was: a hold or an offer that ran out, or a waitlist place its
    # session's start ended (only once the session started). Each keeps what it had.
    was = status
    if status == EXPIRED:
        was = draw(st.sampled_from([HELD, OFFERED] + ([WAITLISTED] if session.start <= at else [])))
    if was in (HELD, OFFERED):
        # A hold or offer of 1 minute to 2 hours: live at ``at``, or run out (no job ran yet).
        expires = made + timedelta(minutes=draw(st.integers(1, 120)))
        if status == EXPIRED and expires > at:  # the expiry job marked it: it ran out by ``at``
            expires = at
    if was in (WAITLISTED, OFFERED) or (status == CANCELLED and draw(st.booleans())):
        position = 1  # renumbered in creation order by the caller
    return Booking(
        id=booking_id,
        tenant=session.tenant,
        session_id=session.id,
        participant=participant,
        role=draw(st.sampled_from(list(roles))),
        seats=draw(st.integers(1, min(3, session.capacity))),
        status=status,
        hold_expires_at=expires,
        session_start=session.start,
        session_end=session.end,
        position=position,
        created_at=made,
        created_by=draw(st.sampled_from([None, str(participant)])),
    )


def bookings(
    session: Session,
    *,
    at: datetime | None = None,
    statuses: Sequence[str] = tuple(sorted(BOOKING_STATUSES)),
    roles: Sequence[str] = ("student", "client", "attendee"),
) -> st.SearchStrategy[Booking]:
    """A :class:`~sessionkit.model.booking.Booking` of ``session``, as it is stored at ``at``.

    ``at`` defaults to a minute before the session starts. The booking was made
    before both, in a status from ``statuses`` with the fields that status
    carries: a hold or offer has its expiry, live at ``at`` or run out (a
    booking whose expiry job has not run yet); an ``EXPIRED`` one was a hold
    or an offer and keeps the instant it ran out, or, once the session has
    started at ``at``, a waitlist place its start ended (no expiry); waitlisted
    and offered bookings (and those that were) have a waitlist ``position``.
    Options that leave nothing to draw raise ``InvalidValue``, options of the
    wrong type ``WrongType``. Seats are 1..3, never above the capacity. For
    several bookings of one session that fit its capacity together, draw
    :func:`booked_sessions`.
    """
    if not isinstance(session, Session):
        raise WrongType(session, name="bookings(session)", expected="a Session")
    role_pool = _args.roles(roles, strategy="bookings")
    when = session.start - timedelta(minutes=1) if at is None else check_aware(at, "bookings(at)")
    if min(when, session.start) - timedelta(minutes=1) < session.created_at:
        raise InvalidValue(
            f"bookings(at={when.isoformat()}): session {session.id!r} was created at"
            f" {session.created_at.isoformat()}, too late for a booking made before then",
            value=when,
            expected="an instant at least a minute after the session was created",
        )
    chosen = _args.names(statuses, "statuses", strategy="bookings")
    if not all(isinstance(status, str) and status in BOOKING_STATUSES for status in chosen):
        raise InvalidValue(
            f"bookings(statuses={chosen!r}): a stored booking's status is one of"
            f" {sorted(BOOKING_STATUSES)}",
            value=chosen,
            expected=f"one or more of {sorted(BOOKING_STATUSES)}",
        )
    drawn_status = st.sampled_from(sorted(set(chosen)))

    @st.composite
    def one(draw: st.DrawFn) -> Booking:
        return _drawn_booking(
            draw,
            session,
            when,
            draw(drawn_status),
            booking_id=f"b{draw(st.integers(1, 10**6))}",
            participant=ResourceRef("student", f"p{draw(st.integers(1, 50))}"),
            roles=role_pool,
        )

    return one()


@attrs.frozen(kw_only=True)
class BookedSession:
    """A session and its stored bookings as they stand at instant ``at``; the oracle of its seats.

    ``bookings`` are in creation order. ``taken`` and ``remaining`` are what
    sessionkit's reads must say at ``at`` (``kit.bookings.remaining_seats``,
    ``bookable``): the seats held, offered and confirmed bookings take then (a
    hold that ran out takes none), and what a newcomer could book (none once
    the session has started, or if it is not busy; the waitlist's seats are
    owed to it).
    """

    session: Session
    bookings: tuple[Booking, ...]
    at: datetime

    @property
    def taken(self) -> int:
        """The seats the bookings take at :attr:`at`."""
        return seats_taken(self.bookings, self.at)

    @property
    def remaining(self) -> int:
        """The seats a newcomer could book at :attr:`at`."""
        if not self.session.busy or self.session.start <= self.at:
            return 0
        return max(0, self.session.capacity - self.taken - seats_owed(self.bookings))


_BOOKED_FIRST = datetime(1, 1, 1) + timedelta(days=100)
_BOOKED_LAST = _LAST - timedelta(days=40)
"""The ``at`` of a booked session: room for its creation before and its session after."""


def booked_sessions(
    *,
    at: datetime | None = None,
    max_bookings: int = 12,
    lifecycles: Sequence[Lifecycle | str] | None = None,
    roles: Sequence[str] = ("student", "client", "attendee"),
) -> st.SearchStrategy[BookedSession]:
    """A session taking bookings and up to ``max_bookings`` bookings of it, consistent at ``at``.

    What the booking commands and the expiry job leave, replayed in time
    order as the services run them: requests made one after another, each
    seated (held or confirmed) when its seats fit beside those taken and
    those owed to the waitlist, else queued (``book(..., waitlist=True)``);
    holds and offers confirmed in time or left to run out; some bookings
    cancelled; the job run at none to two instants up to ``at``. Every
    command but a confirm settles the session first, as the services do:
    what ran out is EXPIRED, and freed seats are offered to the waitlist in
    order. So: at most one booking in play (held, confirmed, waitlisted,
    offered) per participant, cancelled and expired ones besides (a
    participant books again once theirs left play); never more seats taken
    than the capacity; waitlist positions 1, 2, ... in creation order, and
    a waitlist only while its first in line needs more seats than were
    free when the session was last settled (no command leaves a seat free
    in front of it); holds and offers live or run out at ``at``, one that
    ran out after the last write to its session still stored as it was (no
    job ran since: a tick would still settle it). A changed booking is
    stamped as the store stamps it (``updated_at``, ``updated_by``,
    ``version``). ``at`` is an aware instant (default: drawn); the
    session, a loose one (no series, so it can be stored as it is), starts
    from 2 days before it (started and past sessions come too) to 30 days
    after it. :attr:`BookedSession.taken` and :attr:`BookedSession.remaining`
    are the oracle of its seats at ``at``. Options that leave nothing to draw
    raise ``InvalidValue`` naming the option, and options of the wrong type
    ``WrongType``.
    """
    _args.count(max_bookings, "max_bookings", strategy="booked_sessions", least=0)
    role_pool = _args.roles(roles, strategy="booked_sessions")
    fixed = None if at is None else check_aware(at, "booked_sessions(at)").astimezone(UTC)
    # The session starts up to 30 days after ``at``, and was made up to 90 days before it.
    if fixed is not None and not _BOOKED_FIRST <= fixed.replace(tzinfo=None) <= _BOOKED_LAST:
        raise InvalidValue(
            f"booked_sessions(at={fixed.isoformat()}): the session and its bookings would lie"
            " outside the instants a datetime holds",
            value=at,
            expected=f"an instant from {_BOOKED_FIRST} to {_BOOKED_LAST} UTC",
        )
    _args.lifecycle_pool(lifecycles, strategy="booked_sessions")
    sessions(lifecycles=lifecycles, taking_bookings=True)  # refuses lifecycles that draw none
    return _booked_sessions(fixed, max_bookings, lifecycles, role_pool)


@st.composite
def _booked_sessions(
    draw: st.DrawFn,
    at: datetime | None,
    max_bookings: int,
    lifecycles: Sequence[Lifecycle | str] | None,
    roles: Sequence[str],
    replay_by: type[Replay] = Replay,
) -> BookedSession:
    when = (
        draw(aware_datetimes(min_value=_SESSION_MIN, max_value=_SESSION_MAX)).astimezone(UTC)
        if at is None
        else at
    )
    offset = draw(st.integers(-2 * 24 * 60, 30 * 24 * 60))
    lowest = (when + timedelta(minutes=offset)).replace(tzinfo=None, second=0, microsecond=0)
    session = draw(
        sessions(
            lifecycles=lifecycles,
            taking_bookings=True,
            generated=False,
            min_start=lowest,
            max_start=lowest,
        )
    )
    # The session existed before anything was booked: made 1 to 90 days before ``at``.
    created = min(session.created_at, when - timedelta(days=draw(st.integers(1, 90))))
    session = attrs.evolve(session, created_at=created)
    replay = replay_by(session, offer_for=draw(_minutes(1, 2 * 24 * 60)))
    # Requests are made before ``at`` and before the start; cancels too.
    latest = min(when, session.start) - timedelta(minutes=1)
    room = int((latest - created).total_seconds() // 60)
    count = draw(st.integers(0, max_bookings))
    # Half of them in the last two hours, where holds and offers still run at ``at``.
    back = st.integers(0, min(room, 120)) | st.integers(0, min(room, 30 * 24 * 60))
    made = sorted(latest - timedelta(minutes=draw(back)) for _ in range(count))
    for n, instant in enumerate(made):
        cancel = None
        if draw(st.integers(0, 3)) == 3:
            cancel = instant + timedelta(
                minutes=draw(st.integers(0, int((latest - instant).total_seconds() // 60)))
            )
        replay.request(
            f"b{n + 1}",
            Request(
                made=instant,
                seats=draw(st.integers(1, min(3, session.capacity))),
                role=draw(st.sampled_from(list(roles))),
                again=draw(st.integers(0, n)),
                confirm=draw(st.integers(0, 2)) == 2,
                hold_for=draw(_minutes(1, 120)),
                claim_after=draw(st.none() | _minutes(0, 180)),
                cancel_at=cancel,
                by_self=draw(st.booleans()),
            ),
        )
    # The expiry job ran at none to two instants up to ``at`` (included).
    since = int((when - created).total_seconds() // 60)
    for _ in range(draw(st.integers(0, 2))):
        replay.tick(when - timedelta(minutes=draw(st.integers(0, since))))
    return BookedSession(session=session, bookings=replay.run(until=when), at=when)
