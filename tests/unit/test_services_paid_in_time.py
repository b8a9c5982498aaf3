"""A payment made before its hold ran out, whose notice came after, confirms the booking.

A student who paid at 07:14:50 for a hold until 07:15 lost the seat and got the
money back when the provider's webhook arrived at 07:16:50: the success was
judged at the notice's instant. It is judged at the payment's own instant
(``PaymentEvent.occurred_at``) now, as long as nobody took the seats meanwhile
and the expiry was not processed. Each case runs on memory and SQLite.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model.booking import CONFIRMED, EXPIRED, HELD
from sessionkit.model.booking_events import BookingConfirmed
from sessionkit.model.money import Money
from sessionkit.model.payment import PAID, REFUNDED, PaymentEvent
from sessionkit.model.session import Session
from sessionkit.policies import BookingRules, Rate
from sessionkit.ports import EventPublisher, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.services.payments import Checkout
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.payments import FakeGateway

from ._store_support import STORES, StoreMaker

T = "acme"
NOW = datetime(2026, 3, 2, 7, tzinfo=UTC)
HOLD = timedelta(minutes=15)


class Market:
    def __init__(self, store: StoreMaker) -> None:
        self.events = RecordingPublisher()
        self.clock = ManualClock(NOW)
        self.gateway = FakeGateway(clock=self.clock.now)
        counter = itertools.count(1)
        self.kit = SessionKit(
            uow=store(self.events),
            clock=self.clock,
            ids=lambda: f"x{next(counter)}",
            booking_rules=BookingRules(hold_for=HOLD, waitlist=True),
            gateway=self.gateway,
            pricing=Rate(Money.of(40, "EUR")),
        )
        start = NOW + timedelta(days=2)
        self.slot: Session = self.kit.sessions.create_extra(
            T,
            actor="tina",
            start=start,
            end=start + timedelta(hours=1),
            resources=["tutor:tina"],
            lifecycle="marketplace",
            capacity=1,
        )

    def checkout(self, who: str) -> Checkout:
        return self.kit.payments.book(T, self.slot.id, who, actor=who)

    def pays_at(self, checkout: Checkout, at: datetime) -> list[PaymentEvent]:
        """The student pays at ``at``; the provider's events, not yet delivered."""
        self.clock.set(at)
        self.gateway.pay(checkout.payment.intent_ref or "")
        return self.gateway.drain()

    def state(self, checkout: Checkout) -> tuple[str, str, Decimal]:
        booking = self.kit.bookings.get(T, checkout.booking.id)
        payment = self.kit.payments.get(T, checkout.payment.id)
        return booking.status, payment.status, payment.refunded


@pytest.fixture(params=list(STORES.values()), ids=list(STORES))
def market(request: pytest.FixtureRequest) -> Market:
    return Market(request.param)


def test_a_payment_before_the_hold_ran_out_confirms_though_its_notice_came_later(
    market: Market,
) -> None:
    ann = market.checkout("student:ann")
    events = market.pays_at(ann, NOW + HOLD - timedelta(seconds=10))
    market.clock.set(NOW + HOLD + timedelta(minutes=2))  # the webhook arrives late
    assert [market.kit.payments.apply(T, e).outcome for e in events] == ["applied"]
    assert market.state(ann) == (CONFIRMED, PAID, Decimal(0))
    assert market.kit.bookings.remaining_seats(T, [market.slot.id]) == {market.slot.id: 0}
    confirmed = [e for e in market.events.events if isinstance(e, BookingConfirmed)]
    assert [e.booking.id for e in confirmed] == [ann.booking.id]
    assert market.gateway.collected("EUR") == Money.of(40, "EUR")


