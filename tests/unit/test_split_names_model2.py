"""What the second round of splits moved still reads from the public module, as before.

Each module of that round passed STYLE's ~400 lines and keeps its definitions in private
modules beside it now, exporting them under its own name: a moved public class
or function shows, pickles and resolves its type hints under the public module,
its values pickle naming that module only, and the module's ``__all__`` is the
one it had. The parametrized table of ``test_split_names.py`` holds each split
module to that (one test per check), with the earlier splits; here is what is
particular to one module (its hints, reprs, the values it computes).
"""

from __future__ import annotations

import typing
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from tests.unit._split_guard import AT, analytics_values, query_values, rooms_values


def test_query_values_read_as_before() -> None:
    from sessionkit.model import query

    [cursor] = query_values(query)
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

    total = analytics_values(analytics)[3]
    assert typing.get_type_hints(analytics.PaymentTotal)["amount"] is Decimal
    assert typing.get_type_hints(analytics.ClientBookings)["first_session"] is datetime
    assert repr(total) == (
        "PaymentTotal(key=None, currency='EUR', status='PAID', payments=2, "
        "amount=Decimal('60.00'), refunded=Decimal('10.00'), refund_due=Decimal('0'))"
    )
    counts = analytics.Counts(tenant="acme", by="resource", rows=(analytics_values(analytics)[0],))
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
    span = rooms_values(rooms)[0].span
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
    assert repr(rooms_values(rooms)[0]) == (
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
