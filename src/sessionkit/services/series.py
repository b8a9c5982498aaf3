"""Series commands: create a series, materialise windows, top up, change the schedule, close.

These are the LMS seed's ``SessionGenerationService``, its weekly maintenance
job and its group/class listeners, as plain calls a host wires to its own
events and scheduler.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from sessionkit.errors import SeriesClosedError
from sessionkit.model.series import ScheduleItem, Series, WindowPolicy, item_tuple
from sessionkit.model.session import check_capacity
from sessionkit.model.text import (
    check_actor,
    check_flag,
    check_id,
    check_optional_id,
    check_tenant,
)
from sessionkit.services import fields
from sessionkit.services._closing import close_in
from sessionkit.services._collector import collector_paused
from sessionkit.services._context import (
    Context,
    Tx,
    check_record_version,
    check_version,
    raised_after_commit,
    retried,
)
from sessionkit.services._series_time import check_begin, months_after, series_start, series_zone
from sessionkit.services.bulk import (
    SeriesSpec,
    create_many_in,
    initial_window,
    new_series,
    specs_list,
)
from sessionkit.services.generation import check_keys, materialise_in, wanted_occurrences
from sessionkit.services.reconcile import keep_schedule_until, reconcile_in
from sessionkit.services.reports import (
    CloseReport,
    MaterialiseReport,
    ReconcileReport,
    TopUpFailure,
    TopUpReport,
)
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_instant

__all__ = ["SeriesCommands"]

_PAST_BUFFER = timedelta(days=1)
"""How far past its buffer a top-up fills a series at least.

