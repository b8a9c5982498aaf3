"""Series commands: create a series, materialise windows, top up, change the schedule, close.

These are the LMS seed's ``SessionGenerationService``, its weekly maintenance
job and its group/class listeners, as plain calls a host wires to its own
events and scheduler.

This module owns :class:`SeriesCommands` and what makes sessions (create,
create_many, materialise, the top-up). Changing a series that exists
(:meth:`SeriesCommands.change_schedule`, :meth:`SeriesCommands.close`,
methods its class body takes as attributes) is in
:mod:`sessionkit.services._series_change`; the window a top-up fills
(:func:`top_up_window`, exported here) in :mod:`sessionkit.services._series_window`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from sessionkit.model.series import ScheduleItem, Series, WindowPolicy
from sessionkit.model.text import (
    check_actor,
    check_flag,
    check_optional_id,
    check_tenant,
)
from sessionkit.services import _series_change, fields
from sessionkit.services._collector import collector_paused
from sessionkit.services._context import (
    Context,
    Tx,
    raised_after_commit,
    retried,
)
from sessionkit.services._series_change import active_series, series_args
from sessionkit.services._series_window import (
    top_up_window as top_up_window,  # exported, as before the split: the tick imports it here
)
from sessionkit.services.bulk import (
    SeriesSpec,
    create_many_in,
    initial_window,
    new_series,
    specs_list,
)
from sessionkit.services.generation import materialise_in
from sessionkit.services.reports import (
    MaterialiseReport,
    TopUpFailure,
    TopUpReport,
)
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_instant

__all__ = ["SeriesCommands"]


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
        series_args(tenant, series_id, actor, None)
        window = TimeSpan(check_instant(start, "start"), check_instant(end, "end"))
        ctx.limits.check_window(window.start, window.end, "the window to materialise")
        with ctx.transaction(planned=True) as tx:
            series = active_series(tx, tenant, series_id)
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

    change_schedule = _series_change.change_schedule
    close = _series_change.close

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


# Show (and pickle) what moved to a private module under this public path, as before.
top_up_window.__module__ = __name__
# The methods the class body took from _series_change show as its own, and their type hints
# (``self: SeriesCommands``) resolve there: FastAPI and get_type_hints read them.
for _name in ("change_schedule", "close"):
    _method = vars(SeriesCommands)[_name]
    while _method is not None:  # the @retried wrapper and the function it wraps
        _method.__module__, _method.__qualname__ = __name__, f"SeriesCommands.{_name}"
        _method = getattr(_method, "__wrapped__", None)
vars(_series_change)["SeriesCommands"] = SeriesCommands
