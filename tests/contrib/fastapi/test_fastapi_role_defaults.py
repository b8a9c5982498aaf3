"""A body that names no role, refused for its default role, says it named none.

A host granting its own roles (docs/fastapi.md's ``{"student"}``) refuses the
default a booking without ``role`` acts in, ``attendee`` (a booking's cancel:
``participant``). The 403 said "the caller may not act as 'attendee'", a role
the client never sent, so a new user following the docs could not tell what
to change. Its ``needs_for`` now names the body's missing ``"role"``; a role
the client did send is refused as before (``needs_for`` null).
"""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from .conftest import NOW, posted_session, problem

TOMORROW = NOW + timedelta(days=1)
ANN = {"X-Actor": "ann", "X-Roles": "student", "X-Participant": "student:ann"}


def test_a_booking_naming_no_role_is_told_to_name_one(client: TestClient) -> None:
    session_id = posted_session(client, TOMORROW, capacity=3)
    url = f"/v1/sessions/{session_id}/bookings"
    for body in (
        {"participant": "student:ann"},
        {"participant": "student:ann", "acting_role": "student"},
    ):
        refused = problem(client.post(url, json=body, headers=ANN), 403, "RoleNotGranted")
        assert (refused["role"], refused["granted"], refused["needs_for"]) == (
            "attendee",
            ["student"],
            'a booking without "role"',
        )
        assert refused["detail"] == (
            'the caller may not ask for a booking without "role": that takes acting as '
            "'attendee', and it was granted 'student'"
        )
    named = client.post(url, json={"participant": "student:ann", "role": "host"}, headers=ANN)
    assert (problem(named, 403, "RoleNotGranted")["needs_for"], named.json()["role"]) == (
        None,
        "host",
    )
    assert client.get(url).json()["items"] == []  # nothing was booked
    booked = client.post(url, json={"participant": "student:ann", "role": "student"}, headers=ANN)
    assert (booked.status_code, booked.json()["role"]) == (201, "student")


def test_a_cancel_naming_no_role_is_told_to_name_one(client: TestClient) -> None:
    session_id = posted_session(client, TOMORROW)
    booked = client.post(
        f"/v1/sessions/{session_id}/bookings",
        json={"participant": "student:ann", "role": "student"},
        headers=ANN,
    )
    cancel = f"/v1/bookings/{booked.json()['id']}/cancel"
    nothing: list[dict[str, str] | None] = [{}, None]  # an empty body, and none at all
    for sent in nothing:
        refused = problem(client.post(cancel, json=sent, headers=ANN), 403, "RoleNotGranted")
        assert (refused["role"], refused["needs_for"]) == (
            "participant",
            'a booking\'s cancel without "role"',
        )
    assert client.get(f"/v1/bookings/{booked.json()['id']}").json()["status"] == "HELD"
    cancelled = client.post(cancel, json={"role": "student"}, headers=ANN)
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "CANCELLED")
