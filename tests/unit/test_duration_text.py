"""Durations in refusal reasons and limit messages read as a person says them, not as Python's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionkit.errors import LimitExceeded
from sessionkit.errors._base import duration_text
from sessionkit.policies import BookingRules
from sessionkit.testing.contract import make_session


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(0), "0 seconds"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=3660), "3,660 days"),
        (timedelta(hours=2, minutes=30), "2 hours 30 minutes"),
        (timedelta(minutes=1, seconds=30), "1 minute 30 seconds"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(seconds=1.5), "1.5 seconds"),
        (timedelta(microseconds=5), "0.000005 seconds"),
        (timedelta(days=1, seconds=1), "1 day 1 second"),
        (-timedelta(hours=1), "-1 hour"),
        (timedelta.min, "-999,999,999 days"),
    ],
)
def test_duration_text(span: timedelta, text: str) -> None:
    assert duration_text(span) == text


def test_booking_refusals_and_limits_say_durations_in_words() -> None:
    # "bookings open 28 days, 0:00:00 before the start" reached a "book" button as it was.
    session = make_session("s", at=24 * 60)  # 60 days after T0
    rules = BookingRules(min_notice=timedelta(hours=2), max_horizon=timedelta(weeks=4))
    early = rules.refusal(session, session.start - timedelta(days=40))
    assert early is not None
    assert early.reason == "bookings open 28 days before the start"
    late = rules.refusal(session, session.start - timedelta(hours=1))
    assert late is not None
    assert late.reason.startswith("bookings close 2 hours before the start (")
    limit = LimitExceeded("max_window", timedelta(days=7305), timedelta(days=3660), what="window")
    assert str(limit).startswith("window: 7,305 days is more than Limits.max_window allows (3,660")
