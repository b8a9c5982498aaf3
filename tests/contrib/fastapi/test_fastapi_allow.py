"""A 405's ``Allow`` names the methods the app serves at the path: no more, no fewer.

Each method is a route of its own, so the router asks the app (``scope["router"]``, the
outermost one) which of its routes take the path: a route the host took out of the router is
not named, a host's own route on the same path is, and an id's ``%2F`` is read as the routes
read it.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from sessionkit.contrib.fastapi import (
    PROBLEM_MEDIA_TYPE,
    _paths,
    install_problem_handlers,
    sessionkit_router,
)
from sessionkit.services import SessionKit

from .conftest import caller, with_session_ids


def _without_delete(router: APIRouter) -> APIRouter:
    """The host's choice: sessions are not deleted over HTTP."""
    router.routes = [r for r in router.routes if not _is_delete_session(r)]
    return router


def _is_delete_session(route: BaseRoute) -> bool:
    return getattr(route, "path", "") == "/sessions/{session_id}" and "DELETE" in getattr(
        route, "methods", ()
    )


def _app(kit: SessionKit, *, delete: bool = True, own_put: bool = False) -> FastAPI:
    router = sessionkit_router(kit=lambda: kit, caller=caller)
    app = FastAPI()
    app.include_router(router if delete else _without_delete(router), prefix="/v1")
    if own_put:

        @app.put("/v1/sessions/{session_id}")
        def replace(session_id: str) -> dict[str, str]:
            return {"replaced": session_id}

    install_problem_handlers(app)
    return app


def _refused(response: Any, allow: str) -> None:
    assert (response.status_code, response.headers.get("allow")) == (405, allow), response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


@pytest.mark.parametrize("path", ["/v1/sessions/s1", "/v1/sessions/a%2Fb"])
def test_a_route_the_host_took_out_is_not_allowed(kit: SessionKit, path: str) -> None:
    with_session_ids(kit, "s1", "a/b")
    with TestClient(_app(kit, delete=False)) as client:
        _refused(client.put(path), "GET, HEAD, PATCH")
        _refused(client.delete(path), "GET, HEAD, PATCH")  # refused, so not named as allowed
        assert client.get(path).status_code == 200
    assert {s.id for s in kit.queries.list("acme").items} == {"s1", "a/b"}


def test_a_hosts_own_route_on_the_path_is_allowed_where_it_takes_the_path(
    kit: SessionKit,
) -> None:
    with_session_ids(kit, "s1", "a/b")
    with TestClient(_app(kit, own_put=True)) as client:
        assert client.put("/v1/sessions/s1").json() == {"replaced": "s1"}
        _refused(client.post("/v1/sessions/s1"), "DELETE, GET, HEAD, PATCH, PUT")
        # The host's route reads the decoded path, where a%2Fb is two segments: not its path.
        _refused(client.put("/v1/sessions/a%2Fb"), "DELETE, GET, HEAD, PATCH")
        _refused(client.post("/v1/sessions/a%2Fb"), "DELETE, GET, HEAD, PATCH")


class _ServedUnder:
    """What ``uvicorn --root-path /srv`` sends: both paths begin with the root path."""

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app, self.root_path = app, root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        prefix = self.root_path
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = {
            **scope,
            "root_path": prefix,
            "path": prefix + scope["path"],
            "raw_path": prefix.encode() + scope["raw_path"],
        }
        await self.app(scope, receive, send)


@pytest.mark.parametrize("root_path", ["", "/srv"])
@pytest.mark.parametrize("path", ["/api/v1/sessions/s1", "/api/v1/sessions/a%2Fb"])
def test_a_mounted_app_allows_what_it_serves(kit: SessionKit, root_path: str, path: str) -> None:
    outer = Starlette(routes=[Mount("/api", app=_app(kit, delete=False, own_put=True))])
    with TestClient(_ServedUnder(outer, root_path)) as client:
        allow = "GET, HEAD, PATCH, PUT" if path.endswith("s1") else "GET, HEAD, PATCH"
        _refused(client.post(path), allow)
        _refused(client.delete(path), allow)
        assert client.get(path).status_code == 404  # no such session: routed all the same


def test_two_routers_in_one_app_allow_their_own_paths(kit: SessionKit) -> None:
    app = FastAPI()
    app.include_router(sessionkit_router(kit=lambda: kit, caller=caller), prefix="/v1")
    app.include_router(
        _without_delete(sessionkit_router(kit=lambda: kit, caller=caller)), prefix="/v2"
    )
    with TestClient(app) as client:
        assert client.put("/v1/sessions/s1").headers["allow"] == "DELETE, GET, HEAD, PATCH"
        assert client.put("/v2/sessions/s1").headers["allow"] == "GET, HEAD, PATCH"


def test_a_route_taken_out_of_the_router_is_not_kept_alive(kit: SessionKit) -> None:
    router = sessionkit_router(kit=lambda: kit, caller=caller)
    taken = next(r for r in router.routes if _is_delete_session(r))
    gone = weakref.ref(taken)
    router.routes.remove(taken)
    del taken
    gc.collect()
    assert gone() is None
    assert len(router.routes) > 30  # the router itself lives on


@pytest.mark.parametrize("contexts", [True, False], ids=["fastapi-contexts", "copied-routes"])
def test_routes_mounted_in_a_starlette_app_allow_what_it_serves(
    kit: SessionKit, monkeypatch: pytest.MonkeyPatch, contexts: bool
) -> None:
    """Without ``iter_route_contexts`` (older FastAPI copies an included router's routes into the
    app's), the routes are matched one by one all the same."""
    if not contexts:
        monkeypatch.setattr(_paths, "_route_contexts", None)
    router = _without_delete(sessionkit_router(kit=lambda: kit, caller=caller))

    async def replace(request: Request) -> JSONResponse:
        return JSONResponse({"replaced": request.path_params["session_id"]})

    own = Route("/v1/sessions/{session_id}", replace, methods=["PUT"])
    # A mount takes every path under it: a route after it is never reached, so it comes first.
    app = Starlette(routes=[Mount("/api", routes=[own, Mount("/v1", routes=router.routes)])])
    with TestClient(app) as client:
        assert client.put("/api/v1/sessions/s1").json() == {"replaced": "s1"}
        refused = client.post("/api/v1/sessions/s1")
        assert (refused.status_code, refused.headers["allow"]) == (405, "GET, HEAD, PATCH, PUT")
        refused = client.post("/api/v1/sessions/a%2Fb")
        assert (refused.status_code, refused.headers["allow"]) == (405, "GET, HEAD, PATCH")


def test_head_answers_wherever_get_does_without_a_body(kit: SessionKit) -> None:
    # RFC 9110 9.3.2: HEAD was a 405 on every read.
    with_session_ids(kit, "s1", "a/b")
    with TestClient(_app(kit)) as client:
        for path in ("/v1/sessions/s1", "/v1/sessions/a%2Fb", "/v1/sessions"):
            got, head = client.get(path), client.head(path)
            assert (head.status_code, head.content) == (200, b""), path
            assert head.headers["content-type"] == got.headers["content-type"]
            assert head.headers["content-length"] == got.headers["content-length"]
        missing = client.head("/v1/sessions/nope")
        assert (missing.status_code, missing.content) == (404, b"")
        assert missing.headers["content-type"] == PROBLEM_MEDIA_TYPE
        _refused(client.head("/v1/sessions/s1/cancel"), "POST")  # no GET there: no HEAD
    document = _app(kit).openapi()
    assert not [p for p, ops in document["paths"].items() if "head" in ops]
