"""A middleware that strips a trailing ``/`` from ``scope["path"]`` reaches the id the client sent.

Such a middleware (a common "ignore trailing slashes" one) leaves ``raw_path`` as it was, so the
request looks like the router's own trailing-slash probe. A route reads it the same way (the raw
path without its ``/``) and never writes to the request's scope: no later route sees another path.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from starlette.routing import Match
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from sessionkit.contrib.fastapi import install_problem_handlers, sessionkit_router
from sessionkit.services import SessionKit

from .conftest import caller, with_session_ids


class StripSlash:
    """Serves a path with a trailing ``/`` as the path without; ``raw_path`` left alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/" and scope["path"].endswith("/"):
            scope = {**scope, "path": scope["path"].rstrip("/")}
        await self.app(scope, receive, send)


def _app(kit: SessionKit) -> FastAPI:
    app = FastAPI()
    app.include_router(sessionkit_router(kit=lambda: kit, caller=caller), prefix="/v1")
    install_problem_handlers(app)
    return app


def _ids(kit: SessionKit) -> list[str]:
    return sorted(s.id for s in kit.queries.list("acme").items)


def test_a_stripped_path_deletes_the_session_it_names(kit: SessionKit) -> None:
    with_session_ids(kit, "a/b", "a%2Fb")
    with TestClient(StripSlash(_app(kit))) as client:
        read = client.get("/v1/sessions/a%2Fb/", follow_redirects=False)
        assert (read.status_code, read.json()["id"]) == (200, "a/b")
        gone = client.delete("/v1/sessions/a%2Fb/", follow_redirects=False)
        assert (gone.status_code, gone.json()["id"]) == (200, "a/b")
    assert _ids(kit) == ["a%2Fb"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/sessions/a%2Fbookings/", {"id": "a/bookings"}),  # the session, not a's bookings
        ("/v1/sessions/a/bookings/", {"items": [], "next_cursor": None}),
        ("/v1/sessions/a%2F/", {"id": "a/"}),
        ("/v1/sessions/50%25%2Foff/", {"id": "50%/off"}),
    ],
)
def test_a_stripped_path_reads_what_the_client_named(
    kit: SessionKit, path: str, expected: dict[str, Any]
) -> None:
    with_session_ids(kit, "a", "a/", "a/bookings", "50%/off", "50%2Foff")
    with TestClient(StripSlash(_app(kit))) as client:
        read = client.get(path, follow_redirects=False)
    assert read.status_code == 200, read.text
    assert {k: read.json()[k] for k in expected} == expected


def test_an_unknown_stripped_id_is_not_found_and_named_as_sent(kit: SessionKit) -> None:
    with_session_ids(kit, "a%2Fb")
    with TestClient(StripSlash(_app(kit))) as client:
        for method in ("GET", "PATCH", "DELETE"):
            missing = client.request(method, "/v1/sessions/a%2Fb/", json={})
            assert missing.status_code == 404
            assert {k: missing.json()[k] for k in ("session_id", "instance")} == {
                "session_id": "a/b",
                "instance": "/v1/sessions/a%2Fb/",  # not /v1/sessions/a/b, another path
            }
        refused = client.put("/v1/sessions/a%2Fb/")
        assert (refused.status_code, refused.headers["allow"]) == (405, "DELETE, GET, HEAD, PATCH")
        assert refused.json()["instance"] == "/v1/sessions/a%2Fb/"
    assert _ids(kit) == ["a%2Fb"]


@pytest.mark.parametrize(
    ("path", "raw_path", "match"),
    [
        # The middleware's, or the router's probe: the raw path without its /
        ("/sessions/a/b", b"/sessions/a%2Fb/", Match.PARTIAL),
        ("/sessions/a/b/", b"/sessions/a%2Fb", Match.NONE),  # the probe that adds a /
        ("/sessions/a/b", b"/sessions/a%2Fb", Match.PARTIAL),
        ("/sessions/a/b/", b"/sessions/a%2Fb/", Match.PARTIAL),  # redirected (see slashes)
        ("/sessions/a/b/", b"/sessions/a%2Fb/x", Match.NONE),  # no raw path read: as Starlette
    ],
)
def test_matching_never_changes_the_requests_scope(
    kit: SessionKit, path: str, raw_path: bytes, match: Match
) -> None:
    router = sessionkit_router(kit=lambda: kit, caller=caller)
    scope: Scope = {
        "type": "http",
        "method": "PUT",
        "path": path,
        "raw_path": raw_path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "router": router,
    }
    before = dict(scope)
    matched = {getattr(r, "name", ""): r.matches(scope)[0] for r in router.routes}
    assert scope == before
    assert (matched["get_session"], matched["delete_session"]) == (match, match)
    assert matched["session_bookings"] is Match.NONE
