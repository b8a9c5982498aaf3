"""The tick: all due work, for every tenant or one, in claimed batches (``SessionKit.tick``).

One pass does four kinds of work, in this order: ``top_up`` (refill rolling
windows), ``reschedules`` (answer requests past their deadline), ``advance``
(timed status transitions) and ``expire_holds`` (holds and offers that ran
out, seats passed to waitlists). Each batch is one unit of work that first
*claims* its items with :meth:`~sessionkit.ports.Repository.claim` - the
series for a top-up, the sessions for the rest - and then does them under
those locks, so the change that makes an item no longer due commits in the
same transaction as the claim. Workers ticking at once therefore never do an
item twice: on PostgreSQL and MariaDB a held row is skipped (``FOR UPDATE
SKIP LOCKED``) and its holder does it; on SQLite a second writer waits for
the first to commit and then finds the item done. None is skipped: a worker
only passes over items another unit of work holds, and those are done when it
commits (or stay due for the next tick if it rolls back).

A batch that fails is run again item by item, so one bad item is reported
(:class:`TickFailure`) and stays due while the rest are done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

import attrs

from sessionkit.errors import InvalidValue, UnsupportedKind, WrongType
from sessionkit.model.reschedule import AUTO_APPROVED, RescheduleRequest
from sessionkit.model.series import Series
from sessionkit.model.session import Session
from sessionkit.model.text import check_actor, check_tenant
from sessionkit.ports import RESCHEDULES
from sessionkit.services._context import Context, Tx
from sessionkit.services._seats import settle
from sessionkit.services.bookings import check_batch
from sessionkit.services.commands import advance_in
from sessionkit.services.jobs import due_reach
from sessionkit.services.reschedules import RescheduleCommands
from sessionkit.services.series import SeriesCommands, top_up_window

__all__ = ["MAX_TICK_BATCH", "TICK_KINDS", "TickFailure", "TickReport", "due_tenants", "tick"]

TICK_KINDS: tuple[str, ...] = ("top_up", "reschedules", "advance", "expire_holds")
"""The kinds of due work one tick does, in the order it does them."""

MAX_TICK_BATCH = 1000
"""The largest batch (items per unit of work) a tick takes."""

R = TypeVar("R")


@attrs.frozen(slots=True, kw_only=True)
class TickFailure:
    """An item a tick could not do (it stays due), and the error it met.

    ``kind`` is one of :data:`TICK_KINDS`; ``item_id`` the series, session or
    reschedule request id.
    """

    kind: str
    tenant: str
    item_id: str
    error: Exception


@attrs.frozen(slots=True, kw_only=True)
class TickReport:
    """What one tick did (so far, when handed to a progress callback).

    ``topped_up`` series refilled with ``generated`` new sessions;
    ``approved`` and ``lapsed`` reschedule requests (auto-approved, expired
    without a usable time); ``advanced`` sessions moved by their timers;
    ``expired`` holds and offers run out and ``offered`` freed seats passed to
    waitlists. ``held`` counts due items another unit of work held (another
    worker does them), ``failed`` the items left due by an error.
    ``tenants`` were touched (something done), in ``batches`` units of work.
    """

    now: datetime
    topped_up: int = 0
    generated: int = 0
    approved: int = 0
    lapsed: int = 0
    advanced: int = 0
    expired: int = 0
    offered: int = 0
    held: int = 0
    failed: tuple[TickFailure, ...] = ()
    tenants: tuple[str, ...] = ()
    batches: int = 0

    @property
    def done(self) -> int:
        """How many items were done: series, requests, sessions and bookings."""
        return self.topped_up + self.approved + self.lapsed + self.advanced + self.expired

    @property
    def idle(self) -> bool:
        """Whether the tick found nothing to do (failed or held items aside)."""
        return self.done == 0

    def summary(self) -> str:
        """Return the report as one line a person reads (the CLI prints it)."""
        return (
            f"{self.done:,} done in {self.batches:,} batches over {len(self.tenants):,} tenants: "
            f"{self.topped_up:,} series topped up (+{self.generated:,} sessions), "
            f"{self.approved:,} reschedules approved, {self.lapsed:,} lapsed, "
            f"{self.advanced:,} sessions advanced, {self.expired:,} holds expired "
            f"({self.offered:,} seats offered); {self.held:,} held elsewhere, "
            f"{len(self.failed):,} failed"
        )


@attrs.define
class _Counts:
    """Counts of one batch, added to the tick's only once the batch committed."""

    topped_up: int = 0
    generated: int = 0
    approved: int = 0
    lapsed: int = 0
    advanced: int = 0
    expired: int = 0
    offered: int = 0


