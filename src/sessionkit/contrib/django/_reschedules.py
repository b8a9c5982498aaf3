"""Reschedule requests in Django: the generic repository plus the pending, history and due reads.

Writes are the generic repository's: the conditional unique constraint
``sk_reschedule_pending`` refuses a second pending request for a session
(``DuplicateReschedule``, key ``"pending"``) however the writers race, and
the versioned ``UPDATE`` refuses a stale answer, so a request is answered once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count

from sessionkit.contrib.django._repository import DjangoRepository
from sessionkit.contrib.django.models import RescheduleRecord
from sessionkit.model.reschedule import PENDING, RescheduleRequest

__all__ = ["DjangoRescheduleRepository", "reschedule_fields", "reschedule_from_record"]


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def reschedule_fields(request: RescheduleRequest) -> dict[str, Any]:
    """Return the :class:`RescheduleRecord` field values of ``request`` (the session row aside)."""
    return {
        "tenant": request.tenant,
        "record_id": request.id,
        "session_ref": request.session_id,
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


def reschedule_from_record(row: RescheduleRecord) -> RescheduleRequest:
    """Build the domain :class:`~sessionkit.model.reschedule.RescheduleRequest` from its row."""
    return RescheduleRequest(
        id=row.record_id,
        tenant=row.tenant,
        session_id=row.session_ref,
        role=row.role,
        requested_by=row.requested_by,
        reason=row.reason,
        session_start=row.session_start.astimezone(UTC),
        proposed_start=_optional_utc(row.proposed_start),
        deadline=row.deadline.astimezone(UTC),
        status=row.status,
        decided_by=row.decided_by,
        decided_role=row.decided_role,
        new_start=_optional_utc(row.new_start),
        created_at=row.created_at.astimezone(UTC),
        updated_at=_optional_utc(row.updated_at),
        version=row.version,
    )


class DjangoRescheduleRepository(DjangoRepository[RescheduleRequest, RescheduleRecord]):
    """The :class:`~sessionkit.ports.RescheduleRepository` of a Django unit of work."""

    model = RescheduleRecord
    links = {"session_id": "session_row"}  # noqa: RUF012  # read-only class data

    def to_fields(self, record: RescheduleRequest) -> dict[str, Any]:
        """Return the :class:`RescheduleRecord` field values of ``record``."""
        return reschedule_fields(record)

    def from_row(self, row: RescheduleRecord) -> RescheduleRequest:
        """Return the request a row holds."""
        return reschedule_from_record(row)

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:  # noqa: ARG002
        """Return the lookups of the ``pending`` key: the session's pending request."""
        return {"session_ref": value[0], "status": PENDING}

    def pending_for(self, tenant: str, session_id: str) -> RescheduleRequest | None:
        """Return the session's pending request, or ``None``."""
        row = self.rows(tenant).filter(session_ref=session_id, status=PENDING).first()
        return None if row is None else self.from_row(row)

    def for_session(self, tenant: str, session_id: str) -> list[RescheduleRequest]:
        """Return the session's requests (any status), oldest first (by creation, then id)."""
        rows = self.rows(tenant).filter(session_ref=session_id)
        ordered = rows.order_by("created_at", self._exact("record_id").asc())
        return [self.from_row(row) for row in ordered]

    def counts(self, tenant: str, session_ids: Iterable[str]) -> dict[str, int]:
        """Return how many requests (any status) each session has; none: left out."""
        wanted = list(dict.fromkeys(session_ids))
        rows = self.rows(tenant).filter(session_ref__in=wanted)
        counted = {
            entry["session_ref"]: entry["n"]
            for entry in rows.values("session_ref").annotate(n=Count("pk")).order_by()
        }
        return {session_id: counted[session_id] for session_id in wanted if session_id in counted}

    def due(self, tenant: str | None, *, before: datetime, limit: int) -> list[RescheduleRequest]:
        """Return pending requests whose deadline is at or before ``before``, earliest first.

        Ties go by tenant, then id (by code point); ``tenant=None`` reads every tenant's.
        """
        self._uow.require_open()
        if limit <= 0:
            return []
        rows = RescheduleRecord.objects.using(self.using).filter(
            status=PENDING, deadline__lte=before
        )
        if tenant is not None:
            rows = rows.filter(tenant=tenant)
        ordered = rows.order_by(
            "deadline", self._exact("tenant").asc(), self._exact("record_id").asc()
        )
        return [self.from_row(row) for row in ordered[:limit]]
