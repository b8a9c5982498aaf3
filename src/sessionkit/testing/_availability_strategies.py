"""The opening-hours strategies: :func:`daily_hours`, :func:`weekly_hours`, :func:`availabilities`.

Private: import them from :mod:`sessionkit.testing.strategies`, which
re-exports every public name. Also :func:`booking_rules`, the rules a
schedule's sessions are booked under, and :func:`minutes`, which it and the
booking strategies draw lengths with.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from sessionkit.availability import Availability
from sessionkit.errors import InvalidValue
from sessionkit.policies import BookingRules
from sessionkit.testing import _strategy_args as _args
from sessionkit.testing._time_strategies import DST_ZONES, _checked_zones, _days, timezones

__all__ = [
    "availabilities",
    "booking_rules",
    "daily_hours",
    "minutes",
    "weekly_hours",
]


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
    """Durations of whole minutes from ``low`` to ``high`` (both included), shrinking to ``low``."""
    return st.integers(low, high).map(lambda n: timedelta(minutes=n))


def booking_rules(*, zones: Sequence[str | tzinfo] = DST_ZONES) -> st.SearchStrategy[BookingRules]:
    """Valid :class:`~sessionkit.policies.BookingRules`: every field drawn, limits often off.

    Notice up to 3 days (0 included), a horizon of none or 1 to 60 days (never
    shorter than the notice: such rules refuse every start and are invalid),
    a capacity cap, per-day and per-week limits each ``None`` or small, the
    per-day zone from ``zones`` (as its name, a ``ZoneInfo`` given too),
    holds of 1 minute to 2 hours, offers of 1 minute to 2 days, the four
    flags (``waitlist``, ``lock_booked``, ``reschedule_booked``,
    ``publish_in_horizon``) and
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
        reschedule_booked=st.booleans(),
        publish_in_horizon=st.booleans(),
        when_emptied=st.none() | st.just("cancel"),
    )


def _rules(*, min_notice: timedelta, max_horizon: timedelta | None, **rest: Any) -> BookingRules:
    """The rules drawn, a horizon shorter than the notice lengthened by the notice."""
    if max_horizon is not None and max_horizon < min_notice:
        max_horizon += min_notice
    return BookingRules(min_notice=min_notice, max_horizon=max_horizon, **rest)
