"""The academy demo's last part: attended minutes and subscription use, from ``kit.analytics``."""

from __future__ import annotations

from datetime import datetime

from sessionkit.services import SessionKit

__all__ = ["figures"]


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def figures(kit: SessionKit, tenant: str, *, at: datetime, month: str) -> list[str]:
    """Return the academy's analytics: attended minutes, and subscription use as of ``at``.

    ``month`` names the month of ``at`` in the academy's zone, for the heading.
    """
    analytics = kit.analytics
    lines = [
        "Attendance (kit.analytics.attendance, summed by the store; the teacher's word wins):",
        "  participant      records present late left_early partial absent  minutes  no-show",
    ]
    lines.extend(
        f"  {row.key!s:<16} {row.records:>7} {row.present:>7} {row.late:>4}"
        f" {row.left_early:>10} {row.partial:>7} {row.absent:>6} {row.minutes:>8}"
        f"  {_rate(row.no_show_rate):>7}"
        for row in analytics.attendance(tenant, by="participant").rows
    )
    whole = analytics.attendance(tenant).get()
    lines.append(
        f"  all: {whole.minutes} attended minutes in {whole.records} records,"
        f" no-show rate {_rate(whole.no_show_rate)} of {whole.held} held"
    )
    lines += [
        "",
        f"Subscription use (kit.analytics.usage, from the ledger; {month}, monthly credits):",
        "  subscriber       subscription  period   granted  used  returned  remaining",
    ]
    use = analytics.usage(tenant, by="period", now=at)
    lines.extend(
        f"  {r.subscriber:<16} {r.subscription_id or '':<13} {r.period or '':<8}"
        f" {r.granted:>7} {r.used:>5} {r.reversed:>9} {r.remaining:>10}"
        for r in use.rows
    )
    lines.append(f"  all: {use.total('used')} of {use.total('granted')} credits used")
    return lines
