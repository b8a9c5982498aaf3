"""Pydantic v2 schemas of the HTTP API, kept apart from the attrs domain values.

Requests are read into these models and handed to the services as plain
arguments; the services check them as they check any caller's (a bad value is
a ``SessionKitError`` and a problem+json response, not a 500). Responses are
built from the domain values by the ``*_out`` functions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sessionkit.model.booking import BookableSession, Booking
from sessionkit.model.series import ScheduleItem, Series
from sessionkit.model.session import Session
from sessionkit.recurrence import Recurrence

__all__ = [
    "BookableOut",
    "BookingCancel",
    "BookingCreate",
    "BookingOut",
    "BookingPage",
    "BulkTransition",
    "ScheduleItemIn",
    "ScheduleItemOut",
    "SeriesCreate",
    "SeriesOut",
    "SessionCancel",
    "SessionCreate",
    "SessionOut",
    "SessionPage",
    "SessionUpdate",
    "Transition",
    "bookable_out",
    "booking_out",
    "series_out",
    "session_out",
]

MAX_MINUTES = 60 * 24 * 366
"""The longest duration or hold, in minutes, a request may name (a year)."""

FieldValue = str | int | bool


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- sessions ------------------------------------------------------------------------


class SessionOut(BaseModel):
    """A session: its span in UTC, its zone, status and resources."""

    id: str
    title: str
    start: datetime
    end: datetime
    tz: str
    status: str
    lifecycle: str
    busy: bool
    resources: list[str]
    capacity: int
    series_id: str | None
    is_extra: bool
    group: str | None
    metadata: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime | None


def session_out(session: Session) -> SessionOut:
    """Return the response schema of ``session``."""
    return SessionOut(
        id=session.id,
        title=session.title,
        start=session.span.start,
        end=session.span.end,
        tz=session.tz,
        status=session.status,
        lifecycle=session.lifecycle,
        busy=session.busy,
        resources=[str(r) for r in session.resources],
        capacity=session.capacity,
        series_id=session.series_id,
        is_extra=session.is_extra,
        group=session.group,
        metadata=dict(session.metadata),
        version=session.version,
        created_at=session.created_at,
        updated_at=session.updated_at,
    )


class SessionPage(BaseModel):
    """One page of sessions; pass ``next_cursor`` as ``cursor`` (same sort) for the next."""

    items: list[SessionOut]
    total: int = Field(description="How many sessions match the filters in all.")
    limit: int
    next_cursor: str | None = Field(description="The keyset cursor after the last item.")


class SessionCreate(_In):
    """An extra session, outside any schedule (or in a series, taking its defaults)."""

    start: AwareDatetime
    end: AwareDatetime
    title: str | None = None
    series_id: str | None = None
    resources: list[str] | None = Field(default=None, examples=[["teacher:t1", "room:r1"]])
    tz: str | None = Field(default=None, examples=["Europe/Berlin"])
    lifecycle: str | None = Field(default=None, description="Required without a series.")
    capacity: int | None = None
    metadata: dict[str, FieldValue] | None = None


class SessionUpdate(_In):
    """What to change on a session; omitted fields stay as they are."""

    title: str | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    resources: list[str] | None = None
    expected_version: int | None = None


class SessionCancel(_In):
    """Why and as whom a session is cancelled."""

    reason: str | None = None
    role: str | None = None
    expected_version: int | None = None


class Transition(_In):
    """The optional details of firing a named transition."""

    reason: str | None = None
    role: str | None = None
    notes: str | None = None
    expected_version: int | None = None


class BulkTransition(_In):
    """One transition fired on many sessions at once, all or nothing."""

    session_ids: list[str] = Field(max_length=1000)
    transition: str
    reason: str | None = None
    role: str | None = None


# -- series --------------------------------------------------------------------------


class ScheduleItemIn(_In):
    """One recurring item of a series: an RFC 5545 rule from a local start in a zone."""

    id: str
    rrule: str = Field(examples=["FREQ=WEEKLY;BYDAY=MO,WE"])
    start: datetime = Field(
        description="The first occurrence's local wall time in tz (an offset is converted to tz)."
    )
    tz: str = Field(examples=["Europe/Berlin"])
    duration_minutes: int = Field(gt=0, le=MAX_MINUTES)
    resources: list[str] = Field(default_factory=list)
    title: str | None = None

    def to_item(self) -> ScheduleItem:
        """Return the domain schedule item (``InvalidRecurrence`` and friends for bad values)."""
        recurrence = Recurrence.from_rrule(
            self.rrule,
            start=self.start,
            tz=self.tz,
            duration=timedelta(minutes=self.duration_minutes),
        )
        return ScheduleItem(self.id, recurrence, self.resources, self.title)


class ScheduleItemOut(BaseModel):
    """A schedule item as stored: its rule text, local start, zone and duration."""

    id: str
    rrule: str
    start: datetime = Field(description="The local wall time of the first occurrence.")
    tz: str
    duration_minutes: float
    resources: list[str]
    title: str | None


class SeriesCreate(_In):
    """A series: its schedule items generate sessions over a rolling window."""

    title: str
    items: list[ScheduleItemIn] = Field(min_length=1, max_length=100)
    lifecycle: str = "lms"
    capacity: int = 1
    group: str | None = None
    series_id: str | None = Field(
        default=None, description="The id to give it (default: made from Idempotency-Key, or new)."
    )
    metadata: dict[str, FieldValue] | None = None


class SeriesOut(BaseModel):
    """A series and how far its sessions are generated."""

    id: str
    title: str
    lifecycle: str
    status: str
    capacity: int
    group: str | None
    items: list[ScheduleItemOut]
    generated_until: datetime | None
    metadata: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime | None


def series_out(series: Series) -> SeriesOut:
    """Return the response schema of ``series``."""
    return SeriesOut(
        id=series.id,
        title=series.title,
        lifecycle=series.lifecycle,
        status=str(series.status.value),
        capacity=series.capacity,
        group=series.group,
        items=[
            ScheduleItemOut(
                id=item.id,
                rrule=item.recurrence.to_rrule(),
                start=item.recurrence.start,
                tz=item.recurrence.tz,
                duration_minutes=item.recurrence.duration.total_seconds() / 60,
                resources=[str(r) for r in item.resources],
                title=item.title,
            )
            for item in series.items
        ],
        generated_until=series.generated_until,
        metadata=dict(series.metadata),
        version=series.version,
        created_at=series.created_at,
        updated_at=series.updated_at,
    )


# -- bookings ------------------------------------------------------------------------


class BookingCreate(_In):
    """Seats of a session for a participant: held until confirmed, or confirmed at once.

    ``acting_role`` is the role the notice policy judges the booking in
    (default: ``role``; a host's role bypasses).
    """

    participant: str = Field(examples=["student:ann"])
    seats: int = 1
    role: str = "attendee"
    acting_role: str | None = None
    confirm: bool = False
    waitlist: bool = False
    hold_minutes: int | None = Field(default=None, gt=0, le=MAX_MINUTES)
    metadata: dict[str, FieldValue] | None = None

    @property
    def judged_role(self) -> str:
        """The role the notice policy judges the booking in: ``acting_role``, else ``role``."""
        return self.role if self.acting_role is None else self.acting_role


class BookingCancel(_In):
    """Who cancels a booking (``participant``, ``provider``, ``admin``) and why."""

    role: str = "participant"
    reason: str | None = None


class BookingOut(BaseModel):
    """A booking: its seats in a session and where it stands."""

    id: str
    session_id: str
    participant: str
    role: str
    seats: int
    status: str
    hold_expires_at: datetime | None
    session_start: datetime
    session_end: datetime
    position: int | None = Field(description="The place in the waitlist, if waitlisted.")
    metadata: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime | None


def booking_out(booking: Booking) -> BookingOut:
    """Return the response schema of ``booking``."""
    return BookingOut(
        id=booking.id,
        session_id=booking.session_id,
        participant=str(booking.participant),
        role=booking.role,
        seats=booking.seats,
        status=booking.status,
        hold_expires_at=booking.hold_expires_at,
        session_start=booking.session_start,
        session_end=booking.session_end,
        position=booking.position,
        metadata=dict(booking.metadata),
        version=booking.version,
        created_at=booking.created_at,
        updated_at=booking.updated_at,
    )


class BookingPage(BaseModel):
    """One page of a participant's bookings by session start; ``next_cursor`` continues."""

    items: list[BookingOut]
    limit: int
    next_cursor: str | None


class BookableOut(BaseModel):
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
    return BookableOut(
        session_id=found.session_id,
        title=found.title,
        start=found.start,
        end=found.end,
        capacity=found.capacity,
        taken=found.taken,
        remaining=found.remaining,
    )
