"""What a new user following docs/testing.md met: drawn values the kit refuses, poor shrinking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import find, settings
from hypothesis import strategies as st

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.money import Money
from sessionkit.testing import strategies as sks
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

HOUR = timedelta(hours=1)
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize("role", [" student", "client ", "coach\u00a0", "host\t"])
def test_a_role_with_surrounding_whitespace_is_refused_as_book_refuses_it(role: str) -> None:
    # Drawn, such a role made bookings the kit never makes: book() refuses it (no rule
    # names it), so a user's rule was checked on a state no command leaves.
    session = find(sks.sessions(taking_bookings=True, generated=False), lambda _: True)
    h = Harness.in_memory(session.created_at)
    with h.kit.context.transaction() as tx:
        tx.sessions.add(session)
    with pytest.raises(InvalidValue, match="whitespace"):
        h.kit.bookings.book("acme", session.id, "student:ana", actor=None, role=role)
    with pytest.raises(InvalidValue, match=r"booked_sessions\(roles=.*whitespace") as built:
        sks.booked_sessions(roles=["student", role])
    assert built.value.value == role
    with pytest.raises(InvalidValue, match=r"bookings\(roles=.*whitespace"):
        sks.bookings(session, roles=[role])


def test_recurrences_shrink_to_a_start_on_the_first_day_not_a_leap_day() -> None:
    # One start day in eight is a Feb 29, drawn with fewer choices than the uniform day: as
    # Hypothesis takes fewer choices for simpler, every failing example shrank to a leap day
    # (2004-02-29 00:15), whatever the failure had to do with one.
    drawn = sks.recurrences(
        with_exdates=False, zones=st.just(ZoneInfo("UTC")), rule_strategy=st.just("FREQ=DAILY")
    )
    simplest = find(drawn, lambda _: True, settings=settings(database=None, derandomize=True))
    assert simplest.start == datetime(2000, 1, 1)


def test_building_sessions_and_bookings_decorates_no_composite(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # st.composite reads the decorated function's source (some 13 ms for sessions()'s);
    # booked_sessions() builds sessions() for every example, and the docs' example failed
    # Hypothesis's too_slow health check on a loaded machine.
    session = find(sks.sessions(taking_bookings=True), lambda _: True)
    decorated: list[object] = []
    composite = st.composite

    def counted(function: Any) -> Any:
        decorated.append(function)
        return composite(function)

    monkeypatch.setattr(st, "composite", counted)
    sks.sessions()
    sks.bookings(session)
    assert decorated == []


@pytest.mark.parametrize("make", [FakeGateway, FakeMeetingRooms])
@pytest.mark.parametrize("seed", [[1], None, "7", 1.5, True])
def test_a_fakes_seed_is_an_integer(make: Callable[..., object], seed: object) -> None:
    # A list failed inside random with a TypeError naming no argument; None seeded the
    # shuffles from the machine's entropy, so a shuffled drain() differed from run to run.
    with pytest.raises(WrongType, match=rf"{make.__name__}\(seed\)") as refused:
        make(seed=seed)
    assert refused.value.value == seed


def test_fakes_of_one_seed_shuffle_alike() -> None:
    orders = []
    for _ in range(2):
        rooms = FakeMeetingRooms(seed=3)
        start = datetime(2026, 3, 2, 17, tzinfo=UTC)
        rooms.ensure_room(tenant="acme", session_id="s1", span=TimeSpan.from_start(start, HOUR))
        for n in range(8):
            rooms.join("acme", "s1", f"student:p{n}", at=start)
        orders.append([e.event_id for e in rooms.drain(shuffle=True)])
    assert orders[0] == orders[1] != sorted(orders[0], key=lambda i: int(i[2:]))


@pytest.mark.parametrize("amount", ["0.125", "0", "-5", "60.001"])
def test_the_fake_gateway_collects_only_whole_minor_units(amount: str) -> None:
    # A provider takes an integer of minor units; the fake made an intent of 0.125 EUR, so
    # code of a user's that forgot to round passed against it.
    gateway = FakeGateway(clock=lambda: NOW)
    with pytest.raises(ValueError, match="positive whole number of EUR minor units"):
        gateway.create_intent(
            amount=Money.of(amount, "EUR"), idempotency_key="k1", metadata={"payment_id": "p1"}
        )
    assert gateway.intents == {}


def test_the_fake_gateway_refunds_only_whole_minor_units() -> None:
    gateway = FakeGateway(clock=lambda: NOW)
    intent = gateway.create_intent(amount=Money.of(60, "EUR"), idempotency_key="k1", metadata={})
    gateway.pay(intent.ref)
    with pytest.raises(ValueError, match=r"cannot refund 0\.125 EUR"):
        gateway.refund(intent.ref, Money.of("0.125", "EUR"), idempotency_key="r1")
    gateway.refund(intent.ref, Money.of("0.13", "EUR"), idempotency_key="r2")
    assert gateway.collected("EUR") == Money.of("59.87", "EUR")
