"""Amounts a new user checks against pen and paper: prices fixed, refunds exact, in any currency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sessionkit.errors import InvalidValue, PaymentGatewayError, WrongType
from sessionkit.model.money import Money
from sessionkit.model.payment import PAID, REFUNDED
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import BookingRules, FixedPrice, Pricing, RefundPolicy, RefundTier
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


class Answers:
    """A host's own pricing: whatever it was told to answer, per booking."""

    def __init__(self, answer: object) -> None:
        self.answer = answer

    def price(self, session: Session, seats: int) -> Money:
        return self.answer  # type: ignore[return-value]  # a wrong answer is the point


def kit_with(pricing: Pricing) -> tuple[Harness, FakeGateway, Session]:
    """A kit over memory with the fake provider and ``pricing``, and a slot of 3 seats."""
    gateway = FakeGateway(clock=lambda: NOW)
    h = Harness.in_memory(NOW, id_prefix="x", gateway=gateway, pricing=pricing)
    start = NOW + timedelta(days=2)
    slot = h.kit.sessions.create_extra(
        T,
        actor="tina",
        start=start,
        end=start + timedelta(hours=1),
        resources=[ResourceRef("tutor", "tina")],
        lifecycle="marketplace",
        capacity=3,
        title="Maths",
    )
    return h, gateway, slot


@pytest.mark.parametrize(
    ("answer", "fixed"),
    [
        (Money.of("33.335", "EUR"), Money.of("33.34", "EUR")),
        (Money.of("1000.5", "JPY"), Money.of("1001", "JPY")),
        (Money.of("1.23456", "KWD"), Money.of("1.235", "KWD")),
    ],
)
def test_a_host_pricing_finer_than_the_minor_unit_is_fixed_as_charged(
    answer: Money, fixed: Money
) -> None:
    # The payment kept 33.335 EUR while the provider was asked for 33.34: revenue and every
    # refund were computed on an amount nobody paid.
    h, gateway, slot = kit_with(Answers(answer))
    checkout = h.kit.payments.book(T, slot.id, "student:ana", actor="ana")
    assert checkout.payment.amount == fixed
    assert str(checkout.payment.amount) == str(fixed)
    assert gateway.intents[checkout.payment.intent_ref or ""].amount == fixed
    gateway.pay(checkout.payment.intent_ref or "")
    for event in gateway.drain():
        h.kit.payments.apply(T, event)
    h.kit.bookings.cancel(T, checkout.booking.id, actor="tina", role="host")
    for event in gateway.drain():
        h.kit.payments.apply(T, event)
    refunded = h.kit.payments.get(T, checkout.payment.id)
    assert (refunded.status, refunded.refunded) == (REFUNDED, fixed.amount)
    assert gateway.collected(fixed.currency).is_zero


def test_a_host_pricing_under_one_minor_unit_refuses_the_booking_and_writes_nothing() -> None:
    # It opened a payment of 0.004 EUR and asked the provider for an intent of 0.00 EUR.
    h, gateway, slot = kit_with(Answers(Money.of("0.004", "EUR")))
    with pytest.raises(InvalidValue) as refused:
        h.kit.payments.book(T, slot.id, "student:ana", actor="ana")
    assert refused.value.value == Money.of("0.004", "EUR")
    assert refused.value.expected == "an amount of at least one minor unit of EUR"
    assert "pricing.price(session 'x1', seats=1)" in str(refused.value)
    assert gateway.intents == {}
    assert h.kit.bookings.for_session(T, slot.id) == []


@pytest.mark.parametrize("answer", [12.5, 12, "12.50", None])
def test_a_host_pricing_that_answers_no_money_is_named(answer: object) -> None:
    # It was "expected Money, got 12.5", naming neither the pricing nor the session.
    h, gateway, slot = kit_with(Answers(answer))
    with pytest.raises(WrongType) as refused:
        h.kit.payments.book(T, slot.id, "student:ana", actor="ana")
    assert refused.value.value == answer
    assert str(refused.value).startswith("pricing.price(session 'x1', seats=1) must be Money")
    assert gateway.intents == {}
    assert h.kit.bookings.for_session(T, slot.id) == []


def test_a_whole_price_is_kept_as_it_was() -> None:
    h, gateway, slot = kit_with(Answers(Money.of(60, "EUR")))
    checkout = h.kit.payments.book(T, slot.id, "student:ana", actor="ana", seats=2)
    gateway.pay(checkout.payment.intent_ref or "")
    for event in gateway.drain():
        h.kit.payments.apply(T, event)
    paid = h.kit.payments.get(T, checkout.payment.id)
    assert (paid.status, str(paid.amount)) == (PAID, "60.00 EUR")


