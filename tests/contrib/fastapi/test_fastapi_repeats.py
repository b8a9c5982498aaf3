"""A list's cap counts the distinct values it names, as the core counts them.

The core takes ids, resources and search fields with their repeats dropped
(``check_ids``, ``resource_refs``, ``search_fields``); the schemas counted the
list as sent, so 101 copies of one resource (or 1,001 of one session id) were a
422 for a list that names one.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from .test_fastapi_routes import SERIES, new_session, problem


def _too_long(response: Any, loc: list[str | int], most: int, distinct: int) -> None:
    body = problem(response, 422, "RequestValidationError")
    assert [(e["loc"][1:], e["type"], e["ctx"]) for e in body["errors"]] == [
        (loc, "too_long", {"max_length": most, "length": distinct})
    ]


def test_repeated_session_ids_count_once(client: TestClient) -> None:
    made = new_session(client)
    sent = {"session_ids": [made["id"]] * 1001, "transition": "cancel"}
    done = client.post("/v1/sessions/transitions", json=sent)
    assert done.status_code == 200, done.text
    assert [(s["id"], s["status"]) for s in done.json()] == [(made["id"], "CANCELED")]
    many = {"session_ids": [f"s{i}" for i in range(1001)] * 2, "transition": "cancel"}
    _too_long(client.post("/v1/sessions/transitions", json=many), ["session_ids"], 1000, 1001)


def test_repeated_resources_count_once(client: TestClient) -> None:
    made = new_session(client, resources=["room:r1"] * 101 + ["room:r2"])
    assert made["resources"] == ["room:r1", "room:r2"]
    changed = client.patch(f"/v1/sessions/{made['id']}", json={"resources": ["room:r3"] * 101})
    assert changed.status_code == 200, changed.text
    assert changed.json()["resources"] == ["room:r3"]
    item = {**SERIES["items"][0], "resources": ["teacher:t1"] * 101}
    series = client.post("/v1/series", json={**SERIES, "items": [item]})
    assert series.status_code == 201, series.text
    assert series.json()["items"][0]["resources"] == ["teacher:t1"]
    many = [f"room:r{i}" for i in range(101)]
    url = f"/v1/sessions/{made['id']}"
    _too_long(client.patch(url, json={"resources": many}), ["resources"], 100, 101)


def test_remove_unbooked_takes_the_resources_the_core_takes(client: TestClient) -> None:
    # The core takes up to 1,000 (a session query's cap); the schema refused more than 100.
    url = "/v1/sessions/remove-unbooked"
    done = client.post(url, json={"resources": [f"room:r{i}" for i in range(1000)] * 2})
    assert done.status_code == 200, done.text
    many = [f"room:r{i}" for i in range(1001)]
    _too_long(client.post(url, json={"resources": many}), ["resources"], 1000, 1001)


def test_repeated_search_fields_count_once(client: TestClient) -> None:
    found = client.get("/v1/sessions", params={"search": "x", "search_field": ["notes"] * 40})
    assert found.status_code == 200, found.text
    assert found.json()["items"] == []
    many = {"search": "x", "search_field": [f"f{i}" for i in range(33)]}
    _too_long(client.get("/v1/sessions", params=many), ["search_field"], 32, 33)


def test_repeated_payment_ids_count_once(paid_client: TestClient) -> None:
    # One unknown payment, named 1,001 times: the core's answer, not the schema's.
    sent = {"payment_ids": ["p-none"] * 1001}
    problem(paid_client.post("/v1/payments/mark-paid", json=sent), 404, "PaymentNotFound")
