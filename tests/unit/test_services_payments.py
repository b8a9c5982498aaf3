"""Paid bookings on the in-memory store with the fake provider: pay, fail, expire, refund."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import (
    CapacityExceeded,
    CurrencyMismatch,
    HoldExpired,
    IdempotencyKeyReused,
    InvalidTransition,
    InvalidValue,
    PaymentDeclined,
    PaymentGatewayError,
    PaymentNotFound,
    PaymentRequired,
    RefundExceedsPayment,
    RefundKeyReused,
    TransitionRefused,
    WrongType,
)
from sessionkit.model.booking import CANCELLED, CONFIRMED, EXPIRED, HELD, OFFERED, WAITLISTED
from sessionkit.model.booking_events import BookingCancelled, BookingConfirmed
from sessionkit.model.money import Money
from sessionkit.model.payment import (
    FAILED,
    PAID,
    PARTIALLY_REFUNDED,
    PENDING,
    REFUNDED,
    Payment,
    PaymentChanged,
    PaymentEvent,
    PaymentEventType,
)
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import BookingRules, Rate, RefundPolicy, RefundTier, SeatPrice
from sessionkit.ports import PAYMENTS, Intent, RefundReceipt
from sessionkit.services.payments import RETRY_FIRST, Checkout, DueReport
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TUTOR = ResourceRef("tutor", "tina")
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15), offer_for=timedelta(hours=1))
EUR40 = Money.of(40, "EUR")
EUR0 = Money.of(0, "EUR")


def pay_of(checkout: Checkout) -> Payment:
    """Return the checkout's payment (every checkout here has one)."""
    assert checkout.payment is not None
    return checkout.payment


class Shop:
    """A harness with the fake provider wired in, and shortcuts for the tests."""

    def __init__(
        self,
        *,
        refunds: RefundPolicy | None = None,
        instant: bool = False,
        rate: Money = EUR40,
        rules: BookingRules = RULES,
    ) -> None:
        self.rate = rate
        self.gateway = FakeGateway(clock=lambda: self.h.clock.now(), instant=instant)
        self.h = Harness.in_memory(
            NOW,
            id_prefix="x",
            booking_rules=rules,
            gateway=self.gateway,
            pricing=lambda _session: Rate(self.rate),
            refunds=refunds,
        )
        self.kit = self.h.kit

    def slot(self, *, capacity: int = 1, days: int = 2, minutes: int = 90) -> Session:
        start = NOW + timedelta(days=days)
        return self.kit.sessions.create_extra(
            T,
            actor="tina",
            start=start,
            end=start + timedelta(minutes=minutes),
            resources=[TUTOR],
            lifecycle="marketplace",
            capacity=capacity,
            title="Maths",
        )

    def deliver(self, *, duplicate: bool = False, shuffle: bool = False) -> list[str]:
        return [
            self.kit.payments.apply(T, e).outcome
            for e in self.gateway.drain(duplicate=duplicate, shuffle=shuffle)
        ]


@pytest.fixture
def shop() -> Shop:
    return Shop()


# ---------------------------------------------------------------------- paying


def test_a_paid_booking_is_held_until_the_provider_says_paid(shop: Shop) -> None:
    s = shop.slot()
    checkout = shop.kit.payments.book(T, s.id, "student:ana", actor="ana", idempotency_key="k1")
    assert (checkout.booking.status, pay_of(checkout).status) == (HELD, PENDING)
    assert pay_of(checkout).amount == Money.of("60.00", "EUR")  # 40/h for 90 minutes
    assert checkout.client_secret == f"{pay_of(checkout).intent_ref}_secret"
    assert shop.gateway.calls == [("create_intent", pay_of(checkout).gateway_key("create"))]
    shop.gateway.pay(pay_of(checkout).intent_ref or "")
    assert shop.deliver(duplicate=True) == ["applied", "duplicate"]
    assert shop.kit.bookings.get(T, checkout.booking.id).status == CONFIRMED
    paid = shop.kit.payments.get(T, pay_of(checkout).id)
    assert (paid.status, paid.kept, paid.due) == (PAID, Money.of(60, "EUR"), None)
    assert any(isinstance(e, BookingConfirmed) for e in shop.h.events.events)


def test_the_price_is_fixed_when_booked(shop: Shop) -> None:
    s = shop.slot(capacity=3)
    first = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    shop.rate = Money.of(55, "EUR")
    second = shop.kit.payments.book(T, s.id, "student:ben", actor="ben")
    assert shop.kit.payments.get(T, pay_of(first).id).amount == Money.of(60, "EUR")
    assert pay_of(second).amount == Money.of("82.50", "EUR")


def test_a_stretched_session_keeps_paid_prices_and_prices_new_bookings_by_its_new_length() -> None:
    shop = Shop(rules=attrs.evolve(RULES, lock_booked=False))
    s = shop.slot(capacity=3)  # 90 minutes at 40 EUR an hour
    paid = shop.kit.payments.for_booking(T, _paid(shop, s, "ana"))
    assert paid is not None
    assert (paid.status, paid.amount) == (PAID, Money.of(60, "EUR"))
    shop.kit.sessions.update(T, s.id, actor="tina", end=s.start + timedelta(hours=2))
    later = shop.kit.payments.book(T, s.id, "student:ben", actor="ben")
    assert shop.kit.payments.get(T, paid.id).amount == Money.of(60, "EUR")  # fixed when booked
    assert pay_of(later).amount == Money.of(80, "EUR")  # the two hours it now lasts


def test_a_replayed_checkout_returns_the_same_booking_and_intent(shop: Shop) -> None:
    s = shop.slot(capacity=2)
    first = shop.kit.payments.book(T, s.id, "student:ana", actor="ana", idempotency_key="k1")
    again = shop.kit.payments.book(T, s.id, "student:ana", actor="ana", idempotency_key="k1")
    assert (again.booking.id, pay_of(again).id) == (first.booking.id, pay_of(first).id)
    assert len(shop.gateway.intents) == 1
    # The key again for a manual payment is another request, not a replay of the card's.
    with pytest.raises(IdempotencyKeyReused):
        shop.kit.payments.book(
            T, s.id, "student:ana", actor="ana", idempotency_key="k1", manual=True
        )
    paper = shop.kit.payments.book(
        T, s.id, "student:bob", actor="bob", idempotency_key="k2", manual=True
    )
    assert pay_of(paper).provider == "manual"
    with pytest.raises(IdempotencyKeyReused):
        shop.kit.payments.book(T, s.id, "student:bob", actor="bob", idempotency_key="k2")
    replayed = shop.kit.payments.book(
        T, s.id, "student:bob", actor="bob", idempotency_key="k2", manual=True
    )
    assert pay_of(replayed).id == pay_of(paper).id


def test_a_provider_down_at_checkout_leaves_the_hold_and_a_retry_finishes(shop: Shop) -> None:
    s = shop.slot()
    shop.gateway.fail_next()
    with pytest.raises(PaymentGatewayError) as caught:
        shop.kit.payments.book(T, s.id, "student:ana", actor="ana", idempotency_key="k1")
    assert caught.value.operation == "create_intent"
    [held] = shop.kit.bookings.for_session(T, s.id)
    assert held.status == HELD
    assert shop.kit.payments.for_booking(T, held.id).due == "create"  # type: ignore[union-attr]
    # The payment's id, not the idempotency key the adapter was handed (which it raised with).
    assert caught.value.payment_id == shop.kit.payments.for_booking(T, held.id).id  # type: ignore[union-attr]
    assert "the fake provider is down" in caught.value.detail
    retry = shop.kit.payments.book(T, s.id, "student:ana", actor="ana", idempotency_key="k1")
    assert (retry.booking.id, pay_of(retry).due, pay_of(retry).intent_ref) == (
        held.id,
        None,
        "pi_1",
    )


def test_a_decline_at_checkout_releases_the_seat(shop: Shop) -> None:
    s = shop.slot()
    shop.gateway.decline_next("insufficient_funds")
    with pytest.raises(PaymentDeclined) as caught:
        shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    assert caught.value.reason == "insufficient_funds"
    [released] = shop.kit.bookings.for_session(T, s.id)
    payment = shop.kit.payments.for_booking(T, released.id)
    assert (released.status, payment.status if payment else None) == (CANCELLED, FAILED)
    assert shop.kit.payments.book(T, s.id, "student:ben", actor="ben").booking.status == HELD


def test_a_later_decline_releases_the_seat_to_the_waitlist(shop: Shop) -> None:
    s = shop.slot()
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    ben = shop.kit.bookings.book(T, s.id, "student:ben", actor="ben", waitlist=True)
    assert ben.status == WAITLISTED
    shop.gateway.decline(pay_of(ana).intent_ref or "", "expired_card")
    assert shop.deliver() == ["applied"]
    assert shop.kit.bookings.get(T, ana.booking.id).status == CANCELLED
    assert shop.kit.payments.get(T, pay_of(ana).id).failure == "expired_card"
    offered = shop.kit.bookings.get(T, ben.id)
    assert offered.status == OFFERED
    claim = shop.kit.payments.claim(T, ben.id, actor="ben")
    shop.gateway.pay(pay_of(claim).intent_ref or "")
    shop.deliver()
    assert shop.kit.bookings.get(T, ben.id).status == CONFIRMED
    assert pay_of(shop.kit.payments.claim(T, ben.id, actor="ben")).id == pay_of(claim).id
    shop.kit.payments.cancel(T, ben.id, actor="ben")
    with pytest.raises(InvalidTransition) as caught:  # a claim replayed once it was cancelled
        shop.kit.payments.claim(T, ben.id, actor="ben")
    assert caught.value.status == CANCELLED


