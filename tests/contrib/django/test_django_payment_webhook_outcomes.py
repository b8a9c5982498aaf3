"""``payment_webhook``'s other answers, as FastAPI's ``POST /payments/events`` gives them.

A stale event (one the payment has moved past) is a 200 that changes nothing;
an event of no payment here older than ``UNKNOWN_EVENT_RETRIED_FOR`` is a 200
without ``Retry-After``, so that it stops holding the provider's retry queue.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
from django.test import Client
from tests.contrib.django.test_django_payment_webhook import SENT, _paid, _post, paying

from sessionkit.contrib._http_status import UNKNOWN_EVENT_RETRIED_FOR
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

__all__ = ["paying"]  # the fixture, imported for these tests


def test_a_failure_heard_after_the_success_is_stale(
    paying: tuple[SessionKit, FakeGateway, ManualClock],
) -> None:
    kit, gateway, _ = paying
    payment_id, event_id = _paid(kit, gateway)
    SENT["evt-late"] = attrs.evolve(SENT[event_id], event_id="evt-late", type="failed")
    assert _post("/events", event_id)[0] == 200
    late = _post("/events", "evt-late")
    assert late == (200, {"outcome": "stale", "payment_id": payment_id, "status": "PAID"})
    assert kit.payments.get("acme", payment_id).status == "PAID"


def test_an_unknown_event_past_the_retry_window_is_a_200(
    paying: tuple[SessionKit, FakeGateway, ManualClock],
) -> None:
    kit, gateway, clock = paying
    _, event_id = _paid(kit, gateway)
    SENT[event_id] = attrs.evolve(
        SENT[event_id],
        payment_id="p-elsewhere",
        intent_ref="pi_x",
        occurred_at=clock.now() - UNKNOWN_EVENT_RETRIED_FOR - timedelta(seconds=1),
    )
    answer = Client().post(
        "/events", {"id": event_id}, content_type="application/json",
        headers={"X-Signature": "good"},
    )  # fmt: skip
    assert (answer.status_code, answer.has_header("Retry-After")) == (200, False)
    assert _post("/events", event_id) == (
        200,
        {"outcome": "unknown", "payment_id": None, "status": None},
    )
