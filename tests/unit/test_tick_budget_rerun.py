"""A batch that failed, its items not run alone because ``should_stop`` said stop, is reported.

A batch that fails is run again item by item, ``should_stop`` asked before each
item. Stopped before the first, the tick reported nothing of the batch: no
failure, the batch's error nowhere (not raised, not in ``failed``, not in the
procrastinate job's log), only ``more``. A job whose budget a failing batch
always spends stayed stuck on it, silently, tick after tick. The batch's error is
now a failure of the kind with item id ``*``; its items stay due, none reported
failed that was not run alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.model.session import Session
from sessionkit.services import _tick_work, commands
from sessionkit.testing.harness import Harness

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
AT = NOW + timedelta(hours=1)


def _three_lessons() -> tuple[Harness, list[Session]]:
    """A harness with three academy lessons from 09:00, a minute apart, all due to advance."""
    h = Harness.in_memory(NOW)
    made = []
    for n in range(3):
        start = AT + timedelta(minutes=n)
        made.append(
            h.kit.sessions.create_extra(
                "acme", actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
            )
        )
    return h, made


def test_a_failed_batch_whose_items_were_not_run_alone_is_reported_with_its_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, made = _three_lessons()
    seconds = [0.0]
    error = RuntimeError("the host's hook broke")
    real = commands.advance_steps

    def advance(ctx, tx, session, actor, **options):  # type: ignore[no-untyped-def]  # a stand-in
        seconds[0] += 1
        if session.id == made[1].id:
            raise error
        return real(ctx, tx, session, actor, **options)

    monkeypatch.setattr(_tick_work, "advance_steps", advance)
    # The batch of three fails on its second item (2 s of a 2 s budget): stopped before any
    # item is run alone.
    report = h.kit.tick(now=AT, batch=3, kinds=["advance"], should_stop=lambda: seconds[0] >= 2)
    assert (report.advanced, report.more) == (0, True)
    assert [(f.kind, f.tenant, f.item_id, f.error) for f in report.failed] == [
        ("advance", "acme", "*", error)
    ]
    assert any("should_stop" in note for note in error.__notes__)
    assert [s.status for s in h.kit.queries.list("acme").items] == ["SCHEDULED"] * 3


def test_a_failed_batch_whose_culprit_was_run_alone_is_reported_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, made = _three_lessons()
    seconds = [0.0]
    real = commands.advance_steps

    def advance(ctx, tx, session, actor, **options):  # type: ignore[no-untyped-def]  # a stand-in
        seconds[0] += 1
        if session.id == made[0].id:
            raise RuntimeError("the host's hook broke")
        return real(ctx, tx, session, actor, **options)

    monkeypatch.setattr(_tick_work, "advance_steps", advance)
    report = h.kit.tick(now=AT, batch=3, kinds=["advance"], should_stop=lambda: seconds[0] >= 2)
    # The batch (1 s), the first alone (2 s): stopped; the first failed, none other is.
    assert (report.advanced, report.more) == (0, True)
    assert [f.item_id for f in report.failed] == [made[0].id]
