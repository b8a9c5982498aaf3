"""RFC 9457 problem details: every :class:`~sessionkit.errors.SessionKitError` as problem+json.

:data:`ERROR_STATUS` gives each error class its own HTTP status (a new error
class without an entry fails the test that walks the error tree). The body of
a problem carries the members RFC 9457 defines (``type``, ``title``,
``status``, ``detail``, ``instance``) and, as extension members, ``error`` (the
class name) and the error's structured fields: the conflicting sessions of a
``SessionConflict``, the ``rule`` and ``allows_at`` of a refusal, the
``capacity``, ``taken`` and ``remaining`` seats of a full session, and so on.
A field named as one of the body's own members (an ``InvalidTransition``'s
``status``, the session's; a ``PaymentGatewayError``'s ``detail``, the
provider's) goes out as ``<subject>_<name>`` (see :func:`member_name`), so
neither hides the other. The advice an error gives in Python's terms (call
``kit.payments.book``, pass ``manual=True``) is given in the API's (see
``_advice``).

The body is built in ``_problem_body`` (re-exported here); this module sends it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from sessionkit import errors as e
from sessionkit.contrib.fastapi._paths import requested_path
from sessionkit.contrib.fastapi._problem_body import (
    DEFAULT_TYPE_BASE,
    ERROR_STATUS,
    Problem,
    _jsonable,
    asked,
    member_name,
    problem_body,
    problem_type,
    status_of,
    unstored,
)
from sessionkit.errors._base import shown

__all__ = [
    "DEFAULT_TYPE_BASE",
    "ERROR_STATUS",
    "PROBLEM_MEDIA_TYPE",
    "STAFF_KEY",
    "TYPE_BASE_KEY",
    "Problem",
    "ProblemResponse",
    "asked",
    "http_problem",
    "install_problem_handlers",
    "member_name",
    "problem_body",
    "problem_responses",
    "problem_type",
    "server_problem",
    "status_of",
    "unstored",
    "validation_problem",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE_KEY = "sessionkit.type_base"
"""Where a sessionkit route leaves its router's ``type_base`` in the ASGI scope."""
STAFF_KEY = "sessionkit.staff"
"""Where a sessionkit route leaves whether its caller is staff (the advice it is given)."""

_STATUS_TEXT = {
    400: "Bad request",
    401: "Unauthorized",
    402: "Payment required",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    422: "Unprocessable content",
    500: "Server error",
    502: "Provider error (payments, meeting rooms)",
    503: "Storage unavailable",
    507: "Insufficient storage",
}


class ProblemResponse(JSONResponse):
    """A JSON response of media type ``application/problem+json`` (ASCII-only, so always encodable)."""  # noqa: E501

    media_type = PROBLEM_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        """Return ``content`` as ASCII JSON."""
        return json.dumps(content, ensure_ascii=True, allow_nan=False).encode("ascii")


