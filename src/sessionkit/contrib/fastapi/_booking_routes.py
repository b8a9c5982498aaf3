"""The routes of bookings and the queries (added to the router by :func:`add_booking_routes`)."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime,
# and they name aliases local to the function adding them.
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from sessionkit.contrib.fastapi import schemas as s
from sessionkit.contrib.fastapi._common import (
    ACTING,
    READ,
    WRITE,
    Caller,
    IdempotencyKey,
    acting_role,
    instant,
)
from sessionkit.contrib.fastapi.paging import keyset_page, read_start_cursor
from sessionkit.contrib.fastapi.problems import problem_responses
from sessionkit.services import SessionKit
from sessionkit.services.booking_queries import MAX_BOOKINGS_PAGE

__all__ = ["add_booking_routes"]


def add_booking_routes(
    router: APIRouter,
    *,
    kit: Callable[..., SessionKit],
    caller: Callable[..., Caller],
    tags: tuple[str, ...] = (),
) -> None:
    """Add the routes of bookings and the queries to ``router`` (see :func:`sessionkit_router`)."""
    Kit = Annotated[SessionKit, Depends(kit)]  # noqa: N806  # a type alias
    Who = Annotated[Caller, Depends(caller)]  # noqa: N806  # a type alias
    base_tags: list[str] = list(tags)

    # -- bookings --------------------------------------------------------------------

    @router.post(
        "/sessions/{session_id}/bookings",
        status_code=201,
        response_model=s.BookingOut,
        tags=[*base_tags, "bookings"],
        responses=problem_responses(402, *ACTING),
        summary="Book seats of a session",
    )
    def book(
        app: Kit,
        who: Who,
        session_id: str,
        body: s.BookingCreate,
        idempotency_key: IdempotencyKey = None,
    ) -> s.BookingOut:
        made = app.bookings.book(
            who.tenant,
            session_id,
            body.participant,
            actor=who.actor,
            seats=body.seats,
            role=body.role,
            acting_role=acting_role(who, body.judged_role),
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
        responses=problem_responses(*READ),
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
        responses=problem_responses(*READ),
        summary="Get a booking",
    )
    def get_booking(app: Kit, who: Who, booking_id: str) -> s.BookingOut:
        return s.booking_out(app.bookings.get(who.tenant, booking_id))

    @router.post(
        "/bookings/{booking_id}/confirm",
        response_model=s.BookingOut,
        tags=[*base_tags, "bookings"],
        responses=problem_responses(402, *WRITE),
        summary="Confirm a held or offered booking (a confirmed one is returned as it is)",
    )
    def confirm(app: Kit, who: Who, booking_id: str) -> s.BookingOut:
        return s.booking_out(app.bookings.confirm(who.tenant, booking_id, actor=who.actor))

    @router.post(
        "/bookings/{booking_id}/cancel",
        response_model=s.BookingOut,
        tags=[*base_tags, "bookings"],
        responses=problem_responses(*ACTING),
        summary="Cancel a booking; its seats go to the waitlist",
    )
    def cancel_booking(
        app: Kit, who: Who, booking_id: str, body: s.BookingCancel | None = None
    ) -> s.BookingOut:
        given = body or s.BookingCancel()
        role = acting_role(who, given.role)
        done = app.bookings.cancel(
            who.tenant, booking_id, actor=who.actor, role=role, reason=given.reason
        )
        return s.booking_out(done)

    @router.get(
        "/participants/{participant}/bookings",
        response_model=s.BookingPage,
        tags=[*base_tags, "bookings"],
        responses=problem_responses(*READ),
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
            start=instant(start),  # type: ignore[arg-type]  # the service checks
            end=instant(end),  # type: ignore[arg-type]  # the service checks
            statuses=status,
            after=None if cursor is None else read_start_cursor(cursor),
            limit=limit + 1,  # one more tells whether a next page exists
        )
        items, next_cursor = keyset_page(found, limit)
        return s.BookingPage(
            items=[s.booking_out(b) for b in items], limit=limit, next_cursor=next_cursor
        )

    # -- queries ---------------------------------------------------------------------

    @router.get(
        "/agenda",
        response_model=list[s.SessionOut],
        tags=[*base_tags, "queries"],
        responses=problem_responses(*READ),
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
            start=instant(start),  # type: ignore[arg-type]  # the service checks
            end=instant(end),  # type: ignore[arg-type]  # the service checks
            statuses=None if status is None else tuple(status),
            actor=who.actor,
        )
        return [s.session_out(x) for x in found]

    @router.get(
        "/bookable",
        response_model=list[s.BookableOut],
        tags=[*base_tags, "queries"],
        responses=problem_responses(*READ),
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
            start=instant(start),  # type: ignore[arg-type]  # the service checks
            end=instant(end),  # type: ignore[arg-type]  # the service checks
            resource=resource,
            seats=seats,
        )
        return [s.bookable_out(b) for b in found]
