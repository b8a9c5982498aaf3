"""Makeup sessions: one cancelled session made up by one other, charged once.

Private to the services package: ``kit.usage.mark_makeup`` calls
:func:`mark_makeup`. The makeup's own field ``makeup_of`` names the
cancelled session and the cancelled session's ``made_up_by`` names the
makeup, both written with their versions checked, so of two marks racing
for one cancelled session the second fails.
"""

from __future__ import annotations

import attrs

from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown
from sessionkit.model.events import SessionUpdated
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import Session
from sessionkit.model.text import check_actor, check_id, check_tenant
from sessionkit.model.usage import MADE_UP_BY_FIELD, MAKEUP_FIELD
from sessionkit.ports import USAGE
from sessionkit.services._context import Context, Tx

__all__ = ["check_revival", "mark_makeup"]


def mark_makeup(
    ctx: Context, tenant: str, session_id: str, *, replaces: str, actor: str | None
) -> Session:
    """Mark ``session_id`` as the makeup of cancelled ``replaces`` (see ``kit.usage``)."""
    check_tenant(tenant)
    check_id(session_id, "session_id")
    check_id(replaces, "replaces")
    check_actor(actor)
    if replaces == session_id:
        raise InvalidValue(
            f"session {shown(session_id)} cannot replace itself",
            value=replaces,
            expected="another, cancelled session",
        )
    with ctx.transaction() as tx:
        session = tx.sessions.get(tenant, session_id)
        original = tx.sessions.get(tenant, replaces)
        machine = ctx.lifecycle(original.lifecycle)
        if not machine.status(original.status).cancelled:
            raise InvalidValue(
                f"session {shown(replaces)} is {original.status}, not cancelled: only a "
                "cancelled session is made up",
                value=original.status,
                expected=", ".join(sorted(machine.cancelled_statuses)),
            )
        root = original.metadata.get(MAKEUP_FIELD)
        if isinstance(root, str) and root:
            # Charged as the session it replaced, a makeup of it would be charged in that
            # one's period, and the session it replaced could be made up once more.
            raise InvalidValue(
                f"session {shown(replaces)} was itself the makeup of session {shown(root)}: mark "
                f"session {shown(session_id)} as the makeup of {shown(root)}",
                value=replaces,
                expected=root,
            )
        taken = _made_up_by(ctx, tx, original, session_id)
        if taken:
            raise InvalidValue(
                f"session {shown(replaces)} is already made up by session {shown(taken[0])}",
                value=replaces,
                expected="a cancelled session not made up yet",
            )
        marked = session.metadata.get(MAKEUP_FIELD) == replaces
        if marked and original.metadata.get(MADE_UP_BY_FIELD) == session_id:
            return session
        previous = session.metadata.get(MAKEUP_FIELD)
        if previous is not None and not marked:
            _unmark(tx, session, str(previous), replaces, actor)
        stored = session
        if not marked:
            stored = _own_field(tx, session, MAKEUP_FIELD, replaces, actor)
        # Written on the cancelled session too (its version checked): of two marks
        # racing for it, the second fails instead of both holding one credit.
        _own_field(tx, original, MADE_UP_BY_FIELD, session_id, actor)
        return stored


def _made_up_by(ctx: Context, tx: Tx, original: Session, session_id: str) -> list[str]:
    """The ids of sessions other than ``session_id`` that make ``original`` up.

    Held ones (a credit charged as ``original`` and used by another session)
    and ones only marked: a makeup marked but not held yet has no ledger
    entry, so the cancelled session names it (made_up_by), and one marked
    before that field existed names the cancelled session in its own
    makeup_of; either counts while not cancelled.
    """
    held = [
        e.used_by
        for e in tx.repository(USAGE).for_session(original.tenant, original.id)
        if e.used_by not in (original.id, session_id) and e.active
    ]
    return held + _marked(ctx, tx, original, session_id)


