"""Schedule changes and closing: reconcile a series' future sessions instead of recreating them.

Only future sessions (starting at or after the cutoff) in the lifecycle's
initial status, generated (not extra), not detached and without dependents
are ever changed or deleted here; everything else is kept, and a kept session
the new schedule no longer wants is reported as an orphan with the reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs

from sessionkit.lifecycle import Lifecycle
from sessionkit.model.events import (
    DomainEvent,
    SeriesClosed,
    SessionCreated,
    SessionDeleted,
    SessionsRegenerated,
    SessionUpdated,
)
from sessionkit.model.series import Series, SeriesStatus
from sessionkit.model.session import Session
from sessionkit.ports import UnitOfWork
from sessionkit.services._context import Context
from sessionkit.services.generation import BusyIndex, Wanted, plan, wanted_occurrences
from sessionkit.services.reports import CloseReport, Orphan, ReconcileReport, Skipped

__all__ = ["close_in", "reconcile_in"]

_TICK = timedelta(microseconds=1)


def _untouchable(machine: Lifecycle, session: Session) -> str | None:
    """Return why reconciliation must leave ``session`` alone (links aside), or ``None``."""
    if session.is_extra or session.occurrence_key is None:
        return "it is an extra session"
    if session.detached:
        return "it was moved or edited by hand (detached)"
    if session.status != machine.initial:
        return f"its status {session.status!r} is not the initial {machine.initial!r}"
    return None


def _respec(series: Series, session: Session, wanted: Wanted) -> tuple[Session, dict[str, Any]]:
    """Return ``session`` following ``wanted``'s slot, and the old values of what changed."""
    target = {
        "title": wanted.item.title or series.title,
        "span": wanted.span,
        "resources": wanted.item.resources,
        "schedule_item_id": wanted.item.id,
        "tz": wanted.item.recurrence.tz,
    }
    old: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    for name, value in target.items():
        current = getattr(session, name)
        if current == value:
            continue
        changes[name] = value
        if name == "span":
            if session.start != wanted.span.start:
                old["start"] = session.start
            if session.end != wanted.span.end:
                old["end"] = session.end
        else:
            old[name] = current
    return (attrs.evolve(session, **changes) if changes else session), old


