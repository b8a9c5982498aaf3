"""A refused duration argument is told in words ("got 0 seconds"), not Python's repr.

The messages printed a timedelta as ``str`` gives it ("got 0:00:00", "got -1 day,
23:00:00") or as ``repr`` does ("got datetime.timedelta(days=-1)"); each error's
``value`` is still the timedelta itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import create_engine

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.availability import Availability, free_slots
from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown_duration
from sessionkit.lifecycle import Timer
from sessionkit.limits import Limits
from sessionkit.model.attendance import AttendanceThresholds
from sessionkit.model.money import Money
from sessionkit.policies import BookingRules, NoticePolicy, Rate, RefundTier
from sessionkit.policies.notice import NoticeRule
from sessionkit.recurrence import Recurrence
from sessionkit.services.rooms import JoinRules
from sessionkit.testing.clocks import ManualClock
from sessionkit.timespan import TimeSpan, check_delta

ZERO = timedelta(0)
BACK = -timedelta(hours=1)
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
SPAN = TimeSpan(NOW, NOW + timedelta(hours=1))
HOURS = Availability.weekly({"MO": [(time(9), time(17))]}, tz="UTC")

CASES: dict[str, tuple[Callable[[], object], str, timedelta]] = {
    "check_delta positive": (
        lambda: check_delta(ZERO, "step", positive=True),
        "step must be positive, got 0 seconds",
        ZERO,
    ),
    "check_delta negative": (
        lambda: check_delta(BACK, "buffer"),
        "buffer must not be negative, got -1 hour",
        BACK,
    ),
    "check_delta maximum": (
        lambda: check_delta(timedelta(days=2), "gap", maximum=timedelta(days=1)),
        "gap must be at most 1 day long, got 2 days",
        timedelta(days=2),
    ),
    "TimeSpan.shift": (
        lambda: SPAN.shift(timedelta(days=3_000_000)),
        "moved by 3,000,000 days is outside the years 1 to 9999",
        timedelta(days=3_000_000),
    ),
    "free_slots step": (
        lambda: free_slots(
            HOURS, [], window=(NOW, NOW + timedelta(days=1)), duration=-BACK, step=timedelta(days=2)
        ),
        "step must be at most one day (the grid restarts at local midnight), got 2 days",
        timedelta(days=2),
    ),
    "Limits.window": (
        lambda: Limits(window=ZERO),
        "Limits.window must be longer than zero and at most 36,600 days (100 years), got 0 seconds",
        ZERO,
    ),
    "Timer offset": (
        lambda: Timer("start", timedelta(days=36_601)),
        "either way, got 36,601 days",
        timedelta(days=36_601),
    ),
    "Recurrence duration": (
        lambda: Recurrence.from_rrule("FREQ=DAILY", start=NOW, tz="UTC", duration=BACK),
        "duration must be positive, got -1 hour",
        BACK,
    ),
    "SqlAlchemyStore lock_timeout": (
        lambda: SqlAlchemyStore(create_engine("sqlite://"), lock_timeout=ZERO),
        "lock_timeout must be positive, got 0 seconds",
        ZERO,
    ),
    "AttendanceThresholds": (
        lambda: AttendanceThresholds(late_after=-timedelta(minutes=5)),
        "AttendanceThresholds.late_after must be a timedelta >= 0, got -5 minutes",
        -timedelta(minutes=5),
    ),
    "JoinRules": (
        lambda: JoinRules(buffer=BACK),
        "JoinRules.buffer must be a timedelta >= 0, got -1 hour",
        BACK,
    ),
    "BookingRules non-negative": (
        lambda: BookingRules(min_notice=BACK),
        "BookingRules.min_notice must be a timedelta from 0 to a century, got -1 hour",
        BACK,
    ),
    "BookingRules positive": (
        lambda: BookingRules(hold_for=ZERO),
        "BookingRules.hold_for must be a timedelta longer than 0 and at most a century, got 0 s",
        ZERO,
    ),
    "Rate.per": (
        lambda: Rate(Money.of(40, "EUR"), per=ZERO),
        "Rate.per must be a timedelta > 0, got 0 seconds",
        ZERO,
    ),
    "RefundTier.notice": (
        lambda: RefundTier(BACK, 100),
        "RefundTier.notice must be a timedelta from 0 to a century, got -1 hour",
        BACK,
    ),
    "NoticeRule.notice": (
        lambda: NoticeRule("cancel", {"student"}, BACK),
        "notice must be a timedelta from 0 to a century, got -1 hour",
        BACK,
    ),
    "NoticePolicy positive": (
        lambda: NoticePolicy(answer_within=ZERO),
        "NoticePolicy.answer_within must be a timedelta longer than 0 and at most a century, got 0",
        ZERO,
    ),
    "ManualClock.advance": (
        lambda: ManualClock(NOW).advance(timedelta(days=3_000_000)),
        "ManualClock.advance(3,000,000 days): from 2026-03-02T09:00:00+00:00 the clock",
        timedelta(days=3_000_000),
    ),
}


@pytest.mark.parametrize(("call", "told", "value"), CASES.values(), ids=CASES.keys())
def test_a_refused_duration_is_told_in_words(
    call: Callable[[], object], told: str, value: timedelta
) -> None:
    with pytest.raises(InvalidValue) as refused:
        call()
    assert told in str(refused.value)
    assert ":00" not in str(refused.value).replace(NOW.isoformat(), "")
    assert (refused.value.value, type(refused.value.value)) == (value, timedelta)


def test_a_refused_value_of_another_type_is_shown_as_it_is() -> None:
    assert [shown_duration(x) for x in (BACK, 5, "1h", None)] == ["-1 hour", "5", "'1h'", "None"]
    with pytest.raises(InvalidValue, match=r"got '1h'$"):
        BookingRules(min_notice="1h")  # type: ignore[arg-type]
