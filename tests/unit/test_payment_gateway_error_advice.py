"""A provider down while a seat is booked paid: the error's advice is what a retry meets.

With an idempotency key the same request again is the retry (it returns the
held booking and asks for the intent again), so the message says it is safe
to retry. Without one, the same request again is refused ``AlreadyBooked``
(the first attempt's booking is held): the message names that booking and
says to cancel it and book again with a key.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit import AlreadyBooked, Money, PaymentGatewayError
from sessionkit.policies import BookingRules, Rate
from sessionkit.services import SessionKit
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway(clock=lambda: NOW)


@pytest.fixture
def kit(gateway: FakeGateway) -> SessionKit:
    h = Harness.in_memory(
        NOW,
        gateway=gateway,
        pricing=Rate(Money.of(40, "EUR")),
        booking_rules=BookingRules(hold_for=timedelta(minutes=15)),
    )
    return h.kit


def _lesson(kit: SessionKit) -> str:
    lesson = kit.sessions.create_extra(
        "acme",
        actor="tina",
        title="Maths",
        start=NOW + timedelta(days=2),
        end=NOW + timedelta(days=2, minutes=90),
        resources=["tutor:tina"],
        lifecycle="marketplace",
        capacity=3,
    )
    return lesson.id


def test_a_keyed_paid_booking_is_told_a_retry_is_safe_and_it_is(
    kit: SessionKit, gateway: FakeGateway
) -> None:
    lesson = _lesson(kit)
    gateway.fail_next()
    with pytest.raises(PaymentGatewayError) as failed:
        kit.payments.book("acme", lesson, "student:ana", actor="ana", idempotency_key="k1")
    payment_id = failed.value.payment_id
    assert str(failed.value) == (
        f"the payment provider failed to create_intent payment {payment_id!r}: "
        "the fake provider is down; it is safe to retry"
    )
    retried = kit.payments.book("acme", lesson, "student:ana", actor="ana", idempotency_key="k1")
    assert (retried.payment.id, retried.booking.status) == (payment_id, "HELD")
    assert retried.client_secret is not None


def test_an_unkeyed_paid_booking_is_told_its_booking_is_held_and_what_to_do(
    kit: SessionKit, gateway: FakeGateway
) -> None:
    lesson = _lesson(kit)
    gateway.fail_next()
    with pytest.raises(PaymentGatewayError) as failed:
        kit.payments.book("acme", lesson, "student:ana", actor="ana")
    error = failed.value
    held = kit.payments.get("acme", error.payment_id).booking_id
    assert str(error) == (
        f"the payment provider failed to create_intent payment {error.payment_id!r}: "
        f"the fake provider is down; booking {held!r} stays held, and booked without an "
        "idempotency_key the same request again is refused (AlreadyBooked) while the hold "
        f"lasts: cancel booking {held!r} and book again with an idempotency_key, which makes "
        "a retry safe"
    )
    assert (error.operation, error.detail) == ("create_intent", "the fake provider is down")
    assert isinstance(error.__cause__, PaymentGatewayError)
    assert kit.bookings.get("acme", held).status == "HELD"
    # What the message says a retry meets, and what it says to do instead.
    with pytest.raises(AlreadyBooked) as again:
        kit.payments.book("acme", lesson, "student:ana", actor="ana")
    assert again.value.booking_id == held
    kit.payments.cancel("acme", held, actor="ana")
    booked = kit.payments.book("acme", lesson, "student:ana", actor="ana", idempotency_key="k2")
    assert (booked.booking.status, booked.client_secret is not None) == ("HELD", True)
