"""``tick_blueprint(budget=...)``: a stopped ``tick_tenant`` job defers the next if it did work.

A job whose budget was spent before it did anything (its reads were slow, or
the items at the front of the queue failed, slowly, again) deferred the
tenant's next job, which met the same and deferred the next: jobs without end,
back to back, none doing anything. Such a job now leaves the rest to the next
periodic tick, as the tick with ``fan_out=False`` does; a job that did work
still defers the next (``test_procrastinate_tick_budget.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.services import _tick_work, commands
from sessionkit.testing.clocks import ManualClock

procrastinate = pytest.importorskip("procrastinate")

from procrastinate import testing  # noqa: E402  # after the skip

from sessionkit.contrib import procrastinate as contrib  # noqa: E402  # after the skip

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
AT = NOW + timedelta(hours=1)
LOCK = "sessionkit:sessionkit-tick:acme"


def _kit(sessions: int) -> tuple[SessionKit, list[str]]:
    clock = ManualClock(NOW)
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=clock)
    ids = []
    for n in range(sessions):
        start = AT + timedelta(minutes=n)
        made = kit.sessions.create_extra(
            "acme", actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
        )
        ids.append(made.id)
    clock.set(AT)  # every session's READY timer is due
    return kit, ids


def _app(kit: SessionKit) -> Any:
    app = procrastinate.App(connector=testing.InMemoryConnector())
    blueprint = contrib.tick_blueprint(kit, batch=2, budget=timedelta(seconds=1))
    app.add_tasks_from(blueprint, namespace="sessionkit")
    return app


def _waiting(app: Any) -> list[tuple[str, str]]:
    return [
        (job["task_name"], job["queueing_lock"])
        for job in app.connector.jobs.values()
        if job["status"] == "todo"
    ]


def test_a_job_whose_budget_was_spent_before_its_first_batch_defers_no_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kit, _ids = _kit(3)
    seconds = iter([0.0, 5.0])  # the deadline; then the reads took 5 s of a 1 s budget
    monkeypatch.setattr(contrib, "_monotonic", lambda: next(seconds))
    app = _app(kit)
    with app.open():
        counts = app.tasks["sessionkit:tick_tenant"]("acme")
        assert (counts["done"], counts["batches"], counts["more"]) == (0, 0, 1)
        assert _waiting(app) == []  # a next job would meet the same: the periodic tick goes on
    assert kit.due_tenants() == ["acme"]  # all of it still due, for the next fan-out


def test_a_job_that_spent_its_budget_on_failing_items_defers_no_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kit, ids = _kit(3)
    now = [0.0]
    real = commands.advance_steps

    def advance(ctx, tx, session, actor, **options):  # type: ignore[no-untyped-def]  # a stand-in
        now[0] += 2  # the first session's hook times out, every time (2 s of a 1 s budget)
        if session.id == ids[0]:
            raise RuntimeError("the host's hook timed out")
        return real(ctx, tx, session, actor, **options)

    monkeypatch.setattr(_tick_work, "advance_steps", advance)
    monkeypatch.setattr(contrib, "_monotonic", lambda: now[0])
    app = _app(kit)
    with app.open():
        counts = app.tasks["sessionkit:tick_tenant"]("acme")
        # The batch failed, none of its items was run alone: its error is one failure ("*").
        assert (counts["done"], counts["failed"], counts["more"]) == (0, 1, 1)
        assert _waiting(app) == []
