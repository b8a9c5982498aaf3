"""An app around ``sessionkit_router`` on the in-memory store, driven through httpx.

The caller's tenant, actor, granted roles and participant come from the
``X-Tenant`` / ``X-Actor`` / ``X-Roles`` (comma-separated; absent: :data:`DESK`,
the default roles and ``admin``, a staff role: the schedule's owner) /
``X-Participant`` headers (the host's dependency; the router never reads
headers itself).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import pytest

pytest.importorskip("fastapi")

from fastapi import FastAPI, Header

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.fastapi import DEFAULT_ROLES, PROBLEM_MEDIA_TYPE, Caller, sessionkit_router
from sessionkit.model.money import Money
from sessionkit.policies import BookingRules, Rate
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

with warnings.catch_warnings():
    # starlette.testclient prefers httpx2 and says so on import; httpx is what we have.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
RULES = BookingRules(max_horizon=timedelta(weeks=4), waitlist=True)
HOURLY = Rate(Money.of(40, "EUR"))
"""The paid kit's price: 40 EUR an hour per seat."""


DESK = DEFAULT_ROLES | {"admin"}
"""The roles of a caller sending no ``X-Roles``: staff (it runs the schedule), who also books
and cancels in the default roles."""


def caller(
    x_tenant: Annotated[str, Header()] = "acme",
    x_actor: Annotated[str | None, Header()] = None,
    x_roles: Annotated[str | None, Header()] = None,
    x_participant: Annotated[str | None, Header()] = None,
) -> Caller:
    roles = DESK if x_roles is None else {r for r in x_roles.split(",") if r}
    return Caller(x_tenant, actor=x_actor, roles=roles, participant=x_participant)


def make_app(kit: Callable[[], SessionKit]) -> FastAPI:
    app = FastAPI(title="sessionkit test app")
    app.include_router(sessionkit_router(kit=kit, caller=caller), prefix="/v1")
    return app


class _Current:
    """The kit the shared app serves: each test's own (building an app per test is slow)."""

    kit: SessionKit | None = None

    @classmethod
    def get(cls) -> SessionKit:
        assert cls.kit is not None, "the client fixture sets it"
        return cls.kit


ClientFor = Callable[[SessionKit], TestClient]


def kit_on(uow: UnitOfWorkFactory, clock: ManualClock) -> SessionKit:
    return SessionKit(uow=uow, clock=clock, booking_rules=RULES)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def kit(clock: ManualClock) -> SessionKit:
    return kit_on(InMemoryStore().unit_of_work, clock)


@pytest.fixture
def gateway(clock: ManualClock) -> FakeGateway:
    return FakeGateway(clock=clock.now)


@pytest.fixture
def paid_kit(clock: ManualClock, gateway: FakeGateway) -> SessionKit:
    """A kit that sells seats at :data:`HOURLY` through the fake provider."""
    return SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        booking_rules=RULES,
        gateway=gateway,
        pricing=HOURLY,
    )


@pytest.fixture
def client_for() -> Iterator[ClientFor]:
    opened: list[TestClient] = []

    def make(kit: SessionKit) -> TestClient:
        client = TestClient(make_app(lambda: kit))
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


@pytest.fixture(scope="session")
def shared_client() -> Iterator[TestClient]:
    with TestClient(make_app(_Current.get)) as client:
        yield client


@pytest.fixture(scope="session")
def _shared_openapi(shared_client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = shared_client.app.openapi()  # type: ignore[attr-defined]
    return document


@pytest.fixture
def openapi_document(_shared_openapi: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document of :func:`make_app`'s app, a copy of one built once a session.

    Building it took a second or more a test; the router's document does not depend on
    the kit (its factory is only called per request), so one serves every kit. Yours to
    change: each test is given its own copy.
    """
    return copy.deepcopy(_shared_openapi)


@pytest.fixture
def serve(shared_client: TestClient) -> Iterator[ClientFor]:
    """:func:`client_for` on the shared app: it serves the kit given last.

    Every client it returns is the same one, so a test that gives it a second kit
    must be done with the first (building an app per kit took a second or more on CI).
    """

    def use(kit: SessionKit) -> TestClient:
        _Current.kit = kit
        return shared_client

    yield use
    _Current.kit = None


@pytest.fixture
def client(kit: SessionKit, shared_client: TestClient) -> Iterator[TestClient]:
    _Current.kit = kit
    yield shared_client
    _Current.kit = None


@pytest.fixture
def paid_client(paid_kit: SessionKit, shared_client: TestClient) -> Iterator[TestClient]:
    """The shared app serving :func:`paid_kit`."""
    _Current.kit = paid_kit
    yield shared_client
    _Current.kit = None


def with_session_ids(kit: SessionKit, *session_ids: str) -> SessionKit:
    """Store an LMS session a day from now under each of ``session_ids``; return the kit.

    For ids a path must carry encoded (``a/b``, ``50%``).
    """
    for session_id in session_ids:
        kit.sessions.create_extra(
            "acme",
            actor="t",
            start=NOW + timedelta(days=1),
            end=NOW + timedelta(days=1, hours=1),
            lifecycle="lms",
            session_id=session_id,
        )
    return kit


def posted_session(client: TestClient, start: datetime, *, capacity: int | None = None) -> str:
    """``POST /v1/sessions`` an LMS session of one hour from ``start``; return its id (a 201).

    ``capacity``: its seats (else the API's default).
    """
    body: dict[str, Any] = {
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "lifecycle": "lms",
    }
    if capacity is not None:
        body["capacity"] = capacity
    made = client.post("/v1/sessions", json=body)
    assert made.status_code == 201, made.text
    session_id: str = made.json()["id"]
    return session_id


def problem(response: Any, status: int, error: str) -> dict[str, Any]:
    """Assert ``response`` is a problem of ``status`` and ``error``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert (body["status"], body["error"]) == (status, error)
    return body
