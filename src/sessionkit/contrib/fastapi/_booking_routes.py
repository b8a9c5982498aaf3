"""The routes of bookings and the queries (added to the router by :func:`add_booking_routes`)."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
from datetime import timedelta
from typing import Annotated

from fastapi import Path, Query

from sessionkit.contrib.fastapi import schemas as s
from sessionkit.contrib.fastapi._common import (
    ACTING,
    READ,
    READ_AS,
    Caller,
    Cursor,
    IdempotencyKey,
    Instant,
    MaybeInstant,
    Names,
    booked,
    cancelling,
    default_role,
    instant,
    participant_named,
    session_statuses,
    status_names,
)
from sessionkit.contrib.fastapi._params import BookingStatusNames
from sessionkit.contrib.fastapi._paths import PARTICIPANT
from sessionkit.contrib.fastapi._routing import Kit, Routes, Who
from sessionkit.contrib.fastapi.booking_schemas import BookingSeatsCancel
from sessionkit.contrib.fastapi.paging import (
    read_session_order_cursor,
    read_start_cursor,
    session_order_cursor,
)
from sessionkit.errors import SessionNotFound
from sessionkit.model.booking import BOOKING_STATUSES
from sessionkit.model.session import MAX_CAPACITY
from sessionkit.model.text import check_id
from sessionkit.services import SessionKit
from sessionkit.services.booking_queries import MAX_BOOKINGS_PAGE
from sessionkit.services.booking_requests import check_role
from sessionkit.timespan import TimeSpan

__all__ = ["add_booking_routes"]

_DAYS = (
    "the days ahead from now, 1 up to the API's limit on window: the bookings in play of the"
    " sessions that start before then and have not ended"
)
_MOST_DAYS = timedelta.max.days
"""The most days any window holds (a ``Limits.window`` is a ``timedelta``): more, every kit refuses.

