"""``GET /participants/{participant}/agenda``: what a participant is booked into, days ahead.

``kit.bookings.agenda`` over HTTP: the bookings in play of the sessions that
start within ``days`` of now and have not ended (one in progress included),
refused for another participant as the participant's booking list is.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from sessionkit.testing.clocks import ManualClock

from .conftest import NOW, posted_session, problem


def booked(client: TestClient, hours: float, participant: str = "student:ann") -> str:
    session_id = posted_session(client, NOW + timedelta(hours=hours))
    made = client.post(
        f"/v1/sessions/{session_id}/bookings", json={"participant": participant, "confirm": True}
    )
    assert made.status_code == 201, made.text
    return session_id


def listed(client: TestClient, **params: Any) -> list[tuple[str, str]]:
    answer = client.get("/v1/participants/student:ann/agenda", params=params)
    assert answer.status_code == 200, answer.text
    return [(b["session_id"], b["status"]) for b in answer.json()]


def test_the_agenda_lists_the_days_ahead_and_a_session_in_progress(
    client: TestClient, clock: ManualClock
) -> None:
    soon, later = booked(client, 48), booked(client, 24 * 10)
    booked(client, 48, participant="student:bob")
    assert listed(client) == [(soon, "CONFIRMED")]
    assert listed(client, days=14) == [(soon, "CONFIRMED"), (later, "CONFIRMED")]
    clock.set(NOW + timedelta(hours=48, minutes=30))  # the first one is under way
    assert listed(client, days=1) == [(soon, "CONFIRMED")]
    clock.set(NOW + timedelta(hours=49))  # and over
    assert listed(client, days=1) == []
    assert client.get("/v1/participants/student:nobody/agenda").json() == []


def test_days_out_of_bounds_is_refused_naming_days(client: TestClient) -> None:
    # At least 1 whatever the kit, so the schema declares it: it said only "integer", and a
    # generated client sent 0 to learn of the bound from the core.
    operation = client.get("/openapi.json").json()["paths"]["/v1/participants/{participant}/agenda"]
    [days] = [p for p in operation["get"]["parameters"] if p["name"] == "days"]
    assert (days["schema"]["minimum"], days["schema"]["default"]) == (1, 7)
    for sent in (0, -1):
        below = problem(
            client.get("/v1/participants/student:ann/agenda", params={"days": sent}),
            422,
            "RequestValidationError",
        )
        assert [(e["loc"], e["input"]) for e in below["errors"]] == [(["query", "days"], str(sent))]
    past = problem(
        client.get("/v1/participants/student:ann/agenda", params={"days": 3661}),
        422,
        "LimitExceeded",
    )
    assert past["detail"].startswith("the agenda's days: ")
    assert (past["name"], past["value"], past["maximum"]) == ("window", 3661 * 86400, 3660 * 86400)
    text = problem(
        client.get("/v1/participants/student:ann/agenda", params={"days": "a week"}),
        422,
        "RequestValidationError",
    )
    assert [e["loc"] for e in text["errors"]] == [["query", "days"]]


def test_the_agenda_is_the_participants_own(client: TestClient) -> None:
    booked(client, 48)
    student = {"X-Roles": "student", "X-Participant": "student:bob"}
    other = problem(
        client.get("/v1/participants/student:ann/agenda", headers=student),
        403,
        "ParticipantNotGranted",
    )
    assert (other["participant"], other["granted"]) == ("student:ann", "student:bob")
    own = client.get("/v1/participants/student:bob/agenda", headers=student)
    assert (own.status_code, own.json()) == (200, [])
    nameless = problem(client.get("/v1/participants/ann/agenda"), 422, "InvalidValue")
    assert nameless["detail"] == "a participant reference looks like 'student:ann', got 'ann'"
