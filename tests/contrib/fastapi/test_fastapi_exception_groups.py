"""A sessionkit error alone in an exception group is answered as that error; more is a crash.

A host dependency that runs tasks (an anyio task group checking the token and
the tenant at once, say) gets what a task raised wrapped in an
``ExceptionGroup``. The router answered only a bare ``SessionKitError`` with its
problem, so a refusal so wrapped became a 500 ``InternalServerError``, and the
client was told the server had failed where it had sent a bad value. One error
in a group (at any depth of one-error groups) is now answered as that error; a
group of more (two refusals, or a refusal beside a crash) is a crash, and
reaches the host's handler for ``Exception`` as it was raised.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Callable

import anyio
import pytest

pytest.importorskip("fastapi")

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse

from sessionkit.contrib.fastapi import PROBLEM_MEDIA_TYPE, Caller, sessionkit_router
from sessionkit.errors import InvalidValue, RoleNotGranted
from sessionkit.services import SessionKit

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette.testclient's note on httpx2, as in conftest
    from starlette.testclient import TestClient


class DriverError(Exception):
    """An error of the host's own that no one answers: a crash."""


def _empty_tenant() -> None:
    raise InvalidValue("the tenant header is empty", value="", expected="a tenant")


def _not_admin() -> None:
    raise RoleNotGranted("admin", granted={"student"})


def _checking(*checks: Callable[[], None], depth: int = 1) -> Callable[[], Awaitable[Caller]]:
    """A host's caller dependency running ``checks`` as tasks of ``depth`` nested task groups."""

    async def run(level: int) -> None:
        async with anyio.create_task_group() as group:
            if level > 1:
                group.start_soon(run, level - 1)
                return
            for check in checks:

                async def task(check: Callable[[], None] = check) -> None:
                    check()

                group.start_soon(task)

    async def caller() -> Caller:
        await run(depth)
        return Caller("acme")

    return caller


def _app(kit: SessionKit, caller: Callable[[], Awaitable[Caller]]) -> FastAPI:
    app = FastAPI()
    app.include_router(sessionkit_router(kit=lambda: kit, caller=caller), prefix="/v1")
    return app


@pytest.mark.parametrize("depth", [1, 3], ids=["one-group", "nested-groups"])
def test_one_sessionkit_error_in_a_group_is_answered_as_that_error(
    kit: SessionKit, depth: int
) -> None:
    app = _app(kit, _checking(_empty_tenant, depth=depth))
    with TestClient(app) as client:  # nothing is raised: a refusal is no crash
        refused = client.get("/v1/sessions")
    assert (refused.status_code, refused.headers["content-type"]) == (422, PROBLEM_MEDIA_TYPE)
    assert refused.json() == {
        "type": "urn:sessionkit:problem:invalid-value",
        "title": "Invalid value",
        "status": 422,
        "detail": "the tenant header is empty",
        "instance": "/v1/sessions",
        "error": "InvalidValue",
        "value": "",
        "expected": "a tenant",
    }


def test_a_forbidden_role_in_a_group_keeps_its_own_status(kit: SessionKit) -> None:
    with TestClient(_app(kit, _checking(_not_admin))) as client:
        refused = client.get("/v1/sessions")
    assert (refused.status_code, refused.json()["error"]) == (403, "RoleNotGranted")
    assert (refused.json()["role"], refused.json()["granted"]) == ("admin", ["student"])


def _raising_a_group(*errors: Exception) -> Callable[[], Awaitable[Caller]]:
    """A host's caller dependency whose task group gathered ``errors`` (raised as one group)."""

    async def caller() -> Caller:
        raise ExceptionGroup("unhandled errors in a TaskGroup", list(errors))

    return caller


@pytest.mark.parametrize(
    "errors",
    [
        (InvalidValue("the tenant header is empty"), RoleNotGranted("admin", granted={"s"})),
        (InvalidValue("the tenant header is empty"), DriverError("the accounts db is down")),
    ],
    ids=["two-refusals", "refusal-and-crash"],
)
def test_a_group_of_more_than_one_error_reaches_the_hosts_handler(
    kit: SessionKit, errors: tuple[Exception, ...]
) -> None:
    app = _app(kit, _raising_a_group(*errors))
    seen: list[BaseException] = []

    async def hosts_own(request: Request, exc: Exception) -> Response:
        seen.append(exc)
        return PlainTextResponse("ours", status_code=500)

    app.add_exception_handler(Exception, hosts_own)
    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.get("/v1/sessions")
    assert (failed.status_code, failed.text) == (500, "ours")
    [group] = seen
    assert isinstance(group, ExceptionGroup)
    assert group.exceptions == errors  # as raised, not one of them taken for the whole


def _raising(group: BaseExceptionGroup[BaseException]) -> Callable[[], Awaitable[Caller]]:
    async def caller() -> Caller:
        raise group

    return caller


@pytest.mark.parametrize(
    "members",
    [
        (DriverError("the accounts db is down"),),
        (KeyboardInterrupt(),),
        (InvalidValue("the tenant header is empty"), asyncio.CancelledError()),
    ],
    ids=["one-crash", "interrupt", "refusal-and-cancel"],
)
def test_a_group_that_is_no_one_refusal_is_raised_as_it_was(
    kit: SessionKit, members: tuple[BaseException, ...]
) -> None:
    # Only a SessionKitError alone is unwrapped: a crash alone is the app's, and an interrupt
    # or a cancellation (a BaseExceptionGroup, no Exception) is never answered or swallowed.
    group = BaseExceptionGroup("unhandled errors in a TaskGroup", list(members))
    client = TestClient(_app(kit, _raising(group)))  # no lifespan: an interrupt ends its portal
    with pytest.raises(BaseExceptionGroup) as raised:
        client.get("/v1/sessions")
    assert raised.value is group