def test_a_retried_checkout_or_claim_gets_the_same_intents_secret_while_it_lasts(
    shop: Shop,
) -> None:
    """A client whose first answer was lost retries with the same key, and can still pay."""
    s = shop.slot()
    first = shop.kit.payments.book(T, s.id, "student:ana", actor="ana", idempotency_key="k1")
    again = shop.kit.payments.book(T, s.id, "student:ana", actor="ana", idempotency_key="k1")
    assert first.client_secret is not None
    assert (pay_of(again).intent_ref, again.client_secret) == (
        pay_of(first).intent_ref,
        first.client_secret,
    )
    key = pay_of(first).gateway_key("create")
    assert shop.gateway.calls == [("create_intent", key)] * 2  # asked again under one key
    assert len(shop.gateway.intents) == 1

    ben = shop.kit.bookings.book(T, s.id, "student:ben", actor="ben", waitlist=True)
    shop.kit.payments.cancel(T, first.booking.id, actor="ana")
    claim = shop.kit.payments.claim(T, ben.id, actor="ben")
    retried = shop.kit.payments.claim(T, ben.id, actor="ben")
    assert claim.client_secret is not None
    assert (pay_of(retried).id, retried.client_secret) == (pay_of(claim).id, claim.client_secret)

    # Judged at the command's own instant: a replay dated inside the hold still pays.
    shop.h.clock.advance(timedelta(hours=5))
    dated = shop.kit.payments.book(
        T, s.id, "student:ana", actor="ana", idempotency_key="k1", now=NOW + timedelta(minutes=1)
    )
    assert dated.client_secret is None  # ana's booking was cancelled above: nothing open
    early = shop.kit.payments.claim(T, ben.id, actor="ben", now=NOW + timedelta(minutes=2))
    assert early.client_secret == claim.client_secret
    shop.h.clock.set(NOW)
    shop.h.clock.advance(timedelta(hours=2))  # the offer ran out: nothing to pay, nothing asked
    asked = len(shop.gateway.calls)
    with pytest.raises(HoldExpired):
        shop.kit.payments.claim(T, ben.id, actor="ben")
    late = shop.kit.payments.book(T, s.id, "student:ana", actor="ana", idempotency_key="k1")
    assert late.client_secret is None
    assert len(shop.gateway.calls) == asked


def test_claiming_an_offer_that_ran_out_is_hold_expired_and_opens_no_payment(shop: Shop) -> None:
    # The offer ran out at 09:00 (an hour's claim window) but no expiry job has run: a claim
    # used to open a payment, charged the card and refunded it when the job came.
    s = shop.slot()
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    ben = shop.kit.bookings.book(T, s.id, "student:ben", actor="ben", waitlist=True)
    shop.gateway.decline(pay_of(ana).intent_ref or "", "expired_card")
    shop.deliver()
    offered = shop.kit.bookings.get(T, ben.id)
    assert offered.status == OFFERED
    assert offered.hold_expires_at is not None
    later = offered.hold_expires_at + timedelta(minutes=5)
    with pytest.raises(HoldExpired) as caught:
        shop.kit.payments.claim(T, ben.id, actor="ben", now=later)
    assert caught.value.expired_at == offered.hold_expires_at
    assert shop.kit.payments.for_booking(T, ben.id) is None
    assert shop.kit.expire_holds(T, now=later).expired == 1  # and once the job marked it
    with pytest.raises(HoldExpired):
        shop.kit.payments.claim(T, ben.id, actor="ben", now=later)
    assert [c for c in shop.gateway.calls if c[0] == "create_intent"] == [
        ("create_intent", pay_of(ana).gateway_key("create"))
    ]


def test_the_next_in_line_claims_once_the_offer_ahead_ran_out_job_or_no_job(
    shop: Shop,
) -> None:
    # ben's offer ran out and no expiry job ran: cy, next in line, was refused a claim
    # (InvalidTransition, not offered) where kit.bookings.confirm would have settled first.
    s = shop.slot()
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    ben = shop.kit.bookings.book(T, s.id, "student:ben", actor="ben", waitlist=True)
    cy = shop.kit.bookings.book(T, s.id, "student:cy", actor="cy", waitlist=True)
    shop.gateway.decline(pay_of(ana).intent_ref or "", "expired_card")
    shop.deliver()
    offered = shop.kit.bookings.get(T, ben.id)
    assert offered.status == OFFERED
    assert offered.hold_expires_at is not None
    later = offered.hold_expires_at + timedelta(minutes=5)
    checkout = shop.kit.payments.claim(T, cy.id, actor="cy", now=later)
    assert (checkout.booking.status, pay_of(checkout).status) == (OFFERED, PENDING)
    assert [b.status for b in shop.kit.bookings.for_session(T, s.id)] == [
        EXPIRED,
        OFFERED,
        CANCELLED,
    ]


def test_claiming_a_booking_that_is_not_offered_is_an_invalid_transition(shop: Shop) -> None:
    s = shop.slot()
    shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    ben = shop.kit.bookings.book(T, s.id, "student:ben", actor="ben", waitlist=True)
    with pytest.raises(InvalidTransition) as caught:  # a state conflict (409), not bad input
        shop.kit.payments.claim(T, ben.id, actor="ben")
    assert (caught.value.status, caught.value.subject) == (WAITLISTED, "booking")
    # The id is the booking's: subject_id says so, where session_id misled.
    assert caught.value.subject_id == caught.value.session_id == ben.id
    assert shop.kit.payments.for_booking(T, ben.id) is None


def test_claiming_a_hold_that_ran_out_allows_what_an_expired_booking_allows(
    shop: Shop,
) -> None:
    # The status said EXPIRED and allowed listed the stored HELD's moves (confirm,
    # expire, cancel), each refused when tried.
    s = shop.slot()
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    later = NOW + timedelta(minutes=16)
    with pytest.raises(InvalidTransition) as caught:
        shop.kit.payments.claim(T, ana.booking.id, actor="ana", now=later)
    assert (caught.value.status, caught.value.allowed) == (EXPIRED, ())


def test_a_booking_with_a_payment_but_no_offer_is_not_claimed(shop: Shop) -> None:
    # A booking that already had a payment skipped the check: a hold of kit.payments.book,
    # and a claimed offer cancelled and refunded since, each answered a checkout.
    s = shop.slot(capacity=2)
    held = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    with pytest.raises(InvalidTransition) as caught:
        shop.kit.payments.claim(T, held.booking.id, actor="ana")
    assert (caught.value.status, caught.value.transition) == (HELD, "claim")
    shop.gateway.pay(pay_of(held).intent_ref or "")
    shop.deliver()
    assert shop.kit.bookings.get(T, held.booking.id).status == CONFIRMED
    with pytest.raises(InvalidTransition):  # paid, but never an offer
        shop.kit.payments.claim(T, held.booking.id, actor="ana")
    shop.kit.payments.cancel(T, held.booking.id, actor="ana", role="participant")
    with pytest.raises(InvalidTransition) as cancelled:
        shop.kit.payments.claim(T, held.booking.id, actor="ana")
    assert cancelled.value.status == CANCELLED
    assert [c[0] for c in shop.gateway.calls].count("create_intent") == 1


def test_can_book_agrees_with_the_command_that_takes_a_priced_seat(shop: Shop) -> None:
    # can_book answered None for a priced session, where kit.bookings.book refuses it.
    s = shop.slot(capacity=1)
    refusal = shop.kit.bookings.can_book(T, s.id, "student:ana")
    assert refusal is not None
    assert refusal.rule == "payment"
    assert s.id in refusal.reason
    with pytest.raises(PaymentRequired):
        shop.kit.bookings.book(T, s.id, "student:ana", actor="ana")
    assert shop.kit.bookings.can_book(T, s.id, "student:ana", paying=True) is None
    shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    # Full: capacity before payment, as the command raises CapacityExceeded first.
    for paying in (False, True):
        full = shop.kit.bookings.can_book(T, s.id, "student:ben", paying=paying)
        assert full is not None
        assert full.rule == "capacity"
    with pytest.raises(WrongType):
        shop.kit.bookings.can_book(T, s.id, "student:ben", paying="yes")  # type: ignore[arg-type]


def test_can_book_paying_for_a_free_session_is_invalid_as_the_command_is() -> None:
    gateway = FakeGateway(clock=lambda: NOW)
    h = Harness.in_memory(
        NOW,
        gateway=gateway,
        pricing=lambda session: None if session.title == "Free" else Rate(EUR40),
    )
    start = NOW + timedelta(days=2)
    free = h.kit.sessions.create_extra(
        T,
        actor="tina",
        start=start,
        end=start + timedelta(hours=1),
        lifecycle="marketplace",
        capacity=2,
        title="Free",
    )
    assert h.kit.bookings.can_book(T, free.id, "student:ana") is None
    with pytest.raises(InvalidValue) as caught:
        h.kit.bookings.can_book(T, free.id, "student:ana", paying=True)
    assert caught.value.value == free.id
    with pytest.raises(InvalidValue):
        h.kit.payments.book(T, free.id, "student:ana", actor="ana")
    # Full, the command refuses the seat before it asks for a price, and so does this.
    for who in ("ana", "ben"):
        h.kit.bookings.book(T, free.id, f"student:{who}", actor=who)
    with pytest.raises(CapacityExceeded):
        h.kit.payments.book(T, free.id, "student:cy", actor="cy")
    full = h.kit.bookings.can_book(T, free.id, "student:cy", paying=True)
    assert full is not None
    assert full.rule == "capacity"


def test_an_expired_hold_cancels_the_intent_and_late_money_is_refunded(shop: Shop) -> None:
    s = shop.slot()
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    shop.h.clock.advance(timedelta(minutes=16))
    shop.gateway.pay(pay_of(ana).intent_ref or "")  # paid just as the hold ran out
    assert shop.kit.expire_holds().expired == 1
    # Cancelling the intent finds it paid: the money goes straight back.
    assert ("cancel", pay_of(ana).gateway_key("cancel")) in shop.gateway.calls
    refunded = shop.kit.payments.get(T, pay_of(ana).id)
    assert (refunded.status, refunded.refunded, refunded.kept.amount) == (
        REFUNDED,
        Decimal("60.00"),
        Decimal(0),
    )
    assert shop.kit.bookings.get(T, ana.booking.id).status == EXPIRED
    assert shop.gateway.collected("EUR") == Money.zero("EUR")
    assert shop.deliver() == ["stale", "stale"]  # succeeded, refunded: nothing more
    assert shop.kit.payments.get(T, pay_of(ana).id).refunded == Decimal("60.00")


def test_a_success_made_after_the_hold_expired_is_refunded(shop: Shop) -> None:
    # Paid before it ran out and only heard of later, it is confirmed instead
    # (test_services_paid_in_time.py).
    s = shop.slot()
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    shop.h.clock.advance(timedelta(minutes=16))  # no job ran
    shop.gateway.pay(pay_of(ana).intent_ref or "")
    assert shop.deliver() == ["applied"]
    payment = shop.kit.payments.get(T, pay_of(ana).id)
    assert (payment.status, payment.refunded) == (REFUNDED, Decimal("60.00"))
    assert shop.kit.bookings.get(T, ana.booking.id).status == EXPIRED
    assert shop.kit.payments.book(T, s.id, "student:ben", actor="ben").booking.status == HELD


