"""What the split payment and money modules moved still reads from the public ones, as it did.

``sessionkit.model.payment`` keeps its statuses and lifecycle in
``_payment_statuses`` and what providers send in ``_payment_events``, and
exports them under its own name: moved classes and functions show, pickle and
resolve their type hints under the public module, as before the split. So
does ``sessionkit.policies.money``, with its prices in ``_money_pricing`` and
the parts of a refund policy in ``_money_tiers``, and ``sessionkit.model.session``,
with what a session occupies in ``_session_refs`` and its own fields in
``_session_fields``.

The services split past STYLE's ~400 lines are held to the same by one table
(:data:`SERVICES_MOVED`): each moved name still reads from the module it left,
and a moved public class keeps that module's name.
"""

from __future__ import annotations

import pickle
import typing
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import import_module

import pytest

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _pickled_names(value: object) -> set[str]:
    """The modules a pickle of ``value`` names (its classes' and functions' paths)."""
    import pickletools

    names: set[str] = set()
    for op, arg, _ in pickletools.genops(pickle.dumps(value, protocol=2)):
        if op.name == "GLOBAL":
            names.add(str(arg).split(" ")[0])
    return names


def test_moved_payment_values_keep_the_public_module() -> None:
    from sessionkit.model import payment
    from sessionkit.model.money import Money

    for moved in (payment.PaymentEvent, payment.ReceivedEvent, payment.check_provider_name):
        assert moved.__module__ == "sessionkit.model.payment", moved
    event = payment.PaymentEvent(
        provider="fake", event_id="ev1", type="refunded", occurred_at=AT, payment_id="p1",
        amount=Money.of(10, "EUR"),
    )  # fmt: skip
    receipt = payment.ReceivedEvent(
        id="fake:ev1", tenant="acme", payment_id="p1", type="refunded", outcome="applied",
        received_at=AT,
    )  # fmt: skip
    paid = payment.Payment(
        id="p1", tenant="acme", booking_id="b1", session_id="s1", participant="student:ana",
        session_start=AT, amount=Money.of(60, "EUR"), provider="fake", created_at=AT,
        status=payment.PAID,
    )  # fmt: skip
    for value in (
        event,
        receipt,
        paid,
        payment.PaymentChanged(tenant="acme", actor="host:1", at=AT, payment=paid),
    ):
        assert pickle.loads(pickle.dumps(value)) == value
        assert "sessionkit.model.payment" in _pickled_names(value)
        assert not any(".model._" in name for name in _pickled_names(value))
    hints = typing.get_type_hints(payment.PaymentEvent)
    assert hints["type"] == payment.PaymentEventType
    assert hints["occurred_at"] is datetime
    assert hints["amount"] == Money | None
    assert typing.get_type_hints(payment.ReceivedEvent)["received_at"] is datetime
    assert typing.get_type_hints(payment.Payment)["due"] == payment.Due | None
    assert repr(receipt) == (
        "ReceivedEvent(id='fake:ev1', tenant='acme', payment_id='p1', type='refunded', "
        "outcome='applied', received_at=datetime.datetime(2026, 3, 2, 9, 0, "
        "tzinfo=datetime.timezone.utc), version=1)"
    )
    assert repr(event).startswith("PaymentEvent(provider='fake', event_id='ev1', type='refunded'")
    assert payment.check_provider_name("stripe", "provider") == "stripe"
    assert paid.kept == Money.of(Decimal("60.00"), "EUR")
    assert payment.PAYMENT_LIFECYCLE.fire(paid, "refund", now=AT)[0].status == payment.REFUNDED
    assert {"PAID", "PARTIALLY_REFUNDED", "REFUNDED"} == payment.PAID_STATUSES


def test_moved_money_policy_values_keep_the_public_module() -> None:
    from sessionkit.model.money import Money
    from sessionkit.policies import money

    for moved in (money.Pricing, money.Rate, money.FixedPrice, money.SeatPrice, money.RefundTier):
        assert moved.__module__ == "sessionkit.policies.money", moved
    rate = money.Rate(Money.of("40", "EUR"))
    tier = money.RefundTier(timedelta(hours=24), 50, fee=[Money.of(12, "USD"), Money.of(10, "EUR")])
    policy = money.RefundPolicy(tiers=(tier,), no_show_fee=Money.of(5, "EUR"))
    for value in (
        rate, money.FixedPrice(Money.of(90, "EUR")), money.SeatPrice(Money.of(15, "EUR")), tier,
        policy,
    ):  # fmt: skip
        assert pickle.loads(pickle.dumps(value)) == value
        assert "sessionkit.policies.money" in _pickled_names(value)
        assert not any(".policies._" in name for name in _pickled_names(value))
    assert isinstance(rate, money.Pricing)
    assert typing.get_type_hints(money.Rate) == {"amount": Money, "per": timedelta}
    hints = typing.get_type_hints(money.RefundTier)
    assert hints["fee"] == money.Fee | None
    assert hints["percent"] is Decimal
    assert typing.get_type_hints(money.RefundPolicy)["tiers"] == tuple[money.RefundTier, ...]
    assert repr(tier) == (
        "RefundTier(notice=datetime.timedelta(days=1), percent=Decimal('50'), "
        "fee=(Money(amount=Decimal('10'), currency='EUR'), "
        "Money(amount=Decimal('12'), currency='USD')))"
    )
    assert repr(rate) == (
        "Rate(amount=Money(amount=Decimal('40'), currency='EUR'), "
        "per=datetime.timedelta(seconds=3600))"
    )
    at = datetime(2026, 3, 4, 16, tzinfo=UTC)
    paid = Money.of("60", "EUR")
    back = policy.refund(paid, role="participant", start=at, at=at - timedelta(hours=30))
    assert back == Money.of("20.00", "EUR")  # half of 60, less the 10 EUR fee


