"""On SQLite, PostgreSQL and MySQL: a command has committed when its response arrives, or left
nothing; a replay compares the request with the record as the database gives it back."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from starlette.testclient import TestClient

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import mysql_database, postgres_schema
from sessionkit.contrib.fastapi.payment_schemas import PaymentEventIn
from sessionkit.model.money import Money
from sessionkit.policies import BookingRules, Rate
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

ClientFor = Callable[[SessionKit], TestClient]

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = create_engine(f"sqlite:///{tmp_path / 'api.sqlite3'}")
        create_schema(made)
        yield made
        made.dispose()
        return
    if request.param == "mysql":
        url = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")
        if not url:
            pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to run on MySQL/MariaDB")
        with mysql_database(url) as made:
            yield made
        return
    url = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run on PostgreSQL")
    with postgres_schema(url) as made:
        yield made


def fresh_kit(engine: Engine) -> SessionKit:
    """A kit on a store of its own: it sees only what was committed."""
    return SessionKit(
        uow=SqlAlchemyStore(engine).unit_of_work,
        clock=ManualClock(NOW),
        booking_rules=BookingRules(),
    )


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def test_a_response_comes_after_the_commit(engine: Engine, serve: ClientFor) -> None:
    client = serve(fresh_kit(engine))
    made = client.post("/v1/sessions", json={"start": at(24), "end": at(25), "lifecycle": "lms"})
    assert made.status_code == 201
    booked = client.post(
        f"/v1/sessions/{made.json()['id']}/bookings",
        json={"participant": "student:ann", "confirm": True},
        headers={"Idempotency-Key": "k1"},
    )
    assert booked.status_code == 201

    reader = fresh_kit(engine)
    assert reader.queries.get("acme", made.json()["id"]).start.isoformat() == at(24)
    assert reader.bookings.get("acme", booked.json()["id"]).status == "CONFIRMED"


def test_a_failed_command_leaves_nothing(engine: Engine, serve: ClientFor) -> None:
    client = serve(fresh_kit(engine))
    ids = [
        client.post(
            "/v1/sessions", json={"start": at(h), "end": at(h + 1), "lifecycle": "lms"}
        ).json()["id"]
        for h in (24, 48)
    ]
    refused = client.post(
        "/v1/sessions/transitions",
        json={"session_ids": [ids[0], "missing", ids[1]], "transition": "cancel"},
    )
    assert refused.status_code == 404
    assert refused.json()["error"] == "SessionNotFound"
    reader = fresh_kit(engine)
    assert [reader.queries.get("acme", i).status for i in ids] == ["SCHEDULED", "SCHEDULED"]


def test_a_webhook_event_is_applied_once_and_committed(engine: Engine, serve: ClientFor) -> None:
    """The provider's event confirms the booking in the database; its replay changes nothing."""
    gateway = FakeGateway(clock=lambda: NOW)
    paid = SessionKit(
        uow=SqlAlchemyStore(engine).unit_of_work,
        clock=ManualClock(NOW),
        booking_rules=BookingRules(),
        gateway=gateway,
        pricing=Rate(Money.of(40, "EUR")),
    )
    client = serve(paid)
    made = client.post("/v1/sessions", json={"start": at(24), "end": at(25), "lifecycle": "lms"})
    checkout = client.post(
        f"/v1/sessions/{made.json()['id']}/paid-bookings", json={"participant": "student:ann"}
    ).json()
    gateway.pay(checkout["payment"]["intent_ref"])
    [event] = gateway.drain()
    body = PaymentEventIn.of(event).model_dump(mode="json")
    outcomes = [client.post("/v1/payments/events", json=body).json()["outcome"] for _ in "ab"]
    assert outcomes == ["applied", "duplicate"]

    reader = fresh_kit(engine)
    assert reader.bookings.get("acme", checkout["booking"]["id"]).status == "CONFIRMED"
    payment = reader.payments.get("acme", checkout["payment"]["id"])
    assert (payment.status, payment.version) == ("PAID", checkout["payment"]["version"] + 1)


def test_a_replay_compares_metadata_as_json_after_the_round_trip(
    engine: Engine, serve: ClientFor
) -> None:
    """The stored record's metadata, as the database's JSON gives it back, is what is compared:
    the same request replays, ``1`` for ``true`` (or ``true`` for ``1``) is another."""
    client = serve(fresh_kit(engine))
    key = {"Idempotency-Key": "replay-1"}
    body = {"start": at(24), "end": at(25), "lifecycle": "lms"}
    metadata = {"paid": True, "seats": 1, "level": "b1"}
    made = client.post("/v1/sessions", json={**body, "metadata": metadata}, headers=key)
    assert made.status_code == 201, made.text
    client = serve(fresh_kit(engine))  # what the database kept, not what a kit remembers
    replay = client.post("/v1/sessions", json={**body, "metadata": metadata}, headers=key)
    assert replay.json() == made.json()
    for other in ({**metadata, "paid": 1}, {**metadata, "seats": True}):
        reused = client.post("/v1/sessions", json={**body, "metadata": other}, headers=key)
        assert (reused.status_code, reused.json()["error"]) == (422, "IdempotencyKeyReused")
