"""A problem about a query parameter names the parameter the client sent, never the services'.

The routes hand their query parameters to the services under the services' own
argument names (``acting_role`` is ``role`` inside the route, ``status`` is
``statuses=``); a refusal of the value reads as the request was written.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

PROBLEM = "application/problem+json"
WINDOW = {"start": "2026-03-02T08:00:00Z", "end": "2026-03-09T08:00:00Z"}


def problem(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["status"], body["error"]) == (status, error)
    return body


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
