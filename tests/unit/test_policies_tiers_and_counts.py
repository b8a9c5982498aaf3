"""Refund tiers of one notice are refused; a reschedule count is checked as a count.

Two tiers of one notice made the refund depend on the order they were given in, and
``options`` list a tier no cancel could ever get; a reschedule count that is no count
raised Python's ``TypeError`` from ``NoticePolicy.may``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model import ResourceRef
from sessionkit.model.money import Money
from sessionkit.policies import NoticePolicy, RefundPolicy, RefundTier
from sessionkit.testing.contract import make_session
from sessionkit.testing.harness import Harness

DAY = timedelta(hours=24)
START = datetime(2026, 3, 6, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "tiers",
    [
        (RefundTier(DAY, 100), RefundTier(DAY, 50)),
        (RefundTier(DAY, 50), RefundTier(DAY, 100)),
        (RefundTier(2 * DAY, 100), RefundTier(DAY, 75), RefundTier(DAY, 75)),
        (RefundTier(DAY, 100), RefundTier(DAY, 100, fee=Money.of(5, "EUR"))),
    ],
)
def test_two_tiers_of_one_notice_are_refused(tiers: tuple[RefundTier, ...]) -> None:
    # RefundPolicy(tiers=(RefundTier(24h, 100), RefundTier(24h, 50))) refunded 100% of a
    # cancel 30 hours ahead, the same tiers the other way round 50%.
    with pytest.raises(InvalidValue) as refused:
        RefundPolicy(tiers=tiers)
    assert refused.value.value == DAY
    assert refused.value.expected == "tiers of distinct notices"
    assert str(refused.value).startswith("tiers: two tiers give the same notice, 1 day (")


def test_unsorted_tiers_of_distinct_notices_are_sorted_most_notice_first() -> None:
    policy = RefundPolicy(
        tiers=(RefundTier(DAY / 2, 25), RefundTier(2 * DAY, 100), RefundTier(DAY, 50))
    )
    assert [t.notice for t in policy.tiers] == [2 * DAY, DAY, DAY / 2]
    paid = Money.of(1001, "JPY")
    shares = [
        policy.refund(paid, role="student", start=START, at=START - notice)
        for notice in (2 * DAY, 2 * DAY - timedelta(microseconds=1), DAY, DAY / 2, DAY / 4)
    ]
    assert shares == [
        Money.of(1001, "JPY"),
        Money.of(501, "JPY"),  # 500.5, half up
        Money.of(501, "JPY"),
        Money.of(250, "JPY"),  # 250.25
        Money.of(0, "JPY"),
    ]
    assert policy.refund(Money.of("1.001", "KWD"), role="student", start=START, at=START - DAY) == (
        Money.of("0.501", "KWD")
    )


def test_options_list_each_tier_once() -> None:
    # Two tiers of one notice were listed both, until one instant; the second never applied.
    now = datetime(2026, 3, 2, 8, tzinfo=UTC)
    refunds = RefundPolicy(tiers=(RefundTier(2 * DAY, 100), RefundTier(DAY, 50)))
    kit = Harness.in_memory(now, refunds=refunds).kit
    lesson = kit.sessions.create_extra(
        "acme",
        actor="cleo",
        title="Maths",
        lifecycle="lms",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
    )
    options = kit.reschedules.options("acme", lesson.id, role="student", now=now)
    assert [(t.percent, t.until) for t in options.cancel_tiers] == [
        (Decimal(100), START - 2 * DAY),
        (Decimal(50), START - DAY),
    ]


@pytest.mark.parametrize("count", ["1", None, 1.5, True])
def test_a_reschedule_count_that_is_no_count_is_wrong_type(count: object) -> None:
    # NoticePolicy(max_reschedules=2).may(..., reschedules="1") raised TypeError from ">=".
    session = make_session("s1")
    start = session.start
    with pytest.raises(WrongType) as refused:
        NoticePolicy(max_reschedules=2).may(
            "request_reschedule",
            "student",
            session,
            start - DAY,
            reschedules=count,  # type: ignore[arg-type]  # the bad value under test
        )
    assert refused.value.name == "reschedules"
    assert refused.value.value is count
    assert refused.value.expected == "how many times the session was moved, an integer >= 0"


def test_a_negative_reschedule_count_is_invalid_value() -> None:
    # -3 was taken, as if the session had three moves in hand.
    session = make_session("s1")
    start = session.start
    with pytest.raises(InvalidValue) as refused:
        NoticePolicy(max_reschedules=0).may(
            "request_reschedule", "student", session, start - DAY, reschedules=-3
        )
    assert refused.value.value == -3
    assert refused.value.expected == "an integer >= 0"
    assert "reschedules" in str(refused.value)


def test_a_reschedule_count_is_still_judged() -> None:
    session = make_session("s1")
    start = session.start
    policy = NoticePolicy(max_reschedules=2)
    assert policy.may("request_reschedule", "student", session, start - DAY, reschedules=1) is None
    refusal = policy.may("request_reschedule", "student", session, start - DAY, reschedules=2)
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("max_reschedules", None)
