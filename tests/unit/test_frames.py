"""contrib.frames: pandas and polars frames of sessionkit values, typed by the records schema."""

from __future__ import annotations

import gc
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from tests._frozen_heap import frozen_heap
from tests._versions import needs

from sessionkit import InvalidValue, NaiveDatetime, TimeSpan, WrongType
from sessionkit.model import Page, ResourceRef, Session
from sessionkit.model.analytics import Counts, Progress, RateRow, Rates, StatusCount
from sessionkit.model.analytics_money import (
    ClientMoney,
    ClientRow,
    ClientStats,
    Revenue,
    RevenueRow,
)
from sessionkit.model.analytics_use import AttendanceRow, AttendanceStats, SubscriptionUse, UsageRow
from sessionkit.model.attendance import Attendance
from sessionkit.model.records import (
    ATTENDANCE,
    BOOKING,
    PAYMENT,
    SCHEMAS,
    SESSION,
    Column,
    column_values,
    to_records,
)
from sessionkit.testing.contract.payments import make_payment

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

from sessionkit.contrib.frames import to_pandas, to_polars  # noqa: E402 - after the skip

_DIGITS = 38  # the most digits a polars decimal holds

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def session(n: int, **changes: object) -> Session:
    start = NOW + timedelta(hours=n)
    fields: dict[str, object] = {
        "id": f"s{n}",
        "tenant": "acme",
        "title": f"Lesson {n}",
        "span": TimeSpan(start, start + timedelta(minutes=45)),
        "tz": "Europe/Berlin" if n % 2 else "America/New_York",
        "status": "SCHEDULED" if n % 3 else "COMPLETED",
        "lifecycle": "lms",
        "busy": True,
        "created_at": NOW,
        "resources": ["teacher:ana"],
        "is_extra": True,
    }
    fields.update(changes)
    return Session(**fields)  # type: ignore[arg-type]


SESSIONS = [session(n) for n in range(1, 7)]


def test_pandas_frame_of_sessions_has_the_schema_columns_and_dtypes() -> None:
    df = to_pandas(SESSIONS)
    assert list(df.columns) == list(SESSION.names)
    assert len(df) == 6
    assert str(df["start"].dtype) == "datetime64[us, UTC]"
    assert str(df["updated_at"].dtype) == "datetime64[us, UTC]"
    assert df["updated_at"].isna().all()
    assert isinstance(df["status"].dtype, pd.CategoricalDtype)
    assert sorted(df["status"].cat.categories) == ["COMPLETED", "SCHEDULED"]
    assert str(df["capacity"].dtype) == "int64"
    assert str(df["busy"].dtype) == "bool"
    assert isinstance(df["tz"].dtype, pd.StringDtype)
    assert df["start"].iloc[0] == pd.Timestamp("2026-03-02 10:00", tz="UTC")
    assert list(df["tz"].unique()) == ["Europe/Berlin", "America/New_York"]
    berlin = df["start"].dt.tz_convert("Europe/Berlin")
    assert berlin.iloc[0].hour == 11


def test_polars_frame_of_sessions_has_the_schema_columns_and_dtypes() -> None:
    df = to_polars(SESSIONS)
    assert df.columns == list(SESSION.names)
    assert df.height == 6
    assert df.schema["start"] == pl.Datetime("us", "UTC")
    assert df.schema["status"] == pl.Categorical
    assert df.schema["capacity"] == pl.Int64
    assert df.schema["tz"] == pl.String
    assert df["start"][0] == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert df["updated_at"].null_count() == 6
    assert df["status"].cast(pl.String).to_list() == [s.status for s in SESSIONS]


def test_far_instants_survive_microsecond_columns() -> None:
    far = TimeSpan(datetime(8999, 1, 1, tzinfo=UTC), datetime(8999, 1, 2, tzinfo=UTC))
    one = [session(1, span=far)]
    assert to_pandas(one)["end"].iloc[0] == pd.Timestamp("8999-01-02", tz="UTC")
    assert to_polars(one)["end"][0] == datetime(8999, 1, 2, tzinfo=UTC)


def test_far_instants_reach_pandas_as_microseconds_not_datetime_objects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pandas 2.1 (the oldest the extra allows) reads datetime objects through nanoseconds,
    # so years past 2262 raised InvalidValue though the column holds microseconds. Emulate it.
    index: Any = pd.DatetimeIndex

    class Nanoseconds(index):  # type: ignore[misc]  # pandas' DatetimeIndex, an Any here
        def __new__(cls, data: Any = None, **kwargs: Any) -> Any:
            if any(isinstance(v, datetime) and v.year > 2262 for v in list(data)):
                raise OverflowError("Cannot cast to unit='ns' without overflow")
            return index(data, **kwargs)

    monkeypatch.setattr(pd, "DatetimeIndex", Nanoseconds)
    far = TimeSpan(datetime(8999, 1, 1, tzinfo=UTC), datetime(8999, 1, 2, tzinfo=UTC))
    df = to_pandas([session(1, span=far), session(2)])
    assert str(df["end"].dtype) == "datetime64[us, UTC]"
    assert list(df["end"]) == [
        pd.Timestamp("8999-01-02", tz="UTC"),
        pd.Timestamp(NOW + timedelta(hours=2, minutes=45)),
    ]
    assert df["updated_at"].isna().all()


