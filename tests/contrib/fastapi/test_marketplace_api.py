"""The example app, examples/marketplace_api: the tutoring marketplace over HTTP."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.fastapi.payment_schemas import PaymentEventIn
from sessionkit.demo.marketplace import DEMO_NOW, OFFERS, RULES, TENANT, Offer, publish
from sessionkit.errors import DuplicateSeries
from sessionkit.model.query import MAX_LIMIT, SessionQuery
from sessionkit.services import MaterialiseReport, SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # the examples live beside src/, not inside the package
    sys.path.insert(0, str(ROOT))

from examples.marketplace_api.app import (  # noqa: E402  # after the path
    DEFAULT_DB,
    SECRET_HEADER,
    build_kit,
    create_app,
    open_store,
)

ANN = {"X-Actor": "ann"}
BOB = {"X-Actor": "bob"}
TINA = {"X-Actor": "tina"}


def first_slot(client: TestClient, series_id: str) -> dict[str, Any]:
    slots = client.get(
        "/v1/sessions", params={"series_id": series_id, "start_from": DEMO_NOW.isoformat()}
    ).json()
    found: dict[str, Any] = slots["items"][0]
    return found


def ann_books(client: TestClient, slot: dict[str, Any]) -> dict[str, Any]:
    """Ann, a student, books ``slot``: the checkout (a held seat and its payment)."""
    checkout: dict[str, Any] = client.post(
        f"/v1/sessions/{slot['id']}/paid-bookings",
        json={"participant": "student:ann", "role": "student"},
        headers=ANN,
    ).json()
    return checkout


def provider(client: TestClient) -> dict[str, str]:
    """The headers of the provider's webhook requests: the app's secret."""
    secret: str = client.app.state.webhook_secret  # type: ignore[attr-defined]
    return {SECRET_HEADER: secret}


def pays(client: TestClient, checkout: dict[str, Any]) -> list[dict[str, Any]]:
    """The student pays at the provider, whose webhook events reach the API."""
    gateway: FakeGateway = client.app.state.gateway  # type: ignore[attr-defined]
    gateway.pay(checkout["payment"]["intent_ref"])
    answers = []
    for event in gateway.drain():
        body = PaymentEventIn.of(event).model_dump(mode="json")
        answered = client.post("/v1/payments/events", json=body, headers=provider(client))
        assert answered.status_code == 200, answered.text
        answers.append(answered.json())
    return answers


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
        url = f"/v1/sessions/{slot['id']}/paid-bookings"  # the slots are paid
        held = client.post(url, json={"participant": "student:ann", "role": "student"}, headers=ANN)
        assert held.status_code == 201, held.text
        assert held.json()["booking"]["hold_expires_at"] == (
            DEMO_NOW + timedelta(minutes=15)
        ).isoformat().replace("+00:00", "Z")

        full = client.post(url, json={"participant": "student:bob", "role": "student"}, headers=BOB)
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
            f"/v1/sessions/{last['id']}/bookings",
            json={"participant": "student:ann", "role": "student"},
            headers=ANN,
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


def _slots(kit: SessionKit) -> list[tuple[str | None, datetime, datetime]]:
    page = kit.queries.list(TENANT, SessionQuery(limit=MAX_LIMIT))
    return sorted((slot.series_id, slot.start, slot.end) for slot in page.items)


def test_a_worker_that_loses_the_start_up_race_takes_the_offers_as_published(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two workers on a fresh database both found every offer missing; the one whose
    # publish came second died at start-up with DuplicateSeries.
    store, clock = InMemoryStore(), ManualClock(DEMO_NOW)
    first = SessionKit(
        uow=store.unit_of_work, clock=clock, booking_rules=RULES, gateway=None, pricing=None
    )
    lost: list[str] = []

    def publish_second(kit: SessionKit, offer: Offer) -> MaterialiseReport:
        publish(first, offer)  # the other worker, between this one's check and its publish
        try:
            return publish(kit, offer)
        except DuplicateSeries as duplicate:
            lost.append(str(duplicate.series_id))
            raise

    alone = build_kit(InMemoryStore().unit_of_work, clock, FakeGateway(clock=clock.now))
    monkeypatch.setattr("examples.marketplace_api.app.publish", publish_second)
    kit = build_kit(store.unit_of_work, clock, FakeGateway(clock=clock.now))
    assert lost == [offer.id for offer in OFFERS]
    assert _slots(kit) == _slots(alone)  # the winner's slots, no more, topped up as usual
    assert len(_slots(kit)) > 10


def test_a_top_up_the_database_refuses_at_start_up_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The start-up top-up's failures were dropped: a read-only database started an app
    # whose tutors' slots silently ran out, with nothing in the log.
    from sqlalchemy import create_engine

    from sessionkit.adapters.sqlalchemy import SqlAlchemyStore

    path = tmp_path / "market.sqlite3"
    clock = ManualClock(DEMO_NOW)
    build_kit(open_store(f"sqlite:///{path}"), clock, FakeGateway(clock=clock.now))
    clock.set(datetime.fromisoformat("2026-03-23T07:00+00:00"))  # four weeks on: due
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with caplog.at_level("WARNING", logger="marketplace_api"):
            kit = build_kit(SqlAlchemyStore(engine).unit_of_work, clock, FakeGateway())
    finally:
        engine.dispose()
    assert len(_slots(kit)) > 10  # what is stored is still served
    said = sorted((r.name, r.levelname, r.getMessage()) for r in caplog.records)
    refused = "sqlite refuses writes (attempt to write a readonly database); nothing was stored"
    assert said == sorted(
        ("marketplace_api", "WARNING", f"start-up top-up: series {offer.id} failed: {refused}")
        for offer in OFFERS
    )


def test_a_student_pays_cancels_with_a_refund_and_the_slot_is_rescheduled() -> None:
    with TestClient(create_app("memory", clock=ManualClock(DEMO_NOW))) as client:
        slot = first_slot(client, "tina-1to1")
        booked = client.post(
            f"/v1/sessions/{slot['id']}/paid-bookings",
            json={"participant": "student:ann", "role": "student"},
            headers={**ANN, "Idempotency-Key": "ann-order-1"},
        )
        assert booked.status_code == 201, booked.text
        checkout = booked.json()
        assert (checkout["booking"]["status"], checkout["next_action"]) == ("HELD", "pay")
        assert (checkout["payment"]["amount"], checkout["payment"]["currency"]) == ("40.00", "EUR")

        [paid] = pays(client, checkout)
        assert (paid["outcome"], paid["payment"]["status"]) == ("applied", "PAID")
        booking_id = checkout["booking"]["id"]
        assert client.get(f"/v1/bookings/{booking_id}", headers=ANN).json()["status"] == "CONFIRMED"

        cancelled = client.post(
            f"/v1/bookings/{booking_id}/cancel-and-refund",
            json={"role": "student", "reason": "found another tutor"},
            headers=ANN,
        ).json()
        assert cancelled["booking"]["status"] == "CANCELLED"
        refund = cancelled["payment"]
        assert (refund["status"], refund["refunded"], refund["refundable"]) == (
            "REFUNDED",
            "40.00",
            "0.00",
        )
        [payment] = client.get(f"/v1/bookings/{booking_id}/payments", headers=ANN).json()
        assert payment == refund

        bob = client.post(
            f"/v1/sessions/{slot['id']}/paid-bookings",
            json={"participant": "student:bob", "role": "student"},
            headers=BOB,
        ).json()
        pays(client, bob)  # the freed seat is bob's now
        new_start = datetime.fromisoformat(slot["start"]) + timedelta(days=1)  # Tuesday, same time
        asked = client.post(
            f"/v1/sessions/{slot['id']}/reschedules",
            json={
                "role": "student",
                "reason": "I have an exam on Monday",
                "proposed_start": new_start.isoformat(),
            },
            headers=BOB,
        )
        assert asked.status_code == 201, asked.text
        request = asked.json()
        approved = client.post(
            f"/v1/reschedules/{request['id']}/approve", json={"role": "tutor"}, headers=TINA
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "APPROVED"
        moved = client.get(f"/v1/sessions/{slot['id']}").json()
        assert datetime.fromisoformat(moved["start"]) == new_start
        bobs = client.get(f"/v1/bookings/{bob['booking']['id']}", headers=BOB).json()
        assert (bobs["status"], datetime.fromisoformat(bobs["session_start"])) == (
            "CONFIRMED",
            new_start,
        )


def test_the_fake_provider_page_pays_an_intent() -> None:
    with TestClient(create_app("memory", clock=ManualClock(DEMO_NOW))) as client:
        slot = first_slot(client, "omar-1to1")
        checkout = ann_books(client, slot)
        assert checkout["payment"]["amount"] == "30.00"  # Omar's hourly rate
        ref = checkout["payment"]["intent_ref"]
        [applied] = client.post(f"/fake-provider/intents/{ref}/pay").json()
        assert (applied["outcome"], applied["payment"]["status"]) == ("applied", "PAID")
        unknown = client.post("/fake-provider/intents/nope/pay")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        assert unknown.json()["detail"] == "the fake provider has no intent 'nope'"


def test_a_student_claiming_host_is_refused_and_changes_nothing() -> None:
    with TestClient(create_app("memory", clock=ManualClock(DEMO_NOW))) as client:
        slot = first_slot(client, "tina-1to1")
        checkout = ann_books(client, slot)
        pays(client, checkout)
        booking_id, payment_id = checkout["booking"]["id"], checkout["payment"]["id"]
        before = client.get(f"/v1/payments/{payment_id}", headers=ANN).json()
        assert (before["status"], before["refunded"]) == ("PAID", "0.00")
        booked = client.get(f"/v1/bookings/{booking_id}", headers=ANN).json()
        assert booked["status"] == "CONFIRMED"

        claims = [
            (f"/v1/bookings/{booking_id}/cancel-and-refund", {"role": "host"}),
            (f"/v1/bookings/{booking_id}/cancel", {"role": "provider"}),
            (
                f"/v1/sessions/{first_slot(client, 'omar-1to1')['id']}/paid-bookings",
                {"participant": "student:ann", "role": "student", "acting_role": "host"},
            ),
            (
                f"/v1/sessions/{slot['id']}/reschedules",
                {"role": "tutor", "reason": "the tutor asks, says the student"},
            ),
        ]
        for url, body in claims:
            refused = client.post(url, json=body, headers=ANN)
            assert refused.status_code == 403, (url, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
            problem = refused.json()
            assert (problem["error"], problem["granted"]) == ("RoleNotGranted", ["student"])
            assert problem["role"] in {"host", "provider", "tutor"}

        assert client.get(f"/v1/bookings/{booking_id}", headers=ANN).json() == booked
        assert client.get(f"/v1/payments/{payment_id}", headers=ANN).json() == before
        gateway: FakeGateway = client.app.state.gateway  # type: ignore[attr-defined]
        assert [op for op, _ in gateway.calls if op == "refund"] == []
        mine = client.get("/v1/participants/student:ann/bookings", headers=ANN).json()["items"]
        assert [b["id"] for b in mine] == [booking_id]  # the host's booking was not made
        assert client.get(f"/v1/sessions/{slot['id']}/reschedules", headers=TINA).json() == []
        tutor = client.post(  # the tutor, granted "provider" by the login, refunds in full
            f"/v1/bookings/{booking_id}/cancel-and-refund", json={"role": "provider"}, headers=TINA
        )
        assert tutor.json()["payment"]["status"] == "REFUNDED"


def test_only_the_provider_posts_to_the_webhooks() -> None:
    # The example's webhook dependency verified nothing: any caller (a student, or one with no
    # X-Actor) posting the provider's "succeeded" confirmed a seat nobody paid for, and a
    # "canceled" freed another student's held seat.
    with TestClient(create_app("memory", clock=ManualClock(DEMO_NOW))) as client:
        slot = first_slot(client, "tina-1to1")
        checkout = ann_books(client, slot)
        booking_id, payment_id = checkout["booking"]["id"], checkout["payment"]["id"]
        forged = {
            "provider": "fake",
            "event_id": "forged-1",
            "type": "succeeded",
            "occurred_at": DEMO_NOW.isoformat(),
            "intent_ref": checkout["payment"]["intent_ref"],
        }
        presence = {
            "events": [
                {
                    "provider": "meet",
                    "event_id": "forged-2",
                    "session_id": slot["id"],
                    "participant": "student:ann",
                    "action": "join",
                    "at": DEMO_NOW.isoformat(),
                }
            ]
        }
        for url, body in (("/v1/payments/events", forged), ("/v1/presence-events", presence)):
            for headers in (ANN, TINA, {}, {SECRET_HEADER: "guessed"}, {SECRET_HEADER: ""}):
                refused = client.post(url, json=body, headers=headers)
                assert refused.status_code == 401, (url, headers, refused.text)
                assert refused.headers["content-type"] == "application/problem+json"
                assert refused.headers["www-authenticate"] == 'Secret header="X-Provider-Secret"'
                assert (refused.json()["error"], refused.json()["detail"]) == (
                    "HTTPException",
                    f"a provider's event carries the app's secret in {SECRET_HEADER}",
                )
        assert client.get(f"/v1/bookings/{booking_id}", headers=ANN).json()["status"] == "HELD"
        assert client.get(f"/v1/payments/{payment_id}", headers=ANN).json()["status"] == "PENDING"
        attendance = client.get(f"/v1/sessions/{slot['id']}/attendance", headers=TINA).json()
        assert attendance == []  # no join recorded

        applied = client.post("/v1/payments/events", json=forged, headers=provider(client))
        assert applied.json()["outcome"] == "applied"  # the same event, from the provider
        assert client.get(f"/v1/bookings/{booking_id}", headers=ANN).json()["status"] == (
            "CONFIRMED"
        )


def test_the_webhook_secret_is_the_one_given_else_the_environments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SESSIONKIT_WEBHOOK_SECRET", "from-the-environment")
    assert create_app("memory", webhook_secret="given").state.webhook_secret == "given"
    assert create_app("memory").state.webhook_secret == "from-the-environment"
    monkeypatch.delenv("SESSIONKIT_WEBHOOK_SECRET")
    made = {create_app("memory").state.webhook_secret for _ in range(2)}
    assert len(made) == 2  # one each
    assert all(len(secret) >= 32 for secret in made)  # unguessable


def test_a_request_without_a_login_reads_no_ones_bookings_or_payments() -> None:
    # The example's caller without X-Actor is staff of nothing and no participant: it used to
    # read every student's bookings and payments.
    with TestClient(create_app("memory", clock=ManualClock(DEMO_NOW))) as client:
        slot = first_slot(client, "tina-1to1")
        checkout = ann_books(client, slot)
        booking_id, payment_id = checkout["booking"]["id"], checkout["payment"]["id"]
        for url in (
            f"/v1/bookings/{booking_id}",
            f"/v1/bookings/{booking_id}/payments",
            f"/v1/payments/{payment_id}",
            "/v1/payments",
            "/v1/payments?participant=student:ann",
            "/v1/participants/student:ann/bookings",
            f"/v1/sessions/{slot['id']}/bookings",
            f"/v1/sessions/{slot['id']}/payments",
        ):
            refused = client.get(url)
            assert refused.status_code == 403, (url, refused.text)
            assert (refused.json()["error"], refused.json()["granted"]) == (
                "ParticipantNotGranted",
                None,
            )
        assert client.get(f"/v1/sessions/{slot['id']}").status_code == 200  # the schedule is open


def test_a_student_acts_for_herself_and_a_tutor_runs_the_schedule() -> None:
    with TestClient(create_app("memory", clock=ManualClock(DEMO_NOW))) as client:
        slot = first_slot(client, "tina-1to1")
        group = first_slot(client, "tina-group")
        checkout = ann_books(client, slot)
        pays(client, checkout)
        booking_id, payment_id = checkout["booking"]["id"], checkout["payment"]["id"]
        booked = client.get(f"/v1/bookings/{booking_id}", headers=ANN).json()
        paid = client.get(f"/v1/payments/{payment_id}", headers=ANN).json()
        assert (booked["status"], paid["status"]) == ("CONFIRMED", "PAID")

        # bob is student:bob: ann's records are not his to read or change.
        for method, url, body in [
            ("get", f"/v1/bookings/{booking_id}", None),
            ("get", "/v1/participants/student:ann/bookings", None),
            ("get", f"/v1/payments/{payment_id}", None),
            ("post", f"/v1/bookings/{booking_id}/cancel-and-refund", {"role": "student"}),
            (
                "post",
                f"/v1/sessions/{group['id']}/paid-bookings",
                {"participant": "student:ann", "role": "student"},
            ),
        ]:
            refused = client.request(method, url, json=body, headers=BOB)
            assert refused.status_code == 403, (url, refused.text)
            assert refused.json()["error"] == "ParticipantNotGranted"
            # A stored record's participant is not named; a request's own is.
            named = "student:ann" if url.endswith(("paid-bookings", "ann/bookings")) else None
            assert (refused.json()["participant"], refused.json()["granted"]) == (
                named,
                "student:bob",
            )
        # Nor does a student run the schedule, or move money by hand.
        commands: list[tuple[str, dict[str, Any]]] = [
            (f"/v1/payments/{payment_id}/refunds", {"amount": "40.00", "currency": "EUR"}),
            ("/v1/payments/mark-paid", {"payment_ids": [payment_id]}),
            (f"/v1/sessions/{slot['id']}/cancel", {"reason": "I'd rather not"}),
            (
                f"/v1/sessions/{group['id']}/paid-bookings",
                {"participant": "student:bob", "role": "student", "manual": True, "confirm": True},
            ),
            ("/v1/sessions", {"start": slot["start"], "end": slot["end"], "lifecycle": "lms"}),
        ]
        for url, command in commands:
            for who in (BOB, {}):
                refused = client.post(url, json=command, headers=who)
                assert refused.status_code == 403, (url, refused.text)
                assert refused.json()["error"] == "RoleNotGranted"
        assert client.get(f"/v1/bookings/{booking_id}", headers=ANN).json() == booked
        assert client.get(f"/v1/payments/{payment_id}", headers=ANN).json() == paid
        assert client.get(f"/v1/sessions/{slot['id']}").json()["status"] == slot["status"]

        # The tutor (a provider: staff) reads ann's booking and gives some money back.
        assert client.get(f"/v1/bookings/{booking_id}", headers=TINA).json() == booked
        goodwill = client.post(
            f"/v1/payments/{payment_id}/refunds",
            json={"amount": "10.00", "currency": "EUR", "reason": "late start"},
            headers=TINA,
        )
        assert goodwill.status_code == 200, goodwill.text
        assert goodwill.json()["refunded"] == "10.00"

        # And takes bob's seat in the group against cash: a student's booking, made by hand.
        cash = client.post(
            f"/v1/sessions/{group['id']}/paid-bookings",
            json={"participant": "student:bob", "role": "student", "manual": True},
            headers=TINA,
        )
        assert cash.status_code == 201, cash.text
        assert cash.json()["next_action"] == "collect"
        assert (cash.json()["booking"]["participant"], cash.json()["booking"]["role"]) == (
            "student:bob",
            "student",
        )


def test_the_app_runs_the_due_work_in_the_background(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ann holds the one seat, Bob waits; the hold runs out with nobody writing to the
    # session: the app's own tick expires it and offers Bob the seat.
    monkeypatch.setenv("SESSIONKIT_TICK_SECONDS", "0.05")
    clock = ManualClock(DEMO_NOW)
    with TestClient(create_app("memory", clock=clock)) as client:
        slot = first_slot(client, "tina-1to1")
        held = ann_books(client, slot)
        waiting = client.post(
            f"/v1/sessions/{slot['id']}/paid-bookings",
            json={"participant": "student:bob", "role": "student", "waitlist": True},
            headers=BOB,
        ).json()
        assert waiting["booking"]["status"] == "WAITLISTED"
        clock.set(datetime.fromisoformat(held["booking"]["hold_expires_at"]))
        bob = f"/v1/bookings/{waiting['booking']['id']}"
        for _ in range(200):
            if client.get(bob, headers=BOB).json()["status"] == "OFFERED":
                break
            time.sleep(0.02)
        assert client.get(bob, headers=BOB).json()["status"] == "OFFERED"
        ann = client.get(f"/v1/bookings/{held['booking']['id']}", headers=ANN).json()
        assert ann["status"] == "EXPIRED"
