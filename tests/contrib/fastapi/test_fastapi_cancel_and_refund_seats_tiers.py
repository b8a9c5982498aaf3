"""``POST /bookings/{id}/cancel-and-refund`` with ``seats`` refunds as the role's policy says.

test_fastapi_cancel_and_refund_seats.py cancels as ``provider``, whom the
policy refunds in full, so a route that refunded a seat's whole part whatever
the role would pass it. Here the participant cancels one seat inside the
24-hour tier (50 %): the answer's payment shows half of that seat's 40, the
rest's cancel half of the 80 the rest paid, 60 in all as a whole cancel; with
one price per booking a seat back refunds nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model.money import Money
from sessionkit.policies import FixedPrice, RefundPolicy, RefundTier
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

from .conftest import HOURLY, NOW, RULES, ClientFor, posted_session
from .test_fastapi_payments import deliver

FAY = {"X-Actor": "fay", "X-Roles": "participant", "X-Participant": "student:fay"}
TIERS = RefundPolicy(
    tiers=(RefundTier(timedelta(hours=48), 100), RefundTier(timedelta(hours=24), 50))
)


def _paid(client: TestClient, gateway: FakeGateway) -> str:
    """Three seats of a one-hour session starting in 30 hours, paid: the booking's id."""
    session_id = posted_session(client, NOW + timedelta(hours=30), capacity=3)
    body = {"participant": "student:fay", "seats": 3}
    checkout = client.post(f"/v1/sessions/{session_id}/paid-bookings", json=body).json()
    gateway.pay(checkout["payment"]["intent_ref"])
    deliver(client, gateway)
    booking_id: str = checkout["booking"]["id"]
    return booking_id


def _cancel(client: TestClient, booking_id: str, body: dict[str, Any]) -> tuple[Any, ...]:
    done = client.post(f"/v1/bookings/{booking_id}/cancel-and-refund", json=body, headers=FAY)
    assert done.status_code == 200, done.text
    answer = done.json()
    paid = answer["payment"]
    return (
        answer["booking"]["status"],
        answer["booking"]["seats"],
        paid["amount"],
        paid["refunded"],
        paid["refund_due"],
    )


def _client(client_for: ClientFor, pricing: Any) -> tuple[TestClient, FakeGateway]:
    clock = ManualClock(NOW)
    gateway = FakeGateway(clock=clock.now)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        booking_rules=RULES,
        gateway=gateway,
        pricing=pricing,
        refunds=TIERS,
    )
    return client_for(kit), gateway


def test_a_seat_back_in_the_half_tier_refunds_half_its_part(client_for: ClientFor) -> None:
    client, gateway = _client(client_for, HOURLY)
    booking_id = _paid(client, gateway)
    assert _cancel(client, booking_id, {"seats": 1}) == (
        "CONFIRMED",
        2,
        "120.00",
        "20.00",  # 50 % of the seat's 40, not the 40 a provider's cancel refunds
        "0.00",
    )
    assert _cancel(client, booking_id, {}) == ("CANCELLED", 2, "120.00", "60.00", "0.00")


def test_a_seat_back_of_a_price_per_booking_refunds_nothing(client_for: ClientFor) -> None:
    client, gateway = _client(client_for, FixedPrice(Money.of(90, "EUR")))
    booking_id = _paid(client, gateway)
    assert _cancel(client, booking_id, {"seats": 1}) == ("CONFIRMED", 2, "90.00", "0.00", "0.00")
    assert _cancel(client, booking_id, {}) == ("CANCELLED", 2, "90.00", "45.00", "0.00")