@pytest.mark.parametrize(
    ("paid", "whole"),
    [("19.999", "20.00"), ("60", "60.00"), ("1000.5", "1001"), ("1.2345", "1.235")],
)
def test_a_full_refund_is_rounded_as_every_other_share(paid: str, whole: str) -> None:
    # 50 % came back rounded, 100 % came back as `paid` was (19.999 EUR): an amount no
    # provider refunds, and unequal in its text to the 20.00 a 99.999 % share gave.
    currency = {"19.999": "EUR", "60": "EUR", "1000.5": "JPY", "1.2345": "KWD"}[paid]
    money, start = Money.of(paid, currency), NOW + timedelta(days=2)
    policy = RefundPolicy(
        tiers=(RefundTier(timedelta(hours=24), 100),),
        late_percent=100,
        no_show_percent=100,
    )
    early, late = start - timedelta(days=1), start - timedelta(hours=1)
    answers = [
        policy.refund(money, role="host", start=start, at=late),
        policy.refund(money, role="participant", start=start, at=early),
        policy.refund(money, role="participant", start=start, at=late),
        policy.no_show_refund(money),
        policy.host_no_show_refund(money),
    ]
    assert [str(a.amount) for a in answers] == [whole] * 5


def consultation(policy: RefundPolicy) -> tuple[Harness, FakeGateway, Session]:
    """A kit pricing 100 EUR a consultation under ``policy``, and a session for three clients."""
    holder: list[Harness] = []
    gateway = FakeGateway(clock=lambda: holder[0].clock.now())
    h = Harness.in_memory(
        NOW,
        id_prefix="x",
        gateway=gateway,
        pricing=FixedPrice(Money.of(100, "EUR")),
        refunds=policy,
    )
    holder.append(h)
    start = NOW + timedelta(days=1)
    session = h.kit.sessions.create_extra(
        T,
        actor="priya",
        start=start,
        end=start + timedelta(hours=1),
        resources=[ResourceRef("consultant", "priya")],
        lifecycle="consulting",
        capacity=3,
        title="Strategy",
    )
    return h, gateway, session


def deliver(h: Harness, gateway: FakeGateway) -> None:
    for event in gateway.drain():
        h.kit.payments.apply(T, event)


def test_money_paid_after_a_no_show_gets_the_no_show_share_back_as_money_paid_before() -> None:
    # Three clients who all missed the session, one policy (half back less 5 EUR): the card
    # paid before got 45 EUR back, the invoice marked paid afterwards (the consulting "mark
    # paid") kept nothing back. The card whose capture the provider failed till after the
    # no-show never had a confirmed booking in the session: it is released, not charged.
    policy = RefundPolicy(no_show_percent=50, no_show_fee=Money.of(5, "EUR"))
    h, gateway, session = consultation(policy)
    card = h.kit.payments.book(T, session.id, "client:card", actor="card")
    gateway.pay(card.payment.intent_ref or "")
    invoice = h.kit.payments.book(
        T, session.id, "client:invoice", actor="priya", manual=True, confirm=True
    )
    late = h.kit.payments.book(T, session.id, "client:late", actor="late")
    gateway.authorize(late.payment.intent_ref or "")
    gateway.fail_next(1)  # the capture decided on the authorization does not go through
    deliver(h, gateway)
    h.kit.sessions.fire(T, session.id, "confirm", actor="priya")
    h.clock.set(session.end + timedelta(minutes=5))
    h.kit.sessions.fire(T, session.id, "no_show", actor="priya")
    assert h.kit.run_payment_calls().failed == ()  # the capture due: voided, the session over
    h.kit.payments.mark_paid(T, [invoice.payment.id], actor="priya")
    deliver(h, gateway)
    for checkout in (card, invoice):
        payment = h.kit.payments.get(T, checkout.payment.id)
        assert (payment.status, payment.refunded, payment.kept) == (
            "PARTIALLY_REFUNDED",
            Decimal("45.00"),
            Money.of("55.00", "EUR"),
        ), checkout.booking.participant
        assert payment.metadata["no_show"]["refund"] == "45.00"
    voided = h.kit.payments.get(T, late.payment.id)
    assert (voided.status, voided.due, voided.kept) == ("CANCELLED", None, Money.of(0, "EUR"))
    assert h.kit.bookings.get(T, late.booking.id).status == "EXPIRED"
    assert gateway.intent_for(late.payment.id).status == "canceled"
    assert gateway.collected("EUR") == Money.of("55.00", "EUR")  # the card paid before


