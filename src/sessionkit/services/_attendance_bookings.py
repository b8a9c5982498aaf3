"""Which of a session's bookings were confirmed at an instant, for an attendance read ``as_of`` it.

Private to the services. ``kit.attendance.for_session`` and
``kit.attendance.outcomes`` list the session's confirmed bookings; read
``as_of`` an instant, those confirmed *then*, not now: a booking cancelled
since was still confirmed then, and one made or confirmed since was not yet.
:func:`maybe_confirmed` and :func:`confirmed_among` find them where the
kit can know it: a booking made after ``as_of`` was not; one not written since
``as_of`` had its status now then; else the kit's journal tells
(``SessionKit(journal=True)``: each booking's status changes are entries of
its session's), and without one that tells it, its status now.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sessionkit.model.booking import CANCELLED, CONFIRMED, Booking, stamped_at
from sessionkit.model.journal import JournalEntry
from sessionkit.model.session import Session
from sessionkit.services._context import Tx

__all__ = ["changed_since", "confirmed_among", "maybe_confirmed"]

_BOOKING = "booking"

# A confirmed booking leaves CONFIRMED only by a cancel: one confirmed at ``as_of`` is now one
# of these.
_MAYBE_CONFIRMED_THEN = (CONFIRMED, CANCELLED)


def maybe_confirmed(tx: Tx, session: Session, as_of: datetime | None) -> list[Booking]:
    """Return ``session``'s bookings that may have been confirmed at ``as_of``, in store order.

    ``as_of`` ``None``: those confirmed now. Else those made (``created_at``)
    by ``as_of`` and confirmed or cancelled now (a confirmed booking leaves
    CONFIRMED only by a cancel). Empty when the store keeps no bookings. A
    booking never leaves its session (a move of the session carries its
    bookings along, writing their copy of its time), so these are all among
    the session's own.
    """
    bookings = tx.bookings_or_none()
    if bookings is None:
        return []
    if as_of is None:
        return bookings.for_session(session.tenant, session.id, statuses=[CONFIRMED])
    return [
        b
        for b in bookings.for_session(session.tenant, session.id, statuses=_MAYBE_CONFIRMED_THEN)
        if b.created_at <= as_of
    ]


def changed_since(candidates: list[Booking], as_of: datetime | None) -> list[Booking]:
    """Those of ``candidates`` written since ``as_of``: the journal must tell their status then."""
    return [] if as_of is None else [b for b in candidates if stamped_at(b) > as_of]


def confirmed_among(
    candidates: list[Booking],
    as_of: datetime | None,
    journal: Callable[[], list[JournalEntry] | None],
) -> list[Booking]:
    """Return those of :func:`maybe_confirmed`'s ``candidates`` confirmed at ``as_of``, in order.

    One not written since (:func:`~sessionkit.model.booking.stamped_at` at
    or before ``as_of``) had its status now. Else its status then is the one
    the session's journal entries (``journal()``, oldest first, read only
    when one was written since; ``None`` without a journal) leave it in at
    ``as_of``; without a journal, or one that does not account for it (no
    entry of it by ``as_of``, or a last status not its own now), its status
    now.
    """
    changed = changed_since(candidates, as_of)
    told: dict[str, str | None] = {}
    if changed:  # one read of the session's journal for them all, not one per booking
        entries = journal()
        if entries is not None:
            assert as_of is not None  # read now, nothing changed since
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
