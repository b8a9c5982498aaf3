"""The marketplace API's background job reminds each paid seat once, a day ahead.

The seed's reminder emails ("marked as TODO"): ``ticking`` runs
:func:`sessionkit.demo.marketplace.due_reminders` after the tick and logs each
reminder where a real host sends its email; rounds after the first log it no
more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.demo.marketplace import (
    DEMO_NOW,
    TENANT,
    build_marketplace,
    due_reminders,
    next_slot,
)
from sessionkit.model import Session

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # the examples live beside src/, not inside the package
    sys.path.insert(0, str(ROOT))

from examples.marketplace_api import app as api  # noqa: E402  # after the path

ROUNDS = 3
"""Whole rounds of the background job the test lets run: the first reminds, the rest must not."""
HUNG = 60.0
"""Seconds after which the job is taken as hung for not having run :data:`ROUNDS` rounds."""


def test_the_background_job_logs_each_reminder_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    market = build_marketplace(DEMO_NOW, uow=InMemoryStore().unit_of_work)
    kit, gateway = market.kit, market.gateway
    assert gateway is not None
    slot = next_slot(kit, "omar-group", DEMO_NOW + timedelta(days=1))
    assert slot is not None
    for student in ("ana", "ben"):
        made = kit.payments.book(TENANT, slot.id, f"student:{student}", actor=student)
        gateway.pay(made.payment.intent_ref or "")
    for event in gateway.drain():
        kit.payments.apply(TENANT, event)
    kit.payments.book(TENANT, slot.id, "student:cai", actor="cai")  # unpaid: not reminded
    market.clock.set(slot.start - timedelta(hours=3))

    rounds: list[int] = []

    def counted(kit: SessionKit) -> list[tuple[Session, str]]:
        found = due_reminders(kit)
        rounds.append(len(found))
        return found

    monkeypatch.setattr(api, "due_reminders", counted)

    async def a_few_rounds() -> None:
        # Until ROUNDS rounds have ended, not for a fixed 0.5 s: a first round still running
        # then (a stalled worker: a loaded CI machine, a long garbage collection) was
        # cancelled after due_reminders had claimed the reminders and before they were
        # logged, and the test saw none. A round counts once due_reminders has returned;
        # the first has logged its reminders by the time the next one starts.
        job = asyncio.create_task(api.ticking(kit, 0.01))
        loop = asyncio.get_running_loop()
        hung = loop.time() + HUNG
        while len(rounds) < ROUNDS and not job.done():
            assert loop.time() < hung, f"{len(rounds)} rounds in {HUNG:g} s"
            await asyncio.sleep(0.01)
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job

    with caplog.at_level(logging.INFO, logger="marketplace_api"):
        asyncio.run(a_few_rounds())
    reminders = sorted(r.getMessage() for r in caplog.records if r.name == "marketplace_api")
    start = slot.start.isoformat()
    assert reminders == [
        f"reminder to student:ana: Chemistry study group starts {start}",
        f"reminder to student:ben: Chemistry study group starts {start}",
    ]
