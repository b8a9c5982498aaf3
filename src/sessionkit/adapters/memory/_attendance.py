"""Presence records and teacher overrides in memory: the by-session reads."""

from __future__ import annotations

from collections.abc import Iterable

from sessionkit.adapters.memory._repository import MemoryRepository, register
from sessionkit.model.attendance import AttendanceOverride, Presence
from sessionkit.ports import ATTENDANCE_OVERRIDES, PRESENCE

__all__ = ["InMemoryOverrideRepository", "InMemoryPresenceRepository"]


class InMemoryPresenceRepository(MemoryRepository[Presence]):
    """The :class:`~sessionkit.ports.PresenceRepository` of an in-memory unit of work."""

    def for_sessions(self, tenant: str, session_ids: Iterable[str]) -> list[Presence]:
        """Return the presence of those sessions, by session id, instant, then id."""
        wanted = set(session_ids)
        if not wanted:
            return []
        found = [p for p in self.table.of(tenant).values() if p.session_id in wanted]
        return sorted(found, key=lambda p: (p.session_id, p.at, p.id))


class InMemoryOverrideRepository(MemoryRepository[AttendanceOverride]):
    """The :class:`~sessionkit.ports.OverrideRepository` of an in-memory unit of work."""

    def for_sessions(self, tenant: str, session_ids: Iterable[str]) -> list[AttendanceOverride]:
        """Return the overrides of those sessions, by session id, then id."""
        wanted = set(session_ids)
        if not wanted:
            return []
        found = [o for o in self.table.of(tenant).values() if o.session_id in wanted]
        return sorted(found, key=lambda o: (o.session_id, o.id))


register(PRESENCE, InMemoryPresenceRepository)
register(ATTENDANCE_OVERRIDES, InMemoryOverrideRepository)
