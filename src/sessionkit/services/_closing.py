"""Closing a series: its removable sessions from a cutoff on are deleted, the rest kept.

Private to the services package; ``kit.series.close`` and the group commands
run :func:`close_in` inside their unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from sessionkit.model.events import DomainEvent, SeriesClosed, SessionDeleted
from sessionkit.model.series import Series, SeriesStatus
from sessionkit.model.session import Session
from sessionkit.services._context import Context, Tx
from sessionkit.services._editing import due_status, lock_sessions
from sessionkit.services.reports import CloseReport, Orphan

__all__ = ["close_all_in", "close_in"]


def close_all_in(
    ctx: Context, tx: Tx, many: Sequence[Series], cutoff: datetime, *, actor: str | None
) -> list[CloseReport]:
    """Close each of ``many`` inside ``tx`` (see :func:`close_in`), their sessions locked at once.

    The sessions a close may delete are locked before their bookings are
    counted, as a booking locks its session first; all of them in one pass
    by id, the order every writer locks several sessions in (series by series
    would not be, across series, and could deadlock with one that is).
    """
    futures = {s.id: tx.sessions.for_series(s.tenant, s.id, start_from=cutoff) for s in many}
    removable = [
        session
        for series in many
        for session in futures[series.id]
        if due_status(ctx, tx, session).status == ctx.lifecycle(series.lifecycle).entry_status
    ]
    locked = lock_sessions(tx, removable)
    asked = {session.id for session in removable}
    reports = []
    for series in many:
        # A session deleted meanwhile is gone from the lock's answer: not this close's.
        future = [
            locked.get(s.id, s) for s in futures[series.id] if s.id in locked or s.id not in asked
        ]
        reports.append(_close(ctx, tx, series, future, actor=actor))
    return reports


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
    (extra and detached sessions included, as the LMS seed does). The status
    is the one its timers due by now give it, tick or not, as
    ``kit.sessions.delete`` judges it: a lesson whose READY fell due is kept.
    """
    return close_all_in(ctx, tx, [series], cutoff, actor=actor)[0]


def _close(
    ctx: Context, tx: Tx, series: Series, future: list[Session], *, actor: str | None
) -> CloseReport:
    tenant, now = series.tenant, tx.now
    machine = ctx.lifecycle(series.lifecycle)
    status = {s.id: due_status(ctx, tx, s).status for s in future}
    candidates = [s for s in future if status[s.id] == machine.entry_status]
    linked = ctx.blocking_links(tx, candidates)
    deleted: list[Session] = []
    kept: list[Orphan] = []
    events: list[DomainEvent] = []
    for session in future:
        if status[session.id] != machine.entry_status:
            reason = (
                f"its status {status[session.id]!r} is not the entry status "
                f"{machine.entry_status!r}"
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