def test_a_seat_taken_meanwhile_is_not_taken_back(market: Market) -> None:
    ann = market.checkout("student:ann")
    events = market.pays_at(ann, NOW + HOLD - timedelta(seconds=10))
    market.clock.set(NOW + HOLD + timedelta(minutes=1))
    ben = market.checkout("student:ben")  # the seat read as free: ann's hold had run out
    market.clock.set(NOW + HOLD + timedelta(minutes=2))
    for event in events:
        market.kit.payments.apply(T, event)
    assert market.state(ann) == (EXPIRED, REFUNDED, Decimal("40.00"))
    assert market.kit.bookings.get(T, ben.booking.id).status == HELD


def test_an_expiry_processed_before_the_notice_stands(market: Market) -> None:
    ann = market.checkout("student:ann")
    events = market.pays_at(ann, NOW + HOLD - timedelta(seconds=10))
    market.clock.set(NOW + HOLD + timedelta(minutes=1))
    market.kit.tick(T, kinds=["expire_holds"])
    market.clock.set(NOW + HOLD + timedelta(minutes=2))
    for event in events:
        market.kit.payments.apply(T, event)
    assert market.state(ann) == (EXPIRED, REFUNDED, Decimal("40.00"))


def test_a_payment_after_the_hold_ran_out_is_refunded(market: Market) -> None:
    ann = market.checkout("student:ann")
    events = market.pays_at(ann, NOW + HOLD + timedelta(seconds=1))
    for event in events:
        market.kit.payments.apply(T, event)
    assert market.state(ann) == (EXPIRED, REFUNDED, Decimal("40.00"))


def test_a_payment_instant_past_the_notice_counts_as_the_notice(market: Market) -> None:
    # A provider clock ahead of ours does not date a payment after it was heard of: the
    # notice's instant is the latest a payment can have been made.
    ann = market.checkout("student:ann")
    events = market.pays_at(ann, NOW + HOLD - timedelta(seconds=10))
    skewed = [attrs.evolve(e, occurred_at=NOW + timedelta(hours=5)) for e in events]
    market.clock.set(NOW + HOLD + timedelta(minutes=2))
    for event in skewed:
        market.kit.payments.apply(T, event)
    assert market.state(ann) == (EXPIRED, REFUNDED, Decimal("40.00"))


def authorized_at(market: Market, checkout: Checkout, at: datetime) -> None:
    """The bank holds the money at ``at``; the capture call that follows fails (left due)."""
    market.clock.set(at)
    market.gateway.authorize(checkout.payment.intent_ref or "")
    market.gateway.fail_next()
    for event in market.gateway.drain():
        assert market.kit.payments.apply(T, event).outcome == "applied"
    assert market.kit.payments.get(T, checkout.payment.id).due in ("capture", "cancel")


def test_an_authorization_in_time_captured_after_the_hold_ran_out_confirms(
    market: Market,
) -> None:
    # The bank held the money at 07:14:50 and sessionkit decided to capture it; the
    # provider was down, so the runner captured a minute after the hold ran out.
    ann = market.checkout("student:ann")
    authorized_at(market, ann, NOW + HOLD - timedelta(seconds=10))
    market.clock.set(NOW + HOLD + timedelta(minutes=1))
    assert market.kit.run_payment_calls().failed == ()
    assert market.state(ann) == (CONFIRMED, PAID, Decimal(0))
    assert market.gateway.collected("EUR") == Money.of(40, "EUR")
    # The capture's own webhook, arriving after, changes nothing.
    assert [market.kit.payments.apply(T, e).outcome for e in market.gateway.drain()] == ["stale"]
    assert market.state(ann) == (CONFIRMED, PAID, Decimal(0))


def test_an_authorization_in_time_whose_capture_notice_outran_the_runner_confirms(
    market: Market,
) -> None:
    ann = market.checkout("student:ann")
    authorized_at(market, ann, NOW + HOLD - timedelta(seconds=10))
    market.clock.set(NOW + HOLD + timedelta(minutes=1))
    # The provider captured on its own; its webhook came before the runner.
    market.gateway.pay(ann.payment.intent_ref or "")
    for event in market.gateway.drain():
        market.kit.payments.apply(T, event)
    assert market.state(ann) == (CONFIRMED, PAID, Decimal(0))


