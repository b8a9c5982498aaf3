"""The reschedule requests table and its row mapping, in both directions.

``sessionkit_reschedules`` holds one row per
:class:`~sessionkit.model.reschedule.RescheduleRequest`, keyed by ``(tenant,
id)``, with a foreign key to its session (no cascade: a session with requests
is not deleted, it raises ``StillReferenced``).

``pending_session_id`` is the row's own column, not the request's field: the
session's id while the request is pending, ``NULL`` after. The unique
constraint on ``(tenant, pending_session_id)`` is what keeps one pending
request per session, even when requests race: ``NULL`` never collides, so
answered requests pile up freely. Every database has it (a partial unique
index would not work on MySQL/MariaDB). SQL writing requests around
sessionkit must keep the column.

Indexes: a session's requests by creation (tenant, session_id, created_at,
id), which also indexes the foreign key; the due ones across tenants
(status, deadline, tenant, id).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sessionkit.adapters.sqlalchemy._types import UTCDateTime, key_type
from sessionkit.adapters.sqlalchemy.rows import Base
from sessionkit.model.reschedule import MAX_REASON_LENGTH, RescheduleRequest
from sessionkit.model.session import MAX_NAME_LENGTH, MAX_REF_LENGTH

__all__ = [
    "PENDING_CONSTRAINT",
    "RescheduleRow",
    "reschedule_from_row",
    "reschedule_values",
    "reschedules_table",
]

PENDING_CONSTRAINT = "uq_sessionkit_reschedules_tenant_pending_session_id"
"""The unique constraint behind the reschedule key ``pending``: (tenant, pending_session_id)."""

_NAME = String(MAX_REF_LENGTH)
_LABEL = String(MAX_NAME_LENGTH)


class RescheduleRow(Base):
    """One reschedule request: who asked to move which session, why, to when, and the answer."""

    __tablename__ = "sessionkit_reschedules"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    session_id: Mapped[str] = mapped_column(key_type())
    pending_session_id: Mapped[str | None] = mapped_column(key_type())
    role: Mapped[str] = mapped_column(_LABEL)
    requested_by: Mapped[str] = mapped_column(_NAME)
    reason: Mapped[str] = mapped_column(String(MAX_REASON_LENGTH))
    session_start: Mapped[datetime] = mapped_column(UTCDateTime())
    proposed_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(_LABEL)
    decided_by: Mapped[str | None] = mapped_column(_NAME)
    decided_role: Mapped[str | None] = mapped_column(_LABEL)
    new_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        # One pending request per session; NULL (answered) never collides.
        UniqueConstraint("tenant", "pending_session_id", name=PENDING_CONSTRAINT),
        ForeignKeyConstraint(
            ["tenant", "session_id"], ["sessionkit_sessions.tenant", "sessionkit_sessions.id"]
        ),
        # A session's requests by creation; also the index of the foreign key.
        Index(None, "tenant", "session_id", "created_at", "id"),
        # Pending requests by deadline, across tenants (approve_due).
        Index(None, "status", "deadline", "tenant", "id"),
    )


reschedules_table = cast("Table", RescheduleRow.__table__)
"""``sessionkit_reschedules`` as a Core table."""


def reschedule_values(request: RescheduleRequest) -> dict[str, Any]:
    """Return the ``sessionkit_reschedules`` row of ``request``."""
    return {
        "tenant": request.tenant,
        "id": request.id,
        "session_id": request.session_id,
        "pending_session_id": request.pending_session_id,
        "role": request.role,
        "requested_by": request.requested_by,
        "reason": request.reason,
        "session_start": request.session_start,
        "proposed_start": request.proposed_start,
        "deadline": request.deadline,
        "status": request.status,
        "decided_by": request.decided_by,
        "decided_role": request.decided_role,
        "new_start": request.new_start,
        "created_at": request.created_at,
        "updated_at": request.updated_at,
        "version": request.version,
    }


def reschedule_from_row(row: Mapping[Any, Any]) -> RescheduleRequest:
    """Build the domain :class:`~sessionkit.model.reschedule.RescheduleRequest` from its row."""
    return RescheduleRequest(
        id=row["id"],
        tenant=row["tenant"],
        session_id=row["session_id"],
        role=row["role"],
        requested_by=row["requested_by"],
        reason=row["reason"],
        session_start=row["session_start"],
        proposed_start=row["proposed_start"],
        deadline=row["deadline"],
        status=row["status"],
        decided_by=row["decided_by"],
        decided_role=row["decided_role"],
        new_start=row["new_start"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )
