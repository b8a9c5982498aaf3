"""Availability at the edges a new user meets: blocked dates up to date.max, is_blocked's input."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sessionkit.availability import Availability
from sessionkit.errors import NotADatetime


def test_a_block_inside_one_that_runs_to_date_max_merges_into_it() -> None:
    # "From June on, for good": a range ending on date.max, then a holiday inside it.
    for_good = Availability.always(tz="UTC").with_blocked_range(date(2026, 6, 1), date.max)
    later = for_good.with_blocked_date(date(2026, 12, 25))
    also = for_good.with_blocked_range(date(2026, 5, 1), date(2026, 5, 31))
    assert later.blocked == ((date(2026, 6, 1), date.max),)
    assert also.blocked == ((date(2026, 5, 1), date.max),)
    assert later.is_blocked(date(9999, 12, 31))


@pytest.mark.parametrize("day", [datetime(2026, 3, 2, 10), "2026-03-02", None])
def test_is_blocked_takes_a_date_only(day: object) -> None:
    # A datetime raised a bare TypeError where dates were blocked and read as False where none.
    for hours in (
        Availability.always(tz="UTC"),
        Availability.always(tz="UTC").with_blocked_date(date(2026, 3, 2)),
    ):
        with pytest.raises(NotADatetime, match="day must be a date"):
            hours.is_blocked(day)  # type: ignore[arg-type]