def test_money_paid_after_a_held_session_with_no_attendance_is_kept_whole() -> None:
    # The consulting platform's "mark completed, then mark paid": nothing says who came.
    h, _, session = consultation(RefundPolicy(no_show_percent=50))
    invoice = h.kit.payments.book(
        T, session.id, "client:invoice", actor="priya", manual=True, confirm=True
    )
    h.kit.sessions.fire(T, session.id, "confirm", actor="priya")
    h.clock.set(session.end + timedelta(minutes=5))
    h.kit.sessions.fire(T, session.id, "complete", actor="priya")
    (paid,) = h.kit.payments.mark_paid(T, [invoice.payment.id], actor="priya")
    assert (paid.status, paid.refunded, "no_show" in paid.metadata) == (PAID, Decimal(0), False)


@pytest.mark.parametrize(
    ("fee", "name"),
    [
        (lambda fee: RefundTier(timedelta(hours=24), 50, fee=fee), "RefundTier.fee"),
        (lambda fee: RefundPolicy(no_show_percent=50, no_show_fee=fee), "RefundPolicy.no_show_fee"),
    ],
)
@pytest.mark.parametrize(
    ("amount", "currency"), [("0.004", "EUR"), ("0.4", "JPY"), ("0.0004", "KWD")]
)
def test_a_fee_that_rounds_to_nothing_is_refused_when_made(
    fee: Callable[[Money], object], name: str, amount: str, currency: str
) -> None:
    # It was accepted and then kept nothing: a 0.004 EUR fee (meant as 4 EUR, or 0.40)
    # rounded to 0.00 at every cancel, silently.
    with pytest.raises(InvalidValue) as refused:
        fee(Money.of(amount, currency))
    assert refused.value.value == Money.of(amount, currency)
    assert str(refused.value).startswith(f"{name} must be at least one minor unit of {currency}")
    assert "it would keep nothing" in str(refused.value)


def test_a_fee_of_one_minor_unit_is_kept() -> None:
    policy = RefundPolicy(no_show_percent=100, no_show_fee=Money.of("0.005", "EUR"))
    assert policy.no_show_refund(Money.of(10, "EUR")) == Money.of("9.99", "EUR")


def test_a_replayed_checkout_asks_no_intent_once_its_hold_ran_out() -> None:
    # The provider was down at the first request; the client retried with its key after the
    # 15 minutes' hold. The replay made an intent and handed out its client_secret, so the
    # student could pay for a seat that was no longer held, and be refunded as late money.
    gateway = FakeGateway(clock=lambda: NOW)
    h = Harness.in_memory(
        NOW,
        id_prefix="x",
        gateway=gateway,
        pricing=FixedPrice(Money.of(30, "EUR")),
        booking_rules=BookingRules(hold_for=timedelta(minutes=15)),
    )
    start = NOW + timedelta(days=2)
    slot = h.kit.sessions.create_extra(
        T,
        actor="tina",
        start=start,
        end=start + timedelta(hours=1),
        resources=[ResourceRef("tutor", "tina")],
        lifecycle="marketplace",
        capacity=3,
        title="Maths",
    )
    gateway.fail_next(1)
    with pytest.raises(PaymentGatewayError):
        h.kit.payments.book(T, slot.id, "student:ana", actor="ana", idempotency_key="k1")
    in_time = h.kit.payments.book(
        T, slot.id, "student:ana", actor="ana", idempotency_key="k1", now=NOW + timedelta(minutes=5)
    )
    assert in_time.client_secret is not None  # while the hold lasts, the retry pays
    h.kit.payments.book(T, slot.id, "student:ben", actor="ben", idempotency_key="k2")
    gateway.fail_next(1)
    with pytest.raises(PaymentGatewayError):
        h.kit.payments.book(T, slot.id, "student:cleo", actor="cleo", idempotency_key="k3")
    made = len(gateway.intents)
    late = h.kit.payments.book(
        T,
        slot.id,
        "student:cleo",
        actor="cleo",
        idempotency_key="k3",
        now=NOW + timedelta(minutes=20),
    )
    assert (late.client_secret, late.payment.intent_ref, late.payment.due) == (None, None, "create")
    assert len(gateway.intents) == made