def test_a_confirm_without_payment_is_refused(shop: Shop) -> None:
    s = shop.slot()
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    with pytest.raises(PaymentRequired) as caught:
        shop.kit.bookings.confirm(T, ana.booking.id, actor="tina")
    assert (caught.value.payment_id, caught.value.status) == (pay_of(ana).id, PENDING)
    with pytest.raises(PaymentRequired):  # nor held without paying, which nothing confirms
        shop.kit.bookings.book(T, shop.slot(days=3).id, "student:ben", actor="ben")


# ---------------------------------------------------------------------- events


def test_events_out_of_order_count_once(shop: Shop) -> None:
    s = shop.slot()
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    ref = pay_of(ana).intent_ref or ""
    shop.gateway.pay(ref)
    shop.gateway.refund(ref, Money.of(20, "EUR"), idempotency_key="dashboard-1")
    events = shop.gateway.drain()
    assert [e.type for e in events] == ["succeeded", "refunded"]
    assert shop.kit.payments.apply(T, events[1]).outcome == "applied"  # refund heard first
    assert shop.kit.payments.apply(T, events[0]).outcome == "stale"
    payment = shop.kit.payments.get(T, pay_of(ana).id)
    assert (payment.status, payment.refunded, payment.kept.amount) == (
        PARTIALLY_REFUNDED,
        Decimal(20),
        Decimal("40.00"),
    )
    late_failure = PaymentEvent(
        provider="fake", event_id="evt_x", type="failed", occurred_at=NOW, intent_ref=ref
    )
    assert shop.kit.payments.apply(T, late_failure).outcome == "stale"
    assert shop.kit.bookings.get(T, ana.booking.id).status == CONFIRMED


@pytest.mark.parametrize("kind", ["succeeded", "failed", "canceled", "authorized", "refunded"])
def test_an_event_that_leaves_the_status_as_it_is_writes_no_change(
    shop: Shop, kind: PaymentEventType
) -> None:
    # A stale event stores only its receipt: no new version, no PaymentChanged (so no
    # journal entry), and its answer says "stale".
    s = shop.slot()
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    ref = pay_of(ana).intent_ref or ""
    shop.gateway.pay(ref)
    shop.gateway.refund(ref, Money.of(20, "EUR"), idempotency_key="dashboard-1")
    assert shop.deliver() == ["applied", "applied"]
    before = shop.kit.payments.get(T, pay_of(ana).id)
    sent = len(shop.h.events.events)
    amount = Money.of(20, "EUR") if kind == "refunded" else None  # the total heard already
    late = PaymentEvent(
        provider="fake",
        event_id="evt_late",
        type=kind,
        occurred_at=NOW,
        intent_ref=ref,
        amount=amount,
    )
    assert shop.kit.payments.apply(T, late).outcome == "stale"
    assert shop.kit.payments.get(T, before.id) == before
    assert shop.h.events.events[sent:] == []


def test_an_event_for_an_unknown_payment_is_weighed_again_when_delivered_again(
    shop: Shop,
) -> None:
    # No receipt is kept of it: its payment may be stored later (the provider's webhook
    # outran the kit storing the intent's reference), and then it must be applied.
    stray = PaymentEvent(
        provider="fake", event_id="evt_1", type="succeeded", occurred_at=NOW, intent_ref="pi_9"
    )
    assert shop.kit.payments.apply(T, stray).outcome == "unknown"
    assert shop.kit.payments.apply(T, stray).outcome == "unknown"


def _event_of(amount: Money, kind: PaymentEventType = "refunded") -> PaymentEvent:
    """A provider's event of ``kind`` for payment ``x1`` carrying ``amount``."""
    return PaymentEvent(
        provider="fake",
        event_id="evt_1",
        type=kind,
        occurred_at=NOW,
        payment_id="x1",
        amount=amount,
    )


@pytest.mark.parametrize(("amount", "places"), [("0.001", 2), ("10.5", 0), ("1.0005", 3)])
def test_a_refund_event_of_less_than_a_minor_unit_is_refused(amount: str, places: int) -> None:
    currency = {2: "EUR", 0: "JPY", 3: "KWD"}[places]
    with pytest.raises(InvalidValue) as refused:
        _event_of(Money.of(amount, currency))
    assert refused.value.expected == f"an amount with at most {places} decimal places"
    assert str(refused.value).endswith(f"got {amount}")
    whole = Money.of("0.01", "EUR")
    assert _event_of(whole).amount == whole


@pytest.mark.parametrize("amount", ["-5", "0", "-0.01"])
def test_a_refund_event_of_nothing_or_less_is_refused(amount: str) -> None:
    # A negative refund was applied as "stale" and its receipt kept, so a corrected
    # redelivery of the event was a duplicate
    with pytest.raises(InvalidValue) as refused:
        _event_of(Money.of(amount, "EUR"))
    assert refused.value.value == Money.of(amount, "EUR")
    assert str(refused.value).startswith("a refunded PaymentEvent's amount must be above zero")
    # Only a refund's amount is read: a relay forwarding a failure's 0 is not refused
    kinds: tuple[PaymentEventType, ...] = ("failed", "canceled", "succeeded", "authorized")
    for kind in kinds:
        assert _event_of(Money.of(amount, "EUR"), kind).amount == Money.of(amount, "EUR")


def test_an_event_naming_another_providers_payment_changes_nothing(shop: Shop) -> None:
    # The event's provider was matched only when the intent found the payment: one naming
    # the payment's id confirmed a card booking for any provider, and a manual one too.
    card = shop.kit.payments.book(T, shop.slot().id, "student:ana", actor="ana")
    cash = shop.kit.payments.book(T, shop.slot(days=3).id, "student:ben", actor="ben", manual=True)
    for n, (provider, checkout) in enumerate([("stripe", card), ("fake", cash)]):
        event = PaymentEvent(
            provider=provider,
            event_id=f"evt_{n}",
            type="succeeded",
            occurred_at=NOW,
            payment_id=pay_of(checkout).id,
        )
        assert shop.kit.payments.apply(T, event).outcome == "unknown"
        assert shop.kit.payments.get(T, pay_of(checkout).id) == pay_of(checkout)
        assert shop.kit.bookings.get(T, checkout.booking.id).status == HELD
    mine = PaymentEvent(
        provider="fake",
        event_id="evt_mine",
        type="succeeded",
        occurred_at=NOW,
        payment_id=pay_of(card).id,
    )
    assert shop.kit.payments.apply(T, mine).outcome == "applied"
    assert shop.kit.bookings.get(T, card.booking.id).status == CONFIRMED


# ---------------------------------------------------------------------- refunds by role


def _paid(shop: Shop, session: Session, student: str) -> str:
    checkout = shop.kit.payments.book(T, session.id, f"student:{student}", actor=student)
    shop.gateway.pay(pay_of(checkout).intent_ref or "")
    shop.deliver()
    return checkout.booking.id


def test_a_provider_cancelling_the_session_refunds_everyone_in_full() -> None:
    shop = Shop(refunds=RefundPolicy(tiers=(RefundTier(timedelta(hours=48), 100),)))
    s = shop.slot(capacity=3)
    booked = [_paid(shop, s, name) for name in ("ana", "ben")]
    shop.kit.sessions.cancel(T, s.id, actor="tina", reason="ill")
    payments = [shop.kit.payments.for_booking(T, b) for b in booked]
    assert [(p.status, p.refunded) for p in payments if p] == [(REFUNDED, Decimal("60.00"))] * 2
    assert shop.gateway.collected("EUR") == Money.zero("EUR")
    assert all(
        isinstance(e, BookingCancelled)
        for e in shop.h.events.events
        if isinstance(e, BookingCancelled)
    )


@pytest.mark.parametrize("late", [False, True], ids=["inside-the-tiers", "after-every-tier"])
def test_a_cancelled_session_refunds_in_full_whatever_the_policy_calls_its_roles(
    late: bool,
) -> None:
    """A platform names its own roles (no "provider"): its session's cancel still refunds all."""
    policy = RefundPolicy(
        full_refund_roles={"coach", "admin"},
        tiers=(RefundTier(timedelta(hours=48), 100), RefundTier(timedelta(hours=24), 50)),
    )
    shop = Shop(refunds=policy)
    s = shop.slot(capacity=2, days=5)
    booked = _paid(shop, s, "ana")
    shop.h.clock.set(s.start - timedelta(hours=1 if late else 30))
    shop.kit.sessions.cancel(T, s.id, actor="cleo", reason="coach ill")
    payment = shop.kit.payments.for_booking(T, booked)
    assert payment is not None
    assert (payment.status, payment.refunded) == (REFUNDED, Decimal("60.00"))


def test_a_participant_cancel_follows_the_notice_tiers_and_refunds_once() -> None:
    tiers = (RefundTier(timedelta(hours=48), 100), RefundTier(timedelta(hours=24), 50))
    shop = Shop(refunds=RefundPolicy(tiers=tiers))
    s = shop.slot(capacity=2, days=1, minutes=60)  # 24 hours ahead: half back
    booking = _paid(shop, s, "ana")
    payment = shop.kit.payments.cancel(T, booking, actor="ana")
    assert payment is not None
    assert (payment.status, payment.refunded, payment.kept.amount) == (
        PARTIALLY_REFUNDED,
        Decimal("20.00"),
        Decimal("20.00"),
    )
    refunds = [c for c in shop.gateway.calls if c[0] == "refund"]
    assert len(refunds) == 1
    changed = [e for e in shop.h.events.events if isinstance(e, PaymentChanged) and e.refund]
    assert [e.refund for e in changed] == [Money.of("20.00", "EUR")]


def test_a_late_participant_cancel_refunds_nothing() -> None:
    shop = Shop(refunds=RefundPolicy(tiers=(RefundTier(timedelta(hours=48), 100),)))
    s = shop.slot(days=1)
    payment = shop.kit.payments.cancel(T, _paid(shop, s, "ana"), actor="ana")
    assert payment is not None
    assert (payment.status, payment.refunded, payment.due) == (PAID, Decimal(0), None)


