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
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from http import HTTPStatus
from typing import Any

import attrs
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from sessionkit import errors as e
from sessionkit.contrib.fastapi._advice import ADVICE_FIELDS, in_api_terms
from sessionkit.contrib.fastapi._paths import requested_path
from sessionkit.errors._base import shown
from sessionkit.model.money import Money
from sessionkit.model.session import ResourceRef, Session

__all__ = [
    "DEFAULT_TYPE_BASE",
    "ERROR_STATUS",
    "PROBLEM_MEDIA_TYPE",
    "TYPE_BASE_KEY",
    "Problem",
    "ProblemResponse",
    "http_problem",
    "install_problem_handlers",
    "member_name",
    "problem_body",
    "problem_responses",
    "problem_type",
    "status_of",
    "unstored",
    "validation_problem",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE_KEY = "sessionkit.type_base"
"""Where a sessionkit route leaves its router's ``type_base`` in the ASGI scope."""
DEFAULT_TYPE_BASE = "urn:sessionkit:problem:"
"""Prefix of the problem type URIs; pass ``type_base=`` your documentation's URL to resolve them."""

ERROR_STATUS: dict[type[e.SessionKitError], int] = {
    # Bad input: the request cannot be carried out as it stands.
    e.InvalidValue: 422,
    e.NaiveDatetime: 422,
    e.InvalidTimeSpan: 422,
    e.InvalidDuration: 422,
    e.InvalidWindow: 422,
    e.UnknownTimeZone: 422,
    e.UnknownCurrency: 422,
    e.UnknownStatus: 422,
    e.UnknownTransitionName: 422,
    e.NotASession: 422,
    e.InvalidRecurrence: 422,
    e.InvalidAvailability: 422,
    e.WrongType: 422,
    e.NotADatetime: 422,
    e.WallTimeError: 422,
    e.SkippedTime: 422,
    e.RepeatedTime: 422,
    e.LimitExceeded: 422,
    e.ExpansionLimitExceeded: 422,
    e.IdempotencyKeyReused: 422,
    e.RefundKeyReused: 422,  # as IdempotencyKeyReused: the same key with another request
    e.CurrencyMismatch: 422,
    e.RefundExceedsPayment: 422,
    e.UnknownLifecycle: 422,
    e.LifecycleNotApplicable: 422,
    e.MissingFact: 422,
    # The host did not let the caller act so.
    e.RoleNotGranted: 403,
    e.ParticipantNotGranted: 403,
    # Not there (another tenant's records look the same).
    e.NotFound: 404,
    e.SessionNotFound: 404,
    e.SeriesNotFound: 404,
    e.BookingNotFound: 404,
    e.PaymentNotFound: 404,
    e.RescheduleNotFound: 404,
    e.SubscriptionNotFound: 404,
    e.NotIndexed: 404,
    # The state of the resource refuses the request.
    e.Duplicate: 409,
    e.DuplicateSession: 409,
    e.DuplicateSeries: 409,
    e.DuplicateBooking: 409,
    e.DuplicatePayment: 409,
    e.DuplicateReschedule: 409,
    e.DuplicateUsage: 409,
    e.StillReferenced: 409,
    e.CapacityExceeded: 409,
    e.HoldExpired: 409,
    e.AlreadyBooked: 409,
    e.ActionRefused: 409,
    e.BookingRefused: 409,
    e.RescheduleRefused: 409,
    e.JoinRefused: 409,
    e.CancelRefused: 409,
    e.UsageLimitReached: 409,
    e.SessionConflict: 409,
    e.SessionLocked: 409,
    e.SeriesClosedError: 409,
    e.LifecycleError: 409,
    e.InvalidTransition: 409,
    e.TransitionRefused: 409,
    e.ConcurrentModification: 409,
    # Money.
    e.PaymentDeclined: 402,
    e.PaymentRequired: 402,
    e.PaymentGatewayError: 502,
    # The meeting provider failed a room call after the change was stored.
    e.MeetingRoomsError: 502,
    # The database: try again later.
    e.TransientConflict: 503,
    e.StorageError: 503,
    e.StorageUnavailable: 503,
    e.StorageReadOnly: 503,
    e.StorageTimeout: 503,
    e.StorageFull: 507,
    # The host's wiring is wrong: a server error, not the client's.
    e.SessionKitError: 500,
    e.UnsupportedKind: 500,
    e.SchemaMissing: 500,
    e.NestedUnitOfWork: 500,
    e.InvalidLifecycle: 500,
}
"""The HTTP status of every sessionkit error class (looked up by exact class, then its bases)."""

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
_HIDDEN = frozenset({"guard"})  # a callable: nothing a client could use
_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "error"})
"""The members every problem body has: RFC 9457's and sessionkit's ``error``."""
_SUBJECTS: dict[type[e.SessionKitError], str] = {
    e.AlreadyBooked: "booking",  # the status of the booking already in play
    e.PaymentRequired: "payment",  # the status of the payment that confirms the booking
    e.PaymentGatewayError: "provider",  # the provider's own words for what failed
    e.MeetingRoomsError: "session",  # the status the session entered, stored
}
"""What the clashing fields of an error without a ``subject`` field describe."""
_MAX_ITEMS = 50
_MAX_TEXT = 500


