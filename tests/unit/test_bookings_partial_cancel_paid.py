"""A paid booking that gives back seats is refunded their part, by the pricing and the policy.

The seats given back are worth ``part x (1 - price(after) / price(before))``
of the part of the amount the booking's seats paid for (all of it at first):
nothing of a ``FixedPrice`` (one price per booking), ``k / seats`` of a
``SeatPrice``, the difference of a group discount. The payment records the
part the rest paid for (own field ``seats_part``), which the cancel of the
rest, a session's cancel and a no-show refund from, and a tier's fee is kept
as a share of it: the parts, and the fee's shares, add up exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sessionkit.errors import CancelRefused, ConcurrentModification, WrongType
from sessionkit.model.money import Money
from sessionkit.model.payment import PaymentChanged
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import (
    FixedPrice,
    Pricing,
    Rate,
    RefundPolicy,
    RefundTier,
    SeatPrice,
)
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(hours=30)  # a cancel now falls in the 24-hour tier
PER_SEAT = SeatPrice(Money.of("30", "EUR"))
FIXED = FixedPrice(Money.of("90", "EUR"))
TIERS = RefundPolicy(
    tiers=(RefundTier(timedelta(hours=48), 100), RefundTier(timedelta(hours=24), 50))
)
FEE = RefundPolicy(
    tiers=(
        RefundTier(timedelta(hours=48), 100),
        RefundTier(timedelta(hours=24), 50, fee=Money.of("9", "EUR")),
    )
)


class GroupDiscount:
    """30 EUR a seat, 10 % off the booking from 3 seats on."""

    def price(self, session: Session, seats: int) -> Money:
        whole = Money.of(30, "EUR") * seats
        return (whole.percent(90) if seats >= 3 else whole).rounded()


def _paid(
    refunds: RefundPolicy, pricing: Pricing = PER_SEAT, minutes: int = 60
) -> tuple[Harness, FakeGateway, str, str, str]:
    holder: list[Harness] = []
    gateway = FakeGateway(clock=lambda: holder[0].clock.now(), instant=True)
    h = Harness.in_memory(NOW, gateway=gateway, pricing=pricing, refunds=refunds)
    holder.append(h)
    session = h.kit.sessions.create_extra(
        T,
        actor="tina",
        title="Group",
        start=START,
        end=START + timedelta(minutes=minutes),
        resources=[ResourceRef("tutor", "tina")],
        lifecycle="consulting",
        capacity=3,
    )
    checkout = h.kit.payments.book(T, session.id, "parent:ana", actor="ana", seats=3, role="client")
    _drain(h, gateway)
    assert checkout.payment is not None
    assert h.kit.payments.get(T, checkout.payment.id).status == "PAID"
    return h, gateway, session.id, checkout.booking.id, checkout.payment.id


def _drain(h: Harness, gateway: FakeGateway) -> None:
    for event in gateway.drain():
        h.kit.payments.apply(T, event)


def _cancel(
    h: Harness, gateway: FakeGateway, booking_id: str, role: str, seats: int | None
) -> Decimal:
    """Cancel ``seats`` (``None``: the rest) in ``role``; return the payment's refunded so far."""
    h.kit.bookings.cancel(T, booking_id, actor="ana", role=role, seats=seats)
    _drain(h, gateway)
    [payment] = h.kit.payments.list(T)
    return payment.refunded


def test_per_seat_one_seat_back_then_the_rest_by_the_tier() -> None:
    h, gateway, _, booking_id, payment_id = _paid(TIERS)
    # 50 % of one seat's 30, then 50 % of the 60 the rest paid: as a whole cancel.
    assert _cancel(h, gateway, booking_id, "client", 1) == Decimal("15.00")
    payment = h.kit.payments.get(T, payment_id)
    assert payment.status == "PARTIALLY_REFUNDED"
    assert dict(payment.metadata["seats_part"]) == {"seats": 2, "amount": "60.00"}
    assert h.kit.bookings.get(T, booking_id).seats == 2
    assert _cancel(h, gateway, booking_id, "client", None) == Decimal("45.00")
    assert str(h.kit.payments.get(T, payment_id).kept) == "45.00 EUR"


