"""What the core refuses, the OpenAPI document declares: a generated client is told in advance.

Each bound is read from the core's own constant or set, so the document and
the check cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient
from tests._versions import needs

from sessionkit.model.booking import BOOKING_STATUSES
from sessionkit.model.session import MAX_CAPACITY
from sessionkit.testing.clocks import ManualClock

from .conftest import NOW, posted_session

PROBLEM = "application/problem+json"


def schemas(client: TestClient) -> dict[str, Any]:
    found: dict[str, Any] = client.get("/openapi.json").json()["components"]["schemas"]
    return found


def test_a_bookings_seats_are_bounded_as_the_core_bounds_them(client: TestClient) -> None:
    # The schema said only "integer": 0 and 1,000,001 seats reached the core, refused there.
    for name in ("BookingCreate", "DraftBookingCreate", "PaidBookingCreate"):
        seats = schemas(client)[name]["properties"]["seats"]
        assert (seats["minimum"], seats["maximum"], seats["default"]) == (1, MAX_CAPACITY, 1)
    session_id = posted_session(client, NOW.replace(day=4))
    for sent in (0, MAX_CAPACITY + 1):
        answer = client.post(
            f"/v1/sessions/{session_id}/bookings",
            json={"participant": "student:ann", "seats": sent},
        )
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == PROBLEM
        body = answer.json()
        assert body["error"] == "RequestValidationError"
        assert [(e["loc"], e["input"]) for e in body["errors"]] == [(["body", "seats"], sent)]


def test_a_sessions_capacity_is_bounded_as_the_core_bounds_it(client: TestClient) -> None:
    # The schemas said only "integer": a capacity of 0 reached the core (check_capacity), refused.
    found = schemas(client)
    for name, kind in (("SessionCreate", 0), ("SessionUpdate", 0), ("SeriesCreate", None)):
        capacity = found[name]["properties"]["capacity"]
        bounded = capacity if kind is None else capacity["anyOf"][kind]
        assert (bounded["minimum"], bounded["maximum"]) == (1, MAX_CAPACITY)
    session_id = posted_session(client, NOW.replace(day=4))
    start, end = NOW.replace(day=5), NOW.replace(day=5, hour=NOW.hour + 1)
    span = {"start": start.isoformat(), "end": end.isoformat(), "lifecycle": "lms"}
    series = {
        "title": "Chemistry",
        "items": [
            {
                "id": "mon",
                "rrule": "FREQ=WEEKLY;COUNT=1",
                "start": "2026-03-09T18:00:00",
                "tz": "Europe/Berlin",
                "duration_minutes": 60,
            }
        ],
    }
    for sent in (0, MAX_CAPACITY + 1):
        for answer in (
            client.post("/v1/sessions", json={**span, "capacity": sent}),
            client.patch(f"/v1/sessions/{session_id}", json={"capacity": sent}),
            client.post("/v1/series", json={**series, "capacity": sent}),
        ):
            assert answer.status_code == 422, answer.text
            assert answer.headers["content-type"] == PROBLEM
            body = answer.json()
            assert body["error"] == "RequestValidationError"
            errors = [(e["loc"], e["input"]) for e in body["errors"]]
            assert errors == [(["body", "capacity"], sent)]
    most = client.patch(f"/v1/sessions/{session_id}", json={"capacity": MAX_CAPACITY})
    assert (most.status_code, most.json()["capacity"]) == (200, MAX_CAPACITY)


def test_a_bookings_status_is_declared_one_of_the_cores_booking_statuses(
    client: TestClient,
) -> None:
    # It was a bare string: a generated client could not switch over the statuses.
    status = schemas(client)["BookingOut"]["properties"]["status"]
    assert (status["type"], status["enum"]) == ("string", sorted(BOOKING_STATUSES))
    session_id = posted_session(client, NOW.replace(day=4))
    made = client.post(f"/v1/sessions/{session_id}/bookings", json={"participant": "student:ann"})
    assert made.status_code == 201, made.text
    assert made.json()["status"] in status["enum"]


def test_removing_unbooked_sessions_takes_no_body(client: TestClient, clock: ManualClock) -> None:
    # Every field of its body is optional, yet a request without one was a 422 (body missing).
    session_id = posted_session(client, NOW.replace(day=4))
    clock.set(NOW.replace(day=5))
    answer = client.post("/v1/sessions/remove-unbooked")
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert ([s["id"] for s in done["removed"]], done["kept"]) == ([session_id], [])
    operation = client.get("/openapi.json").json()["paths"]["/v1/sessions/remove-unbooked"]
    assert operation["post"]["requestBody"].get("required", False) is False


@needs("pydantic", "2.10", "a dict's key constraints in its schema (propertyNames)")
def test_an_own_fields_name_is_declared_non_empty(client: TestClient) -> None:
    # The schema let "" be a name (maxLength only), which the core refuses (check_field_key).
    for name in ("BookingCreate", "SessionCreate", "SeriesCreate"):
        metadata = schemas(client)[name]["properties"]["metadata"]["anyOf"][0]
        assert metadata["propertyNames"] == {"minLength": 1, "maxLength": 64}
    session_id = posted_session(client, NOW.replace(day=4))
    answer = client.post(
        f"/v1/sessions/{session_id}/bookings",
        json={"participant": "student:ann", "metadata": {"": "x", "ok": 1}},
    )
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "RequestValidationError"
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [
        (["body", "metadata", "", "[key]"], "string_too_short")
    ]


def test_the_seats_bookable_asks_for_are_bounded_as_a_bookings(client: TestClient) -> None:
    # The query said only "integer": 0 and 1,000,001 seats reached the core, refused there.
    operation = client.get("/openapi.json").json()["paths"]["/v1/bookable"]["get"]
    [seats] = [p["schema"] for p in operation["parameters"] if p["name"] == "seats"]
    assert (seats["minimum"], seats["maximum"], seats["default"]) == (1, MAX_CAPACITY, 1)
    window = {"start": NOW.isoformat(), "end": NOW.replace(day=9).isoformat()}
    for sent in (0, MAX_CAPACITY + 1):
        answer = client.get("/v1/bookable", params={**window, "seats": sent})
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == PROBLEM
        body = answer.json()
        assert body["error"] == "RequestValidationError"
        assert [(e["loc"], e["input"]) for e in body["errors"]] == [(["query", "seats"], str(sent))]
    posted_session(client, NOW.replace(day=4))
    most = client.get("/v1/bookable", params={**window, "seats": MAX_CAPACITY})
    assert (most.status_code, most.json()) == (200, [])  # taken, and no session has so many
