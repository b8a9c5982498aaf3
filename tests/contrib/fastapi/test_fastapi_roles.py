"""Roles a route acts in are the ones the host granted the caller, never the ones a client claims.

The test app's caller takes its granted roles from the ``X-Roles`` header (a
stand-in for the host's login; see ``conftest.py``); without it, the caller
holds :data:`~sessionkit.contrib.fastapi.DEFAULT_ROLES`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from sessionkit.contrib.fastapi import DEFAULT_ROLES, Caller
from sessionkit.contrib.fastapi.payment_schemas import PaymentEventIn
from sessionkit.errors import InvalidValue, RoleNotGranted, WrongType
from sessionkit.testing.payments import FakeGateway

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
STUDENT = {"X-Actor": "ann", "X-Roles": "student", "X-Participant": "student:ann"}


def iso(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def test_a_caller_holds_the_default_roles_unless_the_host_grants_others() -> None:
    assert Caller("acme").roles == DEFAULT_ROLES == {"participant", "attendee"}
    assert Caller("acme", roles=["student", "student"]).roles == frozenset({"student"})
    assert Caller("acme", roles=()).roles == frozenset()
    with pytest.raises(WrongType):
        Caller("acme", roles="host")  # a string is not a set of roles
    with pytest.raises(InvalidValue):
        Caller("acme", roles={""})


class World:
    """A paid, confirmed booking of ann's, and a pending reschedule request of hers."""

    def __init__(self, client: TestClient, gateway: FakeGateway) -> None:
        self.client = client
        slot = {"start": iso(72), "end": iso(73), "lifecycle": "lms", "capacity": 3}
        made = client.post("/v1/sessions", json=slot)
        self.session_id = made.json()["id"]
        booked = client.post(
            f"/v1/sessions/{self.session_id}/paid-bookings",
            json={"participant": "student:ann", "role": "student"},
            headers=STUDENT,
        )
        assert booked.status_code == 201, booked.text
        self.booking_id = booked.json()["booking"]["id"]
        gateway.pay(booked.json()["payment"]["intent_ref"])
        for event in gateway.drain():  # the provider's webhook says paid
            body = PaymentEventIn.of(event).model_dump(mode="json")
            assert client.post("/v1/payments/events", json=body).status_code == 200
        asked = client.post(
            f"/v1/sessions/{self.session_id}/reschedules",
            json={"role": "student", "reason": "I have an exam that morning"},
            headers=STUDENT,
        )
        assert asked.status_code == 201, asked.text
        self.request_id = asked.json()["id"]

    def state(self) -> list[Any]:
        """Everything a refused request might have changed."""
        c, s = self.client, self.session_id
        return [
            c.get("/v1/sessions").json(),
            c.get(f"/v1/sessions/{s}/bookings").json(),
            c.get(f"/v1/sessions/{s}/reschedules").json(),
            c.get("/v1/payments").json(),
        ]


