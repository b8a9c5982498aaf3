"""Pydantic v2 schemas of presence events, attendance and the teacher's override."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictInt

from sessionkit.contrib.fastapi.schema_types import IsoInstant, Name, Ref, _In, _Out
from sessionkit.contrib.fastapi.session_schemas import SessionOut, session_out
from sessionkit.model.attendance import (
    MAX_OVERRIDE_REASON_LENGTH,
    Attendance,
    AttendanceOverride,
    PresenceEvent,
)
from sessionkit.model.text import MAX_ID_LENGTH
from sessionkit.ports import JoinCredential
from sessionkit.services.attendance import PresenceReport

__all__ = [
    "AttendanceOut",
    "IntervalOut",
    "JoinCredentialOut",
    "OverrideCleared",
    "OverrideIn",
    "OverrideOut",
    "PresenceBatch",
    "PresenceEventIn",
    "PresenceReportOut",
    "attendance_out",
    "join_credential_out",
    "presence_report_out",
]

MAX_PRESENCE_EVENTS = 1000
"""The most presence events one request carries."""

Status = Literal["present", "late", "left_early", "partial", "absent"]


class PresenceEventIn(_In):
    """One join or leave as the meeting provider reports it (its webhook, verified)."""

    provider: Name = Field(examples=["livekit"])
    event_id: str = Field(
        max_length=MAX_ID_LENGTH, examples=["evt_1"], description="The provider's id: stored once."
    )
    session_id: str = Field(max_length=MAX_ID_LENGTH)
    participant: Ref = Field(examples=["student:ann"])
    action: Literal["join", "leave"]
    at: IsoInstant

    def to_event(self) -> PresenceEvent:
        """Return the domain event (``InvalidValue`` and friends for bad input)."""
        return PresenceEvent(**dict(self))


class PresenceBatch(_In):
    """Presence events, each stored once by provider and event id (a replay is a no-op)."""

    events: list[PresenceEventIn] = Field(min_length=1, max_length=MAX_PRESENCE_EVENTS)


class PresenceReportOut(_Out):
    """What storing a batch did: new events, replays, unknown sessions, sessions started."""

    recorded: int
    duplicates: int
    unknown: list[str] = Field(description="provider:event_id of events naming no session.")
    started: list[SessionOut] = Field(description="Sessions the first join moved on.")
    sealed: list[str] = Field(
        description="provider:event_id of events later than the end of an ended session."
    )


def presence_report_out(report: PresenceReport) -> PresenceReportOut:
    """Return the response schema of a presence report."""
    return PresenceReportOut.of(
        report,
        unknown=list(report.unknown),
        started=[session_out(x) for x in report.started],
        sealed=list(report.sealed),
    )


class OverrideIn(_In):
    """The teacher's report for one participant: it always wins over presence."""

    status: Status
    minutes: StrictInt | None = Field(default=None, ge=0, le=100_000)
    reason: str | None = Field(default=None, max_length=MAX_OVERRIDE_REASON_LENGTH)


class OverrideOut(_Out):
    """The teacher's report as stored."""

    status: str
    minutes: int | None
    reason: str | None
    decided_by: str | None
    decided_at: datetime


class IntervalOut(BaseModel):
    """One stay in the meeting (``left`` is ``null`` while still there)."""

    joined: datetime
    left: datetime | None


class AttendanceOut(_Out):
    """One participant's attendance: from presence, the teacher's override, and what counts."""

    session_id: str
    participant: str
    intervals: list[IntervalOut]
    minutes: int = Field(description="Whole minutes inside the session, from presence.")
    status: str = Field(
        description="The status presence gives; pending: not there yet, the session not over."
    )
    override: OverrideOut | None
    effective_status: str = Field(description="What counts: the override's, else status.")
    effective_minutes: int
    attended: bool = Field(description="Whether the participant counts as having been there.")


def _override_out(override: AttendanceOverride | None) -> OverrideOut | None:
    if override is None:
        return None
    return OverrideOut.of(override)


def attendance_out(attendance: Attendance) -> AttendanceOut:
    """Return the response schema of one participant's attendance."""
    return AttendanceOut.of(
        attendance,
        participant=str(attendance.participant),
        intervals=[IntervalOut(joined=i.joined, left=i.left) for i in attendance.intervals],
        override=_override_out(attendance.override),
        attended=attendance.attended_effectively,
    )


class OverrideCleared(BaseModel):
    """Whether there was an override to remove."""

    cleared: bool


class JoinCredentialOut(_Out):
    """What the caller needs to enter the session's meeting room, from the meeting provider."""

    room_ref: str = Field(description="The provider's room.")
    participant: str = Field(examples=["student:ann"])
    token: str = Field(description="The provider's credential: hand it to its client only.")
    url: str | None = Field(description="The provider's link into the room, if it gives one.")
    expires_at: datetime | None = Field(
        description="Until when the credential lets the caller in (null: the provider did not say)."
    )


def join_credential_out(credential: JoinCredential) -> JoinCredentialOut:
    """Return the response schema of a join credential."""
    return JoinCredentialOut.of(credential, participant=str(credential.participant))