def test_payments_keep_exact_amounts() -> None:
    payments = [
        make_payment("p1", amount="10.50", currency="EUR"),
        make_payment("p2", amount="1000", currency="JPY"),
        make_payment("p3", amount="1.125", currency="KWD"),
    ]
    df = to_pandas(payments)
    assert list(df["amount"]) == [Decimal("10.50"), Decimal(1000), Decimal("1.125")]
    assert list(df["currency"]) == ["EUR", "JPY", "KWD"]
    pf = to_polars(payments)
    assert pf.schema["amount"] == pl.Decimal(38, 6)  # the stores' six places
    assert pf["amount"].to_list() == [Decimal("10.50"), Decimal(1000), Decimal("1.125")]
    finer = to_polars([make_payment("p4", amount="0.0000001", currency="EUR")])
    assert finer.schema["amount"] == pl.Decimal(38, 7)  # an amount made in memory: its own


def test_amounts_of_mixed_places_reach_polars_written_with_the_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # polars 1.0 (the oldest the extra allows) refuses a decimal column whose amounts
    # have different places (10.50 beside 1.125): to_polars raised InvalidValue for
    # payments in EUR and KWD, or a revenue in EUR and JPY. Emulate it.
    series: Any = pl.Series

    class Strict(series):  # type: ignore[misc]  # polars' Series, an Any here
        def __init__(self, name: str, values: list[object], dtype: Any = None) -> None:
            if isinstance(dtype, pl.DataType) and dtype.is_decimal():
                places = {v.as_tuple().exponent for v in values if isinstance(v, Decimal)}
                if len(places) > 1:
                    raise TypeError("unexpected value while building Series of type Decimal")
            super().__init__(name, values, dtype=dtype)

    monkeypatch.setattr(pl, "Series", Strict)  # the frame has no other column to build
    amounts = [Decimal("10.50"), Decimal(1000), None, Decimal("1.125")]
    pf = to_polars([{"amount": a} for a in amounts])
    assert pf.schema["amount"] == pl.Decimal(38, 6)
    assert pf["amount"].to_list() == amounts
    assert [str(a) for a in pf["amount"].to_list() if a is not None] == [
        "10.500000",
        "1000.000000",
        "1.125000",
    ]


def _revenue_row(currency: str, paid: Decimal) -> RevenueRow:
    zero = Decimal(0)
    return RevenueRow(
        key=None,
        currency=currency,
        payments=1,
        booked=paid,
        paid=paid,
        refunded=zero,
        refund_due=zero,
        kept=paid,
        pending=zero,
    )


def test_amount_columns_have_one_dtype_so_concatenating_frames_rounds_none() -> None:
    # Monthly revenue frames, a month with no payments first: its amount column was
    # Decimal(38, 0) (no amount to read places from) and pl.concat casts every frame to
    # the first's scale, so 1000.02 EUR came out as 1000; a JPY frame first did the same.
    euros = Revenue(tenant="t", by=None, rows=(_revenue_row("EUR", Decimal("1000.02")),))
    yen = Revenue(tenant="t", by=None, rows=(_revenue_row("JPY", Decimal(1500)),))
    dinars = Revenue(tenant="t", by=None, rows=(_revenue_row("KWD", Decimal("1.125")),))
    empty = Revenue(tenant="t", by=None, rows=())
    frames = [to_polars(r) for r in (empty, yen, euros, dinars)]
    assert {f.schema["paid"] for f in frames} == {pl.Decimal(38, 6)}
    yen_paid = to_polars([make_payment("p1", amount="1000", currency="JPY")])
    assert to_polars([], schema=PAYMENT).schema["amount"] == yen_paid.schema["amount"]
    joined = pl.concat(frames)
    assert joined["paid"].to_list() == [Decimal(1500), Decimal("1000.02"), Decimal("1.125")]
    assert joined["currency"].to_list() == ["JPY", "EUR", "KWD"]
    huge = Decimal("1" * _DIGITS)  # past the six places' room: fewer places, still held
    assert to_polars([{"amount": huge}])["amount"].to_list() == [huge]


def test_a_page_and_an_empty_input_with_its_schema() -> None:
    page = Page(items=tuple(SESSIONS[:2]), total=2, page=1, limit=50, next_cursor=None)
    assert list(to_pandas(page)["id"]) == ["s1", "s2"]
    empty = to_pandas([], schema=PAYMENT)
    assert list(empty.columns) == list(PAYMENT.names)
    assert str(empty["session_start"].dtype) == "datetime64[us, UTC]"
    assert to_polars([], schema=PAYMENT).columns == list(PAYMENT.names)
    assert to_pandas([]).empty


