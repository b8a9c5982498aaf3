"""Durations in refusal reasons and limit messages read as a person says them, not as Python's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import JoinRefused, LimitExceeded
from sessionkit.errors._base import duration_text
from sessionkit.policies import BookingRules, NoticePolicy, coaching_notice
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy
from sessionkit.services.rooms import JoinRules
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import make_session
from sessionkit.testing.rooms import FakeMeetingRooms


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


def test_notice_window_and_silence_refusals_say_durations_in_words() -> None:
    # The window's and silence's reasons were left out: "within 10:00:00 of the start".
    session = make_session("s", at=24 * 60)
    inside = coaching_notice().notice_refusal(
        "request_reschedule", "tutor", session, session.start - timedelta(hours=1)
    )
    assert inside is not None
    assert inside.reason == "within 10 hours of the start only student may request reschedule"
    now = session.start - timedelta(days=3)
    silence = NoticePolicy(min_lead=timedelta(0)).silence_refusal(
        session, now, now + timedelta(hours=2)
    )
    assert silence is not None
    assert "(min_lead is 0 seconds);" in silence.reason


def test_a_join_too_early_says_its_duration_in_words() -> None:
    start = datetime(2026, 3, 2, 17, tzinfo=UTC)
    rooms = FakeMeetingRooms()
    rules = JoinRules(joinable={"SCHEDULED"}, early=timedelta(minutes=10))
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=ManualClock(start - timedelta(days=1)),
        rooms=rooms,
        attendance=AttendancePolicy(join_transition=None, join=rules),
    )
    lesson = kit.sessions.create_extra(
        "acme", actor="leo", title="German", lifecycle="coaching", start=start,
        end=start + timedelta(hours=1), resources=["coach:leo"],
    )  # fmt: skip
    with pytest.raises(JoinRefused) as refused:
        kit.attendance.join_credential(
            "acme", lesson.id, "coach:leo", now=start - timedelta(hours=1)
        )
    assert str(refused.value).startswith(
        f"session {lesson.id!r} is joined from 10 minutes before its start"
    )
