"""Hypothesis: an expansion's candidate cost does not depend on the path that expands it.

The arithmetic paths (DAILY, WEEKLY, simple MONTHLY / YEARLY) and dateutil must
refuse the same rule, window and budget alike (the same limit, count and rule),
and a daily or weekly rule in UTC costs what a naive count says it does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from dateutil.rrule import rrulestr
from hypothesis import assume, given
from hypothesis import strategies as st

from sessionkit.errors import ExpansionLimitExceeded
from sessionkit.recurrence import YEAR_COST, Occurrence, Recurrence
from sessionkit.testing import strategies as sks

windows = st.tuples(st.integers(-40, 900), st.integers(1, 400))
MARGIN = timedelta(days=2)  # the stretch an expansion covers: the window and two days either side


def _window(rec: Recurrence, offset_days: int, width_days: int) -> tuple[datetime, datetime]:
    anchor = rec.start.replace(tzinfo=UTC)
    lo = anchor + timedelta(days=offset_days, hours=offset_days % 24)
    return lo, lo + timedelta(days=width_days)


def _outcome(
    rec: Recurrence, lo: datetime, hi: datetime, limit: int
) -> list[Occurrence] | tuple[int, object, str]:
    try:
        return list(rec.between(lo, hi, max_candidates=limit))
    except ExpansionLimitExceeded as error:
        return (error.limit, error.value, error.rule)


@given(sks.recurrences(), windows, st.integers(1, 3000))
def test_the_fast_path_is_charged_as_the_general_path(
    rec: Recurrence, window: tuple[int, int], limit: int
) -> None:
    plan = rec._plan
    assume(plan.fast is not None)
    lo, hi = _window(rec, *window)
    general = attrs.evolve(rec)
    object.__setattr__(general, "_plan", plan._replace(fast=None))
    assert _outcome(rec, lo, hi, limit) == _outcome(general, lo, hi, limit)


def _naive_cost(rule: str, start: datetime, lo: datetime, hi: datetime) -> int:
    """Periods of the stretch, dates examined and years after the first, counted one by one."""
    s = max(start - timedelta(days=1), lo.replace(tzinfo=None) - MARGIN)
    h = hi.replace(tzinfo=None) + MARGIN
    weekly = "FREQ=WEEKLY" in rule
    interval = int(rule.split("INTERVAL=")[1].split(";")[0]) if "INTERVAL=" in rule else 1
    length = timedelta(days=7 * interval if weekly else interval)
    period = datetime.combine(start.date(), datetime.min.time())
    if weekly:
        period -= timedelta(days=start.weekday())  # WKST=MO
    periods = 0
    # DTSTART's period, the one holding s, and every later one starting before h (the
    # first begins at DTSTART: there are no dates before it).
    while max(period, start) < h:
        if period + length > s:
            periods += 1
        period += length
    dates: list[datetime] = []
    for moment in rrulestr(rule, dtstart=start):
        if moment >= h:
            break
        if moment >= s:
            dates.append(moment)
            if moment >= hi.replace(tzinfo=None):  # the first past the window ends it
                break
    years = len({moment.year for moment in dates})
    return periods + len(dates) + YEAR_COST * max(0, years - 1)


@given(
    st.sampled_from(["FREQ=DAILY", "FREQ=WEEKLY"]),
    st.integers(1, 3),
    st.sampled_from(["", ";BYDAY=MO,TH", ";BYDAY=SU", ";BYMONTH=1,6,12"]),
    st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)).map(
        lambda at: at.replace(second=0, microsecond=0)
    ),
    st.integers(-30, 400),
    st.integers(1, 120),
)
def test_a_daily_or_weekly_rule_costs_what_a_naive_count_says(
    freq: str, interval: int, parts: str, start: datetime, offset: int, width: int
) -> None:
    rule = f"{freq};INTERVAL={interval}{parts}"
    rec = Recurrence.from_rrule(rule, start=start, duration=timedelta(minutes=30), tz="UTC")
    assume(rec._plan.fast is not None)
    lo = start.replace(tzinfo=UTC) + timedelta(days=offset, hours=offset % 24)
    hi = lo + timedelta(days=width)
    cost = _naive_cost(rule, start, lo, hi)
    expected = list(rec.between(lo, hi))
    assert list(rec.between(lo, hi, max_candidates=max(cost, 1))) == expected
    if cost <= 1:  # a window ending before DTSTART (a limit of 0 is refused as such)
        return
    with pytest.raises(ExpansionLimitExceeded) as refused:
        list(rec.between(lo, hi, max_candidates=cost - 1))
    assert (refused.value.limit, refused.value.value) == (cost - 1, cost)
