"""An unknown status: the client's input when the request names it (422), else the host's (500).

A stored session in a status its lifecycle no longer has (the lifecycle
changed under it) is the host's data or configuration to mend, as a stored
session of an unknown lifecycle is: a command on it is a server error. A
status the request names that no lifecycle of the kit has is the client's typo.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
from starlette.testclient import TestClient

from sessionkit import errors
from sessionkit.contrib.fastapi import problem_body, status_of
from sessionkit.contrib.fastapi.problems import asked
from sessionkit.services import SessionKit

from .conftest import NOW, posted_session, problem


def _strand(kit: SessionKit, session_id: str, status: str) -> None:
    """Store the session in ``status``, as a kit whose lifecycle had it did."""
    with kit.context.transaction(NOW) as tx:
        old = tx.sessions.get("acme", session_id)
        tx.sessions.update(attrs.evolve(old, status=status), expected_version=old.version)


def test_a_stored_sessions_unknown_status_is_a_server_error(
    client: TestClient, kit: SessionKit
) -> None:
    # It was a 422, telling the client to mend a request it could not mend.
    session_id = posted_session(client, NOW + timedelta(days=2))
    _strand(kit, session_id, "RETIRED")
    url = f"/v1/sessions/{session_id}"
    for answer in (
        client.patch(url, json={"title": "Algebra"}),
        client.post(f"{url}/cancel"),
        client.post(f"{url}/transitions/start"),
        client.post(f"{url}/bookings", json={"participant": "student:ann"}),
        client.delete(url),
    ):
        body = problem(answer, 500, "UnknownStatus")
        assert (body["type"], body["value"]) == ("urn:sessionkit:problem:unknown-status", "RETIRED")
        assert body["status"] == 500
    assert client.get(url).json()["status"] == "RETIRED"  # still read as stored
    stranded = errors.UnknownStatus("stranded", value="RETIRED", expected="SCHEDULED")
    assert status_of(stranded) == 500
    assert problem_body(asked(stranded))["status"] == 422


def test_a_status_the_request_names_is_the_clients_input(client: TestClient) -> None:
    posted_session(client, NOW + timedelta(days=2))
    listed = client.get("/v1/sessions", params={"status": ["SCHEDULED", "scheduled"]})
    body = problem(listed, 422, "UnknownStatus")
    assert (body["value"], body["status"]) == ("scheduled", 422)
    assert "SCHEDULED" in body["expected"]
    window = {"start": "2026-03-01T00:00:00Z", "end": "2026-03-09T00:00:00Z"}
    agenda = client.get("/v1/agenda", params={"resource": "tutor:tina", "status": "nope", **window})
    assert problem(agenda, 422, "UnknownStatus")["value"] == "nope"
    known = client.get("/v1/sessions", params={"status": "SCHEDULED"})
    assert known.status_code == 200, known.text
    assert [x["status"] for x in known.json()["items"]] == ["SCHEDULED"]
