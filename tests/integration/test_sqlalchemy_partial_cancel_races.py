"""Partial cancels of one paid booking racing on SQL stores: each gives back its own seats.

Writers released together each give back one seat of a family's booking
(``kit.bookings.cancel(..., seats=1)``), its payment paid by hand (a manual
refund is made in the unit): the session's lock and the versions make them
one after another, so the booking keeps ``seats - writers``, each event names
the count it found (no two the same), and the payment is refunded each seat
once, the part the rest paid for following it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import SessionKitError
from sessionkit.model import ResourceRef
from sessionkit.model.booking_events import BookingSeatsCancelled
from sessionkit.model.money import Money
from sessionkit.policies import RefundPolicy, SeatPrice
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._racing import race

T = "acme"
NOW = datetime(2026, 3, 2, 7, tzinfo=UTC)
START = NOW + timedelta(days=3)
SEATS = 4
WRITERS = 3
PRICE = SeatPrice(Money.of(30, "EUR"))


def _kit(engine: Engine, events: RecordingPublisher) -> SessionKit:
    store = SqlAlchemyStore(engine, publisher=events)
    return SessionKit(
        uow=store.unit_of_work,
        clock=ManualClock(NOW),
        pricing=PRICE,
        refunds=RefundPolicy(),
        attempts=WRITERS + 2,  # every writer may lose to each of the others once
    )


def _give_back_one(engine: Engine, booking_id: str, n: int) -> str:
    events = RecordingPublisher()
    try:
        _kit(engine, events).bookings.cancel(T, booking_id, actor=f"w{n}", seats=1)
    except SessionKitError as error:
        return f"error: {type(error).__name__}: {error}"
    [given] = [e for e in events.events if isinstance(e, BookingSeatsCancelled)]
    return f"{given.seats_before}->{given.seats_after}"


@pytest.mark.parametrize("processes", [False], ids=["threads"])
def test_racing_partial_cancels_each_give_back_their_own_seat(
    race_engine: Engine, processes: bool
) -> None:
    kit = _kit(race_engine, RecordingPublisher())
    session = kit.sessions.create_extra(
        T,
        actor="tina",
        title="Group",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("tutor", "tina")],
        lifecycle="lms",
        capacity=SEATS,
    )
    checkout = kit.payments.book(
        T, session.id, "parent:ana", actor="ana", seats=SEATS, manual=True, confirm=True
    )
    assert checkout.payment is not None
    kit.payments.mark_paid(T, [checkout.payment.id], actor="tina")
    booking_id = checkout.booking.id

    def work(n: int) -> str:
        return _give_back_one(race_engine, booking_id, n)

    outcomes = race(work, race_engine, writers=WRITERS, processes=processes)
    assert sorted(outcomes) == ["2->1", "3->2", "4->3"]
    booking = kit.bookings.get(T, booking_id)
    assert (booking.seats, booking.version) == (SEATS - WRITERS, 1 + WRITERS)
    payment = kit.payments.get(T, checkout.payment.id)
    assert (payment.refunded, dict(payment.metadata["seats_part"])) == (
        Decimal("90.00"),
        {"seats": 1, "amount": "30.00"},
    )
