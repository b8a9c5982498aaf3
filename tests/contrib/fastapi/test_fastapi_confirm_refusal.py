"""``POST /bookings/{id}/confirm`` of a waitlist place: 409, saying what the participant can do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
"""The clock fixture's instant."""


def test_confirming_a_waitlist_place_is_a_409_invalid_transition_with_its_reason(
    client: TestClient,
) -> None:
    start = NOW + timedelta(days=1)
    made = client.post(
        "/v1/sessions",
        json={
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "lifecycle": "lms",
            "capacity": 1,
        },
    )
    url = f"/v1/sessions/{made.json()['id']}/bookings"
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