def _marked(ctx: Context, tx: Tx, original: Session, session_id: str) -> list[str]:
    """The ids of other sessions marked as ``original``'s makeup, not cancelled."""
    claimant = original.metadata.get(MADE_UP_BY_FIELD)
    found = [] if claimant is None else tx.sessions.get_many(original.tenant, [str(claimant)])
    query = SessionQuery(fields={MAKEUP_FIELD: original.id}, limit=2)
    found.extend(tx.sessions.query(original.tenant, query).items)
    return [
        s.id
        for s in found
        if s.id != session_id
        and s.metadata.get(MAKEUP_FIELD) == original.id
        and not ctx.lifecycle(s.lifecycle).status(s.status).cancelled
    ]


def _unmark(tx: Tx, session: Session, previous: str, replaces: str, actor: str | None) -> None:
    """Move ``session``'s mark off ``previous``; refuse once its credit is charged there.

    A makeup held (its credit charged as ``previous``'s) stays ``previous``'s:
    marked for ``replaces`` too, it would block both cancelled sessions with
    one credit. One not held yet is moved, and ``previous`` is free again.
    """
    charged = [
        e
        for e in tx.repository(USAGE).for_session(session.tenant, previous)
        if e.active and e.used_by == session.id
    ]
    if charged:
        raise InvalidValue(
            f"session {shown(session.id)} was held as the makeup of {shown(previous)} (a credit is "
            f"charged there); it cannot make up {shown(replaces)} too",
            value=replaces,
            expected=f"{shown(previous)}, the session it made up",
        )
    found = tx.sessions.get_many(session.tenant, [previous])
    if found and found[0].metadata.get(MADE_UP_BY_FIELD) == session.id:
        _own_field(tx, found[0], MADE_UP_BY_FIELD, None, actor)


def _own_field(
    tx: Tx, session: Session, field: str, value: str | None, actor: str | None
) -> Session:
    """Set one own field of ``session`` (``None``: drop it), its version checked; say so."""
    kept = {k: v for k, v in session.metadata.items() if k != field}
    changed = attrs.evolve(
        session,
        metadata=kept if value is None else {**kept, field: value},
        updated_at=tx.now,
        updated_by=actor,
    )
    stored = tx.sessions.update(changed, expected_version=session.version)
    tx.collect(
        [
            SessionUpdated(
                tenant=session.tenant,
                actor=actor,
                at=tx.now,
                session=stored,
                old={"metadata": dict(session.metadata)},
            )
        ]
    )
    return stored


def check_revival(ctx: Context, tx: Tx, session: Session, target: str) -> None:
    """Refuse bringing cancelled ``session`` back to ``target`` when a makeup stands for it.

    One cancelled session is made up by one other, on one credit: back in
    play, the session would be held beside its makeup (or, itself a makeup,
    beside the other makeup of the session they both replace), two lessons
    on that credit; a makeup whose session is back in play (corrected back
    first) would be held beside it. The makeup is cancelled (or ``session``
    marked for another) first.
    """
    machine = ctx.lifecycle(session.lifecycle)
    if not machine.status(session.status).cancelled or machine.status(target).cancelled:
        return
    original = session
    replaced = session.metadata.get(MAKEUP_FIELD)
    if isinstance(replaced, str) and replaced:
        found = tx.sessions.get_many(session.tenant, [replaced])
        if not found:
            return
        original = found[0]
        if not ctx.lifecycle(original.lifecycle).status(original.status).cancelled:
            # The session it made up is back in play (corrected first): nothing to make up.
            raise InvalidValue(
                f"session {shown(session.id)} cannot go back to {target}: the session it made "
                f"up, {shown(original.id)}, is {original.status} again, held on the same credit",
                value=target,
                expected=f"{session.status}, while session {shown(original.id)} is in play",
            )
    taken = _made_up_by(ctx, tx, original, session.id)
    if taken:
        why = (
            f"session {shown(taken[0])} is its makeup, on the same credit"
            if original is session
            else f"session {shown(taken[0])} makes up session {shown(original.id)} in its place"
        )
        raise InvalidValue(
            f"session {shown(session.id)} cannot go back to {target}: {why}; cancel that "
            "makeup first",
            value=target,
            expected=f"{session.status}, until session {shown(taken[0])} is cancelled",
        )
