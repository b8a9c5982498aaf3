"""A role that is only whitespace, or has whitespace at either end, is a 422, never a 403.

``"role": ""`` became a 422 naming the field (``test_fastapi_role_inputs``), but
``"role": "  "`` passed the schema's ``minLength`` and was answered 403
``RoleNotGranted`` ("may not act as '  '"), as if the caller lacked a grant,
though no caller is granted such a role and the core's policies refuse one
(``" student"`` names no rule of ``"student"``'s). Every role input now declares
:data:`~sessionkit.contrib.fastapi.schema_types.ROLE_PATTERN`, and
``GET /bookable``'s ``acting_role`` (read by the route, not the schema) is an
``InvalidValue`` naming the value.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from sessionkit.contrib.fastapi.schema_types import ROLE_PATTERN

from .conftest import NOW, posted_session, problem

TOMORROW = NOW + timedelta(days=1)
BLANKS = pytest.mark.parametrize(
    "sent", ["  ", "\t", " student", "student "], ids=["spaces", "tab", "leading", "trailing"]
)


def _refused(response: Any, where: list[str]) -> None:
    body = problem(response, 422, "RequestValidationError")
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [(where, "string_pattern_mismatch")]


@BLANKS
@pytest.mark.parametrize("field", ["role", "acting_role"])
def test_a_booking_role_of_whitespace_is_a_422_naming_it(
    client: TestClient, field: str, sent: str
) -> None:
    session_id = posted_session(client, TOMORROW)
    body = {"participant": "student:ann", field: sent}
    _refused(client.post(f"/v1/sessions/{session_id}/bookings", json=body), ["body", field])
    assert client.get(f"/v1/sessions/{session_id}/bookings").json()["items"] == []


@BLANKS
def test_a_whitespace_role_of_a_cancel_or_transition_is_a_422(
    client: TestClient, sent: str
) -> None:
    session_id = posted_session(client, TOMORROW)
    booked = client.post(f"/v1/sessions/{session_id}/bookings", json={"participant": "student:a"})
    assert booked.status_code == 201, booked.text
    booking = booked.json()["id"]
    _refused(client.post(f"/v1/bookings/{booking}/cancel", json={"role": sent}), ["body", "role"])
    for url in (
        f"/v1/sessions/{session_id}/cancel",
        f"/v1/sessions/{session_id}/transitions/cancel",
    ):
        _refused(client.post(url, json={"role": sent}), ["body", "role"])
    bulk = {"session_ids": [session_id], "transition": "cancel", "role": sent}
    _refused(client.post("/v1/sessions/transitions", json=bulk), ["body", "role"])
    assert client.get(f"/v1/sessions/{session_id}").json()["status"] == "SCHEDULED"
    assert client.get(f"/v1/bookings/{booking}").json()["status"] == "HELD"


@BLANKS
def test_a_whitespace_role_of_a_reschedule_or_the_options_is_a_422(
    client: TestClient, sent: str
) -> None:
    session_id = posted_session(client, TOMORROW)
    asked = client.post(
        f"/v1/sessions/{session_id}/reschedules", json={"role": sent, "reason": "an exam"}
    )
    _refused(asked, ["body", "role"])
    options = client.get(f"/v1/sessions/{session_id}/options", params={"role": sent})
    _refused(options, ["query", "role"])


@BLANKS
def test_a_whitespace_acting_role_of_bookable_is_an_invalid_value(
    client: TestClient, sent: str
) -> None:
    window = {"start": NOW.isoformat(), "end": TOMORROW.isoformat(), "acting_role": sent}
    body = problem(client.get("/v1/bookable", params=window), 422, "InvalidValue")
    assert body["value"] == sent
    assert body["expected"].startswith("a role name without leading or trailing whitespace")


def test_whitespace_only_str_strip_strips_is_refused_as_the_rest(client: TestClient) -> None:
    # The pattern's \s was pydantic's (Unicode White_Space), which leaves out the
    # information separators (U+001C..U+001F) that str.strip strips, as the core's role
    # checks do: the route refused them, with no loc. The pattern now names them itself.
    session_id = posted_session(client, TOMORROW)
    asked = client.get(f"/v1/sessions/{session_id}/options", params={"role": "\x1c"})
    _refused(asked, ["query", "role"])
    window = {"start": NOW.isoformat(), "end": TOMORROW.isoformat(), "acting_role": "s\x1f"}
    body = problem(client.get("/v1/bookable", params=window), 422, "InvalidValue")
    assert body["value"] == "s\x1f"  # read by the route: acting_role judges it as str.strip


def test_a_granted_role_with_inner_spaces_is_judged_by_the_grant(client: TestClient) -> None:
    session_id = posted_session(client, TOMORROW)
    granted = client.get(
        f"/v1/sessions/{session_id}/options",
        params={"role": "night student"},
        headers={"X-Roles": "admin,night student"},
    )
    assert granted.status_code == 200, granted.text
    refused = client.get(f"/v1/sessions/{session_id}/options", params={"role": "day student"})
    assert problem(refused, 403, "RoleNotGranted")["role"] == "day student"


def test_the_document_declares_the_pattern_on_every_role(
    openapi_document: dict[str, Any],
) -> None:
    schemas = openapi_document["components"]["schemas"]

    def pattern(schema: dict[str, Any]) -> str:
        if "anyOf" in schema:  # an optional role: the string beside null
            [schema] = [s for s in schema["anyOf"] if s.get("type") == "string"]
        found: str = schema["pattern"]
        return found

    for name, field in [
        ("BookingCreate", "role"),
        ("BookingCreate", "acting_role"),
        ("BookingSeatsCancel", "role"),  # both cancels' body
        ("RescheduleAnswer", "role"),
        ("RescheduleCreate", "role"),
        ("RescheduleApprove", "role"),
        ("SessionCancel", "role"),
        ("Transition", "role"),
        ("BulkTransition", "role"),
    ]:
        assert pattern(schemas[name]["properties"][field]) == ROLE_PATTERN, (name, field)
    options = openapi_document["paths"]["/v1/sessions/{session_id}/options"]["get"]
    [role] = [p for p in options["parameters"] if p["name"] == "role"]
    assert pattern(role["schema"]) == ROLE_PATTERN
