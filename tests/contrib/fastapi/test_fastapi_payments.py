"""Paid bookings, payments, refunds and the provider's webhook through httpx (in memory)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Header, HTTPException
from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.fastapi import Caller, sessionkit_router
from sessionkit.contrib.fastapi.payment_schemas import PaymentEventIn
from sessionkit.errors import InvalidDuration, NotADatetime
from sessionkit.model.money import Money
from sessionkit.policies import NoticePolicy, NoticeRule, RefundPolicy, RefundTier
from sessionkit.ports import RefundReceipt
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

from .conftest import HOURLY, RULES, ClientFor, problem

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ANN = {"X-Actor": "ann"}


def slot(client: TestClient, hours: float = 48, capacity: int = 1) -> str:
    body = {
        "start": (NOW + timedelta(hours=hours)).isoformat(),
        "end": (NOW + timedelta(hours=hours + 1)).isoformat(),
        "lifecycle": "lms",
        "capacity": capacity,
    }
    made = client.post("/v1/sessions", json=body)
    assert made.status_code == 201, made.text
    session_id: str = made.json()["id"]
    return session_id


def book(client: TestClient, session_id: str, **body: Any) -> dict[str, Any]:
    headers = {**ANN, **body.pop("headers", {})}
    made = client.post(
        f"/v1/sessions/{session_id}/paid-bookings",
        json={"participant": "student:ann", **body},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    checkout: dict[str, Any] = made.json()
    return checkout


def deliver(client: TestClient, gateway: FakeGateway) -> list[dict[str, Any]]:
    """Post every event the provider queued to the webhook; return the answers."""
    answers = []
    for event in gateway.drain():
        body = PaymentEventIn.of(event).model_dump(mode="json")
        answered = client.post("/v1/payments/events", json=body)
        assert answered.status_code == 200, answered.text
        answers.append(answered.json())
    return answers


def paid(client: TestClient, gateway: FakeGateway, session_id: str) -> dict[str, Any]:
    """Book ``session_id`` for ann and let the provider's success confirm it."""
    checkout = book(client, session_id)
    gateway.pay(checkout["payment"]["intent_ref"])
    [answer] = deliver(client, gateway)
    assert answer["outcome"] == "applied"
    return checkout


# -- booking and paying ---------------------------------------------------------------


