"""Session status commands: cancel, fire (one or many) and advance.

:class:`SessionStatusCommands` is the part of
:class:`~sessionkit.services.commands.SessionCommands` that changes statuses
through the session's lifecycle. Each command runs in its own unit of work and
stores the change with :func:`~sessionkit.services._statuses.store_status`.
The argument and version checks every single-session command takes live here
too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from sessionkit.errors import InvalidValue
from sessionkit.lifecycle import Lifecycle, StatusChanged, Transition
from sessionkit.model.fields import notes_field
from sessionkit.model.query import MAX_LIMIT
from sessionkit.model.session import Session
from sessionkit.model.text import (
    MAX_CHANGE_REASON_LENGTH,
    MAX_REF_LENGTH,
    check_actor,
    check_id,
    check_ids,
    check_tenant,
    check_text,
)
from sessionkit.services._context import Context, check_record_version, check_version, retried
from sessionkit.services._editing import lock_sessions
from sessionkit.services._makeups import check_revival
from sessionkit.services._statuses import advance_in, store_status
from sessionkit.services.fields import hosts_fields_sized

__all__ = ["SessionStatusCommands", "check_session_version", "session_args"]


def check_session_version(session: Session, expected_version: int | None) -> None:
    """Raise ``ConcurrentModification`` if ``expected_version`` is given and not the session's."""
    check_record_version(session.id, session.version, expected_version)


def session_args(
    tenant: object, session_id: object, actor: object, expected_version: object
) -> None:
    """Check the arguments every single-session command takes."""
    check_tenant(tenant)
    check_id(session_id, "session_id")
    check_actor(actor)
    check_version(expected_version)


