"""``kit.tick(should_stop=...)``: a tick stopped between batches, its report saying ``more``.

A job engine's time limit either let a tick run to its end or killed it mid-way;
``should_stop`` is asked before each batch, never inside one, so a tick on a
time budget ends cleanly: every batch it did committed, the rest still due.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessionkit.adapters.memory._bookings import InMemoryBookingRepository
from sessionkit.errors import WrongType
from sessionkit.model.booking import EXPIRED, HELD
from sessionkit.model.session import Session
from sessionkit.policies import BookingRules, coaching_notice
from sessionkit.services import TickReport, _tick_work, commands
from sessionkit.testing.harness import Harness

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
AT = NOW + timedelta(hours=1)


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(
        NOW, notice=coaching_notice(), booking_rules=BookingRules(waitlist=True)
    )


class FakeMonotonic:
    """A monotonic clock in seconds that only the work moves."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def budget(clock: FakeMonotonic, seconds: float, log: list[str]) -> Callable[[], bool]:
    """A ``should_stop`` for a time budget on ``clock``, logging each time it is asked."""
    deadline = clock() + seconds

    def should_stop() -> bool:
        log.append("ask")
        return clock() >= deadline

    return should_stop


def timed_sessions(h: Harness, count: int, tenant: str = "acme") -> list[Session]:
    """``count`` academy sessions whose READY timer is due at :data:`AT`, in start order."""
    made = []
    for n in range(count):
        start = AT + timedelta(minutes=n)
        made.append(
            h.kit.sessions.create_extra(
                tenant, actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
            )
        )
    return made


def slow_work(
    monkeypatch: pytest.MonkeyPatch, clock: FakeMonotonic, log: list[str], *, bad: str = ""
) -> None:
    """Each session advanced takes a second of ``clock``, logged; session ``bad`` fails."""
    real = commands.advance_steps

    def advance(ctx, tx, session, actor, **options):  # type: ignore[no-untyped-def]  # a stand-in
        clock.seconds += 1
        log.append(f"work {session.id}")
        if session.id == bad:
            raise RuntimeError("the host's hook broke")
        return real(ctx, tx, session, actor, **options)

    monkeypatch.setattr(_tick_work, "advance_steps", advance)


def statuses(h: Harness, tenant: str = "acme") -> list[str]:
    return [s.status for s in h.kit.queries.list(tenant).items]


