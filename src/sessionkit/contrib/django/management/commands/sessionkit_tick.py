"""``manage.py sessionkit_tick``: run sessionkit's due work once (schedule it every minute).

Runs, in order: ``top_up`` (generate series ahead), ``advance`` (timed status
changes, per tenant), ``holds`` (expire run-out holds and offers),
``reschedules`` (answer requests past their deadline) and ``payments``
(provider calls still due). Every job is idempotent, so overlapping runs are
harmless. A job whose records the store does not keep is reported as skipped.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sessionkit.contrib.django.conf import get_kit
from sessionkit.contrib.django.models import SessionRecord
from sessionkit.errors import UnsupportedKind
from sessionkit.services.app import SessionKit

JOBS = ("top_up", "advance", "holds", "reschedules", "payments")


def _tenants(given: list[str] | None) -> list[str]:
    """The tenants given, else every tenant that has sessions."""
    if given:
        return given
    rows = SessionRecord.objects.values_list("tenant", flat=True).distinct().order_by("tenant")
    return sorted(set(rows))


def _run(kit: SessionKit, job: str, tenants: list[str] | None) -> str:
    """Run one job (for each tenant given, else for all) and say what it did."""
    each: list[str | None] = list(tenants) if tenants else [None]
    if job == "top_up":
        topped = [kit.top_up(tenant) for tenant in each]
        refilled = sum(len(r.refilled) for r in topped)
        failed = sum(len(r.failed) for r in topped)
        created = sum(len(m.created) for r in topped for m in r.refilled)
        return f"{refilled} series refilled, {created} sessions created, {failed} failed"
    if job == "advance":
        advanced = failed = 0
        for tenant in _tenants(tenants):
            report = kit.advance_due(tenant)
            advanced += len(report.advanced)
            failed += len(report.failed)
        return f"{advanced} sessions advanced, {failed} failed"
    if job == "holds":
        expiries = [kit.expire_holds(tenant) for tenant in each]
        more = any(r.more for r in expiries)
        expired = sum(r.expired for r in expiries)
        offered = sum(r.offered for r in expiries)
        done = f"{expired} holds expired, {offered} seats offered"
    elif job == "reschedules":
        answers = [kit.approve_reschedules(tenant) for tenant in each]
        more = any(r.more for r in answers)
        done = f"{sum(len(r.approved) for r in answers)} requests approved"
    else:
        calls = [kit.run_payment_calls(tenant) for tenant in each]
        more = any(r.more for r in calls)
        done = f"{sum(r.done for r in calls)} payment calls made"
    return done + (" (more due: run again)" if more else "")


class Command(BaseCommand):
    """Run sessionkit's due work once."""

    help = "Run sessionkit's due work once: top up series, advance sessions, expire holds, ..."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--tenant`` (repeatable; default: every tenant) and ``--job`` (repeatable)."""
        parser.add_argument("--tenant", action="append", help="only this tenant (repeatable)")
        parser.add_argument(
            "--job", action="append", choices=JOBS, help="only this job (repeatable)"
        )

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002
        """Run the jobs and print one line per job."""
        kit = get_kit()
        tenants: list[str] | None = options.get("tenant")
        for job in options.get("job") or JOBS:
            try:
                line = _run(kit, job, tenants)
            except UnsupportedKind as error:
                line = f"skipped: the store keeps no {error.kind} records"
            self.stdout.write(f"{job}: {line}")
