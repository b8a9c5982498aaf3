"""A booking's waitlist ``position`` is ``None`` or an integer from 1, as every store numbers it."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pytest

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.booking import WAITLISTED
from sessionkit.testing.contract.bookings import make_booking


def _any(value: object) -> Any:
    """``value`` as the host's code may hand it over, whatever its type."""
    return value


def test_a_position_counts_from_one() -> None:
    waiting = make_booking("w", status=WAITLISTED, position=1)
    assert attrs.evolve(waiting, position=_any(np.int64(3))).position == 3
    assert type(attrs.evolve(waiting, position=_any(np.int64(3))).position) is int
    assert attrs.evolve(waiting, position=None).position is None


@pytest.mark.parametrize(
    ("position", "error"),
    [(0, InvalidValue), (-1, InvalidValue), (True, WrongType), ("1", WrongType), (1.0, WrongType)],
)
def test_another_position_is_refused_naming_it(position: object, error: type[Exception]) -> None:
    # Zero, negatives, booleans and text passed, and the Django store counted a 0 as a place.
    waiting = make_booking("w", status=WAITLISTED, position=1)
    with pytest.raises(error, match="position"):
        attrs.evolve(waiting, position=_any(position))
