"""Notice policies as values: every rule at exactly its limit and one second either side.

The participant's zone is Europe/Berlin; the sessions of the DST tests start
the day the clocks change (2026-03-29 and 2026-10-25), so a day's notice is 24
elapsed hours, 25 or 23 on the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessionkit.errors import InvalidDuration, InvalidValue, NaiveDatetime, WrongType
from sessionkit.model import Session
from sessionkit.policies import NoticePolicy, NoticeRule, NoticeWindow, coaching_notice
from sessionkit.timespan import TimeSpan

BERLIN = ZoneInfo("Europe/Berlin")
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)


def lesson(start: datetime) -> Session:
    return Session(
        id="s1",
        tenant="acme",
        title="Maths",
        tz="Europe/Berlin",
        status="SCHEDULED",
        span=TimeSpan(start, start + HOUR),
        lifecycle="lms",
        busy=True,
        created_at=start - timedelta(days=30),
    )


# In UTC: aware arithmetic within one zone is wall-clock arithmetic, and a DST change
# lies two days before this start.
START = datetime(2026, 3, 30, 15, tzinfo=BERLIN).astimezone(UTC)
COACHING = coaching_notice()


def rule_of(policy: NoticePolicy, action: str, role: str, session: Session, at: datetime) -> str:
    refusal = policy.may(action, role, session, at)
    return "ok" if refusal is None else refusal.rule


@pytest.mark.parametrize(
    ("role", "notice"), [("student", timedelta(hours=24)), ("coach", timedelta(hours=48))]
)
def test_notice_at_exactly_the_limit_is_enough_and_a_second_later_is_not(
    role: str, notice: timedelta
) -> None:
    session = lesson(START)
    limit = START - notice
    assert rule_of(COACHING, "request_reschedule", role, session, limit - SECOND) == "ok"
    assert rule_of(COACHING, "request_reschedule", role, session, limit) == "ok"
    assert rule_of(COACHING, "request_reschedule", role, session, limit + SECOND) == "notice"
    refusal = COACHING.may("request_reschedule", role, session, limit + SECOND)
    assert refusal is not None
    assert refusal.allows_at is None  # waiting never gives more notice
    assert COACHING.deadline_for("request_reschedule", role, session) == limit


@pytest.mark.parametrize(
    ("start", "wall_hours"),
    [
        (datetime(2026, 3, 29, 12, tzinfo=BERLIN), 25),  # the clocks jump 02:00 -> 03:00
        (datetime(2026, 10, 25, 12, tzinfo=BERLIN), 23),  # the clocks go 03:00 -> 02:00
    ],
)
def test_notice_counts_elapsed_hours_across_a_dst_change(start: datetime, wall_hours: int) -> None:
    session = lesson(start)
    limit = (start.astimezone(UTC) - timedelta(hours=24)).astimezone(BERLIN)
    wall = start.replace(tzinfo=None) - limit.replace(tzinfo=None)
    assert wall == timedelta(hours=wall_hours)
    for offset, expected in ((-SECOND, "ok"), (timedelta(0), "ok"), (SECOND, "notice")):
        assert rule_of(COACHING, "request_reschedule", "student", session, limit + offset) == (
            expected
        )
    assert COACHING.deadline_for("request_reschedule", "student", session) == limit


def test_a_window_lets_only_its_roles_in_and_its_edge_is_still_outside() -> None:
    policy = NoticePolicy(
        windows=(NoticeWindow("request_reschedule", timedelta(hours=10), {"student"}),)
    )
    session = lesson(START)
    edge = START - timedelta(hours=10)
    assert rule_of(policy, "request_reschedule", "coach", session, edge - SECOND) == "ok"
    assert rule_of(policy, "request_reschedule", "coach", session, edge) == "ok"
    assert rule_of(policy, "request_reschedule", "coach", session, edge + SECOND) == "window"
    assert rule_of(policy, "request_reschedule", "student", session, edge + SECOND) == "ok"
    assert policy.deadline_for("request_reschedule", "coach", session) == edge
    # Nothing shuts the student out but the start, which is itself refused: no last instant.
    assert policy.deadline_for("request_reschedule", "student", session) is None
    assert rule_of(policy, "request_reschedule", "student", session, START) == "in_the_past"


def test_the_lead_is_the_longer_of_a_roles_notice_and_the_windows_shutting_it_out() -> None:
    policy = NoticePolicy(
        rules=(NoticeRule("book", {"student", "coach"}, timedelta(hours=4)),),
        windows=(
            NoticeWindow("book", timedelta(hours=10), {"student"}),
            NoticeWindow("cancel", timedelta(hours=30), set()),
        ),
    )
    assert policy.lead_for("book", "coach") == timedelta(hours=10)  # the window's
    assert policy.lead_for("book", "student") == timedelta(hours=4)  # the window lets it in
    assert policy.lead_for("book", "parent") == timedelta(hours=10)
    assert policy.lead_for("book", "host") == timedelta(0)
    assert policy.lead_for("cancel", "student") == timedelta(hours=30)
    with pytest.raises(InvalidValue):
        policy.lead_for("bok", "student")  # a misspelt action is no zero lead
    session = lesson(START)
    for role in ("coach", "student", "parent"):
        assert policy.deadline_for("book", role, session) == START - policy.lead_for("book", role)


def test_the_host_bypasses_notice_and_windows_but_not_the_start() -> None:
    session = lesson(START)
    assert rule_of(COACHING, "request_reschedule", "host", session, START - SECOND) == "ok"
    assert rule_of(COACHING, "request_reschedule", "host", session, START) == "in_the_past"
    assert rule_of(COACHING, "request_reschedule", "student", session, START) == "in_the_past"
    assert COACHING.deadline_for("request_reschedule", "host", session) is None


def test_rules_are_per_action_and_the_largest_notice_counts() -> None:
    policy = NoticePolicy(
        rules=(
            NoticeRule("cancel", {"student"}, timedelta(hours=12)),
            NoticeRule("cancel", {"student", "coach"}, timedelta(hours=6)),
            NoticeRule("book", {"student"}, timedelta(hours=2)),
        )
    )
    session = lesson(START)
    assert policy.notice("cancel", "student") == timedelta(hours=12)
    assert policy.notice("cancel", "coach") == timedelta(hours=6)
    assert policy.notice("request_reschedule", "student") == timedelta(0)
    at = START - timedelta(hours=12)
    assert rule_of(policy, "cancel", "student", session, at) == "ok"
    assert rule_of(policy, "cancel", "student", session, at + SECOND) == "notice"
    book = START - timedelta(hours=2)
    assert rule_of(policy, "book", "student", session, book) == "ok"
    assert rule_of(policy, "book", "student", session, book + SECOND) == "notice"
    assert rule_of(policy, "request_reschedule", "student", session, START - SECOND) == "ok"


def test_reschedule_limit_counts_moves_and_never_allows_again() -> None:
    policy = NoticePolicy(max_reschedules=2)
    session = lesson(START)
    at = START - timedelta(days=3)
    assert policy.may("request_reschedule", "student", session, at, reschedules=1) is None
    refusal = policy.may("request_reschedule", "student", session, at, reschedules=2)
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("max_reschedules", None)
    assert policy.may("cancel", "student", session, at, reschedules=5) is None
    assert policy.may("request_reschedule", "host", session, at, reschedules=5) is None


def test_reason_bounds_and_the_new_time_lead_at_their_limits() -> None:
    policy = NoticePolicy()
    assert policy.reason_refusal("x" * 9) is not None
    assert policy.reason_refusal("x" * 10) is None
    assert policy.reason_refusal("x" * 500) is None
    refusal = policy.reason_refusal("x" * 501)
    assert refusal is not None
    assert refusal.rule == "reason_length"
    assert policy.reason_refusal("   short    ") is not None  # blanks do not count
    now = START - timedelta(days=2)
    assert policy.new_time_refusal(now + HOUR - SECOND, now) is not None
    assert policy.new_time_refusal(now + HOUR, now) is None
    assert policy.new_time_refusal(now + HOUR + SECOND, now) is None


def test_the_deadline_is_the_answer_time_or_the_start() -> None:
    policy = NoticePolicy(answer_within=timedelta(hours=24))
    session = lesson(START)
    assert policy.deadline(session, START - timedelta(days=3)) == START - timedelta(days=2)
    assert policy.deadline(session, START - timedelta(hours=5)) == START


def test_a_proposed_time_brings_the_deadline_to_its_last_applicable_instant() -> None:
    policy = NoticePolicy(answer_within=timedelta(hours=24), min_lead=HOUR)
    session = lesson(START)
    now = START - timedelta(days=3)
    # Proposed 6 hours ahead: silence approves it an hour before, while it can be applied.
    proposed = now + timedelta(hours=6)
    assert policy.deadline(session, now, proposed) == proposed - HOUR
    assert policy.new_time_refusal(proposed, policy.deadline(session, now, proposed)) is None
    # Far ahead: the answer time, as without one; at the soonest allowed: at once.
    assert policy.deadline(session, now, now + timedelta(days=9)) == now + timedelta(hours=24)
    assert policy.deadline(session, now, now + HOUR) == now
    assert policy.deadline(session, START - timedelta(hours=5), START + HOUR) == START


def test_with_no_min_lead_a_time_that_would_be_its_own_deadline_is_refused() -> None:
    # Silence approves at the deadline only a time still ahead then: with min_lead 0 a time
    # sooner than the answer time was its own deadline, where silence could only expire it.
    policy = NoticePolicy(answer_within=timedelta(hours=24), min_lead=timedelta(0))
    session = lesson(START)
    now = START - timedelta(days=3)
    soon = now + timedelta(hours=6)
    assert policy.deadline(session, now, soon) == soon
    refusal = policy.silence_refusal(session, now, soon)
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("min_lead", None)
    assert (now + timedelta(hours=24)).isoformat() in refusal.reason
    later = now + timedelta(hours=24, seconds=1)
    assert policy.deadline(session, now, later) == now + timedelta(hours=24)
    assert policy.silence_refusal(session, now, later) is None
    # Near the start the start is the deadline: a time after it is applied then.
    near = START - timedelta(hours=2)
    assert policy.silence_refusal(session, near, START - HOUR) is not None
    assert policy.silence_refusal(session, near, START + SECOND) is None
    # With a lead the deadline always falls before the time: at the soonest, silence at once.
    led = NoticePolicy(answer_within=timedelta(hours=24), min_lead=HOUR)
    assert led.silence_refusal(session, now, now + HOUR) is None


def test_bad_values_are_refused() -> None:
    with pytest.raises(InvalidValue):
        NoticeRule("teleport", {"student"}, HOUR)
    with pytest.raises(InvalidDuration):
        NoticeRule("cancel", {"student"}, -HOUR)
    with pytest.raises(WrongType):
        NoticeRule("cancel", "student", HOUR)
    with pytest.raises(InvalidValue):
        NoticeWindow("cancel", HOUR, {""})
    with pytest.raises(InvalidDuration):
        NoticePolicy(answer_within=timedelta(0))
    with pytest.raises(InvalidValue):
        NoticePolicy(max_reschedules=-1)
    with pytest.raises(InvalidValue):
        NoticePolicy(reason_length=(10, 5))
    with pytest.raises(WrongType):
        NoticePolicy(rules=[HOUR])
    with pytest.raises(InvalidValue):
        COACHING.may("teleport", "student", lesson(START), START - HOUR)
    with pytest.raises(NaiveDatetime):
        COACHING.may(
            "cancel", "student", lesson(START), datetime(2026, 3, 1)
        )  # the mistake under test
