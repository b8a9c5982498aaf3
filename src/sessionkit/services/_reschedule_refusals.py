"""Why a reschedule request is refused: the errors, the one-pending rule, the count of moves.

Private to the services package, beside :mod:`~sessionkit.services._reschedule_steps`:
``RescheduleRefused`` built from a :class:`~sessionkit.policies.Refusal`, the
refusal of a request at ``tx.now`` (inputs aside), and the ``one_pending``
error, whose ``allows_at`` is when the asker may really ask again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from sessionkit.errors import DuplicateSession, RescheduleRefused, SessionConflict
from sessionkit.model.reschedule import MOVED_STATUSES, RescheduleRequest
from sessionkit.model.session import Session
from sessionkit.policies import Refusal
from sessionkit.ports import RescheduleRepository
from sessionkit.services._context import Context, Tx, check_free
from sessionkit.services._editing import due_status, in_play, links_lock, status_at, status_lock
from sessionkit.services._reschedule_steps import check_series_start
from sessionkit.services._usage import move_usage_refusal
from sessionkit.timespan import TimeSpan

__all__ = [
    "booked_refusal",
    "moves",
    "one_pending",
    "refused",
    "request_refusal",
    "shut_after",
    "waiting_on",
]


def refused(refusal: Refusal, *, request_id: str | None = None) -> RescheduleRefused:
    """Return the ``RescheduleRefused`` error that raises ``refusal`` (about ``request_id``)."""
    return RescheduleRefused(
        refusal.rule,
        refusal.reason,
        allows_at=refusal.allows_at,
        request_id=request_id,
    )


def one_pending(pending: RescheduleRequest, *, shut: Refusal | None = None) -> RescheduleRefused:
    """Return the error refusing a second request while ``pending`` awaits its answer.

    ``allows_at`` is ``pending``'s deadline, when silence answers it at the
    latest; ``None`` when ``shut`` says the asker is refused by then anyway
    (see :func:`shut_after`): waiting never helps.
    """
    reason = (
        f"session {pending.session_id!r} already has pending reschedule request "
        f"{pending.id!r}, answered by {pending.deadline.isoformat()} at the latest"
    )
    refusal = Refusal(rule="one_pending", reason=reason, allows_at=pending.deadline).by_then(shut)
    return RescheduleRefused(
        refusal.rule, refusal.reason, allows_at=refusal.allows_at, request_id=pending.id
    )


def shut_after(
    ctx: Context, tx: Tx, session: Session, pending: RescheduleRequest, role: str, moved: int
) -> Refusal | None:
    """Return why ``role`` may still not ask once silence answered ``pending``, or ``None``.

    Judged at ``pending``'s deadline with the session where silence leaves it:
    at the proposed time (one more reschedule of the ``moved`` so far) when
    that time can still be applied then, else where it is. Silence applies
    it only to the start the request was made against: a session the host
    moved since stays where it is, and the request expires. It expires too
    when the move is refused at the deadline (the new-time rules, a status
    that locks the session, dependents the host's links name, its resources
    busy then or another session of its series starting then, no credit left
    in the new period for its charged participants): judged as things stand
    now, as silence would judge them, its status as its timers due before the
    deadline give it (as silence judges it, tick or not).
    """
    at, target = pending.deadline, pending.proposed_start
    if (
        target is not None
        and session.start == pending.session_start
        and ctx.new_time_refusal(session, target, at) is None
    ):
        there = attrs.evolve(session, span=TimeSpan.from_start(target, session.span.duration))
        if _movable(ctx, tx, session, there, at):
            session, moved = there, moved + 1
    return ctx.notice.may("request_reschedule", role, session, at, reschedules=moved)


def _movable(ctx: Context, tx: Tx, session: Session, there: Session, deadline: datetime) -> bool:
    """Whether silence's move of ``session`` to ``there`` (at its new time) would be made.

    The checks :func:`~sessionkit.services._reschedule_steps.apply_proposed`
    makes at ``deadline``, as things stand now; the status is the one the
    session's timers due before ``deadline`` give it, which the tick will
    have given it by then (:func:`due_status`), at its old time and at its
    new one (:func:`~sessionkit.services._editing.moved_lock`).
    """
    lifecycle = ctx.lifecycle(there.lifecycle)
    last = deadline - timedelta(microseconds=1)
    if (
        status_lock(lifecycle, status_at(ctx, tx, session, last))
        or status_lock(lifecycle, status_at(ctx, tx, there, last))
        or links_lock(ctx, tx, there)
    ):
        return False
    if move_usage_refusal(tx, there, there.start) is not None:
        return False  # its charged participants have no credit there: silence lets it expire
    try:
        check_free(tx, there)
        check_series_start(tx, there)
    except (SessionConflict, DuplicateSession):
        return False
    return True


def waiting_on(
    ctx: Context,
    tx: Tx,
    repo: RescheduleRepository,
    session: Session,
    pending: RescheduleRequest,
    role: str,
) -> RescheduleRefused:
    """Return the ``one_pending`` error for ``role`` asking while ``pending`` waits.

    For a request that lost the insert to ``pending`` (a race): it reads the
    session's history again, for the reschedules ``shut_after`` counts.
    """
    moved = moves(repo.for_session(session.tenant, session.id))
    return one_pending(pending, shut=shut_after(ctx, tx, session, pending, role, moved))


def request_refusal(
    ctx: Context, tx: Tx, repo: RescheduleRepository, session: Session, role: str
) -> Refusal | None:
    """Return why ``role`` may not ask to move ``session`` at ``tx.now`` (inputs aside).

    First its status (:func:`status_refusal`, as its timers due by now give
    it, tick or not) and the host's links
    (:func:`links_refusal`), then the notice policy, then
    the pending request. A pending request past its deadline is expected answered already
    (:func:`settle_overdue`); one that is not still refuses (``one_pending``,
    whose ``allows_at`` is ``None`` when ``role`` is refused by then anyway).
    """
    locked = status_refusal(ctx, due_status(ctx, tx, session)) or links_refusal(ctx, tx, session)
    if locked is not None:
        return locked
    booked = booked_refusal(ctx, tx, session)
    if booked is not None:
        return booked
    history = repo.for_session(session.tenant, session.id)
    moved = moves(history)
    refusal = ctx.notice.may("request_reschedule", role, session, tx.now, reschedules=moved)
    if refusal is not None:
        return refusal
    pending = next((r for r in history if r.pending), None)
    if pending is not None:
        error = one_pending(pending, shut=shut_after(ctx, tx, session, pending, role, moved))
        return Refusal(rule=error.rule, reason=error.reason, allows_at=error.allows_at)
    return None


def booked_refusal(ctx: Context, tx: Tx, session: Session) -> Refusal | None:
    """Return why the booking rules keep ``session`` where it is (rule ``booked``), or ``None``.

    Under ``lock_booked`` without ``reschedule_booked`` ("a session with
    bookings cannot be moved"), a request is an agreement between its two
    sides: it may move a session whose one booking in play is a side of it (a
    1-to-1 lesson), never a group whose other participants agreed to nothing.
    A request on a session with more than one booking in play is refused.
    Silence is no agreement either: under those rules it expires, rather than
    approves, a request on a session with a booking in play (``answer_due``).
    """
    rules = ctx.rules_for(session)
    if not rules.lock_booked or rules.reschedule_booked:
        return None
    active = in_play(tx, session)
    if len(active) <= 1:
        return None
    return Refusal(
        rule="booked",
        reason=f"session {session.id!r} has {len(active)} bookings in play and the booking"
        " rules lock booked sessions: one side's agreement cannot move the others' seats",
    )


def status_refusal(ctx: Context, session: Session) -> Refusal | None:
    """Return why ``session``'s status refuses every request (``not_reschedulable``), or ``None``.

    A final status, or one its lifecycle does not let move (:func:`status_lock`,
    what ``approve`` and ``kit.sessions.update`` raise ``SessionLocked`` for:
    the academy's READY, the LMS preset's CONDUCTING): such a request could
    never be applied. ``allows_at`` is ``None``: waiting never moves it.
    """
    lifecycle = ctx.lifecycle(session.lifecycle)
    if lifecycle.status(session.status).terminal:
        why = f"is {session.status}, which is final"
    else:
        lock = status_lock(lifecycle, session)
        if lock is None:
            return None
        why = f"cannot be moved: its {lock}"
    return Refusal(rule="not_reschedulable", reason=f"session {session.id!r} {why}")


def links_refusal(ctx: Context, tx: Tx, session: Session) -> Refusal | None:
    """Return why the host's links refuse every request (``not_reschedulable``), or ``None``.

    A session the kit's :class:`~sessionkit.ports.LinkChecker` names has
    dependents and is never moved (``approve`` raises ``SessionLocked``, silence
    lets the request expire): asked now, the request could not be applied
    while they stay. ``allows_at`` is ``None``: the host, not time, removes them.
    """
    lock = links_lock(ctx, tx, session)
    if lock is None:
        return None
    return Refusal(
        rule="not_reschedulable", reason=f"session {session.id!r} cannot be moved: {lock}"
    )


def moves(history: list[RescheduleRequest]) -> int:
    """Return how many of a session's requests moved it (what ``max_reschedules`` counts).

    Approved or auto-approved to another start than the one asked about: one
    approved at the start the session already had moved nothing.
    """
    return sum(1 for r in history if r.status in MOVED_STATUSES and r.new_start != r.session_start)