def test_records_with_their_schema_are_typed_as_the_values_are() -> None:
    # A notebook filters to_records(page) and names the schema, as for an empty list:
    # the frame must not depend on whether the filter kept rows, nor type the
    # all-None columns (series_id, group, updated_at) as object.
    rows = [r for r in to_records(SESSIONS) if r["tz"] == "Europe/Berlin"]
    df = to_pandas(rows, schema=SESSION)
    assert df.dtypes.astype(str).to_dict() == to_pandas(SESSIONS[:1]).dtypes.astype(str).to_dict()
    assert str(df["updated_at"].dtype) == "datetime64[us, UTC]"
    assert str(df["group"].dtype) == "string"
    assert list(df["id"]) == ["s1", "s3", "s5"]
    pf = to_polars(rows, schema=SESSION)
    assert pf.schema == to_polars(SESSIONS[:1]).schema
    assert pf.schema["updated_at"] == pl.Datetime("us", "UTC")
    # Records of another kind, or a column of another type, are refused, not relabelled.
    with pytest.raises(InvalidValue, match="not payment records: missing 'booking_id'"):
        to_pandas(rows, schema=PAYMENT)
    with pytest.raises(InvalidValue, match="column 'capacity' holds text values"):
        to_polars([{**rows[0], "capacity": "ten"}], schema=SESSION)
    empty_counts = Counts(tenant="acme", by=None, rows=())
    with pytest.raises(InvalidValue, match="not session records: missing 'id'"):
        to_pandas(empty_counts, schema=SESSION)


def test_records_of_an_analytics_result_get_inferred_dtypes() -> None:
    class Rates:
        def to_records(self) -> list[dict[str, object]]:
            return [
                {"teacher": "ana", "status": "DONE", "sessions": 3, "rate": 0.5, "at": NOW},
                {"teacher": "ben", "status": None, "sessions": None, "rate": 1.0, "at": None},
            ]

    df = to_pandas(Rates())
    assert str(df["sessions"].dtype) == "Int64"
    assert str(df["rate"].dtype) == "float64"
    assert str(df["at"].dtype) == "datetime64[us, UTC]"
    assert isinstance(df["status"].dtype, pd.CategoricalDtype)
    pf = to_polars(Rates())
    assert pf.schema["sessions"] == pl.Int64
    assert pf.schema["at"] == pl.Datetime("us", "UTC")
    assert pf["sessions"].to_list() == [3, None]


def test_an_empty_analytics_result_keeps_its_columns() -> None:
    # An empty tenant or window: the frame still has the result's columns, so a notebook's
    # groupby("status") finds its column instead of a KeyError.
    empty = Counts(tenant="acme", by=None, rows=())
    assert list(to_pandas(empty).columns) == ["key", "status", "sessions"]
    assert to_polars(empty).columns == ["key", "status", "sessions"]
    assert to_pandas(empty).groupby("status", observed=True).size().empty
    counted = Counts(tenant="acme", by=None, rows=(StatusCount(None, "DONE", 2),))
    assert to_pandas(counted)["sessions"].tolist() == [2]  # a full result as before


@pytest.mark.parametrize("convert", [to_pandas, to_polars])
def test_bad_input_is_refused(convert: object) -> None:
    with pytest.raises(WrongType):
        convert([object()])  # type: ignore[operator]
    with pytest.raises(WrongType):
        convert("sessions")  # type: ignore[operator]
    with pytest.raises(NaiveDatetime):
        convert([{"at": datetime(2026, 3, 2)}])  # type: ignore[operator]


def test_values_a_library_cannot_hold_are_refused_naming_the_column() -> None:
    huge = [{"n": 2**70}]
    with pytest.raises(InvalidValue, match="column 'n'") as caught:
        to_polars(huge)
    assert caught.value.value == "n"
    with pytest.raises(InvalidValue, match="column 'n'"):
        to_pandas(huge)
    for odd in ("NaN", "Infinity"):
        # polars panics on these with an exception no `except Exception` catches.
        with pytest.raises(InvalidValue, match="column 'amount'"):
            to_polars([{"amount": Decimal(odd)}])


def test_an_int_too_long_to_print_is_refused_without_an_unraisable_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # polars failed to print 10**5000 in its own error (Python refuses ints past 4,300
    # digits) and handed that to sys.unraisablehook, where pytest failed the test printing it.
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with frozen_heap():  # each gc.collect() walked the whole suite's heap: 42 s on CI
        for huge in (10**5000, -(10**5000), 2**63, -(2**63) - 1):
            with pytest.raises(InvalidValue, match=r"column 'n'.*past int64"):
                to_polars([{"n": 1}, {"n": huge}])
            gc.collect()
        with pytest.raises(InvalidValue, match=r"column 'n'.*past float64"):
            to_polars([{"n": 1.5}, {"n": 10**5000}])  # a float column: the same in float()
        with pytest.raises(InvalidValue, match=r"column 'n'.*past float64"):
            to_polars([{"n": 1.5}, {"n": 2**1024 - 2**970}])  # float() rounds it to 2**1024
        assert to_polars([{"n": 1.5}, {"n": 2**1024 - 2**970 - 1}])["n"][1] == sys.float_info.max
        gc.collect()
    assert unraisable == []
    assert to_polars([{"n": 2**63 - 1}, {"n": -(2**63)}])["n"].to_list() == [2**63 - 1, -(2**63)]


