"""The tick: all due work, for every tenant or one, in claimed batches (``SessionKit.tick``).

One pass does four kinds of work, in this order: ``top_up`` (refill rolling
windows), ``reschedules`` (answer requests past their deadline), ``advance``
(timed status transitions) and ``expire_holds`` (holds and offers that ran
out, seats passed to waitlists; waitlist places of sessions that started).
Each batch is one unit of work that first *claims* its items with
:meth:`~sessionkit.ports.Repository.claim` - the series for a top-up, the
sessions for the rest - and then does them under those locks, so the change
that makes an item no longer due commits in the same transaction as the claim.
Workers ticking at once therefore never do an item twice: on PostgreSQL and
MariaDB a held row is skipped (``FOR UPDATE SKIP LOCKED``) and its holder does
it; on SQLite a second writer waits for the first to commit and then finds the
item done. None is skipped: a worker only passes over items another unit of
work holds, and those are done when it commits (or stay due for the next tick
if it rolls back).

A batch that fails is run again item by item, so one bad item is reported
(:class:`TickFailure`) and stays due while the rest are done.

A tick can be stopped between batches (``should_stop``, asked before each):
a job engine's time limit then ends it cleanly, every batch done committed and
the report's ``more`` set, rather than killing it mid-way. Such a tick gives
the kinds a batch each in turn, and the tenants within a kind, rather than one
after another: a backlog that outlasts every budget holds back no other kind or
tenant, and nothing need be kept from tick to tick (a cron job starts afresh).

The run and its report live in ``_tick_run``, the four passes in
``_tick_work`` (with ``take_turns``, which steps them); this module checks the
arguments and hands it the passes asked for, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import attrs

from sessionkit.errors import ConcurrentModification, InvalidValue, StorageError, WrongType
from sessionkit.model.text import check_actor, check_tenant
from sessionkit.ports import RESCHEDULES
from sessionkit.services._context import Context
from sessionkit.services._tick_run import ALL, TickFailure, TickReport, TickRun
from sessionkit.services._tick_work import (
    advance_sessions,
    answer_reschedules,
    expire_holds,
    take_turns,
    top_up_series,
)
from sessionkit.services.bookings import check_batch
from sessionkit.services.jobs import due_reach, timed_statuses
from sessionkit.services.reschedules import RescheduleCommands
from sessionkit.services.series import SeriesCommands, top_up_window

__all__ = ["MAX_TICK_BATCH", "TICK_KINDS", "TickFailure", "TickReport", "due_tenants", "tick"]

TICK_KINDS: tuple[str, ...] = ("top_up", "reschedules", "advance", "expire_holds")
"""The kinds of due work one tick does, in this order (in turns, with a ``should_stop``)."""

MAX_TICK_BATCH = 1000
"""The largest batch (items per unit of work) a tick takes."""


def due_tenants(ctx: Context, *, now: datetime | None = None, limit: int = 10_000) -> list[str]:
    """Return, sorted, the tenants with work due by ``now``: what a fan-out ticks one job each.

    Tenants with timers due come from one query on the status and start
    (a candidate's tick may find its timers not due yet: sessions in a status
    their own lifecycle times that started before ``now`` stay candidates); those with a
    top-up due from every active series; those with a reschedule answer or a
    hold expiry due from the first ``limit`` (1..100,000) due requests and
    run-out bookings, earliest first (a tenant whose first due item comes
    later is listed by a later call, once those are done).
    """
    limit = check_batch(limit, "limit", 100_000)
    at = ctx.at(now, "now")
    found: set[str] = set()
    with ctx.transaction(at) as tx:
        reach = due_reach(ctx.lifecycles, at)
        if reach is not None:
            statuses, bound = reach
            timed = timed_statuses(ctx.lifecycles)
            found.update(
                tx.sessions.due_tenants(statuses=statuses, start_before=bound, lifecycles=timed)
            )
        for series in tx.series.active(None):
            try:
                if top_up_window(series, at) is not None:
                    found.add(series.tenant)
            except Exception:  # noqa: BLE001  # the tick reports it; listing goes on
                found.add(series.tenant)
        bookings = tx.bookings_or_none()
        if bookings is not None:
            found.update(b.tenant for b in bookings.expiring(None, before=at, limit=limit))
        requests = tx.repository_or_none(RESCHEDULES)
        if requests is not None:
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


@attrs.define
class _Fed:
    """What the top-up and reschedules passes did so far: the advance pass reads again after."""

    batches: int = 0
    """Their batches that committed work (sessions made or moved)."""
    running: int = 0
    """Those of them started and not ended yet."""


def _feeding(run: TickRun, steps: Iterator[None], fed: _Fed) -> Iterator[None]:
    """``steps``, counting in ``fed`` each that committed work (a batch counted), and its end."""
    fed.running += 1
    try:
        while True:
            before = run.batches
            ended = next(steps, False) is not None
            if run.batches != before:
                fed.batches += 1
            if ended:
                return
            yield
    finally:
        fed.running -= 1


def _advance(run: TickRun, tenant: str | None, fed: _Fed) -> Iterator[None]:
    """The advance pass; once the passes before it ended, again if they committed work.

    In turns (a ``should_stop``) the top-up and reschedules passes may still
    be making and moving sessions while this one reads: a tenant with no
    timer due when it read the tenants, or one whose pages it had read to the
    end, had a session made (or moved) due then left to the next tick, with no
    ``more`` said. So once it has read to the end it waits, its turns passed
    on, for them to end, and reads once more if they did something since it
    began (once: a read after each of their batches read every tenant's
    pages again, as many times as they had batches). That read leaves the
    sessions this tick reported failed or found held elsewhere, each tried
    once. One after another, the passes before it have ended when it begins,
    and it reads once.
    """
    passed: set[tuple[str, str]] = set()
    seen = fed.batches
    yield from advance_sessions(run, tenant, passed=passed)
    while fed.running and not run.stopped:
        yield  # no batch: the top-ups and answers take their turns until they end
    if run.stopped or fed.batches == seen:
        return
    skip = passed | {(f.tenant, f.item_id) for f in run.failed if f.kind == "advance"}
    yield from advance_sessions(run, tenant, skip=skip, passed=passed)


def _pass(
    run: TickRun,
    kind: str,
    tenant: str | None,
    series: SeriesCommands,
    reschedules: RescheduleCommands,
    fed: _Fed,
) -> Iterator[None]:
    """The pass of ``kind``, a step a batch; a failed read of what is due is reported.

    ``fed`` counts the batches of the top-up and reschedules passes that
    committed work: sessions made or moved, which the advance pass may have to
    read again (:func:`_advance`).
    """
    try:
        if kind == "top_up":
            yield from _feeding(run, top_up_series(run, tenant, series), fed)
        elif kind == "reschedules":
            held, failed = run.held, len(run.failed)
            yield from _feeding(run, answer_reschedules(run, tenant, reschedules), fed)
            # Another kind's pass may have held or failed items meanwhile (in turns): then
            # the later passes ask about requests still, which costs a read, no more.
            run.answered = not run.stopped and run.held == held and len(run.failed) == failed
        elif kind == "advance":
            yield from _advance(run, tenant, fed)
        else:
            yield from expire_holds(run, tenant)
    except (StorageError, ConcurrentModification) as error:
        # Reading what is due failed (a busy SQLite file, a lost connection, rows that
        # kept changing under a consistent read): the rest of this kind stays due, and
        # the other kinds are still done.
        run.fail(kind, tenant or ALL, ALL, error)


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
    should_stop: Callable[[], bool] | None = None,
) -> TickReport:
    """Do all work due by ``now`` (default: the clock) for ``tenant`` (all for ``None``).

    ``kinds`` picks among :data:`TICK_KINDS`; ``batch`` (1..1000) is how many
    items one unit of work claims and does; ``progress`` is called with the
    report so far after every batch. A database fault (``StorageError``) in a
    batch reports its items in ``failed``; one in reading what is due reports
    the kind with item id ``"*"`` (for the tenant whose due sessions could not
    be read, or tenant ``"*"`` when the read was of every tenant's), and the
    tick goes on with the other tenants and kinds; all of it stays due.
    Idempotent: a second tick at the same instant does nothing, and ticks
    running at once split the work. An error
    raised after a batch committed (by an event handler, or by ``progress``,
    which is then not called again) is raised once the whole tick is done,
    the batch counted: the report is the error's ``tick_report`` attribute,
    its summary and failures in the error's notes.

    ``should_stop`` is asked before each batch (never inside one), and before
    a page of candidate sessions' facts are asked of the kit's fact provider
    (its time is the tick's): once it
    returns ``True`` the tick starts no other batch nor kind, and its report
    has ``more`` set (what it did committed; tick again for the rest). It is
    not asked again then; an error it raises, or an answer other than a
    bool, stops the tick too and is raised as above. With it, the kinds take
    turns, a batch each, and so do the tenants within a kind's pass (the
    reschedule and expiry passes take every tenant's earliest due first), so
    a stopped tick's successor finds no kind or tenant left behind for
    another's backlog. For a time budget::

        deadline = time.monotonic() + 50
        kit.tick(should_stop=lambda: time.monotonic() >= deadline)
    """
    if tenant is not None:
        check_tenant(tenant)
    check_actor(actor)
    batch = check_batch(batch, "batch", MAX_TICK_BATCH)
    wanted = _kinds(kinds)
    if progress is not None and not callable(progress):
        raise WrongType(progress, name="progress", expected="a callable taking a TickReport")
    if should_stop is not None and not callable(should_stop):
        raise WrongType(
            should_stop, name="should_stop", expected="a callable taking nothing, returning a bool"
        )
    run = TickRun(
        ctx,
        at=ctx.at(now, "now"),
        batch=batch,
        actor=actor,
        progress=progress,
        should_stop=should_stop,
    )
    fed = _Fed()
    passes = [
        _pass(run, kind, tenant, series, reschedules, fed) for kind in TICK_KINDS if kind in wanted
    ]
    for _ in take_turns(run, passes):
        pass  # the rest stays due once it stopped: the report says more
    return run.done()
