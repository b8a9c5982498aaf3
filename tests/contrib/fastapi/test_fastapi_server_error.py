"""An exception that is no ``SessionKitError`` is a problem+json 500, as every route declares.

A bug in the host's dependency, or a driver's error the store did not
translate, went out as Starlette's plain-text "Internal Server Error", though
the OpenAPI document promises a ``Problem`` for a 500. With
``install_problem_handlers`` it is one, telling the client nothing of the
exception, on the router's routes as on the app's own (the router leaves its
crashes to the app: ``test_fastapi_crashes_reach_the_host``); the server still
gets the exception, and a host's own handler for it still answers.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Iterator
from typing import Literal

import pytest

pytest.importorskip("fastapi")

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from tests._versions import needs

from sessionkit.contrib.fastapi import (
    PROBLEM_MEDIA_TYPE,
    Caller,
    Problem,
    install_problem_handlers,
    server_problem,
    sessionkit_router,
)
from sessionkit.errors import InvalidValue
from sessionkit.services import SessionKit

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette.testclient's note on httpx2, as in conftest
    from starlette.testclient import TestClient

SECRET = "postgresql://app:hunter2@db.internal/prod"


class DriverError(Exception):
    """An error of a database driver the store did not translate."""


def broken_caller() -> Caller:
    """A host's caller dependency with a bug: its error carries what no client may read."""
    raise DriverError(f"could not connect to {SECRET}")


def _app(kit: SessionKit, *, installed: bool = True) -> FastAPI:
    app = FastAPI()
    app.include_router(sessionkit_router(kit=lambda: kit, caller=broken_caller), prefix="/v1")

    @app.get("/own")
    def own() -> None:
        raise DriverError(SECRET)

    if installed:
        install_problem_handlers(app, type_base="https://docs.example.com/problems/")
    return app


def test_an_exception_in_a_route_is_a_problem_500_telling_nothing_of_it(
    kit: SessionKit,
) -> None:
    with TestClient(_app(kit), raise_server_exceptions=False) as client:
        failed = client.get("/v1/sessions")
        own = client.get("/own")
    assert failed.status_code == 500
    assert failed.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert failed.json() == {
        "type": "urn:sessionkit:problem:server-error",  # the router's type_base
        "title": "Server error",
        "status": 500,
        "detail": "the server failed to answer this request; its log says why",
        "instance": "/v1/sessions",
        "error": "InternalServerError",
    }
    Problem.model_validate(failed.json())  # the schema every route declares for its 500
    assert (own.status_code, own.headers["content-type"]) == (500, PROBLEM_MEDIA_TYPE)
    assert own.json()["type"] == "https://docs.example.com/problems/server-error"  # the app's
    assert own.json()["instance"] == "/own"
    for answer in (failed, own):
        for told in ("hunter2", "db.internal", "DriverError", "Traceback", "connect"):
            assert told not in answer.text


