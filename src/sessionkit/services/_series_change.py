"""Changing a series that exists: its schedule from a cutoff on, or its end (close).

Private to the services package. :func:`change_schedule` and :func:`close` are
methods of :class:`~sessionkit.services.series.SeriesCommands` (its class body
takes them as attributes). The checks every command on one series begins with
(:func:`series_args`, :func:`active_series`, :func:`check_series_version`) are
here too, and :mod:`sessionkit.services.series` imports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from sessionkit.errors import SeriesClosedError
from sessionkit.model.series import ScheduleItem, Series, item_tuple
from sessionkit.model.session import check_capacity
from sessionkit.model.text import check_actor, check_id, check_tenant
from sessionkit.services._closing import close_in
from sessionkit.services._context import Tx, check_record_version, check_version, retried
from sessionkit.services._series_time import check_begin, series_start
from sessionkit.services._series_window import check_ahead
from sessionkit.services.reconcile import keep_schedule_until, reconcile_in
from sessionkit.services.reports import CloseReport, ReconcileReport

if TYPE_CHECKING:
    from sessionkit.services.series import SeriesCommands

__all__ = ["active_series", "change_schedule", "check_series_version", "close", "series_args"]


def check_series_version(series: Series, expected_version: int | None) -> None:
    check_record_version(series.id, series.version, expected_version)


def active_series(tx: Tx, tenant: str, series_id: str) -> Series:
    series = tx.series.get(tenant, series_id)
    if not series.is_active:
        raise SeriesClosedError(series.id)
    return series


def series_args(tenant: object, series_id: object, actor: object, expected_version: object) -> None:
    """Check the arguments every command on one series takes."""
    check_tenant(tenant)
    check_id(series_id, "series_id")
    check_actor(actor)
    check_version(expected_version)


@retried
def change_schedule(
    self: SeriesCommands,
    tenant: str,
    series_id: str,
    *,
    actor: str | None,
    items: Iterable[ScheduleItem],
    effective_from: datetime | None = None,
    expected_version: int | None = None,
    capacity: int | None = None,
) -> ReconcileReport:
    """Replace the schedule items "this and following" from ``effective_from`` (default now).

    ``capacity`` (default: the series' own) is the seats of the sessions
    generated from then on; the still-wanted sessions the change may
    update (initial status, generated, not detached, without dependents)
    take it too, and the others keep theirs (a booked session's seats are
    changed with ``kit.sessions.update(capacity=)``). It is checked as
    ``create`` checks it: a positive integer, at most the booking rules'
    ``max_capacity`` (``InvalidValue``), which a change that lowers it
    mends when the rules were lowered after the series was made.

    Reconciles instead of deleting and recreating, all in one unit of
    work: still-wanted future sessions keep their ids (and follow a changed
    duration, resources or title); obsolete ones are deleted only when in
    the initial status, generated, not detached and without dependents,
    else kept and reported as orphans; missing ones are created (skipping
    conflicts). Sessions before the cutoff (the later of
    ``effective_from`` and now) and in any other status are never touched.
    Until a future cutoff the old schedule stands: weeks before it that
    were not generated yet are generated with the old items first (their
    ``SessionCreated`` events go out; the report is the reconcile's), so no
    later top-up fills them from the new ones, and the new items are
    checked over the window their first top-up will generate. A kept
    session the new schedule no longer gives takes the key of the
    occurrence it stands for on its local day (``SessionUpdated``).
    """
    ctx = self._ctx
    series_args(tenant, series_id, actor, expected_version)
    new_items = item_tuple(items)
    if capacity is not None:
        check_capacity(capacity)
    with ctx.transaction(planned=True) as tx:
        cutoff = max(tx.now, ctx.at(effective_from, "effective_from"))
        before = active_series(tx, tenant, series_id)
        check_series_version(before, expected_version)
        before = keep_schedule_until(ctx, tx, before, cutoff, actor)
        after = attrs.evolve(
            before,
            items=new_items,
            capacity=before.capacity if capacity is None else capacity,
            updated_at=tx.now,
            updated_by=actor,
        )
        if before.generated_until is None or before.generated_until <= cutoff:
            check_ahead(ctx, after, cutoff)
        else:  # a start past LATEST has nothing to reconcile, and would fail every top-up
            check_begin(after, max(cutoff, series_start(after)))
        return reconcile_in(ctx, tx, before, after, cutoff, actor=actor)


@retried
def close(
    self: SeriesCommands,
    tenant: str,
    series_id: str,
    *,
    actor: str | None,
    expected_version: int | None = None,
) -> CloseReport:
    """Close a series (class finished or canceled): it generates nothing any more.

    Its future sessions still in the initial status and without
    dependents are deleted (``SessionDeleted`` each); the rest are kept
    and reported. Emits ``SeriesClosed``. Raises ``SeriesClosedError`` if
    it is closed already.
    """
    ctx = self._ctx
    series_args(tenant, series_id, actor, expected_version)
    with ctx.transaction() as tx:
        series = active_series(tx, tenant, series_id)
        check_series_version(series, expected_version)
        return close_in(ctx, tx, series, tx.now, actor=actor)
