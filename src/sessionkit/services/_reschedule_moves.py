"""Moving a rescheduled session: the move itself, silence's move to a proposed time, after it.

Private to the services package, beside :mod:`~sessionkit.services._reschedule_steps`,
which exports these names as before this module was split from it and uses
them to answer requests. Here: whether another session of the series starts
at the new time (:func:`check_series_start`), moving a session and its bookings
(:func:`move_session`, giving a :class:`Moved`), releasing what the move ended
(:func:`release_moved`), and moving to a request's proposed time as silence
does, or saying why not (:func:`apply_proposed`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

from sessionkit.errors import DuplicateSession, SessionConflict, SessionLocked
from sessionkit.model.events import SessionUpdated
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import Session
from sessionkit.ports import SESSIONS
from sessionkit.services._context import Context, Tx, check_free
from sessionkit.services._editing import due_status, links_lock, moved_lock, status_lock
from sessionkit.services._release import settle_moved
from sessionkit.services._seats import expire_before_move, move_session_bookings
from sessionkit.services._usage import move_session_usage, move_usage_refusal
from sessionkit.timespan import TimeSpan

__all__ = ["Moved", "apply_proposed", "check_series_start", "move_session", "release_moved"]


@attrs.frozen
class Moved:
    """A session :func:`move_session` moved, and whether the move ended run-out bookings."""

    session: Session
    ended: bool = attrs.field(kw_only=True)


def check_series_start(tx: Tx, session: Session) -> None:
    """Raise ``DuplicateSession`` if another session of ``session``'s series starts when it does.

    A series holds one session per start (whatever the resources), so a move
    there is refused by the store; this names the session in the way
    (``existing``) before the move is asked for.
    """
    if session.series_id is None:
        return
    at = SessionQuery(
        series_id=session.series_id,
        start_from=session.start,
        start_to=session.start + timedelta(microseconds=1),
        limit=2,
    )
    clash = [s for s in tx.sessions.query(session.tenant, at).items if s.id != session.id]
    if clash:
        raise SESSIONS.taken(session, SESSIONS.key("series_start"), clash[0])


def move_session(
    ctx: Context,
    tx: Tx,
    session: Session,
    new_start: datetime,
    actor: str | None,
    *,
    answered_at: datetime | None = None,
    answer: Callable[[], object] | None = None,
) -> Moved:
    """Move ``session`` to start at ``new_start`` (same duration); the bookings follow.

    Returns the moved session and whether the move ended bookings that had run
    out: store the request's answer first, then :func:`release_moved`, so a
    session the move empties is released (``when_emptied``) after its request
    was answered, not while the answer is still to be stored. Its status is
    judged as its timers due by now give it, tick or not, or, for silence's
    answer at ``answered_at`` (a request's deadline), those due before then;
    so is its status at the new time (:func:`moved_lock`: an academy lesson
    is not moved into its own READY window). ``SessionLocked`` names why.
    Its ``SessionUpdated`` is dated when the move took effect (``answered_at``,
    at most now; default now) and published after the expiries of what had run
    out by then, before those of what ran out at the new time since.
    ``answer`` (silence's) stores the request's answer with the move, dated
    with it: called once the ``SessionUpdated`` is collected, before the rest,
    or alone when the session is at ``new_start`` already. A move at
    ``answered_at`` is silence's, whoever's command applies it (a late approve
    agreeing with it): credited to no one (``actor`` is not its actor), as
    the tick's, so the history shows nobody acting before they did.
    """
    if answered_at is not None:  # silence moved it at the deadline, not the late caller
        actor = None
    if new_start == session.start:
        if answer is not None:
            answer()
        return Moved(session, ended=False)
    span = TimeSpan.from_start(new_start, session.span.duration)
    changed = attrs.evolve(session, span=span, detached=True, updated_at=tx.now, updated_by=actor)
    # Both sides agreed, so bookings do not lock it; its status and the host's links do.
    judged = due_status(ctx, tx, session, before=answered_at)
    reason = (
        status_lock(ctx.lifecycle(session.lifecycle), judged)
        or links_lock(ctx, tx, session)
        or moved_lock(ctx, tx, changed, before=answered_at)
    )
    if reason is not None:
        raise SessionLocked(session.id, reason)
    check_free(tx, changed)
    stored = tx.sessions.update(changed, expected_version=session.version)
    # In the order it happened: what ran out at the old time by the move, the move (dated
    # when it took effect: silence's at the deadline), then what the move ended since.
    ran_out = expire_before_move(tx, stored, moved_at=answered_at)
    old = {"start": session.start, "end": session.end}
    tx.collect(
        [SessionUpdated(tenant=session.tenant, actor=actor, at=ran_out.at, session=stored, old=old)]
    )
    if answer is not None:
        answer()
    ended = move_session_bookings(tx, stored, actor=actor, ran_out=ran_out)
    move_session_usage(tx, stored, actor=actor)
    return Moved(stored, ended=bool(ended))


def release_moved(ctx: Context, tx: Tx, moved: Moved, actor: str | None) -> Session:
    """Settle a session :func:`move_session` moved, once its request's answer is stored.

    A hold that had run out, marked at the move: its seats are offered, or its
    session goes (the rules' ``when_emptied``, which expires a pending request:
    the one answered is not pending any more). Returns the session as it is then.
    """
    if not moved.ended:
        return moved.session
    return settle_moved(ctx, tx, moved.session, actor=actor)


def apply_proposed(
    ctx: Context,
    tx: Tx,
    session: Session,
    target: datetime,
    deadline: datetime,
    *,
    answer: Callable[[], object] | None = None,
) -> Moved | str:
    """Move ``session`` to a request's proposed ``target`` as silence does; the move, or why not.

    The new-time rules first (the notice's, the rules' publishing horizon),
    as at the request's ``deadline``, when silence answered, whenever the tick
    runs, but never a time already past when it is answered; then the move: a
    conflict, a status that may not be moved, dependents the host's links name, a taken
    series start or a period without the credits its charged participants need is the reason, and
    nothing was written (every check that can refuse the move runs before its
    first write). Store the answer (or have the move store it: ``answer``, as
    :func:`move_session`), then :func:`release_moved` the move. The move is
    silence's, at ``deadline``, whoever's command applies it: credited to no one.
    """
    refusal = ctx.new_time_refusal(session, target, deadline)
    if refusal is not None:
        return refusal.reason
    if target <= tx.now:  # answered so late that the time has passed: never into the past
        return f"the proposed time {target.isoformat()} had passed when it was answered"
    # Found by the move after its first write, it failed the tick at every run for good.
    no_credit = move_usage_refusal(tx, session, target)
    if no_credit is not None:
        return str(no_credit)
    try:
        return move_session(ctx, tx, session, target, None, answered_at=deadline, answer=answer)
    except (SessionConflict, SessionLocked, DuplicateSession) as error:
        return str(error)
