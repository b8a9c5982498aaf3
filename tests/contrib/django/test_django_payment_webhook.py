"""``payment_webhook``: a Django host's view applying its payment provider's events.

FastAPI hosts had ``POST /payments/events``; a Django host had to write the
view itself. The host's ``parse`` verifies the request and returns the tenant
and the event; the view applies it once, through the kit.
"""

from __future__ import annotations

import json
import re
import sys
import types
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import attrs
import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.test import Client, override_settings
from django.urls import URLPattern, path
from tests.django_app.conftest import clear

from sessionkit.contrib.django.store import DjangoStore
from sessionkit.contrib.django.views import payment_webhook
from sessionkit.errors import StorageUnavailable
from sessionkit.model.money import Money
from sessionkit.model.payment import PaymentEvent
from sessionkit.policies import Rate
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

ALIAS = "default"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
SENT: dict[str, PaymentEvent] = {}
"""The events the fake provider sent, by id: what the test's parse reads a body into."""
KIT: list[SessionKit] = []


def parse(request: HttpRequest) -> tuple[str, PaymentEvent]:
    """The provider's part: check its signature, read its payload."""
    if request.headers.get("X-Signature") != "good":
        raise PermissionDenied("bad signature")
    return "acme", SENT[json.loads(request.body)["id"]]


def failing_store(request: HttpRequest) -> tuple[str, PaymentEvent]:
    raise StorageUnavailable("the database is away")


urlpatterns = [
    path("events", payment_webhook(parse, kit=lambda: KIT[0])),
    path("down", payment_webhook(failing_store, kit=lambda: KIT[0])),
]


@pytest.fixture
def paying() -> Iterator[tuple[SessionKit, FakeGateway, ManualClock]]:
    from django.core.management import call_command

    call_command("migrate", database=ALIAS, verbosity=0)  # done already in a full run
    clear(ALIAS)
    clock = ManualClock(NOW)
    gateway = FakeGateway(clock=clock.now)
    kit = SessionKit(
        uow=DjangoStore(using=ALIAS).unit_of_work,
        clock=clock,
        gateway=gateway,
        pricing=Rate(Money.of(40, "EUR")),
    )
    KIT.append(kit)
    try:
        with override_settings(ROOT_URLCONF=__name__):
            yield kit, gateway, clock
    finally:
        KIT.remove(kit)
        SENT.clear()
        clear(ALIAS)


def _paid(kit: SessionKit, gateway: FakeGateway) -> tuple[str, str]:
    """A booking paid at the provider, its event sent (not applied): (payment id, event id)."""
    start = NOW + timedelta(days=2)
    lesson = kit.sessions.create_extra(
        "acme", actor="t", start=start, end=start + timedelta(hours=1), lifecycle="academy"
    )
    checkout = kit.payments.book("acme", lesson.id, "student:ana", actor="ana")
    intent = checkout.payment.intent_ref
    assert intent is not None
    gateway.pay(intent)
    [event] = [e for e in gateway.drain() if e.type == "succeeded"]
    SENT[event.event_id] = event
    return checkout.payment.id, event.event_id


def _post(url: str, event_id: str, signature: str = "good") -> tuple[int, dict[str, object]]:
    answer = Client().post(
        url, {"id": event_id}, content_type="application/json", headers={"X-Signature": signature}
    )
    return answer.status_code, json.loads(answer.content) if answer.content.strip() else {}


def test_an_event_is_applied_once_and_its_replay_answered_2xx(
    paying: tuple[SessionKit, FakeGateway, ManualClock],
) -> None:
    kit, gateway, _ = paying
    payment_id, event_id = _paid(kit, gateway)
    first = _post("/events", event_id)
    replay = _post("/events", event_id)
    assert first == (200, {"outcome": "applied", "payment_id": payment_id, "status": "PAID"})
    assert replay == (200, {"outcome": "duplicate", "payment_id": None, "status": None})
    assert kit.payments.get("acme", payment_id).status == "PAID"


def test_an_event_of_no_payment_here_yet_is_asked_for_again(
    paying: tuple[SessionKit, FakeGateway, ManualClock],
) -> None:
    kit, gateway, _ = paying
    _, event_id = _paid(kit, gateway)
    SENT[event_id] = attrs.evolve(SENT[event_id], payment_id="p-elsewhere", intent_ref="pi_x")
    answer = Client().post(
        "/events",
        {"id": event_id},
        content_type="application/json",
        headers={"X-Signature": "good"},
    )
    assert (answer.status_code, answer["Retry-After"]) == (503, "60")
    assert json.loads(answer.content)["outcome"] == "unknown"


def test_an_event_dated_past_the_kit_s_clock_is_a_problem(
    paying: tuple[SessionKit, FakeGateway, ManualClock],
) -> None:
    kit, gateway, _ = paying
    payment_id, event_id = _paid(kit, gateway)
    SENT[event_id] = attrs.evolve(SENT[event_id], occurred_at=NOW + timedelta(minutes=3))
    answer = Client().post(
        "/events",
        {"id": event_id},
        content_type="application/json",
        headers={"X-Signature": "good"},
    )
    body = json.loads(answer.content)
    assert (answer.status_code, answer["Content-Type"]) == (422, "application/problem+json")
    assert (body["status"], body["error"]) == (422, "InvalidValue")
    assert "occurred_at" in body["detail"]
    assert kit.payments.get("acme", payment_id).status != "PAID"


@pytest.mark.usefixtures("paying")
def test_a_storage_fault_is_a_503_problem() -> None:
    status, body = _post("/down", "evt")
    assert (status, body["error"]) == (503, "StorageUnavailable")


def test_a_bad_signature_is_refused_and_changes_nothing(
    paying: tuple[SessionKit, FakeGateway, ManualClock],
) -> None:
    kit, gateway, _ = paying
    payment_id, event_id = _paid(kit, gateway)
    assert (
        Client().post("/events", {"id": event_id}, content_type="application/json").status_code
        == 403
    )
    assert kit.payments.get("acme", payment_id).status != "PAID"


@pytest.mark.usefixtures("paying")
@pytest.mark.parametrize("method", ["get", "put"], ids=["get", "put"])
def test_only_post_is_allowed(method: str) -> None:
    assert getattr(Client(), method)("/events").status_code == 405


def test_csrf_is_not_asked_of_the_provider(
    paying: tuple[SessionKit, FakeGateway, ManualClock],
) -> None:
    kit, gateway, _ = paying
    _, event_id = _paid(kit, gateway)
    answer = Client(enforce_csrf_checks=True).post(
        "/events",
        {"id": event_id},
        content_type="application/json",
        headers={"X-Signature": "good"},
    )
    assert answer.status_code == 200


def test_the_docs_urls_snippet_mounts_the_view(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/django.md's ``urls.py`` runs (with a stand-in ``stripe``) and mounts a POST view."""
    docs = (Path(__file__).parents[3] / "docs" / "django.md").read_text(encoding="utf-8")
    [snippet] = re.findall(r"```python\n(# myproject/urls.py\n.*?)```", docs, re.DOTALL)
    monkeypatch.setitem(sys.modules, "stripe", types.ModuleType("stripe"))
    space: dict[str, object] = {}
    exec(compile(snippet, "docs/django.md", "exec"), space)  # the docs' own code
    [route] = cast("list[URLPattern]", space["urlpatterns"])
    assert str(route.pattern) == "payments/events"
    assert route.callback(Client().get("/").wsgi_request).status_code == 405
