"""Which of a session's bookings were confirmed at an instant, for an attendance read ``as_of`` it.

Private to the services. ``kit.attendance.for_session`` and
``kit.attendance.outcomes`` list the session's confirmed bookings; read
``as_of`` an instant, those confirmed *then*, not now: a booking cancelled
since was still confirmed then, and one made or confirmed since was not yet.
:func:`confirmed_as_of` finds them where the kit
can know it: a booking made after ``as_of`` was not; one not written since
``as_of`` had its status now then; else the kit's journal tells
(``SessionKit(journal=True)``: each booking's status changes are entries of
its session's), and without one that tells it, its status now.
"""

from __future__ import annotations

from datetime import datetime

from sessionkit.model.booking import CANCELLED, CONFIRMED, Booking, stamped_at
from sessionkit.model.journal import JournalEntry
from sessionkit.model.session import Session
from sessionkit.services._attendance_status import journal_history
from sessionkit.services._context import Tx

__all__ = ["confirmed_as_of"]

_BOOKING = "booking"

# A confirmed booking leaves CONFIRMED only by a cancel: one confirmed at ``as_of`` is now one
# of these.
_MAYBE_CONFIRMED_THEN = (CONFIRMED, CANCELLED)


def confirmed_as_of(tx: Tx, session: Session, as_of: datetime | None) -> list[Booking]:
    """Return ``session``'s bookings confirmed at ``as_of`` (``None``: now), in store order.

    A booking made (``created_at``) after ``as_of`` had not been made; one
    not written since (:func:`~sessionkit.model.booking.stamped_at` at or
    before ``as_of``) had its status now. Else its status then is the one
    the kit's journal leaves it in at ``as_of``; without a journal, or one
    that does not account for it (no entry of it by ``as_of``, or a last
    status not its own now), its status now. Empty when the store keeps no
    bookings. A booking never leaves its session (a move of the session
    carries its bookings along, writing their copy of its time), so these
    are all among the session's own.
    """
    bookings = tx.bookings_or_none()
    if bookings is None:
        return []
    if as_of is None:
        return bookings.for_session(session.tenant, session.id, statuses=[CONFIRMED])
    candidates = [
        b
        for b in bookings.for_session(session.tenant, session.id, statuses=_MAYBE_CONFIRMED_THEN)
        if b.created_at <= as_of
    ]
    changed = [b for b in candidates if stamped_at(b) > as_of]
    told: dict[str, str | None] = {}
    if changed:  # one read of the session's journal for them all, not one per booking
        entries = journal_history(tx, session.tenant, session_id=session.id)
        if entries is not None:
            told = {b.id: _replayed(b, entries, as_of) for b in changed}
    return [b for b in candidates if (told.get(b.id) or b.status) == CONFIRMED]


def _replayed(booking: Booking, entries: list[JournalEntry], as_of: datetime) -> str | None:
    """The status ``booking``'s journal ``entries`` (oldest first) leave it in at ``as_of``.

    ``None`` when they do not account for it: none of its status changes
    is dated by ``as_of``, or the last one written does not leave it in its
    status now (changes left unjournalled).
    """
    mine = [
        e
        for e in entries
        if e.subject == _BOOKING and e.subject_id == booking.id and e.transition is not None
    ]
    last = max(mine, key=lambda e: e.seq, default=None)
    if last is None or last.status != booking.status:
        return None
    before = [e for e in mine if e.at <= as_of]
    return before[-1].status if before else None
