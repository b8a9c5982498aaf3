"""The journal in Django: the generic repository plus histories by session, record or tenant.

Each history is a range of one index (``_journal_models``): ``(tenant,
[session, record or actor,] at, seq, record_id)``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Q

from sessionkit.contrib.django._repository import DjangoRepository
from sessionkit.contrib.django.models import JournalRecord
from sessionkit.errors._base import shown
from sessionkit.model.journal import JournalEntry
from sessionkit.ports import JournalCursor

__all__ = ["DjangoJournalRepository"]


class DjangoJournalRepository(DjangoRepository[JournalEntry, JournalRecord]):
    """The :class:`~sessionkit.ports.JournalRepository` of a Django unit of work."""

    model = JournalRecord

    def to_fields(self, record: JournalEntry) -> dict[str, Any]:
        """Return the :class:`JournalRecord` field values of ``record``."""
        return {
            "tenant": record.tenant,
            "record_id": record.id,
            "at": record.at,
            "seq": record.seq,
            "event": record.event,
            "subject": record.subject,
            "subject_ref": record.subject_id,
            "session_ref": record.session_id,
            "actor": record.actor,
            "role": record.role,
            "previous": record.previous,
            "status": record.status,
            "transition": record.transition,
            "reason": record.reason,
            "details": dict(record.details),
            "version": record.version,
        }

    def from_row(self, row: JournalRecord) -> JournalEntry:
        """Return the entry a row holds."""
        return JournalEntry(
            id=row.record_id,
            tenant=row.tenant,
            at=row.at.astimezone(UTC),
            seq=row.seq,
            event=row.event,
            subject=row.subject,
            subject_id=row.subject_ref,
            session_id=row.session_ref,
            actor=row.actor,
            role=row.role,
            previous=row.previous,
            status=row.status,
            transition=row.transition,
            reason=row.reason,
            details=row.details or {},
            version=row.version,
        )

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:  # noqa: ARG002
        """Journal entries have no unique key beside the id."""
        raise LookupError(f"journal entries have no unique key {shown(key)}")

    def history(
        self,
        tenant: str,
        *,
        session_id: str | None = None,
        subject: tuple[str, str] | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
        after: JournalCursor | None = None,
        limit: int,
    ) -> list[JournalEntry]:
        """Return up to ``limit`` entries, oldest first (by at, seq, id), after ``after``."""
        if limit <= 0:
            return []
        rows = self.rows(tenant).alias(exact_id=self._exact("record_id"))
        if session_id is not None:
            rows = rows.filter(session_ref=session_id)
        if subject is not None:
            rows = rows.filter(subject=subject[0], subject_ref=subject[1])
        if actor is not None:
            # Exact as it is: PostgreSQL's (deterministic) and SQLite's equality compare bytes.
            rows = rows.filter(actor=actor)
        if since is not None:
            rows = rows.filter(at__gte=since)
        if before is not None:
            rows = rows.filter(at__lt=before)
        if after is not None:
            at, seq, last = after
            rows = rows.filter(
                Q(at__gt=at) | Q(at=at, seq__gt=seq) | Q(at=at, seq=seq, exact_id__gt=last),
                at__gte=at,  # the index range's start; the OR alone is a filter to some planners
            )
        ordered = rows.order_by("at", "seq", "exact_id")
        return [self.from_row(row) for row in ordered[:limit]]
