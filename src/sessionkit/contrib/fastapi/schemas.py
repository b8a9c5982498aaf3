"""Pydantic v2 schemas of the HTTP API, kept apart from the attrs domain values.

Requests are read into these models and handed to the services as plain
arguments; the services check them as they check any caller's (a bad value is
a ``SessionKitError`` and a problem+json response, not a 500). Responses are
built from the domain values by the ``*_out`` functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from sessionkit.contrib.fastapi._advice import WITH_OFFSET
from sessionkit.contrib.fastapi.paging import Started, keyset_page, start_cursor
from sessionkit.errors._base import shown
from sessionkit.model.booking import BookableSession, Booking
from sessionkit.model.fields import MAX_FIELD_KEY_LENGTH, MAX_NOTES_LENGTH
from sessionkit.model.journal import JournalEntry
from sessionkit.model.series import ScheduleItem, Series
from sessionkit.model.session import MAX_RESOURCES, Session
from sessionkit.model.text import MAX_ID_LENGTH, MAX_NAME_LENGTH, MAX_REF_LENGTH, MAX_TITLE_LENGTH
from sessionkit.recurrence import Recurrence
from sessionkit.services.reports import CleanupReport, Skipped, SkipReason

__all__ = [
    "IsoInstant",
    "LocalDatetime",
    "BookableOut",
    "BookingCancel",
    "BookingCreate",
    "BookingOut",
    "DraftBookingCreate",
    "JournalEntryOut",
    "JournalPage",
    "BookingPage",
    "SessionBookingPage",
    "BulkTransition",
    "ScheduleItemIn",
    "ScheduleItemOut",
    "SeriesCreate",
    "SeriesCreated",
    "SeriesOut",
    "SessionCancel",
    "SessionCreate",
    "SessionOut",
    "KeptSession",
    "SkippedOut",
    "SessionPage",
    "SessionUpdate",
    "Transition",
    "UnbookedRemoval",
    "UnbookedRemoved",
    "bookable_out",
    "booking_out",
    "journal_entry_out",
    "series_out",
    "session_out",
    "unbooked_removed",
]

MAX_MINUTES = 60 * 24 * 366
"""The longest duration or hold, in minutes, a request may name (a year)."""

FieldValue = str | int | bool


def _iso_8601(form: str) -> Callable[[object], object]:
    """Return the check reading a timestamp from ISO 8601 text only, ``form`` saying which."""

    def read(value: object) -> object:
        if isinstance(value, datetime):  # a model a Python caller builds with a value
            return value
        if isinstance(value, str):
            try:  # as a query parameter's instant is read (_common.instant)
                return datetime.fromisoformat(value)
            except ValueError:
                pass  # text, but no date-time: the message below says what is
        sent = "" if isinstance(value, str) else f", not a JSON {_json_kind(value)}"
        # Formatted here: a literal { } in the form would read as a placeholder.
        raise PydanticCustomError("iso8601_datetime", f"Input should be {form}{sent}")

    return read


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "array" if isinstance(value, list) else "object"


IsoInstant = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_8601(f"an ISO 8601 date-time string with a UTC offset ({WITH_OFFSET})")),
]
"""An instant in a request body: ISO 8601 text with its offset, never a number.

