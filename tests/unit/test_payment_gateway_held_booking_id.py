"""A keyless paid booking's PaymentGatewayError names the held booking as a field, not only in text.

Its advice is to cancel that booking and book again with a key; a program (or
the FastAPI problem body, built from the error's fields) needs the id to do so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit import Money, PaymentGatewayError, SessionConflict
from sessionkit.policies import BookingRules, Rate
from sessionkit.services import SessionDraft
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


def test_a_drafted_sessions_advice_books_the_session_its_draft_stored() -> None:
    # The draft's session was stored with the held booking: the same draft again, with a key
    # or not, drafts another session at the same time, refused SessionConflict (its tutor).
    gateway = FakeGateway(clock=lambda: NOW)
    kit = Harness.in_memory(NOW, gateway=gateway, pricing=Rate(Money.of(40, "EUR"))).kit
    start = NOW + timedelta(days=3)
    draft = SessionDraft(
        start=start,
        end=start + timedelta(hours=1),
        resources=["tutor:tina"],
        lifecycle="marketplace",
    )
    gateway.fail_next()
    with pytest.raises(PaymentGatewayError) as failed:
        kit.payments.book("acme", draft, "student:ann", actor="ann")
    error = failed.value
    assert error.booking_id is not None
    stored = kit.bookings.get("acme", error.booking_id).session_id
    assert str(error).endswith(
        f"; booking {error.booking_id!r} stays held, on session {stored!r} its draft stored, "
        f"and the same request again drafts another session: cancel booking "
        f"{error.booking_id!r} and book session {stored!r} with an idempotency_key, which "
        "makes a retry safe"
    )
    with pytest.raises(SessionConflict):
        kit.payments.book("acme", draft, "student:ann", actor="ann", idempotency_key="k")
    kit.payments.cancel("acme", error.booking_id, actor="ann")
    booked = kit.payments.book("acme", stored, "student:ann", actor="ann", idempotency_key="k")
    assert (booked.booking.status, booked.client_secret is not None) == ("HELD", True)
    assert booked.booking.session_id == stored
