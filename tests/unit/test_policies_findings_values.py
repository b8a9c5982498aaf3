"""Findings of a new user's walk through the policies: policy values the commands cannot honour."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import InvalidValue
from sessionkit.model.money import Money
from sessionkit.model.reschedule import MAX_REASON_LENGTH
from sessionkit.policies import NoticePolicy, RefundPolicy, RefundTier

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize("bounds", [(0, 10), (1, MAX_REASON_LENGTH + 1), (0, 0)])
def test_a_reason_length_the_store_cannot_keep_is_refused_when_made(
    bounds: tuple[int, int],
) -> None:
    # NoticePolicy(reason_length=(1, 5000)) was accepted, then every reason over 2,000
    # characters failed in request() with the model's InvalidValue instead of
    # RescheduleRefused("reason_length"); (0, n) promised an empty reason the model refuses.
    with pytest.raises(InvalidValue) as refused:
        NoticePolicy(reason_length=bounds)
    assert refused.value.value == bounds
    assert (
        refused.value.expected
        == f"(shortest, longest) with 1 <= shortest <= longest <= {MAX_REASON_LENGTH}"
    )


def test_the_widest_reason_length_the_store_keeps_is_taken() -> None:
    assert NoticePolicy(reason_length=(1, MAX_REASON_LENGTH)).reason_length == (1, 2000)


FEES = (Money.of(5, "USD"), Money.of(700, "JPY"))


@pytest.mark.parametrize(
    ("policy", "refund"),
    [
        (
            RefundPolicy(no_show_percent=50, no_show_fee=FEES),
            lambda p, paid: p.no_show_refund(paid),
        ),
        (
            RefundPolicy(tiers=[RefundTier(timedelta(0), 50, fee=FEES)]),
            lambda p, paid: p.refund(paid, role="student", start=START, at=START),
        ),
    ],
)
def test_a_fee_is_kept_per_currency_and_another_currency_keeps_none(
    policy: RefundPolicy, refund: Callable[[RefundPolicy, Money], Money]
) -> None:
    # One kit prices sessions in several currencies, under one refund policy. A fee in USD
    # made every EUR payment's refund a CurrencyMismatch: a student could not cancel, a
    # session could not be marked a no-show (the tick failed on it). A fee is kept from
    # payments in its currency; a payment in a currency no fee names keeps none.
    assert refund(policy, Money.of(60, "USD")) == Money.of("25.00", "USD")
    assert refund(policy, Money.of(6000, "JPY")) == Money.of(2300, "JPY")
    assert refund(policy, Money.of(60, "EUR")) == Money.of("30.00", "EUR")


@pytest.mark.parametrize(
    "fee",
    [
        [Money.of(5, "USD"), Money.of(6, "USD")],
        [],
    ],
)
def test_two_fees_of_one_currency_or_none_are_refused(fee: list[Money]) -> None:
    with pytest.raises(InvalidValue, match=r"RefundTier\.fee gives one fee per currency"):
        RefundTier(timedelta(0), 100, fee=fee)
    with pytest.raises(InvalidValue, match=r"RefundPolicy\.no_show_fee gives one fee per"):
        RefundPolicy(no_show_fee=fee)


def test_a_fee_given_in_a_collection_of_one_is_that_fee() -> None:
    assert RefundTier(timedelta(0), 100, fee=[Money.of(5, "USD")]).fee == Money.of(5, "USD")
    assert RefundTier(timedelta(0), 100, fee={*FEES}).fee == (FEES[1], FEES[0])  # by currency
