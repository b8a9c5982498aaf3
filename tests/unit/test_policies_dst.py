"""Every time rule of the policies at its limit and a second either side, across DST changes.

The participant's zone is Europe/Berlin. Spring: the clocks jump 02:00 -> 03:00
on 2026-03-29; autumn: 03:00 -> 02:00 on 2026-10-25. Rules count elapsed time,
so a limit lands on a wall-clock time an hour off a naive local subtraction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sessionkit.model import ResourceRef, Session
from sessionkit.model.money import Money
from sessionkit.model.reschedule import AUTO_APPROVED, PENDING
from sessionkit.policies import (
    BookingRules,
    NoticePolicy,
    NoticeWindow,
    RefundPolicy,
    RefundTier,
    check_booking_time,
)
from sessionkit.testing.harness import Harness
from sessionkit.timespan import TimeSpan

BERLIN = ZoneInfo("Europe/Berlin")
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
SPRING = datetime(2026, 3, 29, 12, tzinfo=BERLIN)  # 11 wall hours after the jump
AUTUMN = datetime(2026, 10, 25, 12, tzinfo=BERLIN)
STARTS = pytest.mark.parametrize("start", [SPRING, AUTUMN], ids=["spring", "autumn"])


def lesson(start: datetime) -> Session:
    return Session(
        id="s1",
        tenant="acme",
        title="Maths",
        tz="Europe/Berlin",
        status="SCHEDULED",
        span=TimeSpan(start.astimezone(UTC), start.astimezone(UTC) + HOUR),
        lifecycle="lms",
        busy=True,
        created_at=start - timedelta(days=30),
    )


def wall(a: datetime, b: datetime) -> timedelta:
    """Wall-clock difference in Berlin between two instants."""
    local = [x.astimezone(BERLIN).replace(tzinfo=None) for x in (a, b)]
    return local[1] - local[0]


@STARTS
def test_a_window_edge_across_a_dst_change(start: datetime) -> None:
    policy = NoticePolicy(windows=(NoticeWindow("cancel", timedelta(hours=12), {"student"}),))
    session = lesson(start)
    edge = session.start - timedelta(hours=12)
    assert wall(edge, session.start) != timedelta(hours=12)  # the change lies inside
    answers = [
        None
        if (r := policy.notice_refusal("cancel", "coach", session, edge + d)) is None
        else r.rule
        for d in (-SECOND, timedelta(0), SECOND)
    ]
    assert answers == [None, None, "window"]


@STARTS
def test_the_new_time_lead_across_a_dst_change(start: datetime) -> None:
    policy = NoticePolicy(min_lead=timedelta(hours=3))
    now = start.astimezone(UTC) - timedelta(hours=11)  # 01:00 local, before the change
    lead = now + timedelta(hours=3)
    assert wall(now, lead) != timedelta(hours=3)
    assert policy.new_time_refusal(lead - SECOND, now) is not None
    assert policy.new_time_refusal(lead, now) is None
    assert policy.new_time_refusal(lead + SECOND, now) is None


@STARTS
def test_the_answer_deadline_across_a_dst_change(start: datetime) -> None:
    policy = NoticePolicy(answer_within=timedelta(hours=24))
    session = lesson(start + timedelta(days=3))
    asked = start.astimezone(UTC) - timedelta(hours=20)
    deadline = policy.deadline(session, asked)
    assert deadline == asked + timedelta(hours=24)
    assert wall(asked, deadline) != timedelta(hours=24)


@STARTS
def test_a_refund_tier_across_a_dst_change(start: datetime) -> None:
    policy = RefundPolicy(tiers=(RefundTier(timedelta(hours=24), 100),))
    paid = Money.of(50, "EUR")
    begins = start.astimezone(UTC) + timedelta(hours=12)
    limit = begins - timedelta(hours=24)
    assert wall(limit, begins) != timedelta(hours=24)
    refunds = [
        str(policy.refund(paid, role="student", start=begins, at=limit + d))
        for d in (-SECOND, timedelta(0), SECOND)
    ]
    assert refunds == ["50.00 EUR", "50.00 EUR", "0.00 EUR"]


@STARTS
def test_silence_approves_exactly_at_a_deadline_across_a_dst_change(start: datetime) -> None:
    asked_at = start.astimezone(UTC) - timedelta(hours=20)
    h = Harness.in_memory(asked_at, id_prefix="x", notice=NoticePolicy())
    begins = start.astimezone(UTC) + timedelta(days=3)
    session = h.kit.sessions.create_extra(
        "acme",
        actor="cleo",
        start=begins,
        end=begins + HOUR,
        resources=[ResourceRef("coach", "cleo")],
        lifecycle="lms",
        capacity=1,
        title="Maths",
        tz="Europe/Berlin",
    )
    request = h.kit.reschedules.request(
        "acme",
        session.id,
        role="student",
        actor="ana",
        reason="a clash with an exam",
        proposed_start=begins + timedelta(days=1),
    )
    assert request.deadline == asked_at + timedelta(hours=24)
    assert wall(asked_at, request.deadline) != timedelta(hours=24)
    assert h.kit.reschedules.approve_due(now=request.deadline - SECOND).approved == ()
    assert h.kit.reschedules.get("acme", request.id).status == PENDING
    done = h.kit.reschedules.approve_due(now=request.deadline).approved
    assert [(r.id, r.status) for r in done] == [(request.id, AUTO_APPROVED)]
    assert h.kit.queries.get("acme", session.id).start == begins + timedelta(days=1)


# Both instants given on Berlin's wall clock (one tzinfo): Python subtracts and adds such
# datetimes as wall clocks, so a rule that forgot to count in UTC is an hour off here.


@STARTS
def test_a_refund_tier_counts_elapsed_time_between_two_local_instants(start: datetime) -> None:
    policy = RefundPolicy(
        tiers=(RefundTier(timedelta(hours=48), 100), RefundTier(timedelta(hours=24), 50))
    )
    paid = Money.of(60, "EUR")
    limit = (start.astimezone(UTC) - timedelta(hours=48)).astimezone(BERLIN)
    assert wall(limit, start) != timedelta(hours=48)  # the change lies inside
    got = [
        (
            str(policy.refund(paid, role="student", start=start, at=limit + d)),
            policy.share(role="student", start=start, at=limit + d),
        )
        for d in (-SECOND, SECOND)
    ]
    assert got == [("60.00 EUR", Decimal(100)), ("30.00 EUR", Decimal(50))]
    tier = policy.tier(role="student", start=start, at=limit + SECOND)
    assert tier is not None
    assert tier.notice == timedelta(hours=24)


@STARTS
def test_booking_times_count_elapsed_time_between_two_local_instants(start: datetime) -> None:
    rules = BookingRules(min_notice=timedelta(hours=24), max_horizon=timedelta(days=2))
    closes = (start.astimezone(UTC) - timedelta(hours=24)).astimezone(BERLIN)
    assert wall(closes, start) != timedelta(hours=24)
    answers = [
        None if (r := check_booking_time(rules, start, closes + d)) is None else r.rule
        for d in (-SECOND, timedelta(0), SECOND)
    ]
    assert answers == [None, None, "min_notice"]
    far = check_booking_time(rules, start, start - timedelta(days=3))
    assert far is not None
    assert far.rule == "max_horizon"
    assert far.allows_at == start.astimezone(UTC) - timedelta(days=2)


@STARTS
def test_the_new_time_lead_and_deadline_count_elapsed_local_time(start: datetime) -> None:
    policy = NoticePolicy(min_lead=timedelta(hours=3), answer_within=timedelta(hours=24))
    now = (start.astimezone(UTC) - timedelta(hours=11)).astimezone(BERLIN)  # before the change
    lead = (now.astimezone(UTC) + timedelta(hours=3)).astimezone(BERLIN)
    assert wall(now, lead) != timedelta(hours=3)
    assert policy.new_time_refusal(lead - SECOND, now) is not None
    assert policy.new_time_refusal(lead, now) is None
    session = lesson(start + timedelta(days=3))
    assert policy.deadline(session, now) == now.astimezone(UTC) + timedelta(hours=24)
