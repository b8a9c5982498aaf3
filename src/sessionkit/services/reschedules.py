"""Reschedule commands: request, approve, decline, withdraw, the due-work tick, and "may I?".

Every command runs in one unit of work at one instant and judges the kit's
:class:`~sessionkit.policies.NoticePolicy` at that instant; :meth:`RescheduleCommands.can_request`
runs the very same checks read-only, so a button never disagrees with the
command. The storage keeps one pending request per session (a unique key
only pending requests hold), so racing requests leave one pending and the
rest get ``RescheduleRefused`` with rule ``"one_pending"``. Approving moves
the session like :meth:`~sessionkit.services.commands.SessionCommands.update`
(status, conflicts; the bookings follow and the store re-checks their
seats), but a session's bookings do not lock it: both sides agreed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

import attrs

from sessionkit.errors import (
    ConcurrentModification,
    DuplicateReschedule,
    DuplicateSession,
    RescheduleRefused,
    SessionConflict,
    SessionLocked,
    WrongType,
)
from sessionkit.lifecycle import StatusChanged
from sessionkit.model.events import SessionUpdated
from sessionkit.model.money import Money
from sessionkit.model.reschedule import (
    AUTO_APPROVED,
    MOVED_STATUSES,
    RESCHEDULE_LIFECYCLE,
    RescheduleRequest,
    RescheduleStatusChanged,
)
from sessionkit.model.session import Session
from sessionkit.model.text import (
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
    check_id,
    check_tenant,
    check_text,
    storable,
)
from sessionkit.policies import NoticePolicy, Refusal
from sessionkit.ports import RESCHEDULES, RescheduleRepository
from sessionkit.services._context import Context, Tx, check_free, retried, status_lock
from sessionkit.services._seats import move_session_bookings
from sessionkit.services.bookings import check_batch
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_instant

__all__ = ["CancelTier", "RescheduleCommands", "RescheduleReport", "SessionOptions"]

_MAX_DUE_BATCH = 100_000
"""The most due requests one ``approve_due`` call reads."""


_NO_ACTOR = object()


def _args(
    tenant: object, record_id: object, name: str, role: object, actor: object = _NO_ACTOR
) -> None:
    """Check the arguments every reschedule command takes (``actor``: when it takes one)."""
    check_tenant(tenant)
    check_id(record_id, name)
    check_text(role, "role", limit=MAX_NAME_LENGTH, empty=False)
    if actor is not _NO_ACTOR:  # required here: a request or an answer is someone's
        check_text(actor, "actor", limit=MAX_REF_LENGTH, empty=False)


@attrs.frozen(slots=True, kw_only=True)
class RescheduleReport:
    """What one run of :meth:`RescheduleCommands.approve_due` did.

    ``approved``: requests auto-approved (their sessions moved); ``expired``:
    requests without a usable time; ``failed``: ``(request id, error)`` of
    requests left pending by an unexpected error (the next run retries
    them); ``more``: the batch limit was reached.
    """

    approved: tuple[RescheduleRequest, ...] = ()
    expired: tuple[RescheduleRequest, ...] = ()
    failed: tuple[tuple[str, Exception], ...] = ()
    more: bool = False


@attrs.frozen(slots=True, kw_only=True)
class CancelTier:
    """Cancelling until ``until`` refunds ``percent`` (of what was paid), less ``fee``."""

    percent: Decimal
    until: datetime
    fee: Money | None = None


@attrs.frozen(slots=True, kw_only=True)
class SessionOptions:
    """What an actor in ``role`` may do with a session at ``at``.

    ``reschedule`` is ``None`` when a reschedule request would be accepted
    (``reschedule_until``: the last instant it would, ``None`` for no limit
    but the start), else the :class:`~sessionkit.policies.Refusal`.
    ``pending`` is the session's pending request, if any. ``cancel`` is
    ``None`` when the notice policy lets ``role`` cancel, ``refund_percent``
    what cancelling now refunds by the kit's
    :class:`~sessionkit.policies.RefundPolicy`, and ``cancel_tiers`` the
    refunds still to come, most first, each with its last instant.
    """

    at: datetime
    reschedule: Refusal | None
    reschedule_until: datetime | None
    pending: RescheduleRequest | None
    cancel: Refusal | None
    refund_percent: Decimal
    cancel_tiers: tuple[CancelTier, ...]


def _refused(refusal: Refusal, **extra: object) -> RescheduleRefused:
    return RescheduleRefused(
        refusal.rule,
        refusal.reason,
        allows_at=refusal.allows_at,
        request_id=extra.get("request_id"),  # type: ignore[arg-type]  # str | None by construction
    )


def _one_pending(pending: RescheduleRequest) -> RescheduleRefused:
    return RescheduleRefused(
        "one_pending",
        f"session {pending.session_id!r} already has pending reschedule request "
        f"{pending.id!r}, answered by {pending.deadline.isoformat()} at the latest",
        allows_at=pending.deadline,
        request_id=pending.id,
    )


class RescheduleCommands:
    """Reschedule requests on sessions. Every command takes the tenant, the role and the actor."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @property
    def policy(self) -> NoticePolicy:
        """The kit's notice policy."""
        return self._ctx.notice

    # -- plumbing ------------------------------------------------------------------

    @contextmanager
    def _tx(self, now: datetime | None) -> Iterator[tuple[Tx, RescheduleRepository]]:
        with self._ctx.transaction(now) as tx:
            yield tx, tx.repository(RESCHEDULES)

    @staticmethod
    def _lock(tx: Tx, tenant: str, session_id: str) -> Session:
        bookings = tx.bookings_or_none()
        if bookings is not None:
            return bookings.lock_session(tenant, session_id)
        return tx.sessions.get(tenant, session_id)

    def _request_refusal(
        self, tx: Tx, repo: RescheduleRepository, session: Session, role: str
    ) -> Refusal | None:
        """Return why ``role`` may not ask to move ``session`` at ``tx.now`` (inputs aside)."""
        lifecycle = self._ctx.lifecycle(session.lifecycle)
        if lifecycle.status(session.status).terminal:
            return Refusal(
                rule="not_reschedulable",
                reason=f"session {session.id!r} is {session.status}, which is final",
            )
        history = repo.for_session(session.tenant, session.id)
        moved = sum(1 for r in history if r.status in MOVED_STATUSES)
        refusal = self.policy.may("request_reschedule", role, session, tx.now, reschedules=moved)
        if refusal is not None:
            return refusal
        pending = next((r for r in history if r.pending), None)
        if pending is not None:
            error = _one_pending(pending)
            return Refusal(rule=error.rule, reason=error.reason, allows_at=error.allows_at)
        return None

    # -- reads ---------------------------------------------------------------------

    def get(self, tenant: str, request_id: str) -> RescheduleRequest:
        """Return the tenant's request ``request_id``; raises ``RescheduleNotFound``."""
        check_tenant(tenant)
        check_id(request_id, "request_id")
        with self._tx(None) as (tx, repo):
            found = repo.get(tenant, request_id)
            tx.uow.rollback()
        return found

    def for_session(self, tenant: str, session_id: str) -> list[RescheduleRequest]:
        """Return the session's requests in every status, oldest first (its reschedule history)."""
        check_tenant(tenant)
        check_id(session_id, "session_id")
        with self._tx(None) as (tx, repo):
            found = repo.for_session(tenant, session_id)
            tx.uow.rollback()
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

        Checks, at ``now``: the session is not in a final status, the notice
        policy lets ``role`` ask (notice, windows, ``max_reschedules``), the
        reason's length, a ``proposed_start`` at least ``min_lead`` ahead,
        and no other pending request for the session. The deadline is
        ``answer_within`` from now, or the start if sooner. Raises
        ``RescheduleRefused`` (``rule``, ``allows_at``), ``SessionNotFound``
        and ``NaiveDatetime``; nothing is written then.
        """
        _args(tenant, session_id, "session_id", role, actor)
        if not isinstance(reason, str):
            raise WrongType(reason, name="reason", expected="the reason, as text")
        storable(reason, "reason")
        policy = self.policy
        proposed = (
            None if proposed_start is None else check_instant(proposed_start, "proposed_start")
        )
        with self._tx(now) as (tx, repo):
            session = self._lock(tx, tenant, session_id)
            refusal = self._request_refusal(tx, repo, session, role)
            refusal = refusal or policy.reason_refusal(reason)
            if refusal is None and proposed is not None:
                refusal = policy.new_time_refusal(proposed, tx.now)
            if refusal is not None:
                pending = repo.pending_for(tenant, session.id)
                if refusal.rule == "one_pending" and pending is not None:
                    raise _one_pending(pending)
                raise _refused(refusal)
            new = RescheduleRequest.new(
                id=self._ctx.ids(),
                tenant=tenant,
                session_id=session.id,
                role=role,
                requested_by=actor,
                reason=reason.strip(),
                session_start=session.start,
                proposed_start=proposed,
                deadline=policy.deadline(session, tx.now),
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
                raise _one_pending(taken.existing) from taken
            tx.collect([self._event(pending, change, actor)])
        return pending

    @retried
    def can_request(
        self, tenant: str, session_id: str, *, role: str, now: datetime | None = None
    ) -> Refusal | None:
        """Return why :meth:`request` would refuse ``role`` now, or ``None`` if it would not.

        The same checks, read only, for a "request reschedule" button (the
        reason and the new time are the caller's to check: see the policy's
        ``reason_refusal`` and ``new_time_refusal``).
        """
        _args(tenant, session_id, "session_id", role)
        with self._tx(now) as (tx, repo):
            session = self._lock(tx, tenant, session_id)
            found = self._request_refusal(tx, repo, session, role)
            tx.uow.rollback()
        return found

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
        duration is kept. Only the other side (another role) or a role that
        bypasses notice answers (rule ``"own_request"``). Refused with rule
        ``"not_pending"``, ``"no_time"`` (neither given nor proposed) and
        ``"min_lead"``; the move raises ``SessionConflict`` or
        ``SessionLocked`` (a final status) and ``CapacityExceeded`` from the
        store. ``RescheduleNotFound`` for an unknown id.
        """
        _args(tenant, request_id, "request_id", role, actor)
        moving = None if start is None else check_instant(start, "start")
        with self._tx(now) as (tx, repo):
            request = repo.get(tenant, request_id)
            session = self._lock(tx, tenant, request.session_id)
            request = repo.get(tenant, request_id)  # again, under the session's lock
            self._check_answer(request, role, actor, "approve", tx.now)
            new_start = moving or request.proposed_start
            if new_start is None:
                raise RescheduleRefused(
                    "no_time",
                    f"request {request.id!r} proposes no time; approve it with start=...",
                    request_id=request.id,
                )
            refusal = self.policy.new_time_refusal(new_start, tx.now)
            if refusal is not None:
                raise _refused(refusal, request_id=request.id)
            self._move(tx, session, new_start, actor)
            return self._answer(tx, repo, request, "approve", actor, role, new_start=new_start)

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

        Refused with rule ``"own_request"``, ``"not_pending"`` and
        ``"deadline_passed"`` (silence already approved it).
        """
        _args(tenant, request_id, "request_id", role, actor)
        with self._tx(now) as (tx, repo):
            request = repo.get(tenant, request_id)
            self._lock(tx, tenant, request.session_id)
            request = repo.get(tenant, request_id)
            self._check_answer(request, role, actor, "decline", tx.now)
            return self._answer(tx, repo, request, "decline", actor, role)

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
        _args(tenant, request_id, "request_id", role, actor)
        with self._tx(now) as (tx, repo):
            request = repo.get(tenant, request_id)
            self._lock(tx, tenant, request.session_id)
            request = repo.get(tenant, request_id)
            self._check_answer(request, role, actor, "withdraw", tx.now)
            return self._answer(tx, repo, request, "withdraw", actor, role)

    def _check_answer(
        self, request: RescheduleRequest, role: str, actor: str, action: str, now: datetime
    ) -> None:
        if not request.pending:
            raise RescheduleRefused(
                "not_pending",
                f"request {request.id!r} is already {request.status}",
                request_id=request.id,
            )
        host = role in self.policy.bypass
        if action == "withdraw":
            if actor != request.requested_by and not host:
                raise RescheduleRefused(
                    "not_requester",
                    f"only {request.requested_by} (who asked) may withdraw request {request.id!r}",
                    request_id=request.id,
                )
        elif role == request.role and not host:
            raise RescheduleRefused(
                "own_request",
                f"a {role}'s request is answered by the other side, not another {role}",
                request_id=request.id,
            )
        if action != "approve" and now >= request.deadline:
            raise RescheduleRefused(
                "deadline_passed",
                f"request {request.id!r} was answered by silence at {request.deadline.isoformat()}",
                request_id=request.id,
            )

    def _answer(
        self,
        tx: Tx,
        repo: RescheduleRepository,
        request: RescheduleRequest,
        transition: str,
        actor: str | None,
        role: str | None,
        *,
        new_start: datetime | None = None,
        reason: str | None = None,
        timed: bool = False,
    ) -> RescheduleRequest:
        if timed:
            answered, changes = RESCHEDULE_LIFECYCLE.advance(request, tx.now)
            change = changes[-1]
        else:
            answered, change = RESCHEDULE_LIFECYCLE.fire(
                request, transition, now=tx.now, actor=actor, role=role, reason=reason
            )
        answered = attrs.evolve(
            answered,
            decided_by=actor,
            decided_role=role,
            new_start=new_start,
            updated_at=tx.now,
        )
        stored = repo.update(answered, expected_version=request.version)
        tx.collect([self._event(stored, change, actor, reason=reason)])
        return stored

    def _move(self, tx: Tx, session: Session, new_start: datetime, actor: str | None) -> Session:
        """Move ``session`` to start at ``new_start`` (same duration); the bookings follow."""
        if new_start == session.start:
            return session
        reason = status_lock(self._ctx.lifecycle(session.lifecycle), session)
        if reason is not None:
            raise SessionLocked(session.id, reason)
        span = TimeSpan(new_start, new_start + session.span.duration)
        changed = attrs.evolve(
            session, span=span, detached=True, updated_at=tx.now, updated_by=actor
        )
        check_free(tx, changed)
        stored = tx.sessions.update(changed, expected_version=session.version)
        move_session_bookings(tx, stored, actor=actor)
        old = {"start": session.start, "end": session.end}
        tx.collect(
            [SessionUpdated(tenant=session.tenant, actor=actor, at=tx.now, session=stored, old=old)]
        )
        return stored

    @staticmethod
    def _event(
        request: RescheduleRequest,
        change: StatusChanged,
        actor: str | None,
        *,
        reason: str | None = None,
    ) -> RescheduleStatusChanged:
        return RescheduleStatusChanged(
            tenant=request.tenant,
            actor=actor,
            at=change.at,
            request=request,
            change=change,
            reason=reason,
        )

    # -- the tick ------------------------------------------------------------------

    def approve_due(
        self, tenant: str | None = None, *, now: datetime | None = None, limit: int = 500
    ) -> RescheduleReport:
        """Answer by silence every pending request whose deadline passed by ``now``; a report.

        A request with a proposed time is AUTO_APPROVED and its session moved
        there; one without a time, or whose time can no longer be applied
        (too soon, a conflict, a final status), EXPIRES with the reason.
        Each request is answered in a unit of work of its own, under its
        session's lock, and only while still pending: two ticks racing
        answer each request once (one event). ``tenant=None`` does every
        tenant's; at most ``limit`` requests per call (``report.more``).
        """
        ctx = self._ctx
        if tenant is not None:
            check_tenant(tenant)
        check_batch(limit, "limit", _MAX_DUE_BATCH)
        at = ctx.at(now, "now")
        with self._tx(at) as (_tx, repo):
            due = repo.due(tenant, before=at, limit=limit)
        approved: list[RescheduleRequest] = []
        expired: list[RescheduleRequest] = []
        failed: list[tuple[str, Exception]] = []
        for candidate in due:
            try:
                answered = ctx.retrying(self._answer_due, candidate, at)
            except ConcurrentModification:
                continue  # another tick answered it first
            except Exception as error:  # noqa: BLE001  # reported: one request must not stop the tick
                failed.append((candidate.id, error))
                continue
            if answered is None:
                continue
            (approved if answered.status == AUTO_APPROVED else expired).append(answered)
        return RescheduleReport(
            approved=tuple(approved),
            expired=tuple(expired),
            failed=tuple(failed),
            more=len(due) >= limit,
        )

    def _answer_due(self, candidate: RescheduleRequest, at: datetime) -> RescheduleRequest | None:
        with self._tx(at) as (tx, _repo):
            return self.answer_due_in(tx, candidate, at)

    def answer_due_in(
        self, tx: Tx, candidate: RescheduleRequest, at: datetime
    ) -> RescheduleRequest | None:
        """Answer ``candidate`` by silence inside ``tx`` if it is still pending past its deadline.

        Locks its session first; returns the answered request, or ``None``
        when another answer (a person, another tick) came first. The tick
        (:mod:`sessionkit.services.tick`) calls it in its batches.
        """
        tenant = candidate.tenant
        repo = tx.repository(RESCHEDULES)
        session = self._lock(tx, tenant, candidate.session_id)
        request = repo.get(tenant, candidate.id)
        if not request.pending or request.deadline > at:
            return None
        target = request.proposed_start
        if target is None:
            return self._answer(tx, repo, request, "expire", None, None, timed=True)
        problem = None
        refusal = self.policy.new_time_refusal(target, tx.now)
        if refusal is not None:
            problem = refusal.reason
        else:
            try:
                # Every check that can refuse the move runs before its first write.
                self._move(tx, session, target, None)
            except (SessionConflict, SessionLocked, DuplicateSession) as error:
                problem = str(error)
        if problem is not None:
            return self._answer(
                tx,
                repo,
                request,
                "expire",
                None,
                None,
                reason=f"the proposed time could not be applied: {problem}",
            )
        return self._answer(tx, repo, request, "auto_approve", None, None, new_start=target)

    # -- "what may I do" -----------------------------------------------------------

    @retried
    def options(
        self, tenant: str, session_id: str, *, role: str, now: datetime | None = None
    ) -> SessionOptions:
        """Return what ``role`` may do with the session now: reschedule until, cancel for how much.

        ``reschedule`` is exactly what :meth:`request` would refuse (or
        ``None``); the refunds are the kit's
        :class:`~sessionkit.policies.RefundPolicy` for a cancel in ``role``.
        """
        _args(tenant, session_id, "session_id", role)
        ctx = self._ctx
        with self._tx(now) as (tx, repo):
            session = self._lock(tx, tenant, session_id)
            reschedule = self._request_refusal(tx, repo, session, role)
            pending = repo.pending_for(tenant, session_id)
            tx.uow.rollback()
        refunds = ctx.refunds
        start = session.start
        tiers: list[CancelTier] = []
        if role in refunds.full_refund_roles:
            tiers.append(CancelTier(percent=Decimal(100), until=start))
        else:
            for tier in refunds.tiers:
                until = start - tier.notice
                if until >= tx.now:
                    tiers.append(CancelTier(percent=tier.percent, until=until, fee=tier.fee))
        return SessionOptions(
            at=tx.now,
            reschedule=reschedule,
            reschedule_until=(
                None
                if reschedule is not None
                else self.policy.deadline_for("request_reschedule", role, session)
            ),
            pending=pending,
            cancel=self.policy.notice_refusal("cancel", role, session, tx.now),
            refund_percent=refunds.share(role=role, start=start, at=tx.now),
            cancel_tiers=tuple(tiers),
        )