def test_a_paid_booking_is_held_until_the_webhook_says_paid(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    session_id = slot(paid_client)
    checkout = book(paid_client, session_id)
    booking, payment = checkout["booking"], checkout["payment"]
    assert (booking["status"], payment["status"]) == ("HELD", "PENDING")
    assert (payment["amount"], payment["currency"], payment["booking_id"]) == (
        "40.00",
        "EUR",
        booking["id"],
    )
    assert checkout["next_action"] == "pay"
    assert checkout["client_secret"] == f"{payment['intent_ref']}_secret"

    gateway.pay(payment["intent_ref"])
    events = gateway.drain()
    body = PaymentEventIn.of(events[0]).model_dump(mode="json")
    applied = paid_client.post("/v1/payments/events", json=body).json()
    assert (applied["outcome"], applied["payment"]["status"]) == ("applied", "PAID")
    assert paid_client.get(f"/v1/bookings/{booking['id']}").json()["status"] == "CONFIRMED"

    again = paid_client.post("/v1/payments/events", json=body).json()
    assert again == {"outcome": "duplicate", "payment": None}
    got = paid_client.get(f"/v1/payments/{payment['id']}").json()
    assert (got["status"], got["version"]) == ("PAID", applied["payment"]["version"])
    assert got["refundable"] == "40.00"


def test_a_replay_with_the_same_key_returns_the_same_checkout(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    session_id = slot(paid_client)
    first = book(paid_client, session_id, headers={"Idempotency-Key": "order-1"})
    second = book(paid_client, session_id, headers={"Idempotency-Key": "order-1"})
    assert second["booking"]["id"] == first["booking"]["id"]
    assert second["payment"]["id"] == first["payment"]["id"]
    # A client whose first answer was lost still pays: the same intent, its secret again.
    assert (second["next_action"], second["client_secret"]) == ("pay", first["client_secret"])
    assert second["payment"]["intent_ref"] == first["payment"]["intent_ref"]
    assert len(gateway.intents) == 1


def test_a_payment_the_provider_takes_at_once_leaves_nothing_to_pay(
    client_for: ClientFor, clock: ManualClock
) -> None:
    # A saved card charged when the intent is made: the intent succeeded, and still has its
    # secret. The first answer said "pay" (with that secret) for a seat already paid, while a
    # replay of it said "none".
    instant = FakeGateway(clock=clock.now, instant=True)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        booking_rules=RULES,
        gateway=instant,
        pricing=HOURLY,
    )
    client = client_for(kit)
    session_id = slot(client)
    first = book(client, session_id, headers={"Idempotency-Key": "order-1"})
    replay = book(client, session_id, headers={"Idempotency-Key": "order-1"})
    for checkout in (first, replay):
        assert (checkout["booking"]["status"], checkout["payment"]["status"]) == (
            "CONFIRMED",
            "PAID",
        )
        assert (checkout["next_action"], checkout["client_secret"]) == ("none", None)


def test_a_declined_card_is_a_402_and_frees_the_seat(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    session_id = slot(paid_client)
    gateway.decline_next("insufficient_funds")
    refused = paid_client.post(
        f"/v1/sessions/{session_id}/paid-bookings",
        json={"participant": "student:ann"},
        headers=ANN,
    )
    body = problem(refused, 402, "PaymentDeclined")
    assert body["reason"] == "insufficient_funds"
    assert paid_client.get(f"/v1/payments/{body['payment_id']}").json()["status"] == "FAILED"
    listed = paid_client.get(f"/v1/sessions/{session_id}/bookings").json()["items"]
    statuses = [b["status"] for b in listed]
    assert statuses == ["CANCELLED"]
    assert book(paid_client, session_id)["booking"]["status"] == "HELD"  # the seat is free


def test_a_provider_that_is_down_is_a_502_and_a_retry_succeeds(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    session_id = slot(paid_client)
    gateway.fail_next()
    key = {"Idempotency-Key": "order-2"}
    down = paid_client.post(
        f"/v1/sessions/{session_id}/paid-bookings",
        json={"participant": "student:ann"},
        headers={**ANN, **key},
    )
    assert problem(down, 502, "PaymentGatewayError")["operation"] == "create_intent"
    retried = book(paid_client, session_id, headers=key)
    assert (retried["next_action"], retried["booking"]["status"]) == ("pay", "HELD")


def test_a_waitlisted_booking_pays_when_it_claims_its_offer(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    session_id = slot(paid_client)
    first = book(paid_client, session_id)
    queued = book(paid_client, session_id, participant="student:bob", waitlist=True)
    assert (queued["booking"]["status"], queued["next_action"]) == ("WAITLISTED", "wait_for_offer")
    assert queued["payment"]["intent_ref"] is None

    gateway.decline(first["payment"]["intent_ref"])
    [answer] = deliver(paid_client, gateway)
    assert answer["payment"]["status"] == "FAILED"
    offered = paid_client.get(f"/v1/bookings/{queued['booking']['id']}").json()
    assert offered["status"] == "OFFERED"

    claimed = paid_client.post(f"/v1/bookings/{offered['id']}/claim", headers=ANN)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["next_action"] == "pay"
    assert claimed.json()["payment"]["id"] == queued["payment"]["id"]


def test_a_manual_payment_is_collected_and_marked_paid(paid_client: TestClient) -> None:
    session_id = slot(paid_client)
    checkout = book(paid_client, session_id, manual=True, confirm=True)
    assert (checkout["booking"]["status"], checkout["next_action"]) == ("CONFIRMED", "collect")
    payment_id = checkout["payment"]["id"]
    marked = paid_client.post("/v1/payments/mark-paid", json={"payment_ids": [payment_id]})
    assert [(p["id"], p["status"]) for p in marked.json()] == [(payment_id, "PAID")]
    # Sent again (its answer lost): the same answer, not a 422.
    again = paid_client.post("/v1/payments/mark-paid", json={"payment_ids": [payment_id]})
    assert (again.status_code, again.json()) == (200, marked.json())
    refund = {"amount": "10.00", "currency": "EUR"}
    refunded = paid_client.post(f"/v1/payments/{payment_id}/refunds", json=refund)
    assert refunded.status_code == 200, refunded.text
    late = paid_client.post("/v1/payments/mark-paid", json={"payment_ids": [payment_id]})
    body = problem(late, 409, "TransitionRefused")
    assert (body["payment_status"], body["subject_id"]) == ("PARTIALLY_REFUNDED", payment_id)


def test_a_waitlisted_manual_payment_marked_paid_is_a_conflict(paid_client: TestClient) -> None:
    session_id = slot(paid_client)
    book(paid_client, session_id, manual=True, confirm=True)
    queued = book(paid_client, session_id, participant="student:bob", manual=True, waitlist=True)
    assert queued["booking"]["status"] == "WAITLISTED"
    payment_id = queued["payment"]["id"]
    # Not bad input (422): the same request succeeds once the booking is offered a seat.
    refused = paid_client.post("/v1/payments/mark-paid", json={"payment_ids": [payment_id]})
    body = problem(refused, 409, "TransitionRefused")
    assert (body["subject"], body["subject_id"], body["payment_status"]) == (
        "payment",
        payment_id,
        "PENDING",
    )
    assert f"'{queued['booking']['id']}' is WAITLISTED" in body["reason"]
    got = paid_client.get(f"/v1/payments/{payment_id}").json()
    assert (got["status"], got["version"]) == ("PENDING", queued["payment"]["version"])


def test_a_kit_without_a_provider_refuses_a_paid_booking(client: TestClient) -> None:
    session_id = slot(client)
    refused = client.post(
        f"/v1/sessions/{session_id}/paid-bookings", json={"participant": "student:ann"}
    )
    body = problem(refused, 422, "InvalidValue")
    assert body["expected"] == "a payment provider the host configures"  # not a Python class


@pytest.mark.parametrize("route", ["bookings", "paid-bookings"])
def test_the_acting_role_is_what_the_notice_policy_judges(
    client_for: ClientFor, clock: ManualClock, gateway: FakeGateway, route: str
) -> None:
    notice = NoticePolicy(rules=(NoticeRule("book", {"student"}, timedelta(days=2)),))
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        booking_rules=RULES,
        gateway=gateway,
        pricing=HOURLY if route == "paid-bookings" else None,  # a free seat is booked freely
        notice=notice,
    )
    client = client_for(kit)
    url = f"/v1/sessions/{slot(client, hours=30)}/{route}"
    asked = {"participant": "student:ann", "role": "student"}
    refused = client.post(url, json=asked, headers={**ANN, "X-Roles": "student"})
    assert problem(refused, 409, "BookingRefused")["rule"] == "notice"
    # The desk acts as host and gives the booking the student's role: it holds both.
    desk = {"X-Actor": "desk", "X-Roles": "host,student"}
    for_her = client.post(url, json={**asked, "acting_role": "host"}, headers=desk)
    assert for_her.status_code == 201, for_her.text
    # A role a booking is given is one its caller holds: acting as a plain attendee does not
    # let a caller make someone (itself) the session's host.
    grab = {"participant": "student:mal", "role": "host", "acting_role": "attendee"}
    refused = problem(
        client.post(url, json=grab, headers={"X-Actor": "mal"}), 403, "RoleNotGranted"
    )
    assert refused["role"] == "host"
    hostless = {"participant": "student:bo", "role": "student", "acting_role": "host"}
    refused = problem(
        client.post(url, json=hostless, headers={**desk, "X-Roles": "host"}), 403, "RoleNotGranted"
    )
    assert refused["role"] == "student"


# -- refunds --------------------------------------------------------------------------


def tiered_kit(clock: ManualClock, gateway: FakeGateway) -> SessionKit:
    """Full refund with two days' notice, half after; a provider's cancel refunds all."""
    return SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        booking_rules=RULES,
        gateway=gateway,
        pricing=HOURLY,
        refunds=RefundPolicy(tiers=(RefundTier(timedelta(days=2), 100),), late_percent=50),
    )


@pytest.mark.parametrize(
    ("role", "refunded", "status"),
    [("participant", "20.00", "PARTIALLY_REFUNDED"), ("provider", "40.00", "REFUNDED")],
)
def test_cancelling_refunds_by_the_policy_for_the_acting_role(
    client_for: ClientFor,
    clock: ManualClock,
    gateway: FakeGateway,
    role: str,
    refunded: str,
    status: str,
) -> None:
    client = client_for(tiered_kit(clock, gateway))
    session_id = slot(client, hours=30)  # less than two days' notice: a participant gets half
    checkout = paid(client, gateway, session_id)
    booking_id = checkout["booking"]["id"]
    done = client.post(
        f"/v1/bookings/{booking_id}/cancel-and-refund",
        json={"role": role, "reason": "ill"},
        headers={"X-Roles": role, "X-Participant": "student:ann"},
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["booking"]["status"] == "CANCELLED"
    assert (body["payment"]["refunded"], body["payment"]["status"]) == (refunded, status)
    assert gateway.collected("EUR") == Money.of(40, "EUR") - Money.of(refunded, "EUR")


def test_cancelling_an_unpaid_booking_has_no_refund(client: TestClient) -> None:
    session_id = slot(client)
    held = client.post(f"/v1/sessions/{session_id}/bookings", json={"participant": "student:ann"})
    done = client.post(f"/v1/bookings/{held.json()['id']}/cancel-and-refund")
    assert (done.json()["booking"]["status"], done.json()["payment"]) == ("CANCELLED", None)


def test_a_goodwill_refund_gives_part_back_and_never_more_than_is_left(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    payment_id = paid(paid_client, gateway, slot(paid_client))["payment"]["id"]
    url = f"/v1/payments/{payment_id}/refunds"
    part = paid_client.post(url, json={"amount": "10.00", "currency": "EUR", "reason": "late"})
    assert part.status_code == 200, part.text
    assert (part.json()["status"], part.json()["refunded"], part.json()["refundable"]) == (
        "PARTIALLY_REFUNDED",
        "10.00",
        "30.00",
    )
    too_much = paid_client.post(url, json={"amount": "50", "currency": "EUR"})
    body = problem(too_much, 422, "RefundExceedsPayment")
    assert (body["remaining"], body["asked"], body["currency"]) == ("30.00", "50.00", "EUR")
    problem(paid_client.post(url, json={"amount": "ten", "currency": "EUR"}), 422, "InvalidValue")
    # A refused amount is shown as amounts travel (decimal text and currency), not as a repr
    for sent, detail in (
        ("-5", "a refund is Money above zero, got -5.00 EUR"),
        ("1.005", "a refund is whole EUR minor units (2 decimal places), got 1.005"),
    ):
        body = problem(
            paid_client.post(url, json={"amount": sent, "currency": "EUR"}), 422, "InvalidValue"
        )
        assert (body["detail"], body["value"]) == (detail, {"amount": sent, "currency": "EUR"})
    problem(paid_client.post(url, json={"amount": "1", "currency": "USD"}), 422, "CurrencyMismatch")
    problem(
        paid_client.post(url, json={"amount": 1, "currency": "EUR"}), 422, "RequestValidationError"
    )
    assert paid_client.get(f"/v1/payments/{payment_id}").json()["refunded"] == "10.00"


def test_a_refund_the_provider_answered_failed_is_sent_again_by_staff(
    paid_client: TestClient, gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment_id = paid(paid_client, gateway, slot(paid_client))["payment"]["id"]
    retry = f"/v1/payments/{payment_id}/refund-retries"
    body = problem(paid_client.post(retry), 422, "InvalidValue")  # nothing failed yet
    assert body["expected"] == "a payment whose refund call the provider answered failed"
    closed = RefundReceipt(ref="re_closed", status="failed")
    with monkeypatch.context() as patched:
        patched.setattr(gateway, "refund", lambda *_args, **_kwargs: closed)
        url = f"/v1/payments/{payment_id}/refunds"
        asked = paid_client.post(url, json={"amount": "10.00", "currency": "EUR"})
        assert asked.status_code == 200, asked.text
        assert (asked.json()["refund_due"], asked.json()["failure"]) == (
            "10.00",
            "the provider answered refund 're_closed' failed",
        )
    problem(paid_client.post(retry, headers={**ANN, "X-Roles": "student"}), 403, "RoleNotGranted")
    sent = paid_client.post(retry)
    assert sent.status_code == 200, sent.text
    assert (sent.json()["status"], sent.json()["refunded"], sent.json()["failure"]) == (
        "PARTIALLY_REFUNDED",
        "10.00",
        None,
    )


def test_a_payment_says_how_often_its_due_call_failed_and_when_it_is_tried_again(
    paid_client: TestClient, paid_kit: SessionKit, gateway: FakeGateway, clock: ManualClock
) -> None:
    # The response said a refund was due, not that the job had failed it and waited.
    payment_id = paid(paid_client, gateway, slot(paid_client))["payment"]["id"]
    url = f"/v1/payments/{payment_id}"
    gateway.fail_next(2)  # the refund's call at the commit, and the job's
    asked = paid_client.post(f"{url}/refunds", json={"amount": "10.00", "currency": "EUR"})
    assert asked.status_code == 200, asked.text
    assert (asked.json()["due"], asked.json()["failed_calls"], asked.json()["retry_at"]) == (
        "refund",
        0,
        None,
    )
    assert len(paid_kit.run_payment_calls().failed) == 1
    waiting = paid_client.get(url).json()
    assert (waiting["due"], waiting["failed_calls"]) == ("refund", 1)
    assert datetime.fromisoformat(waiting["retry_at"]) == clock.now() + timedelta(minutes=1)


def test_a_goodwill_refund_retried_with_its_idempotency_key_refunds_once(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    payment_id = paid(paid_client, gateway, slot(paid_client))["payment"]["id"]
    url = f"/v1/payments/{payment_id}/refunds"
    ten = {"amount": "10.00", "currency": "EUR"}
    first = paid_client.post(url, json=ten, headers={"Idempotency-Key": "goodwill-1"})
    assert first.status_code == 200, first.text
    again = paid_client.post(url, json=ten, headers={"Idempotency-Key": "goodwill-1"})
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert (again.json()["refunded"], again.json()["refundable"]) == ("10.00", "30.00")
    assert gateway.intents[first.json()["intent_ref"]].refunded == Decimal(10)

    other = {"amount": "15.00", "currency": "EUR"}
    reused = paid_client.post(url, json=other, headers={"Idempotency-Key": "goodwill-1"})
    body = problem(reused, 422, "RefundKeyReused")
    assert (body["key"], body["amount"], body["currency"]) == ("goodwill-1", "15.00", "EUR")
    assert (body["first_amount"], body["first_currency"]) == ("10.00", "EUR")
    assert (body["payment_id"], body["first_payment_id"]) == (payment_id, payment_id)
    fresh = paid_client.post(url, json=ten, headers={"Idempotency-Key": "goodwill-2"})
    assert fresh.json()["refunded"] == "20.00"  # another key is another refund
    unkeyed = [paid_client.post(url, json=ten).json()["refunded"] for _ in range(2)]
    assert unkeyed == ["30.00", "40.00"]  # without a key, each request refunds


# -- reads ----------------------------------------------------------------------------


def test_payments_are_read_by_booking_session_and_pages(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    first, second = slot(paid_client, 24), slot(paid_client, 48)
    ann = book(paid_client, first)
    bob = book(paid_client, second, participant="student:bob")
    by_booking = paid_client.get(f"/v1/bookings/{ann['booking']['id']}/payments").json()
    assert [p["id"] for p in by_booking] == [ann["payment"]["id"]]
    by_session = paid_client.get(f"/v1/sessions/{second}/payments").json()
    assert [p["id"] for p in by_session["items"]] == [bob["payment"]["id"]]

    page = paid_client.get("/v1/payments", params={"limit": 1}).json()
    assert [p["id"] for p in page["items"]] == [ann["payment"]["id"]]  # the earlier session first
    rest = paid_client.get("/v1/payments", params={"limit": 1, "cursor": page["next_cursor"]})
    assert [p["id"] for p in rest.json()["items"]] == [bob["payment"]["id"]]
    assert rest.json()["next_cursor"] is None
    bobs = paid_client.get("/v1/payments", params={"participant": "student:bob"}).json()
    assert [p["id"] for p in bobs["items"]] == [bob["payment"]["id"]]

    problem(paid_client.get("/v1/payments/nope"), 404, "PaymentNotFound")
    problem(paid_client.get("/v1/bookings/nope/payments"), 404, "BookingNotFound")
    problem(paid_client.get("/v1/sessions/nope/payments"), 404, "SessionNotFound")
    problem(paid_client.get("/v1/payments", params={"cursor": "x"}), 422, "InvalidValue")


# -- the webhook ----------------------------------------------------------------------


def test_an_event_for_no_payment_here_is_unknown_and_a_nameless_one_a_422(
    paid_client: TestClient,
) -> None:
    event = {
        "provider": "fake",
        "event_id": "evt_x",
        "type": "succeeded",
        "occurred_at": NOW.isoformat(),
        "intent_ref": "pi_elsewhere",
    }
    answered = paid_client.post("/v1/payments/events", json=event)
    assert (answered.status_code, answered.headers["Retry-After"]) == (503, "60")
    assert answered.json() == {"outcome": "unknown", "payment": None}
    nameless = {**event, "event_id": "evt_y", "intent_ref": None}
    body = problem(paid_client.post("/v1/payments/events", json=nameless), 422, "InvalidValue")
    assert body["expected"] == "payment_id or intent_ref"


def test_an_event_that_outran_its_intents_reference_is_answered_so_the_provider_retries(
    paid_client: TestClient, paid_kit: SessionKit, gateway: FakeGateway, clock: ManualClock
) -> None:
    # The provider's success for pi_1 came before the kit stored that reference (the create
    # call failed; the payment job made it again): a 200 "unknown" ended the provider's
    # retries (Stripe, Adyen send again on a non-2xx only), and the seat was never paid.
    gateway.fail_next()
    session_id = slot(paid_client)
    made = paid_client.post(
        f"/v1/sessions/{session_id}/paid-bookings",
        json={"participant": "student:ann"},
        headers=ANN,
    )
    assert made.status_code == 502, made.text
    [payment] = paid_client.get("/v1/payments").json()["items"]
    assert (payment["intent_ref"], payment["due"]) == (None, "create")
    event = {
        "provider": "fake",
        "event_id": "evt_early",
        "type": "succeeded",
        "occurred_at": NOW.isoformat(),
        "intent_ref": "pi_1",
    }
    early = paid_client.post("/v1/payments/events", json=event)
    assert (early.status_code, early.headers["Retry-After"]) == (503, "60")
    assert early.json() == {"outcome": "unknown", "payment": None}
    clock.set(NOW + timedelta(minutes=2))
    assert paid_kit.run_payment_calls().failed == ()  # the intent's reference is stored now
    again = paid_client.post("/v1/payments/events", json=event)  # the provider's redelivery
    assert (again.status_code, again.json()["outcome"]) == (200, "applied")
    assert again.json()["payment"]["status"] == "PAID"
    booking_id = paid_client.get(f"/v1/payments/{payment['id']}").json()["booking_id"]
    assert paid_client.get(f"/v1/bookings/{booking_id}").json()["status"] == "CONFIRMED"
    duplicate = paid_client.post("/v1/payments/events", json=event)
    assert (duplicate.status_code, duplicate.json()["outcome"]) == (200, "duplicate")
    failed = {**event, "event_id": "evt_late_failure", "type": "failed"}
    stale = paid_client.post("/v1/payments/events", json=failed)
    assert (stale.status_code, stale.json()["outcome"]) == (200, "stale")
    assert "Retry-After" not in stale.headers


def test_an_unknown_event_a_day_old_is_answered_200_to_end_the_retries(
    paid_client: TestClient, clock: ManualClock
) -> None:
    # A payment made elsewhere on the same provider account is never known here.
    event = {
        "provider": "fake",
        "event_id": "evt_elsewhere",
        "type": "succeeded",
        "occurred_at": NOW.isoformat(),
        "intent_ref": "pi_elsewhere",
    }
    clock.set(NOW + timedelta(days=1) - timedelta(seconds=1))
    assert paid_client.post("/v1/payments/events", json=event).status_code == 503
    clock.set(NOW + timedelta(days=1))
    answered = paid_client.post("/v1/payments/events", json=event)
    assert (answered.status_code, answered.json()["outcome"]) == (200, "unknown")
    assert "Retry-After" not in answered.headers


def test_a_refund_event_counts_the_providers_total(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    payment = paid(paid_client, gateway, slot(paid_client))["payment"]
    event = {
        "provider": "fake",
        "event_id": "evt_refund_1",
        "type": "refunded",
        "occurred_at": NOW.isoformat(),
        "payment_id": payment["id"],
        "amount": {"amount": "15.5", "currency": "EUR"},
    }
    applied = paid_client.post("/v1/payments/events", json=event).json()
    assert (applied["payment"]["refunded"], applied["payment"]["status"]) == (
        "15.50",
        "PARTIALLY_REFUNDED",
    )
    assert Decimal(applied["payment"]["refundable"]) == Decimal("24.50")
    negative = {**event, "event_id": "evt_refund_2", "amount": {"amount": "-5", "currency": "EUR"}}
    body = problem(paid_client.post("/v1/payments/events", json=negative), 422, "InvalidValue")
    assert body["value"] == {"amount": "-5", "currency": "EUR"}
    corrected = {**negative, "amount": {"amount": "20.5", "currency": "EUR"}}  # not a duplicate now
    applied = paid_client.post("/v1/payments/events", json=corrected).json()
    assert (applied["outcome"], applied["payment"]["refunded"]) == ("applied", "20.50")


def test_an_event_dated_in_the_future_is_refused_and_applies_nothing(
    paid_client: TestClient, gateway: FakeGateway, clock: ManualClock
) -> None:
    # A success dated a day ahead of the kit's clock was applied as any other.
    checkout = book(paid_client, slot(paid_client))
    payment = checkout["payment"]
    gateway.pay(payment["intent_ref"])
    [sent] = [PaymentEventIn.of(e).model_dump(mode="json") for e in gateway.drain()]
    ahead = {**sent, "occurred_at": (NOW + timedelta(days=1)).isoformat()}
    body = problem(paid_client.post("/v1/payments/events", json=ahead), 422, "InvalidValue")
    assert body["value"] == "2026-03-03T08:00:00+00:00"
    assert body["expected"] == "at or before 2026-03-02T08:02:00+00:00"  # now plus 2 minutes
    assert body["detail"] == (
        "occurred_at 2026-03-03T08:00:00+00:00 is later than the kit's now"
        " (2026-03-02T08:00:00+00:00) plus 120 seconds allowed for clock skew: a payment event"
        " is posted after it happens"
    )
    got = paid_client.get(f"/v1/payments/{payment['id']}").json()
    assert (got["status"], got["version"]) == ("PENDING", payment["version"])

    skewed = {**sent, "occurred_at": (NOW + timedelta(minutes=2)).isoformat()}
    applied = paid_client.post("/v1/payments/events", json=skewed).json()  # no receipt was kept
    assert (applied["outcome"], applied["payment"]["status"]) == ("applied", "PAID")
    assert paid_client.get(f"/v1/bookings/{checkout['booking']['id']}").json()["status"] == (
        "CONFIRMED"
    )


def test_a_routers_payment_event_skew_is_its_own_and_checked_when_built(
    paid_kit: SessionKit,
) -> None:
    def caller() -> Caller:  # staff: the router has no webhook=
        return Caller("acme", roles={"admin"})

    app = FastAPI()
    strict = sessionkit_router(kit=lambda: paid_kit, caller=caller, payment_event_skew=timedelta(0))
    app.include_router(strict)
    event = {
        "provider": "fake",
        "event_id": "evt_1",
        "type": "succeeded",
        "occurred_at": (NOW + timedelta(microseconds=1)).isoformat(),
        "intent_ref": "pi_x",
    }
    with TestClient(app) as client:
        body = problem(client.post("/payments/events", json=event), 422, "InvalidValue")
        assert body["expected"] == "at or before 2026-03-02T08:00:00+00:00"
        assert "plus 0 seconds allowed for clock skew" in body["detail"]
        on_time = {**event, "occurred_at": NOW.isoformat()}
        assert client.post("/payments/events", json=on_time).json()["outcome"] == "unknown"
    with pytest.raises(
        InvalidDuration, match=r"payment_event_skew must be at most 1 hour long, got 2 hours$"
    ):
        sessionkit_router(
            kit=lambda: paid_kit, caller=caller, payment_event_skew=timedelta(hours=2)
        )
    with pytest.raises(InvalidDuration, match="payment_event_skew must not be negative"):
        sessionkit_router(kit=lambda: paid_kit, caller=caller, payment_event_skew=-timedelta(1))
    with pytest.raises(NotADatetime, match="payment_event_skew"):
        sessionkit_router(kit=lambda: paid_kit, caller=caller, payment_event_skew=120)  # type: ignore[arg-type]


def test_the_webhook_caller_verifies_the_provider(paid_kit: SessionKit) -> None:
    """The host's webhook dependency checks the signature and picks the tenant."""

    def signed(x_signature: Annotated[str | None, Header()] = None) -> Caller:
        if x_signature != "good":
            raise HTTPException(401, "bad signature")
        return Caller("acme")

    app = FastAPI()
    app.include_router(
        sessionkit_router(
            kit=lambda: paid_kit, caller=lambda: Caller("acme", actor="u"), webhook=signed
        )
    )
    event = {
        "provider": "fake",
        "event_id": "evt_1",
        "type": "succeeded",
        "occurred_at": NOW.isoformat(),
        "intent_ref": "pi_x",
    }
    with TestClient(app) as client:
        refused = client.post("/payments/events", json=event)
        body = problem(refused, 401, "HTTPException")
        assert body["title"] == "Unauthorized"
        answered = client.post("/payments/events", json=event, headers={"X-Signature": "good"})
        assert answered.json()["outcome"] == "unknown"
        presence = client.post("/presence-events", json={"events": []})
        assert presence.status_code == 401  # the presence webhook takes it too


LONG_PAYMENT_BODIES = {
    "RefundCreate: a reason of 256": ("refund", {"reason": "x" * 256}, ["reason"]),
    "MarkPaid: a payment id of 129": ("mark", {"payment_ids": ["p" * 129]}, ["payment_ids", 1]),
    "PaymentEventIn: a provider of 129": ("event", {"provider": "f" * 129}, ["provider"]),
    "PaymentEventIn: an event_id of 129": ("event", {"event_id": "e" * 129}, ["event_id"]),
    "PaymentEventIn: a payment_id of 129": ("event", {"payment_id": "p" * 129}, ["payment_id"]),
    "PaymentEventIn: an intent_ref of 256": ("event", {"intent_ref": "i" * 256}, ["intent_ref"]),
    "PaymentEventIn: a reason of 256": ("event", {"reason": "x" * 256}, ["reason"]),
}


@pytest.mark.parametrize(
    ("route", "sent", "loc"), LONG_PAYMENT_BODIES.values(), ids=LONG_PAYMENT_BODIES.keys()
)
def test_a_payment_body_past_a_length_cap_is_a_422_naming_the_field_and_writes_nothing(
    paid_client: TestClient,
    gateway: FakeGateway,
    route: str,
    sent: dict[str, Any],
    loc: list[str | int],
) -> None:
    # A refund's reason, the ids marked paid and the provider's strings were taken as far as
    # the core's own checks, undeclared, where the booking bodies cap theirs.
    refundable = paid(paid_client, gateway, slot(paid_client))["payment"]
    pending = book(paid_client, slot(paid_client, 72))["payment"]
    manual = book(paid_client, slot(paid_client, 96), manual=True, confirm=True)["payment"]
    gateway.pay(pending["intent_ref"])
    [event] = [PaymentEventIn.of(e).model_dump(mode="json") for e in gateway.drain()]
    urls = [f"/v1/payments/{p['id']}" for p in (refundable, pending, manual)]
    before = [paid_client.get(url).json() for url in urls]
    if route == "refund":
        body = {"amount": "10.00", "currency": "EUR", **sent}
        refused = paid_client.post(f"{urls[0]}/refunds", json=body)
    elif route == "mark":
        body = {"payment_ids": [manual["id"], *sent["payment_ids"]]}  # the first one is fine
        refused = paid_client.post("/v1/payments/mark-paid", json=body)
    else:
        refused = paid_client.post("/v1/payments/events", json={**event, **sent})
    assert refused.status_code == 422, refused.text
    got = refused.json()
    assert got["error"] == "RequestValidationError"
    assert [e["loc"][1:][: len(loc)] for e in got["errors"]] == [loc]
    assert [paid_client.get(url).json() for url in urls] == before


def test_payment_bodies_at_the_length_caps_are_taken(
    paid_client: TestClient, gateway: FakeGateway
) -> None:
    payment_id = paid(paid_client, gateway, slot(paid_client))["payment"]["id"]
    sent = {"amount": "10.00", "currency": "EUR", "reason": "x" * 255}
    refunded = paid_client.post(f"/v1/payments/{payment_id}/refunds", json=sent)
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["refunded"] == "10.00"
    # An id of 128 reaches the core, which finds no such payment (nothing is marked).
    manual = book(paid_client, slot(paid_client, 96), manual=True, confirm=True)["payment"]
    marked = paid_client.post("/v1/payments/mark-paid", json={"payment_ids": ["p" * 128]})
    assert problem(marked, 404, "PaymentNotFound")["payment_id"] == "p" * 128
    assert paid_client.get(f"/v1/payments/{manual['id']}").json()["status"] == "PENDING"
    # provider and event_id: each within its cap, "provider:event_id" at most 128 (the core's).
    event = {
        "provider": "f" * 64,
        "event_id": "e" * 63,
        "type": "succeeded",
        "occurred_at": NOW.isoformat(),
        "payment_id": "p" * 128,
        "intent_ref": "i" * 255,
        "reason": "x" * 255,
    }
    answer = paid_client.post("/v1/payments/events", json=event)
    assert answer.status_code == 503, answer.text  # not known yet: sent again later
    assert answer.json() == {"outcome": "unknown", "payment": None}
    longer = {**event, "provider": "f" * 128}  # at its cap, but too long a pair for the core
    refused = problem(paid_client.post("/v1/payments/events", json=longer), 422, "InvalidValue")
    assert refused["detail"].startswith("PaymentEvent's provider:event_id is 192 characters long")