def test_a_refund_is_retried_by_the_job_when_the_provider_is_down(shop: Shop) -> None:
    s = shop.slot()
    booking = _paid(shop, s, "ana")
    shop.gateway.fail_next()
    payment = shop.kit.payments.cancel(T, booking, actor="tina", role="provider")
    assert payment is not None
    assert (payment.due, payment.refund_due) == ("refund", Decimal("60.00"))
    report = shop.kit.run_payment_calls()
    assert (report.done, report.failed) == (1, ())
    again = shop.kit.payments.get(T, payment.id)
    assert (again.status, again.refund_due, again.due) == (REFUNDED, Decimal(0), None)
    assert shop.kit.run_payment_calls().done == 0


def test_a_job_run_whose_every_call_failed_says_no_more_so_its_loop_ends(shop: Shop) -> None:
    # more was "a full batch was read": with the provider down the same calls stay first
    # in line, and a loop `while report.more` (docs/jobs.md's payment task) never ended.
    bookings = [_paid(shop, shop.slot(days=2 + n), f"p{n}") for n in range(3)]
    shop.gateway.fail_next(3)
    for booking in bookings:
        shop.kit.payments.cancel(T, booking, actor="tina", role="provider")
    shop.gateway.fail_next(2)
    down = shop.kit.run_payment_calls(limit=2)
    assert (down.done, len(down.failed), down.more) == (0, 2, False)
    part = shop.kit.run_payment_calls(limit=2)  # the provider is back; the two failed wait
    assert (part.done, part.failed, part.more) == (1, (), False)
    shop.h.clock.advance(RETRY_FIRST)
    rest = shop.kit.run_payment_calls(limit=2)  # their retry time: a full batch, done
    assert (rest.done, rest.failed, rest.more) == (2, (), True)
    assert shop.kit.run_payment_calls(limit=2) == DueReport()


def test_a_refund_claimed_in_an_outage_is_refitted_after_one_made_at_the_provider(
    shop: Shop,
) -> None:
    s = shop.slot()
    booking = _paid(shop, s, "ana")
    shop.gateway.fail_next()
    payment = shop.kit.payments.cancel(T, booking, actor="tina", role="provider")
    assert payment is not None
    assert (payment.refund_due, payment.refund_sending) == (Decimal("60.00"), Decimal("60.00"))
    # Support refunds 10 EUR at the provider's dashboard meanwhile; its webhook comes in.
    shop.gateway.refund(payment.intent_ref or "", Money.of(10, "EUR"), idempotency_key="desk-1")
    assert shop.deliver() == ["applied"]
    # The claimed 60 can no longer go through (50 are left): the call is given up, its key
    # with it, and the 50 still due go at once in a fresh call.
    assert (shop.kit.run_payment_calls().done, shop.gateway.collected("EUR")) == (0, EUR0)
    done = shop.kit.payments.get(T, payment.id)
    assert (done.status, done.refunded, done.due, done.kept) == (
        REFUNDED,
        Decimal("60.00"),
        None,
        Money.of(0, "EUR"),
    )
    keys = [key for call, key in shop.gateway.calls if call == "refund"]
    assert keys[-1] != keys[0]  # a fresh key for the refitted amount


def test_goodwill_refunds_are_bounded_and_in_the_payment_currency(shop: Shop) -> None:
    s = shop.slot()
    booking = _paid(shop, s, "ana")
    payment = shop.kit.payments.for_booking(T, booking)
    assert payment is not None
    with pytest.raises(RefundExceedsPayment) as caught:
        shop.kit.payments.refund(T, payment.id, Money.of(61, "EUR"), actor="admin")
    assert (caught.value.remaining, caught.value.asked) == (Decimal("60.00"), Decimal(61))
    assert str(caught.value.asked) == "61.00"  # in minor units, as paid and refunded are
    with pytest.raises(CurrencyMismatch):
        shop.kit.payments.refund(T, payment.id, Money.of(5, "USD"), actor="admin")
    with pytest.raises(InvalidValue):
        shop.kit.payments.refund(T, payment.id, Money.of(0, "EUR"), actor="admin")
    after = shop.kit.payments.refund(T, payment.id, Money.of(10, "EUR"), actor="admin")
    assert (after.status, after.refunded) == (PARTIALLY_REFUNDED, Decimal("10.00"))
    assert shop.kit.bookings.get(T, booking).status == CONFIRMED
    # A payment never paid has received 0.00 EUR, written as every amount is (it said 0).
    unpaid = shop.kit.payments.book(T, shop.slot(days=3).id, "student:ben", actor="ben")
    with pytest.raises(RefundExceedsPayment) as never:
        shop.kit.payments.refund(T, pay_of(unpaid).id, Money.of(1, "EUR"), actor="admin")
    assert str(never.value.paid) == "0.00"
    assert str(pay_of(unpaid).received) == "0.00 EUR"
    # Another currency is that, paid or not: it was a RefundExceedsPayment saying 5.00 EUR.
    with pytest.raises(CurrencyMismatch) as other:
        shop.kit.payments.refund(T, pay_of(unpaid).id, Money.of(5, "USD"), actor="admin")
    assert (other.value.left, other.value.right) == ("EUR", "USD")


@pytest.mark.parametrize("amount", ["0.001", "0.005", "10.004"])
def test_a_refund_finer_than_a_cent_is_refused_not_rounded(shop: Shop, amount: str) -> None:
    # 0.001 was stored as a refund of 0.00 left due for ever, 0.005 refunded 0.01.
    booking = _paid(shop, shop.slot(), "ana")
    payment = shop.kit.payments.for_booking(T, booking)
    assert payment is not None
    with pytest.raises(InvalidValue, match="2 decimal places") as caught:
        shop.kit.payments.refund(T, payment.id, Money.of(amount, "EUR"), actor="admin")
    assert caught.value.value == Money.of(amount, "EUR")
    after = shop.kit.payments.get(T, payment.id)
    assert (after.status, after.refunded, after.refund_due, after.due) == (
        PAID,
        Decimal(0),
        Decimal(0),
        None,
    )
    assert _refund_calls(shop) == 0


def test_a_priced_seat_is_not_held_without_paying_but_its_waitlist_is_joined(
    shop: Shop,
) -> None:
    # A hold made by kit.bookings.book on a priced session could never be confirmed (its
    # payment confirms it), yet it kept the seat from paying students until it ran out.
    s = shop.slot()
    with pytest.raises(PaymentRequired) as caught:
        shop.kit.bookings.book(T, s.id, "student:ana", actor="ana")
    assert (caught.value.session_id, caught.value.booking_id) == (s.id, None)
    assert shop.kit.bookings.for_session(T, s.id) == []
    paid = shop.kit.payments.book(T, s.id, "student:ben", actor="ben")
    assert paid.booking.status == HELD
    queued = shop.kit.bookings.book(T, s.id, "student:cai", actor="cai", waitlist=True)
    assert queued.status == WAITLISTED


@pytest.mark.parametrize("status", ["pending", "BOGUS"])
def test_a_payment_status_filter_names_statuses_payments_have(shop: Shop, status: str) -> None:
    # "pending" matched nothing, so a list of open payments looked empty.
    shop.kit.payments.book(T, shop.slot().id, "student:ana", actor="ana")
    with pytest.raises(InvalidValue, match="no payment status") as caught:
        shop.kit.payments.list(T, statuses=[status])
    assert caught.value.value == status
    assert [p.status for p in shop.kit.payments.list(T, statuses=[PENDING])] == [PENDING]


def test_a_moved_session_carries_its_new_start_into_its_payments() -> None:
    # Payment lists and revenue windows go by the payment's copy of the session's start.
    shop = Shop()
    shop.h = Harness.in_memory(
        NOW,
        id_prefix="x",
        booking_rules=attrs.evolve(RULES, lock_booked=False),
        gateway=shop.gateway,
        pricing=lambda _session: Rate(EUR40),
    )
    shop.kit = shop.h.kit
    s = shop.slot(capacity=2)
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    shop.gateway.pay(pay_of(ana).intent_ref or "")
    shop.deliver()
    moved = shop.kit.sessions.update(T, s.id, actor="tina", start=s.start + timedelta(days=7))
    payment = shop.kit.payments.get(T, pay_of(ana).id)
    assert payment.session_start == moved.start
    assert [p.id for p in shop.kit.payments.list(T, start_from=moved.start)] == [payment.id]
    assert shop.kit.payments.list(T, start_from=s.start, start_to=s.end) == []


def _refund_calls(shop: Shop) -> int:
    return sum(1 for operation, _ in shop.gateway.calls if operation == "refund")


def test_a_refund_retried_with_its_key_refunds_once(shop: Shop) -> None:
    booking = _paid(shop, shop.slot(), "ana")
    payment = shop.kit.payments.for_booking(T, booking)
    assert payment is not None
    ten = Money.of(10, "EUR")
    first = shop.kit.payments.refund(T, payment.id, ten, actor="admin", idempotency_key="r1")
    assert (first.status, first.refunded, first.refunds) == (PARTIALLY_REFUNDED, Decimal(10), 1)
    again = shop.kit.payments.refund(
        T, payment.id, Money.of("10.00", "EUR"), actor="admin", idempotency_key="r1"
    )
    assert again == first == shop.kit.payments.get(T, payment.id)  # nothing written
    assert _refund_calls(shop) == 1
    other = shop.kit.payments.refund(T, payment.id, ten, actor="admin", idempotency_key="r2")
    assert (other.refunded, _refund_calls(shop)) == (Decimal(20), 2)  # a new key, a new refund


def test_a_refund_key_reused_for_another_refund_is_refused(shop: Shop) -> None:
    ana = shop.kit.payments.for_booking(T, _paid(shop, shop.slot(), "ana"))
    ben = shop.kit.payments.for_booking(T, _paid(shop, shop.slot(days=3), "ben"))
    assert ana is not None
    assert ben is not None
    ten = Money.of(10, "EUR")
    shop.kit.payments.refund(T, ana.id, ten, actor="admin", idempotency_key="r1")
    with pytest.raises(RefundKeyReused) as more:
        shop.kit.payments.refund(
            T, ana.id, Money.of(15, "EUR"), actor="admin", idempotency_key="r1"
        )
    found = more.value
    assert (found.key, found.amount, found.currency, found.first_amount, found.first_currency) == (
        "r1",
        Decimal("15.00"),
        "EUR",
        Decimal("10.00"),
        "EUR",
    )
    assert str(found.amount) == "15.00"  # in the currency's minor units, as a client reads it
    with pytest.raises(RefundKeyReused) as elsewhere:
        shop.kit.payments.refund(T, ben.id, ten, actor="admin", idempotency_key="r1")
    assert (elsewhere.value.payment_id, elsewhere.value.first_payment_id) == (ben.id, ana.id)
    assert "'r1'" in str(elsewhere.value)
    assert shop.kit.payments.get(T, ben.id).refunded == Decimal(0)
    assert shop.kit.payments.get(T, ana.id).refunded == Decimal(10)
    shop.kit.payments.refund(T, ben.id, ten, actor="admin", idempotency_key="r1-ben")
    assert shop.kit.payments.get(T, ben.id).refunded == Decimal(10)  # keys are per refund


