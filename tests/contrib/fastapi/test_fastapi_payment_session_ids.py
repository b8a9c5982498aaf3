"""``GET /payments?session_id=``: a refused value is named ``session_id``, as the client sent it.

The route hands the values to ``kit.payments.list(session_ids=...)``, which named
its own argument: "session_ids item must be a non-empty string", "session_ids
holds more than 1,000 ids". The API has no parameter ``session_ids``.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from .conftest import problem


def test_a_bad_session_id_of_the_payment_list_is_named_session_id(client: TestClient) -> None:
    blank = problem(client.get("/v1/payments", params={"session_id": ""}), 422, "InvalidValue")
    assert blank["detail"] == "session_id item must be a non-empty string, got ''"
    assert blank["value"] == ""
    long = problem(
        client.get("/v1/payments", params={"session_id": "s" * 129}), 422, "InvalidValue"
    )
    assert long["detail"].startswith("session_id item is 129 characters long; at most 128")
    many = [("session_id", f"s{i}") for i in range(1001)]
    past = problem(client.get("/v1/payments", params=many), 422, "InvalidValue")
    assert past["detail"] == "session_id holds more than 1,000 ids; ask in batches"
    assert (past["value"], past["expected"]) == (1001, "at most 1000 ids")


def test_session_ids_within_bounds_still_filter_the_payment_list(client: TestClient) -> None:
    page = client.get("/v1/payments", params=[("session_id", f"s{i}") for i in range(1000)])
    assert page.status_code == 200, page.text
    assert page.json()["items"] == []
