"""A role a request names is checked for its form first: blank or overlong, a 422 naming it.

No caller is granted a blank role, so ``"role": ""`` in a body (and ``?role=``)
was answered 403 ``RoleNotGranted`` ("may not act as ''"), as if the caller
lacked a grant; and ``GET /sessions/{id}/options?role=`` took a role of any
length (a 403 again) where a body's role was capped at 64 (a 422). Every role
input is now 1 to 64 characters in the schema (a session command's, 1 to 255,
as the core stores it), and beyond is a ``RequestValidationError`` whose entry
names the parameter, before any grant is judged.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from .conftest import NOW, posted_session, problem

BLANK, LONG = "", "r" * 65
TOMORROW = NOW + timedelta(days=1)


def _refused(response: Any, where: list[str], kind: str) -> None:
    body = problem(response, 422, "RequestValidationError")
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [(where, kind)]


@pytest.mark.parametrize(
    ("field", "sent", "kind"),
    [
        ("role", BLANK, "string_too_short"),
        ("acting_role", BLANK, "string_too_short"),
        ("role", LONG, "string_too_long"),
    ],
)
def test_a_booking_role_of_the_wrong_form_is_a_422_naming_it(
    client: TestClient, field: str, sent: str, kind: str
) -> None:
    session_id = posted_session(client, TOMORROW)
    body = {"participant": "student:ann", field: sent}
    _refused(client.post(f"/v1/sessions/{session_id}/bookings", json=body), ["body", field], kind)


def test_a_blank_role_of_a_session_or_booking_cancel_is_a_422(client: TestClient) -> None:
    session_id = posted_session(client, TOMORROW)
    booked = client.post(f"/v1/sessions/{session_id}/bookings", json={"participant": "student:a"})
    assert booked.status_code == 201, booked.text
    booking = booked.json()["id"]
    _refused(
        client.post(f"/v1/bookings/{booking}/cancel", json={"role": ""}),
        ["body", "role"],
        "string_too_short",
    )
    for url in (
        f"/v1/sessions/{session_id}/cancel",
        f"/v1/sessions/{session_id}/transitions/cancel",
    ):
        _refused(client.post(url, json={"role": ""}), ["body", "role"], "string_too_short")
    bulk = {"session_ids": [session_id], "transition": "cancel", "role": ""}
    _refused(
        client.post("/v1/sessions/transitions", json=bulk), ["body", "role"], "string_too_short"
    )
    # Nothing was done: the session and its booking stand.
    assert client.get(f"/v1/sessions/{session_id}").json()["status"] == "SCHEDULED"
    assert client.get(f"/v1/bookings/{booking}").json()["status"] == "HELD"


def test_a_blank_role_of_a_reschedule_request_is_a_422(client: TestClient) -> None:
    session_id = posted_session(client, TOMORROW)
    body = {"role": "", "reason": "an exam"}
    _refused(
        client.post(f"/v1/sessions/{session_id}/reschedules", json=body),
        ["body", "role"],
        "string_too_short",
    )


@pytest.mark.parametrize(("sent", "kind"), [(BLANK, "string_too_short"), (LONG, "string_too_long")])
def test_the_options_role_is_held_to_a_body_roles_bounds(
    client: TestClient, sent: str, kind: str
) -> None:
    session_id = posted_session(client, TOMORROW)
    asked = client.get(f"/v1/sessions/{session_id}/options", params={"role": sent})
    _refused(asked, ["query", "role"], kind)


def test_the_options_role_at_its_bounds_is_judged_by_the_grant(client: TestClient) -> None:
    session_id = posted_session(client, TOMORROW)
    longest = "r" * 64
    granted = client.get(
        f"/v1/sessions/{session_id}/options",
        params={"role": longest},
        headers={"X-Roles": f"admin,{longest}"},
    )
    assert granted.status_code == 200, granted.text
    refused = client.get(f"/v1/sessions/{session_id}/options", params={"role": "s"})
    assert problem(refused, 403, "RoleNotGranted")["role"] == "s"


def test_the_document_declares_every_role_bound(openapi_document: dict[str, Any]) -> None:
    schemas = openapi_document["components"]["schemas"]

    def bounds(schema: dict[str, Any]) -> tuple[int, int]:
        if "anyOf" in schema:  # an optional role: the string beside null
            [schema] = [s for s in schema["anyOf"] if s.get("type") == "string"]
        return schema["minLength"], schema["maxLength"]

    for name, field in [
        ("BookingCreate", "role"),
        ("BookingCreate", "acting_role"),
        ("BookingSeatsCancel", "role"),  # both cancels' body
        ("RescheduleAnswer", "role"),
        ("RescheduleCreate", "role"),
        ("RescheduleApprove", "role"),
    ]:
        assert bounds(schemas[name]["properties"][field]) == (1, 64), (name, field)
    for name in ("SessionCancel", "Transition", "BulkTransition"):
        assert bounds(schemas[name]["properties"]["role"]) == (1, 255), name
    options = openapi_document["paths"]["/v1/sessions/{session_id}/options"]["get"]
    [role] = [p for p in options["parameters"] if p["name"] == "role"]
    assert (role["required"], bounds(role["schema"])) == (True, (1, 64))
