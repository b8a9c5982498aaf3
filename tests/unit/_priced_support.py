"""A harness whose sessions are priced and keep a waitlist, and a slot in it.

Shared by the tests of what ``PaymentRequired`` advises (``test_payment_required_*``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sessionkit.model.money import Money
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import BookingRules, Rate
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

__all__ = ["NOW", "RULES", "TUTOR", "T", "priced_harness", "slot"]

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TUTOR = ResourceRef("tutor", "tina")
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15), offer_for=timedelta(hours=1))


def priced_harness() -> Harness:
    """Every session costs 40 EUR, paid through a fake gateway on the harness' clock."""
    made = Harness.in_memory(
        NOW,
        id_prefix="x",
        booking_rules=RULES,
        gateway=FakeGateway(clock=lambda: made.clock.now()),
        pricing=lambda _session: Rate(Money.of(40, "EUR")),
    )
    return made


def slot(h: Harness, capacity: int) -> Session:
    """A marketplace slot of ``capacity`` seats, two days on."""
    start = NOW + timedelta(days=2)
    return h.kit.sessions.create_extra(
        T,
        actor="tina",
        start=start,
        end=start + timedelta(hours=1),
        resources=[TUTOR],
        lifecycle="marketplace",
        capacity=capacity,
    )
