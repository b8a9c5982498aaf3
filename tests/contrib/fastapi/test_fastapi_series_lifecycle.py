"""``POST /series`` without a ``lifecycle``: the kit's own default, as ``kit.series.create``'s.

The schema named ``"lms"`` itself and checked it as a name the client sent: on
a kit without that lifecycle, a request naming none was told (422) that its
lifecycle was unknown. Omitted, it is the kit's default for a series; a kit
that does not know its own default is the host's configuration (500), as the
same call in Python raises the same ``UnknownLifecycle``.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from starlette.testclient import TestClient

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.fastapi import schemas as s
from sessionkit.errors import UnknownLifecycle
from sessionkit.lifecycle import LifecycleRegistry, get_lifecycle
from sessionkit.services import SessionKit
from sessionkit.services.series import SeriesCommands
from sessionkit.testing.clocks import ManualClock

from .conftest import RULES, ClientFor, problem

KIT_DEFAULT = inspect.signature(SeriesCommands.create).parameters["lifecycle"].default
ITEM = {
    "id": "i1",
    "rrule": "FREQ=WEEKLY;COUNT=2",
    "start": "2026-03-09T10:00:00",
    "tz": "Europe/Berlin",
    "duration_minutes": 60,
}


def _series(**fields: Any) -> dict[str, Any]:
    return {"title": "Algebra", "items": [ITEM], **fields}


def _consulting_kit(
    clock: ManualClock, *, series: type[SeriesCommands] | None = None
) -> SessionKit:
    """A kit that knows the ``consulting`` lifecycle alone: not ``kit.series.create``'s default.

    ``series``, when given, is its series service: a host's own.
    """
    consulting = LifecycleRegistry([get_lifecycle("consulting")])
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=clock, booking_rules=RULES, lifecycles=consulting
    )
    if series is not None:
        kit.series = series(kit.context)
    return kit


def test_an_omitted_lifecycle_is_the_kits_default(client: TestClient) -> None:
    made = client.post("/v1/series", json=_series())
    assert made.status_code == 201, made.text
    assert made.json()["lifecycle"] == KIT_DEFAULT == "lms"
    assert s.SeriesCreate.model_validate(_series()).lifecycle == KIT_DEFAULT


def test_an_omitted_lifecycle_the_kit_does_not_know_is_the_hosts(
    client_for: ClientFor, clock: ManualClock
) -> None:
    kit = _consulting_kit(clock)
    client = client_for(kit)
    # The client named no lifecycle: it was a 422 UnknownLifecycle of "lms", its input.
    body = problem(client.post("/v1/series", json=_series()), 500, "UnknownLifecycle")
    assert (body["name"], body["known"]) == (KIT_DEFAULT, ["consulting"])
    item = s.ScheduleItemIn.model_validate(ITEM).to_item()
    with pytest.raises(UnknownLifecycle) as raised:  # the kit's own answer, in Python
        kit.series.create("acme", actor=None, title="Algebra", items=[item])
    assert raised.value.name == KIT_DEFAULT
    named = client.post("/v1/series", json=_series(lifecycle="lms"))
    assert problem(named, 422, "UnknownLifecycle")["name"] == "lms"  # named: the client's
    made = client.post("/v1/series", json=_series(lifecycle="consulting"))
    assert (made.status_code, made.json()["lifecycle"]) == (201, "consulting")


def test_a_replay_omitting_the_lifecycle_asks_for_the_kits_default(client: TestClient) -> None:
    key = {"Idempotency-Key": "series-1"}
    first = client.post("/v1/series", json=_series(), headers=key)
    again = client.post("/v1/series", json=_series(), headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    named = client.post("/v1/series", json=_series(lifecycle=KIT_DEFAULT), headers=key)
    assert named.json()["id"] == first.json()["id"]  # the same request, said in full
    other = client.post("/v1/series", json=_series(lifecycle="consulting"), headers=key)
    problem(other, 422, "IdempotencyKeyReused")


class ConsultingSeries(SeriesCommands):
    """A host's series service whose series are consultations unless they say otherwise."""

    def create(self, tenant: str, *, lifecycle: str = "consulting", **rest: Any) -> Any:
        return super().create(tenant, lifecycle=lifecycle, **rest)


def test_an_omitted_lifecycle_is_the_default_of_the_hosts_own_series_service(
    client_for: ClientFor, clock: ManualClock
) -> None:
    # The route read the default from SeriesCommands at import and sent it: a host's
    # service with another one was given "lms", a 500 on a kit without it.
    kit = _consulting_kit(clock, series=ConsultingSeries)
    client = client_for(kit)
    key = {"Idempotency-Key": "series-2"}
    made = client.post("/v1/series", json=_series(), headers=key)
    assert (made.status_code, made.json()["lifecycle"]) == (201, "consulting"), made.text
    again = client.post("/v1/series", json=_series(), headers=key)  # a replay, as the first
    assert (again.status_code, again.json()["id"]) == (201, made.json()["id"])
    named = client.post("/v1/series", json=_series(lifecycle="consulting"), headers=key)
    assert named.json()["id"] == made.json()["id"]  # the same request, said in full


def test_the_published_schema_names_no_default_lifecycle(
    client_for: ClientFor, clock: ManualClock, openapi_document: dict[str, Any]
) -> None:
    # SeriesCreate's schema said "default": "lms" to every host's clients: one whose kit
    # makes consultations had its default misstated, and a client generated from the
    # document could fill in "lms" and have it refused (422 UnknownLifecycle). The document
    # is built before any kit is known (the router's kit factory is called per request).
    kit = _consulting_kit(clock, series=ConsultingSeries)
    schema = openapi_document["components"]["schemas"]["SeriesCreate"]
    lifecycle = schema["properties"]["lifecycle"]
    assert lifecycle.get("default", "none") == "none"
    assert (lifecycle["type"], lifecycle["maxLength"]) == ("string", 64)
    assert "the server's default for a series" in lifecycle["description"]
    assert schema["required"] == ["title", "items"]  # still optional: omitted is the kit's
    made = client_for(kit).post("/v1/series", json=_series())
    assert (made.status_code, made.json()["lifecycle"]) == (201, "consulting"), made.text
