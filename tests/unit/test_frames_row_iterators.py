"""contrib.frames: rows filtered in a generator expression give the frame their list gives.

0efda8e1 took a list or tuple of analytics rows; ``to_pandas(r for r in result.rows if ...)``,
as natural in a notebook, was consumed and refused as "values[0] must be sessions, ...", naming
the very row a list of it is taken with.
"""

from __future__ import annotations

from typing import Any

import pytest

from sessionkit.model.analytics import RateRow, StatusCount

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

from sessionkit.contrib.frames import to_pandas, to_polars  # noqa: E402 - after the skip

ROWS = [
    StatusCount("room:a", "DONE", 2),
    StatusCount("room:a", "SCHEDULED", 5),
    StatusCount("room:b", "DONE", 1),
]


@pytest.mark.parametrize("convert", [to_pandas, to_polars])
def test_a_generator_of_rows_gives_the_frame_of_its_list(convert: Any) -> None:
    busy = [r for r in ROWS if r.sessions > 1]
    frame = convert(r for r in ROWS if r.sessions > 1)
    assert frame.equals(convert(busy))
    assert frame.shape == (2, 3)
    assert convert(filter(None, ROWS)).equals(convert(ROWS))


def test_a_generator_keeps_the_types_and_values() -> None:
    rate = RateRow(key=None, sessions=4, completed=0, no_show=0, cancelled=1, rescheduled=0)
    frame = to_pandas(r for r in [rate])
    assert str(frame["key"].dtype) == "string"
    assert frame["cancellation_rate"].tolist() == [0.25]
    counts = to_polars(iter(ROWS))
    assert counts.rows() == [
        ("room:a", "DONE", 2),
        ("room:a", "SCHEDULED", 5),
        ("room:b", "DONE", 1),
    ]
    assert counts.schema["status"] == pl.Categorical


def test_a_generator_of_records_is_read_as_before() -> None:
    records = ({"a": n} for n in range(3))
    assert to_pandas(records)["a"].tolist() == [0, 1, 2]
    assert to_polars(iter([])).shape == (0, 0)
