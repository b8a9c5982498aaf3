"""The example app, examples/marketplace_api: the tutoring marketplace over HTTP."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sessionkit.demo.marketplace import DEMO_NOW
from sessionkit.testing.clocks import ManualClock

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # the examples live beside src/, not inside the package
    sys.path.insert(0, str(ROOT))

from examples.marketplace_api.app import DEFAULT_DB, create_app  # noqa: E402  # after the path

ANN = {"X-Actor": "ann"}


def test_the_marketplace_api_books_a_tutors_slot() -> None:
    with TestClient(create_app("memory", clock=ManualClock(DEMO_NOW))) as client:
        assert client.get("/docs").status_code == 200
        assert client.get("/openapi.json").json()["info"]["title"] == "Tutoring marketplace"

        slots = client.get(
            "/v1/sessions", params={"series_id": "tina-1to1", "start_from": DEMO_NOW.isoformat()}
        ).json()
        slot = slots["items"][0]
        assert (slot["title"], slot["resources"], slot["capacity"]) == (
            "Maths 1-to-1",
            ["tutor:tina"],
            1,
        )
        url = f"/v1/sessions/{slot['id']}/bookings"
        held = client.post(url, json={"participant": "student:ann", "role": "student"}, headers=ANN)
        assert held.status_code == 201
        assert held.json()["hold_expires_at"] == (
            DEMO_NOW + timedelta(minutes=15)
        ).isoformat().replace("+00:00", "Z")

        full = client.post(url, json={"participant": "student:bob"}, headers={"X-Actor": "bob"})
        assert full.status_code == 409
        assert full.json()["error"] == "CapacityExceeded"


def test_the_four_week_horizon_says_when_a_slot_opens() -> None:
    with TestClient(create_app("memory", clock=ManualClock(DEMO_NOW))) as client:
        last = client.get(
            "/v1/sessions", params={"sort": "start", "descending": True, "limit": 1}
        ).json()["items"][0]
        start = datetime.fromisoformat(last["start"])
        assert start - DEMO_NOW > timedelta(weeks=4)  # published a month ahead
        refused = client.post(
            f"/v1/sessions/{last['id']}/bookings", json={"participant": "student:ann"}, headers=ANN
        )
        body = refused.json()
        assert (refused.status_code, body["error"], body["rule"]) == (
            409,
            "BookingRefused",
            "max_horizon",
        )
        assert datetime.fromisoformat(body["allows_at"]) == start - timedelta(weeks=4)


def test_the_database_is_kept_and_not_republished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert DEFAULT_DB.startswith("sqlite:///")
    monkeypatch.setenv("SESSIONKIT_DB_URL", f"sqlite:///{tmp_path / 'market.sqlite3'}")
    counts = []
    for _ in range(2):
        with TestClient(create_app(clock=ManualClock(DEMO_NOW))) as client:
            counts.append(client.get("/v1/sessions", params={"limit": 1}).json()["total"])
    assert counts[0] == counts[1] > 10
    assert (tmp_path / "market.sqlite3").exists()
