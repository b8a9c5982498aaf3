"""The journal kind and its repository protocol: entries written once, read by session or record."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sessionkit.model.journal import JournalEntry
from sessionkit.ports._storage import Kind, Repository

JournalCursor = tuple[datetime, int, str]
"""Where a page of entries ends: the last entry's ``(at, seq, id)``."""


class JournalRepository(Repository[JournalEntry], Protocol):
    """Journal entries of all tenants: the generic methods plus the history reads.

    Entries are added (``add_many``) and never changed by sessionkit. A
    history is ordered by ``at``, then ``seq``, then ``id``, and read in pages
    after a cursor (the last entry's ``(at, seq, id)``); its filters are
    applied by the store, so a page holds ``limit`` entries that match.
    """

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
        """Return up to ``limit`` entries of the tenant, oldest first, after ``after``.

        ``session_id``: only the entries of that session (its own and those of
        its bookings, payments and reschedule requests); ``subject``: only the
        entries of that record, as ``(subject, subject_id)``; neither: the
        whole tenant's (a store should read it as a range of an index by
        tenant and ``at``, or by tenant, actor and ``at``); ``actor``: only
        those that actor made (compared exactly, as ``str`` compares: no
        collation folds case or pads spaces); ``since``/``before``: only those
        whose ``at`` is at or after ``since`` and before ``before``.
        """
        ...


JOURNAL: Kind[JournalRepository] = Kind("journal_entry", JournalEntry)
"""Journal entries: unique per tenant by id; no parent (a history outlives its session)."""
