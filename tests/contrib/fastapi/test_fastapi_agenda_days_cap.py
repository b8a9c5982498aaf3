"""``GET /participants/{participant}/agenda``'s ``days`` past any window: refused in the schema.

No ``Limits.window`` holds more days than a ``timedelta`` (999,999,999), so more
days are refused by every kit. The core then names the count of days, not a
duration (it holds in no ``timedelta``), and the problem carried that count as
its ``value`` beside a ``maximum`` in seconds: ``1,000,000,000`` days read as
fewer seconds than the limit. The schema declares the bound instead, as it
declares ``minimum`` 1, and up to it a ``LimitExceeded`` says both in seconds.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from .conftest import problem

AGENDA = "/v1/participants/student:ann/agenda"
MOST = timedelta.max.days


def test_days_past_what_any_window_holds_are_refused_by_the_schema(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/participants/{participant}/agenda"]
    [days] = [p for p in operation["get"]["parameters"] if p["name"] == "days"]
    assert (days["schema"]["minimum"], days["schema"]["maximum"]) == (1, MOST)
    for sent in (MOST + 1, 10**10):
        past = problem(client.get(AGENDA, params={"days": sent}), 422, "RequestValidationError")
        assert [(e["loc"], e["type"], e["input"]) for e in past["errors"]] == [
            (["query", "days"], "less_than_equal", str(sent))
        ]


def test_the_most_days_a_window_holds_are_told_in_seconds(client: TestClient) -> None:
    most = problem(client.get(AGENDA, params={"days": MOST}), 422, "LimitExceeded")
    assert (most["name"], most["value"], most["maximum"]) == ("window", MOST * 86400, 3660 * 86400)
    assert most["detail"].startswith("the agenda's days: 86,399,999,913,600 seconds is more than")