def test_a_spent_budget_stops_the_tick_between_batches_and_a_second_tick_does_the_rest(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = timed_sessions(h, 7)
    clock, log = FakeMonotonic(), list[str]()
    slow_work(monkeypatch, clock, log)

    def committed(report: TickReport) -> None:
        log.append(f"committed {report.advanced}")

    report = h.kit.tick(
        now=AT, batch=3, kinds=["advance"], progress=committed, should_stop=budget(clock, 5, log)
    )
    # Asked before each batch, never inside one: two batches of three, then it said stop.
    ids = [s.id for s in made]
    assert log == [
        "ask",
        *(f"work {i}" for i in ids[:3]),
        "committed 3",
        "ask",
        *(f"work {i}" for i in ids[3:6]),
        "committed 6",
        "ask",
    ]
    assert (report.advanced, report.batches, report.more) == (6, 2, True)
    assert report.summary().endswith("0 failed; stopped early, more is due")
    assert statuses(h) == ["READY"] * 6 + ["SCHEDULED"]  # each batch whole or not at all
    monkeypatch.undo()
    rest = h.kit.tick(now=AT, batch=3, kinds=["advance"])
    assert (rest.advanced, rest.batches, rest.more) == (1, 1, False)
    assert statuses(h) == ["READY"] * 7
    assert "stopped early" not in rest.summary()


def test_more_is_set_only_when_a_batch_of_due_items_was_left(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def stop() -> bool:
        asked.append("ask")
        return True

    # Nothing due: no batch, never asked, nothing more.
    nothing = h.kit.tick(now=AT, should_stop=stop)
    assert (nothing.idle, nothing.more, asked) == (True, False, [])
    # The budget runs out with the last batch: never asked again, nothing more.
    timed_sessions(h, 6)
    clock, log = FakeMonotonic(), list[str]()
    slow_work(monkeypatch, clock, log)
    done = h.kit.tick(now=AT, batch=3, kinds=["advance"], should_stop=budget(clock, 6, log))
    assert (done.advanced, done.more, log.count("ask")) == (6, False, 2)
    # Spent before the first batch: nothing done, asked once, more is due.
    timed_sessions(h, 2, tenant="globex")
    idle = h.kit.tick(now=AT, should_stop=stop)
    assert (idle.done, idle.batches, idle.more, asked) == (0, 0, True, ["ask"])
    assert statuses(h, "globex") == ["SCHEDULED"] * 2


def test_a_stopped_tick_leaves_the_later_kinds_due_for_the_next_one(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    timed_sessions(h, 2)
    slot = h.kit.sessions.create_extra(
        "acme",
        actor="tina",
        start=NOW + timedelta(days=3),
        end=NOW + timedelta(days=3, hours=1),
        lifecycle="lms",
        capacity=1,
    )
    hold = h.kit.bookings.book(
        "acme", slot.id, "student:ana", actor=None, hold_for=timedelta(minutes=5)
    )
    waiting = h.kit.bookings.book("acme", slot.id, "student:ben", actor=None, waitlist=True)
    reads: list[int] = []
    real_expiring = InMemoryBookingRepository.expiring

    def expiring(self: Any, tenant: str | None, *, before: datetime, limit: int) -> Any:
        reads.append(limit)
        return real_expiring(self, tenant, before=before, limit=limit)

    monkeypatch.setattr(InMemoryBookingRepository, "expiring", expiring)
    answers = iter([False, True])
    first = h.kit.tick(now=AT, batch=10, should_stop=lambda: next(answers))
    assert (first.advanced, first.expired, first.more) == (2, 0, True)
    assert reads == [10]  # the expiry pass read what ran out; its batch never started
    assert h.kit.bookings.get("acme", hold.id).status == HELD
    second = h.kit.tick(now=AT, batch=10)
    assert (second.advanced, second.expired, second.offered, second.more) == (0, 1, 1, False)
    assert h.kit.bookings.get("acme", hold.id).status == EXPIRED
    assert h.kit.bookings.get("acme", waiting.id).status == "OFFERED"


def test_the_expiry_pass_stops_between_its_batches_and_reads_no_page_past_it(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    slots = [
        h.kit.sessions.create_extra(
            "acme",
            actor="tina",
            start=NOW + timedelta(days=3, hours=n),
            end=NOW + timedelta(days=3, hours=n + 1),
            lifecycle="lms",
            capacity=1,
        )
        for n in range(4)
    ]
    holds = [
        h.kit.bookings.book(
            "acme", s.id, "student:ana", actor=None, hold_for=timedelta(minutes=5 + n)
        )
        for n, s in enumerate(slots)
    ]
    reads: list[int] = []
    real_expiring = InMemoryBookingRepository.expiring

    def expiring(self: Any, tenant: str | None, *, before: datetime, limit: int) -> Any:
        reads.append(limit)
        return real_expiring(self, tenant, before=before, limit=limit)

    monkeypatch.setattr(InMemoryBookingRepository, "expiring", expiring)
    answers = iter([False, False, True])
    report = h.kit.tick(now=AT, batch=1, kinds=["expire_holds"], should_stop=lambda: next(answers))
    assert (report.expired, report.batches, report.more) == (2, 2, True)
    assert reads == [1, 1, 1]  # the third page was read, its batch not started, no fourth
    assert [h.kit.bookings.get("acme", b.id).status for b in holds] == [EXPIRED] * 2 + [HELD] * 2
    rest = h.kit.tick(now=AT, batch=1, kinds=["expire_holds"])
    assert (rest.expired, rest.more) == (2, False)


def test_a_batch_run_again_item_by_item_stops_between_its_items(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = timed_sessions(h, 3)
    clock, log = FakeMonotonic(), list[str]()
    slow_work(monkeypatch, clock, log, bad=made[0].id)
    # The batch of three fails on its first item (1 s), run alone that one fails again
    # (2 s), the second is done (3 s): the budget is spent, the third is not started.
    report = h.kit.tick(now=AT, batch=3, kinds=["advance"], should_stop=budget(clock, 3, log))
    assert (report.advanced, report.more) == (1, True)
    assert [f.item_id for f in report.failed] == [made[0].id]  # the third is no failure
    assert log.count("ask") == 4  # before the batch, and before each item run alone
    assert statuses(h) == ["SCHEDULED", "READY", "SCHEDULED"]
    monkeypatch.undo()
    rest = h.kit.tick(now=AT, kinds=["advance"])
    assert (rest.advanced, rest.more) == (2, False)


def test_a_should_stop_that_is_no_callable_is_refused_naming_it(h: Harness) -> None:
    timed_sessions(h, 1)
    with pytest.raises(WrongType) as refused:
        h.kit.tick(now=AT, should_stop=42)  # type: ignore[arg-type]
    assert (refused.value.value, refused.value.name) == (42, "should_stop")
    assert "callable" in refused.value.expected
    with pytest.raises(WrongType):
        h.kit.tick(now=AT, should_stop=True)  # type: ignore[arg-type]
    assert statuses(h) == ["SCHEDULED"]  # refused before anything was done


@pytest.mark.parametrize("answer", ["yes", None, 1])
def test_a_should_stop_answering_no_bool_stops_the_tick_and_is_raised_naming_it(
    h: Harness, answer: object
) -> None:
    timed_sessions(h, 4)
    answers = iter([False, answer])
    with pytest.raises(WrongType) as refused:
        h.kit.tick(now=AT, batch=2, kinds=["advance"], should_stop=lambda: next(answers))  # type: ignore[arg-type, return-value]
    assert (refused.value.value, refused.value.name) == (answer, "should_stop()")
    report = getattr(refused.value, "tick_report", None)
    assert isinstance(report, TickReport)
    assert (report.advanced, report.more) == (2, True)  # the first batch stands
    assert statuses(h) == ["READY"] * 2 + ["SCHEDULED"] * 2
    assert any("should_stop" in note for note in refused.value.__notes__)


def test_a_should_stop_that_raises_stops_the_tick_and_its_error_is_raised(h: Harness) -> None:
    timed_sessions(h, 4)
    error = RuntimeError("the job's deadline could not be read")
    asked: list[int] = []

    def should_stop() -> bool:
        asked.append(1)
        if len(asked) == 2:
            raise error
        return False

    with pytest.raises(RuntimeError) as raised:
        h.kit.tick(now=AT, batch=2, kinds=["advance"], should_stop=should_stop)
    assert raised.value is error
    report = getattr(error, "tick_report", None)
    assert isinstance(report, TickReport)
    assert (report.advanced, report.batches, report.more) == (2, 1, True)
    assert len(asked) == 2  # not asked again once it raised
    assert statuses(h) == ["READY"] * 2 + ["SCHEDULED"] * 2
