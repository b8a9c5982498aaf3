"""``GET /sessions/{id}/journal``: a session's audit trail over HTTP, for staff, in pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

from .conftest import NOW, RULES, ClientFor


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