Pydantic's own ``datetime`` reads a JSON number (or text of digits) as Unix
seconds; a client sending one most likely means something else (milliseconds,
a local time), so every timestamp of a request takes this type.
"""


MAX_METADATA_FIELDS = 50
"""The most ``metadata`` fields a session or booking request names."""
MAX_METADATA_TEXT = MAX_NOTES_LENGTH
"""The longest text value of a ``metadata`` field a session or booking request names (2,000)."""

Name = Annotated[str, StringConstraints(max_length=MAX_NAME_LENGTH)]
"""A role, lifecycle or zone name: at most 64 characters, as the core stores one."""
Ref = Annotated[str, StringConstraints(max_length=MAX_REF_LENGTH)]
"""A ``"kind:id"`` participant or resource: at most 255 characters, as the core stores one."""


def _bounded(fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    """Return ``fields`` if they are at most :data:`MAX_METADATA_FIELDS`, texts at most so long."""
    if len(fields) > MAX_METADATA_FIELDS:
        raise PydanticCustomError(
            "too_long",
            "metadata should have at most {max_length} fields, not {length}",
            {"max_length": MAX_METADATA_FIELDS, "length": len(fields)},
        )
    for key, value in fields.items():
        if isinstance(value, str) and len(value) > MAX_METADATA_TEXT:
            raise PydanticCustomError(
                "string_too_long",
                "The text of metadata field {key} should have at most {max_length} characters,"
                " not {length}",
                {"key": shown(key), "max_length": MAX_METADATA_TEXT, "length": len(value)},
            )
    return fields


Metadata = Annotated[
    dict[Annotated[str, StringConstraints(max_length=MAX_FIELD_KEY_LENGTH)], FieldValue],
    AfterValidator(_bounded),
    Field(
        description=(
            f"Own fields: at most {MAX_METADATA_FIELDS}, names of at most"
            f" {MAX_FIELD_KEY_LENGTH} characters, texts of at most {MAX_METADATA_TEXT:,}."
        ),
        # Field(max_length=) would declare an object's "maxLength", which no validator reads.
        json_schema_extra={"maxProperties": MAX_METADATA_FIELDS},
    ),
]
"""A request's own fields: at most 50, names of at most 64 characters, texts of at most 2,000.

