"""The clock's work: advance every session whose timed transition fell due (``advance_due``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sessionkit.lifecycle import LifecycleRegistry
from sessionkit.model.session import Session
from sessionkit.model.text import check_actor, check_tenant
from sessionkit.services._context import Context, raised_after_commit
from sessionkit.services._reschedule_steps import requests_due
from sessionkit.services._statuses import advance_before_refusal
from sessionkit.services.commands import advance_steps
from sessionkit.services.reports import AdvanceFailure, AdvanceReport

__all__ = ["advance_due", "due_reach", "timed_statuses"]

_TICK = timedelta(microseconds=1)
# An offset so negative that ``now - offset`` is after any stored start.
_UNBOUNDED = -timedelta(days=365 * 7000)
# Where that bound stops: after every instant the services schedule at, and
# inside every database's datetime range.
_CAP = datetime(9999, 1, 1, tzinfo=UTC)
_FLOOR = datetime(1, 1, 2, tzinfo=UTC)


def timed_statuses(registry: LifecycleRegistry) -> dict[str, frozenset[str]]:
    """Return each lifecycle's statuses a timer leaves (none for a lifecycle without timers).

    Passed to the sessions' ``due`` as ``lifecycles``: a status timed in one
    lifecycle (the academy's SCHEDULED) is not a candidate in another that has
    no timer from it (the LMS's), where nothing would ever move it on. A
    session of a lifecycle the registry does not know stays a candidate, so
    the tick reports it, when its status is one some known lifecycle times
    (the statuses asked for are those); in any other status it is passed over.
    """
    return {
        name: frozenset(
            status
            for transition in registry.get(name).transitions
            if transition.timer is not None
            for status in transition.sources
        )
        for name in registry
    }


def _timed_reach(registry: LifecycleRegistry) -> tuple[frozenset[str], timedelta | None]:
    """Return the statuses a timer can leave, and the smallest timer offset of all lifecycles.

    A timer anchored at the start is due at ``start + offset``; one anchored at
    the end at ``end + offset``, which is later. So every session due by
    ``now`` starts at or before ``now - smallest offset``. Only the lifecycles
    of sessions count: a reschedule request's timer counting from its
    ``filed_at`` says nothing of when a session falls due.
    """
    statuses: set[str] = set()
    offsets: list[timedelta] = []
    for name in registry:
        lifecycle = registry.get(name)
        if lifecycle.subject != "session":
            continue
        for transition in lifecycle.transitions:
            if transition.timer is not None:
                statuses.update(transition.sources)
                # The start-based prefilter only bounds span-anchored timers. A timer
                # counting from a field (created_at, ...) can fall due for a session
                # starting any time, so it lifts the bound: the offset is "unbounded".
                if transition.timer.span_anchored:
                    offsets.append(transition.timer.offset)
                else:
                    offsets.append(_UNBOUNDED)
    return frozenset(statuses), min(offsets, default=None)


def due_reach(registry: LifecycleRegistry, now: datetime) -> tuple[list[str], datetime] | None:
    """Return the statuses a timer leaves and a start bound every session due by ``now`` is under.

    ``None`` when no session lifecycle has a timer. Sessions in those statuses
    starting before the bound are candidates; each one's ``next_due`` decides.
    """
    statuses, smallest = _timed_reach(registry)
    if smallest is None:
        return None
    # now - smallest, clamped so that no timer offset leaves what a datetime holds.
    if smallest <= now - _CAP:
        start_before = _CAP
    elif smallest >= now - _FLOOR:
        start_before = _FLOOR
    else:
        start_before = now - smallest + _TICK
    return sorted(statuses), start_before


def facts_by_session(
    ctx: Context,
    at: datetime,
    sessions: Sequence[Session],
    fail: Callable[[str, Exception], None],
) -> dict[str, Mapping[str, object]] | None:
    """The facts of each of ``sessions`` (``None``: the kit asks none), by session id.

    Asked in a unit of work of their own. The provider is the host's: when it
    fails for them all, each session is asked alone, and one that still fails
    is handed to ``fail`` (its id, the error) and left out, so one bad session holds back neither
    the others nor the job (``advance_due``, the tick).
    """
    if ctx.facts is None:
        return None
    try:
        found: Mapping[str, Mapping[str, object]] | None = _facts(ctx, at, sessions)
    except Exception:  # noqa: BLE001  # asked again one by one, below
        found = None
    if found is not None:
        return {s.id: found.get(s.id, {}) for s in sessions}
    facts: dict[str, Mapping[str, object]] = {}
    for session in sessions:
        try:
            facts[session.id] = _facts(ctx, at, [session]).get(session.id, {})
        except Exception as error:  # noqa: BLE001  # the host's provider: reported, not raised
            fail(session.id, error)
    return facts


def _facts(
    ctx: Context, at: datetime, sessions: Sequence[Session]
) -> Mapping[str, Mapping[str, object]]:
    """The fact provider's answers for ``sessions``, in a unit of work of their own."""
    with ctx.transaction(at) as tx:
        return ctx.facts_for(tx, sessions)


def advance_due(ctx: Context, tenant: str, *, actor: str | None, now: datetime) -> AdvanceReport:
    """Advance the tenant's sessions whose next timed transition is due by ``now``.

    One read finds the candidates; each session then advances in its own unit
    of work, so one failure (a conflict, a concurrent edit, the fact
    provider's error for it) is reported and the rest go on. A session whose
    steps were stored before an event handler raised (the publisher, a
    ``RoomKeeper`` whose provider is down) is in ``advanced`` and ``failed``
    both. Idempotent for the same ``now``.
    """
    check_tenant(tenant)
    check_actor(actor)
    reach = due_reach(ctx.lifecycles, now)
    if reach is None:
        return AdvanceReport(now=now)
    statuses, start_before = reach
    timed = timed_statuses(ctx.lifecycles)
    with ctx.transaction(now) as tx:
        candidates = tx.sessions.due(
            tenant, statuses=statuses, start_before=start_before, lifecycles=timed
        )
        answer = bool(candidates) and requests_due(tx, tenant)
    advanced: list[Session] = []
    failed: list[AdvanceFailure] = []
    facts = facts_by_session(
        ctx,
        now,
        candidates,
        lambda session_id, error: failed.append(AdvanceFailure(session_id=session_id, error=error)),
    )
    for candidate in candidates:
        if facts is not None and candidate.id not in facts:
            continue  # its facts failed: reported
        stored, stepped = candidate, False
        try:
            known = None if facts is None else facts[candidate.id]
            # Only timers due by now are asked: a later one's facts do not exist yet.
            due = ctx.lifecycle(candidate.lifecycle).next_due(candidate, facts=known, by=now)
            if due is None:
                continue
            with ctx.transaction(now) as tx:
                session = tx.sessions.get(tenant, candidate.id)
                stored, stepped = advance_steps(ctx, tx, session, actor, answer=answer)
        except Exception as exc:  # noqa: BLE001  # reported: one session must not stop the job
            failed.append(AdvanceFailure(session_id=candidate.id, error=exc))
            if raised_after_commit(exc):
                # Stored, then an event handler (the publisher, a RoomKeeper) raised: the
                # session moved on all the same, and is reported as both.
                if stepped:
                    advanced.append(stored)
                continue
            try:  # a step refused: the ones due before it stand
                before = advance_before_refusal(ctx, tenant, candidate.id, now, actor, exc)
            except Exception as late:  # noqa: BLE001  # stored, then an event handler raised
                failed.append(AdvanceFailure(session_id=candidate.id, error=late))
                continue
            if before is not None:
                advanced.append(before)
            continue
        if stepped:
            advanced.append(stored)
    return AdvanceReport(now=now, advanced=tuple(advanced), failed=tuple(failed))