def test_a_column_name_must_be_storable_text() -> None:
    with pytest.raises(WrongType, match="column name"):
        to_pandas([{1: "x"}])
    with pytest.raises(InvalidValue, match="column name"):
        to_polars([{"a\ud800": "x"}])


AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
MONEY = Decimal("12.50")
FULL_RESULTS = [  # every column holding a value, so each type is inferred, not declared
    Counts(tenant="t", by="resource", rows=(StatusCount("room:a", "DONE", 2),)),
    Rates(
        tenant="t",
        by="kind",
        rows=(RateRow(key="k", sessions=4, completed=2, no_show=1, cancelled=1, rescheduled=1),),
    ),
    Progress(tenant="t", now=AT, total=2, sessions=3, completed=1, no_show=1, cancelled=0, due=2),
    Revenue(
        tenant="t",
        by="provider",
        rows=(
            RevenueRow(
                key="teacher:ana",
                currency="EUR",
                payments=1,
                booked=MONEY,
                paid=MONEY,
                refunded=MONEY,
                refund_due=MONEY,
                kept=MONEY,
                pending=MONEY,
            ),
        ),
    ),
    ClientStats(
        tenant="t",
        rows=(
            ClientRow(
                client="client:a",
                sessions=2,
                first_session=AT,
                last_session=AT,
                money=(ClientMoney(currency="EUR", paid=MONEY, pending=MONEY, refunded=MONEY),),
            ),
        ),
    ),
    AttendanceStats(
        tenant="t",
        by="resource",
        rows=(
            AttendanceRow(
                key="room:a",
                records=9,
                present=3,
                late=1,
                left_early=1,
                partial=1,
                absent=3,
                minutes=90,
                overridden=1,
                held=9,
                held_absent=3,
            ),
        ),
    ),
    SubscriptionUse(
        tenant="t",
        by="period",
        now=AT,
        rows=(
            UsageRow(
                subscriber="s:a",
                subscription_id="sub1",
                period="2026-03",
                periods=1,
                granted=4,
                used=2,
                reversed=0,
            ),
        ),
    ),
]


@pytest.mark.parametrize("result", FULL_RESULTS, ids=lambda r: type(r).__name__)
def test_an_analytics_result_declares_the_types_its_columns_have(result: Any) -> None:
    assert list(result.TYPES) == list(result.COLUMNS)
    found = {c.name: c.type for c in column_values(result.to_records())}
    assert found == dict(result.TYPES)


def test_a_column_of_nulls_takes_its_declared_type() -> None:
    # No session held yet: every rate is None, and the whole-scope key too. They were
    # object columns (polars Object), which a notebook can neither average nor group on.
    rates = Rates(
        tenant="t",
        by=None,
        rows=(RateRow(key=None, sessions=3, completed=0, no_show=0, cancelled=3, rescheduled=0),),
    )
    pf = to_polars(rates)
    assert pf.schema["completion_rate"] == pl.Float64
    assert pf.schema["key"] == pl.String
    assert pf.group_by("key").agg(pl.col("completion_rate").mean()).height == 1
    df = to_pandas(rates)
    assert df["completion_rate"].dtype == "float64"
    assert df["completion_rate"].isna().all()
    empty = to_polars(Counts(tenant="t", by=None, rows=()))
    assert dict(empty.schema) == {"key": pl.String, "status": pl.Categorical, "sessions": pl.Int64}


def _kinds() -> dict[str, list[Any]]:
    from sessionkit.testing.contract._booking_support import make_booking
    from sessionkit.testing.contract._support import make_series, make_session
    from sessionkit.testing.contract.reschedules import make_reschedule

    return {
        "session": [make_session("s1"), make_session("s2", updated=1, series_id="r1")],
        "series": [make_series("r1")],
        "booking": [make_booking("b1", hold_until=2), make_booking("b2", position=1)],
        "payment": [make_payment("p1", amount="10.50"), make_payment("p2", amount="1.125")],
        "reschedule": [make_reschedule("q1"), make_reschedule("q2", proposed=None)],
    }


@needs("polars", "1.32", "a CSV read back has the frame's Categoricals (global from 1.32)")
@pytest.mark.parametrize("kind", ["session", "series", "booking", "payment", "reschedule"])
def test_every_kind_of_frame_is_written_to_files_and_read_back(tmp_path: Path, kind: str) -> None:
    # What a notebook does next: save the frame. polars refuses to write an Object column.
    values = _kinds()[kind]
    pf = to_polars(values)
    pf.write_parquet(tmp_path / "f.parquet")
    assert pl.read_parquet(tmp_path / "f.parquet").equals(pf)
    pf.write_ipc(tmp_path / "f.arrow")
    assert pl.read_ipc(tmp_path / "f.arrow").equals(pf)
    pf.write_csv(tmp_path / "f.csv")
    assert pl.read_csv(tmp_path / "f.csv", schema=pf.schema).equals(pf)
    df = to_pandas(values)
    df.to_csv(tmp_path / "p.csv", index=False)
    back = pd.read_csv(tmp_path / "p.csv", dtype=str, keep_default_na=False)
    assert back["id"].tolist() == [v.id for v in values]
    cells = df.astype(object).where(df.notna(), "").astype(str)  # None as an empty cell
    assert back.to_numpy().tolist() == cells.to_numpy().tolist()


