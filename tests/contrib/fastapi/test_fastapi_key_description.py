"""The ``Idempotency-Key`` header is described as a replay answers: the record as it is now."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from .conftest import NOW, posted_session


def test_a_replay_answers_the_booking_as_it_stands_now_as_the_header_says(
    client: TestClient,
) -> None:
    url = f"/v1/sessions/{posted_session(client, NOW + timedelta(days=1))}/bookings"
    asked = {"participant": "student:ann"}
    key = {"Idempotency-Key": "checkout-1"}
    first = client.post(url, json=asked, headers=key).json()
    assert first["status"] == "HELD"
    cancelled = client.post(f"/v1/bookings/{first['id']}/cancel").json()
    replayed = client.post(url, json=asked, headers=key)
    assert replayed.status_code == 201, replayed.text
    assert replayed.json() == cancelled  # not the first result, HELD

    # It said "Replaying a command with the same key returns its first result."
    document = client.app.openapi()  # type: ignore[attr-defined]
    header = next(
        p
        for p in document["paths"]["/v1/sessions/{session_id}/bookings"]["post"]["parameters"]
        if p["name"] == "Idempotency-Key"
    )
    assert "as it stands now" in header["description"]
    assert "first result" not in header["description"]
