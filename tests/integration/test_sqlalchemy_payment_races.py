"""Racing payment commands on SQL stores: provider events delivered at once, refunds at once.

- One provider event ("succeeded") delivered by 8 writers at once through
  ``kit.payments.apply`` (a provider retrying a webhook while the first
  delivery is still running): exactly one ``"applied"``, every other
  ``"duplicate"``, the booking confirmed once, one ``BookingConfirmed``.
- 4 retries of one goodwill refund at once, under one idempotency key (a
  client retrying while its first request still runs): every one answers the
  payment, and 10 EUR is refunded once, by sessionkit and by the provider.
- 8 goodwill refunds of 10 EUR on a 60 EUR payment at once (admins clicking
  at once): each succeeds or raises ``RefundExceedsPayment`` or
  ``ConcurrentModification``; at most 60 EUR is ever refunded, and once the
  due calls are made sessionkit has refunded 10 EUR per success, which
  (with threads, whose provider is one shared fake) is also what the
  provider gave back.

Writers are 8 threads, or 8 forked processes (each with its own copy of the
fake provider, so only sessionkit's records are compared there); engines as
in ``conftest.py`` (a SQLite file always, PostgreSQL and MariaDB when their
URLs are set). ``SESSIONKIT_RACE_ROUNDS`` sets the rounds per test (default 3).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import (
    ConcurrentModification,
    InvalidTransition,
    InvalidValue,
    RefundExceedsPayment,
    TransitionRefused,
)
from sessionkit.model.booking import CANCELLED, CONFIRMED
from sessionkit.model.booking_events import BookingConfirmed
from sessionkit.model.events import DomainEvent
from sessionkit.model.money import Money
from sessionkit.model.payment import PAID, PARTIALLY_REFUNDED, REFUNDED, Payment, PaymentEvent
from sessionkit.policies import FixedPrice, Rate, RefundPolicy, RefundTier
from sessionkit.services.payments import Checkout
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

from ._racing import WRITER_KINDS, WRITERS, race, rounds

ROUNDS = rounds(3)
T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TEN = Money.of(10, "EUR")


def pay_of(checkout: Checkout) -> Payment:
    """Return the checkout's payment (every checkout here has one)."""
    assert checkout.payment is not None
    return checkout.payment


