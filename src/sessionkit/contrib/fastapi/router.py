"""The router factory: sessions, series, bookings, payments, reschedules, attendance over HTTP.

:func:`sessionkit_router` takes the host's dependencies (how to get the
:class:`~sessionkit.services.SessionKit`, and who is calling: a
:class:`Caller` with the tenant, the actor and the roles the host granted it)
and returns an ``APIRouter``. A route that acts in a role (the notice, refund
and reschedule policies judge it) refuses a role the caller was not granted
with a 403 ``RoleNotGranted`` problem; so does a route that acts as the
schedule's owner (sessions, series, money moved by hand, attendance
overrides) for a caller holding none of the router's ``staff_roles``. A caller
that is not staff acts only for its own participant (``Caller.participant``,
when the host names it): another's is a 403 ``ParticipantNotGranted``.
Provider webhooks (payment and presence events) take a ``webhook`` caller
instead, where a host verifies the provider's signature.
Every command is one call of a service, which is one unit of work: it has
committed (or rolled back, leaving nothing) before the response is built.
Every ``SessionKitError`` becomes an RFC 9457 problem+json response (see
:mod:`sessionkit.contrib.fastapi.problems`), declared in the OpenAPI document.
Any other exception a route raises is a crash, and the app's: it reaches the
host's middleware and handlers as its own routes' do (``install_problem_handlers``
answers it with a problem+json 500 telling nothing of it).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sessionkit.contrib.fastapi._access import DEFAULT_STAFF_ROLES, Access
from sessionkit.contrib.fastapi._attendance_routes import add_attendance_routes
from sessionkit.contrib.fastapi._booking_routes import add_booking_routes
from sessionkit.contrib.fastapi._common import (
    DEFAULT_PAYMENT_EVENT_SKEW,
    DEFAULT_PRESENCE_SKEW,
    DEFAULT_ROLES,
    Caller,
    check_payment_event_skew,
    check_presence_skew,
    key_id,
)
from sessionkit.contrib.fastapi._drafts import DraftCheck, within_availability
from sessionkit.contrib.fastapi._paths import SegmentRoute, requested_path
from sessionkit.contrib.fastapi._payment_routes import add_payment_routes
from sessionkit.contrib.fastapi._reschedule_routes import add_reschedule_routes
from sessionkit.contrib.fastapi._routing import Dependency, Routes, staff_caller
from sessionkit.contrib.fastapi._series_routes import add_series_routes
from sessionkit.contrib.fastapi._session_routes import add_session_routes
from sessionkit.contrib.fastapi.problems import (
    DEFAULT_TYPE_BASE,
    STAFF_KEY,
    TYPE_BASE_KEY,
    ProblemResponse,
    http_problem,
    problem_body,
    validation_problem,
)
from sessionkit.errors import SessionKitError
from sessionkit.services import SessionKit

__all__ = [
    "DEFAULT_PAYMENT_EVENT_SKEW",
    "DEFAULT_PRESENCE_SKEW",
    "DEFAULT_ROLES",
    "DEFAULT_STAFF_ROLES",
    "Caller",
    "DraftCheck",
    "key_id",
    "sessionkit_router",
    "within_availability",
]


def _problem_route(type_base: str) -> type[APIRoute]:
    class ProblemRoute(SegmentRoute):
        """A route whose sessionkit errors and unreadable requests answer as problem+json.

        A ``SessionKitError`` is answered outside FastAPI's exit stacks, so a
        ``yield`` dependency holding the request's transaction sees the error
        and rolls back; only then is the problem sent. Any other exception is
        raised to the app, as its own routes' are (see
        :func:`_answering_problems`). Its path parameters may hold an encoded
        ``/`` (``%2F``): ids may have one (see ``_paths``).
        """

        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            # An app-wide handler (install_problem_handlers) may answer first: it reads this.
            scope[TYPE_BASE_KEY] = type_base
            await _answering_problems(super().handle, type_base)(scope, receive, send)

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def answer(request: Request) -> Response:
                try:
                    return await handler(request)
                except RequestValidationError as invalid:  # raised before the endpoint runs
                    return validation_problem(invalid, request, type_base=type_base)
                except HTTPException as unreadable:  # a body that is not JSON at all
                    return http_problem(unreadable, request, type_base=type_base)

            return answer

    return ProblemRoute


def _answering_problems(app: ASGIApp, type_base: str) -> ASGIApp:
    """Return ``app`` answering a ``SessionKitError`` with its problem; any other exception raised.

    A ``SessionKitError`` is a refusal the client can act on: answered here,
    once FastAPI's exit stacks have seen it (a ``yield`` dependency holding
    the request's transaction rolls back first). So is one alone in an
    exception group (a host dependency's task group raised it: see
    :func:`_sessionkit_error`). Any other exception is a crash, and the app's,
    as its own routes' are: raised untouched, so the host's middleware
    wrapping ``call_next`` and its error reporting see it, and its handler for
    ``Exception`` (``install_problem_handlers``' problem+json 500, or its own),
    ``debug=True``'s traceback page or Starlette's plain-text 500 answers it.
    A sessionkit error once the response has started is raised too: too late
    for another answer.
    """

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, receive, sending)
        except Exception as raised:
            error = _sessionkit_error(raised)
            if error is None or started:  # a crash, or too late for a problem: the app's
                raise
            body = problem_body(
                error,
                instance=requested_path(scope),
                type_base=type_base,
                staff=scope.get(STAFF_KEY, False),  # the caller's, once read (see Routes.bound)
            )
            await ProblemResponse(body, status_code=body["status"])(scope, receive, send)

    return answer


def _sessionkit_error(raised: BaseException) -> SessionKitError | None:
    """Return the ``SessionKitError`` ``raised`` is, or the one error its exception group holds.

    A host dependency running tasks (an anyio or asyncio task group) gets what
    a task raised wrapped in an ``ExceptionGroup``, one level per group: one
    sessionkit error so wrapped is a refusal like any other. A group of more
    (several refusals, or a refusal beside a crash) is none: ``None``, a crash.
    """
    while isinstance(raised, BaseExceptionGroup) and len(raised.exceptions) == 1:
        raised = raised.exceptions[0]
    return raised if isinstance(raised, SessionKitError) else None


def sessionkit_router(
    *,
    kit: Dependency[SessionKit],
    caller: Dependency[Caller],
    webhook: Dependency[Caller] | None = None,
    type_base: str = DEFAULT_TYPE_BASE,
    tags: tuple[str, ...] = (),
    staff_roles: Iterable[str] = DEFAULT_STAFF_ROLES,
    drafts: DraftCheck | None = None,
    presence_skew: timedelta = DEFAULT_PRESENCE_SKEW,
    payment_event_skew: timedelta = DEFAULT_PAYMENT_EVENT_SKEW,
) -> APIRouter:
    """Return an ``APIRouter`` of sessions, series, bookings, payments, reschedules, attendance.

    ``kit`` and ``caller`` are FastAPI dependencies (plain, ``async`` or
    yielding): ``kit`` returns the app's ``SessionKit``, ``caller`` the
    :class:`Caller` of the request (it may itself depend on headers, a
    security scheme, ...). ``webhook`` is the
    dependency of the provider webhooks (``POST /payments/events``,
    ``POST /presence-events``): it verifies the provider's signature (raising
    ``HTTPException``, answered as a problem) and returns the tenant's
    :class:`Caller`; without it, those routes take ``caller`` and only staff
    may post to them. ``staff_roles`` (default :data:`DEFAULT_STAFF_ROLES`)
    are the roles that act as the schedule's owner: a caller holding one of
    them is staff (see docs/fastapi.md, "Roles"). ``type_base`` prefixes the
    problem type URIs. ``drafts`` lets a caller that is not staff create a
    session by booking it (``POST /bookings``, ``POST /paid-bookings``, a
    public booking page): the host's :data:`DraftCheck` judges each such
    session first (:func:`within_availability` takes the resources' open
    hours); without it those routes are staff's alone. ``presence_skew``
    (default :data:`DEFAULT_PRESENCE_SKEW`, two minutes; at most an hour) is
    how far past the kit's now a presence event may be dated, for a
    provider's clock running ahead: a later one is a 422 ``InvalidValue``.
    ``payment_event_skew`` (default :data:`DEFAULT_PAYMENT_EVENT_SKEW`, two
    minutes; at most an hour) is the same for a payment event's ``occurred_at``.
    Include it with ``app.include_router(router, prefix=...)``.
    """
    access = Access(staff_roles, drafts)  # its converters check the values, as Caller.roles
    skew = check_presence_skew(presence_skew)  # checked now, not at the first event
    payment_skew = check_payment_event_skew(payment_event_skew)
    hook: Dependency[Caller]
    if webhook is None:
        hook, hook_problems = staff_caller(caller, access), (403,)
    else:
        hook, hook_problems = webhook, (401,)
    router = APIRouter(route_class=_problem_route(type_base))
    routes = Routes(
        router,
        kit=kit,
        caller=caller,
        webhook=hook,
        tags=tags,
        access=access,
        hook_problems=hook_problems,
        presence_skew=skew,
        payment_event_skew=payment_skew,
    )
    add_session_routes(routes)
    add_series_routes(routes)
    add_booking_routes(routes)
    add_payment_routes(routes)
    add_reschedule_routes(routes)
    add_attendance_routes(routes)
    return router