def test_a_full_refund_replayed_is_not_refused_and_a_refused_one_keeps_no_key(
    shop: Shop,
) -> None:
    payment = shop.kit.payments.for_booking(T, _paid(shop, shop.slot(), "ana"))
    assert payment is not None
    with pytest.raises(RefundExceedsPayment):
        shop.kit.payments.refund(
            T, payment.id, Money.of(61, "EUR"), actor="admin", idempotency_key="all"
        )
    full = Money.of(60, "EUR")
    done = shop.kit.payments.refund(T, payment.id, full, actor="admin", idempotency_key="all")
    assert (done.status, done.refunded) == (REFUNDED, Decimal(60))
    replay = shop.kit.payments.refund(T, payment.id, full, actor="admin", idempotency_key="all")
    assert replay == done  # returned as it stands, not RefundExceedsPayment


def test_a_keyed_refund_the_provider_missed_is_made_once_by_the_job(shop: Shop) -> None:
    payment = shop.kit.payments.for_booking(T, _paid(shop, shop.slot(), "ana"))
    assert payment is not None
    ten = Money.of(10, "EUR")
    shop.gateway.fail_next()
    due = shop.kit.payments.refund(T, payment.id, ten, actor="admin", idempotency_key="r1")
    assert (due.refunded, due.refund_due, due.due) == (Decimal(0), Decimal(10), "refund")
    replay = shop.kit.payments.refund(T, payment.id, ten, actor="admin", idempotency_key="r1")
    assert replay.refund_due == Decimal(10)  # not 20: the retry decided nothing more
    assert shop.kit.run_payment_calls().done == 1
    after = shop.kit.payments.get(T, payment.id)
    assert (after.refunded, after.refund_due, after.due) == (Decimal(10), Decimal(0), None)


# ---------------------------------------------------------------------- manual payments


def test_manual_payments_are_marked_paid_all_or_nothing(shop: Shop) -> None:
    s = shop.slot(capacity=3)
    a = shop.kit.payments.book(T, s.id, "client:a", actor="c", manual=True)
    b = shop.kit.payments.book(T, s.id, "client:b", actor="c", manual=True)
    assert (pay_of(a).provider, pay_of(a).due, a.client_secret) == ("manual", None, None)
    with pytest.raises(PaymentNotFound):
        shop.kit.payments.mark_paid(T, [pay_of(a).id, "nope"], actor="consultant")
    assert shop.kit.payments.get(T, pay_of(a).id).status == PENDING
    paid = shop.kit.payments.mark_paid(T, [pay_of(a).id, pay_of(b).id], actor="consultant")
    assert [p.status for p in paid] == [PAID, PAID]
    assert {x.status for x in shop.kit.bookings.for_session(T, s.id)} == {CONFIRMED}
    assert shop.gateway.calls == []
    cancelled = shop.kit.payments.cancel(T, a.booking.id, actor="c", role="provider")
    assert cancelled is not None
    assert (cancelled.status, cancelled.refunded) == (REFUNDED, Decimal("60.00"))
    listed = shop.kit.payments.list(T, statuses=[PAID])
    assert [p.id for p in listed] == [pay_of(b).id]


@pytest.mark.parametrize("job", [True, False], ids=["expiry job run", "no job run"])
def test_a_manual_hold_that_ran_out_is_not_marked_paid(shop: Shop, job: bool) -> None:
    s = shop.slot(capacity=3)
    a = shop.kit.payments.book(T, s.id, "client:a", actor="c", manual=True)
    b = shop.kit.payments.book(T, s.id, "client:b", actor="c", manual=True, confirm=True)
    assert a.booking.hold_expires_at is not None
    shop.h.clock.set(a.booking.hold_expires_at)  # it runs out at this very instant
    if job:
        assert shop.kit.expire_holds().expired == 1
    with pytest.raises(TransitionRefused) as refused:
        shop.kit.payments.mark_paid(T, [pay_of(b).id, pay_of(a).id], actor="consultant")
    # As every read judges it, job or no job: a CANCELLED payment, past being paid.
    assert (refused.value.subject_id, refused.value.status) == (pay_of(a).id, CANCELLED)
    assert refused.value.reason.endswith("only pending manual payments are marked paid")
    # Nothing changed: b is still pending, a as the job left it (or as it was stored).
    after = {p.id: (p.status, p.refunded) for p in shop.kit.payments.list(T)}
    assert after == {
        pay_of(a).id: (CANCELLED if job else PENDING, Decimal(0)),
        pay_of(b).id: (PENDING, Decimal(0)),
    }
    assert shop.kit.bookings.get(T, a.booking.id).status == (EXPIRED if job else HELD)


def test_a_waitlisted_manual_payment_is_marked_paid_only_once_offered(shop: Shop) -> None:
    s = shop.slot(capacity=1)
    seated = shop.kit.payments.book(T, s.id, "client:e", actor="c", manual=True, confirm=True)
    waiting = shop.kit.payments.book(T, s.id, "client:f", actor="c", manual=True, waitlist=True)
    assert waiting.booking.status == WAITLISTED
    # Marked paid while waiting, its money was taken and given back at once as late, and
    # the booking, offered later, was confirmed with nothing kept. A state, not bad input:
    # the very same call succeeds once the booking is offered (below), so it is a conflict.
    with pytest.raises(TransitionRefused) as refused:
        shop.kit.payments.mark_paid(T, [pay_of(waiting).id], actor="consultant")
    error = refused.value
    assert (error.subject, error.subject_id, error.status, error.transition) == (
        "payment",
        pay_of(waiting).id,
        PENDING,
        "succeed",
    )
    assert error.reason == (
        f"its booking '{waiting.booking.id}' is WAITLISTED: it has no seat to pay for yet; "
        "mark it paid once it is offered"
    )
    assert shop.kit.payments.get(T, pay_of(waiting).id).status == PENDING
    assert [r["refunded"] for r in shop.kit.analytics.revenue(T).to_records()] == [Decimal(0)]
    shop.kit.payments.cancel(T, seated.booking.id, actor="tina", role="host")
    assert shop.kit.bookings.get(T, waiting.booking.id).status == OFFERED
    with pytest.raises(PaymentRequired):
        shop.kit.bookings.confirm(T, waiting.booking.id, actor="c")
    [paid] = shop.kit.payments.mark_paid(T, [pay_of(waiting).id], actor="consultant")
    assert (paid.status, paid.kept) == (PAID, pay_of(waiting).amount)
    assert shop.kit.bookings.get(T, waiting.booking.id).status == CONFIRMED


def test_a_waitlisted_payment_is_marked_paid_once_a_run_out_hold_frees_the_seat_no_job(
    shop: Shop,
) -> None:
    # mark_paid settles the session first, as every write does: the hold that ran out is
    # expired and its seat offered to the next in line, whether or not the job ran.
    s = shop.slot(capacity=1)
    held = shop.kit.payments.book(T, s.id, "client:a", actor="a", manual=True)
    waiting = shop.kit.payments.book(T, s.id, "client:b", actor="b", manual=True, waitlist=True)
    assert held.booking.hold_expires_at is not None
    shop.h.clock.set(held.booking.hold_expires_at + timedelta(minutes=1))
    [paid] = shop.kit.payments.mark_paid(T, [pay_of(waiting).id], actor="consultant")
    assert paid.status == PAID
    assert shop.kit.bookings.get(T, waiting.booking.id).status == CONFIRMED
    assert shop.kit.bookings.get(T, held.booking.id).status == EXPIRED
    assert shop.kit.payments.get(T, pay_of(held).id).status == CANCELLED


def test_a_payment_refunded_in_full_confirms_nothing(shop: Shop) -> None:
    s = shop.slot(capacity=1)
    held = shop.kit.payments.book(T, s.id, "client:a", actor="a")
    with shop.h.store.unit_of_work() as uow:  # a payment given back in full, however
        payments = uow.repository(PAYMENTS)
        payment = payments.get(T, pay_of(held).id)
        payments.update(
            attrs.evolve(payment, status=REFUNDED, refunded=payment.amount.amount),
            expected_version=payment.version,
        )
        uow.commit()
    with pytest.raises(PaymentRequired):
        shop.kit.bookings.confirm(T, held.booking.id, actor="a")
    assert shop.kit.bookings.get(T, held.booking.id).status == HELD


def test_a_manual_payment_confirmed_at_once_is_paid_after_the_session(shop: Shop) -> None:
    s = shop.slot(days=1)
    a = shop.kit.payments.book(
        T, s.id, "client:a", actor="c", manual=True, confirm=True, idempotency_key="k1"
    )
    assert (a.booking.status, a.booking.hold_expires_at) == (CONFIRMED, None)
    assert (pay_of(a).status, pay_of(a).provider, pay_of(a).due) == (PENDING, "manual", None)
    shop.h.clock.advance(timedelta(days=2))  # the session is over; no hold ran out
    assert shop.kit.expire_holds().expired == 0
    [paid] = shop.kit.payments.mark_paid(T, [pay_of(a).id], actor="consultant")
    assert (paid.status, shop.kit.bookings.get(T, a.booking.id).status) == (PAID, CONFIRMED)
    assert shop.gateway.calls == []
    again = shop.kit.payments.book(
        T, s.id, "client:a", actor="c", manual=True, confirm=True, idempotency_key="k1"
    )
    assert (again.booking.id, pay_of(again).status) == (a.booking.id, PAID)  # a replay


def test_a_provider_payment_is_never_confirmed_at_once(shop: Shop) -> None:
    s = shop.slot()
    with pytest.raises(InvalidValue) as caught:
        shop.kit.payments.book(T, s.id, "student:ana", actor="ana", confirm=True)
    assert caught.value.expected == "confirm=False, or manual=True"
    # Nor through kit.bookings: a priced booking confirmed there would bypass its payment.
    with pytest.raises(PaymentRequired) as refused:
        shop.kit.bookings.book(T, s.id, "student:ana", actor="ana", confirm=True)
    assert (refused.value.session_id, refused.value.booking_id, refused.value.status) == (
        s.id,
        None,
        "missing",
    )
    assert shop.kit.bookings.for_session(T, s.id) == []
    assert shop.gateway.calls == []


