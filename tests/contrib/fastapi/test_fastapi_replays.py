"""Replays, round trips and what a response may claim: the fields a client acts on are true.

A replayed paid booking whose hold ran out says so; an idempotent replay is
the same request in every field; a series read posts back; a conflict names
no session that was never stored; the webhooks declare their 401; an
attendance override names who decided it and fits in its session.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Header, HTTPException
from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.fastapi import PROBLEM_MEDIA_TYPE, Caller, sessionkit_router
from sessionkit.policies import BookingRules
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

from .conftest import problem

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ANN = {"X-Actor": "ann"}


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def new_session(client: TestClient, hours: float = 48, **extra: Any) -> str:
    body = {"start": at(hours), "end": at(hours + 1), "lifecycle": "lms", **extra}
    made = client.post("/v1/sessions", json=body)
    assert made.status_code == 201, made.text
    session_id: str = made.json()["id"]
    return session_id


# -- a paid booking replayed after its hold ran out --------------------------------------


def test_a_paid_booking_replayed_after_its_hold_ran_out_says_it_expired(
    paid_client: TestClient, clock: ManualClock, gateway: FakeGateway
) -> None:
    url = f"/v1/sessions/{new_session(paid_client)}/paid-bookings"
    body = {"participant": "student:ann", "hold_minutes": 15}
    key = {**ANN, "Idempotency-Key": "order-9"}
    first = paid_client.post(url, json=body, headers=key).json()
    assert (first["booking"]["status"], first["next_action"]) == ("HELD", "pay")
    replay = paid_client.post(url, json=body, headers=key).json()
    assert (replay["next_action"], replay["client_secret"]) == ("pay", first["client_secret"])

    clock.advance(timedelta(minutes=20))
    late = paid_client.post(url, json=body, headers=key)
    assert late.status_code == 201, late.text
    answer = late.json()
    assert answer["booking"]["id"] == first["booking"]["id"]  # the same booking, replayed
    assert (answer["next_action"], answer["client_secret"]) == ("expired", None)
    assert len(gateway.intents) == 1  # no second intent


# -- idempotent replays are the same request, every field --------------------------------

SERIES = {
    "title": "Weekly",
    "lifecycle": "lms",
    "items": [
        {
            "id": "mo",
            "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
            "start": "2026-03-09T18:00:00",
            "tz": "Europe/Berlin",
            "duration_minutes": 90,
            "resources": ["teacher:kim"],
        }
    ],
}


def test_a_series_replayed_with_other_fields_is_another_request(client: TestClient) -> None:
    key = {"Idempotency-Key": "series-1"}
    made = client.post("/v1/series", json=SERIES, headers=key)
    assert made.status_code == 201, made.text
    again = client.post("/v1/series", json=SERIES, headers=key)
    # The same series; what the first request skipped is not kept: None on a replay.
    assert (made.json()["skipped"], again.json()["skipped"]) == ([], None)
    first = {**made.json(), "skipped": None}
    assert again.json() == first
    defaults = {**SERIES, "capacity": 1, "metadata": {}}  # what an omitted field stands for
    assert client.post("/v1/series", json=defaults, headers=key).json() == first
    other = client.post("/v1/series", json={**SERIES, "metadata": {"plan": "gold"}}, headers=key)
    problem(other, 422, "IdempotencyKeyReused")
    problem(
        client.post("/v1/series", json={**SERIES, "capacity": 2}, headers=key),
        422,
        "IdempotencyKeyReused",
    )
    assert client.get(f"/v1/series/{made.json()['id']}").json()["metadata"] == {}


def test_a_session_replayed_with_fields_left_out_is_another_request(client: TestClient) -> None:
    body = {
        "start": at(24),
        "end": at(25),
        "lifecycle": "lms",
        "resources": ["teacher:zed"],
        "capacity": 5,
        "title": "Group",
        "metadata": {"level": "b1"},
    }
    key = {"Idempotency-Key": "session-1"}
    made = client.post("/v1/sessions", json=body, headers=key)
    assert made.status_code == 201, made.text
    assert client.post("/v1/sessions", json=body, headers=key).json() == made.json()
    for left_out in ("capacity", "title", "metadata", "resources"):
        asked = {k: v for k, v in body.items() if k != left_out}
        problem(client.post("/v1/sessions", json=asked, headers=key), 422, "IdempotencyKeyReused")
    other = {**body, "metadata": {"level": "c1"}}
    problem(client.post("/v1/sessions", json=other, headers=key), 422, "IdempotencyKeyReused")
    moved = {**body, "tz": "Europe/Berlin"}
    problem(client.post("/v1/sessions", json=moved, headers=key), 422, "IdempotencyKeyReused")

    bare = {"start": at(30), "end": at(31), "lifecycle": "lms"}
    key = {"Idempotency-Key": "session-2"}
    first = client.post("/v1/sessions", json=bare, headers=key).json()
    spelled = {**bare, "title": "", "capacity": 1, "tz": "UTC", "resources": [], "metadata": {}}
    assert client.post("/v1/sessions", json=spelled, headers=key).json() == first


@pytest.mark.parametrize(
    ("change", "path", "body"),
    [
        ("title", "", {"title": "Algebra II"}),
        ("cancel", "/cancel", {"reason": "teacher ill"}),
    ],
)
def test_a_session_replayed_after_it_was_changed_is_still_the_same_request(
    client: TestClient, change: str, path: str, body: dict[str, Any]
) -> None:
    # The replay was compared with the session as it is now: any edit since (a cancel
    # writes sealed_at among its own fields) made the very same request a 409.
    asked = {"start": at(48), "end": at(49), "lifecycle": "lms", "title": "Algebra"}
    key = {"Idempotency-Key": f"changed-{change}"}
    made = client.post("/v1/sessions", json=asked, headers=key)
    assert made.status_code == 201, made.text
    session_id = made.json()["id"]
    method = client.patch if change == "title" else client.post
    edited = method(f"/v1/sessions/{session_id}{path}", json=body)
    assert edited.status_code == 200, edited.text
    replay = client.post("/v1/sessions", json=asked, headers=key)
    assert replay.status_code == 201, replay.text
    assert replay.json() == client.get(f"/v1/sessions/{session_id}").json()
    assert replay.json()["version"] == 2  # returned as it is, not made again
    problem(
        client.post("/v1/sessions", json={**asked, "title": "Algebra II"}, headers=key),
        422,
        "IdempotencyKeyReused",
    )
    assert client.get("/v1/sessions").json()["total"] == 1


def test_a_session_replayed_after_its_start_is_the_session_it_made(
    clock: ManualClock, client_for: Any
) -> None:
    # create_extra judged the publishing rules before it looked for the key's session: a
    # retry arriving once the session had begun was refused in_the_past.
    rules = BookingRules(max_horizon=timedelta(weeks=4), publish_in_horizon=True)
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=clock, booking_rules=rules)
    client = client_for(kit)
    asked = {"start": at(2), "end": at(3), "lifecycle": "lms"}
    key = {"Idempotency-Key": "late-retry"}
    made = client.post("/v1/sessions", json=asked, headers=key)
    assert made.status_code == 201, made.text
    clock.advance(timedelta(hours=2, minutes=5))
    replay = client.post("/v1/sessions", json=asked, headers=key)
    assert replay.status_code == 201, replay.text
    assert replay.json() == made.json()
    fresh = client.post("/v1/sessions", json=asked, headers={"Idempotency-Key": "too-late"})
    assert problem(fresh, 409, "BookingRefused")["rule"] == "in_the_past"


def test_a_session_of_a_series_replayed_after_the_series_closed_is_the_one_it_made(
    client: TestClient,
) -> None:
    series = client.post("/v1/series", json=SERIES).json()
    body = {
        "start": "2026-03-10T17:00:00Z",
        "end": "2026-03-10T18:00:00Z",
        "series_id": series["id"],
    }
    key = {"Idempotency-Key": "extra-closed"}
    made = client.post("/v1/sessions", json=body, headers=key)
    assert made.status_code == 201, made.text
    booked = client.post(
        f"/v1/sessions/{made.json()['id']}/bookings", json={"participant": "student:bo"}
    )
    assert booked.status_code == 201, booked.text
    closed = client.post(f"/v1/series/{series['id']}/close")
    assert closed.status_code == 200, closed.text
    replay = client.post("/v1/sessions", json=body, headers=key)  # was 409 SeriesClosed
    assert replay.status_code == 201, replay.text
    assert replay.json()["id"] == made.json()["id"]


@pytest.mark.parametrize("start", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-02:00"])
def test_a_keyed_session_out_of_range_is_refused_as_without_a_key(
    client: TestClient, start: str
) -> None:
    body = {"start": start, "end": "2026-03-05T10:00:00Z", "lifecycle": "lms"}
    plain = problem(client.post("/v1/sessions", json=body), 422, "InvalidValue")
    keyed = client.post("/v1/sessions", json=body, headers={"Idempotency-Key": "far"})
    assert problem(keyed, 422, "InvalidValue")["detail"] == plain["detail"]


@pytest.mark.parametrize(
    ("first", "then"), [(1, True), (True, 1), (0, False), (False, 0), ("1", 1)]
)
def test_a_replay_whose_metadata_differs_as_json_is_another_request(
    client: TestClient, first: object, then: object
) -> None:
    """``1`` and ``true`` are one value to Python's ``==``, two to JSON: as a booking's replay."""
    key = {"Idempotency-Key": "meta-1"}
    body = {"start": at(24), "end": at(25), "lifecycle": "lms"}
    made = client.post("/v1/sessions", json={**body, "metadata": {"paid": first}}, headers=key)
    assert made.status_code == 201, made.text
    same = client.post("/v1/sessions", json={**body, "metadata": {"paid": first}}, headers=key)
    assert same.json() == made.json()
    other = client.post("/v1/sessions", json={**body, "metadata": {"paid": then}}, headers=key)
    problem(other, 422, "IdempotencyKeyReused")

    made = client.post("/v1/series", json={**SERIES, "metadata": {"n": first}}, headers=key)
    assert made.status_code == 201, made.text
    same = client.post("/v1/series", json={**SERIES, "metadata": {"n": first}}, headers=key)
    assert same.json() == {**made.json(), "skipped": None}
    other = client.post("/v1/series", json={**SERIES, "metadata": {"n": then}}, headers=key)
    problem(other, 422, "IdempotencyKeyReused")

    booked = {"participant": "student:ann", "metadata": {"paid": first}}
    url = f"/v1/sessions/{new_session(client)}/bookings"
    assert client.post(url, json=booked, headers=key).status_code == 201
    reused = client.post(url, json={**booked, "metadata": {"paid": then}}, headers=key)
    problem(reused, 422, "IdempotencyKeyReused")  # as a booking's replay always was


@pytest.mark.parametrize("blank", ["", " ", "   ", "\t "])
def test_a_blank_idempotency_key_is_refused_on_every_route(client: TestClient, blank: str) -> None:
    """A key of blanks is a client that sent none by mistake: 422 on every route, as bookings."""
    key = {"Idempotency-Key": blank}
    body = {"start": at(24), "end": at(25), "lifecycle": "lms"}
    refused = [
        client.post("/v1/sessions", json=body, headers=key),
        client.post("/v1/series", json=SERIES, headers=key),
        client.post("/v1/series", json={**SERIES, "series_id": "named"}, headers=key),
        client.post(
            f"/v1/sessions/{new_session(client)}/bookings",
            json={"participant": "student:ann"},
            headers=key,
        ),
    ]
    for response in refused:
        assert problem(response, 422, "InvalidValue")["value"] == blank
    assert client.get("/v1/sessions").json()["total"] == 1  # new_session's alone
    assert client.get("/v1/series/named").status_code == 404


def test_a_session_of_a_series_replayed_takes_the_series_fields_for_those_left_out(
    client: TestClient,
) -> None:
    series = client.post("/v1/series", json={**SERIES, "capacity": 4}).json()
    body = {
        "start": "2026-03-10T17:00:00Z",
        "end": "2026-03-10T18:00:00Z",
        "series_id": series["id"],
    }
    key = {"Idempotency-Key": "extra-1"}
    made = client.post("/v1/sessions", json=body, headers=key)
    assert made.status_code == 201, made.text
    assert (made.json()["title"], made.json()["capacity"]) == ("Weekly", 4)
    assert client.post("/v1/sessions", json=body, headers=key).json() == made.json()
    spelled = {**body, "title": "Weekly", "capacity": 4, "tz": "Europe/Berlin", "lifecycle": "lms"}
    assert client.post("/v1/sessions", json=spelled, headers=key).json() == made.json()
    problem(
        client.post("/v1/sessions", json={**body, "capacity": 3}, headers=key),
        422,
        "IdempotencyKeyReused",
    )
    problem(
        client.post(
            "/v1/sessions", json={**body, "series_id": None, "lifecycle": "lms"}, headers=key
        ),
        422,
        "IdempotencyKeyReused",
    )


# -- round trips and what a problem names ------------------------------------------------


def test_a_series_read_can_be_posted_back(client: TestClient) -> None:
    made = client.post("/v1/series", json=SERIES).json()
    [item] = client.get(f"/v1/series/{made['id']}").json()["items"]
    assert item["duration_minutes"] == 90
    assert isinstance(item["duration_minutes"], int)
    copy = {**SERIES, "title": "Copy", "items": [{**item, "resources": ["teacher:lee"]}]}
    posted = client.post("/v1/series", json=copy)
    assert posted.status_code == 201, posted.text
    assert posted.json()["items"][0]["duration_minutes"] == 90


def test_a_session_conflict_names_no_session_that_was_never_stored(client: TestClient) -> None:
    kept = new_session(client, 48, resources=["teacher:kim"])
    refused = client.post(
        "/v1/sessions",
        json={"start": at(48.5), "end": at(49.5), "lifecycle": "lms", "resources": ["teacher:kim"]},
    )
    body = problem(refused, 409, "SessionConflict")
    assert body["session"]["id"] is None  # it was refused, so never stored
    assert (body["session"]["start"], body["session"]["resources"]) == (
        at(48.5),
        ["teacher:kim"],
    )
    assert [c["id"] for c in body["conflicts"]] == [kept]
    assert client.get(f"/v1/sessions/{kept}").status_code == 200
    assert client.get("/v1/sessions").json()["total"] == 1

    moved = new_session(client, 72, resources=["teacher:kim"])  # a stored session keeps its id
    clash = client.patch(f"/v1/sessions/{moved}", json={"start": at(48.5), "end": at(49.5)})
    assert problem(clash, 409, "SessionConflict")["session"]["id"] == moved


def test_the_webhook_routes_declare_the_401_of_the_webhook_dependency(
    paid_kit: SessionKit,
) -> None:
    def signed(x_signature: Annotated[str | None, Header()] = None) -> Caller:
        if x_signature != "good":
            raise HTTPException(401, "bad signature")
        return Caller("acme")

    for webhook, status in ((signed, "401"), (None, "403")):
        app = FastAPI()
        app.include_router(
            sessionkit_router(kit=lambda: paid_kit, caller=lambda: Caller("acme"), webhook=webhook)
        )
        paths = app.openapi()["paths"]
        for path in ("/payments/events", "/presence-events"):
            declared = paths[path]["post"]["responses"]
            assert PROBLEM_MEDIA_TYPE in declared[status]["content"], (path, status)
        with TestClient(app) as client:
            assert client.post("/presence-events", json={"events": []}).status_code == int(status)


# -- the teacher's override --------------------------------------------------------------


def test_an_override_needs_an_actor_and_minutes_within_the_session(
    client: TestClient, clock: ManualClock
) -> None:
    session_id = new_session(client, 24)  # one hour
    clock.advance(timedelta(hours=26))  # the teacher reports after the lesson
    url = f"/v1/sessions/{session_id}/attendance/student:sara"
    anonymous = client.put(url, json={"status": "present"})
    assert problem(anonymous, 422, "InvalidValue")["expected"] == "Caller(tenant, actor=...)"
    tina = {"X-Actor": "tina"}
    for minutes in (99_999, 61):
        beyond = client.put(url, json={"status": "present", "minutes": minutes}, headers=tina)
        body = problem(beyond, 422, "InvalidValue")
        assert (body["value"], body["expected"]) == (minutes, "0..60")
    assert client.get(f"/v1/sessions/{session_id}/attendance").json() == []  # nothing stored
    told = client.put(url, json={"status": "present", "minutes": 60}, headers=tina)
    assert told.status_code == 200, told.text
    assert (told.json()["effective_minutes"], told.json()["override"]["decided_by"]) == (60, "tina")
