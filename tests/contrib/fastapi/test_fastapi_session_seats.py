"""``GET /sessions/{session_id}/seats``: a session's free seats now, a full one's included.

``kit.bookings.remaining_seats`` for one session: ``GET /bookable`` leaves a
full session out, so without this route a client could not tell a full
session from one it may not book for other reasons.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from .conftest import NOW, problem


def seats(client: TestClient, session_id: str, **headers: str) -> Any:
    answer = client.get(f"/v1/sessions/{session_id}/seats", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_sessions_seats_count_down_to_zero_when_full(client: TestClient) -> None:
    start = NOW + timedelta(days=2)
    made = client.post(
        "/v1/sessions",
        json={
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "lifecycle": "lms",
            "capacity": 3,
        },
    )
    session_id = made.json()["id"]
    assert seats(client, session_id) == {"session_id": session_id, "remaining": 3}
    for participant, count in (("student:ann", 2), ("student:bob", 1)):
        booked = client.post(
            f"/v1/sessions/{session_id}/bookings",
            json={"participant": participant, "seats": count},
        )
        assert booked.status_code == 201, booked.text
    # Full: GET /bookable leaves it out, this route says 0 (to any caller, as the schedule).
    window = {"start": NOW.isoformat(), "end": (NOW + timedelta(days=7)).isoformat()}
    assert client.get("/v1/bookable", params=window).json() == []
    student = {"X-Roles": "student", "X-Participant": "student:cy"}
    assert seats(client, session_id, **student) == {"session_id": session_id, "remaining": 0}
    assert client.post(f"/v1/sessions/{session_id}/cancel", json={}).status_code == 200
    assert seats(client, session_id)["remaining"] == 0


def test_an_unknown_or_another_tenants_session_is_not_found(client: TestClient) -> None:
    start = NOW + timedelta(days=2)
    made = client.post(
        "/v1/sessions",
        json={
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "lifecycle": "lms",
        },
    )
    session_id = made.json()["id"]
    for answer in (
        client.get("/v1/sessions/nope/seats"),
        client.get(f"/v1/sessions/{session_id}/seats", headers={"X-Tenant": "other"}),
    ):
        body = problem(answer, 404, "SessionNotFound")
        assert body["session_id"] in ("nope", session_id)
    long = problem(client.get(f"/v1/sessions/{'x' * 129}/seats"), 422, "InvalidValue")
    assert long["detail"].startswith("session_id is 129 characters long")
