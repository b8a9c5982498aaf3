"""Every error raised once a unit of work committed is marked ``raised_after_commit``.

The unit of work marked the publisher's error (an event handler's), but not an
error of the after-commit hooks (the provider calls a committed unit left due,
a paid hold's cancel) when the unit itself closed cleanly, nor a hook's error
raised after a handler's: ``run_due`` and the Django admin, which read the
mark, took such a command for one that failed. The tick and the expiry job
now read the mark too (they compared the store's commit count before and
after), so they count such a batch, go on, and raise the error at the end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import SessionKitError, TransientConflict
from sessionkit.model.booking import EXPIRED
from sessionkit.model.money import Money
from sessionkit.policies import Rate
from sessionkit.services import ExpiryReport, TickReport, raised_after_commit
from sessionkit.services._tick_run import TickRun
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


class HookDown(RuntimeError):
    """A host's after-commit hook failing (a notifier it calls is down)."""


def _harness() -> Harness:
    holder: list[Harness] = []
    gateway = FakeGateway(clock=lambda: holder[0].clock.now())
    h = Harness.in_memory(
        NOW, id_prefix="x", gateway=gateway, pricing=lambda _s: Rate(Money.of(40, "EUR"))
    )
    holder.append(h)
    return h


def _hook_failing(h: Harness, times: int) -> list[list[tuple[str, str]]]:
    """Add a hook after the kit's own that raises ``HookDown`` the first ``times`` calls."""
    seen: list[list[tuple[str, str]]] = []

    def hook(calls: list[tuple[str, str]]) -> None:
        seen.append(calls)
        if len(seen) <= times:
            raise HookDown(f"the notifier is down ({len(seen)})")

    h.kit.context.after_commit.append(hook)
    return seen


def _paid_holds(h: Harness, count: int) -> list[str]:
    """Hold one paid seat in each of ``count`` lessons; return the bookings' ids."""
    held = []
    for n in range(count):
        start = NOW + timedelta(days=2 + n)
        lesson = h.kit.sessions.create_extra(
            T, actor="tina", start=start, end=start + timedelta(hours=1), lifecycle="marketplace"
        )
        checkout = h.kit.payments.book(T, lesson.id, f"student:s{n}", actor=f"s{n}")
        held.append(checkout.booking.id)
    return held


def _lesson(h: Harness) -> str:
    start = NOW + timedelta(days=1)
    return h.kit.sessions.create_extra(
        T, actor="tina", start=start, end=start + timedelta(hours=1), lifecycle="marketplace"
    ).id


def test_a_handler_s_error_is_marked_and_a_refusal_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    h = _harness()
    error = RuntimeError("the mailer is down")

    def mailer(_events: object) -> None:
        raise error

    monkeypatch.setattr(h.events, "publish", mailer)
    with pytest.raises(RuntimeError) as raised:
        _lesson(h)
    assert raised.value is error
    assert raised_after_commit(error) is True
    refusal = SessionKitError("refused")
    with pytest.raises(SessionKitError), h.kit.context.transaction():
        raise refusal
    assert raised_after_commit(refusal) is False


def test_an_after_commit_hook_s_error_is_marked() -> None:
    h = _harness()
    seen = _hook_failing(h, times=1)
    with pytest.raises(HookDown) as raised, h.kit.context.transaction() as tx:
        tx.calls.append((T, "p1"))
    assert seen == [[(T, "p1")]]
    assert raised_after_commit(raised.value) is True


def test_a_hook_s_error_raised_after_a_handler_s_is_marked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The hold's expiry publishes its event (the handler raises), then its cancel call is
    # made and the hook after it raises: the hook's error is the one raised.
    h = _harness()
    _paid_holds(h, 1)
    _hook_failing(h, times=1)
    handler = RuntimeError("the mailer is down")
    armed = [True]

    def mailer(_events: object) -> None:
        if armed and armed.pop():  # the expiry's event, not the cancel call's after it
            raise handler

    monkeypatch.setattr(h.events, "publish", mailer)
    with pytest.raises(HookDown) as raised:
        h.kit.bookings.expire_due(T, now=NOW + timedelta(hours=1))
    assert raised.value.__context__ is handler
    assert raised_after_commit(raised.value) is True


def test_an_error_raised_again_out_of_a_unit_that_rolled_back_is_not_marked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A host's error kept in a module and raised each time: once by a handler after a
    # commit, then by a guard inside a unit. Marked still, the tick took the second
    # for one raised after its batch committed, and counted the batch rolled back.
    h = _harness()
    error = RuntimeError("the mailer is down")
    armed = [True]

    def mailer(_events: object) -> None:
        if armed and armed.pop():
            raise error

    monkeypatch.setattr(h.events, "publish", mailer)
    with pytest.raises(RuntimeError):
        _lesson(h)
    assert raised_after_commit(error) is True
    with pytest.raises(RuntimeError), h.kit.context.transaction():
        raise error
    assert raised_after_commit(error) is False


def test_the_tick_counts_a_batch_whose_hook_raised_and_raises_it_at_the_end() -> None:
    # Marked, the hook's error after the first batch's commit (its hold's cancel call
    # made) is raised once the second batch is done, both counted: unmarked, the
    # committed batch was reported failed and nothing raised.
    h = _harness()
    held = _paid_holds(h, 2)
    seen = _hook_failing(h, times=2)
    with pytest.raises(HookDown) as raised:
        h.kit.tick(now=NOW + timedelta(hours=1), kinds=["expire_holds"], batch=1)
    report = getattr(raised.value, "tick_report", None)
    assert isinstance(report, TickReport)
    assert (report.expired, report.batches, report.failed) == (2, 2, ())
    assert raised.value.__notes__ == [
        f"the tick committed its work: {report.summary()}",
        "after another batch committed: HookDown('the notifier is down (2)')",
    ]
    assert [h.kit.bookings.get(T, b).status for b in held] == [EXPIRED, EXPIRED]
    assert len(seen) == 2


def test_the_expiry_job_expires_every_hold_past_a_hook_s_error() -> None:
    h = _harness()
    held = _paid_holds(h, 2)
    _hook_failing(h, times=1)
    with pytest.raises(HookDown) as raised:
        h.kit.bookings.expire_due(T, now=NOW + timedelta(hours=1))
    report = ExpiryReport(expired=2, offered=0, sessions=2, more=False)
    assert raised.value.__notes__ == [f"the expiry job committed its work: {report!r}"]
    assert [h.kit.bookings.get(T, b).status for b in held] == [EXPIRED, EXPIRED]


def test_the_tick_notes_its_summary_failures_and_later_errors_and_carries_its_report() -> None:
    h = _harness()
    run = TickRun(h.kit.context, at=NOW, batch=10, actor=None, progress=None)
    refused = TransientConflict("busy")
    run.fail("advance", T, "s9", refused)
    first, second = RuntimeError("first"), RuntimeError("second")
    run.published.extend([first, second])
    with pytest.raises(RuntimeError) as raised:
        run.done()
    assert raised.value is first
    report = run.report()
    assert getattr(first, "tick_report", None) == report
    assert first.__notes__ == [
        f"the tick committed its work: {report.summary()}",
        "failed advance acme/s9: busy",
        "after another batch committed: RuntimeError('second')",
    ]
    assert TickRun(h.kit.context, at=NOW, batch=10, actor=None, progress=None).done() == (
        TickReport(now=NOW)
    )
