"""Records: the fixed schemas of sessions, series, bookings, payments and reschedule requests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs
import pytest

from sessionkit import InvalidValue, NaiveDatetime, TimeSpan, WrongType
from sessionkit.model import Page, ResourceRef, ScheduleItem, Series, Session
from sessionkit.model.attendance import Attendance, Interval
from sessionkit.model.records import (
    BOOKING,
    COLUMN_TYPES,
    PAYMENT,
    SCHEMAS,
    SESSION,
    Column,
    Schema,
    column_values,
    schema_of,
    to_records,
)
from sessionkit.recurrence import Recurrence
from sessionkit.testing.contract._booking_support import make_booking
from sessionkit.testing.contract.payments import make_payment
from sessionkit.testing.contract.reschedules import make_reschedule
from sessionkit.testing.contract.usage import make_entry, make_subscription

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def session(n: int = 1, **changes: object) -> Session:
    start = NOW + timedelta(hours=n)
    fields: dict[str, object] = {
        "id": f"s{n}",
        "tenant": "acme",
        "title": f"Chemistry {n}",
        "span": TimeSpan(start, start + timedelta(hours=1)),
        "tz": "Europe/Berlin",
        "status": "SCHEDULED",
        "lifecycle": "lms",
        "busy": True,
        "created_at": NOW,
        "resources": ["teacher:ana", ResourceRef("room", "r1")],
        "is_extra": True,
    }
    fields.update(changes)
    return Session(**fields)  # type: ignore[arg-type]


def test_a_session_record_has_utc_instants_and_its_zone_in_a_column() -> None:
    [row] = to_records([session()])
    assert list(row) == list(SESSION.names)
    assert row["start"] == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert row["start"].tzinfo is UTC
    assert row["end"] == datetime(2026, 3, 2, 11, tzinfo=UTC)
    assert row["tz"] == "Europe/Berlin"
    assert row["resources"] == "room:r1, teacher:ana"
    assert row["status"] == "SCHEDULED"
    assert row["series_id"] is None
    assert row["updated_at"] is None
    assert row["version"] == 1


def test_an_instant_in_another_zone_is_given_in_utc() -> None:
    berlin = datetime(2026, 3, 2, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    [row] = to_records([session(created_at=berlin)])
    assert row["created_at"] == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert row["created_at"].tzinfo is UTC


def test_every_value_kind_has_its_schema_and_columns_in_order() -> None:
    series = Series(
        id="chem",
        tenant="acme",
        title="Chemistry",
        items=[
            ScheduleItem(
                "weekly",
                Recurrence.weekly(
                    days=("MO",),
                    at=time(9),
                    duration=timedelta(hours=1),
                    tz="UTC",
                    start=date(2026, 3, 1),
                ),
            )
        ],
        lifecycle="lms",
        created_at=NOW,
    )
    values = {
        "session": session(),
        "series": series,
        "booking": make_booking("b1", session_id="s1", status="CONFIRMED"),
        "payment": make_payment("p1", amount="10.50", currency="EUR"),
        "reschedule": make_reschedule("r1"),
        "attendance": Attendance(
            session_id="s1",
            participant=ResourceRef("student", "ana"),
            intervals=(Interval(NOW, NOW + timedelta(minutes=30)),),
            attended=timedelta(minutes=30),
            status="partial",
        ),
        "usage": make_entry("u1"),
        "subscription": make_subscription("sub1"),
    }
    assert set(SCHEMAS) == set(values)
    for name, value in values.items():
        schema = schema_of(value)
        assert schema is SCHEMAS[name]
        [row] = to_records([value])
        assert tuple(row) == schema.names
        for column in schema.columns:
            got = row[column.name]
            if got is None:
                assert column.nullable, (name, column.name)
            elif column.type == "instant":
                assert isinstance(got, datetime)
                assert got.tzinfo is UTC
            elif column.type in ("text", "category"):
                assert isinstance(got, str), (name, column.name)
            elif column.type == "int":
                assert type(got) is int, (name, column.name)
            elif column.type == "bool":
                assert type(got) is bool, (name, column.name)
            elif column.type == "decimal":
                assert isinstance(got, Decimal), (name, column.name)
    assert to_records([values["series"]])[0]["items"] == 1
    assert to_records([values["series"]])[0]["status"] == "active"
    pay = to_records([values["payment"]])[0]
    assert (pay["amount"], pay["currency"]) == (Decimal("10.50"), "EUR")
    assert to_records([values["booking"]])[0]["participant"] == "student:b1"


def test_every_column_is_documented_and_names_are_unique() -> None:
    for schema in SCHEMAS.values():
        assert len(set(schema.names)) == len(schema.names)
        for column in schema.columns:
            assert column.doc
            assert column.type in COLUMN_TYPES
    lines = SESSION.describe().splitlines()
    assert lines[0] == "session records:"
    assert "  start       instant    the start instant (UTC)" in lines
    assert any(line.startswith("  updated_at  instant?   ") for line in lines)


def test_no_two_schemas_have_the_same_columns() -> None:
    # Records with exactly one schema's columns are typed by it without schema=: two
    # schemas with the same columns would type one's records as the other's.
    names = [schema.names for schema in SCHEMAS.values()]
    assert len(set(names)) == len(names)


def test_no_schema_has_a_local_time_column() -> None:
    # Only UTC instants and zone names: a column of mixed zones cannot arise.
    for schema in SCHEMAS.values():
        for column in schema.columns:
            assert "local" not in column.name


def test_column_lookup_names_the_known_columns() -> None:
    assert SESSION.column("tz").type == "text"
    with pytest.raises(InvalidValue, match="no column 'zone'") as caught:
        SESSION.column("zone")
    assert caught.value.value == "zone"


def test_a_column_of_an_unknown_type_is_refused() -> None:
    with pytest.raises(InvalidValue, match="'date'"):
        Column("x", "date", "doc", lambda v: v)  # type: ignore[arg-type]


def test_a_page_stands_for_its_items() -> None:
    page = Page(items=(session(1), session(2)), total=2, page=1, limit=50, next_cursor=None)
    assert [r["id"] for r in to_records(page)] == ["s1", "s2"]


def test_records_pass_through_as_copies_and_objects_with_to_records_are_read() -> None:
    records = [{"a": 1}, {"a": 2, "b": "x"}]
    out = to_records(records)
    assert out == records
    assert out[0] is not records[0]

    @attrs.frozen
    class Result:
        rows: tuple[tuple[str, int], ...]

        def to_records(self) -> list[dict[str, object]]:
            return [{"name": n, "count": c} for n, c in self.rows]

    assert to_records(Result((("ana", 3),))) == [{"name": "ana", "count": 3}]


@pytest.mark.parametrize(
    "bad", [None, "sessions", 3, {"a": 1}, [object()], [{"a": 1}, 2], [session(), {"a": 1}]]
)
def test_anything_else_is_a_wrong_type(bad: object) -> None:
    with pytest.raises(WrongType):
        to_records(bad)


def test_mixed_kinds_are_refused_naming_the_odd_value() -> None:
    with pytest.raises(WrongType, match="a Session, like the first") as caught:
        to_records([session(), make_booking("b1", session_id="s1")])
    assert caught.value.name == "value"


def test_empty_input_gives_no_records() -> None:
    assert to_records([]) == []


def test_column_values_of_sessions_follow_the_schema() -> None:
    columns = column_values([session(1), session(2)])
    assert [c.name for c in columns] == list(SESSION.names)
    start = next(c for c in columns if c.name == "start")
    assert start.type == "instant"
    assert start.values == [NOW + timedelta(hours=1), NOW + timedelta(hours=2)]


def test_column_values_of_nothing_use_the_schema_given() -> None:
    columns = column_values([], schema=BOOKING)
    assert [c.name for c in columns] == list(BOOKING.names)
    assert all(c.values == [] for c in columns)
    assert column_values([]) == []


def test_column_values_refuse_a_schema_of_another_kind() -> None:
    with pytest.raises(WrongType, match="payment schema"):
        column_values([session()], schema=PAYMENT)
    with pytest.raises(WrongType, match="Schema"):
        column_values([session()], schema="session")  # type: ignore[arg-type]


def test_column_types_of_records_are_inferred() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    records = [
        {
            "teacher": "ana",
            "status": "DONE",
            "n": 3,
            "rate": 0.5,
            "ok": True,
            "money": Decimal("1.5"),
            "at": datetime(2026, 3, 2, 10, tzinfo=berlin),
            "misc": [1],
        },
        {"teacher": None, "status": "OPEN", "n": 4, "rate": 1, "ok": False, "money": None},
    ]
    columns = {c.name: c for c in column_values(records)}
    assert {n: c.type for n, c in columns.items()} == {
        "teacher": "text",
        "status": "category",
        "n": "int",
        "rate": "float",
        "ok": "bool",
        "money": "decimal",
        "at": "instant",
        "misc": "object",
    }
    assert columns["teacher"].nullable
    assert not columns["n"].nullable
    assert columns["at"].values == [datetime(2026, 3, 2, 9, tzinfo=UTC), None]
    first = columns["at"].values[0]
    assert isinstance(first, datetime)
    assert first.tzinfo is UTC


def test_a_naive_datetime_in_records_is_refused() -> None:
    with pytest.raises(NaiveDatetime, match="column 'at'"):
        column_values([{"at": datetime(2026, 3, 2, 10)}])


def test_an_instant_with_no_utc_equivalent_in_records_is_refused_naming_the_column() -> None:
    # Year 1 at +14:00 is before datetime.min in UTC: a bare OverflowError.
    early = datetime(1, 1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    with pytest.raises(InvalidValue, match="column 'at'") as caught:
        column_values([{"at": early}])
    assert caught.value.value == early
    late = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-14)))
    with pytest.raises(InvalidValue, match="no UTC instant"):
        column_values([{"at": late}], schema=None)
    assert column_values([{"at": datetime.min.replace(tzinfo=UTC)}])[0].type == "instant"


def test_a_schema_of_ones_own() -> None:
    rooms = Schema("room", (Column("name", "text", "the room's name", lambda r: r["name"]),))
    assert rooms.records([{"name": "lab"}]) == [{"name": "lab"}]
    assert rooms.describe() == "room records:\n  name  text       the room's name"


def test_to_records_that_returns_no_records_is_a_wrong_type() -> None:
    class Broken:
        def __init__(self, rows: object) -> None:
            self.rows = rows

        def to_records(self) -> object:
            return self.rows

    with pytest.raises(WrongType, match=r"Broken.to_records\(\) must be a list"):
        to_records(Broken(3))
    with pytest.raises(WrongType, match=r"a record of Broken.to_records\(\) must be a mapping"):
        to_records(Broken([("a", 1)]))
    assert to_records(Broken(iter([{"a": 1}]))) == [{"a": 1}]


def test_a_booking_keeps_its_waitlist_position_after_it_leaves_the_list() -> None:
    # The position column said "None if not waiting", but a place offered and confirmed keeps
    # its number (numbers are never reused): the description must say what the column holds.
    from sessionkit.policies import BookingRules
    from sessionkit.testing.harness import Harness

    shop = Harness.in_memory(NOW, booking_rules=BookingRules(waitlist=True))
    kit = shop.kit
    lesson = kit.sessions.create_extra(
        "acme", actor="tina", title="Algebra", lifecycle="lms", capacity=1, tz="Europe/Berlin",
        start=NOW + timedelta(days=2), end=NOW + timedelta(days=2, hours=1),
    )  # fmt: skip
    ana = kit.bookings.book("acme", lesson.id, "student:ana", actor="ana")
    ben = kit.bookings.book("acme", lesson.id, "student:ben", actor="ben", waitlist=True)
    cai = kit.bookings.book("acme", lesson.id, "student:cai", actor="cai", waitlist=True)
    kit.bookings.cancel("acme", ana.id, actor="ana")
    kit.bookings.cancel("acme", ben.id, actor="ben")
    kit.bookings.confirm("acme", cai.id, actor="cai")
    rows = to_records(kit.bookings.for_session("acme", lesson.id))
    assert [(r["participant"], r["status"], r["position"]) for r in rows] == [
        ("student:ben", "CANCELLED", 1),
        ("student:cai", "CONFIRMED", 2),
        ("student:ana", "CANCELLED", None),
    ]
    doc = BOOKING.column("position").doc
    assert doc == "its waitlist number, kept after it leaves the list; None if never waitlisted"


def test_one_value_where_a_list_is_expected_is_refused_saying_to_pass_a_list() -> None:
    with pytest.raises(WrongType, match=r"^values must be a list of sessions \(one in a list"):
        to_records(session())
    with pytest.raises(WrongType, match=r"^values must be a list of bookings \(one in a list"):
        column_values(make_booking("b1"))
    with pytest.raises(WrongType, match=r"^values must be a list of reschedule requests \("):
        to_records(make_reschedule("r1"))
    with pytest.raises(WrongType, match=r"^values must be a list of records \(one in a list"):
        to_records({"id": "s1"})
    with pytest.raises(WrongType, match=r"^values must be sessions, series, bookings"):
        to_records(3)


def test_an_int_column_read_back_as_floats_is_ints_and_nan_none_under_its_schema() -> None:
    # What pandas' to_dict("records") gives of an int column with a missing value: floats.
    rows = to_records([make_booking("b1", position=2), make_booking("b2")])
    rows = [{**rows[0], "position": 2.0, "seats": 1.0}, {**rows[1], "position": float("nan")}]
    by_name = {c.name: c for c in column_values(rows, schema=BOOKING)}
    assert (by_name["position"].type, by_name["position"].values) == ("int", [2, None])
    assert by_name["position"].nullable
    assert [type(v) for v in by_name["seats"].values] == [int, int]
    with pytest.raises(InvalidValue, match=r"'seats' holds 1\.5, which is no whole") as caught:
        column_values([{**rows[0], "seats": 1.5}], schema=BOOKING)
    assert caught.value.value == 1.5


@pytest.mark.parametrize("big", [2**53, 2**53 + 1, -(2**53) - 1, 2**63])
def test_an_int_column_read_back_as_a_float_past_2_53_is_refused_not_rounded(big: int) -> None:
    # A float holds every int only below 2**53: 2**53 + 1 comes back as 9007199254740992.0,
    # which was read as 9007199254740992, another int than the one the column held.
    rows = to_records([make_booking("b1", position=2), make_booking("b2")])
    rows = [{**rows[0], "position": float(big)}, {**rows[1], "position": float("nan")}]
    with pytest.raises(InvalidValue, match=r"'position' holds .*, a float too large") as caught:
        column_values(rows, schema=BOOKING)
    assert caught.value.value == float(big)
    below = [{**rows[0], "position": float(2**53 - 1)}, rows[1]]
    by_name = {c.name: c for c in column_values(below, schema=BOOKING)}
    assert by_name["position"].values == [2**53 - 1, None]