def test_the_exception_still_reaches_the_server_and_the_hosts_middleware(
    kit: SessionKit,
) -> None:
    app = _app(kit)
    seen: list[BaseException] = []

    @app.middleware("http")
    async def log_errors(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        try:
            return await call_next(request)
        except Exception as exc:  # the host's logging
            seen.append(exc)
            raise

    with TestClient(app) as client, pytest.raises(DriverError, match="hunter2"):
        client.get("/v1/sessions")  # raised again after the problem was sent, for the server
    assert [type(exc) for exc in seen] == [DriverError]


async def _hosts_own(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("ours", status_code=500)


@pytest.mark.parametrize("key", [Exception, 500])
@pytest.mark.parametrize("before", [True, False], ids=["before", "after"])
def test_a_hosts_own_handler_for_exceptions_keeps_answering(
    kit: SessionKit, key: type[Exception] | int, *, before: bool
) -> None:
    app = _app(kit, installed=False)
    if before:
        app.add_exception_handler(key, _hosts_own)
    install_problem_handlers(app)
    if not before:
        app.add_exception_handler(key, _hosts_own)
    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.get("/v1/sessions")
        missing = client.get("/v1/nowhere")
    assert (failed.status_code, failed.text) == (500, "ours")
    assert failed.headers["content-type"].startswith("text/plain")
    assert missing.headers["content-type"] == PROBLEM_MEDIA_TYPE  # the rest installed as before


def test_without_the_handlers_starlette_answers_the_apps_own_routes_as_before(
    kit: SessionKit,
) -> None:
    with TestClient(_app(kit, installed=False), raise_server_exceptions=False) as client:
        failed = client.get("/own")
    assert (failed.status_code, failed.text) == (500, "Internal Server Error")


def test_without_the_handlers_a_routers_crash_is_starlettes_plain_500_as_the_apps_own(
    kit: SessionKit,
) -> None:
    # The router answered its crashes itself, so a middleware wrapping call_next got its
    # problem, not the exception; a crash is now the app's, answered as its own routes'.
    app = _app(kit, installed=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.get("/v1/sessions")
        head = client.head("/v1/sessions")
    assert (failed.status_code, failed.text) == (500, "Internal Server Error")
    assert (head.status_code, head.content) == (500, b"")
    with TestClient(app) as client, pytest.raises(DriverError, match="hunter2"):
        client.get("/v1/sessions")  # the server gets it, as before


def _refusing_caller() -> Caller:
    raise InvalidValue("the caller's tenant header is empty", value="", expected="a tenant")


def test_without_the_handlers_the_routers_own_routes_answer_a_sessionkit_error_as_a_problem(
    kit: SessionKit,
) -> None:
    app = FastAPI()
    app.include_router(sessionkit_router(kit=lambda: kit, caller=_refusing_caller), prefix="/v1")
    with TestClient(app) as client:  # nothing is raised: a refusal is no crash
        refused = client.get("/v1/sessions")
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert refused.json() == {
        "type": "urn:sessionkit:problem:invalid-value",
        "title": "Invalid value",
        "status": 422,
        "detail": "the caller's tenant header is empty",
        "instance": "/v1/sessions",
        "error": "InvalidValue",
        "value": "",
        "expected": "a tenant",
    }


@needs("fastapi", "0.121", "Depends(scope=...)")
@pytest.mark.parametrize("scope", ["function", "request"])
def test_a_crash_is_answered_after_the_requests_transaction_has_seen_it(
    kit: SessionKit, scope: Literal["function", "request"]
) -> None:
    # Answered inside FastAPI's exit stacks, the crash would reach no yield dependency:
    # one holding the request's transaction would commit what the route half did. A
    # request-scoped one (FastAPI's default) exits after the answer is sent, unless the
    # route failed: then it too has rolled back first.
    events: list[str] = []

    def transaction() -> Iterator[SessionKit]:
        try:
            yield kit
        except Exception:
            events.append("rolled back")
            raise
        events.append("committed")

    def request_kit(
        # A default, not Annotated: this module's annotations are strings, read in its globals.
        held: SessionKit = Depends(transaction, scope=scope),  # noqa: B008
    ) -> SessionKit:
        raise DriverError(SECRET)  # in the transaction: a store's untranslated error, say

    app = FastAPI()
    app.include_router(
        sessionkit_router(kit=request_kit, caller=lambda: Caller("acme")), prefix="/v1"
    )
    install_problem_handlers(app)

    @app.middleware("http")
    async def seen(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        try:
            return await call_next(request)
        except DriverError:
            events.append("reported")
            raise

    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.get("/v1/sessions")
    assert (failed.status_code, failed.json()["error"]) == (500, "InternalServerError")
    assert events == ["rolled back", "reported"]


@pytest.mark.parametrize("key", [Exception, 500])
def test_without_the_handlers_a_hosts_own_handler_answers_the_routers_crashes_too(
    kit: SessionKit, key: type[Exception] | int
) -> None:
    app = _app(kit, installed=False)
    app.add_exception_handler(key, _hosts_own)
    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.get("/v1/sessions")
    assert (failed.status_code, failed.text) == (500, "ours")


def test_a_debug_app_shows_starlettes_traceback_for_the_routers_crashes(kit: SessionKit) -> None:
    app = _app(kit, installed=False)
    app.debug = True
    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.get("/v1/sessions", headers={"Accept": "text/html"})
    assert failed.status_code == 500
    assert failed.headers["content-type"].startswith("text/html")
    assert "DriverError" in failed.text  # a developer's page, as debug=True asks


def test_installing_again_answers_with_the_last_type_base_as_the_other_handlers_do(
    kit: SessionKit,
) -> None:
    # A second call replaced the other handlers, but kept the first call's for a crash:
    # an app's 500 then named another type_base than its 404.
    app = _app(kit)  # https://docs.example.com/problems/
    install_problem_handlers(app, type_base="https://errors.example.org/")
    with TestClient(app, raise_server_exceptions=False) as client:
        own = client.get("/own")
        missing = client.get("/nowhere")
    assert own.json()["type"] == "https://errors.example.org/server-error"
    assert missing.json()["type"] == "https://errors.example.org/not-found"


def test_a_hosts_handler_added_between_two_installs_keeps_answering(kit: SessionKit) -> None:
    app = _app(kit)
    app.add_exception_handler(Exception, _hosts_own)
    install_problem_handlers(app, type_base="https://errors.example.org/")
    with TestClient(app, raise_server_exceptions=False) as client:
        own = client.get("/own")
    assert (own.status_code, own.text) == (500, "ours")


def test_server_problem_in_a_hosts_handler_is_the_body_installed_handlers_send(
    kit: SessionKit,
) -> None:
    # A host's handler returning server_problem(request, type_base=...) was documented
    # as sending the same body, but gave a sessionkit route's 500 the app's type_base,
    # where install_problem_handlers' (and its other problems) keep the router's.
    app_base = "https://docs.example.com/problems/"

    async def hosts_own(request: Request, exc: Exception) -> Response:
        return server_problem(request, type_base=app_base)

    hosts = _app(kit, installed=False)
    hosts.add_exception_handler(Exception, hosts_own)
    install_problem_handlers(hosts, type_base=app_base)
    with (
        TestClient(_app(kit), raise_server_exceptions=False) as installed,
        TestClient(hosts, raise_server_exceptions=False) as own,
    ):
        for path, kind in [
            ("/v1/sessions", "urn:sessionkit:problem:server-error"),  # the router's
            ("/own", f"{app_base}server-error"),  # the app's
        ]:
            sent = own.get(path)
            assert (sent.status_code, sent.json()["type"]) == (500, kind)
            assert sent.json() == installed.get(path).json()
