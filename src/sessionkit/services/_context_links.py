"""What a unit of work finds about sessions: the facts conditions read, dependents, conflicts.

Private to the services package. :func:`facts_for` and :func:`blocking_links`
are methods of :class:`~sessionkit.services._context.Context` (its class body
takes them as attributes); :func:`check_free` is exported by
:mod:`~sessionkit.services._context`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sessionkit.errors import SessionConflict
from sessionkit.errors._base import shown
from sessionkit.model.session import Session
from sessionkit.model.usage import MAKEUP_FIELD
from sessionkit.ports import ATTENDANCE_OVERRIDES, PRESENCE, RESCHEDULES, USAGE
from sessionkit.services._context_tx import Tx

if TYPE_CHECKING:
    from sessionkit.services._context import Context

__all__ = ["blocking_links", "check_free", "facts_for"]


def facts_for(
    ctx: Context, tx: Tx, sessions: Sequence[Session]
) -> Mapping[str, Mapping[str, object]]:
    """Return the facts timed conditions read (attendance, the host's), by session id.

    Only sessions whose lifecycle may ask a condition or guard on the way
    forward from their status (:attr:`~sessionkit.lifecycle.Lifecycle.fact_statuses`)
    are asked about; the others need none, and get none.
    """
    if ctx.facts is None or not sessions:
        return {}
    asked = [s for s in sessions if s.status in ctx.lifecycle(s.lifecycle).fact_statuses]
    return ctx.facts.facts_for(asked, tx.uow) if asked else {}


def blocking_links(ctx: Context, tx: Tx, sessions: Sequence[Session]) -> Mapping[str, str]:
    """Return ``{session_id: reason}`` for ``sessions`` with dependents.

    Dependents: the host's links, bookings, reschedule requests,
    attendance overrides, presence records, usage entries (a credit
    charged to the session or used by it, which only the session can
    give back) and a makeup's mark (its own field ``makeup_of``: the
    cancelled session it replaces names it in ``made_up_by``, and deleted
    it would make up nothing while that one stays made up). The link checker reads
    through the command's own unit of work, so it sees the command's
    writes so far and never opens a second one. A session with any of
    them (of any status) is never deleted or moved by regeneration.
    """
    if not sessions:
        return {}
    found: dict[str, str] = {}
    if ctx.links is not None:
        found.update(ctx.links.blocking_links(sessions, tx.uow))
    for session in sessions:
        replaces = session.metadata.get(MAKEUP_FIELD)
        if isinstance(replaces, str) and replaces:
            found.setdefault(session.id, f"the makeup of session {shown(replaces)}")
    by_tenant: dict[str, list[str]] = {}
    for session in sessions:
        by_tenant.setdefault(session.tenant, []).append(session.id)
    bookings = tx.bookings_or_none()
    requests = tx.repository_or_none(RESCHEDULES)
    overrides = tx.repository_or_none(ATTENDANCE_OVERRIDES)
    presence = tx.repository_or_none(PRESENCE)
    usage = tx.repository_or_none(USAGE)
    for tenant, ids in by_tenant.items():
        if bookings is not None:
            for session_id, count in bookings.counts(tenant, ids).items():
                found.setdefault(session_id, f"{count} booking(s)")
        if requests is not None:
            for session_id, count in requests.counts(tenant, ids).items():
                found.setdefault(session_id, f"{count} reschedule request(s)")
        # Attendance kept ahead (an excused absence) or heard: the session's record.
        if overrides is not None:
            kept = Counter(o.session_id for o in overrides.for_sessions(tenant, ids))
            for session_id, count in kept.items():
                found.setdefault(session_id, f"{count} attendance override(s)")
        if presence is not None:
            heard = Counter(p.session_id for p in presence.for_sessions(tenant, ids))
            for session_id, count in heard.items():
                found.setdefault(session_id, f"{count} presence record(s)")
        if usage is not None:
            for session_id, count in usage.counts(tenant, ids).items():
                found.setdefault(session_id, f"{count} usage entr{'y' if count == 1 else 'ies'}")
    return found


def check_free(tx: Tx, session: Session) -> None:
    """Raise ``SessionConflict`` if busy ``session`` overlaps another busy session of a resource."""
    if not session.busy or not session.resources:
        return
    blockers = tx.sessions.busy_overlapping(
        session.tenant, resources=session.resources, span=session.span, exclude_ids=(session.id,)
    )
    if blockers:
        first = blockers[0]
        shared = sorted(set(first.resources) & set(session.resources))
        who = ", ".join(str(r) for r in shared) or "a resource"
        raise SessionConflict(
            f"{who} is busy from {first.start.isoformat()} to {first.end.isoformat()} "
            f"with {shown(first.title)} ({first.id}); {len(blockers)} session(s) in the way",
            session=session,
            conflicts=blockers,
        )
