"""``GET /bookable`` without ``acting_role``, refused for its default role, says it named none.

A host granting its own roles (docs/fastapi.md's ``{"student"}``) refuses
``attendee``, the role ``GET /bookable`` judges in when no ``acting_role`` is
sent. The 403's ``needs_for`` was null, so its detail named a role the client
never sent; it now names the missing query parameter, as a booking's refusal
names the body's missing ``"role"``. An ``acting_role`` the client did send is
refused as before (``needs_for`` null).
"""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from .conftest import NOW, posted_session, problem

ANN = {"X-Actor": "ann", "X-Roles": "student", "X-Participant": "student:ann"}
WINDOW = {"start": NOW.isoformat(), "end": (NOW + timedelta(days=7)).isoformat()}


def test_bookable_naming_no_acting_role_is_told_to_name_one(client: TestClient) -> None:
    session_id = posted_session(client, NOW + timedelta(days=1), capacity=3)
    refused = problem(client.get("/v1/bookable", params=WINDOW, headers=ANN), 403, "RoleNotGranted")
    assert (refused["role"], refused["granted"], refused["needs_for"]) == (
        "attendee",
        ["student"],
        'the bookable sessions without "acting_role"',
    )
    assert refused["detail"] == (
        'the caller may not ask for the bookable sessions without "acting_role": that takes '
        "acting as 'attendee', and it was granted 'student'"
    )
    for sent in ("attendee", "host"):  # named by the client: its own role refused, as before
        named = client.get("/v1/bookable", params={**WINDOW, "acting_role": sent}, headers=ANN)
        assert (problem(named, 403, "RoleNotGranted")["needs_for"], named.json()["role"]) == (
            None,
            sent,
        )
    found = client.get("/v1/bookable", params={**WINDOW, "acting_role": "student"}, headers=ANN)
    assert (found.status_code, [b["session_id"] for b in found.json()]) == (200, [session_id])
