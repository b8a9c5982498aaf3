"""Every route of ``sessionkit_router`` through httpx, on the in-memory store."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
"""The clock fixture's instant."""

PROBLEM = "application/problem+json"
NESTED = base64.urlsafe_b64encode(b"[" * 1500 + b"]" * 1500).decode()
"""A forged cursor: JSON nested past the interpreter's recursion limit."""


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def new_session(client: TestClient, hours: float = 24, **extra: Any) -> dict[str, Any]:
    body = {"start": at(hours), "end": at(hours + 1), "lifecycle": "lms", **extra}
    response = client.post("/v1/sessions", json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def problem(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["error"] == error
    assert body["type"].endswith(":" + body["type"].rsplit(":", 1)[1])
    assert body["detail"]
    return body


# -- sessions ---------------------------------------------------------------------------


def test_a_session_is_created_read_changed_cancelled_and_deleted(client: TestClient) -> None:
    made = new_session(client, title="Algebra", resources=["room:r1"], capacity=3)
    assert (made["title"], made["resources"], made["capacity"]) == ("Algebra", ["room:r1"], 3)
    assert made["start"] == "2026-03-03T08:00:00Z"
    assert made["status"] == "SCHEDULED"

    got = client.get(f"/v1/sessions/{made['id']}").json()
    assert got == made

    changed = client.patch(
        f"/v1/sessions/{made['id']}", json={"title": "Geometry", "expected_version": 1}
    ).json()
    assert (changed["title"], changed["version"]) == ("Geometry", 2)

    stale = client.patch(f"/v1/sessions/{made['id']}", json={"title": "X", "expected_version": 1})
    problem(stale, 409, "ConcurrentModification")

    wider = client.patch(f"/v1/sessions/{made['id']}", json={"capacity": 5}).json()
    assert (wider["capacity"], wider["version"]) == (5, 3)
    none = problem(
        client.patch(f"/v1/sessions/{made['id']}", json={"capacity": 0}),
        422,
        "RequestValidationError",
    )
    assert [(e["loc"], e["input"]) for e in none["errors"]] == [(["body", "capacity"], 0)]
    assert client.get(f"/v1/sessions/{made['id']}").json()["capacity"] == 5

    cancelled = client.post(f"/v1/sessions/{made['id']}/cancel", json={"reason": "ill"})
    assert cancelled.json()["status"] == "CANCELED"

    other = new_session(client, 48)
    gone = client.delete(f"/v1/sessions/{other['id']}")
    assert gone.status_code == 200
    assert gone.json()["id"] == other["id"]
    problem(client.get(f"/v1/sessions/{other['id']}"), 404, "SessionNotFound")


def test_a_named_transition_and_a_bulk_transition(client: TestClient) -> None:
    one, two = new_session(client, 24), new_session(client, 48)
    fired = client.post(f"/v1/sessions/{one['id']}/transitions/cancel", json={"reason": "x"})
    assert fired.json()["status"] == "CANCELED"
    unknown = client.post(f"/v1/sessions/{two['id']}/transitions/fly")
    body = problem(unknown, 409, "InvalidTransition")
    assert body["transition"] == "fly"
    assert "cancel" in body["allowed"]

    three = new_session(client, 72)
    bulk = client.post(
        "/v1/sessions/transitions",
        json={"session_ids": [two["id"], three["id"]], "transition": "cancel"},
    )
    assert [s["status"] for s in bulk.json()] == ["CANCELED", "CANCELED"]


def test_a_failed_command_leaves_nothing(client: TestClient) -> None:
    """A bulk transition is one unit of work: one unknown session, and none is changed."""
    one, two = new_session(client, 24), new_session(client, 48)
    refused = client.post(
        "/v1/sessions/transitions",
        json={"session_ids": [one["id"], "nope", two["id"]], "transition": "cancel"},
    )
    problem(refused, 404, "SessionNotFound")
    statuses = [client.get(f"/v1/sessions/{s['id']}").json()["status"] for s in (one, two)]
    assert statuses == ["SCHEDULED", "SCHEDULED"]


def test_a_conflict_names_the_sessions_in_the_way(client: TestClient) -> None:
    first = new_session(client, 24, resources=["teacher:t1"], title="A")
    clash = client.post(
        "/v1/sessions",
        json={"start": at(24.5), "end": at(25.5), "lifecycle": "lms", "resources": ["teacher:t1"]},
    )
    body = problem(clash, 409, "SessionConflict")
    assert body["type"] == "urn:sessionkit:problem:session-conflict"
    assert body["instance"] == "/v1/sessions"
    assert [c["id"] for c in body["conflicts"]] == [first["id"]]
    assert body["conflicts"][0]["resources"] == ["teacher:t1"]
    assert body["conflicts"][0]["start"] == "2026-03-03T08:00:00+00:00"


def test_a_number_json_cannot_carry_spoils_only_its_own_member(client: TestClient) -> None:
    # 1e999 is read as infinity, which JSON cannot carry: it used to turn every entry
    # of ``errors`` into one Python repr, its ``loc`` and ``type`` lost.
    sent = b'{"start": "2026-03-03T08:00:00+00:00", "end": 1e999, "lifecycle": 5}'
    answer = client.post("/v1/sessions", content=sent, headers={"content-type": "application/json"})
    errors = problem(answer, 422, "RequestValidationError")["errors"]
    by_loc = {tuple(error["loc"]): error for error in errors}
    assert set(by_loc) == {("body", "end"), ("body", "lifecycle")}
    assert by_loc["body", "end"]["input"] == "inf"
    assert by_loc["body", "end"]["type"] == "iso8601_datetime"  # a number, never read as a time
    assert (by_loc["body", "lifecycle"]["input"], by_loc["body", "lifecycle"]["type"]) == (
        5,
        "string_type",
    )


def test_bad_input_is_a_problem_not_a_500(client: TestClient) -> None:
    naive = client.post(
        "/v1/sessions", json={"start": "2026-03-03T08:00:00", "end": at(25), "lifecycle": "lms"}
    )
    body = problem(naive, 422, "RequestValidationError")
    assert body["errors"][0]["loc"] == ["body", "start"]

    # JSON of another type is not coerced: the library refuses these too (WrongType).
    slot = new_session(client, capacity=2)
    url = f"/v1/sessions/{slot['id']}/bookings"
    for field, value in [("seats", True), ("seats", "1"), ("seats", 1.0), ("confirm", "yes")]:
        sent = {"participant": "student:ann", field: value}
        body = problem(client.post(url, json=sent), 422, "RequestValidationError")
        assert body["errors"][0]["loc"] == ["body", field], (field, value)
    assert client.get(url).json()["items"] == []
    capacity = {"start": at(30), "end": at(31), "lifecycle": "lms", "capacity": "3"}
    problem(client.post("/v1/sessions", json=capacity), 422, "RequestValidationError")

    backwards = client.post(
        "/v1/sessions", json={"start": at(25), "end": at(24), "lifecycle": "lms"}
    )
    assert problem(backwards, 422, "InvalidTimeSpan")["expected"] == "end strictly after start"

    no_lifecycle = client.post("/v1/sessions", json={"start": at(24), "end": at(25)})
    problem(no_lifecycle, 422, "InvalidValue")

    unknown = client.post(
        "/v1/sessions", json={"start": at(24), "end": at(25), "lifecycle": "nope"}
    )
    assert problem(unknown, 422, "UnknownLifecycle")["name"] == "nope"

    naive_query = client.get("/v1/sessions", params={"start_from": "2026-03-03T08:00"})
    assert problem(naive_query, 422, "NaiveDatetime")["name"] == "start_from"

    typo = client.get("/v1/sessions", params={"status": "scheduled"})  # found nothing before
    assert problem(typo, 422, "UnknownStatus")["value"] == "scheduled"


def test_the_tenant_comes_from_the_caller(client: TestClient) -> None:
    mine = new_session(client)
    theirs = client.get(f"/v1/sessions/{mine['id']}", headers={"X-Tenant": "other"})
    body = problem(theirs, 404, "SessionNotFound")
    assert body["tenant"] == "other"
    assert client.get("/v1/sessions", headers={"X-Tenant": "other"}).json()["total"] == 0


def test_the_actor_comes_from_the_caller(client: TestClient, kit: SessionKit) -> None:
    made = client.post(
        "/v1/sessions",
        json={"start": at(24), "end": at(25), "lifecycle": "lms"},
        headers={"X-Actor": "ann"},
    ).json()
    assert kit.queries.get("acme", made["id"]).created_by == "ann"


# -- paging -----------------------------------------------------------------------------


def test_session_pages_are_keyset_and_stable_under_inserts(client: TestClient) -> None:
    ids = [new_session(client, 24 * day)["id"] for day in range(1, 6)]
    first = client.get("/v1/sessions", params={"limit": 2}).json()
    assert [s["id"] for s in first["items"]] == ids[:2]
    assert first["total"] == 5

    # Sessions inserted before the cursor's position neither repeat nor shift the next page.
    new_session(client, 1)
    new_session(client, 30)
    second = client.get("/v1/sessions", params={"limit": 2, "cursor": first["next_cursor"]})
    assert [s["id"] for s in second.json()["items"]] == ids[2:4]

    wrong_order = client.get(
        "/v1/sessions", params={"limit": 2, "cursor": first["next_cursor"], "sort": "title"}
    )
    problem(wrong_order, 422, "InvalidValue")
    problem(client.get("/v1/sessions", params={"cursor": "garbage"}), 422, "InvalidValue")
    problem(client.get("/v1/sessions", params={"cursor": NESTED}), 422, "InvalidValue")


def test_session_filters(client: TestClient) -> None:
    a = new_session(client, 24, title="Alpha", resources=["room:r1"])
    new_session(client, 48, title="Beta", resources=["room:r2"])
    by_room = client.get("/v1/sessions", params={"resource": "room:r1"}).json()
    assert [s["id"] for s in by_room["items"]] == [a["id"]]
    by_text = client.get("/v1/sessions", params={"search": "bet"}).json()
    assert [s["title"] for s in by_text["items"]] == ["Beta"]
    newest = client.get("/v1/sessions", params={"sort": "start", "descending": True}).json()
    assert [s["title"] for s in newest["items"]] == ["Beta", "Alpha"]


def test_session_search_matches_the_own_fields_named(client: TestClient) -> None:
    new_session(client, 24, title="Alpha", metadata={"client": "asha@example.com"})
    new_session(client, 48, title="Asha's review", metadata={"client": "dev@example.com"})
    new_session(client, 72, title="Gamma", metadata={"email": "ASHA@example.org"})

    def titles(**params: Any) -> list[str]:
        found = client.get("/v1/sessions", params=params)
        assert found.status_code == 200, found.text
        return [s["title"] for s in found.json()["items"]]

    assert titles(search="asha") == ["Asha's review"]
    assert titles(search="asha", search_field="client") == ["Alpha", "Asha's review"]
    both = {"search": "asha", "search_field": ["client", "email"]}
    assert titles(**both) == ["Alpha", "Asha's review", "Gamma"]
    alone = problem(
        client.get("/v1/sessions", params={"search_field": "client"}), 422, "InvalidValue"
    )
    assert "need a search" in alone["detail"]
    odd = client.get("/v1/sessions", params={"search": "a", "search_field": "e-mail"})
    assert problem(odd, 422, "InvalidValue")["value"] == "e-mail"
    many = {"search": "a", "search_field": [f"f{n}" for n in range(33)]}
    problem(client.get("/v1/sessions", params=many), 422, "RequestValidationError")


# -- series -----------------------------------------------------------------------------

SERIES: dict[str, Any] = {
    "title": "Chemistry A",
    "lifecycle": "lms",
    "capacity": 4,
    "items": [
        {
            "id": "mon",
            "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=3",
            "start": "2026-03-09T18:00:00",
            "tz": "Europe/Berlin",
            "duration_minutes": 90,
            "resources": ["teacher:t1"],
        }
    ],
}


def test_a_schedule_items_start_is_local_text_in_the_schema_as_in_the_answer(
    client: TestClient,
) -> None:
    # The schema said format: date-time (RFC 3339, with an offset) of a start the API writes
    # without one: a client generated from it failed to parse every series it read.
    made = client.post("/v1/series", json=SERIES)
    assert made.status_code == 201, made.text
    assert made.json()["items"][0]["start"] == "2026-03-09T18:00:00"
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("ScheduleItemIn", "ScheduleItemOut"):
        start = schemas[name]["properties"]["start"]
        assert (start["type"], "format" in start) == ("string", False)
        assert start["examples"] == ["2026-03-09T10:00:00"]


def test_a_new_series_reports_the_occurrences_it_skipped(client: TestClient) -> None:
    # The teacher is busy at the second Monday: that occurrence is skipped, and said so.
    busy = {
        "start": "2026-03-16T17:00:00Z",
        "end": "2026-03-16T18:00:00Z",
        "lifecycle": "lms",
        "resources": ["teacher:t1"],
        "title": "Staff meeting",
    }
    blocking = client.post("/v1/sessions", json=busy).json()["id"]
    made = client.post("/v1/series", json=SERIES)
    assert made.status_code == 201, made.text
    [skipped] = made.json()["skipped"]
    assert {k: v for k, v in skipped.items() if k != "message"} == {
        "item_id": "mon",
        "start": "2026-03-16T17:00:00Z",
        "end": "2026-03-16T18:30:00Z",
        "reason": "conflict",
        "resource": "teacher:t1",
        "blocking_id": blocking,
    }
    assert "teacher:t1 is busy with 'Staff meeting'" in skipped["message"]
    series_id = made.json()["id"]
    sessions = client.get("/v1/sessions", params={"series_id": series_id}).json()["items"]
    assert len(sessions) == 2


def test_a_series_is_created_with_its_sessions_then_closed(client: TestClient) -> None:
    response = client.post("/v1/series", json=SERIES)
    assert response.status_code == 201, response.text
    series = response.json()
    assert series.pop("skipped") == []
    assert series["items"][0]["rrule"].startswith("FREQ=WEEKLY")
    assert series["items"][0]["duration_minutes"] == 90
    assert client.get(f"/v1/series/{series['id']}").json() == series

    sessions = client.get("/v1/sessions", params={"series_id": series["id"]}).json()["items"]
    assert [s["start"] for s in sessions] == [
        "2026-03-09T17:00:00Z",
        "2026-03-16T17:00:00Z",
        "2026-03-23T17:00:00Z",
    ]
    closed = client.post(f"/v1/series/{series['id']}/close").json()
    assert closed["status"] == "closed"
    problem(client.get("/v1/series/nope"), 404, "SeriesNotFound")


def test_a_bad_rule_is_a_problem(client: TestClient) -> None:
    bad = {**SERIES, "items": [{**SERIES["items"][0], "rrule": "FREQ=SOMETIMES"}]}
    body = problem(client.post("/v1/series", json=bad), 422, "InvalidRecurrence")
    assert body["part"] == "FREQ"


ITEM: dict[str, Any] = SERIES["items"][0]
LONG_SERIES = {
    "a title of 256 characters": ({"title": "t" * 256}, ["title"]),
    "101 items": ({"items": [{**ITEM, "id": f"i{i}"} for i in range(101)]}, ["items"]),
    "a lifecycle of 65 characters": ({"lifecycle": "l" * 65}, ["lifecycle"]),
    "a group of 129 characters": ({"group": "g" * 129}, ["group"]),
    "a series_id of 129 characters": ({"series_id": "s" * 129}, ["series_id"]),
    "a metadata text of 2,001": ({"metadata": {"note": "x" * 2001}}, ["metadata"]),
    "51 metadata fields": ({"metadata": {f"k{i}": i for i in range(51)}}, ["metadata"]),
    "a metadata name of 65": ({"metadata": {"k" * 65: 1}}, ["metadata", "k" * 65]),
    "an item id of 129": ({"items": [{**ITEM, "id": "i" * 129}]}, ["items", 0, "id"]),
    "an rrule of 8,193": (
        {"items": [{**ITEM, "rrule": "FREQ=WEEKLY;" + "X" * 8181}]},
        ["items", 0, "rrule"],
    ),
    "an item tz of 65": ({"items": [{**ITEM, "tz": "z" * 65}]}, ["items", 0, "tz"]),
    "an item title of 256": ({"items": [{**ITEM, "title": "t" * 256}]}, ["items", 0, "title"]),
    "101 item resources": (
        {"items": [{**ITEM, "resources": [f"room:r{i}" for i in range(101)]}]},
        ["items", 0, "resources"],
    ),
    "an item resource of 256": (
        {"items": [{**ITEM, "resources": ["room:" + "r" * 251]}]},
        ["items", 0, "resources", 0],
    ),
}


@pytest.mark.parametrize(("sent", "loc"), LONG_SERIES.values(), ids=LONG_SERIES.keys())
def test_a_series_past_a_length_cap_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient, sent: dict[str, Any], loc: list[str | int]
) -> None:
    # POST /series took metadata up to the core's 64 KiB and every other field as far as the
    # core's own checks, undeclared, where POST /sessions and the bookings cap theirs.
    refused = client.post("/v1/series", json={**SERIES, **sent})
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["error"] == "RequestValidationError"
    assert [e["loc"][1:][: len(loc)] for e in body["errors"]] == [loc]
    assert client.get("/v1/sessions").json()["items"] == []


def test_a_series_at_the_length_caps_is_created(client: TestClient) -> None:
    item = {
        **ITEM,
        "id": "i" * 128,
        "title": "t" * 255,
        "resources": [f"room:{j:03}" for j in range(99)] + ["room:" + "r" * 250],
    }
    sent = {
        **SERIES,
        "title": "t" * 255,
        "items": [item],
        "group": "g" * 128,
        "series_id": "s" * 128,
        "metadata": {f"{'k' * 62}{i:02}": "x" * 2000 for i in range(25)},  # within 64 KiB
    }
    made = client.post("/v1/series", json=sent)
    assert made.status_code == 201, made.text
    got = made.json()
    assert (got["id"], got["group"], got["title"]) == ("s" * 128, "g" * 128, "t" * 255)
    assert (got["items"][0]["id"], got["items"][0]["title"]) == ("i" * 128, "t" * 255)
    assert got["items"][0]["resources"] == item["resources"]
    assert got["metadata"] == sent["metadata"]


# -- idempotency ------------------------------------------------------------------------


def test_an_idempotency_key_replays_a_booking(client: TestClient, kit: SessionKit) -> None:
    slot = new_session(client, capacity=3)
    key = {"Idempotency-Key": "order-1"}
    first = client.post(
        f"/v1/sessions/{slot['id']}/bookings", json={"participant": "student:ann"}, headers=key
    )
    again = client.post(
        f"/v1/sessions/{slot['id']}/bookings", json={"participant": "student:ann"}, headers=key
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(kit.bookings.for_session("acme", slot["id"])) == 1

    other = client.post(
        f"/v1/sessions/{slot['id']}/bookings", json={"participant": "student:bob"}, headers=key
    )
    body = problem(other, 422, "IdempotencyKeyReused")
    assert (body["key"], body["booking_id"]) == ("order-1", first.json()["id"])


def test_an_idempotency_key_replays_a_session_and_a_series(client: TestClient) -> None:
    key = {"Idempotency-Key": "create-1"}
    body = {"start": at(24), "end": at(25), "lifecycle": "lms", "resources": ["room:r1"]}
    first = client.post("/v1/sessions", json=body, headers=key)
    again = client.post("/v1/sessions", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert client.get("/v1/sessions").json()["total"] == 1
    changed = client.post("/v1/sessions", json={**body, "end": at(26)}, headers=key)
    reused = problem(changed, 422, "IdempotencyKeyReused")
    # The client's key and the session it made, not the id the key was turned into as taken.
    assert (reused["key"], reused["kind"], reused["record_id"], reused["booking_id"]) == (
        "create-1",
        "session",
        first.json()["id"],
        None,
    )
    assert reused["detail"] == (
        f"idempotency key 'create-1' already made session '{first.json()['id']}' with another"
        " request; use a new key for a new request"
    )

    made = client.post("/v1/series", json=SERIES, headers=key)
    replay = client.post("/v1/series", json=SERIES, headers=key)
    assert made.status_code == replay.status_code == 201
    assert {**made.json(), "skipped": None} == replay.json()  # skipped: not kept, None
    other = client.post("/v1/series", json={**SERIES, "title": "Other"}, headers=key)
    assert problem(other, 422, "IdempotencyKeyReused")["kind"] == "series"
    # A series id the client chose is its own: another request naming it is a DuplicateSeries.
    named = {**SERIES, "series_id": "maths"}
    assert client.post("/v1/series", json=named, headers=key).status_code == 201
    taken = client.post("/v1/series", json={**named, "title": "Other"}, headers=key)
    problem(taken, 409, "DuplicateSeries")


# -- bookings ---------------------------------------------------------------------------


def test_bookings_are_made_confirmed_listed_and_cancelled(client: TestClient) -> None:
    slot = new_session(client, capacity=2)
    url = f"/v1/sessions/{slot['id']}/bookings"
    held = client.post(url, json={"participant": "student:ann", "hold_minutes": 30}).json()
    assert held["status"] == "HELD"
    assert held["hold_expires_at"] == "2026-03-02T08:30:00Z"
    assert client.get(f"/v1/bookings/{held['id']}").json() == held

    confirmed = client.post(f"/v1/bookings/{held['id']}/confirm").json()
    assert confirmed["status"] == "CONFIRMED"
    assert client.post(f"/v1/bookings/{held['id']}/confirm").json() == confirmed

    bob = client.post(url, json={"participant": "student:bob", "confirm": True}).json()
    # Both made at the clock's one instant: creation ties, so compare as a set.
    assert {b["id"] for b in client.get(url).json()["items"]} == {held["id"], bob["id"]}
    only_confirmed = client.get(url, params={"status": "CONFIRMED"}).json()["items"]
    assert len(only_confirmed) == 2

    cancelled = client.post(f"/v1/bookings/{bob['id']}/cancel", json={"reason": "sick"}).json()
    assert cancelled["status"] == "CANCELLED"
    problem(client.post(f"/v1/bookings/{bob['id']}/cancel"), 409, "InvalidTransition")
    problem(client.get("/v1/bookings/nope"), 404, "BookingNotFound")


def test_a_sessions_bookings_come_in_keyset_pages_waitlist_last(
    client: TestClient, clock: ManualClock
) -> None:
    slot = new_session(client, capacity=3)
    url = f"/v1/sessions/{slot['id']}/bookings"
    made = []
    for n, who in enumerate(["ann", "bob", "cid", "dee", "eve"]):
        clock.set(NOW + timedelta(minutes=n))  # one creation instant each: one order
        body = {"participant": f"student:{who}", "confirm": True, "waitlist": True}
        made.append(client.post(url, json=body).json())
    assert [b["status"] for b in made] == ["CONFIRMED"] * 3 + ["WAITLISTED"] * 2
    pages, cursor = [], None
    while True:
        params = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = client.get(url, params=params).json()
        pages.append([b["participant"] for b in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # The waitlist in its order first, then the others by creation.
    assert pages == [
        ["student:dee", "student:eve"],
        ["student:ann", "student:bob"],
        ["student:cid"],
    ]
    waiting = client.get(url, params={"status": "WAITLISTED", "limit": 1}).json()
    assert [b["participant"] for b in waiting["items"]] == ["student:dee"]
    rest = client.get(url, params={"status": "WAITLISTED", "cursor": waiting["next_cursor"]})
    assert ([b["participant"] for b in rest.json()["items"]], rest.json()["next_cursor"]) == (
        ["student:eve"],
        None,
    )
    problem(client.get(url, params={"cursor": "%%%"}), 422, "InvalidValue")
    problem(client.get(url, params={"cursor": NESTED}), 422, "InvalidValue")
    problem(client.get(url, params={"status": "waitlisted"}), 422, "InvalidValue")
    problem(client.get(url, params={"limit": 500}), 422, "RequestValidationError")
    forged = base64.urlsafe_b64encode(json.dumps([2**31, at(0), "x"]).encode()).decode()
    refused = problem(client.get(url, params={"cursor": forged}), 422, "InvalidValue")
    # A position no store keeps: no cursor of a page (the client never sent an ``after``).
    assert (refused["detail"], refused["value"]) == (
        f"not a cursor from a previous page: {forged!r}",
        forged,
    )


def test_a_full_session_is_capacity_exceeded(client: TestClient) -> None:
    slot = new_session(client, capacity=2)
    url = f"/v1/sessions/{slot['id']}/bookings"
    client.post(url, json={"participant": "student:ann", "confirm": True})
    full = client.post(url, json={"participant": "student:bob", "seats": 2})
    body = problem(full, 409, "CapacityExceeded")
    assert (body["capacity"], body["taken"], body["asked"], body["remaining"]) == (2, 1, 2, 1)
    assert body["may_free_at"] is None  # ann's confirmed seat never frees
    client.post(url, json={"participant": "student:cy"})  # held 15 minutes
    full = client.post(url, json={"participant": "student:bob"})
    assert problem(full, 409, "CapacityExceeded")["may_free_at"] == "2026-03-02T08:15:00+00:00"

    twice = client.post(url, json={"participant": "student:ann"})
    assert problem(twice, 409, "AlreadyBooked")["participant"] == "student:ann"


def test_a_rule_refusal_says_when_it_allows(client: TestClient) -> None:
    far = new_session(client, 24 * 35)
    refused = client.post(f"/v1/sessions/{far['id']}/bookings", json={"participant": "student:ann"})
    body = problem(refused, 409, "BookingRefused")
    assert body["rule"] == "max_horizon"
    assert body["allows_at"] == "2026-03-09T08:00:00+00:00"
    assert body["type"] == "urn:sessionkit:problem:booking-refused"


def test_a_hold_run_out_is_hold_expired(client: TestClient, clock: ManualClock) -> None:
    slot = new_session(client)
    held = client.post(
        f"/v1/sessions/{slot['id']}/bookings",
        json={"participant": "student:ann", "hold_minutes": 5},
    ).json()
    clock.set(clock.now() + timedelta(minutes=6))
    body = problem(client.post(f"/v1/bookings/{held['id']}/confirm"), 409, "HoldExpired")
    assert body["expired_at"] == "2026-03-02T08:05:00+00:00"


def test_participant_pages_are_keyset_and_stable_under_inserts(client: TestClient) -> None:
    slots = [new_session(client, 24 * day) for day in range(1, 6)]
    booked = [
        client.post(
            f"/v1/sessions/{s['id']}/bookings", json={"participant": "student:ann", "confirm": True}
        ).json()["id"]
        for s in slots
    ]
    url = "/v1/participants/student:ann/bookings"
    first = client.get(url, params={"limit": 2}).json()
    assert [b["id"] for b in first["items"]] == booked[:2]

    early = new_session(client, 2)
    client.post(f"/v1/sessions/{early['id']}/bookings", json={"participant": "student:ann"})
    rest: list[str] = []
    cursor = first["next_cursor"]
    while cursor is not None:
        page = client.get(url, params={"limit": 2, "cursor": cursor}).json()
        rest += [b["id"] for b in page["items"]]
        cursor = page["next_cursor"]
    assert rest == booked[2:]
    problem(client.get(url, params={"cursor": "%%%"}), 422, "InvalidValue")
    problem(client.get(url, params={"cursor": NESTED}), 422, "InvalidValue")


# -- queries ----------------------------------------------------------------------------


def test_the_agenda_and_the_bookable_sessions(client: TestClient) -> None:
    a = new_session(client, 24, resources=["tutor:tina"], capacity=2)
    new_session(client, 48, resources=["tutor:omar"])
    window = {"start": at(0), "end": at(24 * 7)}
    agenda = client.get("/v1/agenda", params={"resource": "tutor:tina", **window}).json()
    assert [s["id"] for s in agenda] == [a["id"]]

    client.post(f"/v1/sessions/{a['id']}/bookings", json={"participant": "student:ann"})
    free = client.get("/v1/bookable", params={**window, "resource": "tutor:tina"}).json()
    assert [(b["session_id"], b["taken"], b["remaining"]) for b in free] == [(a["id"], 1, 1)]
    none = client.get("/v1/bookable", params={**window, "resource": "tutor:tina", "seats": 2})
    assert none.json() == []

    naive = client.get(
        "/v1/agenda", params={"resource": "tutor:tina", "start": "2026-03-02T08:00", "end": at(1)}
    )
    assert problem(naive, 422, "NaiveDatetime")["name"] == "start"


def test_bookable_leaves_out_what_the_rules_refuse_and_checks_the_role(
    client: TestClient,
) -> None:
    soon = new_session(client, 24, resources=["tutor:tina"])
    new_session(client, 24 * 7 * 5, resources=["tutor:tina"])  # past the 4-week horizon
    window = {"start": at(0), "end": at(24 * 7 * 6)}
    listed = client.get("/v1/bookable", params=window).json()
    assert [b["session_id"] for b in listed] == [soon["id"]]
    student = {"X-Roles": "student"}
    as_student = client.get(
        "/v1/bookable", params={**window, "acting_role": "student"}, headers=student
    )
    assert [b["session_id"] for b in as_student.json()] == [soon["id"]]
    as_host = client.get("/v1/bookable", params={**window, "acting_role": "host"}, headers=student)
    assert problem(as_host, 403, "RoleNotGranted")["role"] == "host"
    # No role named is the default, attendee, which this host's grant leaves out (as for a
    # booking): the student's listing is never judged by a notice that is not hers.
    unnamed = client.get("/v1/bookable", params=window, headers=student)
    assert problem(unnamed, 403, "RoleNotGranted")["role"] == "attendee"
    blank = client.get("/v1/bookable", params={**window, "acting_role": ""}, headers=student)
    problem(blank, 422, "InvalidValue")


def test_bookable_for_a_participant_leaves_out_what_they_are_in(client: TestClient) -> None:
    a = new_session(client, 24, resources=["tutor:tina"], capacity=2)
    b = new_session(client, 48, resources=["tutor:tina"], capacity=2)
    client.post(f"/v1/sessions/{a['id']}/bookings", json={"participant": "student:ann"})
    window = {"start": at(0), "end": at(24 * 7)}
    for_ann = client.get("/v1/bookable", params={**window, "participant": "student:ann"})
    assert [x["session_id"] for x in for_ann.json()] == [b["id"]]
    for_bob = client.get("/v1/bookable", params={**window, "participant": "student:bob"})
    assert [x["session_id"] for x in for_bob.json()] == [a["id"], b["id"]]
    # A caller not staff names only its own participant: what another is booked into shows.
    ann = {"X-Roles": "attendee", "X-Participant": "student:ann"}
    own = client.get("/v1/bookable", params={**window, "participant": "student:ann"}, headers=ann)
    assert [x["session_id"] for x in own.json()] == [b["id"]]
    other = client.get("/v1/bookable", params={**window, "participant": "student:bob"}, headers=ann)
    problem(other, 403, "ParticipantNotGranted")
    anyone = client.get("/v1/bookable", params=window, headers={"X-Roles": "attendee"})
    assert [x["session_id"] for x in anyone.json()] == [a["id"], b["id"]]


@pytest.mark.parametrize("path", ["/v1/agenda", "/v1/bookable"])
def test_queries_need_their_window(client: TestClient, path: str) -> None:
    problem(client.get(path, params={"resource": "tutor:tina"}), 422, "RequestValidationError")


# -- removing unbooked slots ------------------------------------------------------------


def test_slots_that_ended_unbooked_are_removed_in_bulk(
    client: TestClient, clock: ManualClock
) -> None:
    tina = {"resources": ["tutor:tina"]}
    unbooked = new_session(client, 1, **tina)
    booked = new_session(client, 3, **tina)
    later = new_session(client, 30, **tina)  # not over by ``before``
    other = new_session(client, 5, resources=["tutor:tom"])
    cancelled = new_session(client, 6, **tina)
    client.post(f"/v1/sessions/{cancelled['id']}/cancel")
    client.post(f"/v1/sessions/{booked['id']}/bookings", json={"participant": "student:ann"})
    clock.advance(timedelta(hours=10))
    body = {"before": at(10), "resources": ["tutor:tina"]}
    url = "/v1/sessions/remove-unbooked"
    problem(client.post(url, json=body, headers={"X-Roles": "student"}), 403, "RoleNotGranted")
    problem(client.post(url, json={"before": "2026-03-02T18:00:00"}), 422, "RequestValidationError")

    report = client.post(url, json=body)
    assert report.status_code == 200, report.text
    done = report.json()
    assert [s["id"] for s in done["removed"]] == [unbooked["id"]]
    assert [(k["session"]["id"], k["session"]["status"]) for k in done["kept"]] == [
        (cancelled["id"], "CANCELED")
    ]
    assert "CANCELED" in done["kept"][0]["reason"], done["kept"][0]["reason"]
    problem(client.get(f"/v1/sessions/{unbooked['id']}"), 404, "SessionNotFound")
    for kept in (booked, later, other, cancelled):
        assert client.get(f"/v1/sessions/{kept['id']}").status_code == 200
    again = client.post(url, json=body).json()
    assert (again["removed"], len(again["kept"])) == ([], 1)


# -- the caps of the other request bodies -----------------------------------------------

REF_255 = "room:" + "r" * 250
LONG_BODIES = {
    "SessionUpdate: a title of 256": ("PATCH", "{s}", {"title": "t" * 256}, ["title"]),
    "SessionUpdate: 101 resources": (
        "PATCH",
        "{s}",
        {"resources": [f"room:r{i}" for i in range(101)]},
        ["resources"],
    ),
    "SessionUpdate: a resource of 256": (
        "PATCH",
        "{s}",
        {"resources": [REF_255 + "r"]},
        ["resources", 0],
    ),
    "SessionCancel: a reason of 4,097": ("POST", "{s}/cancel", {"reason": "x" * 4097}, ["reason"]),
    "SessionCancel: a role of 256": ("POST", "{s}/cancel", {"role": "r" * 256}, ["role"]),
    "Transition: a reason of 4,097": (
        "POST",
        "{s}/transitions/cancel",
        {"reason": "x" * 4097},
        ["reason"],
    ),
    "Transition: a role of 256": ("POST", "{s}/transitions/cancel", {"role": "r" * 256}, ["role"]),
    "Transition: notes of 2,001": (
        "POST",
        "{s}/transitions/cancel",
        {"notes": "n" * 2001},
        ["notes"],
    ),
    "BulkTransition: a session id of 129": (
        "POST",
        "/v1/sessions/transitions",
        {"session_ids": ["s" * 129], "transition": "cancel"},
        ["session_ids", 0],
    ),
    "BulkTransition: a reason of 4,097": (
        "POST",
        "/v1/sessions/transitions",
        {"session_ids": ["{id}"], "transition": "cancel", "reason": "x" * 4097},
        ["reason"],
    ),
    "BulkTransition: a transition of 65": (
        "POST",
        "/v1/sessions/transitions",
        {"session_ids": ["{id}"], "transition": "c" * 65},
        ["transition"],
    ),
    "BulkTransition: a role of 256": (
        "POST",
        "/v1/sessions/transitions",
        {"session_ids": ["{id}"], "transition": "cancel", "role": "r" * 256},
        ["role"],
    ),
    "UnbookedRemoval: a series_id of 129": (
        "POST",
        "/v1/sessions/remove-unbooked",
        {"series_id": "s" * 129},
        ["series_id"],
    ),
    "UnbookedRemoval: a resource of 256": (
        "POST",
        "/v1/sessions/remove-unbooked",
        {"resources": [REF_255 + "r"]},
        ["resources", 0],
    ),
    "BookingSeatsCancel: a role of 65": ("POST", "{b}/cancel", {"role": "r" * 65}, ["role"]),
    "BookingSeatsCancel: a reason of 4,097": (
        "POST",
        "{b}/cancel",
        {"reason": "x" * 4097},
        ["reason"],
    ),
}


@pytest.mark.parametrize(
    ("method", "path", "sent", "loc"), LONG_BODIES.values(), ids=LONG_BODIES.keys()
)
def test_a_body_past_a_length_cap_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient,
    clock: ManualClock,
    method: str,
    path: str,
    sent: dict[str, Any],
    loc: list[str | int],
) -> None:
    # These bodies took their reasons, notes, roles and ids as far as the core's own checks,
    # undeclared, where POST /sessions, /series and the bookings cap theirs.
    ended = new_session(client, 1, resources=["room:r1"])  # what remove-unbooked would delete
    slot = new_session(client, 24)
    booking = client.post(
        f"/v1/sessions/{slot['id']}/bookings", json={"participant": "student:ann", "confirm": True}
    ).json()
    clock.advance(timedelta(hours=3))
    urls = [f"/v1/sessions/{ended['id']}", f"/v1/sessions/{slot['id']}"]
    urls.append(f"/v1/bookings/{booking['id']}")
    before = [client.get(url).json() for url in urls]
    url = path.format(s=urls[1], b=urls[2])
    body = json.loads(json.dumps(sent).replace("{id}", slot["id"]))
    refused = client.request(method, url, json=body)
    assert refused.status_code == 422, refused.text
    got = refused.json()
    assert got["error"] == "RequestValidationError"
    assert [e["loc"][1:][: len(loc)] for e in got["errors"]] == [loc]
    assert [client.get(url).json() for url in urls] == before


def test_a_session_update_at_the_length_caps_is_stored(client: TestClient) -> None:
    made = new_session(client)
    resources = [f"room:{j:03}" for j in range(99)] + [REF_255]
    sent = {"title": "t" * 255, "resources": resources}
    changed = client.patch(f"/v1/sessions/{made['id']}", json=sent)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["title"], changed.json()["resources"]) == ("t" * 255, sorted(resources))


ROLE_255 = {"X-Roles": "admin," + "r" * 255}
"""A staff caller also granted a role of 255 characters, the longest a session command takes."""


def test_a_session_cancel_at_the_length_caps_is_done(client: TestClient) -> None:
    made = new_session(client)
    sent = {"reason": "x" * 4096, "role": "r" * 255}
    done = client.post(f"/v1/sessions/{made['id']}/cancel", json=sent, headers=ROLE_255)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "CANCELED"


def test_a_transition_at_the_length_caps_is_fired(client: TestClient) -> None:
    one, two = new_session(client, 24), new_session(client, 48)
    sent = {"reason": "x" * 4096, "role": "r" * 255}
    url = "/v1/sessions/{}/transitions/cancel"
    done = client.post(url.format(one["id"]), json=sent, headers=ROLE_255)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "CANCELED"
    # Notes are kept as the own field <role>_notes: a role of 255 would make too long a name.
    noted = client.post(url.format(two["id"]), json={"notes": "n" * 2000})
    assert noted.status_code == 200, noted.text
    got = noted.json()
    assert (got["status"], got["metadata"]["notes"]) == ("CANCELED", "n" * 2000)


def test_a_bulk_transition_at_the_length_caps_is_fired(client: TestClient, kit: SessionKit) -> None:
    start = NOW + timedelta(days=1)
    made = kit.sessions.create_extra(
        "acme",
        actor=None,
        start=start,
        end=start + timedelta(hours=1),
        lifecycle="lms",
        session_id="s" * 128,
    )
    sent = {
        "session_ids": [made.id],
        "transition": "cancel",
        "reason": "x" * 4096,
        "role": "r" * 255,
    }
    done = client.post("/v1/sessions/transitions", json=sent, headers=ROLE_255)
    assert done.status_code == 200, done.text
    assert [(s["id"], s["status"]) for s in done.json()] == [("s" * 128, "CANCELED")]


def test_an_unbooked_removal_at_the_length_caps_is_done(
    client: TestClient, kit: SessionKit, clock: ManualClock
) -> None:
    ended = new_session(client, 1, resources=[REF_255])
    new_session(client, 2, resources=["room:r1"])  # another resource: kept
    clock.advance(timedelta(hours=4))
    asked = client.post("/v1/sessions/remove-unbooked", json={"resources": [REF_255]})
    assert asked.status_code == 200, asked.text
    assert [s["id"] for s in asked.json()["removed"]] == [ended["id"]]
    none = client.post("/v1/sessions/remove-unbooked", json={"series_id": "s" * 128})
    assert none.status_code == 200, none.text
    assert none.json() == {"removed": [], "kept": []}


def test_a_booking_cancel_at_the_length_caps_is_done(client: TestClient) -> None:
    slot = new_session(client, 72)
    booking = client.post(
        f"/v1/sessions/{slot['id']}/bookings", json={"participant": "student:ann", "confirm": True}
    ).json()
    sent = {"role": "r" * 64, "reason": "x" * 4096}
    headers = {"X-Roles": "admin," + "r" * 64}
    done = client.post(f"/v1/bookings/{booking['id']}/cancel", json=sent, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "CANCELLED"


def test_the_reason_cap_is_the_cores() -> None:
    from sessionkit.contrib.fastapi.schema_types import MAX_REASON
    from sessionkit.model.text import MAX_CHANGE_REASON_LENGTH

    assert MAX_REASON == MAX_CHANGE_REASON_LENGTH == 4096


def test_a_bulk_transition_named_at_the_length_cap_reaches_the_lifecycle(
    client: TestClient,
) -> None:
    # 64 characters, as a lifecycle names a status or transition: the lifecycle answers.
    made = new_session(client, 24)
    sent = {"session_ids": [made["id"]], "transition": "c" * 64}
    got = problem(client.post("/v1/sessions/transitions", json=sent), 409, "InvalidTransition")
    assert got["transition"] == "c" * 64
