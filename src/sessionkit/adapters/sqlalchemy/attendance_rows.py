"""The presence and attendance-override tables and their row mappings, in both directions.

``sessionkit_presence`` holds one row per :class:`~sessionkit.model.attendance.Presence`,
keyed by ``(tenant, id)`` where ``id`` is ``provider:event_id``: the primary
key is what makes a redelivered provider event a no-op, however the
deliveries race. ``sessionkit_attendance_overrides`` holds the teacher's
reports, one row per session and participant (the id is derived from both).
Both point at their session (no cascade: a session with attendance is not
deleted, it raises ``StillReferenced``).

Indexes: a session's presence by instant (tenant, session_id, at, id), which
also indexes the foreign key; a session's overrides (tenant, session_id, id).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from sessionkit.adapters.sqlalchemy._types import UTCDateTime, key_type
from sessionkit.adapters.sqlalchemy.rows import Base
from sessionkit.model.attendance import MAX_OVERRIDE_REASON_LENGTH, AttendanceOverride, Presence
from sessionkit.model.session import MAX_NAME_LENGTH, MAX_REF_LENGTH, ResourceRef

__all__ = [
    "AttendanceOverrideRow",
    "PresenceRow",
    "override_from_row",
    "override_values",
    "overrides_table",
    "presence_from_row",
    "presence_table",
    "presence_values",
]

_NAME = String(MAX_REF_LENGTH)
_LABEL = String(MAX_NAME_LENGTH)
_SESSION_FK = ["sessionkit_sessions.tenant", "sessionkit_sessions.id"]


class PresenceRow(Base):
    """One join or leave a meeting provider reported, stored once per ``provider:event_id``."""

    __tablename__ = "sessionkit_presence"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    session_id: Mapped[str] = mapped_column(key_type())
    participant: Mapped[str] = mapped_column(_NAME)
    action: Mapped[str] = mapped_column(_LABEL)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        ForeignKeyConstraint(["tenant", "session_id"], _SESSION_FK),
        # A session's presence in time order; also the index of the foreign key.
        Index(None, "tenant", "session_id", "at", "id"),
    )


class AttendanceOverrideRow(Base):
    """The teacher's report for one participant of one session, kept apart from presence."""

    __tablename__ = "sessionkit_attendance_overrides"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    session_id: Mapped[str] = mapped_column(key_type())
    participant: Mapped[str] = mapped_column(_NAME)
    status: Mapped[str] = mapped_column(_LABEL)
    minutes: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(MAX_OVERRIDE_REASON_LENGTH))
    decided_by: Mapped[str | None] = mapped_column(_NAME)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        ForeignKeyConstraint(["tenant", "session_id"], _SESSION_FK),
        # A session's overrides; also the index of the foreign key.
        Index(None, "tenant", "session_id", "id"),
    )


presence_table = cast("Table", PresenceRow.__table__)
"""``sessionkit_presence`` as a Core table."""
overrides_table = cast("Table", AttendanceOverrideRow.__table__)
"""``sessionkit_attendance_overrides`` as a Core table."""


def presence_values(record: Presence) -> dict[str, Any]:
    """Return the ``sessionkit_presence`` row of ``record``."""
    return {
        "tenant": record.tenant,
        "id": record.id,
        "session_id": record.session_id,
        "participant": str(record.participant),
        "action": record.action,
        "at": record.at,
        "received_at": record.received_at,
        "version": record.version,
    }


def presence_from_row(row: Mapping[Any, Any]) -> Presence:
    """Build the :class:`~sessionkit.model.attendance.Presence` from its row."""
    return Presence(
        id=row["id"],
        tenant=row["tenant"],
        session_id=row["session_id"],
        participant=ResourceRef.parse(row["participant"]),
        action=row["action"],
        at=row["at"],
        received_at=row["received_at"],
        version=row["version"],
    )


def override_values(record: AttendanceOverride) -> dict[str, Any]:
    """Return the ``sessionkit_attendance_overrides`` row of ``record``."""
    return {
        "tenant": record.tenant,
        "id": record.id,
        "session_id": record.session_id,
        "participant": str(record.participant),
        "status": record.status,
        "minutes": record.minutes,
        "reason": record.reason,
        "decided_by": record.decided_by,
        "decided_at": record.decided_at,
        "version": record.version,
    }


def override_from_row(row: Mapping[Any, Any]) -> AttendanceOverride:
    """Build the :class:`~sessionkit.model.attendance.AttendanceOverride` from its row."""
    return AttendanceOverride(
        id=row["id"],
        tenant=row["tenant"],
        session_id=row["session_id"],
        participant=ResourceRef.parse(row["participant"]),
        status=row["status"],
        minutes=row["minutes"],
        reason=row["reason"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        version=row["version"],
    )