def test_an_authorization_in_time_does_not_undo_an_expiry_already_processed(
    market: Market,
) -> None:
    ann = market.checkout("student:ann")
    authorized_at(market, ann, NOW + HOLD - timedelta(seconds=10))
    market.clock.set(NOW + HOLD + timedelta(minutes=1))
    market.kit.tick(T, kinds=["expire_holds"])
    market.kit.run_payment_calls()
    assert market.kit.bookings.get(T, ann.booking.id).status == EXPIRED
    assert market.gateway.collected("EUR") == Money.of(0, "EUR")


def test_an_authorization_after_the_hold_ran_out_is_cancelled_not_captured(
    market: Market,
) -> None:
    ann = market.checkout("student:ann")
    authorized_at(market, ann, NOW + HOLD + timedelta(seconds=1))
    market.kit.run_payment_calls()
    assert market.state(ann) == (EXPIRED, "CANCELLED", Decimal(0))
    assert market.gateway.collected("EUR") == Money.of(0, "EUR")


def test_a_hold_paid_in_time_of_a_slot_ended_before_the_notice_is_refunded(
    market: Market,
) -> None:
    # Paid at 07:14:50 for a hold until 07:15; the tutor started and ended the slot
    # early at 07:16, and the provider's notice came at 07:17: a booking in a slot
    # that is over is not confirmed by it, the money goes back as for any late one.
    ann = market.checkout("student:ann")
    events = market.pays_at(ann, NOW + HOLD - timedelta(seconds=10))
    market.clock.set(NOW + HOLD + timedelta(minutes=1))
    for name in ("start", "end"):
        market.kit.sessions.fire(T, market.slot.id, name, actor="tina", role="provider")
    market.clock.set(NOW + HOLD + timedelta(minutes=2))
    assert [market.kit.payments.apply(T, e).outcome for e in events] == ["applied"]
    assert market.state(ann) == (EXPIRED, REFUNDED, Decimal("40.00"))
    assert not [e for e in market.events.events if isinstance(e, BookingConfirmed)]
    assert market.gateway.collected("EUR") == Money.of(0, "EUR")


def test_a_hold_paid_in_time_of_a_slot_cancelled_before_the_notice_is_refunded(
    market: Market,
) -> None:
    ann = market.checkout("student:ann")
    events = market.pays_at(ann, NOW + HOLD - timedelta(seconds=10))
    market.clock.set(NOW + HOLD + timedelta(minutes=1))
    market.kit.sessions.cancel(T, market.slot.id, actor="tina", reason="ill")
    market.clock.set(NOW + HOLD + timedelta(minutes=2))
    # The cancel marked the run-out hold EXPIRED and gave its money back already.
    assert [market.kit.payments.apply(T, e).outcome for e in events] == ["stale"]
    assert market.state(ann) == (EXPIRED, REFUNDED, Decimal("40.00"))
    assert market.gateway.collected("EUR") == Money.of(0, "EUR")


def ended_early(market: Market) -> None:
    """The tutor starts and ends the slot ahead of its time, now."""
    for name in ("start", "end"):
        market.kit.sessions.fire(T, market.slot.id, name, actor="tina", role="provider")


