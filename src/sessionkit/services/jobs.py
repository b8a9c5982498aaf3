"""The clock's work: advance every session whose timed transition fell due (``advance_due``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sessionkit.lifecycle import LifecycleRegistry
from sessionkit.model.text import check_actor, check_tenant
from sessionkit.services._context import Context
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
    ``now`` starts at or before ``now - smallest offset``.
    """
    statuses: set[str] = set()
    offsets: list[timedelta] = []
    for name in registry:
        for transition in registry.get(name).transitions:
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

    ``None`` when no lifecycle has a timer. Sessions in those statuses
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


def advance_due(ctx: Context, tenant: str, *, actor: str | None, now: datetime) -> AdvanceReport:
    """Advance the tenant's sessions whose next timed transition is due by ``now``.

    One read finds the candidates; each session then advances in its own unit
    of work, so one failure (a conflict, a concurrent edit) is reported and
    the rest go on. Idempotent for the same ``now``.
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
        facts = ctx.facts_for(tx, candidates) if ctx.facts is not None else None
        answer = bool(candidates) and requests_due(tx, tenant)
    advanced = []
    failed = []
    for candidate in candidates:
        try:
            known = None if facts is None else facts.get(candidate.id, {})
            # Only timers due by now are asked: a later one's facts do not exist yet.
            due = ctx.lifecycle(candidate.lifecycle).next_due(candidate, facts=known, by=now)
            if due is None:
                continue
            with ctx.transaction(now) as tx:
                session = tx.sessions.get(tenant, candidate.id)
                stored, stepped = advance_steps(ctx, tx, session, actor, answer=answer)
        except Exception as exc:  # noqa: BLE001  # reported: one session must not stop the job
            failed.append(AdvanceFailure(session_id=candidate.id, error=exc))
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
