"""A tick's summary line counts the tenants work was done for, and says none when none was.

"over 0 tenants", printed by every cron tick that found nothing due, read as if
the tick had found no tenant in a database full of them (or, ticking one named
tenant, not that one).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sessionkit.services import TickReport
from sessionkit.testing.harness import Harness

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_a_tick_that_did_nothing_names_no_count_of_tenants() -> None:
    h = Harness.in_memory(NOW)
    for tenant in ("acme", "globex"):
        start = NOW + timedelta(days=2)
        h.kit.sessions.create_extra(
            tenant, actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
        )
    report = h.kit.tick()
    assert (report.idle, report.tenants) == (True, ())
    assert report.summary() == (
        "0 done in 0 batches: 0 series topped up (+0 sessions), 0 reschedules approved, "
        "0 lapsed, 0 sessions advanced, 0 bookings expired (0 seats offered); "
        "0 held elsewhere, 0 failed"
    )
    assert h.kit.tick("acme").summary().startswith("0 done in 0 batches: ")


def test_a_tick_that_did_something_says_over_how_many_tenants() -> None:
    report = TickReport(now=NOW, advanced=3, batches=2, tenants=("acme", "globex"))
    assert report.summary().startswith("3 done in 2 batches over 2 tenants: ")
