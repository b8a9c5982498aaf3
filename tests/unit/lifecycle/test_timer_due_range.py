"""A timer falling due outside the years 1 to 9999 is ``InvalidValue``, not ``OverflowError``.

``next_due`` and ``advance`` of a value starting early on 1 January of year 1
(the READY timer, 15 minutes before it) raised Python's bare ``OverflowError``
(date value out of range), naming neither the timer nor the value.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from sessionkit import TimeSpan
from sessionkit.errors import InvalidValue
from sessionkit.lifecycle import Timer
from sessionkit.lifecycles import academy


@attrs.frozen
class Lesson:
    id: str
    span: TimeSpan
    status: str = "SCHEDULED"
    capacity: int = 1


EARLY = Lesson("l1", TimeSpan.from_start(datetime(1, 1, 1, 0, 10, tzinfo=UTC), timedelta(hours=1)))


def test_a_timer_due_before_year_1_is_invalid_value_naming_it() -> None:
    with pytest.raises(InvalidValue) as refused:
        academy.next_due(EARLY)
    assert str(refused.value).startswith(
        "the timer at 'start - 15 min' falls due outside the years 1 to 9999 for Lesson 'l1'"
    )
    assert refused.value.value == datetime(1, 1, 1, 0, 10, tzinfo=UTC)
    with pytest.raises(InvalidValue):
        academy.advance(EARLY, datetime(2026, 3, 2, tzinfo=UTC))


def test_one_due_after_year_9999_is_too() -> None:
    late = Lesson(
        "l2", TimeSpan.from_start(datetime(9999, 12, 31, 20, tzinfo=UTC), timedelta(hours=1))
    )
    with pytest.raises(InvalidValue, match="'end \\+ 1 d' falls due outside"):
        Timer.after_end(timedelta(days=1)).due(late)
    assert Timer.after_end().due(late) == datetime(9999, 12, 31, 21, tzinfo=UTC)
