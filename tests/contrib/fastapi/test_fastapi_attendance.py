"""Presence events, the teacher's override and a session's attendance through httpx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from sessionkit.contrib.fastapi import sessionkit_router
from sessionkit.errors import InvalidDuration, NotADatetime
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

from .conftest import caller

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
START = NOW + timedelta(hours=1)


def iso(minutes: float) -> str:
    """The instant ``minutes`` after the session's start."""
    return (START + timedelta(minutes=minutes)).isoformat()


def utc(minutes: float) -> str:
    """The same instant as responses write it."""
    return iso(minutes).replace("+00:00", "Z")


def lesson(client: TestClient) -> str:
    body = {"start": iso(0), "end": iso(60), "lifecycle": "lms", "capacity": 5}
    made = client.post("/v1/sessions", json=body)
    assert made.status_code == 201, made.text
    session_id: str = made.json()["id"]
    return session_id


def event(session_id: str, n: int, who: str, action: str, minutes: float) -> dict[str, Any]:
    return {
        "provider": "meet",
        "event_id": f"e{n}",
        "session_id": session_id,
        "participant": who,
        "action": action,
        "at": iso(minutes),
    }


def test_presence_is_stored_once_and_the_first_join_starts_the_session(
    client: TestClient, clock: ManualClock
) -> None:
    session_id = lesson(client)
    clock.set(START + timedelta(minutes=50))  # the provider posts what happened: all of it past
    events = [
        event(session_id, 1, "student:ann", "join", 8),
        event(session_id, 2, "student:ann", "leave", 50),
        event("nope", 3, "student:bob", "join", 0),
    ]
    report = client.post("/v1/presence-events", json={"events": events})
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["recorded"], body["duplicates"], body["unknown"]) == (2, 0, ["meet:e3"])
    assert [(s["id"], s["status"]) for s in body["started"]] == [(session_id, "CONDUCTING")]

    replay = client.post("/v1/presence-events", json={"events": events[:2]}).json()
    assert (replay["recorded"], replay["duplicates"], replay["started"]) == (0, 2, [])


def test_attendance_is_derived_and_the_teachers_word_wins(
    client: TestClient, clock: ManualClock
) -> None:
    session_id = lesson(client)
    client.post(
        f"/v1/sessions/{session_id}/bookings",
        json={"participant": "student:bob", "confirm": True},
    )
    clock.set(START + timedelta(minutes=50))  # the provider posts what happened: all of it past
    client.post(
        "/v1/presence-events",
        json={
            "events": [
                event(session_id, 1, "student:ann", "join", 8),
                event(session_id, 2, "student:ann", "leave", 50),
            ]
        },
    )
    url = f"/v1/sessions/{session_id}/attendance"
    found = {a["participant"]: a for a in client.get(url).json()}
    ann, bob = found["student:ann"], found["student:bob"]
    assert (ann["status"], ann["minutes"], ann["attended"]) == ("late", 42, True)
    assert ann["intervals"] == [{"joined": utc(8), "left": utc(50)}]
    # Read before the lesson's end: bob may still come.
    assert (bob["status"], bob["attended"], bob["override"]) == ("pending", False, None)

    # Ann's join started the lesson: a report is taken while it runs.
    early = client.put(
        f"{url}/student:bob", json={"status": "present"}, headers={"X-Actor": "tina"}
    )
    assert early.status_code == 200, early.text
    clock.set(START + timedelta(minutes=70))  # the teacher reports after the lesson
    told = client.put(
        f"{url}/student:bob",
        json={"status": "present", "minutes": 60, "reason": "camera off"},
        headers={"X-Actor": "tina"},
    )
    assert told.status_code == 200, told.text
    bob = told.json()
    assert (bob["status"], bob["effective_status"], bob["effective_minutes"]) == (
        "absent",
        "present",
        60,
    )
    assert (bob["override"]["decided_by"], bob["attended"]) == ("tina", True)

    nobody = client.delete(f"{url}/student:bob")  # clearing it names who decided, as setting it
    assert nobody.status_code == 422, nobody.text
    assert (nobody.json()["error"], nobody.json()["value"]) == ("InvalidValue", None)
    cleared = client.delete(f"{url}/student:bob", headers={"X-Actor": "tina"})
    assert cleared.json() == {"cleared": True}
    assert client.delete(f"{url}/student:bob", headers={"X-Actor": "tina"}).json() == {
        "cleared": False
    }
    unknown = client.delete(
        "/sessions/no-such-session/attendance/student:bob", headers={"X-Actor": "tina"}
    )
    assert unknown.status_code == 404, unknown.text
    again = {a["participant"]: a for a in client.get(url).json()}
    assert again["student:bob"]["effective_status"] == "absent"

    midway = client.get(url, params={"as_of": iso(20)}).json()
    assert [a["minutes"] for a in midway if a["participant"] == "student:ann"] == [12]


