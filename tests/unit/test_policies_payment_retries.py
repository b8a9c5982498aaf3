"""How long a failed provider call waits: PaymentRetries, the kit's option, checked when made."""

from __future__ import annotations

import types
from datetime import timedelta

import pytest

import sessionkit.policies as policies
from sessionkit.errors import InvalidDuration, InvalidValue, WrongType
from sessionkit.policies.retries import PaymentRetries

MINUTE = timedelta(minutes=1)


def test_the_defaults_are_a_minute_doubling_to_an_hour() -> None:
    waits = [PaymentRetries().wait(earlier) for earlier in range(8)]
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]


def test_a_wait_never_passes_the_longest_however_many_failures_came_before() -> None:
    # Doubled as 2**failures, a century's first wait overflowed timedelta.
    longest = PaymentRetries(first=timedelta(days=36_600), most=timedelta(days=36_600))
    assert longest.wait(10**6) == timedelta(days=36_600)
    assert PaymentRetries(first=3 * MINUTE, most=10 * MINUTE).wait(2) == 10 * MINUTE


@pytest.mark.parametrize(
    "kwargs",
    [
        {"first": timedelta(0)},
        {"most": -MINUTE},
        {"first": timedelta(days=36_601)},
        {"first": 60},
        {"first": 2 * MINUTE, "most": MINUTE},
    ],
)
def test_a_wait_that_is_no_positive_timedelta_or_a_longest_below_the_first_is_refused(
    kwargs: dict[str, object],
) -> None:
    with pytest.raises(InvalidDuration, match=r"^PaymentRetries\.(first|most) ") as caught:
        PaymentRetries(**kwargs)  # type: ignore[arg-type]  # the refusal under test
    assert caught.value.value == next(reversed(kwargs.values()))


def test_the_failures_before_are_a_count() -> None:
    with pytest.raises(InvalidValue, match="earlier must be an int >= 0") as caught:
        PaymentRetries().wait(-1)
    assert caught.value.value == -1
    with pytest.raises(WrongType):
        PaymentRetries().wait(1.5)  # type: ignore[arg-type]  # the refusal under test


def test_payment_retries_is_public_in_sessionkit_policies() -> None:
    # Beside RefundPolicy: SessionKit(payment_retries=...) takes it from the public package.
    assert policies.PaymentRetries is PaymentRetries
    assert "PaymentRetries" in policies.__all__
    public = {
        name
        for name in dir(policies)
        if not name.startswith("_")
        and not isinstance(getattr(policies, name), types.ModuleType)
        and name != "annotations"  # from __future__ import annotations
    }
    assert set(policies.__all__) == public
    assert len(policies.__all__) == len(set(policies.__all__))
