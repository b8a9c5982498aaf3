"""The booking routes declare in the OpenAPI document what the core refuses.

The project's rule (test_fastapi_schema_bounds.py): what the core refuses, the
OpenAPI document declares, so a client generated from it is told in advance.
A newcomer's review found three places the booking routes broke it: a
cancel's ``expected_version`` (the core refused one below 1, naming no field),
the ``Idempotency-Key`` header (1 to 255 characters, not blanks alone) and the
booking lists' ``status`` (one of the booking statuses).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from sessionkit.model.booking import BOOKING_STATUSES, MAX_IDEMPOTENCY_KEY_LENGTH

from .conftest import NOW, posted_session

PROBLEM = "application/problem+json"

BOOKING_LISTS = (
    "/v1/sessions/{session_id}/bookings",
    "/v1/bookings",
    "/v1/participants/{participant}/bookings",
)
"""The routes listing bookings filtered by ``status``."""


def _booked(client: TestClient) -> tuple[str, dict[str, Any]]:
    """A session of 3 seats and a confirmed booking of 2 of them: its id and the booking."""
    session_id = posted_session(client, NOW + timedelta(days=2), capacity=3)
    made = client.post(
        f"/v1/sessions/{session_id}/bookings",
        json={"participant": "parent:ana", "seats": 2, "confirm": True},
    )
    assert made.status_code == 201, made.text
    booking: dict[str, Any] = made.json()
    return session_id, booking


def _declared(schema: dict[str, Any], keyword: str) -> Any:
    """``keyword`` as ``schema`` declares it, on itself or on its non-null ``anyOf`` branch."""
    if keyword in schema:
        return schema[keyword]
    branches = [b for b in schema.get("anyOf", ()) if b.get("type") != "null"]
    return next((b[keyword] for b in branches if keyword in b), None)


def _parameter(document: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    [found] = [p for p in document["paths"][path][method]["parameters"] if p["name"] == name]
    schema: dict[str, Any] = found["schema"]
    return schema


def _names(body: dict[str, Any], field: str, where: str) -> bool:
    """Whether the problem ``body`` names ``field`` (its ``name``, or a schema error's ``loc``)."""
    if body.get("name") == field:
        return True
    return any(e["loc"] == [where, field] for e in body.get("errors", ()))


# -- expected_version -------------------------------------------------------------------------


def test_the_document_declares_that_a_cancels_expected_version_starts_at_1(
    openapi_document: dict[str, Any],
) -> None:
    version = openapi_document["components"]["schemas"]["BookingSeatsCancel"]["properties"][
        "expected_version"
    ]
    assert _declared(version, "minimum") == 1


@pytest.mark.parametrize("sent", [0, -1])
def test_an_expected_version_below_1_is_a_422_naming_it_and_cancels_nothing(
    client: TestClient, sent: int
) -> None:
    session_id, booking = _booked(client)
    refused = client.post(
        f"/v1/bookings/{booking['id']}/cancel", json={"seats": 1, "expected_version": sent}
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM
    assert _names(refused.json(), "expected_version", "body"), refused.text
    kept = client.get(f"/v1/bookings/{booking['id']}").json()
    assert (kept["status"], kept["seats"], kept["version"]) == ("CONFIRMED", 2, 1)
    assert client.get(f"/v1/sessions/{session_id}/seats").json()["remaining"] == 1


# -- Idempotency-Key ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1/sessions/{session_id}/bookings", "/v1/bookings", "/v1/paid-bookings"]
)
def test_the_document_declares_the_idempotency_keys_length(
    openapi_document: dict[str, Any], path: str
) -> None:
    key = _parameter(openapi_document, path, "post", "Idempotency-Key")
    declared = (_declared(key, "minLength"), _declared(key, "maxLength"))
    assert declared == (1, MAX_IDEMPOTENCY_KEY_LENGTH)


def test_the_idempotency_keys_length_is_refused_as_the_docs_say(client: TestClient) -> None:
    # What the declaration above would say: 1 to 255 characters, else a 422 (today's answer).
    session_id = posted_session(client, NOW + timedelta(days=2), capacity=3)
    for key in ("", "k" * (MAX_IDEMPOTENCY_KEY_LENGTH + 1)):
        refused = client.post(
            f"/v1/sessions/{session_id}/bookings",
            json={"participant": "student:ann"},
            headers={"Idempotency-Key": key},
        )
        assert (refused.status_code, refused.json()["error"]) == (422, "InvalidValue")
    longest = "k" * MAX_IDEMPOTENCY_KEY_LENGTH
    made = client.post(
        f"/v1/sessions/{session_id}/bookings",
        json={"participant": "student:ann"},
        headers={"Idempotency-Key": longest},
    )
    assert made.status_code == 201, made.text


# -- the booking lists' status ------------------------------------------------------------------


@pytest.mark.parametrize("path", BOOKING_LISTS)
def test_the_document_declares_the_booking_statuses_a_list_filters_by(
    openapi_document: dict[str, Any], path: str
) -> None:
    status = _parameter(openapi_document, path, "get", "status")
    items = _declared(status, "items") or {}
    assert sorted(items.get("enum", ())) == sorted(BOOKING_STATUSES)


@pytest.mark.parametrize("path", BOOKING_LISTS)
def test_a_status_that_is_no_booking_status_is_refused(client: TestClient, path: str) -> None:
    # What the declaration above would say: the statuses are compared as stored, in capitals.
    session_id, _ = _booked(client)
    url = path.format(session_id=session_id, participant="parent:ana")
    refused = client.get(url, params={"status": "held"})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM
    held = client.get(url, params={"status": "CONFIRMED"})
    assert [b["status"] for b in held.json()["items"]] == ["CONFIRMED"]


def test_every_expected_version_the_document_takes_is_declared_from_1(
    openapi_document: dict[str, Any],
) -> None:
    # The session and series routes too (update, cancel, a transition, delete, close): the
    # core's check_version refuses any below 1 on each.
    found: list[tuple[str, object]] = []
    for name, schema in openapi_document["components"]["schemas"].items():
        version = schema.get("properties", {}).get("expected_version")
        if version is not None:
            found.append((name, _declared(version, "minimum")))
    for path, methods in openapi_document["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", ()):
                if parameter["name"] == "expected_version":
                    found.append((f"{method} {path}", _declared(parameter["schema"], "minimum")))
    assert len(found) >= 6, found
    assert [where for where, minimum in found if minimum != 1] == []


@pytest.mark.parametrize("sent", ["0", "-1"])
def test_a_session_delete_below_version_1_is_a_422_naming_it(client: TestClient, sent: str) -> None:
    session_id = posted_session(client, NOW + timedelta(days=2), capacity=3)
    refused = client.delete(f"/v1/sessions/{session_id}", params={"expected_version": sent})
    assert refused.status_code == 422, refused.text
    assert _names(refused.json(), "expected_version", "query"), refused.text
    assert client.get(f"/v1/sessions/{session_id}").status_code == 200
