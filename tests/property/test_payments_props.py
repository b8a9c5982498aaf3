"""Paid bookings under random interleavings: pay, decline, expire, cancel, refund, outages.

The steps mix what customers do at the provider (pay, decline), what the
provider announces (events delivered late, twice, shuffled), what the
provider suffers (outages), what people do in sessionkit (book, claim an
offer, cancel as participant or provider, goodwill refunds) and the clock and
jobs. Whatever the order:

- no booking is confirmed without its payment having come in;
- the seats taken never pass a session's capacity;
- a payment never gives back more than came in;
- once every event is delivered and every due call made, the money the
  provider kept equals the money the payments say was kept, intent by intent
  (money in = money kept + money refunded).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sessionkit.errors import (
    AlreadyBooked,
    BookingRefused,
    CancelRefused,
    CapacityExceeded,
    HoldExpired,
    InvalidTransition,
    PaymentDeclined,
    PaymentGatewayError,
    RefundExceedsPayment,
)
from sessionkit.model import Session
from sessionkit.model.booking import CONFIRMED, Booking
from sessionkit.model.money import Money
from sessionkit.model.payment import PAID, PARTIALLY_REFUNDED, REFUNDED, Payment
from sessionkit.policies import BookingRules, Rate, RefundPolicy, RefundTier
from sessionkit.services.payments import RETRY_MAX
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
PEOPLE = [f"student:p{i}" for i in range(5)]
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15), offer_for=timedelta(minutes=30))
REFUNDS = RefundPolicy(
    tiers=(RefundTier(timedelta(days=2), 100), RefundTier(timedelta(days=1), 50))
)
EVER_PAID = {PAID, PARTIALLY_REFUNDED, REFUNDED}


class PaidBookings(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.gateway = FakeGateway(clock=lambda: self.h.clock.now(), seed=7)
        self.h = Harness.in_memory(
            NOW,
            booking_rules=RULES,
            gateway=self.gateway,
            pricing=Rate(Money.of("37.5", "EUR")),
            refunds=REFUNDS,
        )
        self.kit = self.h.kit
        self.sessions: list[Session] = [
            self.kit.sessions.create_extra(
                T,
                actor=None,
                start=NOW + timedelta(days=days),
                end=NOW + timedelta(days=days, minutes=50),
                lifecycle="lms",
                capacity=capacity,
            )
            for days, capacity in ((1, 1), (2, 2), (3, 3))
        ]
        self.bookings: list[str] = []

    # -- people in sessionkit ------------------------------------------------------------

    @rule(which=st.integers(0, 2), who=st.sampled_from(PEOPLE), waitlist=st.booleans())
    def book(self, which: int, who: str, waitlist: bool) -> None:
        session = self.sessions[which]
        with contextlib.suppress(
            CapacityExceeded, AlreadyBooked, BookingRefused, PaymentDeclined, PaymentGatewayError
        ):
            checkout = self.kit.payments.book(
                T,
                session.id,
                who,
                actor=None,
                waitlist=waitlist,
                idempotency_key=f"{who}@{which}:{waitlist}",
            )
            self.bookings.append(checkout.booking.id)

    @precondition(lambda self: bool(self.gateway.intents))
    @rule(pick=st.integers(0, 10_000))
    def pay_at_once(self, pick: int) -> None:
        refs = sorted(self.gateway.intents)
        self.gateway.pay(refs[pick % len(refs)])
        for event in self.gateway.drain():
            self.kit.payments.apply(T, event)

    @precondition(lambda self: bool(self.bookings))
    @rule(pick=st.integers(0, 10_000))
    def claim(self, pick: int) -> None:
        # Not offered (any more): InvalidTransition; an offer that ran out: HoldExpired.
        with contextlib.suppress(
            InvalidTransition, HoldExpired, PaymentDeclined, PaymentGatewayError
        ):
            self.kit.payments.claim(T, self.bookings[pick % len(self.bookings)], actor=None)

    @precondition(lambda self: bool(self.bookings))
    @rule(pick=st.integers(0, 10_000), role=st.sampled_from(["participant", "provider"]))
    def cancel(self, pick: int, role: str) -> None:
        # A paid booking of a session that is over stands (CancelRefused, rule "ended").
        with contextlib.suppress(InvalidTransition, CancelRefused):
            self.kit.bookings.cancel(
                T, self.bookings[pick % len(self.bookings)], actor=None, role=role
            )

    @rule(which=st.integers(0, 2))
    def cancel_session(self, which: int) -> None:
        with contextlib.suppress(InvalidTransition):
            self.kit.sessions.cancel(T, self.sessions[which].id, actor=None)

    @precondition(lambda self: bool(self.bookings))
    @rule(pick=st.integers(0, 10_000), cents=st.integers(1, 6000))
    def goodwill(self, pick: int, cents: int) -> None:
        payment = self._payment(self.bookings[pick % len(self.bookings)])
        if payment is None:
            return
        with contextlib.suppress(RefundExceedsPayment):
            self.kit.payments.refund(
                T, payment.id, Money.from_minor_units(cents, "EUR"), actor="admin"
            )

    # -- customers, the provider, the clock -------------------------------------------

    @precondition(lambda self: bool(self.gateway.intents))
    @rule(pick=st.integers(0, 10_000), pay=st.booleans())
    def customer(self, pick: int, pay: bool) -> None:
        refs = sorted(self.gateway.intents)
        ref = refs[pick % len(refs)]
        if pay:
            self.gateway.pay(ref)
        else:
            self.gateway.decline(ref)

    @rule(duplicate=st.booleans(), shuffle=st.booleans(), keep=st.integers(0, 3))
    def deliver(self, duplicate: bool, shuffle: bool, keep: int) -> None:
        events = self.gateway.drain(duplicate=duplicate, shuffle=shuffle)
        for event in events[keep:]:
            self.kit.payments.apply(T, event)
        self.gateway.outbox[:0] = events[:keep]  # delivered later

    @rule(calls=st.integers(1, 2))
    def outage(self, calls: int) -> None:
        self.gateway.fail_next(calls)

    @rule()
    def run_due(self) -> None:
        self.kit.run_payment_calls()

    @rule(minutes=st.integers(1, 40))
    def tick(self, minutes: int) -> None:
        self.h.clock.advance(timedelta(minutes=minutes))

    @rule()
    def expire(self) -> None:
        self.kit.expire_holds(T)

    # -- what must hold ---------------------------------------------------------------

    def _payment(self, booking_id: str) -> Payment | None:
        return self.kit.payments.for_booking(T, booking_id)

    def _all(self) -> list[tuple[Booking, Payment | None]]:
        """Every booking stored (also those a call that raised had already made), and payment."""
        return [
            (b, self._payment(b.id))
            for session in self.sessions
            for b in self.kit.bookings.for_session(T, session.id)
        ]

    @invariant()
    def no_booking_is_confirmed_unpaid(self) -> None:
        for booking, payment in self._all():
            if booking.status == CONFIRMED:
                assert payment is not None
                assert payment.status in EVER_PAID, (booking, payment)

    @invariant()
    def seats_never_pass_capacity(self) -> None:
        now = self.h.clock.now()
        for session in self.sessions:
            bookings = self.kit.bookings.for_session(T, session.id)
            assert sum(b.seats for b in bookings if b.takes_seats(now)) <= session.capacity

    @invariant()
    def nothing_gives_back_more_than_came_in(self) -> None:
        for _booking, payment in self._all():
            if payment is not None:
                assert payment.refunded + payment.refund_due <= payment.received.amount

    def teardown(self) -> None:
        # Quiesce: the provider back up, every event delivered, every due call made.
        self.gateway.fail_next(0)
        self.gateway._failures = 0  # the test ends the outage
        for _ in range(10):
            self.h.clock.advance(RETRY_MAX)  # every failed call's retry time
            self.kit.run_payment_calls()
            events = self.gateway.drain()
            for event in events:
                self.kit.payments.apply(T, event)
            if not events and not self.kit.payments.run_due().done:
                break
        for _booking, payment in self._all():
            if payment is None or payment.intent_ref is None:
                continue
            intent = self.gateway.intents[payment.intent_ref]
            kept_by_provider = (
                intent.amount.amount - intent.refunded
                if intent.status == "succeeded"
                else Decimal(0)
            )
            assert payment.due is None, payment
            assert kept_by_provider == payment.kept.amount, (payment, intent)
        total_kept = sum(
            (p.kept.amount for _b, p in self._all() if p is not None), start=Decimal(0)
        )
        assert self.gateway.collected("EUR").amount == total_kept


TestMoney = PaidBookings.TestCase
TestMoney.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
