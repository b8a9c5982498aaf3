"""``GET /sessions``' ``resource`` past its cap is refused naming ``resource``.

The core counts a query's resources (at most 1,000 distinct) and said "at most
1000 resources, got more", naming no parameter, where ``status`` ("status holds
more than 64 names") and ``GET /payments``' ``session_id`` name theirs. The
count is taken as the core takes it, each resource once.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from .conftest import problem


def _resources(count: int) -> list[tuple[str, str]]:
    return [("resource", f"tutor:t{i}") for i in range(count)]


def test_more_resources_than_the_cap_are_refused_naming_resource(client: TestClient) -> None:
    body = problem(client.get("/v1/sessions", params=_resources(1001)), 422, "InvalidValue")
    assert body["detail"] == "resource holds more than 1,000 resources (1,001 distinct)"
    assert (body["value"], body["expected"]) == (1001, "at most 1000 resources")


def test_the_cap_counts_distinct_resources(client: TestClient) -> None:
    repeated = _resources(1000) + [("resource", "tutor:t0")] * 50
    listed = client.get("/v1/sessions", params=repeated)
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 0


def test_a_resource_of_the_wrong_form_is_refused_as_before(client: TestClient) -> None:
    body = problem(client.get("/v1/sessions", params={"resource": "tutor"}), 422, "InvalidValue")
    assert body["detail"] == "a resource reference looks like 'teacher:t-17', got 'tutor'"