def test_a_tier_s_fee_is_kept_as_a_share_so_the_pieces_keep_one_fee() -> None:
    # A whole cancel in the 24-hour tier refunds 45 - 9 = 36; one seat then the rest keep
    # a third of the fee (3) and two thirds (6): 12 + 24, not a fee at each cancel.
    h, gateway, _, booking_id, _ = _paid(FEE)
    assert _cancel(h, gateway, booking_id, "client", 1) == Decimal("12.00")
    assert _cancel(h, gateway, booking_id, "client", None) == Decimal("36.00")


def test_a_fixed_price_seat_back_refunds_nothing_and_the_rest_refunds_the_whole() -> None:
    h, gateway, _, booking_id, payment_id = _paid(RefundPolicy(), FIXED)
    # One price per booking: with a seat fewer it costs the same, so nothing goes back.
    assert _cancel(h, gateway, booking_id, "client", 1) == 0
    payment = h.kit.payments.get(T, payment_id)
    assert payment.status == "PAID"
    assert dict(payment.metadata["seats_part"]) == {"seats": 2, "amount": "90.00"}
    assert _cancel(h, gateway, booking_id, "client", None) == Decimal("90.00")
    assert h.kit.payments.get(T, payment_id).status == "REFUNDED"


def test_a_session_cancel_refunds_the_rest_s_part_in_full_and_no_more() -> None:
    h, gateway, session_id, booking_id, payment_id = _paid(TIERS)
    h.kit.bookings.cancel(T, booking_id, actor="ana", role="client", seats=1)  # 15 of 30 back
    h.kit.sessions.cancel(T, session_id, actor="tina", reason="tutor ill")
    _drain(h, gateway)
    assert h.kit.payments.get(T, payment_id).refunded == Decimal("75.00")  # 15 + 60


@pytest.mark.parametrize(
    ("pricing", "refunded"),
    [(PER_SEAT, "60.00"), (FIXED, "45.00")],
    ids=["per-seat", "fixed-price"],
)
def test_a_no_show_after_a_partial_cancel_refunds_from_the_rest_s_part(
    pricing: Pricing, refunded: str
) -> None:
    # Per seat: 30 back, then 50 % of the 60 the rest paid; a fixed price: nothing back,
    # then 50 % of the 90 the rest still paid.
    h, gateway, session_id, booking_id, payment_id = _paid(
        RefundPolicy(no_show_percent=50), pricing
    )
    h.kit.bookings.cancel(T, booking_id, actor="tina", role="admin", seats=1)
    h.kit.sessions.fire(T, session_id, "confirm", actor="tina")
    h.clock.set(START + timedelta(hours=1))
    h.kit.sessions.fire(T, session_id, "no_show", actor="tina")
    _drain(h, gateway)
    payment = h.kit.payments.get(T, payment_id)
    assert (str(payment.refunded), payment.metadata["no_show"]["outcome"]) == (refunded, "no_show")


def test_two_partial_cancels_in_a_row_under_a_group_discount() -> None:
    # 3 seats cost 81 (10 % off), 2 cost 60, 1 costs 30: the first seat back is worth
    # 81 x (1 - 60/81) = 21, the second 60 x (1 - 30/60) = 30, the last 30.
    h, gateway, _, booking_id, payment_id = _paid(RefundPolicy(), GroupDiscount())
    assert str(h.kit.payments.get(T, payment_id).amount) == "81.00 EUR"
    assert _cancel(h, gateway, booking_id, "client", 1) == Decimal("21.00")
    assert _cancel(h, gateway, booking_id, "client", 1) == Decimal("51.00")
    payment = h.kit.payments.get(T, payment_id)
    assert dict(payment.metadata["seats_part"]) == {"seats": 1, "amount": "30.00"}
    assert h.kit.bookings.get(T, booking_id).seats == 1
    assert _cancel(h, gateway, booking_id, "client", None) == Decimal("81.00")
    assert h.kit.payments.get(T, payment_id).status == "REFUNDED"


