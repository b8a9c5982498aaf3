"""Storing a reschedule request's answer with its event, and the answer a cancel gives.

Private to the services package, below both the reschedule steps
(:mod:`~sessionkit.services._reschedule_steps`) and the one place a session's
status is written (:mod:`~sessionkit.services._statuses`), which expires a
cancelled session's pending request through :func:`expire_for_cancel`.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from sessionkit.lifecycle import StatusChanged
from sessionkit.model.reschedule import (
    RESCHEDULE_LIFECYCLE,
    RescheduleRequest,
    RescheduleStatusChanged,
)
from sessionkit.model.session import Session
from sessionkit.ports import RESCHEDULES, RescheduleRepository
from sessionkit.services._context import Tx

__all__ = ["expire_for_cancel", "status_event", "store_answer"]


def store_answer(
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
    caused_by: str | None = None,
    at: datetime | None = None,
) -> RescheduleRequest:
    """Fire ``transition`` on ``request`` (``timed``: its timer), store it, collect the event.

    ``actor`` decided the answer; ``caused_by`` (default: ``actor``) is the
    event's actor, for an answer nobody gave that someone's command caused.
    ``at`` is when the answer took effect (silence's: the request's deadline,
    as its timer dates a ``timed`` one; at most now; default now): the
    change's and the event's instant. The request's ``updated_at`` is now.
    """
    if timed:
        answered, changes = RESCHEDULE_LIFECYCLE.advance(request, tx.now)
        change = changes[-1]
    else:
        when = tx.now if at is None else min(at, tx.now)
        answered, change = RESCHEDULE_LIFECYCLE.fire(
            request, transition, now=when, actor=actor, role=role, reason=reason
        )
    answered = attrs.evolve(
        answered,
        decided_by=actor,
        decided_role=role,
        new_start=new_start,
        updated_at=tx.now,
    )
    stored = repo.update(answered, expected_version=request.version)
    tx.collect([status_event(stored, change, caused_by or actor, reason=reason)])
    return stored


def status_event(
    request: RescheduleRequest,
    change: StatusChanged,
    actor: str | None,
    *,
    reason: str | None = None,
) -> RescheduleStatusChanged:
    """Return the event announcing ``change`` of ``request``."""
    return RescheduleStatusChanged(
        tenant=request.tenant,
        actor=actor,
        at=change.at,
        request=request,
        change=change,
        reason=reason,
    )


def expire_for_cancel(
    tx: Tx, session: Session, *, actor: str | None, reason: str | None
) -> RescheduleRequest | None:
    """Expire the pending request of ``session``, just cancelled; return it, or ``None``.

    A cancelled session cannot be moved, so its request could never be
    approved (nor would silence approve it at the deadline): it ends now, in
    the cancel's unit of work, EXPIRED with the reason "the session was
    cancelled" (and the cancel's own, if given), decided by nobody, the
    event's actor the canceller. A store that keeps no requests has none.
    """
    repo = tx.repository_or_none(RESCHEDULES)
    pending = None if repo is None else repo.pending_for(session.tenant, session.id)
    if repo is None or pending is None:
        return None
    why = "the session was cancelled" + ("" if reason is None else f": {reason}")
    return store_answer(tx, repo, pending, "expire", None, None, reason=why, caused_by=actor)
