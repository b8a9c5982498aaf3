"""A keyless paid booking's PaymentGatewayError names the held booking as a field, not only in text.

Its advice is to cancel that booking and book again with a key; a program (or
the FastAPI problem body, built from the error's fields) needs the id to do so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit import Money, PaymentGatewayError
from sessionkit.policies import BookingRules, Rate
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_the_held_booking_is_a_field_of_the_error_and_following_it_books_again() -> None:
    gateway = FakeGateway(clock=lambda: NOW)
    kit = Harness.in_memory(
        NOW,
        gateway=gateway,
        pricing=Rate(Money.of(40, "EUR")),
        booking_rules=BookingRules(hold_for=timedelta(minutes=15)),
    ).kit
    lesson = kit.sessions.create_extra(
        "acme",
        actor="tina",
        title="Maths",
        start=NOW + timedelta(days=2),
        end=NOW + timedelta(days=2, minutes=90),
        lifecycle="marketplace",
        capacity=3,
    ).id
    gateway.fail_next()
    with pytest.raises(PaymentGatewayError) as failed:
        kit.payments.book("acme", lesson, "student:ana", actor="ana")
    held = kit.payments.get("acme", failed.value.payment_id).booking_id
    assert failed.value.booking_id == held
    kit.payments.cancel("acme", failed.value.booking_id, actor="ana")
    booked = kit.payments.book("acme", lesson, "student:ana", actor="ana", idempotency_key="k")
    assert booked.booking.status == "HELD"


def test_a_keyed_or_plain_gateway_error_names_no_booking() -> None:
    assert PaymentGatewayError("create_intent", "p1").booking_id is None