def test_an_authorization_in_time_of_a_slot_ended_before_its_capture_is_voided(
    market: Market,
) -> None:
    # The bank held the money at 07:14:50 and sessionkit decided to capture it; the
    # provider was down, and the tutor ended the slot early at 07:16, before the runner
    # captured: the slot went on without ann, so her authorization is released, not
    # captured and her booking confirmed into a slot that is over.
    ann = market.checkout("student:ann")
    authorized_at(market, ann, NOW + HOLD - timedelta(seconds=10))
    market.clock.set(NOW + HOLD + timedelta(minutes=1))
    ended_early(market)
    market.clock.set(NOW + HOLD + timedelta(minutes=2))
    assert market.kit.run_payment_calls().failed == ()
    assert market.state(ann) == (EXPIRED, "CANCELLED", Decimal(0))
    payment = market.kit.payments.get(T, ann.payment.id)
    assert payment.due is None
    assert market.gateway.intent_for(ann.payment.id).status == "canceled"
    assert market.gateway.collected("EUR") == Money.of(0, "EUR")
    assert not [e for e in market.events.events if isinstance(e, BookingConfirmed)]
    # The cancel's own webhook, arriving after, changes nothing.
    assert [market.kit.payments.apply(T, e).outcome for e in market.gateway.drain()] == ["stale"]
    assert market.state(ann) == (EXPIRED, "CANCELLED", Decimal(0))


def test_an_authorization_in_time_captured_by_the_provider_after_the_slot_ended_is_refunded(
    market: Market,
) -> None:
    # The provider captured on its own (or the runner's capture was under way as the
    # slot ended): the money came in for a booking in a slot that is over; it goes back.
    ann = market.checkout("student:ann")
    authorized_at(market, ann, NOW + HOLD - timedelta(seconds=10))
    market.clock.set(NOW + HOLD + timedelta(minutes=1))
    ended_early(market)
    market.clock.set(NOW + HOLD + timedelta(minutes=2))
    market.gateway.pay(ann.payment.intent_ref or "")
    assert [market.kit.payments.apply(T, e).outcome for e in market.gateway.drain()] == ["applied"]
    assert market.state(ann) == (EXPIRED, REFUNDED, Decimal("40.00"))
    assert not [e for e in market.events.events if isinstance(e, BookingConfirmed)]
    assert market.gateway.collected("EUR") == Money.of(0, "EUR")


def test_an_authorization_in_time_of_a_slot_cancelled_before_its_capture_is_voided(
    market: Market,
) -> None:
    ann = market.checkout("student:ann")
    authorized_at(market, ann, NOW + HOLD - timedelta(seconds=10))
    market.clock.set(NOW + HOLD + timedelta(minutes=1))
    market.kit.sessions.cancel(T, market.slot.id, actor="tina", reason="ill")
    market.clock.set(NOW + HOLD + timedelta(minutes=2))
    assert market.kit.run_payment_calls().failed == ()
    assert market.state(ann) == (EXPIRED, "CANCELLED", Decimal(0))
    assert market.gateway.intent_for(ann.payment.id).status == "canceled"
    assert market.gateway.collected("EUR") == Money.of(0, "EUR")


def test_an_authorization_of_a_hold_in_time_in_a_slot_stored_over_is_voided() -> None:
    # A hold still in time in a slot that is over: stored so before a slot ended ahead of
    # its time lapsed its holds (an older release's data). The capture decided on its
    # authorization is not made: the hold lapses and the authorization is released.
    stores: list[InMemoryStore] = []

    def kept(publisher: EventPublisher) -> UnitOfWorkFactory:
        stores.append(InMemoryStore(publisher=publisher))
        return stores[0].unit_of_work

    market = Market(kept)
    ann = market.checkout("student:ann")
    with stores[0].unit_of_work() as uow:
        slot = uow.sessions.get(T, market.slot.id)
        uow.sessions.update(attrs.evolve(slot, status="COMPLETED"), expected_version=slot.version)
        uow.commit()
    market.clock.set(NOW + timedelta(minutes=5))
    market.gateway.authorize(ann.payment.intent_ref or "")
    assert [market.kit.payments.apply(T, e).outcome for e in market.gateway.drain()] == ["applied"]
    assert market.kit.run_payment_calls().done == 0  # the cancel was made after the event
    assert market.state(ann) == (EXPIRED, "CANCELLED", Decimal(0))
    assert market.gateway.intent_for(ann.payment.id).status == "canceled"
    assert market.gateway.collected("EUR") == Money.of(0, "EUR")
