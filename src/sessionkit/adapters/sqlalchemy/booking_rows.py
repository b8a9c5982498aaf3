"""The bookings table and its row mapping, in both directions.

``sessionkit_bookings`` holds one row per :class:`~sessionkit.model.booking.Booking`,
keyed by ``(tenant, id)`` like every sessionkit table, with a foreign key to
its session (no cascade: a session with bookings is not deleted, it raises
``StillReferenced``). The participant is stored as two columns, kind and id,
so a participant's agenda is one index range; metadata is JSON, as on
sessions. Four indexes serve the booking reads: the session's bookings and
the seat count (tenant, session_id, status), a participant's agenda by start
with the keyset tiebreaker (tenant, participant_kind, participant_id,
session_start, id), the tenant's bookings by start (tenant, session_start,
id), and the expiry job across tenants (status, hold_expires_at).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sessionkit.adapters.sqlalchemy._types import JSONValue, UTCDateTime, key_type
from sessionkit.adapters.sqlalchemy.rows import Base
from sessionkit.model.booking import Booking
from sessionkit.model.session import ResourceRef

__all__ = [
    "AGENDA_INDEX",
    "IDEMPOTENCY_CONSTRAINT",
    "SEATS_INDEX",
    "TENANT_START_INDEX",
    "BookingRow",
    "booking_from_row",
    "booking_values",
    "bookings_table",
]

IDEMPOTENCY_CONSTRAINT = "uq_sessionkit_bookings_tenant_idempotency_key"
"""The unique constraint behind the booking key ``idempotency``: (tenant, idempotency_key)."""

AGENDA_INDEX = "ix_sessionkit_bookings_agenda"
"""A participant's bookings by session start then id (named by hand: the conventional
name passes PostgreSQL's 63 characters)."""

SEATS_INDEX = "ix_sessionkit_bookings_seats"
"""A session's bookings by status, with the seats they take and a hold's expiry: the
seat sums read no table rows (named by hand, as :data:`AGENDA_INDEX`)."""

TENANT_START_INDEX = "ix_sessionkit_bookings_tenant_start"
"""The tenant's bookings by session start then id, every participant's (``kit.bookings.for_tenant``;
named by hand, as :data:`AGENDA_INDEX`)."""

_NAME = String(255)
_LABEL = String(64)


class BookingRow(Base):
    """One booking: a participant's seats in a session, with the session's time copied in."""

    __tablename__ = "sessionkit_bookings"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    session_id: Mapped[str] = mapped_column(key_type())
    participant_kind: Mapped[str] = mapped_column(key_type(255))
    participant_id: Mapped[str] = mapped_column(key_type(255))
    role: Mapped[str] = mapped_column(_LABEL)
    seats: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(_LABEL)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    session_start: Mapped[datetime] = mapped_column(UTCDateTime())
    session_end: Mapped[datetime] = mapped_column(UTCDateTime())
    position: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(key_type(255))
    fingerprint: Mapped[str | None] = mapped_column(_NAME)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(_NAME)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(_NAME)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONValue)

    __table_args__ = (
        # A replayed command finds its booking by key; two racing ones cannot both store one.
        UniqueConstraint("tenant", "idempotency_key", name=IDEMPOTENCY_CONSTRAINT),
        ForeignKeyConstraint(
            ["tenant", "session_id"], ["sessionkit_sessions.tenant", "sessionkit_sessions.id"]
        ),
        # The session's bookings, and the seats they take (also the foreign key's index):
        # seats and expiry in the index, so the seat sums read no table rows.
        Index(SEATS_INDEX, "tenant", "session_id", "status", "seats", "hold_expires_at"),
        # A participant's agenda by start, with the id for keyset pages.
        Index(AGENDA_INDEX, "tenant", "participant_kind", "participant_id", "session_start", "id"),
        # The tenant's bookings by start (every participant's), with the id for keyset pages.
        Index(TENANT_START_INDEX, "tenant", "session_start", "id"),
        # Holds and offers that ran out, across tenants (the expiry job).
        Index(None, "status", "hold_expires_at"),
    )


bookings_table = cast("Table", BookingRow.__table__)
"""``sessionkit_bookings`` as a Core table."""


def booking_values(booking: Booking) -> dict[str, Any]:
    """Return the ``sessionkit_bookings`` row of ``booking``."""
    return {
        "tenant": booking.tenant,
        "id": booking.id,
        "session_id": booking.session_id,
        "participant_kind": booking.participant.kind,
        "participant_id": booking.participant.id,
        "role": booking.role,
        "seats": booking.seats,
        "status": booking.status,
        "hold_expires_at": booking.hold_expires_at,
        "session_start": booking.session_start,
        "session_end": booking.session_end,
        "position": booking.position,
        "idempotency_key": booking.idempotency_key,
        "fingerprint": booking.fingerprint,
        "version": booking.version,
        "created_at": booking.created_at,
        "created_by": booking.created_by,
        "updated_at": booking.updated_at,
        "updated_by": booking.updated_by,
        "metadata": dict(booking.metadata),
    }


def booking_from_row(row: Mapping[Any, Any]) -> Booking:
    """Build the domain :class:`~sessionkit.model.booking.Booking` from a bookings row."""
    return Booking(
        id=row["id"],
        tenant=row["tenant"],
        session_id=row["session_id"],
        participant=ResourceRef(row["participant_kind"], row["participant_id"]),
        role=row["role"],
        seats=row["seats"],
        status=row["status"],
        hold_expires_at=row["hold_expires_at"],
        session_start=row["session_start"],
        session_end=row["session_end"],
        position=row["position"],
        idempotency_key=row["idempotency_key"],
        fingerprint=row["fingerprint"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        version=row["version"],
        metadata=row["metadata"],
    )