def test_moved_session_values_keep_the_public_module() -> None:
    import inspect
    from collections.abc import Mapping
    from typing import Any

    import attrs

    from sessionkit.model import session
    from sessionkit.timespan import TimeSpan

    for moved in (
        session.ResourceRef, session.resource_refs, session.FrozenFields, session.frozen_mapping,
    ):  # fmt: skip
        assert moved.__module__ == "sessionkit.model.session", moved
    ref = session.ResourceRef("teacher", "t-17")
    fields = session.frozen_mapping({"b": [1, {"z": 2, "a": 1}], "a": "x"})
    lesson = session.Session(
        id="s1", tenant="acme", title="Maths", span=TimeSpan(AT, AT + timedelta(hours=1)),
        tz="UTC", status="OPEN", lifecycle="marketplace", busy=True, created_at=AT,
        resources=["room:r1", ref], metadata=fields,
    )  # fmt: skip
    for value in (ref, fields, lesson):
        assert pickle.loads(pickle.dumps(value)) == value
        assert "sessionkit.model.session" in _pickled_names(value)
        assert not any(".model._" in name for name in _pickled_names(value))
    assert pickle.loads(pickle.dumps(lesson)).metadata == fields
    assert typing.get_type_hints(session.ResourceRef) == {"kind": str, "id": str}
    hints = typing.get_type_hints(session.Session)
    assert hints["resources"] == tuple[session.ResourceRef, ...]
    assert hints["metadata"] == Mapping[str, Any]
    assert repr(ref) == "ResourceRef(kind='teacher', id='t-17')"
    assert repr(fields) == "FrozenFields({'a': 'x', 'b': [1, {'a': 1, 'z': 2}]})"
    assert lesson.resources == (session.ResourceRef("room", "r1"), ref)  # sorted
    # One empty mapping, shared by every record without own fields, however it is made.
    empty = inspect.signature(session.Session.unchecked).parameters["metadata"].default
    assert session.frozen_mapping(None) is empty
    assert session.frozen_mapping({}) is empty
    assert attrs.evolve(lesson, title="Physics").metadata is lesson.metadata


SERVICES_MOVED = [
    # (the module a name left, the name, the private module it moved to)
    ("_payment_calls", "perform", "_payment_perform"),
    ("_payment_calls", "create_intent", "_payment_perform"),
    ("_payment_calls", "record_intent", "_payment_perform"),
    ("_payment_calls", "refund_failed", "_payment_perform"),
    ("_payment_calls", "gateway_of", "_payment_perform"),
    ("reschedules", "RescheduleReport", "_reschedule_due"),
    ("series", "top_up_window", "_series_window"),
]


@pytest.mark.parametrize(("left", "name", "moved_to"), SERVICES_MOVED)
def test_moved_service_names_read_from_the_module_they_left(
    left: str, name: str, moved_to: str
) -> None:
    old = import_module(f"sessionkit.services.{left}")
    new = import_module(f"sessionkit.services.{moved_to}")
    value = getattr(old, name)
    assert value is getattr(new, name)
    if not left.startswith("_"):  # a public class or function shows, pickles, resolves as before
        assert value.__module__ == old.__name__


def test_moved_service_reports_pickle_and_resolve_under_the_public_module() -> None:
    from sessionkit.model.reschedule import RescheduleRequest
    from sessionkit.services import reschedules

    report = reschedules.RescheduleReport(failed=(("r1", ValueError("x")),), more=True)
    assert pickle.loads(pickle.dumps(report)) == report
    assert "sessionkit.services.reschedules" in _pickled_names(report)
    assert not any(".services._" in name for name in _pickled_names(report))
    hints = typing.get_type_hints(reschedules.RescheduleReport)
    assert hints["approved"] == tuple[RescheduleRequest, ...]
    assert hints["failed"] == tuple[tuple[str, Exception], ...]
    assert repr(report) == (
        "RescheduleReport(approved=(), expired=(), failed=(('r1', ValueError('x')),), more=True)"
    )