@pytest.mark.parametrize(
    ("refunds", "role", "steps"),
    [
        (RefundPolicy(), "client", ["33.33", "66.67", "100.00"]),
        # 100 % less a 10 EUR fee in its shares 3.33, 3.34, 3.33: one fee in all.
        (
            RefundPolicy(tiers=(RefundTier(timedelta(hours=24), 100, fee=Money.of(10, "EUR")),)),
            "client",
            ["30.00", "60.00", "90.00"],
        ),
    ],
    ids=["full", "fee-shares"],
)
def test_parts_of_a_price_not_divisible_by_the_seats_add_up_to_the_amount(
    refunds: RefundPolicy, role: str, steps: list[str]
) -> None:
    # 40 EUR an hour a seat for 50 minutes: 3 seats 100.00, 2 seats 66.67, 1 seat 33.33.
    h, gateway, _, booking_id, payment_id = _paid(refunds, Rate(Money.of(40, "EUR")), minutes=50)
    assert str(h.kit.payments.get(T, payment_id).amount) == "100.00 EUR"
    done = [_cancel(h, gateway, booking_id, role, seats) for seats in (1, 1, None)]
    assert done == [Decimal(step) for step in steps]
    payment = h.kit.payments.get(T, payment_id)
    assert payment.refunded + payment.kept.amount == Decimal("100.00")


class Slipping:
    """Prices a booking of 3 seats, answers a float for fewer: the host's pricing's slip."""

    def price(self, session: Session, seats: int) -> Any:
        return Money.of(90, "EUR") if seats == 3 else 60.0


def test_a_pricing_answering_no_money_for_the_rest_is_a_wrong_type_and_nothing_is_written() -> None:
    h, _, _, booking_id, payment_id = _paid(RefundPolicy(), Slipping())
    booking, payment = h.kit.bookings.get(T, booking_id), h.kit.payments.get(T, payment_id)
    with pytest.raises(WrongType) as wrong:
        h.kit.bookings.cancel(T, booking_id, actor="ana", role="client", seats=1)
    assert "pricing.price(session" in str(wrong.value)
    assert "seats=2)" in str(wrong.value)
    assert h.kit.bookings.get(T, booking_id) == booking
    assert h.kit.payments.get(T, payment_id).version == payment.version


def test_kit_payments_cancel_gives_back_seats_and_returns_the_payment() -> None:
    h, _, _, booking_id, payment_id = _paid(TIERS)
    payment = h.kit.payments.cancel(T, booking_id, actor="ana", role="client", seats=1)
    assert payment is not None
    assert (payment.id, payment.refunded + payment.refund_due) == (payment_id, Decimal("15.00"))
    assert h.kit.bookings.get(T, booking_id).seats == 2


def test_an_unpaid_booking_is_refused_until_it_is_paid() -> None:
    gateway = FakeGateway(clock=lambda: NOW)
    h = Harness.in_memory(NOW, gateway=gateway, pricing=PER_SEAT)
    session = h.kit.sessions.create_extra(
        T,
        actor="tina",
        title="Group",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("tutor", "tina")],
        lifecycle="consulting",
        capacity=3,
    )
    checkout = h.kit.payments.book(T, session.id, "parent:ana", actor="ana", seats=3)
    with pytest.raises(CancelRefused) as refused:
        h.kit.bookings.cancel(T, checkout.booking.id, actor="ana", seats=1)
    assert refused.value.rule == "unpaid"
    assert "PENDING payment of 90.00 EUR for its 3 seats" in str(refused.value)
    assert h.kit.bookings.get(T, checkout.booking.id).seats == 3
    assert checkout.payment is not None
    assert h.kit.payments.get(T, checkout.payment.id).version == checkout.payment.version


