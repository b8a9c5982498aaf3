"""Findings of a new user's walk through the policies: policy values the commands cannot honour."""

from __future__ import annotations

import pytest

from sessionkit.errors import InvalidValue
from sessionkit.model.reschedule import MAX_REASON_LENGTH
from sessionkit.policies import NoticePolicy


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
