"""The shipped strategies: every option they take draws values, bad bounds are refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionkit.errors import InvalidValue
from sessionkit.recurrence import Recurrence
from sessionkit.testing import strategies as sks
from sessionkit.timespan import TimeSpan


@settings(max_examples=150)
@given(sks.recurrences(disambiguate=("raise",)))
def test_recurrences_that_raise_on_a_gap_are_drawn_without_raising(rec: Recurrence) -> None:
    # Expanding such a recurrence may raise (the user asked it to); drawing one must not.
    assert rec.disambiguate == "raise"


@given(sks.timespans(min_duration=timedelta(seconds=1), max_duration=timedelta(seconds=2)))
def test_timespans_draw_lengths_in_their_range(span: TimeSpan) -> None:
    assert timedelta(seconds=1) <= span.end - span.start <= timedelta(seconds=2)


@pytest.mark.parametrize(
    ("bounds", "named"),
    [
        (
            {"min_duration": timedelta(milliseconds=500), "max_duration": timedelta(seconds=0.9)},
            "min_duration",
        ),
        ({"min_duration": timedelta(0)}, "min_duration"),
        ({"min_duration": timedelta(hours=2), "max_duration": timedelta(hours=1)}, "min_duration"),
        ({"max_start": datetime(9999, 12, 31)}, "max_start"),
    ],
)
def test_timespans_refuse_bounds_that_draw_nothing_valid(
    bounds: dict[str, object], named: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        sks.timespans(**bounds)  # type: ignore[arg-type]  # each bound's own type
    assert named in str(caught.value)


@given(st.data())
def test_timespans_with_valid_bounds_never_fail_to_draw(data: st.DataObject) -> None:
    shortest = data.draw(st.integers(1, 100))
    longest = data.draw(st.integers(shortest, 200))
    span = data.draw(
        sks.timespans(
            min_duration=timedelta(seconds=shortest), max_duration=timedelta(seconds=longest)
        )
    )
    assert shortest <= (span.end - span.start).total_seconds() <= longest