Declared as ``days``' maximum: past it the core names the count of days, which
no ``timedelta`` holds, and a ``LimitExceeded`` would carry days beside a
``maximum`` in seconds.
"""


def add_booking_routes(routes: Routes) -> None:
    """Add the routes of bookings and the queries to ``routes`` (see :func:`sessionkit_router`)."""
    bookings = routes.tagged("bookings")
    queries = routes.tagged("queries")
    access = routes.access

    # -- bookings --------------------------------------------------------------------

    @bookings.post(
        "/sessions/{session_id}/bookings",
        s.BookingOut,
        (402, *ACTING),
        "Book seats of a session",
        status_code=201,
    )
    def book(
        app: Kit,
        who: Who,
        session_id: str,
        body: s.BookingCreate,
        idempotency_key: IdempotencyKey = None,
    ) -> s.BookingOut:
        return _book(app, who, body, idempotency_key, session_id=session_id)

    @bookings.post(
        "/bookings",
        s.BookingOut,
        (402, *ACTING),
        "Create a session and book seats of it, in one unit of work",
        status_code=201,
    )
    def book_new(
        app: Kit,
        who: Who,
        body: s.DraftBookingCreate,
        idempotency_key: IdempotencyKey = None,
    ) -> s.BookingOut:
        return _book(app, who, body, idempotency_key, asked=body.session)

    def _book(
        app: SessionKit,
        who: Caller,
        body: s.BookingCreate,
        idempotency_key: str | None,
        *,
        session_id: str | None = None,
        asked: s.SessionCreate | None = None,
    ) -> s.BookingOut:
        how = booked(who, body, idempotency_key)
        access.staff_if(
            who,
            confirm=body.confirm,
            hold=body.hold_minutes is not None,
            drafted=asked is not None,
        )
        access.own(who, body.participant, asked="a new booking", new=True)
        with access.booking(app, who, body.participant):
            made = app.bookings.book(
                who.tenant,
                access.target(app, who, session_id, asked),
                body.participant,
                confirm=body.confirm,
                **how,
            )
        return s.booking_out(made)

    @bookings.get(
        "/sessions/{session_id}/bookings",
        s.SessionBookingPage,
        READ_AS,
        "A session's bookings by waitlist position, then creation (keyset pages)",
    )
    def session_bookings(
        app: Kit,
        who: Who,
        session_id: str,
        status: BookingStatusNames = None,
        limit: Annotated[int, Query(ge=1, le=MAX_BOOKINGS_PAGE - 1)] = 100,
        cursor: Cursor = None,
    ) -> s.SessionBookingPage:
        access.everyone(who, asked="a session's booking list")
        found = app.bookings.for_session(
            who.tenant,
            session_id,
            statuses=status_names(status, BOOKING_STATUSES, of="booking"),
            after=None if cursor is None else read_session_order_cursor(cursor),
            limit=limit + 1,  # one more tells whether a next page exists
        )
        return s.SessionBookingPage.read(found, limit, s.booking_out, session_order_cursor)

    @bookings.get("/bookings/{booking_id}", s.BookingOut, READ_AS, "Get a booking")
    def get_booking(app: Kit, who: Who, booking_id: str) -> s.BookingOut:
        return s.booking_out(access.own_booking(app, who, booking_id))

    @bookings.post(
        "/bookings/{booking_id}/confirm",
        s.BookingOut,
        (402, *ACTING),
        "Confirm a held or offered booking (a confirmed one is returned as it is)",
    )
    def confirm(app: Kit, who: Who, booking_id: str) -> s.BookingOut:
        access.own_booking(app, who, booking_id, made=True)
        return s.booking_out(app.bookings.confirm(who.tenant, booking_id, actor=who.actor))

    @bookings.post(
        "/bookings/{booking_id}/cancel",
        s.BookingOut,
        ACTING,
        "Cancel a booking, or some of its seats; they go to the waitlist",
    )
    def cancel_booking(
        app: Kit, who: Who, booking_id: str, body: BookingSeatsCancel | None = None
    ) -> s.BookingOut:
        how = cancelling(who, body)
        access.own_booking(app, who, booking_id)
        return s.booking_out(app.bookings.cancel(who.tenant, booking_id, **how))

    @bookings.get(
        "/bookings",
        s.BookingPage,
        READ_AS,
        "The tenant's bookings, every participant's, by session start (keyset pages)",
    )
    def tenant_bookings(
        app: Kit,
        who: Who,
        start: MaybeInstant = None,
        end: MaybeInstant = None,
        status: BookingStatusNames = None,
        limit: Annotated[int, Query(ge=1, le=MAX_BOOKINGS_PAGE - 1)] = 100,
        cursor: Cursor = None,
    ) -> s.BookingPage:
        access.everyone(who, asked="the tenant's booking list")
        found = app.bookings.for_tenant(
            who.tenant,
            start=instant(start, "start"),
            end=instant(end, "end"),
            statuses=status_names(status, BOOKING_STATUSES, of="booking"),
            after=None if cursor is None else read_start_cursor(cursor),
            limit=limit + 1,  # one more tells whether a next page exists
        )
        return s.BookingPage.read(found, limit, s.booking_out)

    @bookings.get(
        f"/participants/{PARTICIPANT}/bookings",
        s.BookingPage,
        READ_AS,
        "A participant's bookings by session start (keyset pages)",
    )
    def participant_bookings(
        app: Kit,
        who: Who,
        participant: Annotated[str, Path(examples=["student:ann"])],
        start: MaybeInstant = None,
        end: MaybeInstant = None,
        status: BookingStatusNames = None,
        limit: Annotated[int, Query(ge=1, le=MAX_BOOKINGS_PAGE - 1)] = 100,
        cursor: Cursor = None,
    ) -> s.BookingPage:
        participant = participant_named(participant)
        access.own(who, participant, asked="a participant's booking list")
        found = app.bookings.for_participant(
            who.tenant,
            participant,
            start=instant(start, "start"),
            end=instant(end, "end"),
            statuses=status_names(status, BOOKING_STATUSES, of="booking"),
            after=None if cursor is None else read_start_cursor(cursor),
            limit=limit + 1,  # one more tells whether a next page exists
        )
        return s.BookingPage.read(found, limit, s.booking_out)

    @bookings.get(
        f"/participants/{PARTICIPANT}/agenda",
        list[s.BookingOut],
        READ_AS,
        "What a participant is booked into over the next days, sessions in progress included",
    )
    def participant_agenda(
        app: Kit,
        who: Who,
        participant: Annotated[str, Path(examples=["student:ann"])],
        # At least 1 and at most what a timedelta holds whatever the kit (the core refuses
        # less, and every kit's window holds no more), so the schema says both.
        days: Annotated[int, Query(ge=1, le=_MOST_DAYS, description=_DAYS)] = 7,
    ) -> list[s.BookingOut]:
        participant = participant_named(participant)
        access.own(who, participant, asked="a participant's agenda")
        # The kit's own bound is the core's to check: its Limits.window, not the schema's.
        found = app.bookings.agenda(who.tenant, participant, days=days)
        return [s.booking_out(b) for b in found]

    # -- queries ---------------------------------------------------------------------

    @queries.get(
        "/agenda",
        list[s.SessionOut],
        READ,
        "A resource's sessions starting in [start, end), by start",
    )
    def agenda(
        app: Kit,
        who: Who,
        resource: Annotated[str, Query(examples=["tutor:tina"])],
        start: Instant,
        end: Instant,
        status: Names = None,
    ) -> list[s.SessionOut]:
        window = (instant(start, "start"), instant(end, "end"))
        # A window [start, end) as /bookable's and the booking lists' are: an end not after
        # the start is InvalidTimeSpan there, where kit.queries.agenda takes an empty one.
        TimeSpan(*window)
        found = app.queries.agenda(
            who.tenant,
            resource,
            start=window[0],
            end=window[1],
            statuses=session_statuses(app, status),
            actor=who.actor,
        )
        return [s.session_out(x) for x in found]

    @queries.get(
        "/sessions/{session_id}/seats",
        s.SeatsOut,
        READ,
        "A session's free seats now, a full one's too (0)",
    )
    def session_seats(app: Kit, who: Who, session_id: str) -> s.SeatsOut:
        check_id(session_id, "session_id")  # named as the path names it, not as a list's item
        found = app.bookings.remaining_seats(who.tenant, [session_id])
        if session_id not in found:  # left out: not the tenant's, as on every session route
            raise SessionNotFound(session_id, who.tenant)
        return s.SeatsOut(session_id=session_id, remaining=found[session_id])

    @queries.get(
        "/bookable",
        list[s.BookableOut],
        READ_AS,
        "Sessions starting in [start, end) a role may book now, with seats free",
    )
    def bookable(
        app: Kit,
        who: Who,
        start: Instant,
        end: Instant,
        resource: str | None = None,
        # As a booking's seats are declared (BookingCreate): the core's bounds, whatever the kit.
        seats: Annotated[int, Query(ge=1, le=MAX_CAPACITY)] = 1,
        role: Annotated[str | None, Query(alias="acting_role", examples=["student"])] = None,
        participant: Annotated[str | None, Query(examples=["student:ann"])] = None,
    ) -> list[s.BookableOut]:
        # The role a booking would be judged in (the notice policy), granted as a booking's
        # must be: none named is the services' default, ``attendee``, which a host's own
        # grant may leave out (a 403, as for a booking in it, whose needs_for then says the
        # request named no "acting_role"). Checked under the name the client sent it by: a
        # refusal of "role" named no parameter of this route.
        named = "attendee" if role is None else role
        judged = default_role(
            who,
            check_role(named, "acting_role"),
            sent=role is not None,
            asked="the bookable sessions",
            name="acting_role",
        )
        participant = participant_named(participant)
        if participant is not None:  # what they are booked into shows: their own to ask
            access.own(who, participant, asked="the sessions open to a participant")
        found = app.bookings.bookable(
            who.tenant,
            start=instant(start, "start"),
            end=instant(end, "end"),
            resource=resource,
            seats=seats,
            acting_role=judged,
            participant=participant,
        )
        return [s.bookable_out(b) for b in found]
