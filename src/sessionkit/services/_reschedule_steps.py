"""The steps reschedule commands take inside one unit of work, shared by every command.

Private to the services package; :class:`~sessionkit.services.reschedules.RescheduleCommands`
composes them (why a request is refused is in
:mod:`~sessionkit.services._reschedule_refusals`). Here are the argument checks,
locking a request's session, the checks an answer must pass, storing an answer with
its event, moving the session when a request is approved, and answering a
session's overdue request by silence for a command (:func:`settle_overdue`).
:func:`answer_due`, which answers one due request, lives in
:mod:`~sessionkit.services._reschedule_due`, exported here as before. Each
step reads the instant from its ``Tx``, so a command judges everything at one
time.

Moving the session (:func:`move_session`, :func:`release_moved`,
:func:`apply_proposed`, :func:`check_series_start`) lives in
:mod:`~sessionkit.services._reschedule_moves`, exported here as before.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from sessionkit.errors import (
    MissingFact,
    RescheduleRefused,
)
from sessionkit.errors._base import shown
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
from sessionkit.ports import RESCHEDULES, RescheduleRepository
from sessionkit.services._context import Context, Tx
from sessionkit.services._editing import (
    lock_session,
)
from sessionkit.services._reschedule_answers import status_event, store_answer
from sessionkit.services._reschedule_due import answer_due as answer_due  # importable here
from sessionkit.services._reschedule_due import answer_request_counted, silence_keeps
from sessionkit.services._reschedule_moves import Moved as Moved  # importable here, as before
from sessionkit.services._reschedule_moves import (
    apply_proposed,
    check_series_start,
    move_session,
    release_moved,
)
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
    (:func:`answer_due`: AUTO_APPROVED and the session moved, or EXPIRED;
    what ran out by the deadline expired before the answer and the session
    settled after it, :func:`answer_request_counted`), so it never refuses
    with ``one_pending`` for a request that is no longer waiting, nor names
    an ``allows_at`` in the past. Call it with the
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
    # As the expiry job and the tick answer it: what ran out by the deadline is expired
    # first, then the answer, then the session is settled (the freed seats offered).
    answered = answer_request_counted(ctx, tx, pending, tx.now)
    request = answered.request
    if request is None or (request.new_start is None and not answered.expired):
        return session, request
    return tx.sessions.get(session.tenant, session.id), request


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
    kept = silence_keeps(ctx, tx, session)
    if kept is not None:
        raise _answered(request, f"it expired ({kept})")
    applied = apply_proposed(ctx, tx, session, target, request.deadline)
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