def test_a_report_that_someone_came_waits_for_the_start(client: TestClient) -> None:
    session_id = lesson(client)  # not started: nothing would start it on the report
    url = f"/v1/sessions/{session_id}/attendance/student:bob"
    early = client.put(url, json={"status": "present"}, headers={"X-Actor": "tina"})
    assert early.status_code == 409, early.text
    assert (early.json()["rule"], early.json()["allows_at"]) == ("not_started", iso(0))
    ahead = client.put(url, json={"status": "absent"}, headers={"X-Actor": "tina"})
    assert ahead.status_code == 200, ahead.text  # that nobody will come may be said ahead


def test_bad_attendance_requests_are_problems(client: TestClient) -> None:
    session_id = lesson(client)
    url = f"/v1/sessions/{session_id}/attendance/student:ann"
    wrong = client.put(url, json={"status": "asleep"})
    assert (wrong.status_code, wrong.json()["error"]) == (422, "RequestValidationError")
    missing = client.put(
        "/v1/sessions/nope/attendance/student:ann",
        json={"status": "present"},
        headers={"X-Actor": "tina"},
    )
    assert (missing.status_code, missing.json()["error"]) == (404, "SessionNotFound")
    colon = client.post(
        "/v1/presence-events",
        json={"events": [{**event(session_id, 1, "student:ann", "join", 0), "provider": "a:b"}]},
    )
    assert (colon.status_code, colon.json()["error"]) == (422, "InvalidValue")
    empty = client.post("/v1/presence-events", json={"events": []})
    assert empty.json()["error"] == "RequestValidationError"
    naive = client.get(f"/v1/sessions/{session_id}/attendance", params={"as_of": "2026-03-02T09"})
    assert naive.json()["error"] == "NaiveDatetime"


def test_a_session_s_attendance_is_everyone_s_to_staff_and_its_teacher_else_one_s_own(
    client: TestClient, clock: ManualClock
) -> None:
    # It was open to every caller, an anonymous one included: the teacher's report of
    # another student, with its reason, read by anyone.
    body = {"start": iso(0), "end": iso(60), "lifecycle": "lms", "capacity": 5}
    made = client.post("/v1/sessions", json={**body, "resources": ["teacher:tom"]})
    session_id = made.json()["id"]
    for who in ("student:ana", "student:ben"):
        booked = client.post(
            f"/v1/sessions/{session_id}/bookings", json={"participant": who, "confirm": True}
        )
        assert booked.status_code == 201, booked.text
    clock.advance(timedelta(hours=2))
    report = {"status": "absent", "minutes": 0, "reason": "family emergency"}
    put = client.put(
        f"/v1/sessions/{session_id}/attendance/student:ben", json=report, headers={"X-Actor": "tom"}
    )
    assert put.status_code == 200, put.text
    url = f"/v1/sessions/{session_id}/attendance"

    def seen(headers: dict[str, str]) -> list[str]:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        return [a["participant"] for a in answer.json()]

    assert seen({}) == ["student:ana", "student:ben"]  # staff
    ana = {"X-Roles": "student", "X-Participant": "student:ana"}
    assert seen(ana) == ["student:ana"]
    teacher = {"X-Roles": "teacher", "X-Participant": "teacher:tom"}
    assert seen(teacher) == ["student:ana", "student:ben"]
    anonymous = client.get(url, headers={"X-Roles": "attendee"})
    assert anonymous.status_code == 403, anonymous.text
    assert anonymous.json()["error"] == "ParticipantNotGranted"
    assert "family emergency" not in anonymous.text


def test_a_presence_event_dated_in_the_future_is_refused_and_starts_nothing(
    client: TestClient, clock: ManualClock
) -> None:
    # A join dated ahead of the kit's clock was stored and started the lesson early.
    session_id = lesson(client)
    clock.set(START - timedelta(minutes=10))
    ahead = client.post(
        "/v1/presence-events", json={"events": [event(session_id, 1, "student:ann", "join", 1)]}
    )
    assert ahead.status_code == 422, ahead.text
    body = ahead.json()
    assert (body["error"], body["value"]) == ("InvalidValue", iso(1))
    assert body["expected"] == f"at or before {iso(-8)}"  # now plus the 2 minutes of skew
    assert body["detail"].startswith(f"events[0].at {iso(1)} is later than the kit's now")
    assert "120 seconds allowed for clock skew" in body["detail"]
    session = client.get(f"/v1/sessions/{session_id}").json()
    assert session["status"] == "SCHEDULED"
    assert client.get(f"/v1/sessions/{session_id}/attendance").json() == []

    clock.set(START - timedelta(minutes=1))  # the provider's clock 2 minutes ahead: taken
    skewed = client.post(
        "/v1/presence-events", json={"events": [event(session_id, 1, "student:ann", "join", 1)]}
    )
    assert skewed.status_code == 200, skewed.text
    assert skewed.json()["recorded"] == 1
    found = client.get(f"/v1/sessions/{session_id}/attendance").json()
    assert [a["intervals"] for a in found] == [[{"joined": utc(1), "left": None}]]