class FilePublisher:
    """Appends one line per event to a file, so forked writers' events are counted too."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def publish(self, events: Sequence[DomainEvent]) -> None:
        lines = "".join(f"{type(e).__name__} {_subject(e)}\n" for e in events)
        with self.path.open("a") as file:  # one write per batch, appended atomically
            file.write(lines)

    def count(self, kind: type[DomainEvent], subject: str) -> int:
        wanted = f"{kind.__name__} {subject}"
        return self.path.read_text().splitlines().count(wanted) if self.path.exists() else 0


def _subject(event: DomainEvent) -> str:
    booking = getattr(event, "booking", None)
    return "-" if booking is None else str(booking.id)


class Shop:
    """A kit over the race engine with a fake provider and 40 EUR an hour."""

    def __init__(self, engine: Engine, events: Path) -> None:
        self.clock = ManualClock(NOW)
        self.gateway = FakeGateway(clock=self.clock.now)
        self.events = FilePublisher(events)
        self.kit = SessionKit(
            uow=SqlAlchemyStore(engine, self.events).unit_of_work,
            clock=self.clock,
            gateway=self.gateway,
            pricing=Rate(Money.of(40, "EUR")),
        )

    def paid_booking(self, round_: int, *, pay: bool = True) -> Payment:
        """Book a 90-minute session (60 EUR) for round ``round_``; pay it unless told not to."""
        self.gateway.drain()  # what the provider announced in earlier rounds
        start = NOW + timedelta(days=2, hours=round_)
        session = self.kit.sessions.create_extra(
            T,
            actor="tina",
            start=start,
            end=start + timedelta(minutes=90),
            lifecycle="marketplace",
            capacity=1,
            title="Maths",
        )
        checkout = self.kit.payments.book(T, session.id, f"student:r{round_}", actor="ana")
        if pay:
            self.gateway.pay(pay_of(checkout).intent_ref or "")
            assert [self.kit.payments.apply(T, e).outcome for e in self.gateway.drain()] == [
                "applied"
            ]
        return self.kit.payments.get(T, pay_of(checkout).id)


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_one_event_delivered_at_once_applies_once(
    race_engine: Engine, processes: bool, tmp_path: Path
) -> None:
    shop = Shop(race_engine, tmp_path / "events.txt")
    for round_ in range(ROUNDS):
        payment = shop.paid_booking(round_, pay=False)
        shop.gateway.pay(payment.intent_ref or "")
        [event] = shop.gateway.drain()

        def deliver(_n: int, event: PaymentEvent = event) -> str:
            return shop.kit.payments.apply(T, event).outcome

        outcomes = Counter(race(deliver, race_engine, writers=WRITERS, processes=processes))
        assert outcomes == {"applied": 1, "duplicate": WRITERS - 1}, outcomes
        paid = shop.kit.payments.get(T, payment.id)
        booking = shop.kit.bookings.get(T, payment.booking_id)
        assert (paid.status, paid.version, booking.status) == (PAID, payment.version + 1, CONFIRMED)
        assert booking.version == 2  # held, then confirmed once
        assert shop.events.count(BookingConfirmed, booking.id) == 1


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_refunds_clicked_at_once_never_give_back_more_than_was_paid(
    race_engine: Engine, processes: bool, tmp_path: Path
) -> None:
    shop = Shop(race_engine, tmp_path / "events.txt")
    for round_ in range(ROUNDS):
        payment = shop.paid_booking(round_)
        assert payment.amount == Money.of(60, "EUR")

        def refund(n: int, payment_id: str = payment.id) -> str:
            try:
                after = shop.kit.payments.refund(T, payment_id, TEN, actor=f"admin{n}")
            except (RefundExceedsPayment, ConcurrentModification) as refused:
                return type(refused).__name__
            assert after.refunded + after.refund_due <= after.amount.amount
            return "refunded"

        outcomes = Counter(race(refund, race_engine, writers=WRITERS, processes=processes))
        assert set(outcomes) <= {"refunded", "RefundExceedsPayment", "ConcurrentModification"}, (
            outcomes
        )
        won = outcomes["refunded"]
        assert 1 <= won <= 6, outcomes
        shop.kit.run_payment_calls()  # what a writer's provider call left due, if anything
        after = shop.kit.payments.get(T, payment.id)
        assert (after.refunded, after.refund_due, after.due) == (
            Decimal(10 * won),
            Decimal(0),
            None,
        )
        assert after.status == (REFUNDED if won == 6 else PARTIALLY_REFUNDED)
        if not processes:  # one shared fake provider: it gave back what sessionkit recorded
            intent = shop.gateway.intents[payment.intent_ref or ""]
            assert intent.refunded == after.refunded
            mine = after.gateway_key("refund")
            keys = {k for op, k in shop.gateway.calls if op == "refund" and k.startswith(mine)}
            assert len(keys) == after.refunds  # each refund call under a key of its own


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_retries_of_one_keyed_refund_at_once_refund_once(
    race_engine: Engine, tmp_path: Path, processes: bool
) -> None:
    shop = Shop(race_engine, tmp_path / "events.txt")
    for round_ in range(ROUNDS):
        payment = shop.paid_booking(round_)

        def retry(_n: int, payment_id: str = payment.id, key: str = f"refund-{round_}") -> str:
            after = shop.kit.payments.refund(T, payment_id, TEN, actor="admin", idempotency_key=key)
            return f"{after.refunded + after.refund_due}"

        outcomes = race(retry, race_engine, writers=4, processes=processes)
        assert outcomes == ["10.00"] * 4, outcomes
        shop.kit.run_payment_calls()  # what a writer's provider call left due, if anything
        after = shop.kit.payments.get(T, payment.id)
        assert (after.refunded, after.refund_due, after.refunds) == (Decimal(10), Decimal(0), 1)
        if not processes:  # a forked writer asked its own copy of the fake provider
            assert shop.gateway.intents[payment.intent_ref or ""].refunded == Decimal(10)


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_a_cashier_marking_paid_while_the_client_cancels_gives_a_serial_outcome(
    race_engine: Engine, processes: bool
) -> None:
    # A consultation on invoice (manual, confirmed at once); a client's cancel refunds half.
    # Serially: paid, then the cancel refunds 30 of 60; or cancelled, and mark_paid refused.
    # mark_paid checked the payment before it locked the session, then took a payment the
    # cancel had just made CANCELLED for late money and refunded all 60.
    kit = SessionKit(
        uow=SqlAlchemyStore(race_engine).unit_of_work,
        clock=ManualClock(NOW),
        gateway=FakeGateway(),
        pricing=FixedPrice(Money.of(60, "EUR")),
        refunds=RefundPolicy(tiers=(RefundTier(timedelta(0), 50),)),
    )
    seen: set[tuple[str, Decimal]] = set()
    for round_ in range(ROUNDS * 2):
        start = NOW + timedelta(days=3, hours=round_)
        session = kit.sessions.create_extra(
            T,
            actor="priya",
            title="Consultation",
            start=start,
            end=start + timedelta(hours=1),
            resources=[f"consultant:p{round_}"],
            lifecycle="consulting",
        )
        checkout = kit.payments.book(
            T,
            session.id,
            f"client:c{round_}",
            actor="priya",
            role="client",
            manual=True,
            confirm=True,
        )
        payment_id, booking_id = pay_of(checkout).id, checkout.booking.id

        def settle(w: int, payment_id: str = payment_id, booking_id: str = booking_id) -> str:
            try:
                if w % 2:
                    kit.payments.cancel(T, booking_id, actor="client", role="participant")
                    return "cancelled"
                kit.payments.mark_paid(T, [payment_id], actor="cashier")
            except (
                InvalidValue,
                InvalidTransition,
                TransitionRefused,
                ConcurrentModification,
            ) as refused:
                return f"refused: {type(refused).__name__}"
            return "paid"

        outcomes = race(settle, race_engine, writers=4, processes=processes)
        assert not [o for o in outcomes if o.startswith("error")], outcomes
        payment = kit.payments.get(T, payment_id)
        assert kit.bookings.get(T, booking_id).status == CANCELLED, outcomes
        assert (payment.status, payment.refunded) in {
            ("CANCELLED", Decimal(0)),  # cancelled first: nothing was paid
            (PARTIALLY_REFUNDED, Decimal("30.00")),  # paid first: the client's half back
        }, (outcomes, payment)
        assert ("paid" in outcomes) == (payment.status == PARTIALLY_REFUNDED), outcomes
        seen.add((payment.status, payment.refunded))
    assert seen  # every round ended in one of the two serial outcomes
