"""``POST /bookings/{id}/confirm`` of a waitlist place: 409, saying what the participant can do."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from .conftest import NOW, posted_session


def test_confirming_a_waitlist_place_is_a_409_invalid_transition_with_its_reason(
    client: TestClient,
) -> None:
    session_id = posted_session(client, NOW + timedelta(days=1), capacity=1)
    url = f"/v1/sessions/{session_id}/bookings"
    client.post(url, json={"participant": "student:ann", "confirm": True})
    waiting = client.post(url, json={"participant": "student:bob", "waitlist": True}).json()
    assert (waiting["status"], waiting["position"]) == ("WAITLISTED", 1)
    refused = client.post(f"/v1/bookings/{waiting['id']}/confirm")
    body = refused.json()
    assert (refused.status_code, body["error"], body["type"]) == (
        409,
        "InvalidTransition",
        "urn:sessionkit:problem:invalid-transition",
    )
    assert (body["subject"], body["subject_id"], body["booking_status"]) == (
        "booking",
        waiting["id"],
        "WAITLISTED",
    )
    reason = "it is waitlisted at position 1 and can be confirmed once a seat is offered to it"
    assert body["reason"] == reason
    assert body["detail"] == (
        f"cannot 'confirm' booking {waiting['id']!r} in status 'WAITLISTED': {reason}"
    )
