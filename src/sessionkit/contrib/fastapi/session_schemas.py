"""Pydantic v2 schemas of sessions, their removal when unbooked, and the journal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, StrictInt

from sessionkit.contrib.fastapi.schema_types import (
    MAX_REASON,
    ROLE_PATTERN,
    FilterRefs,
    Ids,
    IsoInstant,
    Metadata,
    Name,
    Refs,
    _In,
    _Out,
)
from sessionkit.model.fields import MAX_NOTES_LENGTH
from sessionkit.model.journal import JournalEntry
from sessionkit.model.session import MAX_CAPACITY, Session
from sessionkit.model.text import MAX_ID_LENGTH, MAX_REF_LENGTH, MAX_TITLE_LENGTH
from sessionkit.services.reports import CleanupReport

__all__ = [
    "BulkTransition",
    "JournalEntryOut",
    "JournalPage",
    "KeptSession",
    "SessionCancel",
    "SessionCreate",
    "SessionOut",
    "SessionPage",
    "SessionUpdate",
    "Transition",
    "UnbookedRemoval",
    "UnbookedRemoved",
    "journal_entry_out",
    "session_out",
    "unbooked_removed",
]


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
    resources: Refs | None = Field(default=None, examples=[["teacher:t1", "room:r1"]])
    tz: Name | None = Field(default=None, examples=["Europe/Berlin"])
    lifecycle: Name | None = Field(default=None, description="Required without a series.")
    capacity: StrictInt | None = Field(default=None, ge=1, le=MAX_CAPACITY)
    metadata: Metadata | None = None


class SessionUpdate(_In):
    """What to change on a session; omitted fields stay as they are."""

    title: str | None = Field(default=None, max_length=MAX_TITLE_LENGTH)
    start: IsoInstant | None = None
    end: IsoInstant | None = None
    resources: Refs | None = None
    capacity: StrictInt | None = Field(default=None, ge=1, le=MAX_CAPACITY)
    expected_version: StrictInt | None = Field(default=None, ge=1)  # as check_version


class SessionCancel(_In):
    """Why and as whom a session is cancelled."""

    reason: str | None = Field(default=None, max_length=MAX_REASON)
    role: str | None = Field(
        default=None, min_length=1, max_length=MAX_REF_LENGTH, pattern=ROLE_PATTERN
    )
    expected_version: StrictInt | None = Field(default=None, ge=1)  # as check_version


class Transition(_In):
    """The optional details of firing a named transition."""

    reason: str | None = Field(default=None, max_length=MAX_REASON)
    role: str | None = Field(
        default=None, min_length=1, max_length=MAX_REF_LENGTH, pattern=ROLE_PATTERN
    )
    notes: str | None = Field(default=None, max_length=MAX_NOTES_LENGTH)
    expected_version: StrictInt | None = Field(default=None, ge=1)  # as check_version


class BulkTransition(_In):
    """One transition fired on many sessions at once, all or nothing."""

    session_ids: Ids
    # The core sets no cap of its own here; a transition's name is a lifecycle name (64, as
    # statuses): the journal stores a fired one's in as many, and check_transition_name takes
    # no longer one where a transition is named ahead (BookingRules, AttendancePolicy).
    transition: Name = Field(examples=["complete"])
    reason: str | None = Field(default=None, max_length=MAX_REASON)
    role: str | None = Field(
        default=None, min_length=1, max_length=MAX_REF_LENGTH, pattern=ROLE_PATTERN
    )


class UnbookedRemoval(_In):
    """Which ended sessions that never had a booking to delete (``kit.bookings.remove_unbooked``).

    ``before`` defaults to now; ``since``, ``resources`` and ``series_id``
    filter as a session query does: an empty ``resources`` removes nothing
    (a provider list that came out empty).
    """

    before: IsoInstant | None = None
    since: IsoInstant | None = None
    resources: FilterRefs | None = None
    series_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)


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


# -- the journal ---------------------------------------------------------------------


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
