"""The :func:`sessions` strategy: valid stored sessions, their starts near DST changes and Feb 29.

Private: import it from :mod:`sessionkit.testing.strategies`. The bounds
:data:`_SESSION_MIN` and :data:`_SESSION_MAX` are also the default instants
of :func:`~sessionkit.testing._booked_sessions_strategy.booked_sessions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta, tzinfo

from hypothesis import strategies as st

from sessionkit.errors import InvalidValue
from sessionkit.lifecycle import Lifecycle, Status
from sessionkit.model.session import MAX_CAPACITY, ResourceRef, Session
from sessionkit.model.text import check_tenant
from sessionkit.recurrence._clock import year_transitions
from sessionkit.testing import _strategy_args as _args
from sessionkit.testing._value_strategies import (
    DST_ZONES,
    LAST,
    leap_day,
)
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone

__all__ = [
    "sessions",
]

_TITLES = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=60)
_SESSION_MIN = datetime(2026, 1, 1)
_SESSION_MAX = datetime(2028, 12, 31)
"""The default start bounds of :func:`sessions`: 2028 holds a leap day."""


_FIRST_START = datetime(1, 1, 1) + timedelta(days=91)
_LAST_START = LAST - timedelta(hours=5)
"""The starts :func:`sessions` draws between: room for ``created_at`` and the session's end.

