"""A tick's unit of work claims at most ``batch`` due items, however far a read reached.

The expiry and reschedule passes read past the rows of the items they tried that
are still due. When another writer settles those meanwhile (a concurrent tick that
held them, a booking that settled its session), the read that asked past them
finds that many more items due, and they went to one unit, past ``batch``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessionkit.adapters.memory._reschedules import InMemoryRescheduleRepository
from sessionkit.adapters.memory._sessions import InMemorySessionRepository
from sessionkit.model.booking import EXPIRED, HELD
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.model.session import ResourceRef
from sessionkit.policies import BookingRules, coaching_notice
from sessionkit.services._tick_run import TickRun
from sessionkit.testing.harness import Harness

from ._due_race_support import failing_kit, holds, settled_elsewhere, slots

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_items_found_past_rows_settled_elsewhere_are_claimed_a_batch_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kit, broken = failing_kit()
    first, *others = slots(kit, range(1, 6), capacity=2)
    booked = holds(
        kit,
        [(first, "student:a", 1), (first, "student:b", 1), *((s, "student:c", 5) for s in others)],
    )
    broken.add(first.id)  # its two holds run out first and fill a read of two
    reads = settled_elsewhere(monkeypatch, first.id, from_read=2)  # after the first read

    claimed: list[int] = []
    real_claim = InMemorySessionRepository.claim

    def claim(self: Any, tenant: str, record_ids: Iterable[str]) -> Any:
        ids = list(record_ids)
        claimed.append(len(ids))
        return real_claim(self, tenant, ids)

    monkeypatch.setattr(InMemorySessionRepository, "claim", claim)
    report = kit.tick(now=NOW + timedelta(hours=1), batch=2, kinds=["expire_holds"])

    assert reads == [2, 4, 2]  # the second read asked past the first slot's two rows
    assert claimed == [1, 2, 2]  # the first slot alone (it failed), then two batches of two
    assert report.expired == 4
    assert report.batches == 2
    assert [kit.bookings.get("acme", b.id).status for b in booked] == [HELD] * 2 + [EXPIRED] * 4


def test_requests_found_past_ones_answered_elsewhere_are_answered_a_batch_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = Harness.in_memory(NOW, notice=coaching_notice(), booking_rules=BookingRules(waitlist=True))
    kit = h.kit
    requests = []
    for n in range(6):
        start = datetime(2026, 3, 10 + n, 9, tzinfo=UTC)
        lesson = kit.sessions.create_extra(
            "acme",
            actor="cleo",
            start=start,
            end=start + timedelta(minutes=45),
            resources=[ResourceRef("coach", "c1")],
            lifecycle="lms",
        )
        requests.append(
            kit.reschedules.request(
                "acme",
                lesson.id,
                role="student",
                actor="ana",
                reason="an exam that morning",
                proposed_start=start + timedelta(hours=3),
                now=NOW + timedelta(minutes=n),
            )
        )
    ids = [r.id for r in requests]
    real_answer = kit.reschedules.answer_due_in

    def answer(tx: Any, candidate: RescheduleRequest, at: datetime) -> Any:
        if candidate.id == ids[0]:
            raise RuntimeError("the host's hook broke")
        return real_answer(tx, candidate, at)

    reads: list[int] = []
    real_due = InMemoryRescheduleRepository.due

    def due(self: Any, tenant: str | None, *, before: datetime, limit: int) -> Any:
        reads.append(limit)
        found = real_due(self, tenant, before=before, limit=10_000)
        if len(reads) >= 2:  # another writer answered the first request after the first read
            found = [r for r in found if r.id != ids[0]]
        return found[:limit]

    units: list[list[str]] = []
    real_run = TickRun.run

    def run(self: TickRun, kind: str, tenant: str, keys: Sequence[str], *a: Any, **k: Any) -> None:
        units.append(list(keys))
        real_run(self, kind, tenant, keys, *a, **k)

    monkeypatch.setattr(kit.reschedules, "answer_due_in", answer)
    monkeypatch.setattr(InMemoryRescheduleRepository, "due", due)
    monkeypatch.setattr(TickRun, "run", run)
    later = max(r.deadline for r in requests) + timedelta(minutes=1)
    report = kit.tick(now=later, batch=2, kinds=["reschedules"])

    assert reads == [2, 3, 2]  # the second read asked past the failed request
    assert units == [ids[:2], ids[2:4], ids[4:5], ids[5:]]
    assert report.approved == 5
    assert [f.item_id for f in report.failed] == [ids[0]]
