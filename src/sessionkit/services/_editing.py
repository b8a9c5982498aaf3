"""Locking a session before deciding it may be changed: what booking commands lock, first.

Private to the services package. A booking command takes its session's row
lock (``BookingRepository.lock_session``) before it counts or adds bookings; a
command that changes, moves or deletes a session because it has no bookings
must take the same lock before it counts them, or a booking committed between
its count and its write slips through (the session moved under a booking,
deleted under one, re-timed without its bookings' copy of the time). Stores
without bookings serialise their units of work, or keep no bookings to count.
"""

from __future__ import annotations

from collections.abc import Iterable

from sessionkit.model.session import Session
from sessionkit.services._context import Tx

__all__ = ["lock_session", "lock_sessions"]


def lock_session(tx: Tx, tenant: str, session_id: str) -> Session:
    """Return the session, locked for the rest of ``tx`` when the store keeps bookings."""
    bookings = tx.bookings_or_none()
    if bookings is not None:
        return bookings.lock_session(tenant, session_id)
    return tx.sessions.get(tenant, session_id)


def lock_sessions(tx: Tx, sessions: Iterable[Session]) -> dict[str, Session]:
    """Lock each of ``sessions`` (by id, the order writers lock several in); return them by id.

    As read under the lock, which may be newer than the given ones. Without a
    bookings repository the given sessions are returned as they are.
    """
    chosen = {session.id: session for session in sessions}
    bookings = tx.bookings_or_none()
    if bookings is None:
        return chosen
    return {
        session_id: bookings.lock_session(chosen[session_id].tenant, session_id)
        for session_id in sorted(chosen)
    }
