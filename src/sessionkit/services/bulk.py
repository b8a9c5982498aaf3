"""Creating many series at once: one unit of work, one conflict read, one bulk insert.

:meth:`~sessionkit.services.series.SeriesCommands.create` costs a unit of work
per series (about a dozen statements and a commit, so an fsync, each): fine for
a person creating a class, slow for an import of thousands. :func:`create_many_in`
creates a batch of series in one unit of work: it reads the busy sessions of
every resource of the batch over the union of their windows once, plans the
series in the order given against one :class:`~sessionkit.services.generation.BusyIndex`
(so a series sees the sessions of the series before it, as it would had they
been created one by one) and stores every planned session with one ``add_many``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from sessionkit.errors import DuplicateSeries, LimitExceeded, WrongType
from sessionkit.limits import DEFAULT_LIMITS, Limits
from sessionkit.model.fields import check_fields
from sessionkit.model.series import ScheduleItem, Series, WindowPolicy, item_tuple
from sessionkit.model.session import Session
from sessionkit.services._context import (
    Context,
    Tx,
)
from sessionkit.services._series_time import check_begin, months_after, series_start, series_zone
from sessionkit.services._usage import assign_codes
from sessionkit.services.generation import (
    BusyIndex,
    Wanted,
    check_keys,
    plan,
    record_materialised,
    wanted_occurrences,
)
from sessionkit.services.reports import MaterialiseReport, Skipped
from sessionkit.timespan import TimeSpan

__all__ = [
    "SeriesSpec",
    "create_many_in",
    "initial_window",
    "new_series",
    "specs_list",
]

_PENDING_ID = "pending"
"""Stands in for a generated id until the series' turn, so ids come in the order of create."""


def specs_list(specs: object) -> list[SeriesSpec]:
    """Return ``specs`` as a list of :class:`SeriesSpec`; raise ``WrongType`` otherwise."""
    if isinstance(specs, (str, bytes, Mapping)) or not isinstance(specs, Iterable):
        raise WrongType(specs, name="specs", expected="a list of SeriesSpecs")
    batch = list(specs)
    for spec in batch:
        if not isinstance(spec, SeriesSpec):
            raise WrongType(spec, name="a spec", expected="a SeriesSpec")
    return batch


@attrs.frozen(kw_only=True)
class SeriesSpec:
    """One series to create with :meth:`~sessionkit.services.SeriesCommands.create_many`.

    The fields are the arguments of :meth:`~sessionkit.services.SeriesCommands.create`,
    with the same defaults.
    """

    title: str
    items: tuple[ScheduleItem, ...] = attrs.field(converter=item_tuple)
    lifecycle: str = "lms"
    window: WindowPolicy | None = None
    capacity: int = 1
    metadata: Mapping[str, Any] | None = attrs.field(default=None, converter=check_fields)
    series_id: str | None = None
    group: str | None = None


def new_series(
    ctx: Context, tenant: str, spec: SeriesSpec, *, series_id: str, now: datetime, actor: str | None
) -> Series:
    """Return the series ``spec`` describes, created now by ``actor`` (not stored).

    Raises ``UnknownLifecycle`` and ``InvalidValue`` as :class:`~sessionkit.model.Series` does.
    """
    machine = ctx.session_lifecycle(spec.lifecycle)
    return Series(
        id=series_id,
        tenant=tenant,
        title=spec.title,
        items=spec.items,
        lifecycle=machine.name,
        created_at=now,
        created_by=actor,
        window=WindowPolicy() if spec.window is None else spec.window,
        capacity=spec.capacity,
        metadata=spec.metadata,
        group=spec.group,
    )


def initial_window(series: Series, now: datetime, limits: Limits = DEFAULT_LIMITS) -> TimeSpan:
    """Return the window a new series materialises first.

    It starts at the later of the series' first possible start and ``now`` and
    runs ``window.initial_months`` calendar months in the first item's zone.
    Raises ``LimitExceeded`` when that window or the policy's ``buffer`` (the
    window ``top_up`` keeps ahead) is longer than ``limits.window``, and
    ``InvalidValue`` for a series that starts after ``LATEST``.
    """
    begin = check_begin(series, max(now, series_start(series)))
    policy = series.window
    span = TimeSpan(begin, months_after(begin, policy.initial_months, series_zone(series)))
    limits.check_window(
        span.start, span.end, f"the initial window (initial_months={policy.initial_months})"
    )
    if policy.buffer > limits.window:
        raise LimitExceeded(
            "window", policy.buffer, limits.window, what="the series' window.buffer"
        )
    return span


