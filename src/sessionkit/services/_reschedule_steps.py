"""The steps reschedule commands take inside one unit of work, shared by every command.

Private to the services package; :class:`~sessionkit.services.reschedules.RescheduleCommands`
composes them (why a request is refused is in
:mod:`~sessionkit.services._reschedule_refusals`). Here are the argument checks,
locking a request's session, the checks an answer must pass, storing an answer with
its event, moving the session when a request is approved, and answering one
due request by silence. Each step reads the instant from its ``Tx``, so a
command judges everything at one time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from sessionkit.errors import (
    DuplicateSession,
    MissingFact,
    RescheduleRefused,
    SessionConflict,
    SessionLocked,
)
from sessionkit.errors._base import shown
from sessionkit.model.events import SessionUpdated
from sessionkit.model.query import SessionQuery
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.model.session import Session
from sessionkit.model.text import (
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
    check_id,
    check_tenant,
    check_text,
)
from sessionkit.policies import NoticePolicy
from sessionkit.policies.notice import check_case, check_role, fold_index
from sessionkit.ports import RESCHEDULES, SESSIONS, RescheduleRepository
from sessionkit.services._context import Context, Tx, check_free
from sessionkit.services._editing import (
    due_status,
    links_lock,
    lock_session,
    moved_lock,
    status_lock,
)
from sessionkit.services._release import settle_moved
from sessionkit.services._reschedule_answers import status_event, store_answer
from sessionkit.services._seats import move_session_bookings
from sessionkit.services._usage import move_session_usage, move_usage_refusal
from sessionkit.timespan import TimeSpan

__all__ = [
    "answer_due",
    "apply_proposed",
    "approve_late",
    "check_answer",
    "check_args",
    "check_series_start",
    "deadline_for",
    "lock_session",
    "move_session",
    "release_moved",
    "settle_overdue",
    "settle_overdue_kept",
    "status_event",
    "store_answer",
]

_NO_ACTOR = object()


@attrs.frozen
class Moved:
    """A session :func:`move_session` moved, and whether the move ended run-out bookings."""

    session: Session
    ended: bool = attrs.field(kw_only=True)


def check_args(
    tenant: object, record_id: object, name: str, role: object, actor: object = _NO_ACTOR
) -> None:
    """Check the arguments every reschedule command takes (``actor``: when it takes one)."""
    check_tenant(tenant)
    check_id(record_id, name)
    check_text(role, "role", limit=MAX_NAME_LENGTH, empty=False)
    if actor is not _NO_ACTOR:  # required here: a request or an answer is someone's
        check_text(actor, "actor", limit=MAX_REF_LENGTH, empty=False)


def settle_overdue(ctx: Context, tx: Tx, repo: RescheduleRepository, session: Session) -> Session:
    """Answer ``session``'s pending request by silence if due at ``tx.now``; return the session.

    Silence answers a request at its deadline, whether or not the tick has
    run yet: a command that asks about the session's
    requests (``request``, ``can_request``, ``options``) first does in its
    own unit of work exactly what the tick would at ``tx.now``
    (:func:`answer_due`: AUTO_APPROVED and the session moved, or EXPIRED),
    so it never refuses with ``one_pending`` for a request that is no
    longer waiting, nor names an ``allows_at`` in the past. Call it with the
    session locked (:func:`lock_session`); the session it returns is as it
    is after the answer (moved, when approved). A command that then refuses,
    or only reads, rolls the answer back with everything else; the tick
    gives it again.
    """
    return _answer_pending(ctx, tx, repo, session, lock=False)[0]


def _answer_pending(
    ctx: Context, tx: Tx, repo: RescheduleRepository, session: Session, *, lock: bool
) -> tuple[Session, RescheduleRequest | None]:
    """Answer ``session``'s overdue request, if any; the session as it is then, and the answer.

    ``lock``: the session is not locked yet; it is, once a request is due.
    """
    pending = repo.pending_for(session.tenant, session.id)
    if pending is None or pending.deadline > tx.now:
        return session, None
    if lock:
        session = lock_session(tx, session.tenant, session.id)
    answered = answer_due(ctx, tx, pending, tx.now)
    if answered is None or answered.new_start is None:
        return session, answered
    return tx.sessions.get(session.tenant, session.id), answered


def settle_overdue_kept(ctx: Context, tx: Tx, session: Session) -> Session:
    """:func:`settle_overdue` in a store that keeps reschedule requests; else ``session``.

    For the commands outside the reschedules whose answer depends on when the
    session is (a booking's cancel and its refund), so they judge the session
    where ``kit.reschedules.options`` says it is.
    """
    repo = tx.repository_or_none(RESCHEDULES)
    return session if repo is None else settle_overdue(ctx, tx, repo, session)


def answer_overdue(ctx: Context, tx: Tx, session: Session) -> Session:
    """Answer ``session``'s request by silence if its deadline passed by ``tx.now``; return it.

    As :func:`settle_overdue_kept`, for a session not locked yet: locked first,
    and only when an overdue request is there to answer (one read otherwise).
    The status steps call it (:attr:`Context.answer_overdue`), so a session a
    request moved by silence is not marked MISSED at the time it left.
    """
    return answered_overdue(ctx, tx, session)[0]


def answered_overdue(
    ctx: Context, tx: Tx, session: Session
) -> tuple[Session, RescheduleRequest | None]:
    """:func:`answer_overdue`, with the request it answered (``None``: none was due)."""
    repo = tx.repository_or_none(RESCHEDULES)
    if repo is None:
        return session, None
    return _answer_pending(ctx, tx, repo, session, lock=True)


def requests_due(tx: Tx, tenant: str | None) -> bool:
    """Whether ``tenant`` (``None``: any tenant) has a request past its deadline at ``tx.now``.

    One read. The status and expiry passes, and the expiry job, ask once per
    page of sessions, not each session (:func:`answer_overdue` reads once per
    session): none due, none to answer.
    """
    repo = tx.repository_or_none(RESCHEDULES)
    return repo is not None and bool(repo.due(tenant, before=tx.now, limit=1))


def check_answer(
    policy: NoticePolicy,
    request: RescheduleRequest,
    role: str,
    actor: str,
    action: str,
    now: datetime,
) -> None:
    """Raise ``RescheduleRefused`` unless ``actor`` in ``role`` may ``action`` the request now.

    ``role`` is matched exactly against the policy's ``bypass`` and the
    request's role, so one with whitespace at either end, or differing only in
    case from a role the policy or the request names, is an ``InvalidValue``:
    ``"Student"`` would answer a student's request as the other side.
    """
    check_role(role)
    check_case(role, fold_index(policy.roles), "NoticePolicy")
    check_case(role, fold_index([request.role]), f"request {shown(request.id)}")
    if not request.pending:
        raise RescheduleRefused(
            "not_pending",
            f"request {shown(request.id)} is already {request.status}",
            request_id=request.id,
        )
    host = role in policy.bypass
    if action == "withdraw":
        if actor != request.requested_by and not host:
            raise RescheduleRefused(
                "not_requester",
                f"only {request.requested_by} (who asked) may withdraw request {shown(request.id)}",
                request_id=request.id,
            )
    elif role == request.role and not host:
        raise RescheduleRefused(
            "own_request",
            f"a {role}'s request is answered by the other side, not another {role}",
            request_id=request.id,
        )
    elif actor == request.requested_by and not host:
        raise RescheduleRefused(
            "own_request",
            f"{actor} asked request {shown(request.id)} as {request.role}: the other side "
            f"answers it, not its requester as {role}",
            request_id=request.id,
        )
    if action != "approve" and now >= request.deadline:
        raise RescheduleRefused(
            "deadline_passed",
            f"request {shown(request.id)} was answered by silence at "
            f"{request.deadline.isoformat()}",
            request_id=request.id,
        )


def deadline_for(ctx: Context, tx: Tx, session: Session, proposed: datetime | None) -> datetime:
    """Return when silence answers a request for ``session`` made at ``tx.now``.

    The notice policy's :meth:`~sessionkit.policies.NoticePolicy.deadline`, or
    when the session's own timers take it into a status that may not be moved
    (the academy's READY, 15 minutes before the start), at its time or at the
    ``proposed`` one, if sooner: silence moves only a session that may still
    be moved, and not into its own locked window (:func:`moved_lock`). A
    session locked already (its status, or such a timer due by ``tx.now``,
    tick or not) keeps the policy's deadline, and so does one whose timer has
    a condition needing a fact the kit cannot give (the tick could not run it
    either).
    """
    deadline = ctx.notice.deadline(session, tx.now, proposed)
    if proposed is not None:
        span = TimeSpan.from_start(proposed, session.span.duration)
        deadline = _locked_at(ctx, tx, attrs.evolve(session, span=span), deadline)
    return _locked_at(ctx, tx, session, deadline)


def _locked_at(ctx: Context, tx: Tx, session: Session, deadline: datetime) -> datetime:
    """Return ``deadline``, or when ``session``'s timers lock it if that is sooner and to come.

    See :func:`deadline_for`.
    """
    machine = ctx.lifecycle(session.lifecycle)
    if not machine.status(session.status).editable:
        return deadline
    facts = ctx.facts_for(tx, [session]).get(session.id) if ctx.facts is not None else None
    try:
        _, changes = machine.advance(session, deadline, facts=facts)
    except MissingFact:
        return deadline
    locked = next((c.at for c in changes if not machine.status(c.to_status).editable), None)
    if locked is None or locked <= tx.now:  # a timer due already: locked, tick or not
        return deadline
    return min(locked, deadline)


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
    """
    if new_start == session.start:
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
    ended = move_session_bookings(tx, stored, actor=actor, moved_at=answered_at)
    move_session_usage(tx, stored, actor=actor)
    old = {"start": session.start, "end": session.end}
    tx.collect(
        [SessionUpdated(tenant=session.tenant, actor=actor, at=tx.now, session=stored, old=old)]
    )
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
    actor: str | None,
    deadline: datetime,
) -> Moved | str:
    """Move ``session`` to a request's proposed ``target`` as silence does; the move, or why not.

    The new-time rules first (the notice's, the rules' publishing horizon),
    as at the request's ``deadline``, when silence answered, whenever the tick
    runs, but never a time already past when it is answered; then the move: a
    conflict, a status that may not be moved, dependents the host's links name, a taken
    series start or a period without the credits its charged participants need is the reason, and
    nothing was written (every check that can refuse the move runs before its
    first write). Store the answer, then :func:`release_moved` the move.
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
        return move_session(ctx, tx, session, target, actor, answered_at=deadline)
    except (SessionConflict, SessionLocked, DuplicateSession) as error:
        return str(error)


def answer_due(
    ctx: Context, tx: Tx, candidate: RescheduleRequest, at: datetime
) -> RescheduleRequest | None:
    """Answer ``candidate`` by silence inside ``tx`` if it is still pending past its deadline.

    Locks its session first; returns the answered request (AUTO_APPROVED and
    the session moved, or EXPIRED with the reason), or ``None`` when another
    answer (a person, another tick) came first. Silence approves only what
    was asked: a request made against another start than the session's now
    (the host moved it since, perhaps to before the deadline, so that it has
    taken place) expires, saying so.
    """
    tenant = candidate.tenant
    repo = tx.repository(RESCHEDULES)
    session = lock_session(tx, tenant, candidate.session_id)
    request = repo.get(tenant, candidate.id)
    if not request.pending or request.deadline > at:
        return None
    target = request.proposed_start
    if target is None:
        return store_answer(tx, repo, request, "expire", None, None, timed=True)
    if session.start != request.session_start:
        why = (
            f"the session was moved since the request, from "
            f"{request.session_start.isoformat()} to {session.start.isoformat()}"
        )
    else:
        applied = apply_proposed(ctx, tx, session, target, None, request.deadline)
        if not isinstance(applied, str):
            answered = store_answer(tx, repo, request, "auto_approve", None, None, new_start=target)
            release_moved(ctx, tx, applied, None)
            return answered
        why = f"the proposed time could not be applied: {applied}"
    return store_answer(tx, repo, request, "expire", None, None, reason=why)


def approve_late(
    ctx: Context,
    tx: Tx,
    repo: RescheduleRepository,
    request: RescheduleRequest,
    session: Session,
    moving: datetime | None,
    actor: str,
    role: str,
) -> RescheduleRequest:
    """Approve ``request`` at or after its deadline, as silence did, or refuse.

    Silence answered at the deadline: it let a request without a time
    expire, and approved the proposed time, which a late approve may only
    agree with (``moving`` is ``None`` or that time). A proposed time that
    cannot be applied (too soon now, taken, a status that may not be moved) expired, so a
    late approve of it is refused too, with rule ``"deadline_passed"``, and
    so is one of a request whose session was moved since it was made.
    """
    target = request.proposed_start
    if target is None or moving not in (None, target):
        raise _answered(
            request,
            "it expired" if target is None else "only the proposed time may be approved now",
        )
    if session.start != request.session_start:
        raise _answered(request, "it expired (the session was moved since the request)")
    applied = apply_proposed(ctx, tx, session, target, actor, request.deadline)
    if isinstance(applied, str):
        raise _answered(request, f"it expired ({applied})")
    answered = store_answer(tx, repo, request, "approve", actor, role, new_start=target)
    release_moved(ctx, tx, applied, actor)
    return answered


def _answered(request: RescheduleRequest, outcome: str) -> RescheduleRefused:
    return RescheduleRefused(
        "deadline_passed",
        f"request {request.id!r} was answered by silence at "
        f"{request.deadline.isoformat()}: {outcome}",
        request_id=request.id,
    )