@needs("polars", "1.32", "a CSV read back has the frame's Categoricals (global from 1.32)")
def test_records_without_their_schema_give_polars_columns_it_can_write(tmp_path: Path) -> None:
    # Records of no schema (to_records(...) with a column of one's own, no schema=): a column
    # no record fills (group, series_id, updated_at) was polars Object, and write_parquet,
    # write_csv and write_ipc all failed.
    rows = [{**row, "level": "B1"} for row in to_records(SESSIONS)]
    pf = to_polars(rows)
    assert {n: pf.schema[n] for n in ("group", "series_id", "updated_at")} == dict.fromkeys(
        ("group", "series_id", "updated_at"), pl.Null
    )
    assert pf["group"].to_list() == [None] * 6
    pf.write_parquet(tmp_path / "f.parquet")
    assert pl.read_parquet(tmp_path / "f.parquet").equals(pf)
    pf.write_ipc(tmp_path / "f.arrow")
    assert pl.read_ipc(tmp_path / "f.arrow").equals(pf)
    pf.write_csv(tmp_path / "f.csv")
    text = {n: pl.String if t == pl.Null else t for n, t in pf.schema.items()}  # CSV: no Null
    back = pl.read_csv(tmp_path / "f.csv", schema=text)
    assert back.equals(pf.cast(text))  # type: ignore[arg-type]  # polars' mapping type is narrow
    assert back["group"].to_list() == [None] * 6
    assert back["title"].to_list() == [s.title for s in SESSIONS]
    # pandas holds the same column as objects, all None, and writes it as empty cells.
    df = to_pandas(rows)
    assert str(df["group"].dtype) == "object"
    assert df["group"].tolist() == [None] * 6
    df.to_csv(tmp_path / "p.csv", index=False)
    assert pd.read_csv(tmp_path / "p.csv")["group"].isna().all()


def test_lists_of_text_are_list_columns_and_other_values_stay_objects(tmp_path: Path) -> None:
    rows = [
        {"id": "s1", "refs": ("teacher:ana", "room:a"), "fields": {"level": "B1"}},
        {"id": "s2", "refs": None, "fields": None},
        {"id": "s3", "refs": [], "fields": {"level": 2}},
    ]
    pf = to_polars(rows)
    assert pf.schema["refs"] == pl.List(pl.String)
    assert pf["refs"].to_list() == [["teacher:ana", "room:a"], None, []]
    assert pf.filter(pl.col("refs").list.contains("room:a"))["id"].to_list() == ["s1"]
    pf.drop("fields").write_parquet(tmp_path / "f.parquet")
    assert pl.read_parquet(tmp_path / "f.parquet")["refs"].to_list() == pf["refs"].to_list()
    # Mappings (own fields) stay Object, as pandas keeps them: never a struct that drops keys.
    assert pf.schema["fields"] == pl.Object
    assert pf["fields"].to_list() == [{"level": "B1"}, None, {"level": 2}]
    df = to_pandas(rows)
    assert df["refs"].tolist() == [("teacher:ana", "room:a"), None, []]
    assert df["fields"].tolist() == [{"level": "B1"}, None, {"level": 2}]
    # A list holding anything but text is no list of text.
    assert to_polars([{"n": [1, "a"]}]).schema["n"] == pl.Object


def test_a_frames_own_records_come_back_with_nat_read_as_missing() -> None:
    # A notebook filters a frame and passes its records back: pandas writes a missing
    # instant as NaT, whose utcoffset() raised a bare ValueError.
    df = to_pandas(SESSIONS)
    rows = df.to_dict("records")
    assert rows[0]["updated_at"] is pd.NaT
    again = to_pandas(rows, schema=SESSION)
    pd.testing.assert_frame_equal(again, df)
    assert to_pandas(rows)["updated_at"].isna().all()
    pf = to_polars(rows, schema=SESSION)
    assert pf.equals(to_polars(SESSIONS))
    assert pf["updated_at"].null_count() == len(SESSIONS)
    assert to_records(to_polars(rows).to_dicts())[0]["start"] == SESSIONS[0].start


@pytest.mark.parametrize("build", [to_pandas, to_polars], ids=["pandas", "polars"])
def test_records_holding_a_timestamp_with_nanoseconds_are_refused_as_analytics_refuses_it(
    build: Any,
) -> None:
    # Microseconds silently dropped the nanosecond, where analytics refuses the same instant.
    from sessionkit.zones import check_instant

    whole = pd.Timestamp("2026-03-02T09:00:00Z")
    assert build([{"at": whole}])["at"].to_list() == [datetime(2026, 3, 2, 9, tzinfo=UTC)]
    late = whole + pd.Timedelta(1, "ns")
    with pytest.raises(InvalidValue) as analytics:
        check_instant(late, "start_from")
    with pytest.raises(InvalidValue) as refused:
        build([{"at": None}, {"at": late}])
    assert str(refused.value) == str(analytics.value).replace("start_from", "column 'at'")
    assert str(refused.value).startswith(
        "column 'at' 2026-03-02T09:00:00.000000001+00:00 has 1 nanosecond(s)"
    )
    assert refused.value.value == late
    rows = to_records(SESSIONS[:1])
    rows[0]["start"] = pd.Timestamp(rows[0]["start"]) + pd.Timedelta(5, "ns")
    with pytest.raises(InvalidValue, match=r"^column 'start' .* has 5 nanosecond"):
        build(rows, schema=SESSION)