def test_a_routers_presence_skew_is_its_own_and_checked_when_built(
    kit: SessionKit, clock: ManualClock
) -> None:
    app = FastAPI()
    strict = sessionkit_router(kit=lambda: kit, caller=caller, presence_skew=timedelta(0))
    app.include_router(strict, prefix="/v1")
    with TestClient(app) as client:
        session_id = lesson(client)
        clock.set(START)
        late = event(session_id, 1, "student:ann", "join", 0)
        assert client.post("/v1/presence-events", json={"events": [late]}).status_code == 200
        ahead = event(session_id, 2, "student:ann", "leave", 0.5)
        refused = client.post("/v1/presence-events", json={"events": [late, ahead]})
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"].startswith(f"events[1].at {iso(0.5)} is later")
    with pytest.raises(
        InvalidDuration, match=r"presence_skew must be at most 1 hour long, got 2 hours$"
    ):
        sessionkit_router(kit=lambda: kit, caller=caller, presence_skew=timedelta(hours=2))
    with pytest.raises(NotADatetime, match="presence_skew"):
        sessionkit_router(kit=lambda: kit, caller=caller, presence_skew=120)  # type: ignore[arg-type]


LONG_ATTENDANCE = {
    "PresenceEventIn: a provider of 65": ({"provider": "m" * 65}, ["events", 0, "provider"]),
    "PresenceEventIn: an event_id of 129": ({"event_id": "e" * 129}, ["events", 0, "event_id"]),
    "PresenceEventIn: a session_id of 129": (
        {"session_id": "s" * 129},
        ["events", 0, "session_id"],
    ),
    "PresenceEventIn: a participant of 256": (
        {"participant": "student:" + "a" * 248},
        ["events", 0, "participant"],
    ),
    "OverrideIn: a reason of 2,001": ({"reason": "x" * 2001}, ["reason"]),
}


@pytest.mark.parametrize(("sent", "loc"), LONG_ATTENDANCE.values(), ids=LONG_ATTENDANCE.keys())
def test_an_attendance_body_past_a_length_cap_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient, clock: ManualClock, sent: dict[str, Any], loc: list[str | int]
) -> None:
    # The provider's strings and a teacher's reason were taken as far as the core's own
    # checks, undeclared, where the session and booking bodies cap theirs.
    session_id = lesson(client)
    clock.set(START + timedelta(minutes=10))
    urls = [f"/v1/sessions/{session_id}", f"/v1/sessions/{session_id}/attendance"]
    before = [client.get(url).json() for url in urls]
    if loc[0] == "events":
        joined = event(session_id, 1, "student:ann", "join", 5)
        refused = client.post("/v1/presence-events", json={"events": [{**joined, **sent}]})
    else:
        url = f"/v1/sessions/{session_id}/attendance/student:ann"
        refused = client.put(url, json={"status": "late", **sent}, headers={"X-Actor": "tina"})
    assert refused.status_code == 422, refused.text
    got = refused.json()
    assert got["error"] == "RequestValidationError"
    assert [e["loc"][1:][: len(loc)] for e in got["errors"]] == [loc]
    assert [client.get(url).json() for url in urls] == before


def test_attendance_bodies_at_the_length_caps_are_stored(
    client: TestClient, kit: SessionKit, clock: ManualClock
) -> None:
    session_id = kit.sessions.create_extra(
        "acme",
        actor=None,
        start=START,
        end=START + timedelta(hours=1),
        lifecycle="lms",
        capacity=5,
        session_id="s" * 128,
    ).id
    clock.set(START + timedelta(minutes=10))
    who = "student:" + "a" * 247
    # provider and event_id: each within its cap, "provider:event_id" at most 128 (the core's).
    joined = {**event(session_id, 1, who, "join", 5), "provider": "m" * 64, "event_id": "e" * 63}
    report = client.post("/v1/presence-events", json={"events": [joined]})
    assert report.status_code == 200, report.text
    assert (report.json()["recorded"], report.json()["unknown"]) == (1, [])
    url = f"/v1/sessions/{session_id}/attendance/{who}"
    told = client.put(url, json={"status": "late", "reason": "x" * 2000}, headers={"X-Actor": "t"})
    assert told.status_code == 200, told.text
    got = told.json()
    assert (got["participant"], got["override"]["reason"]) == (who, "x" * 2000)


def test_a_presence_events_participant_without_a_kind_is_shown_a_participants_form(
    client: TestClient, clock: ManualClock
) -> None:
    # It said "a resource reference looks like 'teacher:t-17'", as a booking's body did
    # before d065a645: the core reads a participant as any reference. Nothing is stored.
    session_id = lesson(client)
    clock.set(START + timedelta(minutes=50))
    events = [
        event(session_id, 1, "student:bob", "join", 0),
        event(session_id, 2, "ann", "join", 8),
    ]
    answer = client.post("/v1/presence-events", json={"events": events})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert (body["error"], body["value"], body["expected"]) == ("InvalidValue", "ann", "kind:id")
    assert body["detail"] == "a participant reference looks like 'student:ann', got 'ann'"
    again = client.post("/v1/presence-events", json={"events": events[:1]}).json()
    assert (again["recorded"], again["duplicates"]) == (1, 0)
