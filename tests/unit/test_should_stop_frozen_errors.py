"""A ``should_stop`` (or tick ``progress``) raising a frozen error: that error is raised.

``run_due`` and the tick note on the error of their ``should_stop`` (and the tick on
its ``progress`` callback's) that it stopped the run (``add_note``, which sets
``__notes__``): a frozen dataclass refuses that, and the refusal
(``FrozenInstanceError``) escaped instead, with no report of the work already
committed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from tests.unit.test_payment_calls_should_stop import due, refunds_due
from tests.unit.test_services_payments import Shop
from tests.unit.test_tick_budget import AT, NOW, timed_sessions

from sessionkit.services import _tick_work, commands
from sessionkit.services.payments import DUE_REPORT_ATTRIBUTE, DueReport
from sessionkit.testing.harness import Harness


@dataclasses.dataclass(frozen=True)
class ClockGone(Exception):
    """A host's error, a frozen dataclass."""

    why: str = "the deadline cannot be read"


class HookBroke(Exception):
    """A host's error frozen as attrs' ``frozen`` made one before attrs 24.3.

    Its traceback may be set (a frozen dataclass's may not, so it cannot leave a
    unit of work at all), its notes may not.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name == "__notes__":
            raise AttributeError(f"can't set attribute {name!r}")  # FrozenInstanceError's base
        super().__setattr__(name, value)


def raising_at_second_ask() -> Callable[[], bool]:
    """A ``should_stop`` that says go once, then raises :class:`ClockGone`."""
    asked: list[int] = []

    def should_stop() -> bool:
        asked.append(len(asked))
        if len(asked) > 1:
            raise ClockGone
        return False

    return should_stop


def test_run_due_raises_a_frozen_should_stop_error_with_its_report_and_note() -> None:
    shop = Shop()
    payments = refunds_due(shop, 2)
    with pytest.raises(ClockGone) as raised:
        shop.kit.payments.run_due(should_stop=raising_at_second_ask())
    report = getattr(raised.value, DUE_REPORT_ATTRIBUTE, None)
    assert report == DueReport(done=1, more=True, stopped=True)
    assert "raised by run_due's should_stop, which stopped the run" in raised.value.__notes__
    assert due(shop, payments) == [None, "refund"]


def test_the_tick_raises_a_frozen_should_stop_error_with_its_report_and_note() -> None:
    h = Harness.in_memory(NOW)
    timed_sessions(h, 3)
    with pytest.raises(ClockGone) as raised:
        h.kit.tick(now=AT, batch=1, should_stop=raising_at_second_ask())
    report = getattr(raised.value, "tick_report", None)
    assert report is not None
    assert (report.advanced, report.more) == (1, True)
    assert "raised by the tick's should_stop, which stopped the tick" in raised.value.__notes__


def test_the_tick_raises_a_frozen_progress_error_with_its_report_and_note() -> None:
    h = Harness.in_memory(NOW)
    timed_sessions(h, 2)

    def progress(report: object) -> None:
        raise ClockGone

    with pytest.raises(ClockGone) as raised:
        h.kit.tick(now=AT, batch=1, progress=progress)
    report = getattr(raised.value, "tick_report", None)
    assert report is not None
    assert (report.advanced, report.more) == (2, False)
    notes = raised.value.__notes__
    assert "raised by the tick's progress callback, not called again after it" in notes


def test_a_batch_s_frozen_error_the_stopped_tick_did_not_run_alone_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = Harness.in_memory(NOW)
    made = timed_sessions(h, 2)
    real = commands.advance_steps

    def advance(ctx, tx, session, actor, **options):  # type: ignore[no-untyped-def]  # a stand-in
        if session.id == made[1].id:
            raise HookBroke
        return real(ctx, tx, session, actor, **options)

    monkeypatch.setattr(_tick_work, "advance_steps", advance)
    asked: list[int] = []

    def should_stop() -> bool:  # the batch may start, its items alone may not
        asked.append(len(asked))
        return len(asked) > 1

    report = h.kit.tick(now=AT, batch=2, should_stop=should_stop)
    [failure] = report.failed
    assert (failure.item_id, type(failure.error), report.more) == ("*", HookBroke, True)
    assert "the tick's should_stop stopped it" in failure.error.__notes__[0]
