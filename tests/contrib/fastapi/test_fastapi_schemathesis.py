"""schemathesis against the router's OpenAPI document: no 500s, and every response conforms.

Stateless and bounded (a few examples per operation), so it runs in seconds. A
session, a series, a booking, a paid booking (the fake provider), a reschedule
request and an attendance override are stored first so that some generated
requests reach real records; most meet 404 or 422 problems, which must match
the document too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import pytest

pytest.importorskip("schemathesis")

import schemathesis
from fastapi import FastAPI, Header
from hypothesis import HealthCheck, settings
from schemathesis import checks

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.fastapi import DEFAULT_ROLES, Caller, sessionkit_router
from sessionkit.model.money import Money
from sessionkit.model.series import ScheduleItem
from sessionkit.policies import BookingRules, Rate
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CLOCK = ManualClock(NOW)
KIT = SessionKit(
    uow=InMemoryStore().unit_of_work,
    clock=CLOCK,
    booking_rules=BookingRules(max_horizon=timedelta(weeks=4), waitlist=True),
    gateway=FakeGateway(clock=CLOCK.now),
    pricing=Rate(Money.of(40, "EUR")),
)
SLOT = KIT.sessions.create_extra(
    "acme",
    actor="seed",
    start=NOW + timedelta(days=1),
    end=NOW + timedelta(days=1, hours=1),
    lifecycle="lms",
    resources=["room:r1"],
    capacity=5,
    session_id="s1",
)
KIT.payments.book("acme", "s1", "student:ann", actor="seed", manual=True, confirm=True)
KIT.payments.book("acme", "s1", "student:bob", actor="seed")
KIT.reschedules.request("acme", "s1", role="student", actor="seed", reason="an exam that morning")
KIT.attendance.override("acme", "s1", "student:ann", status="absent", actor="seed")
KIT.series.create(
    "acme",
    actor="seed",
    title="Weekly",
    series_id="w1",
    items=[
        ScheduleItem(
            "mon",
            Recurrence.weekly(
                days=("MO",),
                at=datetime(2026, 1, 1, 18).time(),
                duration=timedelta(hours=1),
                tz="Europe/Berlin",
                start=NOW.date(),
                until=(NOW + timedelta(weeks=3)).date(),
            ),
            ["teacher:t1"],
        )
    ],
)


def caller(x_actor: Annotated[str | None, Header()] = None) -> Caller:
    # Staff, so that generated requests reach the routes behind the staff gate too.
    return Caller("acme", actor=x_actor, roles=DEFAULT_ROLES | {"admin"})


app = FastAPI(title="sessionkit schemathesis app")
app.include_router(sessionkit_router(kit=lambda: KIT, caller=caller), prefix="/v1")
CONFIG = schemathesis.Config.from_dict(
    # The coverage phase would send every case the schema defines: minutes, not seconds.
    {"phases": {"coverage": {"enabled": False}}, "generation": {"max-examples": 10}}
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_conforms_to_its_document(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(checks=CHECKS)