A start is also read in its zone (the ``occurrence_key`` of a generated
session): the zone furthest ahead of UTC in a pool takes that much room more
(:func:`_last_start`).
"""


def _last_start(zone_pool: Sequence[str]) -> tuple[datetime, str, timedelta]:
    """Return the last start drawn in ``zone_pool``, the zone furthest ahead of UTC and its offset.

    The offset is the zone's in the last year a datetime holds (the larger
    one, in DST or not): a session starting at the bound, read in that zone,
    still ends before the last datetime.
    """
    ahead, zone = max((_ahead(name), name) for name in zone_pool)
    return _LAST_START - ahead, zone, ahead


def _ahead(zone: str) -> timedelta:
    """Return how far ``zone`` is ahead of UTC in the year 9999, summer or winter (0 if behind)."""
    offsets = [get_zone(zone).utcoffset(datetime(9999, month, 1)) for month in (1, 7)]
    return max([timedelta(0)] + [offset for offset in offsets if offset is not None])


def _start_bound(value: object, name: str, zone_pool: Sequence[str]) -> datetime:
    """Return a start bound as naive UTC (an aware one converted), within what can be drawn."""
    naive = _args.naive_utc(value, name, strategy="sessions")
    last, zone, ahead = _last_start(zone_pool)
    if not _FIRST_START <= naive <= last:
        raise InvalidValue(
            f"sessions({name}={value}): a session made up to 90 days before it, or ending up"
            f" to 4 hours after it and read in {zone} (UTC+{ahead}), would lie outside the"
            " instants a datetime holds",
            value=value,
            expected=f"{_FIRST_START} to {last} (UTC), for zones in {list(zone_pool)}",
        )
    return naive


def sessions(
    *,
    tenant: str = "acme",
    lifecycles: Sequence[Lifecycle | str] | None = None,
    taking_bookings: bool = False,
    zones: Sequence[str | tzinfo] = DST_ZONES,
    min_start: datetime = _SESSION_MIN,
    max_start: datetime = _SESSION_MAX,
    max_capacity: int = 20,
    resource_kinds: Sequence[str] = ("teacher", "room"),
    min_capacity: int = 1,
    generated: bool | None = None,
) -> st.SearchStrategy[Session]:
    """Valid :class:`~sessionkit.model.Session` values, as a store holds them.

    Of a lifecycle from ``lifecycles`` (``Lifecycle`` values or preset names;
    default: every preset whose subject is ``"session"``; a lifecycle of
    another subject, such as ``consulting_payment``, is refused with
    ``LifecycleNotApplicable``), in one of its statuses a stored session
    can reach (from its ``entry_status``: a session is stored with its time,
    so never the academy's UNSCHEDULED), ``busy`` as that status says; with
    ``taking_bookings``, only statuses that are busy and
    not terminal (a session the booking commands accept, if it has not
    started), of the lifecycles that have one. Starts on whole minutes
    (one draw in four within 6 hours of a DST change of its zone, and one in
    eight on a Feb 29 in its zone, when the bounds hold one) between the UTC
    bounds (by default 2026-01-01 and 2028-12-31; naive, or aware and read
    as the instants they are; a bound near the last datetime must leave
    room for the end, read in the zone of ``zones`` furthest ahead of
    UTC), 15 minutes to 4 hours
    long, a zone from ``zones`` (drawn as its name, a ``ZoneInfo`` given
    too), capacity ``min_capacity``..``max_capacity`` (by default 1..20; the
    least, one-to-one, in about half the draws, 1 to 3 more in one in four),
    up to three
    resources of ``resource_kinds`` (``t1``, ``r2``...), any storable title
    (empty included). Loose sessions
    (``is_extra``) and sessions generated from series ``"series-1"`` (its
    id and occurrence key set), or only one kind (``generated=False`` /
    ``True``): a store keeps a generated session only once its series is
    stored. Sessions drawn apart may share an id (``s1``), which a store
    refuses: draw several as ``st.lists(sessions(...), unique_by=lambda s: s.id)``.
    Options that leave nothing to draw raise ``InvalidValue`` naming
    the option, and options of the wrong type ``WrongType``.
    """
    with _args.naming("tenant", tenant, strategy="sessions"):
        check_tenant(tenant)
    pool = _args.lifecycle_pool(lifecycles)
    _args.flag(taking_bookings, "taking_bookings", strategy="sessions")
    zone_pool = _args.zone_names(zones, "zones", strategy="sessions")
    min_start = _start_bound(min_start, "min_start", zone_pool)
    max_start = _start_bound(max_start, "max_start", zone_pool)
    kinds = _args.names(
        resource_kinds, "resource_kinds", strategy="sessions", what="kinds", empty=True
    )
    with _args.naming("resource_kinds", resource_kinds, strategy="sessions"):
        for kind in kinds:
            ResourceRef(kind, "x1")  # a kind a reference can have, else InvalidValue naming it
    _args.not_after(min_start, max_start, strategy="sessions")
    min_start, max_start = _args.whole(min_start, max_start, strategy="sessions", unit="minute")
    max_capacity = _args.count(
        max_capacity, "max_capacity", strategy="sessions", least=1, most=MAX_CAPACITY
    )
    min_capacity = _args.count(
        min_capacity, "min_capacity", strategy="sessions", least=1, most=max_capacity
    )
    _args.flag(generated, "generated", strategy="sessions", optional=True)
    choices = [
        (lifecycle, status)
        for lifecycle in pool
        for status in lifecycle.statuses
        if status.name in lifecycle.reachable_from(lifecycle.entry_status)
        and (not taking_bookings or (status.busy and not status.terminal))
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
    kinds_drawn = st.sampled_from(kinds) if kinds else None
    return _drawn_sessions(
        _Choices(choices),
        zone_pool,
        min_start,
        minutes,
        kinds_drawn,
        generated,
        tenant,
        max_capacity,
        min_capacity=min_capacity,
    )


class _Choices:
    """The ``(lifecycle, status)`` pairs :func:`sessions` draws from, shown by their names.

    Hypothesis shows a strategy by its arguments (a draw that fails notes "while
    generating ... from" it): the lifecycles in full took 90 kB, past the 30 kB
    at which it warns, so a failure in a user's ``sessions().map(...)`` was
    reported as that ``HypothesisWarning`` under ``filterwarnings = error``.
    """

    __slots__ = ("pairs",)

    def __init__(self, pairs: Sequence[tuple[Lifecycle, Status]]) -> None:
        self.pairs = tuple(pairs)

    def __repr__(self) -> str:
        return repr([(lifecycle.name, status.name) for lifecycle, status in self.pairs])


# Module-level, not a closure of sessions(): st.composite reads its function's source when it
# decorates it, some 13 ms, which booked_sessions(), calling sessions() for every example, paid
# each time (and Hypothesis's too_slow health check failed on a loaded machine).
@st.composite
def _drawn_sessions(
    draw: st.DrawFn,
    choices: _Choices,
    zone_pool: list[str],
    min_start: datetime,
    minutes: int,
    kinds: st.SearchStrategy[str] | None,
    generated: bool | None,
    tenant: str,
    max_capacity: int,
    min_capacity: int = 1,
) -> Session:
    lifecycle, status = draw(st.sampled_from(choices.pairs))
    zone = draw(st.sampled_from(zone_pool))
    start = min_start.replace(tzinfo=UTC) + timedelta(
        minutes=_drawn_minute(draw, zone, min_start, minutes)
    )
    span = TimeSpan(start, start + timedelta(minutes=draw(st.integers(15, 240))))
    resources: list[ResourceRef] = []
    if kinds is not None:
        refs = st.builds(
            lambda kind, n: ResourceRef(kind, f"{kind[0]}{n}"), kinds, st.integers(1, 5)
        )
        resources = draw(st.lists(refs, max_size=3))
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
        capacity=_drawn_capacity(draw, min_capacity, max_capacity),
    )


def _drawn_capacity(draw: st.DrawFn, least: int, most: int) -> int:
    """Draw a capacity: ``least`` (one-to-one), a small group (1 to 3 more) or any.

    ``st.just(least) | st.integers(least, most)`` drew ``least`` three times in
    four (Hypothesis draws an integer's lower bound about half the time) and
    each other capacity at most once in thirty, 2 once in a hundred: a booked
    session with two seats left came once in five hundred. Now about half are
    ``least``, one in four 1 to 3 more. Shrinking goes to ``least``.
    """
    size = draw(st.sampled_from(("least", "small", "any")))
    if size == "least" or least == most:
        return least
    if size == "small":
        return draw(st.integers(least + 1, min(most, least + 3)))
    return draw(st.integers(least, most))


_NEAR = 6 * 60
"""How far from a DST transition (minutes, either way) a start drawn near one lies."""


def _drawn_minute(draw: st.DrawFn, zone: str, low: datetime, minutes: int) -> int:
    """Draw a start as whole minutes after naive UTC ``low``, at most ``minutes`` after it.

    One draw in four picks a UTC year of the bounds and, if ``zone`` changes its
    offset in it within them, starts within :data:`_NEAR` minutes of such a
    change: uniform draws land near one about once in 700 (a zone changes
    twice a year), and a session across a change is where local days are
    23 or 25 hours long. One in eight starts on a Feb 29 in ``zone`` that
    the bounds hold (uniform draws: once in 1,461 days), where a rule about
    dates breaks. Shrinking goes to the uniform draw.
    """
    pick = draw(st.integers(0, 7))  # in eighths, 0 (uniform) first: what shrinking reaches
    if pick == 5:
        day = leap_day(draw, low, low + timedelta(minutes=minutes))
        if day is not None:
            midnight = datetime.combine(day, time(), tzinfo=get_zone(zone)).astimezone(UTC)
            after = (midnight.replace(tzinfo=None) - low) // timedelta(minutes=1)
            return min(max(after + draw(st.integers(0, 24 * 60 - 1)), 0), minutes)
    if pick >= 6:
        high = low + timedelta(minutes=minutes)
        year = draw(st.integers(low.year, high.year))
        near = [t for t in year_transitions(zone, year) if low <= t <= high]
        if near:
            moment = draw(st.sampled_from(near))
            after = (moment - low) // timedelta(minutes=1) + draw(st.integers(-_NEAR, _NEAR))
            return min(max(after, 0), minutes)
    return draw(st.integers(0, minutes))
