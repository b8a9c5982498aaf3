"""Whether a session may be changed, and its lock taken before that is decided.

Private to the services package. :func:`check_editable` says whether a
session may be changed or deleted (its status, the host's dependents, its
bookings under ``lock_booked``). A booking command takes its session's row
lock (``BookingRepository.lock_session``) before it counts or adds bookings; a
command that changes, moves or deletes a session because it has no bookings
must take the same lock before it counts them, or a booking committed between
its count and its write slips through (the session moved under a booking,
deleted under one, re-timed without its bookings' copy of the time). Stores
without bookings serialise their units of work, or keep no bookings to count.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sessionkit.errors import MissingFact, SessionLocked, SessionNotFound
from sessionkit.lifecycle import Lifecycle
from sessionkit.model.booking import ACTIVE_BOOKING_STATUSES
from sessionkit.model.session import Session
from sessionkit.services._context import Context, Tx

__all__ = [
    "booked_lock",
    "check_editable",
    "due_status",
    "links_lock",
    "lock_session",
    "lock_sessions",
    "status_lock",
]


def lock_session(tx: Tx, tenant: str, session_id: str) -> Session:
    """Return the session, locked for the rest of ``tx`` when the store keeps bookings."""
    bookings = tx.bookings_or_none()
    if bookings is not None:
        return bookings.lock_session(tenant, session_id)
    return tx.sessions.get(tenant, session_id)


def lock_sessions(tx: Tx, sessions: Iterable[Session]) -> dict[str, Session]:
    """Lock each of ``sessions`` (by id, the order writers lock several in); return them by id.

    As read under the lock, which may be newer than the given ones; one
    deleted meanwhile is left out. Without a bookings repository the given
    sessions are returned as they are.
    """
    chosen = {session.id: session for session in sessions}
    bookings = tx.bookings_or_none()
    if bookings is None:
        return chosen
    locked: dict[str, Session] = {}
    for session_id in sorted(chosen):
        try:
            locked[session_id] = bookings.lock_session(chosen[session_id].tenant, session_id)
        except SessionNotFound:
            continue  # deleted by a writer that held its lock before us
    return locked


def status_lock(lifecycle: Lifecycle, session: Session) -> str | None:
    """Return why ``session``'s status forbids editing or deleting it, or ``None``."""
    if lifecycle.status(session.status).editable:
        return None
    editable = ", ".join(sorted(lifecycle.editable_statuses)) or "none"
    return f"status {session.status!r} is not editable (editable: {editable})"


def due_status(
    ctx: Context, tx: Tx, session: Session, *, before: datetime | None = None
) -> Session:
    """Return ``session`` (not stored) in the status its timers due by ``tx.now`` give it.

    What falls due counts when it is read, whether or not the tick ran (as a
    hold that ran out does): a lesson whose READY fell due is judged READY.
    ``before``: only the timers due strictly before it (silence answers a
    request at its deadline, ahead of a timer due then). A due condition
    needing a fact the kit cannot give leaves the session as stored: the
    tick could not take that step either.
    """
    machine = ctx.lifecycle(session.lifecycle)
    at = tx.now if before is None else min(tx.now, before - timedelta(microseconds=1))
    try:
        return machine.advance(session, at, facts={})[0]
    except MissingFact:
        if ctx.facts is None:
            return session
    facts = ctx.facts_for(tx, [session]).get(session.id)
    try:
        return machine.advance(session, at, facts=facts)[0]
    except MissingFact:
        return session


def check_editable(ctx: Context, tx: Tx, session: Session, *, deleting: bool = False) -> None:
    """Raise ``SessionLocked`` unless ``session`` may be changed (or, ``deleting``, deleted).

    Its status must be editable and the host must report no dependents. A
    session with bookings is never deleted (cancel it instead); one with
    bookings in play is not changed while the booking rules lock booked
    sessions (``lock_booked``). A change judges the status its timers due by
    now give it (:func:`due_status`), tick or not.
    """
    judged = session if deleting else due_status(ctx, tx, session)
    reason = status_lock(ctx.lifecycle(session.lifecycle), judged)
    if reason is None and deleting:
        dependents = ctx.blocking_links(tx, [session]).get(session.id)
        if dependents is not None:
            reason = f"it has dependents ({dependents})"
    elif reason is None:
        reason = links_lock(ctx, tx, session) or booked_lock(ctx, tx, session)
    if reason is not None:
        raise SessionLocked(session.id, reason)


def links_lock(ctx: Context, tx: Tx, session: Session) -> str | None:
    """Return why the host's links forbid moving or changing ``session``, or ``None``.

    The kit's :class:`~sessionkit.ports.LinkChecker`, asked through ``tx``: a
    session it names has dependents, and sessionkit never moves it.
    """
    if ctx.links is None:
        return None
    dependents = ctx.links.blocking_links([session], tx.uow).get(session.id)
    return None if dependents is None else f"it has dependents ({dependents})"


def booked_lock(ctx: Context, tx: Tx, session: Session) -> str | None:
    """Return why the booking rules forbid changing ``session`` (it has bookings), or ``None``."""
    if not ctx.rules_for(session).lock_booked:
        return None
    bookings = tx.bookings_or_none()
    if bookings is None:
        return None
    found = bookings.for_session(session.tenant, session.id, statuses=ACTIVE_BOOKING_STATUSES)
    # A hold or offer that ran out is no longer in play, whether or not it was settled yet.
    active = [b for b in found if not b.expired_at(tx.now)]
    if not active:
        return None
    return f"it has {len(active)} booking(s) in play and the booking rules lock booked sessions"
