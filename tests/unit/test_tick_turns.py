"""A tick that may be stopped (``should_stop``) gives its kinds and tenants a batch each in turn.

One after another, the first kind's backlog (or the first tenant's) could spend
every tick's budget, and the later ones never ran: each tick started where the
last had. In turns, each kind and tenant with work due gets a batch before any
gets a second, with nothing kept from tick to tick (a cron job starts afresh).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from tests.unit.test_services_tick import seed
from tests.unit.test_tick_budget import AT, NOW, timed_sessions

from sessionkit.model.booking import EXPIRED, Booking
from sessionkit.model.series import ScheduleItem, WindowPolicy
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import BookingRules, coaching_notice
from sessionkit.recurrence import Recurrence
from sessionkit.services import TickReport, _tick_work, commands, jobs
from sessionkit.services._context import Tx
from sessionkit.services._tick_run import Claim
from sessionkit.testing.harness import Harness


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(
        NOW, notice=coaching_notice(), booking_rules=BookingRules(waitlist=True)
    )


def statuses(h: Harness, tenant: str) -> list[str]:
    return [s.status for s in h.kit.queries.list(tenant).items]


class Budget:
    """A ``should_stop`` that allows ``batches`` batches, and a progress log of each."""

    def __init__(self, batches: int) -> None:
        self.batches = batches
        self.seen: list[tuple[int, int]] = []

    def progress(self, report: TickReport) -> None:
        self.seen.append((report.advanced, report.expired))

    def __call__(self) -> bool:
        return len(self.seen) >= self.batches


def hold_run_out(h: Harness) -> Booking:
    """A hold of acme's that has run out by :data:`AT`: an ``expire_holds`` item."""
    slot = h.kit.sessions.create_extra(
        "acme",
        actor="tina",
        start=NOW + timedelta(days=3),
        end=NOW + timedelta(days=3, hours=1),
        lifecycle="lms",
        capacity=1,
    )
    return h.kit.bookings.book(
        "acme", slot.id, "student:ana", actor=None, hold_for=timedelta(minutes=5)
    )


def test_a_later_kind_makes_progress_under_a_budget_the_first_kind_s_backlog_would_spend(
    h: Harness,
) -> None:
    timed_sessions(h, 6)  # the advance pass's backlog: six batches of one
    hold = hold_run_out(h)
    budget = Budget(2)
    first = h.kit.tick(now=AT, batch=1, progress=budget.progress, should_stop=budget)
    # A batch of advance, then one of expire_holds: the expiry did not wait for the backlog.
    assert budget.seen == [(1, 0), (1, 1)]
    assert (first.advanced, first.expired, first.more) == (1, 1, True)
    assert h.kit.bookings.get("acme", hold.id).status == EXPIRED
    assert statuses(h, "acme").count("READY") == 1
    rest = h.kit.tick(now=AT, batch=1)
    assert (rest.advanced, rest.expired, rest.more) == (5, 0, False)


def test_a_later_tenant_makes_progress_under_a_budget_the_first_tenant_s_backlog_would_spend(
    h: Harness,
) -> None:
    timed_sessions(h, 6, tenant="acme")  # sorted first, with a backlog of six batches
    timed_sessions(h, 2, tenant="globex")
    budget = Budget(3)
    report = h.kit.tick(
        now=AT, batch=1, kinds=["advance"], progress=budget.progress, should_stop=budget
    )
    assert (report.advanced, report.tenants, report.more) == (3, ("acme", "globex"), True)
    assert statuses(h, "acme") == ["READY"] * 2 + ["SCHEDULED"] * 4
    assert statuses(h, "globex") == ["READY", "SCHEDULED"]


def test_without_should_stop_the_kinds_run_one_after_another(h: Harness) -> None:
    timed_sessions(h, 3)
    hold = hold_run_out(h)
    seen: list[tuple[int, int]] = []
    report = h.kit.tick(now=AT, batch=1, progress=lambda r: seen.append((r.advanced, r.expired)))
    assert seen == [(1, 0), (2, 0), (3, 0), (3, 1)]
    assert (report.advanced, report.expired, report.more) == (3, 1, False)
    assert h.kit.bookings.get("acme", hold.id).status == EXPIRED


def test_every_kind_makes_progress_under_a_budget_the_top_ups_alone_would_spend(
    h: Harness,
) -> None:
    tenants = ("acme", "globex", "initech", "umbrella")
    at = max(seed(h, tenant, timed=1) for tenant in tenants)  # one of each kind a tenant
    seen: list[TickReport] = []
    report = h.kit.tick(now=at, batch=1, progress=seen.append, should_stop=lambda: len(seen) >= 4)
    # One after another, the four top-ups spent the four batches; in turns, one of each.
    done = (report.topped_up, report.approved + report.lapsed, report.advanced, report.expired)
    assert (done, report.more) == ((1, 1, 1, 1), True)
    rest = h.kit.tick(now=at, batch=1)
    left = (rest.topped_up, rest.approved + rest.lapsed, rest.advanced, rest.expired)
    assert (left, rest.more) == ((3, 3, 3, 3), False)


LAPSED_AT = datetime(2026, 4, 13, 16, 50, tzinfo=UTC)
"""Ten minutes before a Monday's 17:00 lesson of :func:`lapsed_series`: READY is due."""