def test_an_unpaid_manual_booking_cancelled_closes_its_payment(shop: Shop) -> None:
    s = shop.slot()
    a = shop.kit.payments.book(T, s.id, "client:a", actor="c", manual=True, confirm=True)
    closed = shop.kit.payments.cancel(T, a.booking.id, actor="consultant", role="provider")
    assert closed is not None
    assert (closed.status, closed.refunded, closed.due) == ("CANCELLED", Decimal(0), None)


def test_group_seats_are_priced_per_seat() -> None:
    gateway = FakeGateway()
    h = Harness.in_memory(
        NOW, gateway=gateway, pricing=SeatPrice(Money.of("12.5", "EUR")), booking_rules=RULES
    )
    start = NOW + timedelta(days=2)
    s = h.kit.sessions.create_extra(
        T, actor="t", start=start, end=start + timedelta(hours=1), lifecycle="lms", capacity=5
    )
    checkout = h.kit.payments.book(T, s.id, "student:ana", actor="ana", seats=3)
    assert pay_of(checkout).amount == Money.of("37.50", "EUR")


# ---------------------------------------------------------------------- refunds that race


class Meddling(FakeGateway):
    """A provider during whose first refund call something else happens (``meanwhile``)."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        super().__init__(clock=clock)
        self.meanwhile: Callable[[], object] | None = None

    def refund(self, intent_ref: str, amount: Money, *, idempotency_key: str) -> RefundReceipt:
        receipt = super().refund(intent_ref, amount, idempotency_key=idempotency_key)
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return receipt


def _meddling_shop() -> tuple[Shop, Meddling, str]:
    shop = Shop()
    gateway = Meddling(clock=lambda: shop.h.clock.now())
    shop.gateway = gateway
    shop.h = Harness.in_memory(
        NOW, id_prefix="x", booking_rules=RULES, gateway=gateway, pricing=Rate(EUR40)
    )
    shop.kit = shop.h.kit
    booking = _paid(shop, shop.slot(), "ana")
    payment = shop.kit.payments.for_booking(T, booking)
    assert payment is not None
    return shop, gateway, payment.id


def test_a_refund_decided_while_another_is_sent_is_sent_apart() -> None:
    # Two admins: the second refund is decided, and its call made, while the first one's
    # provider call is under way. Each call keeps its own key and amount.
    shop, gateway, payment_id = _meddling_shop()
    gateway.meanwhile = lambda: shop.kit.payments.refund(
        T, payment_id, Money.of(10, "EUR"), actor="b"
    )
    shop.kit.payments.refund(T, payment_id, Money.of(10, "EUR"), actor="a")
    after = shop.kit.payments.get(T, payment_id)
    assert (after.refunded, after.refund_due, after.due, after.refunds) == (
        Decimal(20),
        Decimal(0),
        None,
        2,
    )
    intent = gateway.intent_for(payment_id)
    assert intent.refunded == Decimal(20)
    keys = [k for op, k in gateway.calls if op == "refund"]
    assert sorted(set(keys)) == [after.gateway_key("refund", 1), after.gateway_key("refund", 2)]


def test_a_refund_event_heard_before_the_refund_is_recorded_counts_once() -> None:
    # The provider's webhook outruns its own answer to the refund call.
    shop, gateway, payment_id = _meddling_shop()
    gateway.meanwhile = shop.deliver
    shop.kit.payments.refund(T, payment_id, Money.of(10, "EUR"), actor="a")
    after = shop.kit.payments.get(T, payment_id)
    assert (after.refunded, after.refund_due, after.due, after.refunds) == (
        Decimal(10),
        Decimal(0),
        None,
        1,
    )
    assert gateway.intent_for(payment_id).refunded == Decimal(10)
    assert shop.deliver() == []


def test_two_tenants_whose_ids_join_alike_never_share_a_provider_key() -> None:
    # Tenant "a" pays payment "b:c", tenant "a:b" payment "c", through one provider
    # account: both keys used to be "sessionkit:a:b:c:create", and the provider refused
    # the second tenant's intent (a key reused with other parameters).
    names = iter(["s1", "b1", "b:c", "s1", "b1", "c"])
    clock = ManualClock(NOW)
    gateway = FakeGateway(clock=clock)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        gateway=gateway,
        pricing=Rate(EUR40),
        ids=lambda: next(names),
    )
    start = NOW + timedelta(days=2)
    refs = []
    for tenant in ("a", "a:b"):
        kit.sessions.create_extra(
            tenant,
            actor="t",
            start=start,
            end=start + timedelta(hours=1),
            lifecycle="marketplace",
            capacity=2,
        )
        checkout = kit.payments.book(tenant, "s1", "student:ana", actor="ana")
        refs.append(pay_of(checkout).intent_ref)
    assert refs == ["pi_1", "pi_2"]
    assert [i.metadata["tenant"] for i in gateway.intents.values()] == ["a", "a:b"]
    keys = [key for _, key in gateway.calls]
    assert keys == ["sessionkit:a:b:c:create", "sessionkit:a%3Ab:c:create"]
    # "%" is encoded as well, so "a%3Ab" (a tenant of its own) keeps a key of its own.
    encoded = attrs.evolve(pay_of(checkout), tenant="a%3Ab")
    assert encoded.gateway_key("create") == "sessionkit:a%253Ab:c:create"


def test_a_fake_gateway_takes_the_ids_a_lasting_store_needs() -> None:
    names = iter("abcd")
    gateway = FakeGateway(clock=lambda: NOW, ids=lambda: next(names))
    intent = gateway.create_intent(amount=EUR40, idempotency_key="k1", metadata={})
    gateway.pay(intent.ref)
    receipt = gateway.refund(intent.ref, EUR40, idempotency_key="k2")
    assert (intent.ref, receipt.ref) == ("pi_a", "re_d")
    assert [e.event_id for e in gateway.drain()] == ["evt_b", "evt_c"]


def _fails(gateway: FakeGateway, calls: int) -> int:
    """Return how many of ``calls`` new intents the gateway fails (``PaymentGatewayError``)."""
    failed = 0
    for n in range(calls):
        try:
            gateway.create_intent(amount=EUR40, idempotency_key=f"f{n}", metadata={})
        except PaymentGatewayError:
            failed += 1
    return failed


def test_a_fake_gateway_fails_as_many_next_calls_as_it_is_told() -> None:
    gateway = FakeGateway(clock=lambda: NOW)
    gateway.fail_next(0)
    gateway.fail_next(2)
    assert _fails(gateway, 5) == 2


@pytest.mark.parametrize(
    ("calls", "error"),
    [(-1, InvalidValue), ("2", WrongType), (True, WrongType), (1.0, WrongType), (None, WrongType)],
)
def test_a_fake_gateway_refuses_a_count_of_failures_it_cannot_play(
    calls: object, error: type[Exception]
) -> None:
    gateway = FakeGateway(clock=lambda: NOW)
    with pytest.raises(error) as caught:
        gateway.fail_next(calls)  # type: ignore[arg-type]  # the point
    assert "fail_next" in str(caught.value)
    assert _fails(gateway, 3) == 0  # refused: nothing changed


@pytest.mark.parametrize(
    ("reason", "error"), [(5, WrongType), ("", InvalidValue), ("x" * 256, InvalidValue)]
)
def test_a_fake_gateway_refuses_a_decline_reason_no_event_can_carry(
    reason: object, error: type[Exception]
) -> None:
    gateway = FakeGateway(clock=lambda: NOW)
    with pytest.raises(error):
        gateway.decline_next(reason)  # type: ignore[arg-type]  # the point
    intent = gateway.create_intent(amount=EUR40, idempotency_key="k1", metadata={})
    assert (intent.status, intent.reason) == ("pending", None)
    with pytest.raises(error):
        gateway.decline(intent.ref, reason)  # type: ignore[arg-type]  # the point
    assert (gateway.intents[intent.ref].status, gateway.intents[intent.ref].reason) == (
        "pending",
        None,
    )
    assert gateway.drain() == []


def test_a_success_settles_the_session_as_every_write_to_it_does(shop: Shop) -> None:
    # Ben's payment confirmed his seat while Ana's hold had run out: Ana stayed HELD and
    # Cai, first on the waitlist, heard nothing until the expiry job ran.
    s = shop.slot(capacity=2)
    ana = shop.kit.payments.book(T, s.id, "student:ana", actor="ana")
    shop.h.clock.advance(timedelta(minutes=10))
    ben = shop.kit.payments.book(T, s.id, "student:ben", actor="ben")
    cai = shop.kit.bookings.book(T, s.id, "student:cai", actor="cai", waitlist=True)
    assert cai.status == WAITLISTED
    shop.h.clock.advance(timedelta(minutes=10))  # Ana's 15 minutes ran out
    shop.gateway.pay(pay_of(ben).intent_ref or "")
    assert shop.deliver() == ["applied"]
    statuses = {
        b.id: shop.kit.bookings.get(T, b.id).status for b in (ana.booking, ben.booking, cai)
    }
    assert statuses == {ana.booking.id: EXPIRED, ben.booking.id: CONFIRMED, cai.id: OFFERED}


class SdkError(Exception):
    """What a provider's SDK raises: no sessionkit error."""


class LeakyGateway(FakeGateway):
    """A provider adapter whose next calls let the SDK's own exception through."""

    leaks = 0

    def _leak(self) -> None:
        if self.leaks:
            self.leaks -= 1
            raise SdkError("HTTP 500 from the provider")

    def create_intent(self, **given: Any) -> Any:
        self._leak()
        return super().create_intent(**given)

    def refund(self, intent_ref: str, amount: Money, *, idempotency_key: str) -> RefundReceipt:
        self._leak()
        return super().refund(intent_ref, amount, idempotency_key=idempotency_key)


