"""sessionkit's due work on procrastinate, the PostgreSQL-native job queue (extra: procrastinate).

:func:`tick_blueprint` returns a procrastinate ``Blueprint`` with two tasks:

- ``tick``, periodic (every minute by default), which lists the tenants with
  work due (:meth:`SessionKit.due_tenants <sessionkit.services.SessionKit.due_tenants>`)
  and defers one ``tick_tenant`` job each; with ``fan_out=False`` it ticks
  every tenant itself. Its ``queueing_lock`` (:data:`TICK_LOCK` after the
  namespace) keeps at most one tick waiting, so ticks never pile up.
- ``tick_tenant(tenant)``, which runs :meth:`SessionKit.tick` for one tenant;
  ``None`` (which would tick every tenant: the periodic ``tick`` is the job
  for that) or any other value that is no tenant id is refused, ``WrongType``
  or ``InvalidValue`` naming it, before the kit is made. The fan-out defers
  it with a queueing lock per tenant (the tick's, then
  ``:<tenant>``), which keeps one such job waiting per tenant (a job the host
  defers itself has none of its own).

With a ``budget``, a job's tick stops between batches once the budget is spent
(``kit.tick``'s ``should_stop``, on the worker's monotonic clock): a job ends
within its budget and a batch's time, never killed mid-way by a time limit.
A ``tick_tenant`` job stopped so defers the tenant's next one (under the same
queueing lock), which does the rest, unless it did nothing (the next periodic
tick goes on then: a next job would meet the same).

Neither takes a procrastinate ``lock``: a worker killed in a job leaves it
``doing``, and its lock would hold every later job of that name for good. The
tick needs none: its claims make overlapping jobs safe.

Any number of procrastinate workers can run them: the tick claims its items
(``FOR UPDATE SKIP LOCKED``), so overlapping jobs never do an item twice. ::

    import procrastinate
    from sessionkit.contrib.procrastinate import tick_blueprint

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=DSN))
    app.add_tasks_from(tick_blueprint(make_kit), namespace="sessionkit")
    # procrastinate --app=myapp.app worker --queues=sessionkit

The recipe is in ``docs/jobs.md``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import (  # type: ignore[import-untyped]  # procrastinate's own cron parser
    CroniterError,
    croniter,
)
from procrastinate import Blueprint
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.tasks import Task

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.text import MAX_NAME_LENGTH, check_flag, check_id, check_tenant
from sessionkit.services import SessionKit, TickReport
from sessionkit.services._tick_run import COUNT_FIELDS
from sessionkit.services.booking_requests import check_batch
from sessionkit.services.tick import MAX_TICK_BATCH

__all__ = ["TICK_LOCK", "tick_blueprint"]

TICK_LOCK = "sessionkit-tick"
"""The queueing lock of the periodic tick, after the namespace the blueprint is added under.

``app.add_tasks_from(tick_blueprint(...), namespace="sessionkit")`` gives the
tick ``"sessionkit:sessionkit-tick"`` and a tenant's job of the fan-out
``"sessionkit:sessionkit-tick:<tenant>"``: two blueprints in one app (two
kits) hold locks of their own.
"""

_log = logging.getLogger(__name__)

_monotonic: Callable[[], float] = time.monotonic
"""The clock a job's ``budget`` is measured on (a test puts a fake one here)."""


def _counts(report: TickReport) -> dict[str, int]:
    if report.failed:
        _log.warning(
            "sessionkit tick left %d item(s) due after errors: %s",
            len(report.failed),
            "; ".join(f"{f.kind} {f.tenant}/{f.item_id}: {f.error}" for f in report.failed[:20]),
        )
    # What the job did, kind by kind, as procrastinate logs a job's result: "done" alone
    # could not tell 3 holds expired from 3 series topped up.
    return {
        "done": report.done,
        "failed": len(report.failed),
        "held": report.held,
        "batches": report.batches,
        **{kind: getattr(report, kind) for kind in COUNT_FIELDS},  # the tick's own order
    }


def _check_budget(budget: object) -> timedelta | None:
    """Return ``budget`` if it is ``None`` or a positive ``timedelta``, else raise."""
    if budget is None:
        return None
    if not isinstance(budget, timedelta):
        raise WrongType(budget, name="budget", expected="None or a timedelta")
    if budget <= timedelta(0):
        raise InvalidValue(
            f"budget must be a positive timedelta, got {shown(budget)}",
            value=budget,
            expected="> timedelta(0)",
        )
    return budget


def _check_cron(cron: object) -> None:
    """Refuse what procrastinate's periodic deferrer could not schedule.

    ``croniter.is_valid`` accepts a date that never comes ('0 0 31 2 *', Feb 31st);
    the deferrer would raise ``CroniterBadDateError`` and stop the worker, so the
    expression must also name a next fire time, sought from now as the
    deferrer does (a cron whose years are past never fires again).
    """
    if not isinstance(cron, str):
        raise WrongType(cron, name="cron", expected="a cron expression such as '* * * * *'")
    if not croniter.is_valid(cron):
        raise InvalidValue(
            f"cron must be a cron expression such as '* * * * *', got {shown(cron)}",
            value=cron,
            expected="a cron expression ('minute hour day month weekday')",
        )
    try:
        croniter(cron, datetime.now(UTC)).get_next(datetime)
    except (CroniterError, ValueError, OverflowError) as error:
        raise InvalidValue(
            f"cron {shown(cron)} never fires (croniter: {error}); "
            "procrastinate's worker would stop on it",
            value=cron,
            expected="a cron expression that fires ('minute hour day month weekday'), "
            "not one naming a date that never comes such as Feb 31st",
        ) from error