@pytest.mark.parametrize("convert", [to_pandas, to_polars])
@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_a_data_frame_is_refused_naming_what_to_pass(convert: Any, library: str) -> None:
    # A pandas frame went through DataFrame.to_records() (refused as an np.record, "not a
    # mapping") and a polars frame iterated its columns (refused as a Series).
    frame: Any = to_pandas(SESSIONS) if library == "pandas" else to_polars(SESSIONS)
    for schema in (None, SESSION):
        with pytest.raises(WrongType, match="not a data frame") as caught:
            convert(frame, schema=schema)
        assert caught.value.name == "values"
        assert "to_dict('records')" in str(caught.value)
        assert "np.record" not in str(caught.value)
    records = frame.to_dict("records") if library == "pandas" else frame.to_dicts()
    again = convert(records, schema=SESSION)
    assert list(again.columns) == list(SESSION.names)
    assert len(again) == len(SESSIONS)


def test_numpy_and_pandas_scalars_in_records_are_plain_values() -> None:
    # A notebook's own records hold numpy scalars ({"n": df["x"].sum()}): they were object
    # columns in pandas and Object in polars, which write_csv refused.
    np = pytest.importorskip("numpy")
    source = pd.DataFrame({"x": [1, 2, 3], "f": [0.5, 1.0, 1.5], "b": [True, False, True]})
    rows = [
        {"n": source["x"].sum(), "mean": source["f"].mean(), "any": source["b"].any()},
        {"n": np.int32(7), "mean": np.float32(0.25), "any": np.bool_(False)},
        {"n": pd.NA, "mean": None, "any": True},
    ]
    columns = {c.name: c for c in column_values(rows)}
    assert {n: c.type for n, c in columns.items()} == {"n": "int", "mean": "float", "any": "bool"}
    assert columns["n"].values == [6, 7, None]
    assert [type(v) for v in columns["n"].values] == [int, int, type(None)]
    assert columns["mean"].values == [1.0, 0.25, None]
    assert [type(v) for v in columns["any"].values] == [bool, bool, bool]
    df = to_pandas(rows)
    assert df.dtypes.astype(str).to_dict() == {"n": "Int64", "mean": "float64", "any": "bool"}
    assert df["n"].tolist() == [6, 7, pd.NA]
    pf = to_polars(rows)
    assert pf.schema == pl.Schema({"n": pl.Int64, "mean": pl.Float64, "any": pl.Boolean})
    assert pf.write_csv() == "n,mean,any\n6,1.0,true\n7,0.25,false\n,,true\n"
    # A numpy datetime is naive (or a bare integer), so it is left as it is, not guessed at.
    assert column_values([{"at": np.datetime64("2026-03-02")}])[0].type == "object"


def test_one_value_where_a_list_is_expected_says_to_pass_a_list() -> None:
    one = SESSIONS[0]
    said = r"^values must be a list of sessions \(one in a list: \[value\]\), got Session"
    for convert in (to_pandas, to_polars):
        with pytest.raises(WrongType, match=said):
            convert(one)
    with pytest.raises(WrongType, match=r"must be a list of payments .* got Payment"):
        to_pandas(make_payment("p1"))


def test_records_of_bookings_give_the_frame_the_bookings_give() -> None:
    # to_records(bookings) read without schema= typed role as a category (by its name), where
    # the BOOKING schema has text, and a column no row fills (hold_expires_at) as object.
    from sessionkit.testing.contract._booking_support import make_booking

    bookings = [make_booking("b1", position=1), make_booking("b2", position=2)]
    rows = to_records(bookings)
    df, dr = to_pandas(bookings), to_pandas(rows)
    assert str(dr["role"].dtype) == "string"
    assert str(dr["hold_expires_at"].dtype) == "datetime64[us, UTC]"
    assert dr.dtypes.astype(str).to_dict() == df.dtypes.astype(str).to_dict()
    assert dr.astype(object).equals(df.astype(object))
    assert to_polars(rows).schema == to_polars(bookings).schema
    assert to_polars(rows).equals(to_polars(bookings))
    # The same with the schema named: a position column with no None is Int64 as the values'.
    assert str(to_pandas(rows, schema=BOOKING)["position"].dtype) == "Int64"
    # Records whose values do not fit the schema are read as they are, not refused.
    odd = [{**row, "position": "first"} for row in rows]
    assert to_pandas(odd)["position"].tolist() == ["first", "first"]
    assert str(to_pandas(odd)["role"].dtype) == "category"


