"""Closing a series: its removable sessions from a cutoff on are deleted, the rest kept.

Private to the services package; ``kit.series.close`` and the group commands
run :func:`close_in` inside their unit of work.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from sessionkit.model.events import DomainEvent, SeriesClosed, SessionDeleted
from sessionkit.model.series import Series, SeriesStatus
from sessionkit.model.session import Session
from sessionkit.services._context import Context, Tx
from sessionkit.services._editing import lock_sessions
from sessionkit.services.reports import CloseReport, Orphan

__all__ = ["close_in"]


def close_in(
    ctx: Context,
    tx: Tx,
    series: Series,
    cutoff: datetime,
    *,
    actor: str | None,
) -> CloseReport:
    """Close ``series`` inside ``tx``: delete its removable sessions from ``cutoff`` on.

    Removable: in the lifecycle's initial status and without dependents
    (extra and detached sessions included, as the LMS seed does).
    """
    tenant, now = series.tenant, tx.now
    machine = ctx.lifecycle(series.lifecycle)
    future = tx.sessions.for_series(tenant, series.id, start_from=cutoff)
    # Locked before their bookings are counted, as a booking locks its session first.
    locked = lock_sessions(tx, [s for s in future if s.status == machine.entry_status])
    future = [locked.get(session.id, session) for session in future]
    candidates = [s for s in future if s.status == machine.entry_status]
    linked = ctx.blocking_links(tx, candidates)
    deleted: list[Session] = []
    kept: list[Orphan] = []
    events: list[DomainEvent] = []
    for session in future:
        if session.status != machine.entry_status:
            reason = (
                f"its status {session.status!r} is not the entry status {machine.entry_status!r}"
            )
        elif session.id in linked:
            reason = f"it has dependents ({linked[session.id]})"
        else:
            tx.sessions.delete(tenant, session.id, expected_version=session.version)
            deleted.append(session)
            events.append(SessionDeleted(tenant=tenant, actor=actor, at=now, session=session))
            continue
        kept.append(Orphan(session=session, reason=reason))
    closed = attrs.evolve(series, status=SeriesStatus.CLOSED, updated_at=now, updated_by=actor)
    tx.series.update(closed, expected_version=series.version)
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
    tx.collect(events)
    return CloseReport(tenant=tenant, series_id=series.id, deleted=tuple(deleted), kept=tuple(kept))
