"""Session status changes inside one unit of work: store them, their events, the advance.

:func:`store_status` is the one place a session's status is written: ``busy``
follows the new status, a session becoming busy is checked for conflicts, one
event is collected per change, and the usage, booking and no-show hooks run.
The status commands of :class:`~sessionkit.services.commands.SessionCommands`,
the jobs and the attendance, usage and room services all change statuses
through it.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from sessionkit.lifecycle import Lifecycle, StatusChanged
from sessionkit.model.events import SessionCanceled, SessionStatusChanged
from sessionkit.model.session import Session
from sessionkit.services._context import Context, Tx, check_free
from sessionkit.services._money import settle_no_shows
from sessionkit.services._seats import cancel_session_bookings
from sessionkit.services._usage import settle_usage

__all__ = ["advance_in", "status_event", "store_status"]


def advance_in(ctx: Context, tx: Tx, session: Session, actor: str | None) -> Session:
    """Advance ``session`` to ``tx.now`` inside ``tx``; return it (stored if anything was due)."""
    machine = ctx.lifecycle(session.lifecycle)
    facts = ctx.facts_for(tx, [session]).get(session.id) if ctx.facts is not None else None
    changed, changes = machine.advance(session, tx.now, facts=facts)
    if not changes:
        return session
    return store_status(tx, machine, session, changed, changes, actor)


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

    A session that becomes busy is checked for conflicts first. Returns the
    stored session.
    """
    busy = machine.status(changed.status).busy
    changed = attrs.evolve(changed, busy=busy, updated_at=tx.now, updated_by=actor)
    if busy and not session.busy:
        check_free(tx, changed)
    stored = tx.sessions.update(changed, expected_version=session.version)
    tx.collect(status_event(machine, session.tenant, actor, stored, c) for c in changes)
    settle_usage(tx, machine, session, stored, actor=actor, reason=changes[-1].reason)
    if machine.status(stored.status).cancelled and not machine.status(session.status).cancelled:
        cancel_session_bookings(tx, stored, actor=actor, reason=changes[-1].reason)
    settle_no_shows(tx, machine, session, stored, actor=actor)
    return stored