def test_a_provider_error_outside_sessionkit_s_is_a_gateway_error_and_the_call_stays_due() -> None:
    shop = Shop()
    leaky = LeakyGateway(clock=lambda: shop.h.clock.now())
    shop.gateway = leaky
    shop.h = Harness.in_memory(
        NOW, id_prefix="x", booking_rules=RULES, gateway=leaky, pricing=lambda _s: Rate(EUR40)
    )
    shop.kit = shop.h.kit
    s = shop.slot(capacity=2)
    # At checkout: the command's caller gets a PaymentGatewayError, the SDK's error chained.
    leaky.leaks = 1
    with pytest.raises(PaymentGatewayError) as caught:
        shop.kit.payments.book(T, s.id, "student:ana", actor="ana", idempotency_key="k1")
    assert caught.value.operation == "create_intent"
    assert isinstance(caught.value.__cause__, SdkError)
    assert "SdkError: HTTP 500 from the provider" in str(caught.value)
    retried = shop.kit.payments.book(T, s.id, "student:ana", actor="ana", idempotency_key="k1")
    assert pay_of(retried).due is None  # the replay made the intent
    booking = _paid(shop, s, "bob")
    # After a committed cancel: the cancel stands and returns, the refund stays due.
    leaky.leaks = 1
    payment = shop.kit.payments.cancel(T, booking, actor="tina", role="provider")
    assert payment is not None
    assert (payment.due, payment.refund_due) == ("refund", Decimal("60.00"))  # 90 minutes
    assert shop.kit.bookings.get(T, booking).status == CANCELLED
    leaky.leaks = 1
    report = shop.kit.run_payment_calls()
    [(_, failed_id, error)] = report.failed
    assert (failed_id, type(error), type(error.__cause__)) == (
        payment.id,
        PaymentGatewayError,
        SdkError,
    )
    shop.h.clock.advance(RETRY_FIRST)  # the failed call's retry time
    assert shop.kit.run_payment_calls().done == 1
    assert shop.kit.payments.get(T, payment.id).status == REFUNDED


class RefusingRefunds(FakeGateway):
    """A provider that answers a refund with a receipt saying it failed (a closed card)."""

    refusing = False

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        super().__init__(clock=clock)
        self.refund_keys: list[str] = []

    def refund(self, intent_ref: str, amount: Money, *, idempotency_key: str) -> RefundReceipt:
        self.refund_keys.append(idempotency_key)
        if self.refusing:
            return RefundReceipt(ref="re_closed", status="failed")
        return super().refund(intent_ref, amount, idempotency_key=idempotency_key)


def _refused_refund(goodwill: Money | None = None) -> tuple[Shop, RefusingRefunds, Payment]:
    """A paid seat cancelled by its provider (or ``goodwill`` refunded), answered failed."""
    shop = Shop()
    refusing = RefusingRefunds(clock=lambda: shop.h.clock.now())
    shop.gateway = refusing
    shop.h = Harness.in_memory(
        NOW, id_prefix="x", booking_rules=RULES, gateway=refusing, pricing=Rate(EUR40)
    )
    shop.kit = shop.h.kit
    booking = _paid(shop, shop.slot(), "ana")
    refusing.refusing = True
    if goodwill is not None:
        paid = shop.kit.payments.for_booking(T, booking)
        assert paid is not None
        return shop, refusing, shop.kit.payments.refund(T, paid.id, goodwill, actor="tina")
    payment = shop.kit.payments.cancel(T, booking, actor="tina", role="provider")
    assert payment is not None
    return shop, refusing, payment


def test_a_refund_the_provider_answers_failed_is_not_counted_and_stays_due() -> None:
    # The receipt's status was never read: the payment said REFUNDED, and the revenue
    # 60.00 refunded, while the provider kept every cent.
    shop, refusing, payment = _refused_refund()
    assert (payment.status, payment.refunded, payment.refund_due, payment.due) == (
        PAID,
        Decimal("0.00"),
        Decimal("60.00"),
        "refund",
    )
    # Its call is given up with its key, its reason kept: every run reports it, and none
    # sends it again under that key (the provider would only answer "failed" again).
    assert (payment.refunds, payment.refund_sending) == (1, Decimal("0.00"))
    assert payment.failure == "the provider answered refund 're_closed' failed"
    for _ in range(2):
        [(_, failed_id, error)] = shop.kit.run_payment_calls().failed
        assert (failed_id, type(error)) == (payment.id, PaymentGatewayError)
        assert "'re_closed' failed" in str(error)
        assert "kit.payments.retry_refund" in str(error)
    assert refusing.refund_keys == [payment.gateway_key("refund", 1)]
    assert shop.kit.analytics.revenue(T).total("refunded", "EUR") == EUR0
    assert refusing.collected("EUR") == Money.of(60, "EUR")


def test_a_failed_refund_is_sent_again_by_retry_refund_under_a_fresh_key() -> None:
    # Before, a failed refund had no way out: every run sent it again under the same key,
    # and the provider answered each with the same "failed".
    shop, refusing, payment = _refused_refund()
    other = shop.kit.payments.for_booking(T, _paid(shop, shop.slot(days=3), "ben"))
    assert other is not None
    with pytest.raises(InvalidValue) as early:  # nothing to retry on another payment
        shop.kit.payments.retry_refund(T, other.id, actor="tina")
    assert early.value.expected == "a payment whose refund call the provider answered failed"
    refusing.refusing = False  # the customer's new card
    retried = shop.kit.payments.retry_refund(T, payment.id, actor="tina")
    assert (retried.status, retried.refunded, retried.refund_due, retried.due) == (
        REFUNDED,
        Decimal("60.00"),
        Decimal("0.00"),
        None,
    )
    assert (retried.failure, retried.refunds) == (None, 2)
    assert refusing.refund_keys == [payment.gateway_key("refund", n) for n in (1, 2)]
    assert refusing.collected("EUR") == Money.of(60, "EUR")  # Ben's seat alone
    assert shop.kit.run_payment_calls().failed == ()
    with pytest.raises(InvalidValue):  # once: it went through
        shop.kit.payments.retry_refund(T, payment.id, actor="tina")


def test_a_failed_refund_is_settled_by_one_made_at_the_provider_or_a_new_refund() -> None:
    # A goodwill refund of 20 answered failed; then 10 more decided: both go in a fresh call.
    shop, refusing, payment = _refused_refund(Money.of(20, "EUR"))
    assert (payment.refund_due, payment.failure is None) == (Decimal("20.00"), False)
    refusing.refusing = False
    more = shop.kit.payments.refund(T, payment.id, Money.of(10, "EUR"), actor="tina")
    assert (more.status, more.refunded, more.refund_due) == (
        PARTIALLY_REFUNDED,
        Decimal("30.00"),
        Decimal("0.00"),
    )
    assert (more.failure, more.due) == (None, None)
    # Another failed refund, then refunded from the provider's dashboard: its event settles it.
    shop, refusing, payment = _refused_refund()
    made_there = PaymentEvent(
        provider="fake",
        event_id="evt_dashboard",
        type="refunded",
        occurred_at=NOW,
        payment_id=payment.id,
        amount=Money.of(60, "EUR"),
    )
    settled = shop.kit.payments.apply(T, made_there).payment
    assert settled is not None
    assert (settled.refunded, settled.refund_due, settled.due, settled.failure) == (
        Decimal("60.00"),
        Decimal("0.00"),
        None,
        None,
    )
    assert shop.kit.run_payment_calls().failed == ()


def test_refunds_answered_failed_take_no_place_in_a_job_runs_batch() -> None:
    # They were first in line (the oldest change) and each run only reported them: with
    # `limit` of them waiting for retry_refund, no run reached any other due call again.
    shop, refusing, parked = _refused_refund()
    shop.h.clock.advance(timedelta(minutes=1))
    second = shop.kit.payments.for_booking(T, _paid(shop, shop.slot(days=3), "ben"))
    assert second is not None
    shop.kit.payments.refund(T, second.id, Money.of(5, "EUR"), actor="tina")  # failed too
    refusing.refusing = False
    shop.h.clock.advance(timedelta(minutes=1))
    waiting = shop.kit.payments.for_booking(T, _paid(shop, shop.slot(days=4), "cleo"))
    assert waiting is not None
    shop.gateway.fail_next()  # the provider blips when the refund is decided: it stays due
    shop.kit.payments.refund(T, waiting.id, Money.of(7, "EUR"), actor="tina")
    shop.h.clock.advance(timedelta(minutes=1))
    report = shop.kit.run_payment_calls(limit=1)
    assert (report.done, [f[1] for f in report.failed]) == (1, [parked.id, second.id])
    sent = shop.kit.payments.get(T, waiting.id)
    assert (sent.refunded, sent.refund_due, sent.due) == (Decimal("7.00"), Decimal("0.00"), None)
    again = shop.kit.run_payment_calls(limit=1)  # the two are still reported, and nothing else
    assert (again.done, [f[1] for f in again.failed], again.more) == (
        0,
        [parked.id, second.id],
        False,
    )


class BrokenRefunds(FakeGateway):
    """A provider that refuses every refund of some intents, for good (an account closed)."""

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        super().__init__(clock=clock)
        self.broken: set[str] = set()

    def refund(self, intent_ref: str, amount: Money, *, idempotency_key: str) -> RefundReceipt:
        if intent_ref in self.broken:
            self.calls.append(("refund", idempotency_key))
            raise PaymentGatewayError("refund", idempotency_key, detail="refused for good")
        return super().refund(intent_ref, amount, idempotency_key=idempotency_key)


