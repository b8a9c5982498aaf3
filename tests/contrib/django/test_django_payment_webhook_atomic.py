"""``payment_webhook`` under ``ATOMIC_REQUESTS``: the event is committed, and heard, once.

With ``ATOMIC_REQUESTS`` the view runs in the request's transaction, so the
kit's unit joins it: the payment must be stored and ``events_committed`` sent
when Django commits as the view returns, and a refused event must leave
nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import attrs
import pytest
from django.db import connections
from tests.contrib.django.test_django_payment_webhook import (  # the same provider and kit
    ALIAS,
    SENT,
    _paid,
    _post,
    paying,
)

from sessionkit.contrib.django.signals import events_committed
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

__all__ = ["paying"]  # the fixture, imported for these tests


@pytest.fixture
def atomic_requests() -> Iterator[None]:
    settings = connections.settings[ALIAS]
    before = settings["ATOMIC_REQUESTS"]
    settings["ATOMIC_REQUESTS"] = True
    try:
        yield
    finally:
        settings["ATOMIC_REQUESTS"] = before


@pytest.mark.usefixtures("atomic_requests")
def test_an_event_is_committed_and_its_events_sent_once(
    paying: tuple[SessionKit, FakeGateway, ManualClock],
) -> None:
    kit, gateway, _ = paying
    payment_id, event_id = _paid(kit, gateway)
    heard: list[object] = []

    def hear(sender: object, events: Any, **kwargs: object) -> None:
        heard.extend(type(x).__name__ for x in events)

    events_committed.connect(hear)
    try:
        first = _post("/events", event_id)
        replay = _post("/events", event_id)
    finally:
        events_committed.disconnect(hear)
    assert first == (200, {"outcome": "applied", "payment_id": payment_id, "status": "PAID"})
    assert replay[0] == 200
    assert replay[1]["outcome"] == "duplicate"
    assert kit.payments.get("acme", payment_id).status == "PAID"
    assert heard != []
    assert len(heard) == len(set(heard))


@pytest.mark.usefixtures("atomic_requests")
def test_a_refused_event_leaves_nothing(
    paying: tuple[SessionKit, FakeGateway, ManualClock],
) -> None:
    kit, gateway, clock = paying
    payment_id, event_id = _paid(kit, gateway)
    SENT[event_id] = attrs.evolve(SENT[event_id], occurred_at=clock.now() + timedelta(minutes=3))
    status, body = _post("/events", event_id)
    assert (status, body["error"]) == (422, "InvalidValue")
    assert kit.payments.get("acme", payment_id).status != "PAID"
    assert _post("/events", event_id)[0] == 422  # not a duplicate: no receipt was kept
