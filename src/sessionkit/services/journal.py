"""The journal's reads: ``kit.journal``, histories of sessions and records.

A kit built with ``SessionKit(..., journal=True)`` keeps one
:class:`~sessionkit.model.journal.JournalEntry` per event its commands
collect, written with the change before the unit of work commits (so a
change and its entries commit together or not at all). :class:`JournalQueries`
reads them back: a session's history (its own changes and those of its
bookings, payments and reschedule requests), one record's, or the whole
tenant's, oldest first, in pages, narrowed to one actor's entries and a
window of time if asked.
"""

from __future__ import annotations

from datetime import datetime

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import plain_int, shown
from sessionkit.model.journal import SUBJECTS, JournalEntry
from sessionkit.model.query import MAX_LIMIT, check_window_order
from sessionkit.model.text import check_actor, check_id, check_tenant
from sessionkit.ports import JOURNAL, JournalCursor, JournalRepository
from sessionkit.services._context import Context
from sessionkit.services.booking_requests import check_batch
from sessionkit.zones import check_instant

__all__ = ["MAX_SEQ", "JournalQueries", "journal_continuation"]


class JournalQueries:
    """A kit's journal (``kit.journal``): histories of sessions, records, tenants, oldest first."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def for_session(
        self,
        tenant: str,
        session_id: str,
        *,
        actor: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
        after: JournalEntry | JournalCursor | None = None,
        limit: int = 100,
    ) -> list[JournalEntry]:
        """Return a session's history: its changes and those of its bookings, payments, requests.

        Oldest first (by ``at``, then the order they were written); ``after``
        (the last entry of the page before, or its :attr:`JournalEntry.cursor`)
        continues the history, ``limit`` is 1..1000. An entry written later can
        sort before a page already read (a timed step is dated when it fell
        due, however late the tick ran): to follow a growing history, read on
        from an earlier entry's cursor and skip the ids you have
        (docs/services.md). The history stays when the session is deleted.
        Empty for a session nobody changed since the kit kept a journal (or
        one that never existed): the journal knows no sessions, only changes.

        ``actor`` keeps the entries that actor made (compared exactly; entries
        made by no actor, a tick's, are never one actor's), ``since`` and
        ``before`` those whose ``at`` is in ``[since, before)``: filtered by
        the store, so each page is ``limit`` entries that match, and a cursor
        reads on with the same filters. ``before`` earlier than ``since`` is
        ``InvalidWindow``.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        return self._read(tenant, after, limit, actor, since, before, session_id=session_id)

    def for_subject(
        self,
        tenant: str,
        subject: str,
        subject_id: str,
        *,
        actor: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
        after: JournalEntry | JournalCursor | None = None,
        limit: int = 100,
    ) -> list[JournalEntry]:
        """Return one record's history: its ``subject`` kind (``"booking"``, ...) and id.

        A booking's (``"booking"``), a payment's, a series' (``"series"``:
        its schedule changes and its close), oldest first, in pages and
        filtered as :meth:`for_session`. ``subject`` is one of
        :data:`~sessionkit.model.journal.SUBJECTS` (``InvalidValue`` for
        another: a misspelt kind would only ever read an empty history).
        """
        check_tenant(tenant)
        check_id(subject, "subject")
        if subject not in SUBJECTS:
            raise InvalidValue(
                f"subject must be one of {', '.join(SUBJECTS)}, got {shown(subject)}",
                value=subject,
                expected=", ".join(SUBJECTS),
            )
        check_id(subject_id, "subject_id")
        return self._read(tenant, after, limit, actor, since, before, subject=(subject, subject_id))

    def _read(
        self,
        tenant: str,
        after: JournalEntry | JournalCursor | None,
        limit: int,
        actor: str | None,
        since: datetime | None,
        before: datetime | None,
        *,
        session_id: str | None = None,
        subject: tuple[str, str] | None = None,
    ) -> list[JournalEntry]:
        who = check_actor(actor)
        lo = None if since is None else check_instant(since, "since")
        hi = None if before is None else check_instant(before, "before")
        check_window_order(lo, hi, ("since", "before"))  # swapped, it would match nothing
        limit = check_batch(limit, "limit", MAX_LIMIT)
        cursor = journal_continuation(after)
        with self._ctx.uow() as uow:
            repository: JournalRepository = uow.repository(JOURNAL)
            return repository.history(
                tenant,
                session_id=session_id,
                subject=subject,
                actor=who,
                since=lo,
                before=hi,
                after=cursor,
                limit=limit,
            )

    # Last in the class: below it, ``list`` in an annotation would name this method.
    def list(
        self,
        tenant: str,
        *,
        actor: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
        after: JournalEntry | JournalCursor | None = None,
        limit: int = 100,
    ) -> list[JournalEntry]:
        """Return the tenant's whole journal: every session's and record's entries.

        What one actor did (``actor``) or what happened in ``[since, before)``,
        across the tenant: oldest first, in pages and filtered as
        :meth:`for_session` (the same order, cursor and limits). The store
        reads it through an index of ``(tenant, at, ...)``, or of
        ``(tenant, actor, at, ...)`` for one actor.
        """
        check_tenant(tenant)
        return self._read(tenant, after, limit, actor, since, before)


MAX_SEQ = 2**63 - 1
"""The largest ``seq`` a cursor may name: the stores keep it in a signed 64-bit column."""


def journal_continuation(after: object) -> JournalCursor | None:
    """Return where a page ends: an entry's ``(at, seq, id)``, or such a triple checked."""
    if after is None:
        return None
    if isinstance(after, JournalEntry):
        return after.cursor
    if isinstance(after, tuple) and len(after) == 3:
        at, seq, last = after
        seq = plain_int(seq)
        if isinstance(seq, int) and not isinstance(seq, bool):
            if not 0 <= seq <= MAX_SEQ:
                # A forged cursor's: a store's 64-bit column could not even compare it.
                raise InvalidValue(
                    f"after[1] must be an entry's seq 0..{MAX_SEQ:,}, got {shown(seq)}",
                    value=seq,
                    expected=f"0..{MAX_SEQ}",
                )
            return check_instant(at, "after[0]"), seq, check_id(last, "after[2]")
    raise WrongType(after, name="after", expected="a JournalEntry, its (at, seq, id) or None")
