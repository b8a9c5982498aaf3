"""A problem about a query parameter names the parameter the client sent, never the services'.

The routes hand their query parameters to the services under the services' own
argument names (``acting_role`` is ``role`` inside the route, ``status`` is
``statuses=``); a refusal of the value reads as the request was written.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from .conftest import problem

WINDOW = {"start": "2026-03-02T08:00:00Z", "end": "2026-03-09T08:00:00Z"}


def test_a_bad_acting_role_of_the_bookable_sessions_is_named_acting_role(
    client: TestClient,
) -> None:
    # It was "role must be a non-empty string": the route has no parameter "role".
    blank = problem(
        client.get("/v1/bookable", params={**WINDOW, "acting_role": ""}), 422, "InvalidValue"
    )
    assert blank["detail"] == "acting_role must be a non-empty string, got ''"
    assert blank["value"] == ""
    long = problem(
        client.get("/v1/bookable", params={**WINDOW, "acting_role": "r" * 65}),
        422,
        "InvalidValue",
    )
    assert long["detail"] == "acting_role is 65 characters long; at most 64 are allowed"


LISTS_OF_BOOKINGS_AND_PAYMENTS = [
    ("/v1/sessions/{id}/bookings", "booking", "HELD"),
    ("/v1/participants/student:ann/bookings", "booking", "HELD"),
    ("/v1/payments", "payment", "PENDING"),
    ("/v1/sessions/{id}/payments", "payment", "PENDING"),
]
EVERY_STATUS_FILTER = [
    ("/v1/sessions", {}),
    ("/v1/agenda", {"resource": "tutor:tina", **WINDOW}),
    *((path, {}) for path, _, _ in LISTS_OF_BOOKINGS_AND_PAYMENTS),
]


def _url(client: TestClient, path: str) -> str:
    if "{id}" not in path:
        return path
    made = client.post(
        "/v1/sessions",
        json={**WINDOW, "end": "2026-03-02T09:00:00Z", "lifecycle": "lms"},
    )
    assert made.status_code == 201, made.text
    return path.replace("{id}", made.json()["id"])


@pytest.mark.parametrize(("path", "kind", "example"), LISTS_OF_BOOKINGS_AND_PAYMENTS)
def test_a_status_no_record_has_is_named_status(
    client: TestClient, path: str, kind: str, example: str
) -> None:
    # It was "statuses: 'held' is no booking status": the parameter is status.
    body = problem(client.get(_url(client, path), params={"status": "held"}), 422, "InvalidValue")
    assert body["detail"] == f"status 'held' is no {kind} status"
    assert body["value"] == "held"
    assert example in body["expected"]
    listed = client.get(_url(client, path), params={"status": [example, example]})
    assert listed.status_code == 200, listed.text


@pytest.mark.parametrize(("path", "others"), EVERY_STATUS_FILTER)
def test_a_status_name_out_of_bounds_is_named_status(
    client: TestClient, path: str, others: dict[str, str]
) -> None:
    url = _url(client, path)
    refusals = [
        ("", "status item must be a non-empty string, got ''"),
        ("S" * 65, "status item is 65 characters long; at most 64 are allowed"),
        ([f"S{i}" for i in range(65)], "status holds more than 64 names"),
    ]
    for sent, detail in refusals:
        answer = client.get(url, params={**others, "status": sent})
        assert problem(answer, 422, "InvalidValue")["detail"] == detail


def test_a_reference_or_a_window_refused_is_told_in_the_apis_terms(client: TestClient) -> None:
    # It said "ResourceRef.id is 300 characters long" and "a TimeSpan needs end > start":
    # the client sent text and two instants, and has no class ResourceRef or TimeSpan.
    long = "student:" + "a" * 300
    for answer in (
        client.get(f"/v1/participants/{long}/bookings"),
        client.get("/v1/bookable", params={**WINDOW, "participant": long}),
        client.get("/v1/agenda", params={**WINDOW, "resource": long}),
    ):
        body = problem(answer, 422, "InvalidValue")
        assert body["detail"].startswith(
            "a reference's id (after its ':') is 300 characters long; at most 255 are allowed"
        ), body["detail"]
    backwards = {"start": WINDOW["end"], "end": WINDOW["start"]}
    for answer in (
        client.get("/v1/bookable", params=backwards),
        client.get("/v1/participants/student:ann/bookings", params=backwards),
    ):
        body = problem(answer, 422, "InvalidTimeSpan")
        assert body["detail"] == (
            "the end must be after the start, "
            "got start=2026-03-09T08:00:00+00:00 end=2026-03-02T08:00:00+00:00"
        )
        assert (body["start"], body["end"]) == (
            "2026-03-09T08:00:00+00:00",
            "2026-03-02T08:00:00+00:00",
        )  # the structured fields stay as they were


def test_a_participant_without_a_kind_is_shown_a_participants_form(client: TestClient) -> None:
    # It said "a resource reference looks like 'teacher:t-17'" of a participant parameter.
    session_id = _url(client, "{id}")
    answers = [
        client.get("/v1/participants/ann/bookings"),
        client.get("/v1/bookable", params={**WINDOW, "participant": "ann"}),
        client.get("/v1/payments", params={"participant": "ann"}),
        client.put(
            f"/v1/sessions/{session_id}/attendance/ann",
            json={"status": "present"},
            headers={"X-Actor": "t"},
        ),
        client.delete(f"/v1/sessions/{session_id}/attendance/ann", headers={"X-Actor": "t"}),
    ]
    for answer in answers:
        body = problem(answer, 422, "InvalidValue")
        assert body["detail"] == "a participant reference looks like 'student:ann', got 'ann'"
        assert (body["value"], body["expected"]) == ("ann", "kind:id")
    resource = problem(
        client.get("/v1/agenda", params={**WINDOW, "resource": "tina"}), 422, "InvalidValue"
    )
    assert resource["detail"] == "a resource reference looks like 'teacher:t-17', got 'tina'"


def test_a_booked_participant_without_a_kind_is_shown_a_participants_form(
    client: TestClient,
) -> None:
    # A booking's body said "a resource reference looks like 'teacher:t-17'", as the paths
    # and queries did before participant_named: the same participant, sent in a body.
    session_id = _url(client, "{id}")
    draft = {
        "start": "2026-03-03T08:00:00Z",
        "end": "2026-03-03T09:00:00Z",
        "lifecycle": "lms",
    }
    answers = [
        client.post(f"/v1/sessions/{session_id}/bookings", json={"participant": "ann"}),
        client.post("/v1/bookings", json={"participant": "ann", "session": draft}),
        client.post(f"/v1/sessions/{session_id}/paid-bookings", json={"participant": "ann"}),
        client.post("/v1/paid-bookings", json={"participant": "ann", "session": draft}),
    ]
    for answer in answers:
        body = problem(answer, 422, "InvalidValue")
        assert body["detail"] == "a participant reference looks like 'student:ann', got 'ann'"
        assert (body["value"], body["expected"]) == ("ann", "kind:id")