class SessionStatusCommands:
    """The status commands of :class:`~sessionkit.services.commands.SessionCommands`."""

    _ctx: Context

    @retried
    def cancel(
        self,
        tenant: str,
        session_id: str,
        *,
        actor: str | None,
        reason: str | None = None,
        role: str | None = None,
        transition: str = "cancel",
        expected_version: int | None = None,
    ) -> Session:
        """Cancel a session through its lifecycle's ``transition``; return the stored session.

        Raises ``InvalidTransition`` (with the transitions allowed now) or
        ``TransitionRefused``. Dependents do not block a cancel: it is what a
        host does instead of deleting (and where it triggers refunds, on the
        ``SessionCanceled`` event, which carries ``reason``).
        """
        return self.fire(
            tenant,
            session_id,
            transition,
            actor=actor,
            reason=reason,
            role=role,
            expected_version=expected_version,
        )

    @retried
    def fire(
        self,
        tenant: str,
        session_id: str,
        transition: str,
        *,
        actor: str | None,
        reason: str | None = None,
        role: str | None = None,
        expected_version: int | None = None,
        notes: str | None = None,
    ) -> Session:
        """Fire a lifecycle transition by hand; return the stored session.

        Keeps ``busy`` in step with the new status (a session becoming busy is
        checked for conflicts). ``notes`` (at most ``MAX_NOTES_LENGTH``, 2,000
        characters) are kept, with the change, as the session's own field
        ``<role>_notes`` (``notes`` without a role): "complete, with notes,
        by either side"; a transition with ``max_notes`` takes no longer ones
        (the coaching preset's ``complete``: 1,000). Raises ``InvalidTransition``,
        ``TransitionRefused``, ``SessionConflict`` or ``InvalidValue`` (notes
        too long; nothing is written). Emits
        ``SessionStatusChanged``, or ``SessionCanceled`` (which is one) when
        the new status is a cancelled one.
        """
        noted = None if notes is None else notes_field(role, notes)
        ctx = self._ctx
        session_args(tenant, session_id, actor, expected_version)
        check_text(reason, "reason", limit=MAX_CHANGE_REASON_LENGTH, optional=True)
        check_text(role, "role", limit=MAX_REF_LENGTH, optional=True)
        with ctx.transaction() as tx:
            session = tx.sessions.get(tenant, session_id)
            check_session_version(session, expected_version)
            if ctx.answer_overdue is not None:  # judged where a request's silence moved it
                settled = ctx.answer_overdue(ctx, tx, session)
                if _taken_there(ctx, session, settled, transition):
                    return settled  # with the answer, stored as the unit commits
                session = settled
            machine = ctx.lifecycle(session.lifecycle)
            changed, change = machine.fire(
                session, transition, now=tx.now, actor=actor, role=role, reason=reason
            )
            check_revival(ctx, tx, session, changed.status)
            if noted is not None:
                _check_notes_bound(machine.transition(transition), noted[1])
                # Notes are the session's own fields too: within the bound, or refused here.
                kept = hosts_fields_sized({**changed.metadata, noted[0]: noted[1]})
                changed = attrs.evolve(changed, metadata=kept)
            return store_status(tx, machine, session, changed, [change], actor)

    @retried
    def fire_many(
        self,
        tenant: str,
        session_ids: Iterable[str],
        transition: str,
        *,
        actor: str | None,
        reason: str | None = None,
        role: str | None = None,
    ) -> list[Session]:
        """Fire ``transition`` on every session of ``session_ids``, all or none; return them.

        A bulk status change ("mark completed"): one unit of work, each
        session changed as :meth:`fire` changes one (its events, its bookings'
        cancellation and refunds). If any one is refused, the error is raised
        for that session (``SessionNotFound``, ``InvalidTransition``,
        ``TransitionRefused``, ``SessionConflict``) and nothing is written.
        Repeated ids count once; the sessions come back in the order given.
        At most 1,000 sessions per call.
        """
        check_tenant(tenant)
        check_actor(actor)
        check_text(reason, "reason", limit=MAX_CHANGE_REASON_LENGTH, optional=True)
        check_text(role, "role", limit=MAX_REF_LENGTH, optional=True)
        ids = check_ids(session_ids, "session_ids", most=MAX_LIMIT)
        ctx = self._ctx
        with ctx.transaction() as tx:
            found = {s.id: s for s in tx.sessions.get_many(tenant, ids)}
            for session_id in ids:
                if session_id not in found:  # raises the kind's SessionNotFound
                    found[session_id] = tx.sessions.get(tenant, session_id)
            # Every row locked first, in id order, as read under the locks: a command
            # locking one of them and then writing what a status change writes too (a
            # consume bumping the same usage counter) queues instead of deadlocking.
            found.update(lock_sessions(tx, found.values()))
            there: dict[str, Session] = {}
            if ctx.answer_overdue is not None:  # judged where a request's silence moved each
                for session_id in sorted(found):
                    settled = ctx.answer_overdue(ctx, tx, found[session_id])
                    if _taken_there(ctx, found[session_id], settled, transition):
                        there[session_id] = settled
                    found[session_id] = settled
            fired: dict[str, tuple[Lifecycle, Session, Session, StatusChanged]] = {}
            for session_id in ids:  # refusals first, in the order given, before any write
                if session_id in there:
                    continue
                session = found[session_id]
                machine = ctx.lifecycle(session.lifecycle)
                changed, change = machine.fire(
                    session, transition, now=tx.now, actor=actor, role=role, reason=reason
                )
                check_revival(ctx, tx, session, changed.status)
                fired[session_id] = (machine, session, changed, change)
            stored: dict[str, Session] = dict(there)
            # Written in id order, so two bulk changes of the same sessions lock rows alike.
            for session_id in sorted(fired):
                machine, session, changed, change = fired[session_id]
                stored[session_id] = store_status(tx, machine, session, changed, [change], actor)
            return [stored[i] for i in ids]

    @retried
    def advance(
        self,
        tenant: str,
        session_id: str,
        *,
        actor: str | None,
        now: datetime | None = None,
    ) -> Session:
        """Apply the session's timed transitions due by ``now`` (default: the clock).

        Emits one ``SessionStatusChanged`` per step; nothing is written when
        nothing is due, but for a reschedule request past its deadline, which
        is answered by silence first (the session moved, when it approves a
        new time), as :meth:`~sessionkit.services.RescheduleCommands.options` has it.
        """
        session_args(tenant, session_id, actor, None)
        with self._ctx.transaction(now) as tx:
            session = tx.sessions.get(tenant, session_id)
            return advance_in(self._ctx, tx, session, actor)


def _check_notes_bound(transition: Transition, notes: str) -> None:
    """Refuse ``notes`` longer than ``transition`` takes (``InvalidValue`` naming both)."""
    bound = transition.max_notes
    if bound is not None and len(notes) > bound:
        raise InvalidValue(
            f"notes of {transition.name!r} are at most {bound:,} characters, got {len(notes):,}",
            value=f"{len(notes):,} characters",
            expected=f"a string of at most {bound:,} characters",
        )


def _taken_there(ctx: Context, before: Session, settled: Session, transition: str) -> bool:
    """Whether answering an overdue request took the session where ``transition`` goes.

    The request's silence moved it, and the move emptied it of a hold that had
    run out, which the rules' ``when_emptied`` released (cancelled): a cancel
    asked of it is done already, with the answer. Fired again, it would raise
    ``InvalidTransition`` from the status the command itself just took it to,
    and roll the answer back with it.
    """
    if settled.status == before.status:
        return False
    machine = ctx.lifecycle(settled.lifecycle)
    found = next((t for t in machine.transitions if t.name == transition), None)
    return found is not None and found.target == settled.status
