"""A crash in a router's route reaches the host's middleware and handlers; a refusal does not.

The router answered any exception its routes raised with a problem+json 500 of
its own, then raised it again for the server. Sent from inside the app's
middleware, that answer was what a middleware wrapping ``call_next`` got (the
exception came later, once the response had started), so a host's crash
reporting (a Sentry-like middleware) or its own answer to crashes missed
exactly the router's. Now the router answers only a ``SessionKitError`` (a
refusal the client can act on); any other exception is raised as it was, and
the app answers it as it answers its own routes' crashes:
``install_problem_handlers``' problem+json 500, a handler of the host's own,
or Starlette's plain-text 500 (``test_fastapi_server_error``; a yield
dependency holding the request's transaction rolls back first, there too).
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable

import pytest

pytest.importorskip("fastapi")

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sessionkit.contrib.fastapi import (
    PROBLEM_MEDIA_TYPE,
    Caller,
    install_problem_handlers,
    sessionkit_router,
)
from sessionkit.errors import InvalidValue
from sessionkit.services import SessionKit

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette.testclient's note on httpx2, as in conftest
    from starlette.testclient import TestClient


class DriverError(Exception):
    """An error of a database driver the store did not translate."""


def _crashing_caller() -> Caller:
    raise DriverError("users.tenant_id")


def _refusing_caller() -> Caller:
    raise InvalidValue("the tenant header is empty", value="", expected="a tenant")


def _app(kit: SessionKit, caller: Callable[[], Caller], *, installed: bool) -> FastAPI:
    app = FastAPI()
    app.include_router(sessionkit_router(kit=lambda: kit, caller=caller), prefix="/v1")

    @app.get("/own")
    def own() -> None:
        caller()  # the app's own route, failing as the router's does

    if installed:
        install_problem_handlers(app)
    return app


Reported = list[tuple[str, str]]


def _reporting(app: FastAPI, reported: Reported) -> None:
    """Give ``app`` a crash-reporting middleware, as an error tracker's: it answers a 503."""

    @app.middleware("http")
    async def report(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        try:
            response = await call_next(request)
        except DriverError as exc:
            reported.append((request.url.path, str(exc)))
            return JSONResponse({"reported": True}, status_code=503)
        reported.append((request.url.path, f"answered {response.status_code}"))
        return response


@pytest.mark.parametrize("installed", [False, True], ids=["alone", "installed"])
def test_a_middleware_wrapping_call_next_sees_the_routers_crash_as_the_apps_own(
    kit: SessionKit, *, installed: bool
) -> None:
    app = _app(kit, _crashing_caller, installed=installed)
    reported: Reported = []
    _reporting(app, reported)
    with TestClient(app) as client:  # nothing reaches the server: the middleware answered
        failed = client.get("/v1/sessions")
        own = client.get("/own")
    assert (failed.status_code, failed.json()) == (503, {"reported": True})
    assert (own.status_code, own.json()) == (503, {"reported": True})
    assert reported == [("/v1/sessions", "users.tenant_id"), ("/own", "users.tenant_id")]


@pytest.mark.parametrize("installed", [False, True], ids=["alone", "installed"])
def test_a_refusal_is_the_routers_problem_never_a_crash(
    kit: SessionKit, *, installed: bool
) -> None:
    app = _app(kit, _refusing_caller, installed=installed)
    reported: Reported = []
    _reporting(app, reported)
    with TestClient(app) as client:
        refused = client.get("/v1/sessions")
    assert (refused.status_code, refused.headers["content-type"]) == (422, PROBLEM_MEDIA_TYPE)
    assert refused.json()["error"] == "InvalidValue"
    assert reported == [("/v1/sessions", "answered 422")]


def test_the_hosts_handler_for_exception_gets_the_crash_itself(kit: SessionKit) -> None:
    app = _app(kit, _crashing_caller, installed=True)
    handled: list[BaseException] = []

    async def hosts_own(request: Request, exc: Exception) -> Response:
        handled.append(exc)
        return PlainTextResponse("ours", status_code=500)

    app.add_exception_handler(Exception, hosts_own)
    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.get("/v1/sessions")
    assert (failed.status_code, failed.text) == (500, "ours")
    [crash] = handled
    assert (type(crash), str(crash)) == (DriverError, "users.tenant_id")


class AnsweringCrashes:
    """A pure ASGI middleware answering a crash itself, once it checked nothing was sent."""

    def __init__(self, app: ASGIApp, reported: Reported) -> None:
        self.app = app
        self.reported = reported

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except DriverError as exc:
            self.reported.append((scope["path"], f"{exc} (started: {started})"))
            if started:
                raise
            await JSONResponse({"ours": True}, status_code=503)(scope, receive, send)


@pytest.mark.parametrize("installed", [False, True], ids=["alone", "installed"])
def test_a_pure_asgi_middleware_sees_the_routers_crash_before_anything_is_sent(
    kit: SessionKit, *, installed: bool
) -> None:
    # The router sent its own 500 first, so such a middleware got the crash too late to
    # answer it, as docs/fastapi.md warned; now it is as early as the app's own routes'.
    app = _app(kit, _crashing_caller, installed=installed)
    reported: Reported = []
    app.add_middleware(AnsweringCrashes, reported=reported)
    with TestClient(app) as client:  # nothing reaches the server: the middleware answered
        failed = client.get("/v1/sessions")
        own = client.get("/own")
    assert (failed.status_code, failed.json()) == (503, {"ours": True})
    assert (own.status_code, own.json()) == (503, {"ours": True})
    assert reported == [
        ("/v1/sessions", "users.tenant_id (started: False)"),
        ("/own", "users.tenant_id (started: False)"),
    ]
