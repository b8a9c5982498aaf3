"""An error once a router's route has answered keeps the answer; before, the host sees a crash.

Once its response has started (a background task, or a ``yield`` dependency's
teardown, failing after the answer went out) it is too late for another: the
exception goes to the server (one the app has a handler for as Starlette's
``RuntimeError``, the exception its cause), and the client keeps the answer it
got. That holds for a ``SessionKitError`` too (a commit failing with
``StorageUnavailable``), which the route answers itself only while no response
has started. Before,
the route leaves a crash to the app, so a host's middleware sees it (see
``test_fastapi_crashes_reach_the_host``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import pytest

pytest.importorskip("fastapi")

from fastapi import BackgroundTasks, Depends, FastAPI
from tests._versions import needs

from sessionkit.contrib.fastapi import Caller, install_problem_handlers, sessionkit_router
from sessionkit.errors import StorageUnavailable
from sessionkit.services import SessionKit

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette.testclient's note on httpx2, as in conftest
    from starlette.testclient import TestClient


class DriverError(Exception):
    """An error of a database driver the store did not translate."""


def _acme() -> Caller:
    return Caller("acme")


def _app(kit: Callable[..., SessionKit]) -> FastAPI:
    app = FastAPI()
    app.include_router(sessionkit_router(kit=kit, caller=_acme), prefix="/v1")
    return app


def _failing_after_the_answer(
    kit: SessionKit, how: str, error: Exception
) -> Callable[..., SessionKit]:
    if how == "background task":

        def with_task(tasks: BackgroundTasks) -> SessionKit:
            def notify() -> None:
                raise error  # once the answer is sent

            tasks.add_task(notify)
            return kit

        return with_task

    def committing() -> Iterator[None]:  # request-scoped, FastAPI's default: exits once sent
        yield
        raise error

    def in_transaction(
        # A default, not Annotated: this module's annotations are strings, read in its globals.
        held: None = Depends(committing),
    ) -> SessionKit:
        return kit

    return in_transaction


@pytest.mark.parametrize(
    "error",
    [DriverError("the commit failed"), StorageUnavailable("the commit failed")],
    ids=["crash", "sessionkit-error"],
)
@pytest.mark.parametrize(
    "how",
    [
        "background task",
        pytest.param(
            "teardown",
            marks=needs("fastapi", "0.118", "a yield dependency exits after the response is sent"),
        ),
    ],
)
def test_a_failure_once_the_response_started_keeps_the_answer_sent(
    kit: SessionKit, how: str, error: Exception
) -> None:
    # A second answer would be a second http.response.start: a server refuses it (uvicorn
    # logs a RuntimeError over the error), and a TestClient fails on it. The route would
    # send one for a sessionkit error, its problem, if it did not see that it had answered.
    app = _app(_failing_after_the_answer(kit, how, error))
    with TestClient(app, raise_server_exceptions=False) as client:
        listed = client.get("/v1/sessions")
    assert (listed.status_code, listed.headers["content-type"]) == (200, "application/json")
    assert listed.json()["items"] == []
    with TestClient(app) as client, pytest.raises(type(error), match="the commit failed"):
        client.get("/v1/sessions")  # the server still gets it, as it was raised


@needs("fastapi", "0.118", "a yield dependency exits after the response is sent")
def test_with_the_handlers_a_late_sessionkit_error_reaches_the_server_as_starlettes(
    kit: SessionKit,
) -> None:
    # docs/fastapi.md: the app's handler for SessionKitError (install_problem_handlers')
    # finds the response started, and Starlette raises its RuntimeError over the error, as
    # for the app's own routes; the client keeps its answer all the same.
    late = StorageUnavailable("the commit failed")
    app = _app(_failing_after_the_answer(kit, "teardown", late))
    install_problem_handlers(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        listed = client.get("/v1/sessions")
    assert (listed.status_code, listed.json()["items"]) == (200, [])
    with TestClient(app) as client, pytest.raises(RuntimeError, match="already started") as raised:
        client.get("/v1/sessions")
    assert raised.value.__cause__ is late
