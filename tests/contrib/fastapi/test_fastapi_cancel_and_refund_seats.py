"""``POST /bookings/{id}/cancel-and-refund`` takes ``seats`` and ``expected_version``.

As ``POST /bookings/{id}/cancel`` does, both passed on to
``kit.payments.cancel``: ``seats`` gives back only those, refunded the part of
the payment they paid for (the booking keeps the rest); ``expected_version``
makes the same partial cancel sent again a 409 ``ConcurrentModification``,
nothing more given back or refunded. The route refused ``seats`` with a 422
``extra_forbidden``, so a client could give back some seats of a paid booking
only through ``/cancel``, whose answer has no payment.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from sessionkit.testing.payments import FakeGateway

from .conftest import NOW, posted_session, problem
from .test_fastapi_payments import deliver

DESK = {"X-Actor": "desk", "X-Roles": "provider"}


def _paid_family(client: TestClient, gateway: FakeGateway) -> dict[str, Any]:
    """Three seats of a one-hour session at 40 EUR a seat, paid (120 EUR): the booking."""
    session_id = posted_session(client, NOW + timedelta(days=2), capacity=3)
    checkout = client.post(
        f"/v1/sessions/{session_id}/paid-bookings",
        json={"participant": "student:fay", "seats": 3},
    ).json()
    assert (checkout["payment"]["amount"], checkout["payment"]["currency"]) == ("120.00", "EUR")
    gateway.pay(checkout["payment"]["intent_ref"])
    deliver(client, gateway)
    booking: dict[str, Any] = client.get(f"/v1/bookings/{checkout['booking']['id']}").json()
    assert (booking["status"], booking["seats"]) == ("CONFIRMED", 3)
    return booking


def test_cancel_and_refund_gives_back_some_seats_and_refunds_their_part(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    booking = _paid_family(paid_client, gateway)
    url = f"/v1/bookings/{booking['id']}/cancel-and-refund"
    body = {"role": "provider", "seats": 1, "expected_version": booking["version"]}
    done = paid_client.post(url, json=body, headers=DESK)
    assert done.status_code == 200, done.text
    answer = done.json()
    assert (answer["booking"]["status"], answer["booking"]["seats"]) == ("CONFIRMED", 2)
    paid = answer["payment"]
    assert (paid["status"], paid["refunded"], paid["refundable"]) == (
        "PARTIALLY_REFUNDED",
        "40.00",  # a provider's cancel refunds all of the seat's 40
        "80.00",
    )
    again = problem(paid_client.post(url, json=body, headers=DESK), 409, "ConcurrentModification")
    assert (again["expected"], again["actual"]) == (booking["version"], booking["version"] + 1)
    payment = paid_client.get(f"/v1/payments/{paid['id']}").json()
    assert (payment["refunded"], payment["refund_due"]) == ("40.00", "0.00")  # nothing more
    assert paid_client.get(f"/v1/bookings/{booking['id']}").json()["seats"] == 2