def _validation_entry(error: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    for name, value in error.items():
        try:
            encoded = jsonable_encoder(value, custom_encoder={bytes: shown})
            json.dumps(encoded, allow_nan=False)
        except (TypeError, ValueError):
            encoded = shown(value)
        entry[name] = encoded
    return entry


def validation_problem(
    exc: RequestValidationError, request: Request, *, type_base: str = DEFAULT_TYPE_BASE
) -> ProblemResponse:
    """Return the 422 problem for a request FastAPI could not read (``errors`` lists why).

    Each entry keeps pydantic's members (``type``, ``loc``, ``msg``,
    ``input``, ``ctx``); a member JSON cannot carry (an ``input`` of
    ``1e999``, read as infinity; an exception in ``ctx``) is sent as its
    short ``repr``, the rest of the entry and the other entries as they are.
    """
    errors = [_validation_entry(error) for error in exc.errors()]
    return ProblemResponse(
        {
            "type": type_base + "request-validation",
            "title": "Request validation",
            "status": 422,
            "detail": "the request does not match the API's schema; see errors",
            "instance": requested_path(request.scope),
            "error": "RequestValidationError",
            "errors": errors,
        },
        status_code=422,
    )


def http_problem(
    exc: HTTPException, request: Request, *, type_base: str = DEFAULT_TYPE_BASE
) -> ProblemResponse:
    """Return the problem for an HTTP error, raised by FastAPI or by a route.

    FastAPI raises one for a body that is not JSON, a path no route has or a
    method the path does not take; a route, an ``HTTPException`` of its own.
    A ``detail`` that is not text (a route's dict or list) goes out as JSON in
    ``errors``, since a problem's ``detail`` is text.
    """
    title = _http_title(exc.status_code)
    detail: object = exc.detail  # FastAPI's own HTTPException takes any value
    body: dict[str, Any] = {
        "type": type_base + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
        "title": title,
        "status": exc.status_code,
        "detail": detail if isinstance(detail, str) else f"{title}; see errors",
        "instance": requested_path(request.scope),
        "error": "HTTPException",
    }
    if not isinstance(detail, str):
        body["errors"] = _jsonable(detail)
    return ProblemResponse(body, status_code=exc.status_code, headers=exc.headers)


def server_problem(request: Request, *, type_base: str = DEFAULT_TYPE_BASE) -> ProblemResponse:
    """Return the 500 problem for an exception no handler answered: a bug, a driver's error.

    It tells nothing of the exception (its text, type or traceback may hold a
    DSN, a query, another tenant's record): that is for the server's log,
    which still gets it (Starlette's ``ServerErrorMiddleware`` raises it again
    once this is sent). ``install_problem_handlers(app, type_base=...)``
    answers every route's crash with it, a sessionkit route's too: the router
    answers only a ``SessionKitError`` and leaves a crash to the app. A host's
    own handler may return it: ``type_base`` is the app's, and a sessionkit
    route's problem keeps its router's, as its other problems do.
    """
    return ProblemResponse(
        {
            "type": request.scope.get(TYPE_BASE_KEY, type_base) + "server-error",
            "title": _STATUS_TEXT[500],
            "status": 500,
            "detail": "the server failed to answer this request; its log says why",
            "instance": requested_path(request.scope),
            "error": "InternalServerError",
        },
        status_code=500,
    )


_NO_BODY = frozenset({204, 205, 304})
"""Statuses whose responses carry no body (RFC 9110), problem or other."""


_SESSIONKIT_CAUSES = frozenset({502, 503})
"""Statuses whose :data:`_STATUS_TEXT` names what sessionkit answers them for (a provider,
the storage): an ``HTTPException`` of the host's own with one is titled by its HTTP phrase."""


def _http_title(status: int) -> str:
    """The title of an ``HTTPException``'s problem: ``"Not found"``, ``"Service unavailable"``."""
    if status in _SESSIONKIT_CAUSES:
        return _phrase(status)
    return _STATUS_TEXT.get(status) or _phrase(status)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.capitalize()
    except ValueError:
        return "HTTP error"


def install_problem_handlers(app: FastAPI, *, type_base: str = DEFAULT_TYPE_BASE) -> None:
    """Answer every error of ``app`` as problem+json, not only those of sessionkit's routes.

    ``sessionkit_router`` answers its own routes' sessionkit errors so. The
    rest is the app's to answer: a crash in any route, the router's included
    (a 500: :func:`server_problem`, where Starlette would send plain text), a
    path no route has (404), a method the path does not take (405, with its
    ``Allow`` header), and the app's own routes' errors (an ``HTTPException``
    they raise, a request FastAPI could not read, a ``SessionKitError`` from a
    kit they call). This registers handlers for those on ``app``, so every
    error a client of the app sees has the same shape, the 500 every
    sessionkit route declares in the OpenAPI document included. It changes
    the app's other routes too: call it only if that is what you want. A
    handler of the app's own for ``Exception`` (or 500) is kept, registered
    before or after this one, and answers the router's crashes too: how the
    host's crashes are answered is the host's choice.
    """

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code < 200 or exc.status_code in _NO_BODY:  # as Starlette answers them
            return Response(status_code=exc.status_code, headers=exc.headers)
        return http_problem(exc, request, type_base=type_base)

    async def on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return validation_problem(exc, request, type_base=type_base)

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, e.SessionKitError)
        # FastAPI answers a route's exception with the app's handler before the route can:
        # a sessionkit route's problem keeps its router's type_base.
        base = request.scope.get(TYPE_BASE_KEY, type_base)
        body = problem_body(
            exc,
            instance=requested_path(request.scope),
            type_base=base,
            staff=request.scope.get(STAFF_KEY, False),  # unknown: advise what anyone may do
        )
        return ProblemResponse(body, status_code=body["status"])

    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(e.SessionKitError, on_error)
    handlers = app.exception_handlers
    crash = handlers.get(Exception)
    # Starlette reads either key. Ours from an earlier call is replaced, as the others are.
    if 500 not in handlers and (crash is None or isinstance(crash, _ServerProblems)):
        app.add_exception_handler(Exception, _ServerProblems(type_base))


class _ServerProblems:
    """``install_problem_handlers``' handler for ``Exception``: its class tells it from a host's."""

    def __init__(self, type_base: str) -> None:
        self.type_base = type_base

    async def __call__(self, request: Request, _exc: Exception) -> Response:
        # Starlette's ServerErrorMiddleware sends this, then raises _exc again for the server.
        return server_problem(request, type_base=self.type_base)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return the OpenAPI ``responses`` declaring a problem+json body for each status."""
    schema = Problem.model_json_schema()
    return {
        status: {
            "description": _STATUS_TEXT.get(status, "Problem"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
        }
        for status in statuses
    }
