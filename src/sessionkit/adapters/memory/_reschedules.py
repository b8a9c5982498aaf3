"""Reschedule requests in memory: the pending one of a session, a session's history, due ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sessionkit.adapters.memory._repository import MemoryRepository, register
from sessionkit.model.reschedule import PENDING, RescheduleRequest
from sessionkit.ports import RESCHEDULES

__all__ = ["InMemoryRescheduleRepository"]


class InMemoryRescheduleRepository(MemoryRepository[RescheduleRequest]):
    """The :class:`~sessionkit.ports.RescheduleRepository` of an in-memory unit of work."""

    def pending_for(self, tenant: str, session_id: str) -> RescheduleRequest | None:
        """Return the session's pending request, or ``None``."""
        table = self.table
        owner = table.unique["pending"].lookup(tenant, (session_id,))
        return None if owner is None else table.get(tenant, owner)

    def for_session(self, tenant: str, session_id: str) -> list[RescheduleRequest]:
        """Return the session's requests (any status), oldest first (by creation, then id)."""
        found = [r for r in self.table.of(tenant).values() if r.session_id == session_id]
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def counts(self, tenant: str, session_ids: Iterable[str]) -> dict[str, int]:
        """Return how many requests (any status) each session has; none: left out."""
        wanted = dict.fromkeys(session_ids)
        found: dict[str, int] = {}
        for request in self.table.of(tenant).values():
            if request.session_id in wanted:
                found[request.session_id] = found.get(request.session_id, 0) + 1
        return {session_id: found[session_id] for session_id in wanted if session_id in found}

    def due(self, tenant: str | None, *, before: datetime, limit: int) -> list[RescheduleRequest]:
        """Return pending requests whose deadline is at or before ``before``, earliest first."""
        if limit <= 0:
            return []
        table = self.table
        tenants = [tenant] if tenant is not None else sorted(table.rows)
        found = [
            r
            for t in tenants
            for r in table.of(t).values()
            if r.status == PENDING and r.deadline <= before
        ]
        found.sort(key=lambda r: (r.deadline, r.tenant, r.id))
        return found[:limit]


register(RESCHEDULES, InMemoryRescheduleRepository)