def test_a_pandas_frame_of_an_optional_int_column_reads_back_under_its_schema() -> None:
    # pd.DataFrame(records) holds an int column with a None as float64, NaN for the None;
    # its to_dict("records") (2.0, nan) was refused: "position holds float values".
    from sessionkit.testing.contract._booking_support import make_booking

    bookings = [make_booking("b1", position=2), make_booking("b2"), make_booking("b3", position=1)]
    plain = pd.DataFrame(to_records(bookings))
    assert str(plain["position"].dtype) == "float64"
    back = plain.to_dict("records")
    for read in (to_pandas(back, schema=BOOKING), to_pandas(back)):
        assert str(read["position"].dtype) == "Int64"
        assert read["position"].tolist() == [2, pd.NA, 1]
        assert read["seats"].tolist() == [1, 1, 1]
    assert to_polars(back, schema=BOOKING)["position"].to_list() == [2, None, 1]
    assert to_polars(back, schema=BOOKING).equals(to_polars(bookings))


@pytest.mark.parametrize("odd", [2.5, float("inf")])
def test_a_float_no_whole_number_in_an_int_column_is_refused_naming_it(odd: float) -> None:
    from sessionkit.testing.contract._booking_support import make_booking

    back = pd.DataFrame(to_records([make_booking("b1", position=2), make_booking("b2")]))
    rows = back.assign(position=[odd, float("nan")]).to_dict("records")
    with pytest.raises(InvalidValue, match=rf"column 'position' holds {odd}, which is no whole"):
        to_pandas(rows, schema=BOOKING)
    with pytest.raises(InvalidValue) as caught:
        to_polars(rows, schema=BOOKING)
    assert caught.value.value == odd
    # Without schema=, records that do not fit it are read as they are: a float column.
    assert str(to_pandas(rows)["position"].dtype) == "float64"


_PANDAS = {
    "instant": "datetime64[us, UTC]",
    "category": "category",
    "text": "string",
    "int": "int64",
    "bool": "bool",
}
_POLARS = {
    "instant": pl.Datetime("us", "UTC"),
    "category": pl.Categorical,
    "text": pl.String,
    "int": pl.Int64,
    "bool": pl.Boolean,
}


def _pandas_dtype(column: Column) -> str:
    nullable = {"int": "Int64", "bool": "boolean"} if column.nullable else {}
    return nullable.get(column.type) or _PANDAS[column.type]


def _use_values() -> dict[str, list[Any]]:
    from sessionkit.model.attendance import AttendanceOverride, Interval
    from sessionkit.testing.contract.usage import make_entry, make_subscription

    berlin = ZoneInfo("Europe/Berlin")
    joined = datetime(2026, 3, 2, 10, 7, tzinfo=berlin)  # 09:07 UTC
    told = AttendanceOverride(
        id="o1", tenant="acme", session_id="s1", participant="student:ana", status="present",
        minutes=55, decided_by="tara", decided_at=joined,
    )  # fmt: skip
    return {
        "attendance": [
            Attendance(
                session_id="s1",
                participant=ResourceRef("student", "ana"),
                status="late",
                held_minutes=60,
                intervals=(Interval(joined, joined + timedelta(minutes=43)),),
                attended=timedelta(minutes=43),
                override=told,
            ),
            Attendance(
                session_id="s1",
                participant=ResourceRef("student", "ben"),
                intervals=(),
                attended=timedelta(),
                status="absent",
            ),
        ],
        "usage": [
            make_entry("u1"),
            attrs.evolve(make_entry("u2"), reversed_at=joined, reason="corrected"),
        ],
        "subscription": [
            make_subscription("sub1"),
            attrs.evolve(
                make_subscription("sub2"), starts=joined, ends=joined + timedelta(days=30)
            ),
        ],
    }


@needs("polars", "1.32", "a CSV read back has the frame's Categoricals (global from 1.32)")
@pytest.mark.parametrize("kind", ["attendance", "usage", "subscription"])
def test_attendance_usage_and_subscriptions_have_frames_of_their_schema(
    kind: str, tmp_path: Path
) -> None:
    # to_pandas(kit.attendance.for_session(...)) raised WrongType: they had no record schema.
    schema = SCHEMAS[kind]
    values = _use_values()[kind]
    df, pf = to_pandas(values), to_polars(values)
    assert list(df.columns) == pf.columns == list(schema.names)
    assert df.dtypes.astype(str).to_dict() == {c.name: _pandas_dtype(c) for c in schema.columns}
    assert dict(pf.schema) == {c.name: _POLARS[c.type] for c in schema.columns}
    assert len(df) == pf.height == 2
    # An empty result keeps its columns and their types when the schema is named.
    empty = to_pandas([], schema=schema)
    assert empty.dtypes.astype(str).to_dict() == df.dtypes.astype(str).to_dict()
    assert to_polars([], schema=schema).schema == pf.schema
    # Their records come back as the values' own frame, and polars writes the frame.
    assert (
        to_pandas(to_records(values)).dtypes.astype(str).to_dict()
        == df.dtypes.astype(str).to_dict()
    )
    pf.write_csv(tmp_path / "f.csv")
    assert pl.read_csv(tmp_path / "f.csv", schema=pf.schema).equals(pf)


