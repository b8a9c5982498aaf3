"""The router takes every kind of FastAPI dependency: plain, ``async``, or one that yields.

``sessionkit_router``'s ``kit``, ``caller`` and ``webhook`` were typed
``Callable[..., Caller]``, so a host whose login is an ``async def`` (most are:
they await a database or an identity provider) or whose kit is yielded from a
transaction was told by mypy that FastAPI's own dependency shapes do not fit,
though they work. This module is type-checked with the rest of the tests
(``mypy --strict``): it fails to check without ``_routing.Dependency``.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator

import pytest

pytest.importorskip("fastapi")

from fastapi import FastAPI

from sessionkit.contrib.fastapi import Caller, sessionkit_router
from sessionkit.services import SessionKit

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette.testclient's note on httpx2, as in conftest
    from starlette.testclient import TestClient


def test_async_and_yielding_dependencies_serve_the_routes(kit: SessionKit) -> None:
    events: list[str] = []

    def held_kit() -> Iterator[SessionKit]:
        events.append("opened")
        yield kit
        events.append("closed")

    async def signed_in() -> Caller:
        return Caller("acme", actor="ana", roles={"admin"})

    async def provider() -> AsyncIterator[Caller]:
        yield Caller("acme", roles={"admin"})

    app = FastAPI()
    app.include_router(
        sessionkit_router(kit=held_kit, caller=signed_in, webhook=provider), prefix="/v1"
    )
    start = "2026-03-03T10:00:00+00:00"
    with TestClient(app) as client:
        made = client.post(
            "/v1/sessions",
            json={"start": start, "end": "2026-03-03T11:00:00+00:00", "lifecycle": "lms"},
        )
        assert made.status_code == 201, made.text
        listed = client.get("/v1/sessions")
        event = {
            "provider": "zoom",
            "event_id": "e1",
            "session_id": made.json()["id"],
            "participant": "student:ann",
            "action": "join",
            "at": "2026-03-02T07:59:00+00:00",
        }
        posted = client.post("/v1/presence-events", json={"events": [event]})
    assert [s["id"] for s in listed.json()["items"]] == [made.json()["id"]]
    assert posted.status_code == 200, posted.text
    assert events == ["opened", "closed"] * 3
