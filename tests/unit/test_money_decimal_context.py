"""Money comes out the same whatever decimal context the app set on its thread.

An app that lowered ``decimal.getcontext().prec`` (for its own figures) got a
bare ``decimal.InvalidOperation`` from a refund, or a refund rounded to its
precision: sessionkit's arithmetic ran in the caller's context. Money's own
arithmetic names :data:`~sessionkit.model.money.DECIMALS` now, and every
command, and the analytics' sums, run in it.
"""

from __future__ import annotations

import decimal
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from sessionkit import SessionKit
from sessionkit.model.money import DECIMALS, Money
from sessionkit.model.payment import Payment
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import FixedPrice, Rate, RefundPolicy, RefundTier
from sessionkit.services.payments import Checkout
from sessionkit.testing.payments import FakeGateway
from sessionkit.timespan import TimeSpan

from ._store_support import STORES, StoreMaker, fresh_kit

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
HALF = RefundPolicy(tiers=(RefundTier(timedelta(hours=24), 50),))
PRICE = Money.of("123456.78", "EUR")


def _paid(store: StoreMaker, **kit_options: Any) -> tuple[SessionKit, FakeGateway, Checkout]:
    """A 123,456.78 EUR consultation Ana booked and paid: the kit, its provider, the checkout."""
    gateway = FakeGateway(clock=lambda: NOW)
    kit = fresh_kit(store, NOW, gateway=gateway, pricing=FixedPrice(PRICE), **kit_options)
    start = NOW + timedelta(days=3)
    session = kit.sessions.create_extra(
        T,
        actor="priya",
        start=start,
        end=start + timedelta(hours=1),
        resources=[ResourceRef("consultant", "priya")],
        lifecycle="consulting",
        capacity=3,
        title="Strategy",
    )
    checkout = kit.payments.book(T, session.id, "client:ana", actor="ana")
    gateway.pay(checkout.payment.intent_ref or "")
    for event in gateway.drain():
        kit.payments.apply(T, event)
    return kit, gateway, checkout


def _paid_then_cancelled(store: StoreMaker) -> list[str]:
    """A 123,456.78 EUR consultation paid, then cancelled in the 50 % tier: what it shows."""
    kit, gateway, checkout = _paid(store, refunds=HALF)
    kit.bookings.cancel(T, checkout.booking.id, actor="ana", role="client")
    kit.payments.run_due(T)
    for event in gateway.drain():
        kit.payments.apply(T, event)
    payment = kit.payments.get(T, checkout.payment.id)
    [row] = kit.analytics.revenue(T).rows
    return [str(payment.refunded), str(payment.received), str(row.kept), str(row.refunded)]


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_refund_is_the_same_in_an_apps_low_precision_context(store: StoreMaker) -> None:
    with decimal.localcontext(decimal.Context(prec=5)):
        shown = _paid_then_cancelled(store)
    assert shown == ["61728.39", "123456.78 EUR", "61728.39", "61728.39"]


def test_money_arithmetic_ignores_the_threads_context() -> None:
    with decimal.localcontext(decimal.Context(prec=4, rounding=decimal.ROUND_DOWN)):
        assert HALF.refund(PRICE, role="client", start=NOW + timedelta(days=2), at=NOW) == (
            Money.of("61728.39", "EUR")
        )
        assert PRICE + Money.of("0.01", "EUR") == Money.of("123456.79", "EUR")
        assert PRICE - Money.of("0.01", "EUR") == Money.of("123456.77", "EUR")
        assert (PRICE * 3).amount == Decimal("370370.34")
        assert PRICE.percent("33.3") == Money.of("41111.11", "EUR")
        assert PRICE.to_minor_units() == 12345678
        assert str(-PRICE) == "-123456.78 EUR"
    assert DECIMALS.prec == 28


def test_a_rate_prices_the_same_in_an_apps_low_precision_context() -> None:
    # 100 minutes at an hourly rate is 5/3 hours: cut to 1.667 in the thread's 4 digits,
    # three seats were charged 5.001 hours (617,407.36 EUR), not 5.
    start = NOW + timedelta(days=1)
    session = Session(
        id="s1",
        tenant=T,
        title="Strategy",
        span=TimeSpan(start, start + timedelta(minutes=100)),
        tz="UTC",
        status="SCHEDULED",
        lifecycle="consulting",
        busy=True,
        created_at=NOW,
    )
    rate = Rate(PRICE)
    with decimal.localcontext(decimal.Context(prec=4)):
        assert rate.price(session, 3) == Money.of("617283.90", "EUR")
    assert rate.price(session, 3) == Money.of("617283.90", "EUR")


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_revenue_total_is_the_same_in_an_apps_low_precision_context(store: StoreMaker) -> None:
    # The rows were summed in sessionkit's context, but total() added them in the thread's:
    # 123,456.78 EUR paid came out as 123,460.00.
    kit, _, _ = _paid(store)
    with decimal.localcontext(decimal.Context(prec=5)):
        revenue = kit.analytics.revenue(T, by="client")
        assert revenue.total("paid", "EUR", "client:ana") == Money.of("123456.78", "EUR")
        assert revenue.total("kept", "EUR", "client:ana") == Money.of("123456.78", "EUR")


def test_the_fake_providers_refunds_add_up_in_an_apps_low_precision_context() -> None:
    # The fake added refunds in the thread's context: at prec=5 a refund of 61,728.38 after
    # 0.01 was announced as 61,728 in all, and it said it kept 61,729.00.
    gateway = FakeGateway(clock=lambda: NOW)
    intent = gateway.create_intent(amount=PRICE, idempotency_key="k", metadata={"payment_id": "p"})
    gateway.pay(intent.ref)
    gateway.drain()
    with decimal.localcontext(decimal.Context(prec=5)):
        gateway.refund(intent.ref, Money.of("0.01", "EUR"), idempotency_key="r1")
        gateway.refund(intent.ref, Money.of("61728.38", "EUR"), idempotency_key="r2")
        totals = [event.amount for event in gateway.drain()]
        assert totals == [Money.of("0.01", "EUR"), Money.of("61728.39", "EUR")]
        assert gateway.collected("EUR") == Money.of("61728.39", "EUR")


def test_a_payments_figures_are_the_same_in_an_apps_low_precision_context() -> None:
    # kept and refundable subtracted in the thread's context: at prec=5, 123,456.78 paid with
    # 0.01 refunded kept 123,460.00; and a refund_due of 61,728.38 was "not an amount of EUR".
    paid = Payment(
        id="p1",
        tenant=T,
        booking_id="b1",
        session_id="s1",
        participant="client:ana",
        session_start=NOW,
        amount=PRICE,
        provider="fake",
        status="PARTIALLY_REFUNDED",
        refunded=Decimal("0.01"),
        created_at=NOW,
    )
    with decimal.localcontext(decimal.Context(prec=5)):
        assert (paid.kept, paid.refundable) == (Money.of("123456.77", "EUR"),) * 2
        due = attrs.evolve(paid, refund_due=Decimal("61728.38"))
        assert due.kept == Money.of("61728.39", "EUR")
