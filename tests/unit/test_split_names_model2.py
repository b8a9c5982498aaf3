"""What the second round of splits moved still reads from the public module, as before.

Each module below passed STYLE's ~400 lines and keeps its definitions in private
modules beside it now, exporting them under its own name: a moved public class
or function shows, pickles and resolves its type hints under the public module,
its values pickle naming that module only, and the module's ``__all__`` is the
one it had. :data:`SPLITS` holds each split module to that (one test per
check, parametrized), as ``test_split_names.py`` does for the earlier splits.
"""

from __future__ import annotations

import pickle
import pickletools
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import import_module
from types import ModuleType
from typing import Any

import pytest

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _pickled_names(value: object) -> set[str]:
    """The modules a pickle of ``value`` names (its classes' and functions' paths)."""
    names: set[str] = set()
    for op, arg, _ in pickletools.genops(pickle.dumps(value, protocol=2)):
        if op.name == "GLOBAL":
            names.add(str(arg).split(" ")[0])
    return names


def _query_values(query: ModuleType) -> list[Any]:
    return [query.Cursor((("start", "asc"),), (AT,), "s1")]


def _records_values(records: ModuleType) -> list[Any]:
    return [records.Values("n", "int", False, [1, 2])]


def _analytics_values(analytics: ModuleType) -> list[Any]:
    return [
        analytics.StatusCount("teacher:ana", "DONE", 2),
        analytics.KeyCount(None, 3),
        analytics.TimingCount("DONE", True, 1),
        analytics.PaymentTotal(
            None, "EUR", "PAID", 2, Decimal("60.00"), Decimal("10.00"), Decimal(0)
        ),
        analytics.ClientBookings("student:ana", 2, 2, AT, AT + timedelta(days=7), no_shows=1),
    ]


def _payments_values(payments: ModuleType) -> list[Any]:
    from sessionkit.model.money import Money

    return [payments.FakeIntent("pi_1", Money.of(60, "EUR"), {"payment_id": "p1"})]


def _rooms_values(rooms: ModuleType) -> list[Any]:
    from sessionkit.ports import Room
    from sessionkit.timespan import TimeSpan

    room = Room(ref="r1", tenant="acme", session_id="s1")
    return [rooms.FakeRoom(room, TimeSpan(AT, AT + timedelta(hours=1)))]


@dataclass(frozen=True)
class Split:
    """A public module whose definitions moved into private ones beside it."""

    module: str
    moved: str
    """Public names defined in a private module now (space-separated), shown as the public one's."""
    exported: str | None
    """The module's ``__all__`` before the split, space-separated (``None``: it had none)."""
    values: Callable[[ModuleType], list[Any]] | None = None
    """Values of the moved classes, which pickle naming the public module only."""


SPLITS = [
    Split(
        "sessionkit.model.query",
        "Cursor sort_value",
        "MAX_LIMIT SORT_FIELDS Cursor Direction Page SessionQuery SortField SortKey SortValue"
        " sort_value",
        _query_values,
    ),
    Split(
        "sessionkit.model.records",
        "Values",
        "ATTENDANCE BOOKING PAYMENT RESCHEDULE SCHEMAS SERIES SESSION SUBSCRIPTION USAGE Column"
        " ColumnType Record Schema Values column_values schema_of to_records",
        _records_values,
    ),
    Split(
        "sessionkit.model.analytics",
        "StatusCount KeyCount TimingCount PaymentTotal ClientBookings every_group",
        "COUNT_DIMENSIONS REVENUE_DIMENSIONS ClientBookings ClientMoney ClientRow ClientStats"
        " CountBy Counts KeyCount Outcomes PaymentTotal Progress RateRow Rates Revenue RevenueBy"
        " RevenueRow StatusCount TimingCount ratio",
        _analytics_values,
    ),
    # The wall-clock hours' checks moved; no public class or function did.
    Split(
        "sessionkit.availability.model",
        "",
        "WEEKDAY_CODES Availability HasSpan OccurrenceSource Window",
    ),
    Split(
        "sessionkit.testing.payments",
        "FakeIntent",
        "FakeGateway FakeIntent",
        _payments_values,
    ),
    Split("sessionkit.testing.rooms", "FakeRoom", "FakeMeetingRooms FakeRoom", _rooms_values),
    Split("sessionkit.testing.contract.fields", "expected_order", None),
]


def _split_id(split: Split) -> str:
    return split.module.removeprefix("sessionkit.")