_FIELDS = tuple(f.name for f in attrs.fields(_Counts))

Claim = Callable[[Tx, list[str]], Sequence[R]]
"""Lock the items of a batch (by key) that no other unit of work holds; return them."""
Work = Callable[[Tx, R, _Counts], None]
"""Do one claimed item inside the batch's unit of work, counting what it did."""


class _Tick:
    """One tick's run: its instant, batch size, tallies and progress callback."""

    def __init__(
        self,
        ctx: Context,
        *,
        at: datetime,
        batch: int,
        actor: str | None,
        progress: Callable[[TickReport], None] | None,
    ) -> None:
        self.ctx = ctx
        self.at = at
        self.batch = batch
        self.actor = actor
        self.progress = progress
        self.counts = _Counts()
        self.held = 0
        self.failed: list[TickFailure] = []
        self.tenants: set[str] = set()
        self.batches = 0

    def report(self) -> TickReport:
        return TickReport(
            now=self.at,
            **{name: getattr(self.counts, name) for name in _FIELDS},
            held=self.held,
            failed=tuple(self.failed),
            tenants=tuple(sorted(self.tenants)),
            batches=self.batches,
        )

    def run(
        self, kind: str, tenant: str, keys: Sequence[str], claim: Claim[R], work: Work[R]
    ) -> None:
        """Claim ``keys`` and do the claimed items in one unit of work; one by one on an error."""

        def attempt(chunk: list[str]) -> tuple[_Counts, int]:
            counts = _Counts()
            with self.ctx.transaction(self.at) as tx:
                claimed = claim(tx, chunk)
                for record in claimed:
                    work(tx, record, counts)
            return counts, len(chunk) - len(claimed)

        wanted = list(dict.fromkeys(keys))
        try:
            self._add(tenant, *self.ctx.retrying(attempt, wanted))
        except Exception as error:  # noqa: BLE001  # one item must not stop the tick
            if len(wanted) == 1:
                self.fail(kind, tenant, wanted[0], error)
            else:
                for key in wanted:
                    try:
                        self._add(tenant, *self.ctx.retrying(attempt, [key]))
                    except Exception as one:  # noqa: BLE001  # reported; the item stays due
                        self.fail(kind, tenant, key, one)
        if self.progress is not None:
            self.progress(self.report())

    def _add(self, tenant: str, counts: _Counts, held: int) -> None:
        self.batches += 1
        self.held += held
        done = False
        for name in _FIELDS:
            value = getattr(counts, name)
            done = done or value > 0
            setattr(self.counts, name, getattr(self.counts, name) + value)
        if done:
            self.tenants.add(tenant)

    def fail(self, kind: str, tenant: str, item_id: str, error: Exception) -> None:
        self.failed.append(TickFailure(kind=kind, tenant=tenant, item_id=item_id, error=error))