def lapsed_series(h: Harness, tenant: str, day: str = "MO") -> None:
    """An academy series whose window ran out, on ``day`` at 17:00 (the sessions it made at
    first are cancelled: none is due). Its top-up at :data:`LAPSED_AT` makes a lesson due
    for READY at once on a Monday (``"MO"``); on a Friday (``"FR"``), none due yet."""
    first = {"MO": date(2026, 3, 2), "FR": date(2026, 3, 6)}[day]
    h.kit.series.create(
        tenant,
        actor="admin",
        title="Weekly",
        lifecycle="academy",
        items=[
            ScheduleItem(
                day.lower(),
                Recurrence.weekly(
                    days=(day,), at=time(17), duration=timedelta(hours=1), tz="UTC", start=first
                ),
                (ResourceRef("room", "r1"),),
            )
        ],
        window=WindowPolicy(initial_months=1, buffer=timedelta(weeks=1)),
    )
    for session in h.kit.queries.list(tenant).items:
        h.kit.sessions.cancel(tenant, session.id, actor="admin", reason="term break")


@pytest.mark.parametrize("stop", [None, lambda: False], ids=["one-after-another", "in-turns"])
def test_a_tick_in_turns_advances_the_sessions_its_top_ups_made_due(
    h: Harness, stop: Callable[[], bool] | None
) -> None:
    # In turns the advance pass read the tenants, and their pages, while the top-ups were
    # still making sessions: a lesson made due after was left, and the tick said no more.
    for tenant in ("aaa", "acme"):
        lapsed_series(h, tenant)
    report = h.kit.tick(now=LAPSED_AT, batch=1, should_stop=stop)
    assert (report.topped_up, report.advanced, report.more) == (2, 2, False)
    assert [s.status for s in h.kit.queries.list("acme").items if s.status != "CANCELLED"][:1] == [
        "READY"
    ]
    assert h.kit.tick(now=LAPSED_AT).idle


def test_an_advance_pass_run_again_tries_a_failed_session_once(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tenant in ("aaa", "acme"):
        lapsed_series(h, tenant)
    start = LAPSED_AT + timedelta(minutes=5)
    bad = h.kit.sessions.create_extra(
        "aaa", actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
    )
    tried: list[str] = []
    real = commands.advance_steps

    def advance(ctx, tx, session, actor, **options):  # type: ignore[no-untyped-def]  # a stand-in
        if session.id == bad.id:
            tried.append(session.id)
            raise RuntimeError("the host's hook broke")
        return real(ctx, tx, session, actor, **options)

    monkeypatch.setattr(_tick_work, "advance_steps", advance)
    report = h.kit.tick(now=LAPSED_AT, batch=1, should_stop=lambda: False)
    assert ([(f.tenant, f.item_id) for f in report.failed], tried) == ([("aaa", bad.id)], [bad.id])
    assert (report.topped_up, report.advanced, report.more) == (2, 2, False)


def test_an_advance_pass_run_again_counts_a_session_held_elsewhere_once(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tenant in ("aaa", "acme"):
        lapsed_series(h, tenant)
    start = LAPSED_AT + timedelta(minutes=5)
    busy = h.kit.sessions.create_extra(
        "aaa", actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
    )
    real = _tick_work._sessions_of

    def held_elsewhere(tenant: str) -> Claim[Session]:
        claim = real(tenant)

        def claimed(tx: Tx, keys: list[str]) -> Sequence[Session]:
            return [s for s in claim(tx, keys) if s.id != busy.id]  # another worker's lock

        return claimed

    monkeypatch.setattr(_tick_work, "_sessions_of", held_elsewhere)
    report = h.kit.tick(now=LAPSED_AT, batch=1, should_stop=lambda: False)
    assert (report.topped_up, report.advanced, report.held, report.more) == (2, 2, 1, False)


@pytest.mark.parametrize("stop", [None, lambda: False], ids=["one-after-another", "in-turns"])
def test_a_tick_in_turns_advances_what_a_top_up_made_due_after_the_advance_pass_ended(
    h: Harness, stop: Callable[[], bool] | None
) -> None:
    # In turns the advance pass found nothing due at its first turn and ended there, after
    # aaa's top-up and before bbb's: bbb's lesson, due at once, was left and no more said.
    lapsed_series(h, "aaa", "FR")
    lapsed_series(h, "bbb")
    report = h.kit.tick(now=LAPSED_AT, batch=1, should_stop=stop)
    assert (report.topped_up, report.advanced, report.more) == (2, 1, False)
    assert h.kit.tick(now=LAPSED_AT).idle


def test_an_advance_pass_in_turns_reads_the_due_sessions_twice_at_most(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read again after every top-up that committed, it read every tenant's due sessions as
    # many times as there were top-ups: quadratic in the tenants (statements on SQLite, 80
    # tenants: 2,409 one after another, 8,887 in turns).
    tenants = [f"t{n}" for n in range(6)]
    for tenant in tenants:
        lapsed_series(h, tenant)
    reads: list[datetime] = []

    def due_reach(*args: Any) -> Any:
        reads.append(args[1])
        return jobs.due_reach(*args)

    monkeypatch.setattr(_tick_work, "due_reach", due_reach)
    report = h.kit.tick(now=LAPSED_AT, batch=1, should_stop=lambda: False)
    assert (report.topped_up, report.advanced, report.more, len(reads)) == (6, 6, False, 2)