def test_instants_of_attendance_usage_and_subscriptions_are_utc() -> None:
    values = _use_values()
    nine = datetime(2026, 3, 2, 9, 7, tzinfo=UTC)
    [ana, ben] = to_records(values["attendance"])
    assert (ana["first_joined"], ana["last_left"]) == (nine, nine + timedelta(minutes=43))
    assert ana["first_joined"].tzinfo is UTC
    assert (ana["status"], ana["minutes"], ana["stays"]) == ("late", 43, 1)
    assert (ana["override_status"], ana["override_minutes"], ana["override_by"]) == (
        "present",
        55,
        "tara",
    )
    assert (ana["effective_status"], ana["effective_minutes"]) == ("present", 55)
    assert (ben["first_joined"], ben["override_status"], ben["effective_minutes"]) == (
        None,
        None,
        0,
    )
    df = to_pandas(values["attendance"])
    assert df["first_joined"].tolist()[0] == pd.Timestamp(nine)
    assert df["effective_status"].tolist() == ["present", "absent"]
    used = to_polars(values["usage"])
    assert used["reversed_at"].to_list() == [None, nine]
    assert used["active"].to_list() == [True, False]
    plans = to_pandas(values["subscription"])
    assert plans["starts"].tolist()[1] == pd.Timestamp(nine)
    assert plans["per"].tolist() == ["month", "month"]


def test_a_kits_attendance_of_a_session_is_a_frame() -> None:
    from sessionkit.model.attendance import PresenceEvent
    from sessionkit.testing.harness import Harness

    shop = Harness.in_memory(NOW)
    kit = shop.kit
    start = NOW + timedelta(hours=1)
    lesson = kit.sessions.create_extra(
        "acme", actor="tina", title="Algebra", lifecycle="lms", tz="Europe/Berlin",
        start=start, end=start + timedelta(hours=1), resources=["teacher:tina"],
    )  # fmt: skip
    events = [
        PresenceEvent(
            provider="meet",
            event_id=f"e{n}",
            session_id=lesson.id,
            participant="student:ana",
            action=action,
            at=start + timedelta(minutes=minutes),
        )
        for n, (action, minutes) in enumerate([("join", 7), ("leave", 50)])
    ]
    kit.attendance.record_presence("acme", events, now=start + timedelta(minutes=50))
    shop.clock.set(start + timedelta(hours=2))
    df = to_pandas(kit.attendance.for_session("acme", lesson.id))
    assert df[["participant", "status", "minutes", "effective_minutes"]].values.tolist() == [
        ["student:ana", "late", 43, 43]
    ]
    assert df["last_left"].tolist() == [pd.Timestamp(start + timedelta(minutes=50))]


def test_a_frames_own_records_with_a_missing_category_come_back() -> None:
    # pandas gives a missing category as a float NaN in df.to_dict("records"): the column
    # was one of mixed types, refused with schema= and an object column without it.
    values = _use_values()["attendance"]
    df = to_pandas(values)
    rows = df.to_dict("records")
    assert rows[1]["override_status"] != rows[1]["override_status"]  # NaN
    for again in (to_pandas(rows, schema=ATTENDANCE), to_pandas(rows)):
        assert again["override_status"].tolist()[0] == "present"
        assert again["override_status"].isna().tolist() == [False, True]
        assert again.dtypes.astype(str).to_dict() == df.dtypes.astype(str).to_dict()
    assert to_polars(rows)["override_status"].to_list() == ["present", None]
    # A NaN among numbers is a number, and text with a number in it stays mixed.
    assert column_values([{"x": 1.5}, {"x": float("nan")}])[0].type == "float"
    assert column_values([{"x": "a"}, {"x": 2.5}])[0].type == "object"


def test_a_frames_own_records_with_a_category_no_row_fills_come_back() -> None:
    # A category no row fills (attendance without any override) is NaN in every row of
    # df.to_dict("records"): a float column, refused with schema= and, without it, the
    # whole frame read by inference (override_status float64, override_by object).
    values = _use_values()["attendance"][1:]
    df = to_pandas(values)
    rows = df.to_dict("records")
    assert rows[0]["override_status"] != rows[0]["override_status"]  # NaN
    for again in (to_pandas(rows, schema=ATTENDANCE), to_pandas(rows)):
        assert again["override_status"].isna().tolist() == [True]
        assert again.dtypes.astype(str).to_dict() == df.dtypes.astype(str).to_dict()
        assert again.equals(df)
    assert to_polars(rows, schema=ATTENDANCE).equals(to_polars(values))
    # Without a schema to go by, a column of NaN is a float column, as before.
    assert column_values([{"x": float("nan")}])[0].type == "float"


def test_a_numpy_scalar_with_no_plain_value_is_kept_as_it_is() -> None:
    # A longdouble's item() is itself: reading it as a plain value recursed until
    # RecursionError.
    np = pytest.importorskip("numpy")
    for odd in (np.longdouble(1.5), np.clongdouble(1 + 2j)):
        [column] = column_values([{"x": odd}, {"x": None}])
        assert column.type == "object"
        assert column.values == [odd, None]
        assert to_pandas([{"x": odd}])["x"].tolist() == [odd]
