"""Session status changes inside one unit of work: store them, their events, the advance.

:func:`store_status` is the one place a session's status is written: ``busy``
follows the new status, a session becoming busy is checked for conflicts, one
event is collected per change, and the usage, booking and no-show hooks run.
The status commands of :class:`~sessionkit.services.commands.SessionCommands`,
the jobs and the attendance, usage and room services all change statuses
through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from sessionkit.errors import (
    ConcurrentModification,
    MissingFact,
    SessionKitError,
    SessionNotFound,
    StorageError,
)
from sessionkit.lifecycle import Lifecycle, StatusChanged
from sessionkit.model.events import SessionCanceled, SessionStatusChanged
from sessionkit.model.session import Session
from sessionkit.ports import FactProvider
from sessionkit.services._context import Context, Tx, check_free, raised_after_commit
from sessionkit.services._editing import steps_known
from sessionkit.services._money_no_shows import settle_no_shows
from sessionkit.services._presence import with_attendance
from sessionkit.services._presence_seal import mark_ended, seal_ended
from sessionkit.services._reschedule_answers import expire_for_cancel
from sessionkit.services._seats import (
    cancel_session_bookings,
    expire_before_cancel,
    lapse_session_bookings,
)
from sessionkit.services._usage import settle_usage

__all__ = [
    "advance_before_refusal",
    "advance_in",
    "advance_steps",
    "joined_before",
    "status_event",
    "store_status",
]


def advance_in(ctx: Context, tx: Tx, session: Session, actor: str | None) -> Session:
    """Advance ``session`` to ``tx.now`` inside ``tx``; return it as it is then.

    See :func:`advance_steps`.
    """
    return advance_steps(ctx, tx, session, actor)[0]


def advance_steps(
    ctx: Context,
    tx: Tx,
    session: Session,
    actor: str | None,
    *,
    short: int = 0,
    answer: bool = True,
    known: bool = False,
) -> tuple[Session, bool]:
    """Advance ``session`` to ``tx.now`` inside ``tx``; return it and whether a step was due.

    A reschedule request past its deadline is answered by silence first
    (:attr:`Context.answer_overdue`): a session it moved is advanced at its new
    time (and returned moved, with ``False`` if no step is due there).
    ``short`` leaves out that many of the last steps due (see
    :func:`advance_before_refusal`). ``answer=False``: every request due at
    ``tx.now`` was answered already (the tick's reschedules pass, just before).
    ``known``: a step whose condition needs a fact the kit cannot give stops
    the steps there, those due before it taken
    (:func:`~sessionkit.services._editing.steps_known`); otherwise it raises
    ``MissingFact``.
    """
    if answer and ctx.answer_overdue is not None:
        session = ctx.answer_overdue(ctx, tx, session)
    machine = ctx.lifecycle(session.lifecycle)
    facts = ctx.facts_for(tx, [session]).get(session.id) if ctx.facts is not None else None
    if known:
        changed, changes = steps_known(machine, session, tx.now, facts)
    else:
        changed, changes = machine.advance(session, tx.now, facts=facts)
    stored = with_attendance(ctx.facts)  # as a join's and a credential's paths read them
    changed, changes = joined_before(ctx, tx, machine, changed, changes, facts, stored)
    if short:  # cut from the whole chain, the join transition's steps included
        changes = changes[: max(len(changes) - short, 0)]
        if changes:  # a step changes the status alone
            changed = attrs.evolve(changed, status=changes[-1].to_status)
    if not changes:
        return session, False
    return store_status(tx, machine, session, changed, changes, actor), True


def joined_before(
    ctx: Context,
    tx: Tx,
    machine: Lifecycle,
    session: Session,
    changes: tuple[StatusChanged, ...],
    facts: Mapping[str, object] | None,
    provider: FactProvider | None,
) -> tuple[Session, tuple[StatusChanged, ...]]:
    """Fire the join transition where the clock's steps led, if someone is there already.

    A join heard before its session reached a status the join transition
    leaves (a student in the room before READY) could fire nothing then, and
    with no later join the session held there for good, its ABSENT timer
    stopped by the word that someone came. Once ``changes`` reach such a
    status and the facts say someone counts as there (``attended``, read
    from ``provider`` when ``facts`` lack it: the stored attendance, with the
    host's facts), the join transition is fired when the last step was, and
    the steps due after it follow. Whether someone counts as there is read
    as things stand at the unit's now, as the facts of every timer are.
    """
    name = ctx.join_transition
    if name is None or not changes or not machine.can(session, name, now=changes[-1].at):
        return session, changes
    if facts is None or "attended" not in facts:
        if provider is None:
            return session, changes
        facts = provider.facts_for([session], tx.uow).get(session.id)
    if not facts or not facts.get("attended"):
        return session, changes
    started, change = machine.fire(session, name, now=changes[-1].at)
    later, more = machine.advance(started, tx.now, facts=facts)
    return later, (*changes, change, *more)


def advance_before_refusal(
    ctx: Context,
    tenant: str,
    session_id: str,
    now: datetime,
    actor: str | None,
    error: Exception,
) -> Session | None:
    """Store the steps due before the one refused when a session's advance failed; or ``None``.

    A catch-up advance stores every due step in one unit of work, so a step
    refused (by a guard, a conflict) took the steps before it (READY,
    its room) down with it, where a tick at each step would have stored
    them: the state hung on how often the tick ran. After ``error``, a
    refusal, each shorter chain is tried in a unit of work of its own,
    longest first; the refused step stays due (and fails again, reported, as
    it would have). After a ``MissingFact`` the chain is the steps due
    before the first that needs a fact the kit cannot give (a lesson whose
    attendance is unknown past its ABSENT timer is stored READY, as a tick
    in its READY window stored it), then each shorter one if it is refused;
    the step that needs the fact stays due. An error no chain length changes
    (a race, the store) tries nothing. One raised after a chain committed
    (by an event handler) is raised: the steps are stored.
    """
    known = isinstance(error, MissingFact)
    if not isinstance(error, SessionKitError) or isinstance(error, _NOT_REFUSALS):
        return None
    for short in range(0 if known else 1, _MOST_STEPS):
        try:
            with ctx.transaction(now) as tx:
                session = tx.sessions.get(tenant, session_id)
                stored, stepped = advance_steps(ctx, tx, session, actor, short=short, known=known)
        except SessionNotFound:
            return None
        except SessionKitError as late:
            if raised_after_commit(late):  # a chain stored, then an event handler raised
                raise
            if isinstance(late, MissingFact):  # asked before any step is cut: no chain helps
                return None
            continue
        return stored if stepped else None
    return None


_NOT_REFUSALS = (ConcurrentModification, StorageError)
"""Errors of an advance that a shorter chain of steps would meet just the same."""


_MOST_STEPS = 32
"""More timed steps than a catch-up walks through at once in any lifecycle sessionkit knows."""


def status_event(
    machine: Lifecycle, tenant: str, actor: str | None, session: Session, change: StatusChanged
) -> SessionStatusChanged:
    """Return the event of one status change: ``SessionCanceled`` into a cancelled status."""
    if machine.status(change.to_status).cancelled:
        return SessionCanceled(
            tenant=tenant,
            actor=actor,
            at=change.at,
            session=session,
            change=change,
            reason=change.reason,
        )
    return SessionStatusChanged(
        tenant=tenant, actor=actor, at=change.at, session=session, change=change
    )


def store_status(
    tx: Tx,
    machine: Lifecycle,
    session: Session,
    changed: Session,
    changes: Sequence[StatusChanged],
    actor: str | None,
) -> Session:
    """Store status ``changes`` (``busy`` follows the new status), collect one event each.

    A session that becomes busy is checked for conflicts first. A step of
    ``changes`` into a cancelled status cancels the session's bookings and
    pending request even when a later step leaves it; a step into another
    terminal status (finished, completed, perhaps ahead of its time) ends its
    holds, offers and waitlist places, which never get a seat in it. A timed
    step into a status that counts usage is never refused for credits: the
    credit is counted past the limit. Returns the stored session.
    """
    busy = machine.status(changed.status).busy
    changed = attrs.evolve(changed, busy=busy, updated_at=tx.now, updated_by=actor)
    changed = mark_ended(machine, session, changed, changes[-1].at)
    if busy and not session.busy:
        check_free(tx, changed)
    stored = tx.sessions.update(changed, expected_version=session.version)
    # A catch-up may pass through a cancelled status and leave it (EXPIRED, then ARCHIVED
    # at the end): its bookings and request end as a tick at each step would have ended them.
    cancelling = next(
        (
            c
            for c in changes
            if machine.status(c.to_status).cancelled and not machine.status(c.from_status).cancelled
        ),
        None,
    )
    # In the order it happened, as a move's: what had run out by each step up to the cancel
    # is expired (its events dated then) before that step's event is published, so a
    # catch-up's earlier steps (LOCKED, then the timed cancel) come before what ran out
    # between them; what ran out after the cancel follows it, then the rest.
    last = -1 if cancelling is None else changes.index(cancelling)
    for i, c in enumerate(changes):
        if i <= last:
            expire_before_cancel(tx, stored, at=c.at)
        tx.collect([status_event(machine, session.tenant, actor, stored, c)])
    seal_ended(tx, machine, session, stored)  # before anything reads its attendance
    # The clock is never refused for credits: a timed step into a counting status (ABSENT,
    # COMPLETED) is counted past the subscription's last credit, or it would stay due forever.
    counting = machine.usage_statuses
    entering = next(
        (c for c in reversed(changes) if c.to_status in counting and c.from_status not in counting),
        None,
    )
    settle_usage(
        tx,
        machine,
        session,
        stored,
        actor=actor,
        reason=changes[-1].reason,
        entered_cancelled=cancelling is not None,
        over_limit=entering is not None and entering.timed,
    )
    if cancelling is not None:
        cancel_session_bookings(
            tx, stored, actor=actor, reason=cancelling.reason, role=cancelling.role
        )
        expire_for_cancel(tx, stored, actor=actor, reason=cancelling.reason)
    elif any(_ends(machine, c) for c in changes):
        lapse_session_bookings(tx, stored, actor=actor)
    settle_no_shows(tx, machine, session, stored, actor=actor)
    return stored


def _ends(machine: Lifecycle, change: StatusChanged) -> bool:
    """Whether ``change`` enters a terminal status that is no cancellation from a live one."""
    entered = machine.status(change.to_status)
    return (
        entered.terminal
        and not entered.cancelled
        and not machine.status(change.from_status).terminal
    )
