"""A refund is money, a cancel is the seat: how goodwill refunds, tiers and unpaid invoices meet.

Pinned as docs/payments.md promises: a goodwill refund stands beside a
cancel's tier refund and the two never give back more than came in; a
refund, in full too, leaves its booking CONFIRMED; a late cancel of an
unpaid invoice owes nothing (sessionkit bills no fee).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sessionkit.errors import CapacityExceeded
from sessionkit.model.booking import CANCELLED, CONFIRMED
from sessionkit.model.money import Money
from sessionkit.model.payment import PARTIALLY_REFUNDED, REFUNDED, PaymentEvent
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import FixedPrice, RefundPolicy, RefundTier
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(hours=30)  # a cancel now falls in the 24-hour tier
PRICE = Money.of("60", "EUR")


def shop(tiers: tuple[RefundTier, ...]) -> tuple[Harness, FakeGateway, Session]:
    """A kit over memory with the fake provider, a 60 EUR price and a one-seat session."""
    gateway = FakeGateway(clock=lambda: NOW, instant=True)
    h = Harness.in_memory(
        NOW,
        id_prefix="x",
        gateway=gateway,
        pricing=FixedPrice(PRICE),
        refunds=RefundPolicy(tiers=tiers),
    )
    session = h.kit.sessions.create_extra(
        T,
        actor="priya",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("consultant", "priya")],
        lifecycle="consulting",
        capacity=1,
        title="Strategy",
    )
    return h, gateway, session


def paid(h: Harness, gateway: FakeGateway, session: Session, who: str = "ana") -> tuple[str, str]:
    """Book and pay a seat of ``session``; return (booking id, payment id)."""
    checkout = h.kit.payments.book(T, session.id, f"client:{who}", actor=who, role="client")
    for event in gateway.drain():
        h.kit.payments.apply(T, event)
    assert checkout.payment is not None
    assert h.kit.bookings.get(T, checkout.booking.id).status == CONFIRMED
    return checkout.booking.id, checkout.payment.id


def settle(h: Harness, gateway: FakeGateway) -> None:
    for event in gateway.drain():
        h.kit.payments.apply(T, event)


@pytest.mark.parametrize(
    ("percent", "goodwill", "refunded"),
    [
        (50, "10", "40.00"),  # the tier's 30 beside the goodwill 10
        (50, "40", "60.00"),  # 30 more would pass what came in: only the 20 left goes
        (100, "10", "60.00"),
        (0, "10", "10.00"),
    ],
)
def test_a_goodwill_refund_stands_beside_the_tier_refund_never_past_what_came_in(
    percent: int, goodwill: str, refunded: str
) -> None:
    h, gateway, session = shop((RefundTier(timedelta(0), percent),))
    booking_id, payment_id = paid(h, gateway, session)
    h.kit.payments.refund(T, payment_id, Money.of(goodwill, "EUR"), actor="priya")
    h.kit.bookings.cancel(T, booking_id, actor="ana", role="client")
    settle(h, gateway)
    payment = h.kit.payments.get(T, payment_id)
    assert (payment.refunded, payment.refund_due, payment.due) == (
        Decimal(refunded),
        Decimal(0),
        None,
    )
    assert payment.status == (REFUNDED if refunded == "60.00" else PARTIALLY_REFUNDED)
    assert gateway.collected("EUR") == PRICE - Money.of(refunded, "EUR")


def test_a_refund_in_full_leaves_the_booking_confirmed_and_its_seat_taken() -> None:
    # A refund is money, the booking is the seat: a host's goodwill refund of everything (and
    # one made at the provider's dashboard) leaves the booking CONFIRMED; cancelling it frees
    # the seat and gives nothing more back.
    h, gateway, session = shop((RefundTier(timedelta(0), 100),))
    booking_id, payment_id = paid(h, gateway, session)
    h.kit.payments.refund(T, payment_id, PRICE, actor="priya", reason="poor connection")
    settle(h, gateway)
    payment = h.kit.payments.get(T, payment_id)
    assert (payment.status, payment.refunded, payment.kept) == (
        REFUNDED,
        Decimal("60.00"),
        Money.of(0, "EUR"),
    )
    assert h.kit.bookings.get(T, booking_id).status == CONFIRMED
    with pytest.raises(CapacityExceeded):  # the one seat is still ana's
        h.kit.payments.book(T, session.id, "client:ben", actor="ben", role="client")
    h.kit.bookings.cancel(T, booking_id, actor="ana", role="client")
    settle(h, gateway)
    assert h.kit.bookings.get(T, booking_id).status == CANCELLED
    after = h.kit.payments.get(T, payment_id)
    assert (after.status, after.refunded, after.due) == (REFUNDED, Decimal("60.00"), None)
    assert [call for call, _ in gateway.calls].count("refund") == 1


def test_a_refund_in_full_at_the_providers_dashboard_leaves_the_booking_confirmed() -> None:
    h, gateway, session = shop((RefundTier(timedelta(0), 100),))
    booking_id, payment_id = paid(h, gateway, session)
    dashboard = PaymentEvent(
        provider=gateway.name,
        event_id="evt_dashboard",
        type="refunded",
        occurred_at=NOW,
        payment_id=payment_id,
        amount=PRICE,
    )
    h.kit.payments.apply(T, dashboard)
    assert h.kit.payments.get(T, payment_id).status == REFUNDED
    assert h.kit.bookings.get(T, booking_id).status == CONFIRMED


def test_a_late_cancel_of_an_unpaid_invoice_owes_nothing() -> None:
    # The 24-hour tier keeps a 10 EUR fee from a refund; an invoice never paid has no refund
    # to keep it from, and sessionkit bills nothing: its payment is cancelled, nothing owed.
    h, _, session = shop(
        (
            RefundTier(timedelta(hours=48), 100),
            RefundTier(timedelta(hours=24), 100, fee=Money.of("10", "EUR")),
        )
    )
    invoice = h.kit.payments.book(
        T, session.id, "client:meera", actor="priya", role="client", manual=True, confirm=True
    )
    assert invoice.booking.status == CONFIRMED
    payment = h.kit.payments.cancel(T, invoice.booking.id, actor="meera", role="client")
    assert payment is not None
    assert h.kit.bookings.get(T, invoice.booking.id).status == CANCELLED
    assert (payment.status, payment.received, payment.kept, payment.refunded, payment.due) == (
        "CANCELLED",
        Money.of("0.00", "EUR"),
        Money.of(0, "EUR"),
        Decimal(0),
        None,
    )
