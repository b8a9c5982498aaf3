"""Join credentials through httpx: only for the caller's own participant, when the rules allow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.fastapi import Caller
from sessionkit.errors import InvalidValue, ParticipantNotGranted
from sessionkit.model.session import ResourceRef
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.services.rooms import RoomKeeper
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms

from .conftest import NOW, RULES, ClientFor

START = NOW + timedelta(hours=1)
END = START + timedelta(hours=1)
MIN = timedelta(minutes=1)


def utc(at: Any) -> str:
    return str(at.isoformat()).replace("+00:00", "Z")


@pytest.fixture
def rooms() -> FakeMeetingRooms:
    return FakeMeetingRooms()


def academy_kit(clock: ManualClock, rooms: FakeMeetingRooms) -> SessionKit:
    """An academy kit with meeting rooms: READY (joinable) 15 minutes before."""
    return SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        booking_rules=RULES,
        facts=attendance_facts(),
        rooms=rooms,
    )


@pytest.fixture
def academy(client_for: ClientFor, clock: ManualClock, rooms: FakeMeetingRooms) -> TestClient:
    """A client of :func:`academy_kit`."""
    return client_for(academy_kit(clock, rooms))


def lesson(client: TestClient) -> str:
    body = {
        "start": START.isoformat(),
        "end": END.isoformat(),
        "lifecycle": "academy",
        "capacity": 5,
        "resources": ["teacher:tara"],
    }
    made = client.post("/v1/sessions", json=body)
    assert made.status_code == 201, made.text
    session_id: str = made.json()["id"]
    booked = client.post(
        f"/v1/sessions/{session_id}/bookings",
        json={"participant": "student:ann", "confirm": True},
    )
    assert booked.status_code == 201, booked.text
    return session_id


def join(client: TestClient, session_id: str, participant: str | None) -> Any:
    headers = {} if participant is None else {"X-Participant": participant}
    return client.post(f"/v1/sessions/{session_id}/join", headers=headers)


def test_the_booked_student_and_the_teacher_get_their_own_credentials(
    academy: TestClient, clock: ManualClock, rooms: FakeMeetingRooms
) -> None:
    session_id = lesson(academy)
    clock.set(START - timedelta(minutes=10))
    ann = join(academy, session_id, "student:ann")
    assert ann.status_code == 200, ann.text
    body = ann.json()
    assert (body["participant"], body["expires_at"]) == ("student:ann", utc(END + 15 * MIN))
    assert body["token"] == f"token-{body['room_ref']}-student:ann-attendee"
    tara = join(academy, session_id, "teacher:tara").json()
    assert (tara["participant"], tara["room_ref"]) == ("teacher:tara", body["room_ref"])
    assert tara["token"].endswith("-teacher:tara-teacher")
    assert [c[0] for c in rooms.calls] == ["ensure", "credential", "ensure", "credential"]


def test_too_early_says_when_and_a_stranger_is_refused(
    academy: TestClient, rooms: FakeMeetingRooms
) -> None:
    session_id = lesson(academy)
    early = join(academy, session_id, "student:ann")
    assert early.status_code == 409, early.text
    problem = early.json()
    assert (problem["error"], problem["rule"]) == ("JoinRefused", "not_joinable")
    assert problem["allows_at"] == (START - 15 * MIN).isoformat()  # problems keep the offset
    stranger = join(academy, session_id, "student:bob").json()
    assert (stranger["error"], stranger["rule"]) == ("JoinRefused", "not_a_participant")
    assert join(academy, "nope", "student:ann").status_code == 404
    assert rooms.calls == []  # no room is made for a refusal


def test_a_caller_the_host_named_no_participant_for_gets_403(
    academy: TestClient, clock: ManualClock, rooms: FakeMeetingRooms
) -> None:
    session_id = lesson(academy)
    clock.set(START)
    refused = join(academy, session_id, None)
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert (problem["error"], problem["asked"]) == ("ParticipantNotGranted", "a join credential")
    assert rooms.calls == []


def test_a_kit_without_meeting_rooms_answers_422(client: TestClient) -> None:
    made = client.post(
        "/v1/sessions",
        json={"start": START.isoformat(), "end": END.isoformat(), "lifecycle": "lms"},
    )
    answer = join(client, made.json()["id"], "student:ann")
    assert answer.status_code == 422, answer.text
    assert "no meeting rooms" in answer.json()["detail"]


def test_caller_participant_is_checked_and_kept_as_text() -> None:
    assert Caller("acme", participant=ResourceRef("student", "ann")).participant == "student:ann"
    assert Caller("acme").participant is None
    with pytest.raises(InvalidValue):
        Caller("acme", participant="ann")
    assert "Caller.participant" in str(ParticipantNotGranted("a join credential"))


class _RoomsDown(FakeMeetingRooms):
    """A meeting provider whose room calls fail while ``down``."""

    down = False

    def ensure_room(self, **asked: Any) -> Any:
        if self.down:
            raise ConnectionError("the provider is down")
        return super().ensure_room(**asked)

    def close_room(self, **asked: Any) -> None:
        if self.down:
            raise ConnectionError("the provider is down")
        super().close_room(**asked)


def test_a_room_call_failing_after_a_stored_change_is_a_declared_502(
    client_for: ClientFor, clock: ManualClock
) -> None:
    # With a store's RoomKeeper, any command that changes a session's status may answer 502
    # MeetingRoomsError (the change stored, the room not opened or closed): the routes did
    # not declare it, so a client generated from the document met an undeclared status.
    rooms = _RoomsDown()
    kit = SessionKit(
        uow=InMemoryStore(publisher=RoomKeeper(rooms)).unit_of_work,
        clock=clock,
        booking_rules=RULES,
        rooms=rooms,
    )
    client = client_for(kit)
    declared = client.get("/openapi.json").json()["paths"]
    rooms.down = True
    cancelled = client.post(f"/v1/sessions/{lesson(client)}/cancel")
    assert cancelled.status_code == 502, cancelled.text
    assert cancelled.json()["error"] == "MeetingRoomsError"
    assert "502" in declared["/v1/sessions/{session_id}/cancel"]["post"]["responses"]
    second = lesson(client)  # the cancelled lesson's hour is free again
    clock.set(START - timedelta(minutes=10))  # the join runs the READY timer first
    joined = join(client, second, "student:ann")
    assert joined.status_code == 502, joined.text
    assert "502" in declared["/v1/sessions/{session_id}/join"]["post"]["responses"]
    for path, operations in declared.items():
        for method, operation in operations.items():
            if method != "get":
                assert "502" in operation["responses"], (method, path)


class _CredentialsDown(FakeMeetingRooms):
    """A meeting provider whose credential service fails while ``down``."""

    down = False

    def issue_credential(self, **asked: Any) -> Any:
        if self.down:
            raise ConnectionError("the credential service is down")
        return super().issue_credential(**asked)


def test_a_credential_the_provider_fails_is_the_declared_502_not_a_500(
    client_for: ClientFor, clock: ManualClock
) -> None:
    # join_credential let the provider's own error through: a plain-text 500.
    rooms = _CredentialsDown()
    client = client_for(academy_kit(clock, rooms))
    session_id = lesson(client)
    clock.set(START - timedelta(minutes=10))
    rooms.down = True
    failed = join(client, session_id, "student:ann")
    assert failed.status_code == 502, failed.text
    assert failed.headers["content-type"] == "application/problem+json"
    problem = failed.json()
    assert (problem["error"], problem["operation"]) == ("MeetingRoomsError", "issue_credential")
    assert "nothing was stored" in problem["detail"]
    rooms.down = False
    assert join(client, session_id, "student:ann").status_code == 200
