"""The tick's expiry pass reads each page of due rows once, past the failed items' rows.

Items that failed stay due at the front of the queue. The pass left them
unmarked, so each read after a failure found only them again, and the next
asked past them: a read wasted per page of failures. Marked failed (as
``kit.bookings.expire_due`` marks them), every read but the last finds new items.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from sessionkit.adapters.memory._bookings import InMemoryBookingRepository

from ._due_race_support import NOW, failing_kit, holds, slots


def test_every_read_of_the_expiry_pass_but_the_last_finds_items_not_tried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kit, broken = failing_kit()
    made = slots(kit, range(1, 9), capacity=1)
    holds(kit, [(s, "student:a", 5 + n) for n, s in enumerate(made)])
    broken.update(s.id for s in made[:4])  # their holds run out first, and stay due
    reads: list[list[str]] = []
    real = InMemoryBookingRepository.expiring

    def expiring(self: Any, tenant: str | None, *, before: datetime, limit: int) -> Any:
        found = real(self, tenant, before=before, limit=limit)
        reads.append([b.session_id for b in found])
        return found

    monkeypatch.setattr(InMemoryBookingRepository, "expiring", expiring)
    report = kit.tick(now=NOW + timedelta(hours=8), batch=1, kinds=["expire_holds"])

    assert (report.expired, len(report.failed)) == (4, 4)
    seen: set[str] = set()
    for read in reads[:-1]:
        assert set(read) - seen, (read, reads)  # none finds only sessions tried before
        seen.update(read)
    assert len(reads) == 9  # 8 pages and the short read that ends them (13 unmarked)
    assert sum(map(len, reads)) == 34  # 44 unmarked; 8 with a cursor (see the report)
