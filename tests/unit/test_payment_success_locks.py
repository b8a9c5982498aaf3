"""A provider's success for a hold in time locks its session no more than it must.

Deciding whether the hold's session is over (a terminal status: the hold lapses)
and settling it read one lock: a second ``lock_session`` is one more
``SELECT ... FOR UPDATE`` per payment on a SQL store.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.memory._bookings import InMemoryBookingRepository
from sessionkit.model.booking import CONFIRMED, HELD
from sessionkit.model.money import Money
from sessionkit.model.payment import PAID
from sessionkit.model.session import Session
from sessionkit.policies import Rate
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_a_success_for_a_hold_in_time_locks_its_session_once_more_than_the_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counter = itertools.count(1)
    gateway = FakeGateway(clock=lambda: NOW)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
        gateway=gateway,
        pricing=Rate(Money.of(40, "EUR")),
    )
    start = NOW + timedelta(days=1)
    session = kit.sessions.create_extra(
        T,
        actor="tina",
        start=start,
        end=start + timedelta(hours=1),
        resources=["tutor:tina"],
        lifecycle="lms",
        capacity=2,
        title="Maths",
    )
    checkout = kit.payments.book(T, session.id, "student:ana", actor="ana")
    assert checkout.payment is not None
    assert checkout.payment.intent_ref is not None
    assert checkout.booking.status == HELD
    gateway.pay(checkout.payment.intent_ref)
    locked: list[str] = []
    original = InMemoryBookingRepository.lock_session

    def counting(self: InMemoryBookingRepository, tenant: str, session_id: str) -> Session:
        locked.append(session_id)
        return original(self, tenant, session_id)

    monkeypatch.setattr(InMemoryBookingRepository, "lock_session", counting)
    assert [kit.payments.apply(T, e).outcome for e in gateway.drain()] == ["applied"]
    # The event's lock (sessions before payments), then the success's own: not a third.
    assert locked == [session.id, session.id]
    assert kit.bookings.get(T, checkout.booking.id).status == CONFIRMED
    assert kit.payments.get(T, checkout.payment.id).status == PAID
