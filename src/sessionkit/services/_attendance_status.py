"""The status a session had at an instant, for an attendance read ``as_of`` it.

Private to the services. ``kit.attendance.for_session`` and ``outcomes`` judge
who is still pending, and who is a no-show, by the session's status; read
``as_of`` an instant, that is the status it had then, not the one it has now
(a session completed or cancelled since was still running then).
:func:`status_as_of` finds it where the kit can know it: the session has not
changed since, or the kit keeps a journal (``SessionKit(journal=True)``), whose
entries date each status change when it fell due, as ``as_of`` dates presence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown
from sessionkit.model.events import SessionCreated
from sessionkit.model.journal import JournalEntry
from sessionkit.model.query import MAX_LIMIT
from sessionkit.model.session import Session
from sessionkit.ports import JOURNAL
from sessionkit.services._context import Tx

__all__ = ["journal_history", "last_change", "status_as_of", "status_unknown"]

_CREATED = SessionCreated.__name__


def last_change(session: Session) -> datetime:
    """When ``session`` was last written: its ``updated_at``, else its ``created_at``."""
    return session.created_at if session.updated_at is None else session.updated_at


def journal_history(
    tx: Tx, tenant: str, *, session_id: str | None = None, subject: tuple[str, str] | None = None
) -> list[JournalEntry] | None:
    """Return every journal entry of ``session_id`` or ``subject``, oldest first.

    ``None`` when there is no journal to read: the kit keeps none, or its
    store has no journal repository.
    """
    if tx.journal is None:  # the kit keeps no journal
        return None
    journal = tx.repository_or_none(JOURNAL)
    if journal is None:
        return None
    entries: list[JournalEntry] = []
    while True:
        page = journal.history(
            tenant,
            session_id=session_id,
            subject=subject,
            after=entries[-1].cursor if entries else None,
            limit=MAX_LIMIT,
        )
        entries.extend(page)
        if len(page) < MAX_LIMIT:
            return entries


def status_as_of(
    session: Session, as_of: datetime | None, journal: Callable[[], list[JournalEntry] | None]
) -> str | None:
    """Return the name of the status ``session`` had at ``as_of``; ``None`` when unknown.

    ``as_of`` ``None``: its status now. So it is when the session has not
    been written since ``as_of`` (:func:`last_change` at or before it: every
    status change writes it), and when it was never written since its
    creation (no ``updated_at``), even after ``as_of``: it has had one
    status all its life, as its journal would say. Else the kit's journal
    tells, if it keeps one (``journal()``: the session's own entries, oldest
    first; ``None`` without one): the status those entries (its creation and
    its status changes, each dated when it fell due, which for one created
    after its start may be before its creation) leave it in at ``as_of``;
    before its first change, the status it was created in (one created
    after ``as_of`` too). ``None`` (unknown) without a journal, or when the
    journal does not account for the status: it holds no entry of the
    session's by ``as_of`` nor its creation (kept only since later), or its
    last status is not the session's now (changes left unjournalled since).
    """
    if as_of is None or session.updated_at is None or last_change(session) <= as_of:
        return session.status
    entries = journal()
    return None if entries is None else _replayed(entries, session.status, as_of)


def status_unknown(tx: Tx, session: Session, as_of: datetime) -> InvalidValue:
    """The refusal of a read ``as_of`` an instant at which ``session``'s status is unknown.

    ``value`` is ``as_of``; ``expected`` names the instants it may be. The
    message names what is missing: a journal the kit keeps (``journal=True``),
    one its store holds, or the session's entries in it (kept only since
    later, or changes left unjournalled).
    """
    last = last_change(session)
    if tx.journal is None:
        missing = "the kit keeps no journal to tell its status then"
    elif tx.repository_or_none(JOURNAL) is None:
        missing = "the kit's store holds no journal to tell its status then"
    else:
        missing = (
            "the kit's journal holds no account of its status then (kept only since later, "
            "or changes left unjournalled)"
        )
    return InvalidValue(
        f"as_of {shown(as_of.isoformat())}: session {shown(session.id)} changed at "
        f"{last.isoformat()}, after it, and {missing}; read as_of {last.isoformat()} or "
        "later, or with a kit that keeps a journal (SessionKit(journal=True)) from the "
        "session's creation",
        value=as_of,
        expected=f"an instant at or after {last.isoformat()}",
    )


def _replayed(entries: list[JournalEntry], now: str, as_of: datetime) -> str | None:
    """The status a session's journal ``entries`` (oldest first) leave it in at ``as_of``.

    ``now`` is its status now, which the last of them written must have left it in.
    """
    born = max((e for e in entries if e.event == _CREATED), key=lambda e: e.seq, default=None)
    # Its life is what was written since its last creation (a session deleted and made again
    # under its id starts afresh), told by the order of writing (seq), not by ``at``: a timed
    # step is dated when it fell due, before the session's creation for one made after its
    # start (whose earlier timers the next tick walks through).
    changes = [
        e for e in entries if e.transition is not None and (born is None or e.seq > born.seq)
    ]
    last = max(changes, key=lambda e: e.seq, default=born)
    if last is None or last.status != now:
        return None
    before = [e for e in changes if e.at <= as_of]
    if before:
        return before[-1].status
    return None if born is None else born.status