@pytest.mark.parametrize("split", SPLITS, ids=_split_id)
def test_the_module_keeps_its_public_names(split: Split) -> None:
    module = import_module(split.module)
    if split.exported is None:
        assert not hasattr(module, "__all__")
        return
    assert module.__all__ == split.exported.split()
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize("split", SPLITS, ids=_split_id)
def test_moved_names_show_pickle_and_resolve_as_the_public_modules(split: Split) -> None:
    module = import_module(split.module)
    for name in split.moved.split():
        moved = getattr(module, name)
        assert moved.__module__ == split.module, moved
        # Pickled by name: the public module's, which gives back the very object.
        assert pickle.loads(pickle.dumps(moved)) is moved
        assert _pickled_names(moved) == {split.module}
        # Annotations resolve in the module __module__ names (attrs, Hypothesis, FastAPI).
        assert typing.get_type_hints(moved)


@pytest.mark.parametrize("split", [s for s in SPLITS if s.values], ids=_split_id)
def test_moved_values_pickle_naming_the_public_module_only(split: Split) -> None:
    module = import_module(split.module)
    private = split.module.rsplit(".", 1)[0] + "._"
    assert split.values is not None
    for value in split.values(module):
        assert pickle.loads(pickle.dumps(value)) == value
        assert split.module in _pickled_names(value)
        assert not any(name.startswith(private) for name in _pickled_names(value)), value


def test_query_values_read_as_before() -> None:
    from sessionkit.model import query

    [cursor] = _query_values(query)
    assert repr(cursor) == (
        "Cursor(order=(('start', 'asc'),), values=(datetime.datetime(2026, 3, 2, 9, 0, "
        "tzinfo=datetime.timezone.utc),), id='s1')"
    )
    assert query.Cursor.decode(cursor.encode(), (("start", "asc"),)) == cursor
    assert typing.get_type_hints(query.Cursor)["order"] == tuple[query.SortKey, ...]
    assert query.MAX_CURSOR_LENGTH == 8192
    with pytest.raises(ValueError, match="this cursor pages by start asc, not title desc"):
        query.SessionQuery(after=cursor.encode(), order=[("title", "desc")])
    assert query.SessionQuery(limit=2, page=3).offset == 4


def test_records_values_read_as_before() -> None:
    from sessionkit.model import records

    assert typing.get_type_hints(records.Values)["type"] == records.ColumnType
    columns = records.column_values([{"status": "a", "at": AT + timedelta(hours=1), "n": None}])
    assert [(c.name, c.type, c.nullable) for c in columns] == [
        ("status", "category", False),
        ("at", "instant", False),
        ("n", "object", True),
    ]
    assert repr(columns[0]) == (
        "Values(name='status', type='category', nullable=False, values=['a'])"
    )


def test_analytics_values_read_as_before() -> None:
    from sessionkit.model import analytics

    total = _analytics_values(analytics)[3]
    assert typing.get_type_hints(analytics.PaymentTotal)["amount"] is Decimal
    assert typing.get_type_hints(analytics.ClientBookings)["first_session"] is datetime
    assert repr(total) == (
        "PaymentTotal(key=None, currency='EUR', status='PAID', payments=2, "
        "amount=Decimal('60.00'), refunded=Decimal('10.00'), refund_due=Decimal('0'))"
    )
    counts = analytics.Counts(tenant="acme", by="resource", rows=(_analytics_values(analytics)[0],))
    assert counts.by_status("teacher:ana") == {"DONE": 2}
    with pytest.raises(ValueError, match="pass a key"):
        counts.by_status()
    assert analytics.COUNT_DIMENSIONS == ("kind", "resource", "participant")


def test_availability_hints_resolve_and_its_values_read_as_before() -> None:
    from datetime import time

    from sessionkit.availability import model

    hints = typing.get_type_hints(model.Availability)
    assert hints["weekly_hours"] == tuple[model.Hours, ...]
    assert model.Hours == tuple[tuple[timedelta, timedelta], ...]
    assert model.WEEKDAY_CODES == ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
    hours = model.Availability.weekly({"mo": [(time(9), time(12)), (time(11), time(0))]}, tz="UTC")
    assert hours.weekly_hours[0] == ((timedelta(hours=9), timedelta(hours=24)),)
    with pytest.raises(ValueError, match="unknown weekday 'XX'"):
        model.Availability.weekly({"XX": []}, tz="UTC")


