"""``tick_blueprint(budget=...)``: a job's tick stops between batches once its budget is spent.

On procrastinate's in-memory connector (no database): a ``tick_tenant`` job
stopped by its budget says ``more`` and defers the tenant's next job, under the
fan-out's queueing lock; one within its budget defers nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.services import _tick_work, commands
from sessionkit.testing.clocks import ManualClock

procrastinate = pytest.importorskip("procrastinate")

from procrastinate import testing  # noqa: E402  # after the skip

from sessionkit.contrib import procrastinate as contrib  # noqa: E402  # after the skip

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
AT = NOW + timedelta(hours=1)


def _no_kit() -> SessionKit:
    raise AssertionError("the blueprint's jobs do not run here")


@pytest.mark.parametrize(
    ("budget", "error"),
    [
        (timedelta(0), InvalidValue),
        (timedelta(seconds=-30), InvalidValue),
        (30, WrongType),  # seconds? minutes? a timedelta says
        (True, WrongType),
        ("PT30S", WrongType),
    ],
)
def test_a_bad_budget_is_refused_naming_it_when_the_blueprint_is_made(
    budget: object, error: type[Exception]
) -> None:
    with pytest.raises(error) as refused:
        contrib.tick_blueprint(_no_kit, budget=budget)  # type: ignore[arg-type]
    assert isinstance(refused.value, InvalidValue | WrongType)
    assert refused.value.value == budget
    assert "budget" in str(refused.value)


def _kit(sessions: int) -> SessionKit:
    clock = ManualClock(NOW)
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=clock)
    for n in range(sessions):
        start = AT + timedelta(minutes=n)
        kit.sessions.create_extra(
            "acme", actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
        )
    clock.set(AT)  # every session's READY timer is due
    return kit


@pytest.fixture
def seconds(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The jobs' monotonic clock, faked: each session advanced takes a second of it."""
    now = [0.0]
    real = commands.advance_steps

    def advance(ctx, tx, session, actor, **options):  # type: ignore[no-untyped-def]  # a stand-in
        now[0] += 1
        return real(ctx, tx, session, actor, **options)

    monkeypatch.setattr(_tick_work, "advance_steps", advance)
    monkeypatch.setattr(contrib, "_monotonic", lambda: now[0])
    return now


def _app(kit: SessionKit, **options: Any) -> Any:
    app = procrastinate.App(connector=testing.InMemoryConnector())
    app.add_tasks_from(contrib.tick_blueprint(kit, batch=2, **options), namespace="sessionkit")
    return app


def _waiting(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (job["task_name"], job["queueing_lock"], job["args"])
        for job in app.connector.jobs.values()
        if job["status"] == "todo"
    ]


def test_a_tenant_job_stopped_by_its_budget_says_more_and_defers_the_next(
    seconds: list[float],
) -> None:
    kit = _kit(5)
    app = _app(kit, budget=timedelta(seconds=3))
    job = app.tasks["sessionkit:tick_tenant"]
    with app.open():
        counts = job("acme")
        # Two batches of two (4 s): the third was not started.
        assert (counts["advanced"], counts["batches"], counts["more"]) == (4, 2, 1)
        lock = "sessionkit:sessionkit-tick:acme"
        assert _waiting(app) == [("sessionkit:tick_tenant", lock, {"tenant": "acme"})]
        again = job("acme")  # run by hand while the deferred one waits: that one is kept
        assert (again["advanced"], again["more"]) == (1, 0)
        assert _waiting(app) == [("sessionkit:tick_tenant", lock, {"tenant": "acme"})]
    assert [s.status for s in kit.queries.list("acme").items] == ["READY"] * 5
    assert seconds == [5.0]


def test_a_job_within_its_budget_says_no_more_and_defers_nothing(seconds: list[float]) -> None:
    kit = _kit(3)
    app = _app(kit, budget=timedelta(minutes=1))
    with app.open():
        counts = app.tasks["sessionkit:tick_tenant"]("acme")
        assert (counts["advanced"], counts["more"]) == (3, 0)
        assert _waiting(app) == []


def test_the_unfanned_tick_stops_by_its_budget_and_leaves_the_rest_to_the_next(
    seconds: list[float],
) -> None:
    kit = _kit(5)
    app = _app(kit, budget=timedelta(seconds=1), fan_out=False)
    with app.open():
        counts = app.tasks["sessionkit:tick"](timestamp=0)
        assert (counts["advanced"], counts["more"]) == (2, 1)
        assert _waiting(app) == []  # the next periodic tick does the rest
    assert [s.status for s in kit.queries.list("acme").items].count("READY") == 2
    assert seconds == [2.0]


def test_without_a_budget_a_job_returns_the_counts_it_always_did() -> None:
    kit = _kit(1)
    counts = contrib.tick_blueprint(kit).tasks["tick_tenant"]("acme")
    assert "more" not in counts
    assert counts["advanced"] == 1
