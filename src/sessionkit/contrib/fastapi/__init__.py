"""sessionkit over HTTP with FastAPI (the ``fastapi`` extra): a router factory and problem+json.

::

    from fastapi import FastAPI
    from sessionkit.contrib.fastapi import Caller, sessionkit_router

    app = FastAPI()
    app.include_router(
        sessionkit_router(
            kit=lambda: my_kit,
            caller=lambda: Caller("acme", actor="u1", roles={"student"}),
            staff_roles={"host", "admin"},  # the roles that act as the schedule's owner
        ),
        prefix="/v1",
    )

Only this package imports FastAPI, Starlette and Pydantic (an import-linter
contract checks it). See docs/fastapi.md.
"""

from __future__ import annotations

from sessionkit.contrib.fastapi.paging import (
    booking_cursor,
    read_booking_cursor,
    read_start_cursor,
    start_cursor,
)
from sessionkit.contrib.fastapi.problems import (
    DEFAULT_TYPE_BASE,
    ERROR_STATUS,
    PROBLEM_MEDIA_TYPE,
    Problem,
    ProblemResponse,
    http_problem,
    install_problem_handlers,
    problem_body,
    problem_responses,
    problem_type,
    server_problem,
    status_of,
    validation_problem,
)
from sessionkit.contrib.fastapi.router import (
    DEFAULT_PAYMENT_EVENT_SKEW,
    DEFAULT_PRESENCE_SKEW,
    DEFAULT_ROLES,
    DEFAULT_STAFF_ROLES,
    Caller,
    DraftCheck,
    key_id,
    sessionkit_router,
    within_availability,
)

__all__ = [
    "DEFAULT_PAYMENT_EVENT_SKEW",
    "DEFAULT_PRESENCE_SKEW",
    "DEFAULT_ROLES",
    "DEFAULT_STAFF_ROLES",
    "Caller",
    "DraftCheck",
    "sessionkit_router",
    "within_availability",
    "key_id",
    "DEFAULT_TYPE_BASE",
    "ERROR_STATUS",
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "ProblemResponse",
    "http_problem",
    "install_problem_handlers",
    "problem_body",
    "problem_responses",
    "problem_type",
    "server_problem",
    "status_of",
    "validation_problem",
    "booking_cursor",
    "read_booking_cursor",
    "start_cursor",
    "read_start_cursor",
]
