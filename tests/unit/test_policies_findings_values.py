"""Findings of a new user's walk through the policies: policy values the commands cannot honour."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import CurrencyMismatch, InvalidValue
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


@pytest.mark.parametrize(
    ("policy", "name", "refund"),
    [
        (
            RefundPolicy(no_show_percent=50, no_show_fee=Money.of(5, "USD")),
            "RefundPolicy.no_show_fee",
            lambda p, paid: p.no_show_refund(paid),
        ),
        (
            RefundPolicy(tiers=[RefundTier(timedelta(0), 100, fee=Money.of(5, "USD"))]),
            "RefundTier.fee",
            lambda p, paid: p.refund(paid, role="student", start=START, at=START),
        ),
    ],
)
def test_a_fee_in_another_currency_is_refused_naming_the_fee(
    policy: RefundPolicy, name: str, refund: Callable[[RefundPolicy, Money], Money]
) -> None:
    # It said "cannot compare EUR with USD", naming neither fee nor field.
    with pytest.raises(CurrencyMismatch) as refused:
        refund(policy, Money.of(60, "EUR"))
    assert (refused.value.left, refused.value.right) == ("EUR", "USD")
    assert name in str(refused.value)
