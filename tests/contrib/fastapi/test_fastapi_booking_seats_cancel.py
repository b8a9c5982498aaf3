"""``POST /bookings/{booking_id}/cancel`` with ``seats``: give back some seats, keep the rest.

The body's optional ``seats`` is passed on to ``kit.bookings.cancel(...,
seats=k)``: the booking keeps its status with the rest and the seats are free
again; none (or as many as it has) cancels it whole. A ``seats`` the schema
refuses (below 1, no int) is a 422 naming it, one above the booking's the
core's ``InvalidValue``, nothing done either way. ``cancel-and-refund`` takes
``seats`` too (test_fastapi_cancel_and_refund_seats.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from .conftest import NOW, posted_session, problem


def _family(client: TestClient) -> tuple[str, str]:
    """A session of 3 seats, all booked and confirmed for one family; their ids."""
    session_id = posted_session(client, NOW + timedelta(days=2), capacity=3)
    body = {"participant": "parent:ana", "seats": 3, "confirm": True}
    booked = client.post(f"/v1/sessions/{session_id}/bookings", json=body)
    assert booked.status_code == 201, booked.text
    return session_id, booked.json()["id"]


def _remaining(client: TestClient, session_id: str) -> Any:
    return client.get(f"/v1/sessions/{session_id}/seats").json()["remaining"]


def test_seats_in_the_body_give_back_only_those(client: TestClient) -> None:
    session_id, booking_id = _family(client)
    kept = client.post(f"/v1/bookings/{booking_id}/cancel", json={"seats": 1, "reason": "ill"})
    assert kept.status_code == 200, kept.text
    shown = kept.json()
    assert (shown["status"], shown["seats"], shown["version"]) == ("CONFIRMED", 2, 2)
    assert _remaining(client, session_id) == 1
    whole = client.post(f"/v1/bookings/{booking_id}/cancel", json={"seats": None})
    assert (whole.status_code, whole.json()["status"], whole.json()["seats"]) == (
        200,
        "CANCELLED",
        2,
    )
    assert _remaining(client, session_id) == 3


@pytest.mark.parametrize(
    ("sent", "kind"),
    [(0, "greater_than_equal"), ("1", "int_type"), (1.0, "int_type")],
    ids=["zero", "text", "float"],
)
def test_a_seats_the_schema_refuses_is_a_422_naming_it(
    client: TestClient, sent: object, kind: str
) -> None:
    session_id, booking_id = _family(client)
    refused = client.post(f"/v1/bookings/{booking_id}/cancel", json={"seats": sent})
    body = problem(refused, 422, "RequestValidationError")
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [(["body", "seats"], kind)]
    assert _remaining(client, session_id) == 0


def test_more_seats_than_the_booking_has_is_the_core_s_invalid_value(client: TestClient) -> None:
    session_id, booking_id = _family(client)
    assert client.post(f"/v1/bookings/{booking_id}/cancel", json={"seats": 2}).status_code == 200
    body = problem(
        client.post(f"/v1/bookings/{booking_id}/cancel", json={"seats": 2 + 1}),
        422,
        "InvalidValue",
    )
    assert "has 1 seat(s); a cancel gives back 1..1 of them, got seats=3" in body["detail"]
    assert client.get(f"/v1/bookings/{booking_id}").json()["seats"] == 1
    assert _remaining(client, session_id) == 2


def test_a_partial_cancel_sent_again_with_its_version_is_a_409_and_gives_back_no_more(
    client: TestClient,
) -> None:
    session_id, booking_id = _family(client)
    body = {"seats": 1, "expected_version": 1}
    assert client.post(f"/v1/bookings/{booking_id}/cancel", json=body).status_code == 200
    again = problem(
        client.post(f"/v1/bookings/{booking_id}/cancel", json=body), 409, "ConcurrentModification"
    )
    assert (again["expected"], again["actual"]) == (1, 2)
    assert client.get(f"/v1/bookings/{booking_id}").json()["seats"] == 2
    assert _remaining(client, session_id) == 1
