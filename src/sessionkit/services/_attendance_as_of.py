"""What an attendance read ``as_of`` an instant knows of a session then: status, span, bookings.

Private to the services. ``kit.attendance.for_session`` and ``outcomes`` read a
session as it stood at ``as_of``: the status it had then
(:func:`~sessionkit.services._attendance_status.status_as_of`), the span it had
then (one moved since ran at its old time) and the bookings confirmed then
(:mod:`sessionkit.services._attendance_bookings`). :class:`SessionThen` asks the
store for each at most once, and for the session's journal at most once too:
its own entries when only the session was written since ``as_of``, its whole
history (its bookings' entries with them) when a booking was, so one read
tells the status, the span and the bookings alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sessionkit.model.attendance import SEALED_FIELD, held_until
from sessionkit.model.booking import Booking
from sessionkit.model.events import SessionCreated, SessionUpdated
from sessionkit.model.journal import JournalEntry
from sessionkit.model.session import Session
from sessionkit.services._attendance_bookings import (
    changed_since,
    confirmed_among,
    maybe_confirmed,
)
from sessionkit.services._attendance_status import journal_history, last_change, status_as_of
from sessionkit.services._context import Tx
from sessionkit.timespan import TimeSpan

__all__ = ["SessionThen"]

_SESSION = "session"
_CREATED = SessionCreated.__name__
_UPDATED = SessionUpdated.__name__


class SessionThen:
    """``session`` as it stood at ``as_of`` (``None``: now), each part read when first asked."""

    def __init__(self, tx: Tx, session: Session, as_of: datetime | None) -> None:
        self._tx = tx
        self._session = session
        self._as_of = as_of
        self._candidates: list[Booking] | None = None
        self._entries: list[JournalEntry] | None = None
        self._read = False

    def status(self) -> str | None:
        """The name of the status it had then; ``None`` when the kit cannot tell (no journal)."""
        return status_as_of(self._session, self._as_of, self._own)

    def span(self) -> TimeSpan:
        """The span it was held then: its start to its end then, or to when it ended early.

        Its span now when it was not written since ``as_of``. Else the
        journal's moves since (each ``SessionUpdated``'s old start and end)
        are undone, latest first; without a journal, or one that does not
        account for its time (moves since its creation that do not lead back
        to the span it was created with), its span now.
        """
        session, at = self._session, self._as_of
        start, end = session.start, session.end
        if at is not None and session.updated_at is not None and last_change(session) > at:
            entries = self._own()
            found = None if entries is None else _span_replayed(entries, session.span, at)
            if found is not None:
                start, end = found
        return TimeSpan(start, held_until(start, end, session.metadata.get(SEALED_FIELD)))

    def bookings(self) -> list[Booking]:
        """Its bookings confirmed then, in store order."""
        return confirmed_among(self._bookings(), self._as_of, self._journal)

    def _bookings(self) -> list[Booking]:
        if self._candidates is None:
            self._candidates = maybe_confirmed(self._tx, self._session, self._as_of)
        return self._candidates

    def _journal(self) -> list[JournalEntry] | None:
        """The session's entries, read once: with its records' when a booking changed since."""
        if not self._read:
            self._read = True
            session, tx = self._session, self._tx
            if tx.journal is None:  # the kit keeps none: no read of bookings to choose one
                return None
            if changed_since(self._bookings(), self._as_of):
                self._entries = journal_history(tx, session.tenant, session_id=session.id)
            else:
                self._entries = journal_history(tx, session.tenant, subject=(_SESSION, session.id))
        return self._entries

    def _own(self) -> list[JournalEntry] | None:
        """The session's own entries (of its creation, status changes, updates), oldest first."""
        entries = self._journal()
        if entries is None:
            return None
        me = self._session.id
        return [e for e in entries if e.subject == _SESSION and e.subject_id == me]


def _instant(value: object) -> datetime | None:
    """An entry's instant (ISO 8601 text, with its offset); ``None`` for anything else."""
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return None if found.tzinfo is None else found


def _span_replayed(
    entries: list[JournalEntry], now: TimeSpan, as_of: datetime
) -> tuple[datetime, datetime] | None:
    """The start and end a session's own ``entries`` (oldest first) leave it at ``as_of``.

    ``now`` is its span now; each move after ``as_of`` is undone, latest
    first. ``None`` when the entries do not account for its time: undoing
    every move since its last creation does not give the span it was created
    with (a move left unjournalled before them, or an entry that cannot be
    read). An entry keeps no new span, so a move left unjournalled after a
    journalled one cannot be told: read between the two, the span it gave.
    """
    born = max((e for e in entries if e.event == _CREATED), key=lambda e: e.seq, default=None)
    moves = [e for e in entries if e.event == _UPDATED and (born is None or e.seq > born.seq)]
    start: datetime | None = now.start
    end: datetime | None = now.end
    then = None
    for move in sorted(moves, key=lambda e: e.seq, reverse=True):
        if then is None and move.at <= as_of:
            then = (start, end)
        old = move.details.get("old")
        if isinstance(old, Mapping):
            start = _instant(old["start"]) if "start" in old else start
            end = _instant(old["end"]) if "end" in old else end
    if then is None:
        then = (start, end)
    if born is not None and (start, end) != (
        _instant(born.details.get("start")),
        _instant(born.details.get("end")),
    ):
        return None
    first, last = then
    return None if first is None or last is None or last <= first else (first, last)