def tick_blueprint(
    kit: SessionKit | Callable[[], SessionKit],
    *,
    cron: str = "* * * * *",
    queue: str = "sessionkit",
    batch: int = 200,
    fan_out: bool = True,
    budget: timedelta | None = None,
) -> Blueprint:
    """Return a Blueprint with the periodic ``tick`` and the per-tenant ``tick_tenant`` tasks.

    ``kit`` is the worker's :class:`~sessionkit.services.SessionKit`, or a
    function returning it (called in each job: build it once per process and
    return it). ``cron`` schedules the periodic tick, ``queue`` is both
    tasks' queue, ``batch`` the tick's batch size; ``fan_out=False`` ticks
    all tenants in the periodic job instead of a job per tenant. ``budget``
    (a positive ``timedelta``) is how long a job's tick may run: it stops
    between batches once the budget is spent, its result then has ``more``
    (1; 0 when it finished), and a ``tick_tenant`` job so stopped, having
    done something, defers the tenant's next job. A bad argument is refused
    here (``WrongType``, ``InvalidValue``), not in the worker's first job.
    """
    if not isinstance(kit, SessionKit) and not callable(kit):
        raise WrongType(kit, name="kit", expected="a SessionKit, or a function returning one")
    batch = check_batch(batch, "batch", MAX_TICK_BATCH)
    check_flag(fan_out, "fan_out")
    budget = _check_budget(budget)
    _check_cron(cron)
    check_id(queue, "queue", limit=MAX_NAME_LENGTH)  # what a worker's --queues names
    blueprint = Blueprint()

    def current() -> SessionKit:
        if isinstance(kit, SessionKit):
            return kit
        made = kit()
        if not isinstance(made, SessionKit):  # the host's function: say so, not AttributeError
            raise WrongType(made, name="kit()", expected="a SessionKit")
        return made

    def ticked(ticking: SessionKit, tenant: str | None) -> tuple[TickReport, dict[str, int]]:
        """Tick ``tenant`` (every tenant for ``None``) within the budget; the report, counts."""
        if budget is None:
            report = ticking.tick(tenant, batch=batch)
            return report, _counts(report)
        deadline = _monotonic() + budget.total_seconds()
        report = ticking.tick(tenant, batch=batch, should_stop=lambda: _monotonic() >= deadline)
        return report, {**_counts(report), "more": int(report.more)}

    @blueprint.task(name="tick_tenant", queue=queue)
    def tick_tenant(tenant: str) -> dict[str, int]:
        """Do the tenant's due work (one job of the fan-out)."""
        # kit.tick(None) ticks every tenant: a job deferred with a null tenant must not do
        # that behind the fan-out's per-tenant queueing locks, nor as a silent success.
        checked = check_tenant(tenant)
        report, counts = ticked(current(), checked)
        # Stopped by the budget: the tenant's next job does the rest. Not after a job that did
        # nothing (its budget spent on reads, or on items that failed again): the next would
        # meet the same and defer another, without end. The next periodic tick goes on.
        if report.more and report.done:
            lock = f"{tick.queueing_lock}:{checked}"  # the fan-out's: one job waits at most
            with contextlib.suppress(AlreadyEnqueued):  # one waits already: it does the rest
                tick_tenant.configure(queueing_lock=lock).defer(tenant=checked)
        return counts

    @blueprint.periodic(cron=cron, periodic_id="tick")
    @blueprint.task(name="tick", queue=queue, queueing_lock=TICK_LOCK)
    def tick(timestamp: int) -> dict[str, int]:  # noqa: ARG001  # procrastinate passes the schedule's instant
        """Tick every tenant: defer one ``tick_tenant`` job per tenant with work due."""
        ticking = current()
        if not fan_out:
            return ticked(ticking, None)[1]  # stopped by the budget: the next tick goes on
        tenants = ticking.due_tenants()
        queued = 0
        for tenant in tenants:
            lock = f"{tick.queueing_lock}:{tenant}"  # the namespace's, as the tick's own
            try:
                tick_tenant.configure(queueing_lock=lock).defer(tenant=tenant)
            except AlreadyEnqueued:
                continue  # that tenant's job is still waiting: it will do the work
            queued += 1
        return {"tenants": len(tenants), "queued": queued}

    tick.__class__ = _NamespacedLock
    return blueprint


class _NamespacedLock(Task[Any, Any, Any]):
    """A task whose queueing lock takes the namespace its name takes (``<namespace>:...``).

    procrastinate prefixes a blueprint's task names with the namespace it is
    added under, not their queueing locks: two blueprints in one app (two
    kits) shared the tick's lock, and every minute the first one's periodic
    tick took it, so the second's was never deferred. The periodic deferrer
    reads the task's lock when it defers, and the fan-out builds the tenants'
    locks on it.
    """

    def add_namespace(self, namespace: str) -> None:
        super().add_namespace(namespace)
        if self.queueing_lock is not None:
            self.queueing_lock = f"{namespace}:{self.queueing_lock}"
