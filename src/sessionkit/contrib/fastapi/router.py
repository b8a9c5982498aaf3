"""The router factory: sessions, series, bookings and the queries of a ``SessionKit`` over HTTP.

:func:`sessionkit_router` takes the host's dependencies (how to get the
:class:`~sessionkit.services.SessionKit`, and who is calling: a
:class:`Caller` with the tenant and the actor) and returns an ``APIRouter``.
Every command is one call of a service, which is one unit of work: it has
committed (or rolled back, leaving nothing) before the response is built.
Every ``SessionKitError`` becomes an RFC 9457 problem+json response (see
:mod:`sessionkit.contrib.fastapi.problems`), declared in the OpenAPI document.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime,
# and they name aliases local to the factory.
import hashlib
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Annotated, Any

import attrs
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sessionkit.contrib.fastapi import schemas as s
from sessionkit.contrib.fastapi.paging import booking_cursor, read_booking_cursor
from sessionkit.contrib.fastapi.problems import (
    DEFAULT_TYPE_BASE,
    ProblemResponse,
    http_problem,
    problem_body,
    problem_responses,
    validation_problem,
)
from sessionkit.errors import DuplicateSeries, DuplicateSession, SessionKitError
from sessionkit.model.booking import MAX_IDEMPOTENCY_KEY_LENGTH
from sessionkit.model.query import MAX_LIMIT, SessionQuery, SortField
from sessionkit.model.text import check_text
from sessionkit.services import SessionKit
from sessionkit.services.booking_queries import MAX_BOOKINGS_PAGE

__all__ = ["Caller", "key_id", "sessionkit_router"]


@attrs.frozen
class Caller:
    """Who is calling: the ``tenant`` whose records the request sees, and the ``actor`` recorded.

    The host derives it from its own authentication (a dependency returning a
    ``Caller``); sessionkit never reads a header or a token itself.
    """

    tenant: str
    actor: str | None = None


def key_id(tenant: str, key: str) -> str:
    """Return the record id an ``Idempotency-Key`` stands for: the same key, the same record."""
    checked = check_text(
        key, "Idempotency-Key", limit=MAX_IDEMPOTENCY_KEY_LENGTH, optional=False, empty=False
    )
    digest = hashlib.sha256(f"{tenant}\x00{checked}".encode("utf-8", "surrogatepass"))
    return "k" + digest.hexdigest()[:32]


_READ = (404, 422, 503)
_WRITE = (400, 404, 409, 422, 503)
_IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Replaying a command with the same key returns its first result.",
    ),
]


def _problem_route(type_base: str) -> type[APIRoute]:
    class ProblemRoute(APIRoute):
        """A route whose sessionkit errors and unreadable requests answer as problem+json.

        A ``SessionKitError`` is answered outside FastAPI's exit stacks, so a
        ``yield`` dependency holding the request's transaction sees the error
        and rolls back; only then is the problem sent.
        """

        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
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
    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, receive, sending)
        except SessionKitError as error:
            if started:  # too late for a problem: let the server log it
                raise
            request = Request(scope)
            body = problem_body(error, instance=request.url.path, type_base=type_base)
            await ProblemResponse(body, status_code=body["status"])(scope, receive, send)

    return answer


def sessionkit_router(
    *,
    kit: Callable[..., SessionKit],
    caller: Callable[..., Caller],
    type_base: str = DEFAULT_TYPE_BASE,
    tags: tuple[str, ...] = (),
) -> APIRouter:
    """Return an ``APIRouter`` exposing sessions, series, bookings and queries.

    ``kit`` and ``caller`` are FastAPI dependencies: ``kit`` returns the
    app's ``SessionKit``, ``caller`` the :class:`Caller` of the request (it may
    itself depend on headers, a security scheme, ...). ``type_base`` prefixes
    the problem type URIs. Include it with ``app.include_router(router,
    prefix=...)``.
    """
    router = APIRouter(route_class=_problem_route(type_base))
    Kit = Annotated[SessionKit, Depends(kit)]  # noqa: N806  # a type alias
    Who = Annotated[Caller, Depends(caller)]  # noqa: N806  # a type alias
    base_tags: list[str] = list(tags)

    # -- sessions --------------------------------------------------------------------

    @router.get(
        "/sessions",
        response_model=s.SessionPage,
        tags=[*base_tags, "sessions"],
        responses=problem_responses(*_READ),
        summary="List sessions (keyset pages)",
    )
    def list_sessions(
        app: Kit,
        who: Who,
        series_id: str | None = None,
        resource: Annotated[list[str] | None, Query()] = None,
        status: Annotated[list[str] | None, Query()] = None,
        start_from: Annotated[str | None, Query(description="ISO 8601 with offset")] = None,
        start_to: Annotated[str | None, Query(description="ISO 8601 with offset")] = None,
        search: str | None = None,
        group: str | None = None,
        is_extra: bool | None = None,
        sort: SortField = "start",
        descending: bool = False,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        cursor: Annotated[str | None, Query(description="next_cursor of the last page")] = None,
    ) -> s.SessionPage:
        query = SessionQuery(
            series_id=series_id,
            resources=resource,
            statuses=status,
            start_from=_instant(start_from),  # type: ignore[arg-type]
            start_to=_instant(start_to),  # type: ignore[arg-type]
            search=search,
            is_extra=is_extra,
            group=group,
            sort=sort,
            descending=descending,
            limit=limit,
            after=cursor,
        )
        page = app.queries.list(who.tenant, query, actor=who.actor)
        return s.SessionPage(
            items=[s.session_out(x) for x in page.items],
            total=page.total,
            limit=page.limit,
            next_cursor=page.next_cursor,
        )

    @router.post(
        "/sessions",
        status_code=201,
        response_model=s.SessionOut,
        tags=[*base_tags, "sessions"],
        responses=problem_responses(*_WRITE),
        summary="Create an extra session",
    )
    def create_session(
        app: Kit, who: Who, body: s.SessionCreate, idempotency_key: _IdempotencyKey = None
    ) -> s.SessionOut:
        session_id = None if idempotency_key is None else key_id(who.tenant, idempotency_key)
        args: dict[str, Any] = body.model_dump()
        try:
            made = app.sessions.create_extra(
                who.tenant, actor=who.actor, session_id=session_id, **args
            )
        except DuplicateSession as taken:
            if session_id is None or taken.key != "id":
                raise
            made = app.queries.get(who.tenant, session_id, actor=who.actor)
            if not _same_session(made, body):
                raise
        return s.session_out(made)

    @router.post(
        "/sessions/transitions",
        response_model=list[s.SessionOut],
        tags=[*base_tags, "sessions"],
        responses=problem_responses(*_WRITE),
        summary="Fire one transition on many sessions, all or nothing",
    )
    def fire_many(app: Kit, who: Who, body: s.BulkTransition) -> list[s.SessionOut]:
        changed = app.sessions.fire_many(
            who.tenant,
            body.session_ids,
            body.transition,
            actor=who.actor,
            reason=body.reason,
            role=body.role,
        )
        return [s.session_out(x) for x in changed]

    @router.get(
        "/sessions/{session_id}",
        response_model=s.SessionOut,
        tags=[*base_tags, "sessions"],
        responses=problem_responses(*_READ),
        summary="Get a session",
    )
    def get_session(app: Kit, who: Who, session_id: str) -> s.SessionOut:
        return s.session_out(app.queries.get(who.tenant, session_id, actor=who.actor))

    @router.patch(
        "/sessions/{session_id}",
        response_model=s.SessionOut,
        tags=[*base_tags, "sessions"],
        responses=problem_responses(*_WRITE),
        summary="Change a session's title, time or resources",
    )
    def update_session(app: Kit, who: Who, session_id: str, body: s.SessionUpdate) -> s.SessionOut:
        changed = app.sessions.update(who.tenant, session_id, actor=who.actor, **body.model_dump())
        return s.session_out(changed)

    @router.delete(
        "/sessions/{session_id}",
        response_model=s.SessionOut,
        tags=[*base_tags, "sessions"],
        responses=problem_responses(*_WRITE),
        summary="Delete a session (returns it as it was)",
    )
    def delete_session(
        app: Kit,
        who: Who,
        session_id: str,
        expected_version: int | None = None,
    ) -> s.SessionOut:
        gone = app.sessions.delete(
            who.tenant, session_id, actor=who.actor, expected_version=expected_version
        )
        return s.session_out(gone)

    @router.post(
        "/sessions/{session_id}/cancel",
        response_model=s.SessionOut,
        tags=[*base_tags, "sessions"],
        responses=problem_responses(*_WRITE),
        summary="Cancel a session",
    )
    def cancel_session(
        app: Kit, who: Who, session_id: str, body: s.SessionCancel | None = None
    ) -> s.SessionOut:
        given = body or s.SessionCancel()
        done = app.sessions.cancel(who.tenant, session_id, actor=who.actor, **given.model_dump())
        return s.session_out(done)

    @router.post(
        "/sessions/{session_id}/transitions/{transition}",
        response_model=s.SessionOut,
        tags=[*base_tags, "sessions"],
        responses=problem_responses(*_WRITE),
        summary="Fire a named transition of the session's lifecycle",
    )
    def fire(
        app: Kit, who: Who, session_id: str, transition: str, body: s.Transition | None = None
    ) -> s.SessionOut:
        given = body or s.Transition()
        done = app.sessions.fire(
            who.tenant, session_id, transition, actor=who.actor, **given.model_dump()
        )
        return s.session_out(done)

    # -- series ----------------------------------------------------------------------

    @router.post(
        "/series",
        status_code=201,
        response_model=s.SeriesOut,
        tags=[*base_tags, "series"],
        responses=problem_responses(*_WRITE),
        summary="Create a series and generate its first sessions",
    )
    def create_series(
        app: Kit, who: Who, body: s.SeriesCreate, idempotency_key: _IdempotencyKey = None
    ) -> s.SeriesOut:
        series_id = body.series_id
        if series_id is None and idempotency_key is not None:
            series_id = key_id(who.tenant, idempotency_key)
        items = [item.to_item() for item in body.items]
        try:
            made, _ = app.series.create(
                who.tenant,
                actor=who.actor,
                title=body.title,
                items=items,
                lifecycle=body.lifecycle,
                capacity=body.capacity,
                metadata=body.metadata,
                series_id=series_id,
                group=body.group,
            )
        except DuplicateSeries:
            if idempotency_key is None or series_id is None:
                raise
            made = app.queries.get_series(who.tenant, series_id, actor=who.actor)
            asked = (body.title, body.lifecycle, body.capacity, body.group, tuple(items))
            if asked != (made.title, made.lifecycle, made.capacity, made.group, made.items):
                raise
        return s.series_out(made)

    @router.get(
        "/series/{series_id}",
        response_model=s.SeriesOut,
        tags=[*base_tags, "series"],
        responses=problem_responses(*_READ),
        summary="Get a series",
    )
    def get_series(app: Kit, who: Who, series_id: str) -> s.SeriesOut:
        return s.series_out(app.queries.get_series(who.tenant, series_id, actor=who.actor))

    @router.post(
        "/series/{series_id}/close",
        response_model=s.SeriesOut,
        tags=[*base_tags, "series"],
        responses=problem_responses(*_WRITE),
        summary="Close a series: its future sessions are removed where nothing holds them",
    )
    def close_series(
        app: Kit, who: Who, series_id: str, expected_version: int | None = None
    ) -> s.SeriesOut:
        app.series.close(who.tenant, series_id, actor=who.actor, expected_version=expected_version)
        return s.series_out(app.queries.get_series(who.tenant, series_id, actor=who.actor))

    # -- bookings --------------------------------------------------------------------

    @router.post(
        "/sessions/{session_id}/bookings",
        status_code=201,
        response_model=s.BookingOut,
        tags=[*base_tags, "bookings"],
        responses=problem_responses(402, *_WRITE),
        summary="Book seats of a session",
    )
    def book(
        app: Kit,
        who: Who,
        session_id: str,
        body: s.BookingCreate,
        idempotency_key: _IdempotencyKey = None,
    ) -> s.BookingOut:
        made = app.bookings.book(
            who.tenant,
            session_id,
            body.participant,
            actor=who.actor,
            seats=body.seats,
            role=body.role,
            confirm=body.confirm,
            waitlist=body.waitlist,
            hold_for=None if body.hold_minutes is None else timedelta(minutes=body.hold_minutes),
            idempotency_key=idempotency_key,
            metadata=body.metadata,
        )
        return s.booking_out(made)

    @router.get(
        "/sessions/{session_id}/bookings",
        response_model=list[s.BookingOut],
        tags=[*base_tags, "bookings"],
        responses=problem_responses(*_READ),
        summary="A session's bookings, waitlist order then creation",
    )
    def session_bookings(
        app: Kit,
        who: Who,
        session_id: str,
        status: Annotated[list[str] | None, Query()] = None,
    ) -> list[s.BookingOut]:
        found = app.bookings.for_session(who.tenant, session_id, statuses=status)
        return [s.booking_out(b) for b in found]

    @router.get(
        "/bookings/{booking_id}",
        response_model=s.BookingOut,
        tags=[*base_tags, "bookings"],
        responses=problem_responses(*_READ),
        summary="Get a booking",
    )
    def get_booking(app: Kit, who: Who, booking_id: str) -> s.BookingOut:
        return s.booking_out(app.bookings.get(who.tenant, booking_id))

    @router.post(
        "/bookings/{booking_id}/confirm",
        response_model=s.BookingOut,
        tags=[*base_tags, "bookings"],
        responses=problem_responses(402, *_WRITE),
        summary="Confirm a held or offered booking (a confirmed one is returned as it is)",
    )
    def confirm(app: Kit, who: Who, booking_id: str) -> s.BookingOut:
        return s.booking_out(app.bookings.confirm(who.tenant, booking_id, actor=who.actor))

    @router.post(
        "/bookings/{booking_id}/cancel",
        response_model=s.BookingOut,
        tags=[*base_tags, "bookings"],
        responses=problem_responses(*_WRITE),
        summary="Cancel a booking; its seats go to the waitlist",
    )
    def cancel_booking(
        app: Kit, who: Who, booking_id: str, body: s.BookingCancel | None = None
    ) -> s.BookingOut:
        given = body or s.BookingCancel()
        done = app.bookings.cancel(
            who.tenant, booking_id, actor=who.actor, role=given.role, reason=given.reason
        )
        return s.booking_out(done)

    @router.get(
        "/participants/{participant}/bookings",
        response_model=s.BookingPage,
        tags=[*base_tags, "bookings"],
        responses=problem_responses(*_READ),
        summary="A participant's bookings by session start (keyset pages)",
    )
    def participant_bookings(
        app: Kit,
        who: Who,
        participant: Annotated[str, Path(examples=["student:ann"])],
        start: Annotated[str | None, Query(description="ISO 8601 with offset")] = None,
        end: Annotated[str | None, Query(description="ISO 8601 with offset")] = None,
        status: Annotated[list[str] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_BOOKINGS_PAGE - 1)] = 100,
        cursor: Annotated[str | None, Query(description="next_cursor of the last page")] = None,
    ) -> s.BookingPage:
        found = app.bookings.for_participant(
            who.tenant,
            participant,
            start=_instant(start),  # type: ignore[arg-type]  # the service checks
            end=_instant(end),  # type: ignore[arg-type]  # the service checks
            statuses=status,
            after=None if cursor is None else read_booking_cursor(cursor),
            limit=limit + 1,  # one more tells whether a next page exists
        )
        items = found[:limit]
        more = len(found) > limit
        return s.BookingPage(
            items=[s.booking_out(b) for b in items],
            limit=limit,
            next_cursor=booking_cursor(items[-1]) if more else None,
        )

    # -- queries ---------------------------------------------------------------------

    @router.get(
        "/agenda",
        response_model=list[s.SessionOut],
        tags=[*base_tags, "queries"],
        responses=problem_responses(*_READ),
        summary="A resource's sessions starting in [start, end), by start",
    )
    def agenda(
        app: Kit,
        who: Who,
        resource: Annotated[str, Query(examples=["tutor:tina"])],
        start: Annotated[str, Query(description="ISO 8601 with offset")],
        end: Annotated[str, Query(description="ISO 8601 with offset")],
        status: Annotated[list[str] | None, Query()] = None,
    ) -> list[s.SessionOut]:
        found = app.queries.agenda(
            who.tenant,
            resource,
            start=_instant(start),  # type: ignore[arg-type]  # the service checks
            end=_instant(end),  # type: ignore[arg-type]  # the service checks
            statuses=None if status is None else tuple(status),
            actor=who.actor,
        )
        return [s.session_out(x) for x in found]

    @router.get(
        "/bookable",
        response_model=list[s.BookableOut],
        tags=[*base_tags, "queries"],
        responses=problem_responses(*_READ),
        summary="Sessions starting in [start, end) with seats free now",
    )
    def bookable(
        app: Kit,
        who: Who,
        start: Annotated[str, Query(description="ISO 8601 with offset")],
        end: Annotated[str, Query(description="ISO 8601 with offset")],
        resource: str | None = None,
        seats: int = 1,
    ) -> list[s.BookableOut]:
        found = app.bookings.bookable(
            who.tenant,
            start=_instant(start),  # type: ignore[arg-type]  # the service checks
            end=_instant(end),  # type: ignore[arg-type]  # the service checks
            resource=resource,
            seats=seats,
        )
        return [s.bookable_out(b) for b in found]

    return router


def _instant(text: str | None) -> object:
    """Read an ISO 8601 query parameter; leave what is not one for the service to refuse."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text  # the service's check names the parameter and what it expects


def _same_session(made: Any, body: s.SessionCreate) -> bool:
    return bool(made.span.start == body.start and made.span.end == body.end)