A series whose ``initial_months`` do not reach past its ``buffer`` (the
marketplace's: a month ahead, five weeks kept) was refilled to exactly the
buffer: a second later less than the buffer lay ahead, so every tick topped
it up again (no session made, a version written, ``idle`` never true, and
``tick --until-idle`` never ended). Filled a day past it, it is due once a day.
"""


def _check_version(series: Series, expected_version: int | None) -> None:
    check_record_version(series.id, series.version, expected_version)


def _active(tx: Tx, tenant: str, series_id: str) -> Series:
    series = tx.series.get(tenant, series_id)
    if not series.is_active:
        raise SeriesClosedError(series.id)
    return series


def _series_args(
    tenant: object, series_id: object, actor: object, expected_version: object
) -> None:
    """Check the arguments every command on one series takes."""
    check_tenant(tenant)
    check_id(series_id, "series_id")
    check_actor(actor)
    check_version(expected_version)


def top_up_window(series: Series, now: datetime) -> tuple[datetime, datetime] | None:
    """Return the ``(from, to)`` a top-up at ``now`` generates for ``series``, or ``None``.

    ``None`` for an inactive series, or one with at least ``window.buffer``
    generated ahead of ``now``; so the tick claims only the series due.
    """
    if not series.is_active:
        return None
    begin = check_begin(series, max(now, series_start(series)))
    reached = series.generated_until
    if reached is not None and reached - begin >= series.window.buffer:
        return None
    target = _refill_end(series, begin)
    lo = begin if reached is None else max(reached, begin)
    if lo >= target:
        return None
    return lo, target


def _refill_end(series: Series, begin: datetime) -> datetime:
    """Where a top-up from ``begin`` fills ``series``: months ahead, or a day past its buffer."""
    return max(
        months_after(begin, series.window.initial_months, series_zone(series)),
        begin + series.window.buffer + _PAST_BUFFER,
    )


def _check_ahead(ctx: Context, series: Series, cutoff: datetime) -> None:
    """Check the window the first top-up of ``series`` from ``cutoff`` on will generate.

    A change whose cutoff lies past all that is generated has nothing to
    reconcile, so nothing checked its items: two zones at one local time
    (:func:`check_keys`) or a rule too dense for a window (``LimitExceeded``)
    went through, to be skipped silently or fail every top-up. They are
    refused now, as for a change effective at once.
    """
    begin = check_begin(series, max(cutoff, series_start(series)))
    end = _refill_end(series, begin)
    check_keys(series, wanted_occurrences(series, begin, end, ctx.limits))


class SeriesCommands:
    """Commands on series and their generated sessions; each takes the tenant and the actor."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @retried
    def create(
        self,
        tenant: str,
        *,
        actor: str | None,
        title: str,
        items: Iterable[ScheduleItem],
        lifecycle: str = "lms",
        window: WindowPolicy | None = None,
        capacity: int = 1,
        metadata: Mapping[str, Any] | None = None,
        series_id: str | None = None,
        group: str | None = None,
    ) -> tuple[Series, MaterialiseReport]:
        """Create a series and materialise its initial window; return both.

        The window starts at the later of the series' first possible start and
        now, and runs ``window.initial_months`` calendar months in the zone of
        the first schedule item. Raises ``InvalidValue`` (no items, duplicate
        item ids, a long title), ``UnknownLifecycle`` and ``DuplicateSeries``
        for an existing id. ``group`` files the series (and its sessions)
        under a group; see :meth:`close_group`.
        """
        ctx = self._ctx
        check_tenant(tenant)
        check_actor(actor)
        check_optional_id(series_id, "series_id")
        spec = SeriesSpec(
            title=title,
            items=items,
            lifecycle=lifecycle,
            window=window,
            capacity=capacity,
            metadata=metadata,
            series_id=series_id,
            group=group,
        )
        ctx.session_lifecycle(lifecycle)  # an unknown or unfit lifecycle costs no id
        with ctx.transaction(planned=True) as tx:
            series = new_series(
                ctx,
                tenant,
                spec,
                series_id=ctx.ids() if series_id is None else series_id,
                now=tx.now,
                actor=actor,
            )
            span = initial_window(series, tx.now, ctx.limits)
            series = attrs.evolve(series, generated_until=span.end)
            tx.series.add(series)
            report = materialise_in(ctx, tx, series, span, actor=actor, check=True)
        return series, report

    @retried
    def create_many(
        self,
        tenant: str,
        *,
        actor: str | None,
        specs: Iterable[SeriesSpec],
        pause_gc: bool = True,
    ) -> list[tuple[Series, MaterialiseReport]]:
        """Create many series and their initial windows in one unit of work; return each.

        The result, the stored sessions and the events are those of calling
        :meth:`create` once per spec, in the order given: a series' occurrences
        that collide with an earlier series of the batch are skipped and
        reported as conflicts. It is all or nothing, though: an invalid spec,
        or ``DuplicateSeries`` for an id that exists (or repeats in ``specs``),
        stores none of them. Storage sees one read of the busy sessions of
        every resource in the batch and one bulk insert of its sessions.

        CPython's cyclic garbage collector is paused while the batch is planned
        and written (``pause_gc``, default ``True``; not while its events are
        published): everything a batch builds stays alive until it is
        written, so the collector's full passes over the process's heap find
        nothing to free and cost a fifth of a 17,000-session batch. The pause
        is process-wide; pass ``pause_gc=False`` to leave the collector running
        (see :mod:`sessionkit.services._collector`).
        """
        ctx = self._ctx
        check_tenant(tenant)
        check_actor(actor)
        pause = check_flag(pause_gc, "pause_gc")
        batch = specs_list(specs)
        with ctx.transaction(planned=True) as tx, collector_paused(bool(pause)):
            # Planning and writing only: the commit's event handlers run as usual.
            return create_many_in(ctx, tx, tenant, batch, actor=actor)

    @retried
    def materialise(
        self,
        tenant: str,
        series_id: str,
        *,
        actor: str | None,
        start: datetime,
        end: datetime,
    ) -> MaterialiseReport:
        """Create the series' sessions starting in ``[start, end)``; skip and report the rest.

        Occurrences that already have a session, or whose resources are busy
        (also with sessions created earlier in the same batch), are skipped
        with the reason and the blocking session. ``generated_until`` moves to
        ``end`` when the window continues what was generated. Raises
        ``SeriesNotFound`` and ``SeriesClosedError``.
        """
        ctx = self._ctx
        _series_args(tenant, series_id, actor, None)
        window = TimeSpan(check_instant(start, "start"), check_instant(end, "end"))
        ctx.limits.check_window(window.start, window.end, "the window to materialise")
        with ctx.transaction(planned=True) as tx:
            series = _active(tx, tenant, series_id)
            report = materialise_in(ctx, tx, series, window, actor=actor)
            reached = series.generated_until
            if reached is None or (window.start <= reached < window.end):
                tx.series.update(
                    attrs.evolve(series, generated_until=window.end),
                    expected_version=series.version,
                )
        return report

    def top_up(
        self, tenant: str | None, *, actor: str | None, now: datetime | None = None
    ) -> TopUpReport:
        """Keep every active series (of ``tenant``, or of all tenants for ``None``) generated ahead.

        A series with less than ``window.buffer`` generated ahead of ``now``
        is refilled up to ``window.initial_months`` calendar months ahead, and
        at least a day past the buffer (so one whose buffer reaches past its
        months is due once a day, not at every tick). Idempotent: a second run
        at the same instant changes nothing. Each series is its own unit of work; one that
        fails is reported in ``failed`` and does not stop the others. A series refilled
        before the publisher raised is in ``refilled`` and ``failed`` both.
        """
        ctx = self._ctx
        if tenant is not None:
            check_tenant(tenant)
        check_actor(actor)
        at = ctx.at(now, "now")
        with ctx.transaction(at) as tx:
            candidates = [(s.tenant, s.id) for s in tx.series.active(tenant)]
        refilled: list[MaterialiseReport] = []
        failed: list[TopUpFailure] = []
        for series_tenant, series_id in candidates:
            made: list[MaterialiseReport | None] = []
            try:
                report = self._top_up_one(series_tenant, series_id, at, actor, made)
            except Exception as exc:  # noqa: BLE001  # reported: one series must not stop the job
                failed.append(TopUpFailure(tenant=series_tenant, series_id=series_id, error=exc))
                if not raised_after_commit(exc) or not made or made[-1] is None:
                    continue
                # Stored, then an event handler (the publisher) raised: the series was
                # refilled all the same, and is reported as both.
                report = made[-1]
            if report is not None:
                refilled.append(report)
        return TopUpReport(
            now=at, checked=len(candidates), refilled=tuple(refilled), failed=tuple(failed)
        )

    @retried
    def _top_up_one(
        self,
        tenant: str,
        series_id: str,
        at: datetime,
        actor: str | None,
        made: list[MaterialiseReport | None],
    ) -> MaterialiseReport | None:
        """Top up one series in a unit of its own; its report is also appended to ``made``.

        There the caller finds it when the unit committed and the publisher raised.
        """
        with self._ctx.transaction(at, planned=True) as tx:
            report = self.top_up_in(tx, tx.series.get(tenant, series_id), actor=actor)
            made.append(report)
            return report

    def top_up_in(self, tx: Tx, series: Series, *, actor: str | None) -> MaterialiseReport | None:
        """Refill ``series`` inside ``tx`` if less than its buffer is generated ahead of ``tx.now``.

        Returns the report, or ``None`` when nothing was due (an inactive
        series, or one far enough ahead). The tick calls it on series it claimed.
        """
        ctx = self._ctx
        window = top_up_window(series, tx.now)
        if window is None:
            return None
        lo, target = window
        ctx.limits.check_window(lo, target, f"the window to top up series {series.id!r}")
        report = materialise_in(ctx, tx, series, TimeSpan(lo, target), actor=actor)
        tx.series.update(
            attrs.evolve(series, generated_until=target), expected_version=series.version
        )
        return report

    @retried
    def change_schedule(
        self,
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
        _series_args(tenant, series_id, actor, expected_version)
        new_items = item_tuple(items)
        if capacity is not None:
            check_capacity(capacity)
        with ctx.transaction(planned=True) as tx:
            cutoff = max(tx.now, ctx.at(effective_from, "effective_from"))
            before = _active(tx, tenant, series_id)
            _check_version(before, expected_version)
            before = keep_schedule_until(ctx, tx, before, cutoff, actor)
            after = attrs.evolve(
                before,
                items=new_items,
                capacity=before.capacity if capacity is None else capacity,
                updated_at=tx.now,
                updated_by=actor,
            )
            if before.generated_until is None or before.generated_until <= cutoff:
                _check_ahead(ctx, after, cutoff)
            else:  # a start past LATEST has nothing to reconcile, and would fail every top-up
                check_begin(after, max(cutoff, series_start(after)))
            return reconcile_in(ctx, tx, before, after, cutoff, actor=actor)

    @retried
    def close(
        self,
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
        _series_args(tenant, series_id, actor, expected_version)
        with ctx.transaction() as tx:
            series = _active(tx, tenant, series_id)
            _check_version(series, expected_version)
            return close_in(ctx, tx, series, tx.now, actor=actor)

    @retried
    def set_fields(
        self,
        tenant: str,
        series_id: str,
        *,
        actor: str | None,
        set: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
        expected_version: int | None = None,
    ) -> Series:
        """Set and remove the series' own fields (``metadata``); return the stored series.

        As :meth:`SessionCommands.set_fields`, also on a closed series; the
        series' sessions keep their own fields. Emits ``SeriesUpdated``.
        """
        return fields.set_fields(
            self._ctx,
            Series,
            tenant,
            series_id,
            actor=actor,
            set=set,
            remove=remove,
            expected_version=expected_version,
        )

    @retried
    def close_group(self, tenant: str, group: str, *, actor: str | None) -> fields.GroupCloseReport:
        """Close every active series of ``group`` in one unit of work (all or nothing).

        Returns each series' :class:`CloseReport`; emits what :meth:`close`
        emits, per series.
        """
        return fields.close_group(self._ctx, tenant, group, actor=actor)
