"""The route helper: Kit, Who and Hook bound per router, and refused where unbound."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytest.importorskip("fastapi")

from fastapi import APIRouter, FastAPI
from starlette.testclient import TestClient

from sessionkit.contrib.fastapi import Caller, sessionkit_router
from sessionkit.contrib.fastapi._routing import Kit, Routes
from sessionkit.services import SessionKit

from .conftest import NOW, caller

NOW_1 = NOW + timedelta(days=1)
NOW_2 = NOW_1 + timedelta(hours=1)


def test_each_router_serves_its_own_kit(kit: SessionKit, paid_kit: SessionKit) -> None:
    kit.sessions.create_extra(
        "acme", actor="t", start=NOW_1, end=NOW_2, lifecycle="lms", session_id="only-here"
    )
    app = FastAPI()
    app.include_router(sessionkit_router(kit=lambda: kit, caller=caller), prefix="/a")
    app.include_router(sessionkit_router(kit=lambda: paid_kit, caller=caller), prefix="/b")
    with TestClient(app) as client:
        assert client.get("/a/sessions/only-here").json()["id"] == "only-here"
        assert client.get("/b/sessions/only-here").json()["error"] == "SessionNotFound"


def test_an_endpoint_declared_past_routes_is_refused_loudly(kit: SessionKit) -> None:
    router = APIRouter()

    @router.get("/unbound")
    def unbound(app: Kit) -> str:  # Kit is bound only through Routes
        return "never"

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client, pytest.raises(RuntimeError, match="bound by Routes"):
        client.get("/unbound")


def test_routes_bind_only_the_aliases(kit: SessionKit) -> None:
    routes = Routes(APIRouter(), kit=lambda: kit, caller=lambda: Caller("acme"), webhook=caller)

    @routes.tagged("t").get("/x/{name}", str, (404,), "An echo")
    def echo(app: Kit, name: str) -> str:
        return f"{name} {type(app).__name__}"

    app = FastAPI()
    app.include_router(routes.router)
    with TestClient(app) as client:
        assert client.get("/x/ann").json() == "ann SessionKit"
    operation = app.openapi()["paths"]["/x/{name}"]["get"]
    assert (operation["tags"], operation["summary"]) == (["t"], "An echo")
    # 500 and 503 on every route: it reads the store (Routes.tagged adds them).
    assert sorted(operation["responses"]) == ["200", "404", "422", "500", "503"]
