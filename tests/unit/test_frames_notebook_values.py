"""contrib.frames takes what a notebook holds at hand: analytics rows and a generation report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessionkit import TimeSpan, WrongType
from sessionkit.model import ResourceRef, Session
from sessionkit.model.analytics import Counts, RateRow, Rates, StatusCount
from sessionkit.services.reports import MaterialiseReport, Skipped

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

from tests.unit.test_frames import FULL_RESULTS  # noqa: E402 - after the skip

from sessionkit.contrib.frames import to_pandas, to_polars  # noqa: E402 - after the skip

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
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


def _session(n: int) -> Session:
    start = NOW + timedelta(days=n)
    return Session(
        id=f"s{n}",
        tenant="acme",
        title="Chemistry",
        span=TimeSpan(start, start + timedelta(hours=1)),
        tz="Europe/Berlin",
        status="SCHEDULED",
        lifecycle="lms",
        busy=True,
        created_at=NOW,
        resources=["teacher:ana"],
        series_id="chem",
        schedule_item_id="weekly",
        occurrence_key=start.replace(tzinfo=None),
    )


def _report(created: tuple[Session, ...], skipped: tuple[Skipped, ...]) -> MaterialiseReport:
    window = TimeSpan(NOW, NOW + timedelta(days=30))
    return MaterialiseReport(
        tenant="acme", series_id="chem", window=window, created=created, skipped=skipped
    )


def test_a_generation_report_is_one_row_per_occurrence_created_or_skipped() -> None:
    blocking = _session(9)
    late = NOW + timedelta(days=3)
    skipped = Skipped(
        series_id="chem",
        item_id="weekly",
        key=late.replace(tzinfo=None),  # occurrence keys are naive local times
        span=TimeSpan(late, late + timedelta(hours=1)),
        reason="conflict",
        blocking=blocking,
        resource=ResourceRef("teacher", "ana"),
    )
    report = _report((_session(1), _session(2)), (skipped,))
    frame = to_pandas(report)
    assert list(frame.columns) == [
        "outcome",
        "series_id",
        "item_id",
        "start",
        "end",
        "session_id",
        "resource",
        "blocking",
    ]
    assert frame["outcome"].tolist() == ["created", "created", "conflict"]
    assert frame["session_id"].tolist() == ["s1", "s2", pd.NA]
    assert frame["resource"].tolist() == [pd.NA, pd.NA, "teacher:ana"]
    assert frame["blocking"].tolist() == [pd.NA, pd.NA, "s9"]
    assert frame["start"].tolist() == [pd.Timestamp(NOW + timedelta(days=d)) for d in (1, 2, 3)]
    assert str(frame["start"].dtype) == "datetime64[us, UTC]"
    assert str(frame["outcome"].dtype) == "category"
    polars = to_polars(report)
    assert polars["outcome"].to_list() == ["created", "created", "conflict"]
    assert polars.schema["end"] == pl.Datetime("us", "UTC")
    assert polars.schema["resource"] == pl.String


def test_a_report_that_made_nothing_keeps_its_typed_columns() -> None:
    empty = _report((), ())
    assert to_pandas(empty).shape == (0, 8)
    assert to_polars(empty).schema["start"] == pl.Datetime("us", "UTC")
    created_only = to_polars(_report((_session(1),), ()))
    assert created_only.schema["blocking"] == pl.String  # None only: typed as declared