def test_the_fake_gateway_keeps_its_method_and_answers_each_key_once() -> None:
    import inspect

    from sessionkit.model.money import Money
    from sessionkit.testing import payments

    once = payments.FakeGateway._once
    assert (once.__module__, once.__qualname__) == (payments.__name__, "FakeGateway._once")
    assert typing.get_type_hints(once)["self"] is payments.FakeGateway
    assert "run" in inspect.signature(once, eval_str=True).parameters
    gateway = payments.FakeGateway(clock=lambda: AT)
    made = gateway.create_intent(amount=Money.of(60, "EUR"), idempotency_key="k1", metadata={})
    again = gateway.create_intent(amount=Money.of(60, "EUR"), idempotency_key="k1", metadata={})
    assert again == made
    assert gateway.calls == [("create_intent", "k1"), ("create_intent", "k1")]
    with pytest.raises(ValueError, match="idempotency key 'k1' was first sent with"):
        gateway.create_intent(amount=Money.of(50, "EUR"), idempotency_key="k1", metadata={})
    with pytest.raises(ValueError, match="cannot capture a pending intent"):
        gateway.capture(made.ref, idempotency_key="k2")
    with pytest.raises(ValueError, match="cannot capture a pending intent"):
        gateway.capture(made.ref, idempotency_key="k2")  # the refusal, replayed
    assert repr(gateway.intents[made.ref]) == (
        "FakeIntent(ref='pi_1', amount=Money(amount=Decimal('60'), currency='EUR'), "
        "metadata={}, status='pending', refunded=Decimal('0'), reason=None)"
    )


def test_the_fake_rooms_keep_their_methods_and_number_events_as_before() -> None:
    from sessionkit.model.session import ResourceRef
    from sessionkit.testing import rooms

    for name in ("_event", "_free_ids", "_queue"):
        method = getattr(rooms.FakeMeetingRooms, name)
        assert (method.__module__, method.__qualname__) == (
            rooms.__name__,
            f"FakeMeetingRooms.{name}",
        )
        assert typing.get_type_hints(method)["self"] is rooms.FakeMeetingRooms
    fake = rooms.FakeMeetingRooms()
    span = _rooms_values(rooms)[0].span
    fake.ensure_room(tenant="acme", session_id="s1", span=span)
    fake.join("acme", "s1", "student:ana", at=AT, event_id="ev2")
    fake.join("acme", "s1", "student:ben", at=AT)
    fake.join("acme", "s1", "student:cy", at=AT)
    assert [e.event_id for e in fake.drain(tenant="acme")] == ["ev2", "ev1", "ev3"]
    fake.leave("acme", "s1", "student:ben", at=AT)
    assert fake.inside("acme", "s1") == {
        ResourceRef("student", "ana"),
        ResourceRef("student", "cy"),
    }
    assert repr(_rooms_values(rooms)[0]) == (
        "FakeRoom(room=Room(ref='r1', tenant='acme', session_id='s1', url=None), "
        "span=TimeSpan(2026-03-02T09:00:00+00:00, 2026-03-02T10:00:00+00:00), open=True, "
        "inside=set())"
    )


def test_the_fields_contract_keeps_its_tests_in_their_order() -> None:
    # Third-party stores subclass FieldsContract (through StorageContract): same tests, same order.
    from collections.abc import Sequence

    from sessionkit.model.session import Session
    from sessionkit.testing.contract import StorageContract, fields
    from sessionkit.testing.contract._support import make_session

    # By name: a doctest run of fields.py (--import-mode=importlib) may import it a second time.
    assert "FieldsContract" in [klass.__name__ for klass in StorageContract.__mro__]
    tests = [name for name in vars(fields.FieldsContract) if name.startswith("test_")]
    assert tests == [
        "test_own_fields_and_group_round_trip",
        "test_own_fields_come_back_in_key_order",
        "test_numbers_keep_their_type_at_the_edges",
        "test_series_in_group",
        "test_field_filters",
        "test_group_filter_combines_with_the_others",
        "test_search_fields",
        "test_search_fields_find_a_text_by_itself",
        "test_orders_of_several_keys",
        "test_cursor_pages_to_the_end_in_any_order",
        "test_one_key_forms_agree",
        "test_a_cursor_is_a_position_in_any_order",
    ]
    sessions = [make_session(name, at=n) for n, name in enumerate("bca")]
    assert fields.expected_order(sessions, [("start", "desc")]) == ["a", "c", "b"]
    hints = typing.get_type_hints(fields.expected_order)
    assert hints["sessions"] == Sequence[Session]