class _InOrder(BusyIndex):
    """A busy index that reports the blocker sequential creates would have reported.

    Created one by one, series ``k`` reads the stored busy sessions (including
    those of the series before it) by start then id, and then adds its own; here
    they all share one index in the order they were planned. Among blockers that
    start together, this picks the one the sequential read would have put first.
    """

    def __init__(self) -> None:
        super().__init__()
        self.current: str | None = None
        """The id of the series being planned."""

    def choose(self, keys: Sequence[str]) -> str:
        sessions = self.sessions
        start = sessions[keys[0]].span.start
        tied = [k for k in keys if sessions[k].span.start == start]
        stored = [k for k in tied if sessions[k].series_id != self.current]
        return min(stored) if stored else tied[0]


def create_many_in(
    ctx: Context,
    tx: Tx,
    tenant: str,
    specs: Sequence[SeriesSpec],
    *,
    actor: str | None,
) -> list[tuple[Series, MaterialiseReport]]:
    """Create the series of ``specs`` and their initial windows inside ``tx``, in order.

    Every series is built and expanded before anything is written, so an
    invalid spec stores nothing. Occurrences are skipped and reported exactly
    as ``create`` would one series after another; the caller commits.
    """
    now = tx.now
    total = 0
    drafts: list[tuple[SeriesSpec, Series, TimeSpan, list[Wanted]]] = []
    given: set[str] = set()
    for spec in specs:
        draft = new_series(
            ctx,
            tenant,
            spec,
            series_id=_PENDING_ID if spec.series_id is None else spec.series_id,
            now=now,
            actor=actor,
        )
        if spec.series_id is not None:  # checked by the draft: an id
            if draft.id in given:  # else the insert said it "already exists", and none did
                raise DuplicateSeries(draft.id, tenant, repeated=True)
            given.add(draft.id)
        window = initial_window(draft, now, ctx.limits)
        wanted = wanted_occurrences(draft, window.start, window.end, ctx.limits)
        check_keys(draft, wanted)
        drafts.append((spec, draft, window, wanted))
        total += len(wanted)
        ctx.limits.check_count(
            "sessions_per_materialisation",
            total,
            f"occurrences of the {len(drafts)} series of the batch (counted so far)",
        )
    # One read for the whole batch: every resource, over the union of the windows.
    busy = _InOrder.load(tx, tenant, [w for *_, wanted in drafts for w in wanted])
    made: list[tuple[Series, TimeSpan, list[Session], list[Skipped]]] = []
    # Planned drafts are dropped as we go: their occurrences are garbage once planned, and
    # a batch's worth kept alive to the insert made the collector scan them again and again.
    drafts.reverse()
    while drafts:
        spec, draft, window, wanted = drafts.pop()
        series_id = ctx.ids() if spec.series_id is None else spec.series_id
        series = attrs.evolve(draft, id=series_id, generated_until=window.end)
        busy.current = series.id
        # A new series has no sessions yet, so nothing can hold one of its occurrences.
        created, skipped = plan(ctx, series, wanted, holders=(), busy=busy, now=now, actor=actor)
        del wanted
        made.append((series, window, created, skipped))
    tx.series.add_many([series for series, *_ in made])
    sessions = [s for *_, created, _ in made for s in created]
    if sessions:
        coded = {s.id: s for s in assign_codes(ctx, tx, sessions)}
        made = [(sr, w, [coded[s.id] for s in c], sk) for sr, w, c, sk in made]
        tx.sessions.add_many([coded[s.id] for s in sessions])
    return [
        (series, record_materialised(tx, series, window, created, skipped, actor=actor))
        for series, window, created, skipped in made
    ]