def member_name(error: e.SessionKitError, name: str) -> str:
    """Return the member of ``error``'s problem body that holds its structured field ``name``.

    The field's own name, unless the body already has a member of that name
    (``type``, ``title``, ``status``, ``detail``, ``instance``, ``error``):
    then ``<subject>_<name>``, named by what the field describes, since a
    client reads ``status`` as the HTTP status and ``detail`` as the message.
    The subject is the error's own ``subject`` field where it has one (an
    ``InvalidTransition`` of a session gives ``session_status``, of a booking
    ``booking_status``), else its class's (``AlreadyBooked``: ``booking``,
    ``PaymentRequired``: ``payment``, ``PaymentGatewayError``: ``provider``),
    else ``error``.
    """
    if name not in _MEMBERS:
        return name
    subject = getattr(error, "subject", None)
    if not isinstance(subject, str) or not subject:
        subject = next((_SUBJECTS[c] for c in type(error).__mro__ if c in _SUBJECTS), "error")
    return f"{subject}_{name}"


def status_of(error: e.SessionKitError) -> int:
    """Return the HTTP status of ``error``: its class's, or the nearest base class's."""
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500


def _slug(cls: type) -> str:
    name = cls.__name__.removesuffix("Error") or cls.__name__
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def problem_type(cls: type[e.SessionKitError], type_base: str = DEFAULT_TYPE_BASE) -> str:
    """Return the problem type URI of an error class, e.g. ``urn:sessionkit:problem:capacity-exceeded``."""  # noqa: E501
    return type_base + _slug(cls)


def _title(cls: type) -> str:
    words = _slug(cls).replace("-", " ")
    return words[:1].upper() + words[1:]


def _session_fields(session: Session, *, stored: bool = True) -> dict[str, Any]:
    """What a problem shows of a session: ``id`` (``None`` for one never stored), time, status."""
    return {
        "id": session.id if stored else None,
        "title": session.title,
        "start": session.span.start.isoformat(),
        "end": session.span.end.isoformat(),
        "status": session.status,
        "resources": [str(r) for r in session.resources],
    }


def unstored(conflict: e.SessionConflict) -> e.SessionConflict:
    """Return ``conflict`` as told of a new session that was refused, so never stored.

    Its ``session`` is shown with ``id`` null (a client reading the id would
    find nothing there); the ``conflicts``, stored sessions, keep theirs.
    """
    if not isinstance(conflict.session, Session):
        return conflict
    return e.SessionConflict(
        str(conflict),
        session=_session_fields(conflict.session, stored=False),
        conflicts=conflict.conflicts,
    )


