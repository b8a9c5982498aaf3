"""contrib.frames takes what a notebook holds at hand: analytics rows."""

from __future__ import annotations

from typing import Any

import pytest

from sessionkit import WrongType
from sessionkit.model.analytics import Counts, RateRow, Rates, StatusCount

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

from tests.unit.test_frames import FULL_RESULTS  # noqa: E402 - after the skip

from sessionkit.contrib.frames import to_pandas, to_polars  # noqa: E402 - after the skip

ROWED = [r for r in FULL_RESULTS if hasattr(r, "rows")]  # Progress is one value, no rows


@pytest.mark.parametrize("result", ROWED, ids=lambda r: type(r).__name__)
def test_one_row_and_a_list_of_rows_give_their_results_frame(result: Any) -> None:
    # kit.analytics.rates(t).get() and result.rows were refused as "no records"; they give the
    # columns and dtypes of the result they come from.
    [row] = result.rows
    expected_pd, expected_pl = to_pandas(result), to_polars(result)
    for given in (row, [row], (row,)):
        frame = to_pandas(given)
        assert list(frame.columns) == list(result.COLUMNS)
        assert frame.dtypes.equals(expected_pd.dtypes)
        assert frame.equals(expected_pd)
        assert to_polars(given).equals(expected_pl)
        assert to_polars(given).schema == expected_pl.schema


def test_a_whole_scope_row_types_its_key_of_none_as_declared() -> None:
    row = RateRow(key=None, sessions=4, completed=0, no_show=0, cancelled=1, rescheduled=0)
    frame = to_pandas(row)
    assert str(frame["key"].dtype) == "string"  # not a column of None objects
    assert str(frame["completion_rate"].dtype) == "float64"  # none held: NaN, a float
    assert frame[["sessions", "held", "cancelled"]].values.tolist() == [[4, 0, 1]]
    assert frame["cancellation_rate"].tolist() == [0.25]
    assert to_polars(row).schema["key"] == pl.String
    assert to_polars(row).schema["completion_rate"] == pl.Float64


def test_many_rows_keep_their_order_and_values() -> None:
    rows = [
        StatusCount("room:a", "DONE", 2),
        StatusCount("room:a", "SCHEDULED", 5),
        StatusCount("room:b", "DONE", 1),
    ]
    frame = to_pandas(rows)
    assert frame.values.tolist() == [
        ["room:a", "DONE", 2],
        ["room:a", "SCHEDULED", 5],
        ["room:b", "DONE", 1],
    ]
    assert str(frame["status"].dtype) == "category"
    assert to_polars(rows[1:]).rows() == [("room:a", "SCHEDULED", 5), ("room:b", "DONE", 1)]
    assert to_pandas(rows).equals(to_pandas(Counts(tenant="t", by="resource", rows=tuple(rows))))


@pytest.mark.parametrize("convert", [to_pandas, to_polars])
def test_rows_of_two_kinds_are_refused_naming_the_odd_one(convert: Any) -> None:
    rate = RateRow(key="k", sessions=1, completed=1, no_show=0, cancelled=0, rescheduled=0)
    count = StatusCount("k", "DONE", 1)
    with pytest.raises(WrongType, match="a RateRow, like the first") as caught:
        convert([rate, count])
    assert caught.value.value is count


def test_an_empty_list_has_no_kind_and_no_columns_as_before_and_its_result_has_them() -> None:
    assert to_pandas([]).shape == (0, 0)
    assert to_polars(()).shape == (0, 0)
    assert list(to_pandas(Rates(tenant="t", by=None, rows=())).columns) == list(Rates.COLUMNS)
