"""Journal entries in memory: a tenant's history, by session, by record or whole, in pages."""

from __future__ import annotations

from datetime import datetime

from sessionkit.adapters.memory._repository import MemoryRepository, register
from sessionkit.model.journal import JournalEntry
from sessionkit.ports import JOURNAL, JournalCursor

__all__ = ["InMemoryJournalRepository"]


class InMemoryJournalRepository(MemoryRepository[JournalEntry]):
    """The :class:`~sessionkit.ports.JournalRepository` of an in-memory unit of work."""

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
        found = [
            entry
            for entry in self.table.of(tenant).values()
            if (session_id is None or entry.session_id == session_id)
            and (subject is None or (entry.subject, entry.subject_id) == subject)
            and (actor is None or entry.actor == actor)
            and (since is None or entry.at >= since)
            and (before is None or entry.at < before)
            and (after is None or entry.cursor > after)
        ]
        found.sort(key=lambda entry: entry.cursor)
        return found[:limit]


register(JOURNAL, InMemoryJournalRepository)
