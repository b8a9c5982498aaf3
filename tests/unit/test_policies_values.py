"""Policy values refuse bad arguments with sessionkit errors that name the argument.

Role sets are never split into letters (``full_refund_roles="admin"``), percents
that are not numbers are ``WrongType`` / ``InvalidValue`` (not ``decimal``'s
errors), refunds refuse naive datetimes, and notices are at most a century.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sessionkit.errors import InvalidDuration, InvalidValue, NaiveDatetime, WrongType
from sessionkit.limits import CEILING
from sessionkit.model.money import Money
from sessionkit.policies import (
    FixedPrice,
    NoticePolicy,
    NoticeRule,
    NoticeWindow,
    RefundPolicy,
    RefundTier,
    Refusal,
    SeatPrice,
)
from sessionkit.testing.contract import make_session

Build = Callable[[], object]
HOUR = timedelta(hours=1)
START = datetime(2026, 3, 2, 8, tzinfo=UTC)
PAID = Money.of(40, "EUR")


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: RefundPolicy(full_refund_roles="admin"), "full_refund_roles"),
        (lambda: NoticePolicy(bypass="host"), "bypass"),
        (lambda: NoticeRule("cancel", "student", HOUR), "roles"),
        (lambda: NoticeWindow("cancel", HOUR, "student"), "only"),
        (lambda: RefundPolicy(full_refund_roles=b"admin"), "full_refund_roles"),
        (lambda: RefundPolicy(full_refund_roles=None), "full_refund_roles"),
    ],
)
def test_a_single_string_is_not_a_role_set(build: Build, name: str) -> None:
    with pytest.raises(WrongType) as caught:
        build()
    assert caught.value.name == name
    assert caught.value.expected == "a collection of role names"
    assert str(caught.value).startswith(f"{name} must be a collection of role names")


def test_role_sets_still_take_collections_and_refuse_empty_names() -> None:
    policy = RefundPolicy(full_refund_roles=["admin", "provider"])
    assert policy.full_refund_roles == frozenset({"admin", "provider"})
    assert policy.refund(PAID, role="admin", start=START, at=START + HOUR) == PAID
    assert policy.refund(PAID, role="a", start=START, at=START + HOUR) == Money.zero("EUR")
    assert NoticePolicy(bypass=("host", "admin")).bypass == frozenset({"host", "admin"})
    with pytest.raises(InvalidValue, match="full_refund_roles"):
        RefundPolicy(full_refund_roles={""})


@pytest.mark.parametrize(
    ("build", "name", "value"),
    [
        (lambda: RefundTier(HOUR, None), "percent", None),
        (lambda: RefundTier(HOUR, True), "percent", True),
        (lambda: RefundTier(HOUR, [50]), "percent", [50]),
        (lambda: RefundPolicy(late_percent=None), "late_percent", None),
        (lambda: RefundPolicy(no_show_percent=object), "no_show_percent", object),
        (lambda: RefundPolicy(host_no_show_percent=()), "host_no_show_percent", ()),
        # A float was taken as its binary value: 33.3 refunded 4.99 of 15.00 EUR.
        (lambda: RefundTier(HOUR, 33.3), "percent", 33.3),
        (lambda: RefundPolicy(no_show_percent=33.3), "no_show_percent", 33.3),
        (lambda: RefundPolicy(late_percent=50.0), "late_percent", 50.0),
    ],
)
def test_a_percent_of_the_wrong_type_is_wrong_type(build: Build, name: str, value: object) -> None:
    with pytest.raises(WrongType) as caught:
        build()
    assert caught.value.name == name
    assert caught.value.value == value


@pytest.mark.parametrize(
    ("build", "value"),
    [
        (lambda: RefundTier(HOUR, "abc"), "abc"),
        (lambda: RefundPolicy(late_percent="x"), "x"),
        (lambda: RefundPolicy(no_show_percent=""), ""),
        # Decimal reads these (as 50, 100 and 50); Money refuses them, and so do percents.
        (lambda: RefundTier(HOUR, "5_0"), "5_0"),
        (lambda: RefundPolicy(late_percent="1_0_0"), "1_0_0"),
        (lambda: RefundPolicy(no_show_percent="\u0665\u0660"), "\u0665\u0660"),
    ],
)
def test_a_percent_that_is_no_number_is_invalid_value(build: Build, value: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        build()
    assert caught.value.value == value
    assert caught.value.expected == "0..100"


def test_percents_still_take_numbers_and_numeric_strings() -> None:
    assert RefundTier(HOUR, " 50 ").percent == Decimal(50)
    assert RefundTier(HOUR, Decimal("12.5")).percent == Decimal("12.5")
    assert RefundPolicy(late_percent="25", no_show_percent=10).late_percent == Decimal(25)
    with pytest.raises(InvalidValue, match="late_percent"):
        RefundPolicy(late_percent="101")


@pytest.mark.parametrize("method", ["tier", "share", "refund"])
@pytest.mark.parametrize("role", ["participant", "admin"])
def test_refunds_refuse_naive_datetimes(method: str, role: str) -> None:
    policy = RefundPolicy()
    naive = datetime(2026, 3, 1, 8)  # the mistake under test
    args = (PAID,) if method == "refund" else ()
    with pytest.raises(NaiveDatetime) as caught:
        getattr(policy, method)(*args, role=role, start=START, at=naive)
    assert caught.value.name == "at"
    with pytest.raises(NaiveDatetime) as caught:
        getattr(policy, method)(*args, role=role, start=naive, at=START)
    assert caught.value.name == "start"


@pytest.mark.parametrize("role", [["student"], {"student"}, 5, b"student"])
def test_a_role_that_is_no_name_is_wrong_type(role: object) -> None:
    # A list gave a raw "unhashable type" from the membership tests.
    policy = NoticePolicy(rules=[NoticeRule("cancel", {"student"}, timedelta(hours=24))])
    lesson = make_session("s1", at=48)
    for call in (
        lambda: policy.may("cancel", role, lesson, START),  # type: ignore[arg-type]
        lambda: policy.notice_refusal("cancel", role, lesson, START),  # type: ignore[arg-type]
        lambda: policy.notice("cancel", role),  # type: ignore[arg-type]
        lambda: policy.deadline_for("cancel", role, lesson),  # type: ignore[arg-type]
        lambda: RefundPolicy().refund(PAID, role=role, start=START, at=START),  # type: ignore[arg-type]
    ):
        with pytest.raises(WrongType) as caught:
            call()
        assert (caught.value.name, caught.value.value) == ("role", role)
    with pytest.raises(InvalidValue):
        policy.deadline_for("dance", "host", lesson)
    assert RefundPolicy().refund(PAID, role=None, start=START, at=START).amount >= 0


@pytest.mark.parametrize(
    "build",
    [
        lambda: NoticeRule("request_reschedule", {"student"}, timedelta(days=999_999_999)),
        lambda: NoticeRule("cancel", {"student"}, CEILING + timedelta(microseconds=1)),
        lambda: NoticeWindow("cancel", CEILING * 2, {"host"}),
        lambda: NoticePolicy(min_lead=CEILING * 2),
        lambda: NoticePolicy(answer_within=timedelta.max),
        lambda: RefundTier(timedelta(days=999_999_999), 50),
    ],
)
def test_notices_are_at_most_a_century(build: Build) -> None:
    with pytest.raises(InvalidDuration) as caught:
        build()
    assert caught.value.expected.endswith(f"<= {CEILING.days:,} days")


def test_a_century_of_notice_is_still_accepted() -> None:
    assert NoticeRule("cancel", {"student"}, CEILING).notice == CEILING
    assert NoticePolicy(answer_within=CEILING, min_lead=CEILING).min_lead == CEILING
    assert RefundTier(CEILING, 100).notice == CEILING


def test_a_host_cancel_refunds_in_full_by_default() -> None:
    # The host bypasses notice by default; its cancel refunded nothing after the tiers.
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    paid = Money.of(40, "EUR")
    policy = RefundPolicy(tiers=(RefundTier(timedelta(hours=24), 100),))
    late = start - timedelta(hours=10)
    assert policy.refund(paid, role="host", start=start, at=late) == paid
    assert policy.refund(paid, role="participant", start=start, at=late) == Money.of(0, "EUR")


@pytest.mark.parametrize("pricing", [FixedPrice, SeatPrice])
@pytest.mark.parametrize(
    ("amount", "currency"), [("0.004", "EUR"), ("0.4", "JPY"), ("0.0004", "BHD")]
)
def test_a_price_that_rounds_to_nothing_is_refused_when_made(
    pricing: Callable[[Money], object], amount: str, currency: str
) -> None:
    # Before, it was accepted and every booking of a priced session then failed with
    # "a payment's amount must be above zero".
    with pytest.raises(InvalidValue) as caught:
        pricing(Money.of(amount, currency))
    assert caught.value.value == Money.of(amount, currency)
    assert caught.value.expected == f"an amount of at least one minor unit of {currency}"


def test_a_price_of_one_minor_unit_is_accepted() -> None:
    session = make_session("s1")
    assert FixedPrice(Money.of("0.005", "EUR")).price(session, 1) == Money.of("0.01", "EUR")
    assert SeatPrice(Money.of(1, "JPY")).price(session, 2) == Money.of(2, "JPY")


def test_a_refusal_by_then_drops_its_allows_at_and_says_why() -> None:
    later = datetime(2026, 3, 9, 9, tzinfo=UTC)
    horizon = Refusal(rule="max_horizon", reason="too far ahead", allows_at=later)
    shut = Refusal(rule="notice", reason="students book 24 h ahead")
    assert horizon.by_then(shut) == Refusal(
        rule="max_horizon",
        reason="too far ahead, and by then: students book 24 h ahead",
        allows_at=None,
    )
    assert horizon.by_then(None) is horizon
    final = Refusal(rule="in_the_past", reason="it started")
    assert final.by_then(shut) is final  # nothing to drop: it never allows again anyway


def test_a_refusal_shut_by_then_keeps_its_other_fields() -> None:
    # by_then drops only allows_at and extends the reason: limit, count and may_free_at stay.
    at = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    refusal = Refusal(
        rule="per_day", reason="full day", allows_at=at, limit=2, count=2, may_free_at=at
    )
    shut = Refusal(rule="notice", reason="the notice ran out")
    got = refusal.by_then(shut)
    assert (got.rule, got.reason, got.allows_at) == (
        "per_day",
        "full day, and by then: the notice ran out",
        None,
    )
    assert (got.limit, got.count, got.may_free_at) == (2, 2, at)
