"""``GET /sessions/{id}/journal``: a session's audit trail over HTTP, for staff, in pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.fastapi.paging import journal_cursor
from sessionkit.model.session import Session
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

from .conftest import NOW, RULES, ClientFor, posted_session


@pytest.fixture
def journaled(client_for: ClientFor) -> tuple[SessionKit, TestClient]:
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=ManualClock(NOW),
        booking_rules=RULES,
        journal=True,
    )
    return kit, client_for(kit)


def test_staff_read_a_sessions_journal_in_pages(
    journaled: tuple[SessionKit, TestClient],
) -> None:
    kit, client = journaled
    start = NOW + timedelta(days=1)
    session = kit.sessions.create_extra(
        "acme",
        actor="tina",
        start=start,
        end=start + timedelta(hours=1),
        resources=["tutor:tina"],
        lifecycle="lms",
        capacity=3,
    )
    booking = kit.bookings.book("acme", session.id, "student:ana", actor="ana", confirm=True)
    kit.bookings.cancel("acme", booking.id, actor="ana", reason="sick")
    url = f"/v1/sessions/{session.id}/journal"
    first = client.get(url, params={"limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert [e["event"] for e in page["items"]] == ["SessionCreated", "BookingConfirmed"]
    assert page["items"][1]["details"] == {"participant": "student:ana", "seats": 1}
    assert page["limit"] == 2
    rest = client.get(url, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [(e["event"], e["actor"], e["status"], e["reason"]) for e in rest["items"]] == [
        ("BookingCancelled", "ana", "CANCELLED", "sick")
    ]
    assert rest["next_cursor"] is None
    bad = client.get(url, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422, bad.text
    assert bad.json()["error"] == "InvalidValue"
    student = client.get(url, headers={"X-Roles": "student", "X-Participant": "student:ana"})
    assert student.status_code == 403, student.text
    assert student.json()["error"] == "RoleNotGranted"


def test_the_journal_of_a_session_there_is_not_is_a_404(
    journaled: tuple[SessionKit, TestClient],
) -> None:
    kit, client = journaled
    session = lesson(kit)
    unknown = client.get("/v1/sessions/nope/journal")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "SessionNotFound"), unknown.text
    assert unknown.headers["content-type"] == "application/problem+json"
    # Another tenant's session is answered as one that does not exist, to the letter,
    # and as the session's own route answers it.
    url = f"/v1/sessions/{session.id}"
    theirs = client.get(f"{url}/journal", headers={"X-Tenant": "globex"})
    assert theirs.status_code == 404, theirs.text
    read = client.get(url, headers={"X-Tenant": "globex"})
    assert {**theirs.json(), "instance": None} == {**read.json(), "instance": None}
    never = client.get("/v1/sessions/nope/journal", headers={"X-Tenant": "globex"})
    assert json.loads(theirs.text.replace(session.id, "nope")) == never.json()
    assert client.head(f"{url}/journal", headers={"X-Tenant": "globex"}).status_code == 404
    # Its own tenant reads it, with a cursor past the end too.
    own = client.get(f"{url}/journal")
    assert own.status_code == 200, own.text
    [entry] = own.json()["items"]
    past = client.get(f"{url}/journal", params={"cursor": journal_cursor_of(kit, session.id)})
    assert (past.status_code, past.json()["items"]) == (200, []), past.text
    assert entry["event"] == "SessionCreated"


def test_a_deleted_sessions_history_stays_readable(
    journaled: tuple[SessionKit, TestClient],
) -> None:
    kit, client = journaled
    session = lesson(kit)
    kit.sessions.delete("acme", session.id, actor="tina")
    url = f"/v1/sessions/{session.id}/journal"
    assert client.get(f"/v1/sessions/{session.id}").status_code == 404
    history = client.get(url)
    assert history.status_code == 200, history.text
    assert [e["event"] for e in history.json()["items"]] == ["SessionCreated", "SessionDeleted"]
    # Read on from its last entry: nothing more, and still no 404.
    past = client.get(url, params={"cursor": journal_cursor_of(kit, session.id)})
    assert (past.status_code, past.json()["items"]) == (200, []), past.text


def test_a_kit_without_a_journal_answers_an_empty_page_or_a_404(client: TestClient) -> None:
    session_id = posted_session(client, NOW + timedelta(days=1))
    empty = client.get(f"/v1/sessions/{session_id}/journal")
    assert (empty.status_code, empty.json()["items"]) == (200, []), empty.text
    assert client.get("/v1/sessions/nope/journal").status_code == 404


def lesson(kit: SessionKit) -> Session:
    """A one-hour LMS lesson of tenant acme tomorrow."""
    start = NOW + timedelta(days=1)
    return kit.sessions.create_extra(
        "acme", actor="tina", start=start, end=start + timedelta(hours=1), lifecycle="lms"
    )


def journal_cursor_of(kit: SessionKit, session_id: str) -> str:
    """The cursor after the last entry of the session's history."""
    return journal_cursor(kit.journal.for_session("acme", session_id)[-1])
