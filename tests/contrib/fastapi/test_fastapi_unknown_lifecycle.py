"""An unknown lifecycle: the client's input when the request names it (422), else the host's (500).

A stored session of a lifecycle the kit no longer knows (renamed or removed
since it was stored) is the host's data or configuration to mend: a command
on it is a server error, answered as problem+json like the other 5xx. A
lifecycle the request names that the kit does not know is the client's typo.
"""

from __future__ import annotations

from datetime import time, timedelta

import attrs
from fastapi import FastAPI
from starlette.testclient import TestClient

from sessionkit import errors
from sessionkit.availability import Availability
from sessionkit.contrib.fastapi import (
    Caller,
    problem_body,
    sessionkit_router,
    status_of,
    within_availability,
)
from sessionkit.services import SessionDraft, SessionKit

from .conftest import NOW, posted_session, problem


def _retire(kit: SessionKit, session_id: str, lifecycle: str) -> None:
    """Store the session under ``lifecycle``, as a kit that knew it did."""
    with kit.context.transaction(NOW) as tx:
        old = tx.sessions.get("acme", session_id)
        tx.sessions.update(attrs.evolve(old, lifecycle=lifecycle), expected_version=old.version)


def test_a_stored_sessions_unknown_lifecycle_is_a_server_error(
    client: TestClient, kit: SessionKit
) -> None:
    # It was a 422, telling the client to mend a request it could not mend.
    session_id = posted_session(client, NOW + timedelta(days=2))
    _retire(kit, session_id, "retired")
    booked = client.post(f"/v1/sessions/{session_id}/bookings", json={"participant": "student:ann"})
    body = problem(booked, 500, "UnknownLifecycle")
    assert body["type"] == "urn:sessionkit:problem:unknown-lifecycle"
    assert (body["title"], body["name"]) == ("Unknown lifecycle", "retired")
    assert body["instance"] == f"/v1/sessions/{session_id}/bookings"
    assert status_of(errors.UnknownLifecycle("retired", ["lms"])) == 500
    # As much as the other server errors show: the message and the error's fields.
    assert set(body) == set(problem_body(errors.UnknownLifecycle("retired", ["lms"])))


def test_a_lifecycle_the_request_names_is_the_clients_input(client: TestClient) -> None:
    start, end = NOW + timedelta(days=2), NOW + timedelta(days=2, hours=1)
    span = {"start": start.isoformat(), "end": end.isoformat()}
    made = client.post("/v1/sessions", json={**span, "lifecycle": "nope"})
    assert problem(made, 422, "UnknownLifecycle")["name"] == "nope"
    drafted = client.post(
        "/v1/bookings",
        json={"participant": "student:ann", "session": {**span, "lifecycle": "nope"}},
    )
    assert problem(drafted, 422, "UnknownLifecycle")["name"] == "nope"
    item = {
        "id": "i1",
        "rrule": "FREQ=WEEKLY;COUNT=2",
        "start": "2026-03-09T10:00:00",
        "tz": "Europe/Berlin",
        "duration_minutes": 60,
    }
    series = client.post(
        "/v1/series", json={"title": "Algebra", "lifecycle": "nope", "items": [item]}
    )
    assert problem(series, 422, "UnknownLifecycle")["name"] == "nope"


def test_a_drafted_sessions_lifecycle_is_the_drafts_checks_to_judge(kit: SessionKit) -> None:
    # A visitor's is the check's to refuse (InvalidValue, as documented), checked before the
    # kit's names; the check's own lifecycle unknown to the kit is the host's configuration.
    def visitor() -> Caller:
        return Caller("acme", actor="v1")

    def open_hours(tenant: str, resource: object) -> Availability:
        return Availability.weekly({"TU": [(time(9), time(17))]}, tz="UTC")

    session = {
        "start": "2026-03-03T10:00:00Z",
        "end": "2026-03-03T11:00:00Z",
        "resources": ["consultant:cara"],
    }
    for lifecycle, status, error in (
        ("lms", 422, "InvalidValue"),
        ("gone", 500, "UnknownLifecycle"),
    ):
        app = FastAPI()
        drafts = within_availability(open_hours, lifecycle=lifecycle)
        app.include_router(sessionkit_router(kit=lambda: kit, caller=visitor, drafts=drafts))
        with TestClient(app) as client:
            sent = {**session, "lifecycle": "nope"} if lifecycle == "lms" else session
            answer = client.post("/bookings", json={"participant": "client:dora", "session": sent})
        body = problem(answer, status, error)
        assert body.get("name", body.get("value")) == ("nope" if lifecycle == "lms" else "gone")


def test_a_lifecycle_a_drafts_check_takes_from_the_client_is_the_clients(kit: SessionKit) -> None:
    # A host's check may keep what the visitor asked: its lifecycle typo was a 500.
    def visitor() -> Caller:
        return Caller("acme", actor="v1")

    def as_asked(_kit: SessionKit, _who: Caller, draft: SessionDraft) -> SessionDraft:
        return draft

    app = FastAPI()
    app.include_router(sessionkit_router(kit=lambda: kit, caller=visitor, drafts=as_asked))
    session = {"start": "2026-03-03T10:00:00Z", "end": "2026-03-03T11:00:00Z"}
    with TestClient(app) as client:
        typo = {"participant": "client:dora", "session": {**session, "lifecycle": "nope"}}
        body = problem(client.post("/bookings", json=typo), 422, "UnknownLifecycle")
        assert (body["name"], body["status"]) == ("nope", 422)
        known = {"participant": "client:dora", "session": {**session, "lifecycle": "lms"}}
        made = client.post("/bookings", json=known)
    assert made.status_code == 201, made.text