def _jsonable(value: object, depth: int = 0) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else shown(value)
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return _jsonable(value.value, depth + 1)
    if isinstance(value, ResourceRef):
        return str(value)
    if isinstance(value, Session):
        return _session_fields(value)
    if isinstance(value, Money):  # as amounts travel everywhere: decimal text and currency
        return {"amount": str(value.amount), "currency": value.currency}
    if depth >= 3:
        return shown(value)
    if isinstance(value, Mapping):
        items = list(value.items())[:_MAX_ITEMS]
        return {str(k): _jsonable(v, depth + 1) for k, v in items}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v, depth + 1) for v in list(value)[:_MAX_ITEMS]]
    if attrs.has(type(value)) and isinstance(getattr(value, "id", None), str):
        return value.id  # type: ignore[attr-defined]  # a stored record: name it by its id
    return shown(value)


class Problem(BaseModel):
    """An RFC 9457 problem; sessionkit adds ``error`` and the error's structured fields."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time, in words a person can act on.")
    instance: str | None = Field(default=None, description="The path of the request.")
    error: str = Field(description="The sessionkit error class, e.g. CapacityExceeded.")
    rule: str | None = Field(
        default=None,
        description="A refusal's rule (BookingRefused, RescheduleRefused, CancelRefused, ...).",
    )
    allows_at: str | None = Field(
        default=None,
        description="When a refused request would be allowed (ISO 8601); null: not by waiting.",
    )
    # An error's field named as a member, renamed by member_name(): the statuses a client
    # acts on (InvalidTransition, TransitionRefused, AlreadyBooked, PaymentRequired).
    session_status: str | None = Field(
        default=None,
        description="The session's status (InvalidTransition, TransitionRefused).",
    )
    booking_status: str | None = Field(
        default=None,
        description="The booking's status (AlreadyBooked, InvalidTransition, TransitionRefused).",
    )
    payment_status: str | None = Field(
        default=None,
        description="The payment's status (PaymentRequired: 'missing' without one; "
        "InvalidTransition, TransitionRefused).",
    )
    provider_detail: str | None = Field(
        default=None,
        description="What the payment provider said went wrong (PaymentGatewayError).",
    )


def problem_body(
    error: e.SessionKitError, *, instance: str | None = None, type_base: str = DEFAULT_TYPE_BASE
) -> dict[str, Any]:
    """Return the problem+json body of ``error``: RFC 9457 members plus its structured fields.

    A field named as a member goes out under :func:`member_name`'s name, never dropped.
    The advice in ``detail`` and in the advice fields (``expected``, ``reason``) is
    told in the API's terms: the route to call, the body member to send, the form
    of a value (``kit.payments.book`` is ``POST /sessions/{session_id}/paid-bookings``,
    ``manual=True`` is ``"manual": true``); every other field is as the error has it.
    """
    cls = type(error)
    body: dict[str, Any] = {
        "type": problem_type(cls, type_base),
        "title": _title(cls),
        "status": status_of(error),
        "detail": in_api_terms(str(error)),
        "instance": instance,
        "error": cls.__name__,
    }
    for name, value in vars(error).items():
        if name.startswith("_") or name in _HIDDEN:
            continue
        field = _jsonable(value)
        if name in ADVICE_FIELDS and isinstance(field, str):
            field = in_api_terms(field)
        body.setdefault(member_name(error, name), field)
    return body


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

    ``sessionkit_router`` answers its own routes' errors so. A request that
    reaches none of them is the app's to answer: a path no route has (404),
    a method the path does not take (405, with its ``Allow`` header), and the
    app's own routes (an ``HTTPException`` they raise, a request FastAPI
    could not read, a ``SessionKitError`` from a kit they call). This
    registers handlers for those on ``app``, so every error a client of the
    app sees has the same shape. It changes the app's other routes too: call
    it only if that is what you want.
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
        body = problem_body(exc, instance=requested_path(request.scope), type_base=base)
        return ProblemResponse(body, status_code=body["status"])

    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(e.SessionKitError, on_error)


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