def test_calls_failing_for_good_wait_their_retry_time_and_never_hold_back_the_others() -> None:
    # A failed call stayed due and first in line: with `limit` of them failing for good,
    # every run asked for them again at full rate and no run reached the calls behind.
    shop = Shop()
    broken = BrokenRefunds(clock=lambda: shop.h.clock.now())
    shop.gateway = broken
    shop.h = Harness.in_memory(
        NOW, id_prefix="x", booking_rules=RULES, gateway=broken, pricing=Rate(EUR40)
    )
    shop.kit = shop.h.kit
    bookings = [_paid(shop, shop.slot(days=2 + n), f"p{n}") for n in range(3)]
    payments = [shop.kit.payments.for_booking(T, b) for b in bookings]
    ana, ben, cleo = [p.id for p in payments if p is not None]
    broken.broken = {p.intent_ref or "" for p in payments[:2] if p is not None}
    for booking in bookings[:2]:  # refused at once, at the commit: due, oldest first
        shop.kit.payments.cancel(T, booking, actor="tina", role="provider")
    shop.h.clock.advance(timedelta(minutes=1))
    shop.gateway.fail_next()  # cleo's refund: the provider blips, it stays due behind them
    shop.kit.payments.cancel(T, bookings[2], actor="tina", role="provider")

    def tries(payment_id: str) -> int:
        return sum(1 for op, key in broken.calls if op == "refund" and f":{payment_id}:" in key)

    start = shop.h.clock.now()
    reports = [shop.kit.run_payment_calls(limit=2) for _ in range(3)]
    assert [(r.done, [f[1] for f in r.failed]) for r in reports] == [
        (0, [ana, ben]),
        (1, []),  # cleo's refund, made
        (0, []),  # the two wait
    ]
    assert shop.kit.payments.get(T, cleo).status == REFUNDED
    waiting = shop.kit.payments.get(T, ana)
    assert (waiting.due, waiting.failed_calls, waiting.retry_at, tries(ana)) == (
        "refund",
        1,
        start + RETRY_FIRST,
        2,  # at the commit, and by the first run
    )
    shop.h.clock.set(start + RETRY_FIRST - timedelta(seconds=1))
    assert shop.kit.run_payment_calls(limit=2) == DueReport()
    assert (tries(ana), tries(ben)) == (2, 2)
    broken.broken.discard(payments[1].intent_ref if payments[1] else "")  # ben's comes back
    shop.h.clock.set(start + RETRY_FIRST)
    retried = shop.kit.run_payment_calls(limit=2)
    assert (retried.done, [f[1] for f in retried.failed]) == (1, [ana])
    assert (tries(ana), tries(ben)) == (3, 3)
    twice = shop.kit.payments.get(T, ana)
    assert (twice.failed_calls, twice.retry_at) == (2, start + RETRY_FIRST + 2 * RETRY_FIRST)
    done = shop.kit.payments.get(T, ben)  # a success clears the count
    assert (done.status, done.due, done.failed_calls, done.retry_at) == (REFUNDED, None, 0, None)
    waits = []  # doubling from a minute, at most an hour
    for _ in range(7):
        at = shop.kit.payments.get(T, ana).retry_at
        assert at is not None
        shop.h.clock.set(at)
        shop.kit.run_payment_calls(limit=2)
        waits.append((shop.kit.payments.get(T, ana).retry_at or at) - at)
    assert waits == [timedelta(minutes=m) for m in (4, 8, 16, 32, 60, 60, 60)]


class CancelsDown(FakeGateway):
    """A provider failing every cancel, after doing what ``meanwhile`` holds (a racing writer)."""

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        super().__init__(clock=clock)
        self.meanwhile: list[Callable[[], object]] = []

    def cancel(self, intent_ref: str, *, idempotency_key: str) -> Intent:
        if self.meanwhile:
            self.meanwhile.pop(0)()
        self.fail_next()
        return super().cancel(intent_ref, idempotency_key=idempotency_key)


def _cancel_due() -> tuple[Shop, CancelsDown, Payment]:
    """A shop on :class:`CancelsDown` and a payment whose hold ran out, its intent's cancel due."""
    shop = Shop()
    gateway = CancelsDown(clock=lambda: shop.h.clock.now())
    shop.gateway = gateway
    shop.h = Harness.in_memory(
        NOW, id_prefix="x", booking_rules=RULES, gateway=gateway, pricing=Rate(EUR40)
    )
    shop.kit = shop.h.kit
    ana = shop.kit.payments.book(T, shop.slot().id, "student:ana", actor="ana")
    shop.h.clock.advance(timedelta(minutes=16))
    assert shop.kit.expire_holds().expired == 1  # its cancel fails at the commit
    return shop, gateway, shop.kit.payments.get(T, pay_of(ana).id)


def test_a_call_two_runners_failed_at_once_is_counted_once() -> None:
    # Each runner counted its failure on the payment: two runs made one try each at the
    # same call, and its wait was doubled as if it had failed twice in a row.
    shop, gateway, payment = _cancel_due()
    inner: list[DueReport] = []
    gateway.meanwhile.append(lambda: inner.append(shop.kit.run_payment_calls()))
    outer = shop.kit.run_payment_calls()  # the inner run reads the call before this one fails
    assert [len(r.failed) for r in (*inner, outer)] == [1, 1]
    waiting = shop.kit.payments.get(T, payment.id)
    assert (waiting.failed_calls, waiting.retry_at) == (1, shop.h.clock.now() + RETRY_FIRST)


def test_a_call_decided_while_a_run_waits_on_another_is_not_made_to_wait() -> None:
    # The failed cancel was counted on the payment as it stood after the provider's
    # success event, which decided a refund: that refund, never tried by a run, waited.
    shop, gateway, payment = _cancel_due()

    def paid_meanwhile() -> None:
        gateway.pay(payment.intent_ref or "")
        gateway.fail_next()  # the refund the event decides fails at its commit
        shop.deliver()

    gateway.meanwhile.append(paid_meanwhile)
    assert [f[1] for f in shop.kit.run_payment_calls().failed] == [payment.id]
    refund = shop.kit.payments.get(T, payment.id)
    assert (refund.due, refund.failed_calls, refund.retry_at) == ("refund", 0, None)
    assert shop.kit.run_payment_calls().done == 1  # at once, not a minute later
    done = shop.kit.payments.get(T, payment.id)
    assert (done.status, done.refunded, done.due) == (REFUNDED, Decimal("60.00"), None)


def test_a_call_failing_slowly_waits_from_its_failure_not_from_the_run_s_start() -> None:
    # The wait was counted from the run's start: a batch of calls timing out outlasted it,
    # and the next run tried every one of them again at once.
    shop, gateway, payment = _cancel_due()
    gateway.meanwhile.append(lambda: shop.h.clock.advance(timedelta(minutes=5)))  # a timeout
    assert len(shop.kit.run_payment_calls().failed) == 1
    failed_at = shop.h.clock.now()
    waiting = shop.kit.payments.get(T, payment.id)
    assert (waiting.failed_calls, waiting.retry_at) == (1, failed_at + RETRY_FIRST)
    assert shop.kit.run_payment_calls() == DueReport()
    # A run given an instant ahead of the clock counts from that instant.
    ahead = failed_at + RETRY_FIRST + timedelta(hours=1)
    assert len(shop.kit.run_payment_calls(now=ahead).failed) == 1
    assert shop.kit.payments.get(T, payment.id).retry_at == ahead + 2 * RETRY_FIRST


def test_the_fake_finds_a_payments_intent_per_tenant() -> None:
    # Payment ids are per tenant: one fake shared by two tenants whose ids meet answered the
    # first tenant's intent for the second's payment.
    gateway = FakeGateway()
    eur = Money.of(40, "EUR")
    a = gateway.create_intent(
        amount=eur, idempotency_key="a", metadata={"payment_id": "p1", "tenant": "a"}
    )
    b = gateway.create_intent(
        amount=eur, idempotency_key="b", metadata={"payment_id": "p1", "tenant": "b"}
    )
    assert gateway.intent_for("p1", tenant="a").ref == a.ref
    assert gateway.intent_for("p1", tenant="b").ref == b.ref
    with pytest.raises(KeyError, match="several tenants"):
        gateway.intent_for("p1")
    with pytest.raises(KeyError):
        gateway.intent_for("p1", tenant="c")


def test_each_payment_reads_every_page_as_list_would(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The marketplace demo's report read kit.payments.list's first 50 and called it all.
    monkeypatch.setattr("sessionkit.services.payments.MAX_LIMIT", 2)
    made = [
        shop.kit.payments.book(T, shop.slot(days=2 + n).id, "student:ana", actor="ana")
        for n in range(5)
    ]
    ids = [pay_of(m).id for m in made]
    assert [p.id for p in shop.kit.payments.each(T)] == ids
    assert [p.id for p in shop.kit.payments.each(T, statuses=iter([PENDING]))] == ids
    last = shop.kit.payments.get(T, ids[1])
    after = (last.session_start, last.id)
    assert [p.id for p in shop.kit.payments.each(T, after=after)] == ids[2:]
    assert list(shop.kit.payments.each(T, statuses=[PAID])) == []
    with pytest.raises(InvalidValue, match="no payment status"):
        shop.kit.payments.each(T, statuses=["pending"])  # at the call, not at the first next()


def test_a_handler_raising_during_the_job_is_raised_once_every_due_call_is_made(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first refund's answer stored, its event handler raised: the error left run_due at
    # once, and the second payment's refund waited for another run (Django's
    # `sessionkit_tick --payments` stopped with a traceback there).
    bookings = [_paid(shop, shop.slot(days=2 + n), f"p{n}") for n in range(2)]
    shop.gateway.fail_next(2)
    payments = [shop.kit.payments.cancel(T, b, actor="tina", role="provider") for b in bookings]
    record = shop.h.events.publish
    armed = [True]

    def mailer(events: Any) -> None:
        record(events)
        if armed[0]:
            armed[0] = False
            raise RuntimeError("the mailer is down")

    monkeypatch.setattr(shop.h.events, "publish", mailer)
    with pytest.raises(RuntimeError, match="the mailer is down") as raised:
        shop.kit.run_payment_calls()
    assert getattr(raised.value, "due_report", None) == DueReport(done=2)
    assert any("run_due committed its work" in note for note in raised.value.__notes__)
    for payment in payments:
        assert payment is not None
        stored = shop.kit.payments.get(T, payment.id)
        assert (stored.status, stored.due, stored.failed_calls) == (REFUNDED, None, 0)
    assert shop.kit.run_payment_calls() == DueReport()


def test_confirming_an_unpaid_offer_of_a_priced_seat_says_to_claim_it(shop: Shop) -> None:
    # It said "booking ... is confirmed by its payment '(none)', which is missing", with the
    # placeholder as payment_id and no session: a client could not tell what to do.
    s = shop.slot()
    paid = shop.kit.payments.book(T, s.id, "student:ben", actor="ben")
    queued = shop.kit.bookings.book(T, s.id, "student:cai", actor="cai", waitlist=True)
    shop.kit.payments.cancel(T, paid.booking.id, actor="ben")
    assert shop.kit.bookings.get(T, queued.id).status == OFFERED
    with pytest.raises(PaymentRequired) as refused:
        shop.kit.bookings.confirm(T, queued.id, actor="cai")
    error = refused.value
    assert (error.booking_id, error.payment_id, error.session_id, error.status) == (
        queued.id,
        None,
        s.id,
        "missing",
    )
    assert "kit.payments.claim" in str(error)
    assert shop.kit.bookings.get(T, queued.id).status == OFFERED  # nothing written
