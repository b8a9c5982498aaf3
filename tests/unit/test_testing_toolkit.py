"""The shipped testing toolkit as a user meets it: the contract's failures and the fakes' clocks."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest.mock import Mock

import pytest

import sessionkit.testing.contract as contract
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.events import SeriesClosed
from sessionkit.model.money import Money
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.payments import FakeGateway
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize("name", sorted(m.name for m in pkgutil.iter_modules(contract.__path__)))
def test_the_contract_suite_s_asserts_are_rewritten(name: str) -> None:
    # A failing contract shows what the adapter returned (pytest's rewritten asserts),
    # not a bare AssertionError: pytest rewrites only modules it was told of.
    module = importlib.import_module(f"{contract.__name__}.{name}")
    assert "@py_builtins" in vars(module)


def test_the_fake_gateway_takes_the_kit_s_clock_or_a_callable() -> None:
    clock = ManualClock(NOW)
    for given in (clock, clock.now):
        gateway = FakeGateway(clock=given)
        intent = gateway.create_intent(
            amount=Money.of(Decimal(30), "EUR"), idempotency_key="k", metadata={}
        )
        clock.advance(timedelta(minutes=5))
        gateway.pay(intent.ref)
        [event] = gateway.drain()
        assert event.occurred_at == clock.now()


def test_the_fake_rooms_take_the_kit_s_clock_or_a_callable() -> None:
    clock = ManualClock(NOW)
    span = TimeSpan(NOW, NOW + timedelta(hours=1))
    for given in (clock, clock.now):
        rooms = FakeMeetingRooms(clock=given)
        rooms.ensure_room(tenant="acme", session_id="s1", span=span)
        rooms.join("acme", "s1", "student:ana", at=NOW)
        clock.advance(timedelta(minutes=20))
        rooms.close_room(tenant="acme", session_id="s1")
        assert [(e.action, e.at) for e in rooms.drain()] == [
            ("join", NOW),
            ("leave", clock.now()),
        ]


@pytest.mark.parametrize("fake", [FakeGateway, FakeMeetingRooms])
def test_a_fake_refuses_a_clock_of_neither_shape_when_made(fake: Callable[..., object]) -> None:
    with pytest.raises(WrongType, match="clock") as refused:
        fake(clock=5)
    assert refused.value.value == 5


def test_a_clock_of_both_shapes_is_read_as_each_fake_always_read_it() -> None:
    # A Mock is callable and has a now(): the gateway calls it (it always took a
    # callable), the rooms call its now() (they always took a Clock).
    later = NOW + timedelta(hours=1)
    both = Mock(return_value=NOW)
    both.now.return_value = later
    gateway = FakeGateway(clock=both)
    intent = gateway.create_intent(
        amount=Money.of(Decimal(30), "EUR"), idempotency_key="k", metadata={}
    )
    gateway.pay(intent.ref)
    assert [e.occurred_at for e in gateway.drain()] == [NOW]
    rooms = FakeMeetingRooms(clock=both)
    rooms.ensure_room(tenant="acme", session_id="s1", span=TimeSpan(NOW, later))
    rooms.join("acme", "s1", "student:ana", at=NOW)
    rooms.close_room(tenant="acme", session_id="s1")
    assert [e.at for e in rooms.drain()] == [NOW, later]


@pytest.mark.parametrize("make", [FakeGateway, FakeMeetingRooms], ids=["gateway", "rooms"])
def test_a_datetime_is_no_clock_for_a_fake(make: Callable[..., object]) -> None:
    # A datetime has a callable now (the class's): the fake read the machine's naive time,
    # then changed its intent or room and failed building the event.
    with pytest.raises(WrongType, match="ManualClock") as refused:
        make(clock=datetime(2026, 3, 2, 9, tzinfo=UTC))
    assert refused.value.name == "clock"


def test_the_fake_gateway_refuses_a_refund_in_another_currency_or_not_positive() -> None:
    gateway = FakeGateway(clock=ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC)))
    intent = gateway.create_intent(amount=Money.of(60, "EUR"), idempotency_key="k1", metadata={})
    gateway.pay(intent.ref)
    gateway.drain()
    for n, amount in enumerate((Money.of(10, "USD"), Money.of(0, "EUR"), Money.of(-5, "EUR"))):
        with pytest.raises(ValueError, match="positive amount in the intent's currency"):
            gateway.refund(intent.ref, amount, idempotency_key=f"r{n}")
    assert gateway.intents[intent.ref].refunded == Decimal(0)
    assert gateway.drain() == []
    assert gateway.collected("EUR") == Money.of(60, "EUR")


@pytest.mark.parametrize("recorded", [False, True])
def test_the_recording_publisher_refuses_an_event_name_for_a_class(recorded: bool) -> None:
    # With nothing recorded of_type("SessionCreated") answered [], so a test asserting that
    # no such event was published passed; with events it raised isinstance's bare TypeError.
    publisher = RecordingPublisher()
    if recorded:
        publisher.publish(
            [SeriesClosed(tenant="acme", actor=None, at=NOW, series_id="r1", deleted=0, kept=0)]
        )
    with pytest.raises(WrongType, match=r"RecordingPublisher\.of_type\(kind\).*'SessionCreated'"):
        publisher.of_type("SessionCreated")  # type: ignore[arg-type]  # the bad value under test
    assert publisher.of_type(SeriesClosed) == publisher.events


_BAD_FAKE_ARGUMENTS: list[tuple[Callable[[], object], str]] = [
    # Each was accepted: instant="no" made every intent succeed at once (a truthy string),
    # ids=5 failed the first create_intent with a bare TypeError, a name no event takes
    # failed the first event built.
    (lambda: FakeGateway(instant="no"), "FakeGateway(instant)"),  # type: ignore[arg-type]  # the bad value under test
    (lambda: FakeGateway(instant=1), "FakeGateway(instant)"),  # type: ignore[arg-type]  # the bad value under test
    (lambda: FakeGateway(ids=5), "FakeGateway(ids)"),  # type: ignore[arg-type]  # the bad value under test
    (lambda: FakeGateway(5), "FakeGateway(name)"),  # type: ignore[arg-type]  # the bad value under test
    (lambda: FakeMeetingRooms(5), "FakeMeetingRooms(name)"),  # type: ignore[arg-type]  # the bad value under test
]


@pytest.mark.parametrize(("make", "named"), _BAD_FAKE_ARGUMENTS)
def test_a_fake_refuses_an_argument_of_the_wrong_type_when_made(
    make: Callable[[], object], named: str
) -> None:
    with pytest.raises(WrongType) as refused:
        make()
    assert refused.value.name == named


def test_a_fake_refuses_a_name_no_event_takes_when_made() -> None:
    for make in (FakeGateway, FakeMeetingRooms):
        with pytest.raises(InvalidValue, match=r"\(name\)"):
            make("")
        with pytest.raises(InvalidValue, match=r"\(name\)"):
            make("x" * 65)
    with pytest.raises(InvalidValue, match=r"FakeMeetingRooms\(name='meet:eu'\)"):
        FakeMeetingRooms("meet:eu")  # its presence events would be refused
    assert FakeGateway("card", instant=True).name == "card"