CLAIMS = [
    ("post", "/sessions/{s}/bookings", {"participant": "student:ben", "acting_role": "host"}),
    ("post", "/sessions/{s}/bookings", {"participant": "student:ben", "role": "host"}),
    ("post", "/sessions/{s}/paid-bookings", {"participant": "student:ben", "acting_role": "host"}),
    # The booking's own role too, when the request acts in a role it holds.
    (
        "post",
        "/sessions/{s}/bookings",
        {"participant": "student:ben", "role": "host", "acting_role": "student"},
    ),
    (
        "post",
        "/sessions/{s}/paid-bookings",
        {"participant": "student:ben", "role": "host", "acting_role": "student"},
    ),
    ("post", "/bookings/{b}/cancel", {"role": "admin"}),
    ("post", "/bookings/{b}/cancel-and-refund", {"role": "provider"}),
    ("post", "/sessions/{s}/reschedules", {"role": "host", "reason": "the host wants it moved"}),
    ("post", "/reschedules/{r}/approve", {"role": "host", "start": iso(96)}),
    ("post", "/reschedules/{r}/decline", {"role": "teacher"}),
    ("post", "/reschedules/{r}/withdraw", {"role": "host"}),
    ("get", "/sessions/{s}/options?role=host", None),
    ("post", "/sessions/{s}/cancel", {"role": "coach", "reason": "ill"}),
    ("post", "/sessions/{s}/transitions/cancel", {"role": "coach"}),
    (
        "post",
        "/sessions/transitions",
        {"session_ids": ["{s}"], "transition": "cancel", "role": "coach"},
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), CLAIMS)
def test_a_student_claiming_a_role_not_granted_is_refused_and_changes_nothing(
    paid_client: TestClient, gateway: FakeGateway, method: str, path: str, body: Any
) -> None:
    world = World(paid_client, gateway)
    ids = {"s": world.session_id, "b": world.booking_id, "r": world.request_id}
    url = "/v1" + path.format(**ids)
    if body is not None and "session_ids" in body:
        body = {**body, "session_ids": [world.session_id]}
    before = world.state()
    refused = paid_client.request(method, url, json=body, headers=STUDENT)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    # The first role named that the student does not hold (the acting role, then the role).
    named = [(body or {}).get(key) for key in ("acting_role", "role")]
    claimed = next((r for r in named if r is not None and r != "student"), "host")
    assert (problem["error"], problem["role"], problem["granted"]) == (
        "RoleNotGranted",
        claimed,
        ["student"],
    )
    assert problem["type"] == "urn:sessionkit:problem:role-not-granted"
    assert world.state() == before


def test_the_default_roles_are_not_granted_beside_the_hosts_grant(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    world = World(paid_client, gateway)
    url = f"/v1/bookings/{world.booking_id}/cancel"
    as_default = paid_client.post(url, headers=STUDENT)  # the body's default role: participant
    assert (as_default.status_code, as_default.json()["role"]) == (403, "participant")
    done = paid_client.post(url, json={"role": "student"}, headers=STUDENT)
    assert (done.status_code, done.json()["status"]) == (200, "CANCELLED")


def test_a_caller_the_host_grants_nothing_acts_in_the_default_roles(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    world = World(paid_client, gateway)
    plain = {"X-Roles": ",".join(sorted(DEFAULT_ROLES)), "X-Participant": "student:ben"}
    held = paid_client.post(
        f"/v1/sessions/{world.session_id}/paid-bookings",
        json={"participant": "student:ben"},
        headers=plain,
    )
    assert held.status_code == 201, held.text  # as an attendee
    booking_id = held.json()["booking"]["id"]
    done = paid_client.post(f"/v1/bookings/{booking_id}/cancel", headers=plain)
    assert (done.status_code, done.json()["status"]) == (200, "CANCELLED")  # as a participant
    options = paid_client.get(
        f"/v1/sessions/{world.session_id}/options?role=participant", headers=plain
    )
    assert options.status_code == 200, options.text


def test_role_not_granted_is_a_permission_error_naming_the_role() -> None:
    error = RoleNotGranted("host", granted={"student", "participant"})
    assert isinstance(error, PermissionError)
    assert (error.role, error.granted) == ("host", ("participant", "student"))
    assert str(error) == (
        "the caller may not act as 'host'; it was granted 'participant', 'student'"
    )
    assert "no role" in str(RoleNotGranted("x" * 500, granted=()))
    # Cut to a bound (300 characters of the value: a 255-character key is shown whole).
    assert len(str(RoleNotGranted("x" * 5000, granted=()))) < 400


def test_the_openapi_document_declares_403_on_every_route_but_the_open_reads(
    client: TestClient,
) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    open_to_all = {
        (method, path.removeprefix("/v1"))
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "403" not in operation["responses"]
    }
    # Every other route acts in a role, as the schedule's owner (staff), or for a participant.
    assert open_to_all == {
        ("get", "/sessions"),
        ("get", "/sessions/{session_id}"),
        ("get", "/series/{series_id}"),
        ("get", "/agenda"),
        ("get", "/sessions/{session_id}/seats"),
    }
    schema = paths["/v1/bookings/{booking_id}/cancel"]["post"]["responses"]["403"]
    assert "application/problem+json" in schema["content"]