What a public booking form (a drafted session's booking) may send is bounded
here, within the core's 64 KiB for the whole, so a visitor cannot store a
novel with a booking.
"""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    """A response schema read from a domain value: each field from its attribute of that name."""

    @classmethod
    def of(cls, value: object, **shown: Any) -> Self:
        """Return the schema of ``value``; ``shown`` gives the fields its attributes do not."""
        read = {name: getattr(value, name) for name in cls.model_fields if name not in shown}
        return cls(**read, **shown)


Item = TypeVar("Item", bound=BaseModel)
Row = TypeVar("Row", bound=Started)


class _KeysetPage(BaseModel, Generic[Item]):
    """One keyset page: its items, the limit asked for, and the cursor of the next page."""

    items: list[Item]
    limit: int
    next_cursor: str | None

    @classmethod
    def read(
        cls,
        found: Sequence[Row],
        limit: int,
        out: Callable[[Row], Item],
        cursor: Callable[[Row], str] = start_cursor,
    ) -> Self:
        """Return the page of rows read with ``limit + 1`` (one more says a next page exists)."""
        items, next_cursor = keyset_page(found, limit, cursor)
        return cls(items=[out(row) for row in items], limit=limit, next_cursor=next_cursor)


# -- sessions ------------------------------------------------------------------------


class SessionOut(_Out):
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
    return SessionOut.of(
        session,
        start=session.span.start,
        end=session.span.end,
        resources=[str(r) for r in session.resources],
        metadata=dict(session.metadata),
    )


class SessionPage(BaseModel):
    """One page of sessions; pass ``next_cursor`` as ``cursor`` (same sort) for the next."""

    items: list[SessionOut]
    total: int = Field(description="How many sessions match the filters in all.")
    limit: int
    next_cursor: str | None = Field(description="The keyset cursor after the last item.")


class SessionCreate(_In):
    """An extra session, outside any schedule (or in a series, taking its defaults)."""

    start: IsoInstant
    end: IsoInstant
    title: str | None = Field(default=None, max_length=MAX_TITLE_LENGTH)
    series_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)
    resources: list[Ref] | None = Field(
        default=None, max_length=MAX_RESOURCES, examples=[["teacher:t1", "room:r1"]]
    )
    tz: Name | None = Field(default=None, examples=["Europe/Berlin"])
    lifecycle: Name | None = Field(default=None, description="Required without a series.")
    capacity: StrictInt | None = None
    metadata: Metadata | None = None


class SessionUpdate(_In):
    """What to change on a session; omitted fields stay as they are."""

    title: str | None = None
    start: IsoInstant | None = None
    end: IsoInstant | None = None
    resources: list[str] | None = None
    capacity: StrictInt | None = None
    expected_version: StrictInt | None = None


class SessionCancel(_In):
    """Why and as whom a session is cancelled."""

    reason: str | None = None
    role: str | None = None
    expected_version: StrictInt | None = None


class Transition(_In):
    """The optional details of firing a named transition."""

    reason: str | None = None
    role: str | None = None
    notes: str | None = None
    expected_version: StrictInt | None = None


class BulkTransition(_In):
    """One transition fired on many sessions at once, all or nothing."""

    session_ids: list[str] = Field(max_length=1000)
    transition: str
    reason: str | None = None
    role: str | None = None


class UnbookedRemoval(_In):
    """Which ended sessions that never had a booking to delete (``kit.bookings.remove_unbooked``).

    ``before`` defaults to now; ``since``, ``resources`` and ``series_id``
    filter as a session query does.
    """

    before: IsoInstant | None = None
    since: IsoInstant | None = None
    resources: list[str] | None = Field(default=None, max_length=1000)
    series_id: str | None = None


class KeptSession(BaseModel):
    """A session with no booking that could not be deleted, and why."""

    session: SessionOut
    reason: str


class UnbookedRemoved(BaseModel):
    """What a removal of unbooked sessions did: the sessions ``removed`` (as they were), ``kept``.

    ``kept`` had no booking either but could not be deleted, each with the reason.
    """

    removed: list[SessionOut]
    kept: list[KeptSession]


def unbooked_removed(report: CleanupReport) -> UnbookedRemoved:
    """Return the response schema of ``report``."""
    return UnbookedRemoved(
        removed=[session_out(x) for x in report.removed],
        kept=[KeptSession(session=session_out(x), reason=why) for x, why in report.kept],
    )


# -- series --------------------------------------------------------------------------

LocalDatetime = Annotated[
    datetime,
    BeforeValidator(_iso_8601("an ISO 8601 date-time string, e.g. 2026-03-09T10:00:00")),
    WithJsonSchema({"type": "string", "examples": ["2026-03-09T10:00:00"]}),
]
"""A wall time in a zone named beside it: ISO 8601 text, no ``format: date-time``.

RFC 3339's date-time (OpenAPI's ``date-time``) carries an offset; a schedule
item's start is the local time in its ``tz``, written without one, which a
client generated from the document would otherwise fail to parse.
"""


class ScheduleItemIn(_In):
    """One recurring item of a series: an RFC 5545 rule from a local start in a zone."""

    id: str
    rrule: str = Field(examples=["FREQ=WEEKLY;BYDAY=MO,WE"])
    start: LocalDatetime = Field(
        description="The first occurrence's local wall time in tz (an offset is converted to tz)."
    )
    tz: str = Field(examples=["Europe/Berlin"])
    duration_minutes: StrictInt = Field(gt=0, le=MAX_MINUTES)
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


class ScheduleItemOut(_Out):
    """A schedule item as stored: its rule text, local start, zone and duration."""

    id: str
    rrule: str
    start: LocalDatetime = Field(
        description="The local wall time of the first occurrence in tz, without an offset."
    )
    tz: str
    duration_minutes: int | float = Field(
        description="Whole minutes as an integer (as ScheduleItemIn takes them); a number else."
    )
    resources: list[str]
    title: str | None


class SeriesCreate(_In):
    """A series: its schedule items generate sessions over a rolling window."""

    title: str
    items: list[ScheduleItemIn] = Field(min_length=1, max_length=100)
    lifecycle: str = "lms"
    capacity: StrictInt = 1
    group: str | None = None
    series_id: str | None = Field(
        default=None,
        description=(
            "The id to give it (default: made from Idempotency-Key, or new). Named beside an"
            " Idempotency-Key, it is the request's identity instead of the key: the same id and"
            " request return the first series, another request with that id is a 409"
            " DuplicateSeries, and the key is not stored. Without a key, a second request"
            " naming it is a 409."
        ),
    )
    metadata: dict[str, FieldValue] | None = None


class SeriesOut(_Out):
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


class SkippedOut(BaseModel):
    """An occurrence a new series did not turn into a session, and the session in its way.

    ``reason``: ``"conflict"`` (``resource`` is busy with ``blocking_id``
    then) or ``"exists"`` (``blocking_id`` holds the occurrence already).
    """

    item_id: str
    start: datetime
    end: datetime
    reason: SkipReason
    resource: str | None
    blocking_id: str
    message: str


class SeriesCreated(SeriesOut):
    """A new series, and the occurrences of its first window it skipped.

    ``skipped`` is ``None`` on a replay of the request (an ``Idempotency-Key``
    sent again): what the first request skipped is not kept.
    """

    skipped: list[SkippedOut] | None


def _minutes(duration: timedelta) -> int | float:
    """``duration`` in minutes: an ``int`` when whole, so a series read can be posted back."""
    whole, rest = divmod(duration, timedelta(minutes=1))
    return whole if not rest else duration / timedelta(minutes=1)


def series_out(series: Series) -> SeriesOut:
    """Return the response schema of ``series``."""
    return SeriesOut.of(
        series,
        status=str(series.status.value),
        items=[
            ScheduleItemOut.of(
                item,
                rrule=item.recurrence.to_rrule(),
                start=item.recurrence.start,
                tz=item.recurrence.tz,
                duration_minutes=_minutes(item.recurrence.duration),
                resources=[str(r) for r in item.resources],
            )
            for item in series.items
        ],
        metadata=dict(series.metadata),
    )


def series_created(series: Series, skipped: Sequence[Skipped] | None) -> SeriesCreated:
    """Return the response schema of a new ``series`` and the occurrences it ``skipped``."""
    return SeriesCreated(
        **series_out(series).model_dump(),
        skipped=None
        if skipped is None
        else [
            SkippedOut(
                item_id=s.item_id,
                start=s.span.start,
                end=s.span.end,
                reason=s.reason,
                resource=None if s.resource is None else str(s.resource),
                blocking_id=s.blocking.id,
                message=s.describe(),
            )
            for s in skipped
        ],
    )


# -- bookings ------------------------------------------------------------------------


class BookingCreate(_In):
    """Seats of a session for a participant: held until confirmed, or confirmed at once.

    ``acting_role`` is the role the notice policy judges the booking in
    (default: ``role``; a host's role bypasses).
    """

    participant: Ref = Field(examples=["student:ann"])
    seats: StrictInt = 1
    role: Name = "attendee"
    acting_role: Name | None = None
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
    """Who cancels a booking (``participant``, ``provider``, ``admin``) and why."""

    role: str = "participant"
    reason: str | None = None


class BookingOut(_Out):
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
    return BookingOut.of(
        booking, participant=str(booking.participant), metadata=dict(booking.metadata)
    )


class BookingPage(_KeysetPage[BookingOut]):
    """One page of a participant's bookings by session start; ``next_cursor`` continues."""


class SessionBookingPage(_KeysetPage[BookingOut]):
    """One page of a session's bookings in waitlist order; ``next_cursor`` continues."""


class JournalEntryOut(_Out):
    """A journal entry: what changed, who changed it (in which role), when and why."""

    id: str
    at: datetime
    event: str
    subject: str
    subject_id: str
    session_id: str | None
    actor: str | None
    role: str | None
    previous: str | None
    status: str | None
    transition: str | None
    reason: str | None
    details: dict[str, Any]


def journal_entry_out(entry: JournalEntry) -> JournalEntryOut:
    """Return the response schema of ``entry``."""
    return JournalEntryOut.of(entry, details=dict(entry.details))


class JournalPage(BaseModel):
    """One page of a history, oldest first; ``next_cursor`` continues (``None``: the last)."""

    items: list[JournalEntryOut]
    limit: int
    next_cursor: str | None


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
