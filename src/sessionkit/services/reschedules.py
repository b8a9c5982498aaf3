"""Reschedule commands: request, approve, decline, withdraw, the due-work tick, and "may I?".

Every command runs in one unit of work at one instant and judges the kit's
:class:`~sessionkit.policies.NoticePolicy` at that instant; :meth:`RescheduleCommands.can_request`
runs the very same checks read-only, so a button never disagrees with the
command. The storage keeps one pending request per session (a unique key
only pending requests hold), so racing requests leave one pending and the
rest get ``RescheduleRefused`` with rule ``"one_pending"``. Approving moves
the session like :meth:`~sessionkit.services.commands.SessionCommands.update`
(status, the host's links, conflicts; the bookings follow and the store
re-checks their seats), but a session's bookings do not lock it: both sides agreed.

The class composes the steps in :mod:`sessionkit.services._reschedule_steps`;
what :meth:`RescheduleCommands.options` returns (:class:`SessionOptions`,
:class:`CancelTier`) is computed in :mod:`sessionkit.services._reschedule_options`
and re-exported here. The tick (:meth:`RescheduleCommands.approve_due`,
:class:`RescheduleReport`) lives in :mod:`sessionkit.services._reschedule_due`,
the read-only :meth:`RescheduleCommands.can_request` and
:meth:`RescheduleCommands.options` in :mod:`sessionkit.services._reschedule_asks`;
the class body takes them as its methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import attrs

from sessionkit.errors import (
    DuplicateReschedule,
    RescheduleRefused,
    SessionLocked,
    WrongType,
)
from sessionkit.errors._base import shown
from sessionkit.model.reschedule import RESCHEDULE_LIFECYCLE, RescheduleRequest
from sessionkit.model.text import check_id, check_tenant, storable
from sessionkit.policies import NoticePolicy, Refusal
from sessionkit.ports import RESCHEDULES, RescheduleRepository
from sessionkit.services import _reschedule_asks, _reschedule_due
from sessionkit.services._context import Context, Tx, check_free, retried
from sessionkit.services._editing import moved_lock
from sessionkit.services._reschedule_due import RescheduleReport
from sessionkit.services._reschedule_options import CancelTier, SessionOptions
from sessionkit.services._reschedule_refusals import (
    booked_refusal,
    moves,
    refused,
    request_refusal,
    waiting_on,
)
from sessionkit.services._reschedule_steps import (
    approve_late,
    check_answer,
    check_args,
    check_series_start,
    deadline_for,
    lock_session,
    move_session,
    release_moved,
    settle_overdue,
    status_event,
    store_answer,
)
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_instant

__all__ = ["CancelTier", "RescheduleCommands", "RescheduleReport", "SessionOptions"]


class RescheduleCommands:
    """Reschedule requests on sessions. Every command takes the tenant, the role and the actor."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @property
    def policy(self) -> NoticePolicy:
        """The kit's notice policy."""
        return self._ctx.notice

    @contextmanager
    def _tx(self, now: datetime | None) -> Iterator[tuple[Tx, RescheduleRepository]]:
        with self._ctx.transaction(now) as tx:
            yield tx, tx.repository(RESCHEDULES)

    # -- reads ---------------------------------------------------------------------

    def get(self, tenant: str, request_id: str) -> RescheduleRequest:
        """Return the tenant's request ``request_id``; raises ``RescheduleNotFound``."""
        check_tenant(tenant)
        check_id(request_id, "request_id")
        with self._tx(None) as (tx, repo):
            found = repo.get(tenant, request_id)
            tx.rollback()
        return found

    def for_session(self, tenant: str, session_id: str) -> list[RescheduleRequest]:
        """Return the session's requests in every status, oldest first (its reschedule history).

        Raises ``SessionNotFound`` for a session the tenant does not have, as
        ``kit.bookings.for_session`` does.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        with self._tx(None) as (tx, repo):
            tx.sessions.get(tenant, session_id)  # SessionNotFound for an unknown session
            found = repo.for_session(tenant, session_id)
            tx.rollback()
        return found

    # -- commands ------------------------------------------------------------------

    @retried
    def request(
        self,
        tenant: str,
        session_id: str,
        *,
        role: str,
        actor: str,
        reason: str,
        proposed_start: datetime | None = None,
        now: datetime | None = None,
    ) -> RescheduleRequest:
        """Ask to move a session; return the stored PENDING request.

        Checks, at ``now``: the session's status lets it move (not final, and
        editable in its lifecycle, as ``approve`` requires: rule
        ``"not_reschedulable"`` for the academy's READY too, fired or only due
        by ``now``, and for a session
        the host's ``LinkChecker`` names), the notice
        policy lets ``role`` ask (notice, windows, ``max_reschedules``), the
        reason's length, a ``proposed_start`` at least ``min_lead`` ahead
        (and, with the session's booking rules' ``publish_in_horizon``, within
        ``max_horizon``: rules ``"max_horizon"``, ``"in_the_past"``), and no
        other pending request for the session. The deadline is
        ``answer_within`` from now, or the start if sooner, or ``min_lead``
        before the proposed time if sooner still (silence applies it), or
        when the session's timers make it a status that may not be moved (the
        academy's READY), at its time or at the proposed one, if that is
        sooner than all; with
        ``min_lead`` 0 a time that would be its own deadline (no later than
        the answer time or the start) is refused with rule ``"min_lead"``, as
        silence could not approve it before it starts. Raises
        ``RescheduleRefused`` (``rule``, ``allows_at``), ``SessionConflict``
        (a resource of the session, the coach say, is busy at the proposed
        time: ``conflicts`` names the sessions in the way; the approval checks
        again, as the resources may be taken meanwhile), ``DuplicateSession``
        (another session of the session's series starts at the proposed time:
        ``existing`` is that session), ``SessionLocked`` (the proposed time
        is in the session's own locked window: its timers due by now would
        make it a status that may not be moved there, the academy's READY, as
        the approval's move would find), ``SessionNotFound`` and
        ``NaiveDatetime``; nothing is written then.
        """
        check_args(tenant, session_id, "session_id", role, actor)
        if not isinstance(reason, str):
            raise WrongType(reason, name="reason", expected="the reason, as text")
        storable(reason, "reason")
        policy = self.policy
        proposed = (
            None if proposed_start is None else check_instant(proposed_start, "proposed_start")
        )
        with self._tx(now) as (tx, repo):
            session = settle_overdue(self._ctx, tx, repo, lock_session(tx, tenant, session_id))
            refusal = request_refusal(self._ctx, tx, repo, session, role)
            refusal = refusal or policy.reason_refusal(reason)
            if refusal is None and proposed is not None:
                refusal = self._ctx.new_time_refusal(session, proposed, tx.now)
                if refusal is not None and refusal.allows_at is not None:
                    moved = moves(repo.for_session(tenant, session.id))
                    notice = self._ctx.notice
                    then = refusal.allows_at
                    shut = (
                        notice.may("request_reschedule", role, session, then, reschedules=moved)
                        or notice.new_time_refusal(proposed, then)
                        or notice.silence_refusal(session, then, proposed)
                    )
                    refusal = refusal.by_then(shut)
                refusal = refusal or policy.silence_refusal(session, tx.now, proposed)
            if refusal is not None:
                pending = repo.pending_for(tenant, session.id)
                if refusal.rule == "one_pending" and pending is not None:
                    raise refused(refusal, request_id=pending.id)
                raise refused(refusal)
            if proposed is not None:  # a time its resources or its series have taken could
                # not be approved
                span = TimeSpan.from_start(proposed, session.span.duration)
                there = attrs.evolve(session, span=span)
                locked = moved_lock(self._ctx, tx, there)  # as an approve now would find it
                if locked is not None:
                    raise SessionLocked(session.id, locked)
                check_free(tx, there)
                check_series_start(tx, there)
            new = RescheduleRequest.new(
                id=self._ctx.ids(),
                tenant=tenant,
                session_id=session.id,
                role=role,
                requested_by=actor,
                reason=reason.strip(),
                session_start=session.start,
                proposed_start=proposed,
                deadline=deadline_for(self._ctx, tx, session, proposed),
                created_at=tx.now,
            )
            pending, change = RESCHEDULE_LIFECYCLE.fire(
                new, "request", now=tx.now, actor=actor, role=role
            )
            try:
                repo.add(pending)
            except DuplicateReschedule as taken:
                if taken.key != "pending" or not isinstance(taken.existing, RescheduleRequest):
                    raise
                raise waiting_on(self._ctx, tx, repo, session, taken.existing, role) from taken
            tx.collect([status_event(pending, change, actor)])
        return pending

    can_request = _reschedule_asks.can_request

    @retried
    def approve(
        self,
        tenant: str,
        request_id: str,
        *,
        role: str,
        actor: str,
        start: datetime | None = None,
        now: datetime | None = None,
    ) -> RescheduleRequest:
        """Approve a pending request and move its session; return the APPROVED request.

        ``start`` (default: the proposed one) is the session's new start; the
        duration is kept. Only the other side (another role and another actor
        than the requester's) or a role that bypasses notice answers (rule
        ``"own_request"``). A request whose session was moved since it was made
        (its ``session_start`` is no longer the session's) is refused with rule
        ``"session_moved"``: it asked to move the session from where it no
        longer is (silence lets it expire, see :meth:`approve_due`). At or after the
        request's deadline silence has answered it: only an approve of the
        proposed time is taken (before a tick applies silence's answer); one
        of another time, or of a request without a time (it expired), is
        refused with rule ``"deadline_passed"``.
        Refused with rule ``"not_pending"``, ``"no_time"`` (neither given nor
        proposed), ``"min_lead"`` and, with the booking rules'
        ``publish_in_horizon``, ``"max_horizon"`` or ``"in_the_past"``; the
        move raises ``SessionConflict`` or ``SessionLocked`` (a status that may
        not be moved, final or not, at its time or, by the timers due by now,
        at the new one, or dependents the host's links name),
        ``DuplicateSession`` (another session
        of the series came to start at the new time since the request: ``existing``
        names it) and ``CapacityExceeded`` from the store. ``RescheduleNotFound``
        for an unknown id.
        """
        check_args(tenant, request_id, "request_id", role, actor)
        moving = None if start is None else check_instant(start, "start")
        with self._tx(now) as (tx, repo):
            request = repo.get(tenant, request_id)
            session = lock_session(tx, tenant, request.session_id)
            request = repo.get(tenant, request_id)  # again, under the session's lock
            check_answer(self.policy, request, role, actor, "approve", tx.now)
            if tx.now >= request.deadline:
                return approve_late(self._ctx, tx, repo, request, session, moving, actor, role)
            if session.start != request.session_start:
                raise RescheduleRefused(
                    "session_moved",
                    f"session {shown(session.id)} was moved since request {shown(request.id)} "
                    f"was made, from {request.session_start.isoformat()} to "
                    f"{session.start.isoformat()}: decline it and ask again",
                    request_id=request.id,
                )
            booked = booked_refusal(self._ctx, tx, session)
            if booked is not None:  # a second booking came since the request: not its to move
                raise refused(booked, request_id=request.id)
            new_start = moving or request.proposed_start
            if new_start is None:
                raise RescheduleRefused(
                    "no_time",
                    f"request {shown(request.id)} proposes no time; approve it with start=...",
                    request_id=request.id,
                )
            refusal = self._ctx.new_time_refusal(session, new_start, tx.now)
            if refusal is not None:
                if refusal.allows_at is not None and refusal.allows_at >= request.deadline:
                    silence = Refusal(
                        rule="deadline_passed",
                        reason=f"request {request.id!r} is answered by silence at "
                        f"{request.deadline.isoformat()}",
                    )
                    refusal = refusal.by_then(silence)
                raise refused(refusal, request_id=request.id)
            moved = move_session(self._ctx, tx, session, new_start, actor)
            answered = store_answer(tx, repo, request, "approve", actor, role, new_start=new_start)
            release_moved(self._ctx, tx, moved, actor)  # a session the move emptied goes now
            return answered

    @retried
    def decline(
        self,
        tenant: str,
        request_id: str,
        *,
        role: str,
        actor: str,
        now: datetime | None = None,
    ) -> RescheduleRequest:
        """Decline a pending request before its deadline; return it DECLINED.

        Refused with rule ``"own_request"`` (the requester's own, in another
        role too, unless ``role`` bypasses notice), ``"not_pending"`` and
        ``"deadline_passed"`` (silence already approved it).
        """
        check_args(tenant, request_id, "request_id", role, actor)
        with self._tx(now) as (tx, repo):
            request = repo.get(tenant, request_id)
            lock_session(tx, tenant, request.session_id)
            request = repo.get(tenant, request_id)
            check_answer(self.policy, request, role, actor, "decline", tx.now)
            return store_answer(tx, repo, request, "decline", actor, role)

    @retried
    def withdraw(
        self,
        tenant: str,
        request_id: str,
        *,
        role: str,
        actor: str,
        now: datetime | None = None,
    ) -> RescheduleRequest:
        """Withdraw one's own pending request before its deadline; return it WITHDRAWN.

        Refused with rule ``"not_requester"`` (someone else's, unless ``role``
        bypasses notice), ``"not_pending"`` and ``"deadline_passed"``.
        """
        check_args(tenant, request_id, "request_id", role, actor)
        with self._tx(now) as (tx, repo):
            request = repo.get(tenant, request_id)
            lock_session(tx, tenant, request.session_id)
            request = repo.get(tenant, request_id)
            check_answer(self.policy, request, role, actor, "withdraw", tx.now)
            return store_answer(tx, repo, request, "withdraw", actor, role)

    # -- the tick ------------------------------------------------------------------

    approve_due = _reschedule_due.approve_due
    _answer_due = _reschedule_due._answer_due
    answer_due_in = _reschedule_due.answer_due_in

    # -- "what may I do" -----------------------------------------------------------

    options = _reschedule_asks.options


# Show (and pickle) what moved to a private module under this public path, as before.
RescheduleReport.__module__ = __name__
# The methods the class body took from _reschedule_due and _reschedule_asks show as its own,
# and their type hints (``self: RescheduleCommands``) resolve there: FastAPI and
# get_type_hints read them.
for _name in ("approve_due", "_answer_due", "answer_due_in", "can_request", "options"):
    _method = vars(RescheduleCommands)[_name]
    while _method is not None:  # a decorator's wrapper and the function it wraps
        _method.__module__, _method.__qualname__ = __name__, f"RescheduleCommands.{_name}"
        _method = getattr(_method, "__wrapped__", None)
vars(_reschedule_due)["RescheduleCommands"] = RescheduleCommands
vars(_reschedule_asks)["RescheduleCommands"] = RescheduleCommands