@pytest.mark.parametrize(
    ("price", "steps"),
    [
        (Money.of(1000, "JPY"), ["416", "833", "1250"]),
        (Money.of("1.000", "KWD"), ["0.416", "0.833", "1.250"]),
        (Money.of("1.00", "EUR"), ["0.41", "0.83", "1.25"]),
    ],
    ids=["jpy", "kwd", "eur"],
)
def test_seats_given_back_in_pieces_refund_what_a_whole_cancel_would(
    price: Money, steps: list[str]
) -> None:
    # 3 seats for 50 minutes at 1 an hour a seat: 2.50; 50 % of it is 1.25, a whole
    # cancel's refund. Each piece's 50 % rounded alone (0.42 of 0.83) came to 1.26.
    h, gateway, _, booking_id, _ = _paid(TIERS, Rate(price), minutes=50)
    done = [_cancel(h, gateway, booking_id, "client", seats) for seats in (1, 1, None)]
    assert done == [Decimal(step) for step in steps]
    whole, its_gateway, _, whole_id, _ = _paid(TIERS, Rate(price), minutes=50)
    assert _cancel(whole, its_gateway, whole_id, "client", None) == Decimal(steps[-1])


def test_a_fixed_price_seat_back_publishes_the_payment_with_no_refund_and_its_reason() -> None:
    # Nothing to refund, but the payment follows the booking (seats_part) and a listener
    # is told why it changed: one PaymentChanged, refund None, no status change.
    h, gateway, _, booking_id, payment_id = _paid(RefundPolicy(), FIXED)
    before = h.kit.payments.get(T, payment_id)
    h.events.events.clear()
    assert _cancel(h, gateway, booking_id, "client", 1) == 0
    [changed] = [e for e in h.events.events if isinstance(e, PaymentChanged)]
    why = "1 of 3 seats cancelled"
    assert (changed.refund, changed.change, changed.reason) == (None, None, why)
    assert (changed.payment.version, changed.payment.refund_due) == (before.version + 1, Decimal(0))


def test_a_partial_cancel_sent_again_with_its_version_gives_back_and_refunds_once() -> None:
    # The answer to the first call was lost; the client sends it again as it was.
    h, gateway, _, booking_id, payment_id = _paid(TIERS)
    version = h.kit.bookings.get(T, booking_id).version
    h.kit.bookings.cancel(
        T, booking_id, actor="ana", role="client", seats=1, expected_version=version
    )
    _drain(h, gateway)
    paid = h.kit.payments.get(T, payment_id)
    with pytest.raises(ConcurrentModification) as changed:
        h.kit.payments.cancel(
            T, booking_id, actor="ana", role="client", seats=1, expected_version=version
        )
    assert (changed.value.record_id, changed.value.expected, changed.value.actual) == (
        booking_id,
        version,
        version + 1,
    )
    assert h.kit.bookings.get(T, booking_id).seats == 2
    assert h.kit.payments.get(T, payment_id) == paid
    assert paid.refunded + paid.refund_due == Decimal("15.00")


@pytest.mark.parametrize("pieces", [(1, None), (None,)], ids=["seat-then-rest", "whole"])
def test_a_no_show_corrected_away_counts_toward_the_seats_given_back_too(
    pieces: tuple[int | None, ...],
) -> None:
    # A no-show at 20 minutes refunds 50 % of 90 for all 3 seats; corrected back, the
    # cancels after the start refund late_percent (50 %) past it: nothing more, whether
    # a seat goes first (15 for it counted from the 45) or the booking whole.
    h, gateway, session_id, booking_id, payment_id = _paid(
        RefundPolicy(no_show_percent=50, late_percent=50), PER_SEAT, minutes=120
    )
    h.kit.sessions.fire(T, session_id, "confirm", actor="tina")
    h.clock.set(START + timedelta(minutes=20))
    h.kit.sessions.fire(T, session_id, "no_show", actor="tina")
    h.clock.set(START + timedelta(minutes=30))
    h.kit.usage.correct(T, session_id, "CONFIRMED", actor="admin", reason="marked by mistake")
    done = [_cancel(h, gateway, booking_id, "client", seats) for seats in pieces]
    assert done[-1] == Decimal("45.00")
    part = h.kit.payments.get(T, payment_id).metadata.get("seats_part")
    counted = {"seats": 2, "amount": "60.00", "no_show_counted": "15.00"}
    assert (None if part is None else dict(part)) == (counted if len(pieces) == 2 else None)
