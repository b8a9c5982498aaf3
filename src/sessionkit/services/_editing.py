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

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sessionkit.errors import MissingFact, SessionLocked, SessionNotFound
from sessionkit.lifecycle import Lifecycle, StatusChanged
from sessionkit.model.booking import ACTIVE_BOOKING_STATUSES, Booking
from sessionkit.model.session import Session
from sessionkit.services._context import Context, Tx

__all__ = [
    "booked_lock",
    "check_editable",
    "due_status",
    "in_play",
    "links_lock",
    "lock_session",
    "lock_sessions",
    "moved_lock",
    "status_at",
    "status_lock",
    "steps_known",
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
    return f"status {session.status!r} is not editable (editable: {_editable(lifecycle)})"


def _editable(lifecycle: Lifecycle) -> str:
    return ", ".join(sorted(lifecycle.editable_statuses)) or "none"


def due_status(
    ctx: Context, tx: Tx, session: Session, *, before: datetime | None = None
) -> Session:
    """Return ``session`` (not stored) in the status its timers due by ``tx.now`` give it.

    What falls due counts when it is read, whether or not the tick ran (as a
    hold that ran out does): a lesson whose READY fell due is judged READY.
    ``before``: only the timers due strictly before it (silence answers a
    request at its deadline, ahead of a timer due then). The steps are taken
    up to the first whose condition needs a fact the kit cannot give
    (:func:`status_at`).
    """
    at = tx.now if before is None else min(tx.now, before - timedelta(microseconds=1))
    return status_at(ctx, tx, session, at)


def status_at(ctx: Context, tx: Tx, session: Session, at: datetime) -> Session:
    """Return ``session`` (not stored) in the status its timers due by ``at`` give it.

    As :func:`due_status`, at any instant: the facts are the kit's as they
    stand at ``tx.now``. A due step whose condition needs a fact the kit
    cannot give stops the steps there: the ones due before it are taken (an
    academy lesson whose attendance is unknown an hour past its start is
    READY, as a tick run in its READY window stored it).
    """
    machine = ctx.lifecycle(session.lifecycle)
    try:
        return machine.advance(session, at, facts={})[0]
    except MissingFact:
        if ctx.facts is None:
            return steps_known(machine, session, at, {})[0]
    facts = ctx.facts_for(tx, [session]).get(session.id)
    return steps_known(machine, session, at, facts)[0]


def steps_known(
    machine: Lifecycle, session: Session, at: datetime, facts: Mapping[str, object] | None
) -> tuple[Session, tuple[StatusChanged, ...]]:
    """Return ``session`` after its steps due by ``at`` that ``facts`` let it take, and the steps.

    What a tick run at each instant a step falls due would have stored: the
    steps due at one instant are taken together (as one advance takes them),
    up to the first instant whose steps need a fact ``facts`` lack. Never
    raises ``MissingFact``: no step is taken past it.
    """
    taken: tuple[StatusChanged, ...] = ()
    while True:
        try:
            done, changes = machine.advance(session, at, facts=facts)
        except MissingFact:
            pass
        else:
            return done, (*taken, *changes)
        try:
            when = machine.next_due(session, facts=facts, by=at)
            if when is None:  # nothing due by at after all: advance would not have raised
                return session, taken
            session, changes = machine.advance(session, when, facts=facts)
        except MissingFact:
            return session, taken
        taken = (*taken, *changes)


def moved_lock(
    ctx: Context, tx: Tx, moved: Session, *, before: datetime | None = None
) -> str | None:
    """Return why ``moved`` (a session at a new time, not stored) may not be put there, or ``None``.

    At its new time its timers due by ``tx.now`` (:func:`due_status`; with
    ``before``, those due strictly before it, as silence judges them at a
    request's deadline) must leave it in an editable status: a move into its
    own locked window (an academy lesson moved to start within
    ``ACADEMY_READY_BEFORE`` of now, READY at once) is refused as a move of a
    READY lesson is.
    """
    lifecycle = ctx.lifecycle(moved.lifecycle)
    judged = due_status(ctx, tx, moved, before=before)
    if status_lock(lifecycle, judged) is None:
        return None
    due = "by now" if before is None else f"before {before.isoformat()}"
    return (
        f"moved to start at {moved.start.isoformat()}, its timers due {due} would make it "
        f"{judged.status!r}, which is not editable (editable: {_editable(lifecycle)})"
    )


def check_editable(
    ctx: Context,
    tx: Tx,
    session: Session,
    *,
    deleting: bool = False,
    moved: Session | None = None,
) -> None:
    """Raise ``SessionLocked`` unless ``session`` may be changed (or, ``deleting``, deleted).

    Its status must be editable and the host must report no dependents. A
    session with bookings is never deleted (cancel it instead); one with
    bookings in play is not changed while the booking rules lock booked
    sessions (``lock_booked``). The status judged is the one its timers due by
    now give it (:func:`due_status`), tick or not, for a change as for a
    delete. ``moved``: ``session`` at the new time a change gives it, which
    must not be locked there either (:func:`moved_lock`).
    """
    reason = status_lock(ctx.lifecycle(session.lifecycle), due_status(ctx, tx, session))
    if reason is None and moved is not None:
        reason = moved_lock(ctx, tx, moved)
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


def in_play(tx: Tx, session: Session) -> list[Booking]:
    """The bookings of ``session`` in play at ``tx.now`` (none without a bookings repository).

    A hold or offer that ran out is no longer in play, whether or not it was
    settled yet.
    """
    bookings = tx.bookings_or_none()
    if bookings is None:
        return []
    found = bookings.for_session(session.tenant, session.id, statuses=ACTIVE_BOOKING_STATUSES)
    return [b for b in found if not b.expired_at(tx.now)]


def booked_lock(ctx: Context, tx: Tx, session: Session) -> str | None:
    """Return why the booking rules forbid changing ``session`` (it has bookings), or ``None``."""
    if not ctx.rules_for(session).lock_booked:
        return None
    active = in_play(tx, session)
    if not active:
        return None
    return f"it has {len(active)} booking(s) in play and the booking rules lock booked sessions"
