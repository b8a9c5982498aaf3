"""``manage.py sessionkit_tick``: one ``kit.tick()`` of all due work (schedule it every minute).

The tick (:mod:`sessionkit.services.tick`) does, in order (in turns, a batch
each, under ``--budget``), ``top_up`` (refill
rolling windows), ``reschedules`` (answer requests past their deadline),
``advance`` (timed status changes) and ``expire_holds`` (holds and offers that
ran out, waitlists of sessions that started), in batches that each claim their
items in one transaction; several workers may tick at once and never do an
item twice. The command prints one line per kind (what was done, what failed),
a summary line, and each failed item (``-v 0``: the failed items alone, on
stderr, and no warning of Django's system checks, which an error among them
still stops the command with); a kind whose records the store does not keep
is reported as skipped.
A database without sessionkit's tables (never migrated) stops the command
with one error saying so. Items that failed stay due; the command then
exits with status 1, counting each failed item once (``--until-idle`` may
meet one in every round). An event handler (a receiver of ``events_committed``) that
raises after a tick's work committed, or after a payment call's answer was stored, stops
nothing: the other tenants are ticked and the payment calls made, then the command says
which work committed and exits with status 1.

``--budget SECONDS`` bounds the ticks: measured on the monotonic clock from the
command's start, it is each tick's ``should_stop``, so no batch starts once it is
spent. The tick's summary then says "stopped early, more is due", ``--until-idle``
ticks no more, a tenant not yet ticked (or, with ``--until-idle``, another round
after a tick that ended past it) is said to be left for the next run, and
the command exits with status 0 (unless an item failed): the next run does the
rest. A bad value is refused before anything is done, as argparse refuses any.

Payment provider calls are not part of the tick (network calls, made outside
any transaction): ``--payments`` makes those still due after the tick (at most
100 a tenant given, or in all), and lists each call that failed; a failed call
whose retry time the store refused to record is listed once more, with the
store's error (the next run tries it at once). ``--budget`` bounds them too:
it is the run's ``should_stop``, asked before each call (a provider call may
take its timeout), so none starts once it is spent.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from collections.abc import Callable
from io import StringIO
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from sessionkit.contrib.django.conf import get_kit
from sessionkit.errors import (
    ConcurrentModification,
    SchemaMissing,
    SessionKitError,
    UnsupportedKind,
)
from sessionkit.errors._base import shown
from sessionkit.ports import BOOKINGS, RESCHEDULES, Kind
from sessionkit.services.app import SessionKit
from sessionkit.services.payments import DUE_REPORT_ATTRIBUTE, DueReport
from sessionkit.services.tick import MAX_TICK_BATCH, TICK_KINDS, TickReport

_KEPT: dict[str, Kind[Any]] = {"reschedules": RESCHEDULES, "expire_holds": BOOKINGS}
"""The kinds of due work whose records a store may not keep, and those records' kind."""

_monotonic: Callable[[], float] = time.monotonic
"""The clock ``--budget`` is measured on (a test puts a fake one here)."""

PAYMENT_CALLS = 100
"""The most provider calls ``--payments`` makes a tenant given (or in all) in one run."""


def _run_payments(
    kit: SessionKit,
    tenant: str | None,
    should_stop: Callable[[], bool] | None,
    handlers: dict[str, Exception],
) -> DueReport:
    """``kit.payments.run_due``; an event handler's error after a call's answer in ``handlers``."""
    try:
        return kit.payments.run_due(tenant, limit=PAYMENT_CALLS, should_stop=should_stop)
    except UnsupportedKind:
        raise
    except Exception as error:
        calls: DueReport | None = getattr(error, DUE_REPORT_ATTRIBUTE, None)
        if calls is None and not isinstance(error, SessionKitError):
            raise
        if calls is None:  # a storage fault
            raise CommandError(str(error)) from error
        paid = "the payment calls were made and their answers stored"
        handlers.setdefault(paid, error)  # then an event handler raised
        return calls


def _payment_calls(
    kit: SessionKit,
    tenant: str | None,
    should_stop: Callable[[], bool] | None,
    handlers: dict[str, Exception],
) -> tuple[DueReport, bool]:
    """Make the due payment calls (at most :data:`PAYMENT_CALLS`); whether the budget stopped it.

    One run, the budget (``should_stop``) asked before each call; a run whose
    last call ended as the budget ran out left none, and was not stopped.
    """
    calls = _run_payments(kit, tenant, should_stop, handlers)
    return calls, calls.stopped


