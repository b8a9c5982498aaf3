"""Pydantic v2 schemas of bookings, their pages and the sessions with free seats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, StrictBool, StrictInt

from sessionkit.contrib.fastapi.schema_types import (
    MAX_MINUTES,
    MAX_REASON,
    Metadata,
    Ref,
    Role,
    _In,
    _KeysetPage,
    _Out,
)
from sessionkit.contrib.fastapi.session_schemas import SessionCreate
from sessionkit.model.booking import BOOKING_STATUSES, BookableSession, Booking
from sessionkit.model.session import MAX_CAPACITY

__all__ = [
    "BookableOut",
    "BookingCancel",
    "BookingCreate",
    "BookingOut",
    "BookingPage",
    "BookingSeatsCancel",
    "DraftBookingCreate",
    "SeatsOut",
    "SessionBookingPage",
    "bookable_out",
    "booking_out",
]


class BookingCreate(_In):
    """Seats of a session for a participant: held until confirmed, or confirmed at once.

    ``acting_role`` is the role the notice policy judges the booking in
    (default: ``role``; a host's role bypasses).
    """

    participant: Ref = Field(examples=["student:ann"])
    seats: StrictInt = Field(default=1, ge=1, le=MAX_CAPACITY)
    role: Role = "attendee"
    acting_role: Role | None = None
    confirm: StrictBool = False
    waitlist: StrictBool = False
    hold_minutes: StrictInt | None = Field(default=None, gt=0, le=MAX_MINUTES)
    metadata: Metadata | None = None

    @property
    def judged_role(self) -> str:
        """The role the notice policy judges the booking in: ``acting_role``, else ``role``."""
        return self.role if self.acting_role is None else self.acting_role


class DraftBookingCreate(BookingCreate):
    """Seats of a session created by this booking: ``session`` as ``POST /sessions`` takes it."""

    session: SessionCreate


class BookingCancel(_In):
    """Who cancels a booking (``participant``, ``provider``, ``admin``) and why.

    The base of :class:`BookingSeatsCancel`, which both cancel routes take:
    no route takes this one, so the OpenAPI document does not list it.
    """

    role: Role = "participant"
    reason: str | None = Field(default=None, max_length=MAX_REASON)


class BookingSeatsCancel(BookingCancel):
    """A booking's cancel that may give back only some of its seats.

    The body of ``POST .../cancel`` and ``POST .../cancel-and-refund``, which
    pass ``seats`` and ``expected_version`` on to the services' ``cancel``.
    """

    seats: StrictInt | None = Field(
        default=None,
        ge=1,
        le=MAX_CAPACITY,
        description=(
            "How many of its seats to give back, fewer than it has: the booking keeps the"
            " rest, and a paid one is refunded the part of its payment they paid for. Null,"
            " or as many as it has: the whole booking is cancelled."
        ),
    )
    expected_version: StrictInt | None = Field(
        default=None,
        ge=1,  # the core's bound (check_version): a version counts from 1
        description=(
            "The booking's version as the client read it: a 409 ConcurrentModification if it"
            " changed since, nothing done, so a partial cancel sent again gives back no more."
        ),
    )


class BookingOut(_Out):
    """A booking: its seats in a session and where it stands."""

    id: str
    session_id: str
    participant: str
    role: str
    seats: int
    # Declared, not checked: a response's status is the core's, one of these by construction.
    status: str = Field(json_schema_extra={"enum": [*sorted(BOOKING_STATUSES)]})
    hold_expires_at: datetime | None
    session_start: datetime
    session_end: datetime
    position: int | None = Field(
        description=(
            "Its number in its session's waitlist, in the order places were taken: a lower"
            " number waits ahead, and the numbers of places that left are not given again,"
            " so the first in line may hold 2 or more. Kept once it is offered seats,"
            " confirmed, cancelled or expired; null for a booking never waitlisted. The"
            " status says whether it still waits."
        )
    )
    metadata: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime | None


def booking_out(booking: Booking) -> BookingOut:
    """Return the response schema of ``booking``."""
    return BookingOut.of(
        booking, participant=str(booking.participant), metadata=dict(booking.metadata)
    )


class BookingPage(_KeysetPage[BookingOut]):
    """One page of a participant's bookings by session start; ``next_cursor`` continues."""


class SessionBookingPage(_KeysetPage[BookingOut]):
    """One page of a session's bookings in waitlist order; ``next_cursor`` continues."""


class BookableOut(_Out):
    """A session with free seats."""

    session_id: str
    title: str
    start: datetime
    end: datetime
    capacity: int
    taken: int
    remaining: int


def bookable_out(found: BookableSession) -> BookableOut:
    """Return the response schema of a bookable session."""
    return BookableOut.of(found)


class SeatsOut(_Out):
    """A session's free seats now: what ``GET /bookable`` counts, full sessions included."""

    session_id: str
    remaining: int = Field(
        description=(
            "The seats a newcomer could book now: the capacity less the seats taken and those"
            " the waitlist is owed; 0 for a full session and for one that takes no bookings"
            " (started, cancelled, over). Seats only: the booking rules' times and notice are"
            " not judged."
        )
    )