def _chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _by_tenant(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for tenant, key in pairs:
        grouped.setdefault(tenant, []).append(key)
    return {tenant: grouped[tenant] for tenant in sorted(grouped)}


def _series_of(tenant: str) -> Claim[Series]:
    def claim(tx: Tx, keys: list[str]) -> Sequence[Series]:
        return tx.series.claim(tenant, keys)

    return claim


def _sessions_of(tenant: str) -> Claim[Session]:
    def claim(tx: Tx, keys: list[str]) -> Sequence[Session]:
        return tx.sessions.claim(tenant, keys)

    return claim


def _seats_of(tenant: str) -> Claim[Session]:
    def claim(tx: Tx, keys: list[str]) -> Sequence[Session]:
        claimed = tx.sessions.claim(tenant, keys)
        # The booking repository's own lock too, which its seat checks trust
        # (the row is already this unit's, so it does not wait).
        return [tx.bookings.lock_session(tenant, s.id) for s in claimed]

    return claim


def _requests_of(tenant: str, requests: dict[str, RescheduleRequest]) -> Claim[RescheduleRequest]:
    def claim(tx: Tx, keys: list[str]) -> Sequence[RescheduleRequest]:
        # A request is claimed through its session: the lock every answer takes first.
        claimed = {s.id for s in tx.sessions.claim(tenant, {requests[k].session_id for k in keys})}
        return [requests[k] for k in keys if requests[k].session_id in claimed]

    return claim


def _top_up_due(run: _Tick, series: Series) -> bool:
    try:
        return top_up_window(series, run.at) is not None
    except Exception as error:  # noqa: BLE001  # reported: one series must not stop the tick
        run.fail("top_up", series.tenant, series.id, error)
        return False


def _top_up(run: _Tick, tenant: str | None, series: SeriesCommands) -> None:
    with run.ctx.transaction(run.at) as tx:
        due = [(s.tenant, s.id) for s in tx.series.active(tenant) if _top_up_due(run, s)]

    def work(tx: Tx, found: Series, counts: _Counts) -> None:
        report = series.top_up_in(tx, found, actor=run.actor)
        if report is not None:
            counts.topped_up += 1
            counts.generated += len(report.created)

    for owner, ids in _by_tenant(due).items():
        for chunk in _chunks(ids, run.batch):
            run.run("top_up", owner, chunk, _series_of(owner), work)


def _advance(run: _Tick, tenant: str | None) -> None:
    ctx = run.ctx
    reach = due_reach(ctx.lifecycles, run.at)
    if reach is None:
        return
    statuses, bound = reach
    if tenant is None:
        with ctx.transaction(run.at) as tx:
            tenants = tx.sessions.due_tenants(statuses=statuses, start_before=bound)
    else:
        tenants = [tenant]

    def work(tx: Tx, session: Session, counts: _Counts) -> None:
        if advance_in(ctx, tx, session, run.actor) is not session:
            counts.advanced += 1

    for owner in tenants:
        after: tuple[datetime, str] | None = None
        while True:
            with ctx.transaction(run.at) as tx:
                page = tx.sessions.due(
                    owner, statuses=statuses, start_before=bound, after=after, limit=run.batch
                )
                facts = ctx.facts_for(tx, page) if ctx.facts is not None and page else None
            if not page:
                break
            after = (page[-1].start, page[-1].id)
            due: list[str] = []
            for candidate in page:
                try:
                    known = None if facts is None else facts.get(candidate.id, {})
                    when = ctx.lifecycle(candidate.lifecycle).next_due(candidate, facts=known)
                except Exception as error:  # noqa: BLE001  # reported: one session must not stop the tick
                    run.fail("advance", owner, candidate.id, error)
                    continue
                if when is not None and when <= run.at:
                    due.append(candidate.id)
            if due:
                run.run("advance", owner, due, _sessions_of(owner), work)
            if len(page) < run.batch:
                break


def _expire_holds(run: _Tick, tenant: str | None) -> None:
    ctx = run.ctx
    seen: set[tuple[str, str]] = set()

    def work(tx: Tx, session: Session, counts: _Counts) -> None:
        settled = settle(ctx, tx, session, actor=None)
        counts.expired += settled.expired
        counts.offered += settled.offered

    while True:
        with ctx.transaction(run.at) as tx:
            bookings = tx.bookings_or_none()
            if bookings is None:
                return
            due = bookings.expiring(tenant, before=run.at, limit=run.batch)
        # A session seen once in this tick is not tried again: what is still
        # due there failed, or waits for the next tick.
        fresh = sorted({(b.tenant, b.session_id) for b in due} - seen)
        if not fresh:
            break
        seen.update(fresh)
        for owner, session_ids in _by_tenant(fresh).items():
            run.run("expire_holds", owner, session_ids, _seats_of(owner), work)
        if len(due) < run.batch:
            break


def _reschedules(run: _Tick, tenant: str | None, commands: RescheduleCommands) -> None:
    ctx = run.ctx
    seen: set[tuple[str, str]] = set()

    def work(tx: Tx, request: RescheduleRequest, counts: _Counts) -> None:
        answered = commands.answer_due_in(tx, request, run.at)
        if answered is None:
            return
        if answered.status == AUTO_APPROVED:
            counts.approved += 1
        else:
            counts.lapsed += 1

    while True:
        with ctx.transaction(run.at) as tx:
            try:
                repo = tx.repository(RESCHEDULES)
            except UnsupportedKind:
                return
            due = repo.due(tenant, before=run.at, limit=run.batch)
        fresh = [r for r in due if (r.tenant, r.id) not in seen]
        if not fresh:
            break
        seen.update((r.tenant, r.id) for r in fresh)
        for owner, request_ids in _by_tenant((r.tenant, r.id) for r in fresh).items():
            requests = {r.id: r for r in fresh if r.tenant == owner}
            run.run("reschedules", owner, request_ids, _requests_of(owner, requests), work)
        if len(due) < run.batch:
            break


def due_tenants(ctx: Context, *, now: datetime | None = None, limit: int = 10_000) -> list[str]:
    """Return, sorted, the tenants with work due by ``now``: what a fan-out ticks one job each.

    Tenants with timers due come from one query on the status and start
    (a candidate's tick may find its timers not due yet: sessions in a
    timed status that started before ``now`` stay candidates); those with a
    top-up, a reschedule answer or a hold expiry due from the first
    ``limit`` due items of each (more wait for the next tick).
    """
    check_batch(limit, "limit", 100_000)
    at = ctx.at(now, "now")
    found: set[str] = set()
    with ctx.transaction(at) as tx:
        reach = due_reach(ctx.lifecycles, at)
        if reach is not None:
            statuses, bound = reach
            found.update(tx.sessions.due_tenants(statuses=statuses, start_before=bound))
        for series in tx.series.active(None):
            try:
                if top_up_window(series, at) is not None:
                    found.add(series.tenant)
            except Exception:  # noqa: BLE001  # the tick reports it; listing goes on
                found.add(series.tenant)
        bookings = tx.bookings_or_none()
        if bookings is not None:
            found.update(b.tenant for b in bookings.expiring(None, before=at, limit=limit))
        try:
            requests = tx.repository(RESCHEDULES)
        except UnsupportedKind:
            pass
        else:
            found.update(r.tenant for r in requests.due(None, before=at, limit=limit))
    return sorted(found)


def _kinds(kinds: object) -> list[str]:
    """Return the kinds asked for, checked against :data:`TICK_KINDS`."""
    choices = ", ".join(TICK_KINDS)
    if isinstance(kinds, (str, bytes)) or not isinstance(kinds, Iterable):
        raise WrongType(kinds, name="kinds", expected=f"an iterable of {choices}")
    wanted: list[str] = []
    for kind in kinds:
        if not isinstance(kind, str):
            raise WrongType(kind, name="kinds", expected=f"kind names among {choices}")
        if kind not in TICK_KINDS:
            raise InvalidValue(
                f"unknown kind of due work {kind[:100]!r}; expected one of {choices}",
                value=kind,
                expected=" | ".join(TICK_KINDS),
            )
        if kind not in wanted:
            wanted.append(kind)
    return wanted


def tick(
    ctx: Context,
    *,
    series: SeriesCommands,
    reschedules: RescheduleCommands,
    tenant: str | None = None,
    now: datetime | None = None,
    batch: int = 200,
    kinds: Iterable[str] = TICK_KINDS,
    actor: str | None = None,
    progress: Callable[[TickReport], None] | None = None,
) -> TickReport:
    """Do all work due by ``now`` (default: the clock) for ``tenant`` (all for ``None``).

    ``kinds`` picks among :data:`TICK_KINDS`; ``batch`` (1..1000) is how many
    items one unit of work claims and does; ``progress`` is called with the
    report so far after every batch. Idempotent: a second tick at the same
    instant does nothing, and ticks running at once split the work.
    """
    if tenant is not None:
        check_tenant(tenant)
    check_actor(actor)
    check_batch(batch, "batch", MAX_TICK_BATCH)
    wanted = _kinds(kinds)
    if progress is not None and not callable(progress):
        raise WrongType(progress, name="progress", expected="a callable taking a TickReport")
    run = _Tick(ctx, at=ctx.at(now, "now"), batch=batch, actor=actor, progress=progress)
    for kind in TICK_KINDS:
        if kind not in wanted:
            continue
        if kind == "top_up":
            _top_up(run, tenant, series)
        elif kind == "reschedules":
            _reschedules(run, tenant, reschedules)
        elif kind == "advance":
            _advance(run, tenant)
        else:
            _expire_holds(run, tenant)
    return run.report()
