"""``TickReport.batches`` counts the batches that committed work, not those held elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.model.session import Session
from sessionkit.services import TickReport, _tick_work
from sessionkit.services._context import Tx
from sessionkit.services._tick_run import Claim
from sessionkit.testing.harness import Harness

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_a_batch_whose_items_another_worker_holds_is_not_a_batch_committed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = Harness.in_memory(NOW)
    at = NOW + timedelta(hours=1)
    for n in range(7):
        start = at + timedelta(minutes=n)
        h.kit.sessions.create_extra(
            "acme", actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
        )
    real = _tick_work._sessions_of
    calls = [0]

    def first_held(tenant: str) -> Claim[Session]:
        claim = real(tenant)

        def held_once(tx: Tx, keys: list[str]) -> Sequence[Session]:
            calls[0] += 1
            return [] if calls[0] == 1 else claim(tx, keys)  # the first batch: all held

        return held_once

    monkeypatch.setattr(_tick_work, "_sessions_of", first_held)
    seen: list[TickReport] = []
    report = h.kit.tick(now=at, batch=3, kinds=["advance"], progress=seen.append)
    # Was batches 3: the held batch of 3 counted as one committed, beside the 3 + 1 done.
    assert (report.done, report.held, report.batches) == (4, 3, 2)
    assert [(r.held, r.advanced, r.batches) for r in seen] == [(3, 0, 0), (3, 3, 1), (3, 4, 2)]
    assert "4 done in 2 batches over 1 tenants" in report.summary()
    # A tick whose every batch is held commits none.
    monkeypatch.setattr(_tick_work, "_sessions_of", lambda tenant: lambda tx, keys: [])
    later = at + timedelta(days=2)
    assert h.kit.due_tenants(now=later) == ["acme"]
    held = h.kit.tick(now=later, batch=3, kinds=["advance"])
    assert (held.done, held.held, held.batches, held.tenants) == (0, 3, 0, ())  # the 3 left due
