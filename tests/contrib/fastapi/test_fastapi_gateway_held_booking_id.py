"""A keyless paid booking the provider failed: the problem body names the booking to cancel."""

from __future__ import annotations

from starlette.testclient import TestClient

from sessionkit.testing.payments import FakeGateway

from .test_fastapi_payments import ANN, slot


def test_the_body_names_the_held_booking_its_detail_says_to_cancel(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    session_id = slot(paid_client)
    gateway.fail_next()
    down = paid_client.post(
        f"/v1/sessions/{session_id}/paid-bookings", json={"participant": "student:ann"}, headers=ANN
    )
    body = down.json()
    assert (down.status_code, body["error"]) == (502, "PaymentGatewayError")
    held = body["booking_id"]
    assert f"cancel booking {held!r}" in body["detail"]
    assert "Idempotency-Key" in body["detail"]
    assert "idempotency_key" not in body["detail"]
