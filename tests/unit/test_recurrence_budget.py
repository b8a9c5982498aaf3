"""The candidate budget holds every expansion path to the same count.

DAILY and WEEKLY rules (and simple MONTHLY / YEARLY ones) are expanded
arithmetically; they charged the budget only every 4,096 periods and once more
when they ran to the end, which they never did (the expansion stops at the
first occurrence past the window). So ``FREQ=DAILY`` over 20 days returned 20
occurrences under ``max_candidates=5``, and a kit with ``Limits(candidates=30)``
made a daily series of 61 sessions, where a MINUTELY rule was refused at 6.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from sessionkit import Limits
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import ExpansionLimitExceeded
from sessionkit.model import ScheduleItem
from sessionkit.recurrence import Occurrence, Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

LO = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _general(rec: Recurrence) -> Recurrence:
    """The same recurrence, expanded through dateutil whatever its rule."""
    general = attrs.evolve(rec)
    object.__setattr__(general, "_plan", rec._plan._replace(fast=None))
    return general


def _outcome(
    rec: Recurrence, lo: datetime, hi: datetime, limit: int
) -> list[Occurrence] | tuple[str, int, object, str]:
    try:
        return list(rec.between(lo, hi, max_candidates=limit))
    except ExpansionLimitExceeded as error:
        return (error.name, error.limit, error.value, error.rule)


@pytest.mark.parametrize(
    ("rule", "days"),
    [
        ("FREQ=DAILY", 20),
        ("FREQ=DAILY", 4000),
        ("FREQ=WEEKLY;BYDAY=MO", 3000),
        ("FREQ=MONTHLY;BYMONTHDAY=1", 400),
        ("FREQ=YEARLY", 3000),
        ("FREQ=MINUTELY;BYMINUTE=0;BYHOUR=9", 20),
    ],
)
def test_a_small_budget_refuses_every_rule_at_the_same_count(rule: str, days: int) -> None:
    rec = Recurrence.from_rrule(
        rule, start=datetime(2026, 3, 1, 9), duration=HOUR, tz="Europe/Berlin"
    )
    outcome = _outcome(rec, LO, LO + timedelta(days=days), 5)
    assert outcome == ("candidates", 5, 6, rule)
    assert _outcome(_general(rec), LO, LO + timedelta(days=days), 5) == outcome


def test_a_daily_week_costs_its_periods_and_dates() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=DAILY", start=datetime(2026, 3, 1, 9), duration=HOUR, tz="UTC"
    )
    lo, hi = datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 3, 17, tzinfo=UTC)
    # The stretch is the window and two days either side: 8 to 18 March, 11 days (periods),
    # and the dates examined are those from 8 March 09:00 up to the first past the window
    # (17 March 09:00), 10 of them: 21 in all, on either path.
    for path in (rec, _general(rec)):
        assert len(list(path.between(lo, hi, max_candidates=21))) == 7
        with pytest.raises(ExpansionLimitExceeded) as refused:
            list(path.between(lo, hi, max_candidates=20))
        assert (refused.value.limit, refused.value.value) == (20, 21)


@pytest.mark.parametrize("limit", [4095, 4096, 4097, 6000, 8192, 9000, 12_000, 30_000])
def test_a_count_rule_walking_chunks_costs_the_same_on_either_path(limit: int) -> None:
    # COUNT walks from DTSTART (30 years back): more than one chunk of 4,096 periods.
    rec = Recurrence.from_rrule(
        "FREQ=DAILY;COUNT=20000;BYDAY=MO,WE",
        start=datetime(1996, 3, 1, 9),
        duration=HOUR,
        tz="Europe/Berlin",
    )
    lo, hi = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    assert _outcome(rec, lo, hi, limit) == _outcome(_general(rec), lo, hi, limit)


def test_the_services_hold_a_daily_series_to_limits_candidates() -> None:
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=ManualClock(LO), limits=Limits(candidates=30)
    )
    daily = Recurrence.from_rrule(
        "FREQ=DAILY", start=datetime(2026, 3, 1, 9), duration=HOUR, tz="Europe/Berlin"
    )
    with pytest.raises(ExpansionLimitExceeded) as refused:
        kit.series.create("acme", actor="a", title="D", items=[ScheduleItem("d", daily, ["t:a"])])
    assert (refused.value.limit, refused.value.value) == (30, 31)
    assert kit.queries.list("acme").total == 0
