"""``GET /bookings``: the tenant's bookings, every participant's, by session start, paged.

``kit.bookings.for_tenant`` over HTTP, with the filters and cursor of the
participant's booking list; a caller kept to its own participant is refused
it, as the session's booking list is.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from .conftest import NOW, posted_session, problem


def booked(client: TestClient, session_id: str, participant: str, **body: Any) -> str:
    made = client.post(
        f"/v1/sessions/{session_id}/bookings", json={"participant": participant, **body}
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def listed(client: TestClient, **params: Any) -> list[tuple[str, str]]:
    answer = client.get("/v1/bookings", params=params)
    assert answer.status_code == 200, answer.text
    return [(b["participant"], b["status"]) for b in answer.json()["items"]]


def test_the_tenants_bookings_by_start_filtered_and_paged(client: TestClient) -> None:
    later = posted_session(client, NOW + timedelta(days=3))
    sooner = posted_session(client, NOW + timedelta(days=1), capacity=3)
    booked(client, later, "student:cai", confirm=True)
    booked(client, sooner, "student:bob")
    booked(client, sooner, "student:ann", confirm=True)
    every = listed(client)
    assert sorted(every[:2]) == [("student:ann", "CONFIRMED"), ("student:bob", "HELD")]
    assert every[2:] == [("student:cai", "CONFIRMED")]
    assert listed(client, status="HELD") == [("student:bob", "HELD")]
    two_days = {"start": NOW.isoformat(), "end": (NOW + timedelta(days=2)).isoformat()}
    assert sorted(listed(client, **two_days)) == sorted(every[:2])
    seen: list[tuple[str, str]] = []
    params: dict[str, Any] = {"limit": 1}
    while True:
        page = client.get("/v1/bookings", params=params).json()
        seen += [(b["participant"], b["status"]) for b in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == every


def test_a_caller_kept_to_its_participant_is_refused_the_list(client: TestClient) -> None:
    session_id = posted_session(client, NOW + timedelta(days=1))
    booked(client, session_id, "student:ann", confirm=True)
    student = {"X-Roles": "student", "X-Participant": "student:ann"}
    refused = problem(client.get("/v1/bookings", headers=student), 403, "ParticipantNotGranted")
    assert refused["granted"] == "student:ann"


def test_bad_arguments_are_problems_naming_them(client: TestClient) -> None:
    unknown = problem(client.get("/v1/bookings", params={"status": "PARKED"}), 422, "InvalidValue")
    assert "PARKED" in unknown["detail"]
    naive = problem(
        client.get("/v1/bookings", params={"start": "2026-03-02T08:00:00"}), 422, "NaiveDatetime"
    )
    assert "start" in naive["detail"]
    for limit in (0, 500):
        too = problem(
            client.get("/v1/bookings", params={"limit": limit}), 422, "RequestValidationError"
        )
        assert [e["loc"] for e in too["errors"]] == [["query", "limit"]]