def reconcile_in(
    ctx: Context,
    uow: UnitOfWork,
    before: Series,
    after: Series,
    cutoff: datetime,
    *,
    now: datetime,
    actor: str | None,
) -> ReconcileReport:
    """Bring the sessions of ``before`` from ``cutoff`` on in line with ``after``'s schedule.

    Writes the sessions and the series (with ``before``'s version) inside
    ``uow`` and collects the events; the caller commits.
    """
    tenant = before.tenant
    machine = ctx.lifecycle(after.lifecycle)
    existing = uow.sessions.for_series(tenant, before.id)
    future = [s for s in existing if s.start >= cutoff]
    horizon = max(
        [cutoff, *([] if after.generated_until is None else [after.generated_until])]
        + [s.start + _TICK for s in future]
    )
    wanted = wanted_occurrences(after, cutoff, horizon)
    wanted_by_key: dict[datetime, Wanted] = {}
    for w in wanted:
        wanted_by_key.setdefault(w.key, w)

    touchable = [s for s in future if _untouchable(machine, s) is None]
    linked = ctx.blocking_links(touchable)

    deleted: list[Session] = []
    kept: list[Session] = []
    orphans: list[Orphan] = []
    respecs: list[tuple[Session, Session, dict[str, Any]]] = []
    for session in future:
        key = session.occurrence_key
        wish = None if key is None else wanted_by_key.get(key)
        reason = _untouchable(machine, session)
        if reason is None and session.id in linked:
            reason = f"it has dependents ({linked[session.id]})"
        if wish is None and not session.is_extra and key is not None:
            if reason is None:
                deleted.append(session)
            else:
                kept.append(session)
                orphans.append(Orphan(session=session, reason=reason))
            continue
        if wish is not None and reason is None:
            changed, old = _respec(after, session, wish)
            if old:
                respecs.append((session, changed, old))
                continue
        kept.append(session)

    deleted_ids = {s.id for s in deleted}
    busy = BusyIndex.load(uow, tenant, wanted, exclude=deleted_ids)
    updated: list[tuple[Session, Session, dict[str, Any]]] = []
    skipped: list[Skipped] = []
    for session, changed, old in respecs:
        hit = (
            busy.blocker(changed.span, changed.resources, exclude=session.id)
            if changed.busy
            else None
        )
        if hit is not None:
            wish = wanted_by_key[session.occurrence_key]  # type: ignore[index]  # generated
            skipped.append(
                Skipped(
                    series_id=after.id,
                    item_id=wish.item.id,
                    key=wish.key,
                    span=wish.span,
                    reason="conflict",
                    blocking=hit[0],
                    resource=hit[1],
                )
            )
            kept.append(session)
            continue
        busy.add(changed)
        updated.append((session, changed, old))

    held = {s.occurrence_key for s in existing if s.id not in deleted_ids}
    missing = [w for w in wanted if w.key not in held]
    holders = [s for s in existing if s.id not in deleted_ids]
    created, more_skipped = plan(
        ctx, after, missing, holders=holders, busy=busy, now=now, actor=actor
    )
    skipped.extend(more_skipped)

    events: list[DomainEvent] = []
    for session in deleted:
        uow.sessions.delete(tenant, session.id, expected_version=session.version)
        events.append(SessionDeleted(tenant=tenant, actor=actor, at=now, session=session))
    stored_updates: list[Session] = []
    for session, changed, old in updated:
        stored = uow.sessions.update(
            attrs.evolve(changed, updated_at=now, updated_by=actor),
            expected_version=session.version,
        )
        stored_updates.append(stored)
        events.append(SessionUpdated(tenant=tenant, actor=actor, at=now, session=stored, old=old))
    if created:
        uow.sessions.add_many(created)
    events.extend(SessionCreated(tenant=tenant, actor=actor, at=now, session=s) for s in created)
    uow.series.update(after, expected_version=before.version)
    events.append(
        SessionsRegenerated(
            tenant=tenant,
            actor=actor,
            at=now,
            series_id=after.id,
            created=len(created),
            deleted=len(deleted),
            kept=len(kept) + len(stored_updates),
            orphaned=len(orphans),
            skipped=len(skipped),
            updated=len(stored_updates),
        )
    )
    uow.collect(events)
    return ReconcileReport(
        tenant=tenant,
        series_id=after.id,
        cutoff=cutoff,
        created=tuple(created),
        updated=tuple(stored_updates),
        deleted=tuple(deleted),
        kept=tuple(sorted(kept, key=lambda s: (s.start, s.id))),
        orphans=tuple(orphans),
        skipped=tuple(skipped),
    )


def close_in(
    ctx: Context,
    uow: UnitOfWork,
    series: Series,
    cutoff: datetime,
    *,
    now: datetime,
    actor: str | None,
) -> CloseReport:
    """Close ``series`` inside ``uow``: delete its removable sessions from ``cutoff`` on.

    Removable: in the lifecycle's initial status and without dependents
    (extra and detached sessions included, as the LMS seed does).
    """
    tenant = series.tenant
    machine = ctx.lifecycle(series.lifecycle)
    future = uow.sessions.for_series(tenant, series.id, start_from=cutoff)
    candidates = [s for s in future if s.status == machine.initial]
    linked = ctx.blocking_links(candidates)
    deleted: list[Session] = []
    kept: list[Orphan] = []
    events: list[DomainEvent] = []
    for session in future:
        if session.status != machine.initial:
            reason = f"its status {session.status!r} is not the initial {machine.initial!r}"
        elif session.id in linked:
            reason = f"it has dependents ({linked[session.id]})"
        else:
            uow.sessions.delete(tenant, session.id, expected_version=session.version)
            deleted.append(session)
            events.append(SessionDeleted(tenant=tenant, actor=actor, at=now, session=session))
            continue
        kept.append(Orphan(session=session, reason=reason))
    closed = attrs.evolve(series, status=SeriesStatus.CLOSED, updated_at=now, updated_by=actor)
    uow.series.update(closed, expected_version=series.version)
    events.append(
        SeriesClosed(
            tenant=tenant,
            actor=actor,
            at=now,
            series_id=series.id,
            deleted=len(deleted),
            kept=len(kept),
        )
    )
    uow.collect(events)
    return CloseReport(tenant=tenant, series_id=series.id, deleted=tuple(deleted), kept=tuple(kept))
