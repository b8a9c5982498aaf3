"""A bad ``acting_role`` is refused under its own name, not as the booking's ``role``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from sessionkit.errors import InvalidValue, SessionKitError, WrongType

from ._bookings_support import ANA, NOW, T, harness, slot


@pytest.mark.parametrize(
    ("bad", "error"), [("", InvalidValue), (5, WrongType), ("x" * 300, InvalidValue)]
)
def test_each_booking_call_names_acting_role_when_it_is_the_bad_one(
    bad: object, error: type[SessionKitError]
) -> None:
    h = harness()
    s = slot(h, capacity=2)
    calls: list[Callable[[], object]] = [
        lambda: h.kit.bookings.book(T, s.id, ANA, actor="ana", acting_role=bad),  # type: ignore[arg-type]
        lambda: h.kit.bookings.can_book(T, s.id, ANA, acting_role=bad),  # type: ignore[arg-type]
        lambda: h.kit.bookings.bookable(
            T,
            start=NOW,
            end=NOW + timedelta(days=7),
            acting_role=bad,  # type: ignore[arg-type]
        ),
    ]
    for call in calls:
        with pytest.raises(error) as refused:
            call()
        assert str(refused.value).startswith("acting_role "), refused.value
    assert h.kit.bookings.for_session(T, s.id) == []


def test_a_bad_role_is_still_named_role() -> None:
    h = harness()
    s = slot(h)
    with pytest.raises(InvalidValue) as refused:
        h.kit.bookings.book(T, s.id, ANA, actor="ana", role="", acting_role="host")
    assert str(refused.value).startswith("role "), refused.value