def _seconds(text: str) -> float:
    """``--budget``'s argparse ``type``: a finite number of seconds above 0, else refused."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:  # also nan, which compares false to everything
        raise argparse.ArgumentTypeError(
            f"expected a finite number of seconds above 0, e.g. 50, got {text!r}"
        )
    return value


def _skipped(kit: SessionKit, kinds: list[str]) -> dict[str, str]:
    """The kinds among ``kinds`` the kit's store keeps no records for, with the records' name."""
    skipped: dict[str, str] = {}
    with kit.context.uow() as uow:
        for kind in kinds:
            if kind in _KEPT:
                try:
                    uow.repository(_KEPT[kind])
                except UnsupportedKind as error:
                    skipped[kind] = error.kind
    return skipped


def _lines(report: TickReport, kinds: list[str], skipped: dict[str, str]) -> list[str]:
    """One line per kind asked for: what the tick did, and how many items failed."""
    failed = Counter(failure.kind for failure in report.failed)
    done = {
        "top_up": f"{report.topped_up} series topped up, {report.generated} sessions created",
        "reschedules": f"{report.approved} requests approved, {report.lapsed} lapsed",
        "advance": f"{report.advanced} sessions advanced",
        "expire_holds": f"{report.expired} bookings expired, {report.offered} seats offered",
    }
    lines = []
    for kind in kinds:
        if kind in skipped:
            lines.append(f"{kind}: skipped: the store keeps no {skipped[kind]} records")
        else:
            lines.append(f"{kind}: {done[kind]}, {failed[kind]} failed")
    return lines


class Command(BaseCommand):
    """Run ``kit.tick()`` once (or until idle) and print what it did."""

    help = (
        "Do all of sessionkit's due work once, in claimed batches (kit.tick): top up series, "
        "answer reschedule requests, advance sessions, expire holds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """``--tenant``, ``--kind``, ``--batch``, ``--until-idle``, ``--budget``, ``--payments``."""
        parser.add_argument(
            "--tenant", action="append", help="only this tenant (repeatable; default: all)"
        )
        parser.add_argument(
            "--kind",
            action="append",
            choices=TICK_KINDS,
            help="only this kind of due work (repeatable; default: all)",
        )
        parser.add_argument(
            "--batch", type=int, default=200, help=f"items per unit of work (1..{MAX_TICK_BATCH})"
        )
        parser.add_argument(
            "--until-idle", action="store_true", help="tick again until a tick finds nothing due"
        )
        parser.add_argument(
            "--budget",
            type=_seconds,
            metavar="SECONDS",
            help="start no batch once SECONDS (a number above 0) have passed since the command "
            "started, on the monotonic clock; the summary then says more is due, and the next "
            "run does it (default: no limit); with --payments, no payment call starts then",
        )
        parser.add_argument(
            "--payments",
            action="store_true",
            help="also make the payment provider calls still due (not part of the tick)",
        )

    quiet = False
    """``-v 0``: print no lines of what was done, only the failures (stderr), as cron wants."""

    started: float | None = None
    """When :meth:`execute` began, on :data:`_monotonic`: where ``--budget`` is counted from."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        """Run the command, knowing ``-v 0`` before the system checks run (see :meth:`check`)."""
        self.quiet = options.get("verbosity", 1) == 0
        self.started = _monotonic()  # before the system checks: their time is the command's
        return super().execute(*args, **options)

    def check(self, *args: Any, **kwargs: Any) -> None:
        """Run Django's system checks; at ``-v 0`` print none of their warnings.

        Django writes warnings to stderr on every run, and a cron job mails
        whatever that holds: a warning of any app (``sessionkit.W001`` on a
        Django before 5.1, where SQLite has no ``transaction_mode``) mailed
        every minute, though all went well. An error still stops the command,
        listing every issue (``SystemCheckError``).
        """
        if not self.quiet:
            super().check(*args, **kwargs)
            return
        stderr, self.stderr = self.stderr, OutputWrapper(StringIO())
        try:
            super().check(*args, **kwargs)
        finally:
            self.stderr = stderr

    def _say(self, line: str) -> None:
        """Write a line of what was done (stdout), unless ``-v 0`` asked for failures only."""
        if not self.quiet:
            self.stdout.write(line)

    def _report(
        self, where: str, report: TickReport, kinds: list[str], skipped: dict[str, str]
    ) -> None:
        """Write what the tick did, and each item that failed (on stderr)."""
        for line in _lines(report, kinds, skipped):
            self._say(f"{where}{line}")
        self._say(f"{where}tick: {report.summary()}")
        for failure in report.failed:
            self.stderr.write(
                f"failed {failure.kind} {failure.tenant}/{failure.item_id}: {failure.error}"
            )

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002
        """Tick each tenant given (else all at once); print per-kind lines and the failures."""
        budget: float | None = None
        if options.get("budget") is not None:  # parsed already, unless call_command(budget=...)
            try:
                budget = _seconds(str(options["budget"]))
            except argparse.ArgumentTypeError as error:  # as the parser says it
                raise CommandError(f"Error: argument --budget: {error}") from None
        try:
            kit = get_kit()
        except (ImproperlyConfigured, SessionKitError) as error:  # one line, as every refusal
            # here: a SessionKitError is the host's kit refusing its database (the Django
            # store on MySQL, when the system checks were skipped).
            raise CommandError(str(error)) from error
        # Each tenant once, as each kind: ticking one twice would only report it twice.
        tenants: list[str | None] = list(dict.fromkeys(options.get("tenant") or [None]))
        kinds = [kind for kind in TICK_KINDS if kind in (options.get("kind") or TICK_KINDS)]
        try:
            skipped = _skipped(kit, kinds)
        except SessionKitError as error:  # the database is locked, or gone
            raise CommandError(str(error)) from error
        should_stop: Callable[[], bool] | None = None
        if budget is not None:
            deadline = (_monotonic() if self.started is None else self.started) + budget

            def should_stop() -> bool:
                return _monotonic() >= deadline

        # Each failing item once: --until-idle meets an item that stays due in every round.
        failing: set[tuple[str, str, str]] = set()
        # An event handler that raised after a tick's work committed, or a payment call's answer
        # was stored: raised once the other tenants are ticked and the payment calls made, as
        # kit.tick() finishes its tick first. By what committed before it, as the message says.
        handlers: dict[str, Exception] = {}
        for tenant in tenants:
            where = "" if tenant is None else f"{tenant}: "
            while True:
                # No tick starts once it is spent: neither a tenant's first nor, with
                # --until-idle, another after a tick that ended past it without being stopped.
                if should_stop is not None and should_stop():
                    self._say(f"{where}tick: not started, the --budget was spent; more may be due")
                    break
                try:
                    report = kit.tick(
                        tenant, batch=options["batch"], kinds=kinds, should_stop=should_stop
                    )
                except Exception as error:
                    done: TickReport | None = getattr(error, "tick_report", None)
                    if done is None and not isinstance(error, SessionKitError):
                        raise
                    if done is None:  # a bad --tenant or --batch, a storage fault
                        raise CommandError(str(error)) from error
                    report = done  # committed, then an event handler raised
                    handlers.setdefault("the tick's work committed", error)
                missing = [f.error for f in report.failed if isinstance(f.error, SchemaMissing)]
                if not missing or report.done:  # work that committed is reported
                    self._report(where, report, kinds, skipped)
                if missing:  # no later round or tenant can do better: say what to do, once
                    raise CommandError(str(missing[0])) from missing[0]
                failing.update((f.kind, f.tenant, f.item_id) for f in report.failed)
                if not options["until_idle"] or report.idle or report.more:  # more: budget spent
                    break
        if options["payments"]:
            for tenant in tenants:
                where = "" if tenant is None else f"{tenant}: "
                if should_stop is not None and should_stop():
                    self._say(
                        f"{where}payments: not started, the --budget was spent; more may be due"
                    )
                    continue
                try:
                    calls, spent = _payment_calls(kit, tenant, should_stop, handlers)
                except UnsupportedKind as error:
                    self._say(f"{where}payments: skipped: the store keeps no {error.kind} records")
                    continue
                more = " (more due: run again)" if calls.more else ""
                if spent:
                    more = "; the --budget was spent, more may be due"
                # A ConcurrentModification: another runner made the call first.
                lost = [f for f in calls.failed if not isinstance(f[2], ConcurrentModification)]
                for tenant_of, payment_id, refusal in lost:
                    self.stderr.write(f"failed payment call {tenant_of}/{payment_id}: {refusal}")
                # Among those: the store refused the write of the wait before its next try,
                # so the next run tries it at once (the store's error is what to mend).
                for tenant_of, payment_id, refusal in calls.unscheduled:
                    self.stderr.write(
                        f"payment call {tenant_of}/{payment_id} failed and its retry time"
                        f" was not stored: {refusal}"
                    )
                failing.update(
                    ("payments", tenant_of, payment_id) for tenant_of, payment_id, _ in lost
                )
                self._say(
                    f"{where}payments: {calls.done} payment calls made, {len(lost)} failed{more}"
                )
        problems = [
            f"{committed}, then an event handler raised: {shown(error)}"
            for committed, error in handlers.items()
        ]
        if failing:
            problems.append(f"{len(failing)} due items failed and stay due (listed above)")
        if problems:
            raise CommandError("; ".join(problems)) from next(iter(handlers.values()), None)
