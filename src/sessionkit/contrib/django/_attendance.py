"""Presence and teacher overrides in Django: the generic repository plus the by-session reads.

Writes are the generic repository's: the unique ``(tenant, id)`` with ``id =
provider:event_id`` refuses a second copy of a presence event (the kind's
``Duplicate``) however the deliveries race, and the session link refuses a
record of a missing session (``SessionNotFound``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Any

from sessionkit.contrib.django._repository import DjangoRepository
from sessionkit.contrib.django.models import AttendanceOverrideRecord, PresenceRecord
from sessionkit.errors._base import shown
from sessionkit.model.attendance import AttendanceOverride, Presence
from sessionkit.model.session import ResourceRef

__all__ = ["DjangoOverrideRepository", "DjangoPresenceRepository"]


def _chunks(ids: Iterable[str]) -> list[list[str]]:
    unique = sorted(set(ids))
    return [unique[i : i + 500] for i in range(0, len(unique), 500)]


class DjangoPresenceRepository(DjangoRepository[Presence, PresenceRecord]):
    """The :class:`~sessionkit.ports.PresenceRepository` of a Django unit of work."""

    model = PresenceRecord
    links = {"session_id": "session_row"}  # noqa: RUF012  # read-only class data

    def to_fields(self, record: Presence) -> dict[str, Any]:
        """Return the :class:`PresenceRecord` field values of ``record``."""
        return {
            "tenant": record.tenant,
            "record_id": record.id,
            "session_ref": record.session_id,
            "participant": str(record.participant),
            "action": record.action,
            "at": record.at,
            "received_at": record.received_at,
            "version": record.version,
        }

    def from_row(self, row: PresenceRecord) -> Presence:
        """Return the presence record a row holds."""
        return Presence(
            id=row.record_id,
            tenant=row.tenant,
            session_id=row.session_ref,
            participant=ResourceRef.parse(row.participant),
            action=row.action,
            at=row.at.astimezone(UTC),
            received_at=row.received_at.astimezone(UTC),
            version=row.version,
        )

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:  # noqa: ARG002
        """Presence has no unique key beside the id."""
        raise LookupError(f"presence has no unique key {shown(key)}")

    def for_sessions(self, tenant: str, session_ids: Iterable[str]) -> list[Presence]:
        """Return the presence of those sessions, by session id, instant, then id (code points)."""
        found: list[Presence] = []
        for chunk in _chunks(session_ids):
            found.extend(map(self.from_row, self.rows(tenant).filter(session_ref__in=chunk)))
        return sorted(found, key=lambda p: (p.session_id, p.at, p.id))


class DjangoOverrideRepository(DjangoRepository[AttendanceOverride, AttendanceOverrideRecord]):
    """The :class:`~sessionkit.ports.OverrideRepository` of a Django unit of work."""

    model = AttendanceOverrideRecord
    links = {"session_id": "session_row"}  # noqa: RUF012  # read-only class data

    def to_fields(self, record: AttendanceOverride) -> dict[str, Any]:
        """Return the :class:`AttendanceOverrideRecord` field values of ``record``."""
        return {
            "tenant": record.tenant,
            "record_id": record.id,
            "session_ref": record.session_id,
            "participant": str(record.participant),
            "status": record.status,
            "minutes": record.minutes,
            "reason": record.reason,
            "decided_by": record.decided_by,
            "decided_at": record.decided_at,
            "version": record.version,
        }

    def from_row(self, row: AttendanceOverrideRecord) -> AttendanceOverride:
        """Return the override a row holds."""
        return AttendanceOverride(
            id=row.record_id,
            tenant=row.tenant,
            session_id=row.session_ref,
            participant=ResourceRef.parse(row.participant),
            status=row.status,
            minutes=row.minutes,
            reason=row.reason,
            decided_by=row.decided_by,
            decided_at=row.decided_at.astimezone(UTC),
            version=row.version,
        )

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:  # noqa: ARG002
        """Overrides have no unique key beside the id (derived from session and participant)."""
        raise LookupError(f"attendance overrides have no unique key {shown(key)}")

    def for_sessions(self, tenant: str, session_ids: Iterable[str]) -> list[AttendanceOverride]:
        """Return the overrides of those sessions, by session id, then id (code points)."""
        found: list[AttendanceOverride] = []
        for chunk in _chunks(session_ids):
            found.extend(map(self.from_row, self.rows(tenant).filter(session_ref__in=chunk)))
        return sorted(found, key=lambda o: (o.session_id, o.id))
