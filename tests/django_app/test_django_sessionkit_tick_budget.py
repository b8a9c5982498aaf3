"""``manage.py sessionkit_tick --budget SECONDS``: stop between batches, say more is due.

The budget is measured on the command module's ``_monotonic`` from the command's
start; these tests put a fake clock there that each batch the tick commits moves
on by 10 seconds, so what a budget lets through is exact whatever the machine.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from tests._batch_clock import Seconds, batch_clock

from sessionkit.contrib.django.models import SessionRecord
from sessionkit.contrib.django.store import DjangoStore
from sessionkit.services import SessionKit
from sessionkit.services.tick import TickReport
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.contract import OTHER_TENANT, TENANT

from .conftest import clear
from .django_settings import KITS

command = importlib.import_module("sessionkit.contrib.django.management.commands.sessionkit_tick")

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
START = NOW + timedelta(days=1)
"""The lessons' start: the academy's READY falls due 15 minutes before it."""


@pytest.fixture
def kit(sqlite_db: str) -> Iterator[SessionKit]:
    """The kit ``SESSIONKIT_KIT`` gives, at ten minutes before :data:`START`."""
    clear(sqlite_db)
    made = SessionKit(
        uow=DjangoStore(RecordingPublisher(), using=sqlite_db).unit_of_work,
        clock=ManualClock(START - timedelta(minutes=10)),
    )
    KITS.append(made)
    yield made
    KITS.remove(made)
    clear(sqlite_db)


@pytest.fixture
def seconds(monkeypatch: pytest.MonkeyPatch) -> Seconds:
    """The fake clock, as ``--budget``'s, moved on by each batch a tick reports."""
    return batch_clock(monkeypatch, command)


def _lessons(made: SessionKit, tenant: str, count: int) -> None:
    for n in range(count):
        start = START + timedelta(minutes=n)
        made.sessions.create_extra(
            tenant,
            actor="test",
            start=start,
            end=start + timedelta(minutes=45),
            lifecycle="academy",
            capacity=2,  # a circle: its ABSENT timer asks nobody who attended
        )


def _statuses(tenant: str) -> list[str]:
    rows = SessionRecord.objects.filter(tenant=tenant).order_by("start_at")
    return list(rows.values_list("status", flat=True))


def test_a_spent_budget_stops_between_batches_and_the_next_run_does_the_rest(
    kit: SessionKit, seconds: Seconds
) -> None:
    _lessons(kit, TENANT, 4)
    out = StringIO()
    # Batches start at 0, 10 and 20 s; at 30 s the 25 s budget is spent: the fourth waits.
    call_command(
        "sessionkit_tick", "--kind", "advance", "--batch", "1", "--budget", "25", stdout=out
    )  # no CommandError: stopped early is no failure (status 0)
    assert out.getvalue().splitlines() == [
        "advance: 3 sessions advanced, 0 failed",
        (
            "tick: 3 done in 3 batches over 1 tenants: 0 series topped up (+0 sessions), "
            "0 reschedules approved, 0 lapsed, 3 sessions advanced, 0 bookings expired "
            "(0 seats offered); 0 held elsewhere, 0 failed; stopped early, more is due"
        ),
    ]
    assert _statuses(TENANT) == ["READY", "READY", "READY", "SCHEDULED"]
    again = StringIO()  # its own budget, from its own start (30 s): the rest in one batch
    call_command("sessionkit_tick", "--kind", "advance", "--budget", "25", stdout=again)
    assert again.getvalue().splitlines()[0] == "advance: 1 sessions advanced, 0 failed"
    assert again.getvalue().splitlines()[1].endswith("; 0 held elsewhere, 0 failed")
    assert _statuses(TENANT) == ["READY"] * 4


def test_until_idle_ticks_no_more_once_the_budget_is_spent(
    kit: SessionKit, seconds: Seconds
) -> None:
    _lessons(kit, TENANT, 4)
    out = StringIO()
    call_command(
        "sessionkit_tick",
        *("--kind", "advance", "--batch", "1", "--until-idle", "--budget", "15"),
        stdout=out,
    )
    ticks = [line for line in out.getvalue().splitlines() if line.startswith("tick: ")]
    assert len(ticks) == 1  # not a second tick that starts no batch: the budget is spent
    assert ticks[0].startswith("tick: 2 done in 2 batches")
    assert ticks[0].endswith("stopped early, more is due")
    assert _statuses(TENANT) == ["READY", "READY", "SCHEDULED", "SCHEDULED"]


def test_a_tenant_after_the_budget_is_spent_is_left_for_the_next_run(
    kit: SessionKit, seconds: Seconds
) -> None:
    _lessons(kit, TENANT, 2)
    _lessons(kit, OTHER_TENANT, 1)
    out = StringIO()
    tenants = ("--tenant", TENANT, "--tenant", OTHER_TENANT)
    call_command(
        "sessionkit_tick", *tenants, "--kind", "advance", "--budget", "5", "--payments", stdout=out
    )
    assert out.getvalue().splitlines() == [
        f"{TENANT}: advance: 2 sessions advanced, 0 failed",  # one batch of 2, done at 10 s
        (
            f"{TENANT}: tick: 2 done in 1 batches over 1 tenants: 0 series topped up "
            "(+0 sessions), 0 reschedules approved, 0 lapsed, 2 sessions advanced, 0 bookings "
            "expired (0 seats offered); 0 held elsewhere, 0 failed"
        ),
        f"{OTHER_TENANT}: tick: not started, the --budget was spent; more may be due",
        # The budget bounds the payment calls too: none starts once it is spent.
        f"{TENANT}: payments: not started, the --budget was spent; more may be due",
        f"{OTHER_TENANT}: payments: not started, the --budget was spent; more may be due",
    ]
    assert (_statuses(TENANT), _statuses(OTHER_TENANT)) == (["READY"] * 2, ["SCHEDULED"])


def test_the_budget_counts_from_the_command_s_start(kit: SessionKit, seconds: Seconds) -> None:
    """The system checks and the kit's loading are the command's time too (a cron slot's)."""
    _lessons(kit, TENANT, 3)
    loading = command.get_kit

    def slow_kit() -> SessionKit:
        seconds.now += 20  # a kit slow to build
        made: SessionKit = loading()
        return made

    out = StringIO()
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(command, "get_kit", slow_kit)
        call_command(
            "sessionkit_tick", "--kind", "advance", "--batch", "1", "--budget", "25", stdout=out
        )
    assert out.getvalue().splitlines()[0] == "advance: 1 sessions advanced, 0 failed"  # at 20 s
    assert out.getvalue().splitlines()[1].endswith("stopped early, more is due")


def test_a_budget_stop_at_verbosity_0_prints_nothing(kit: SessionKit, seconds: Seconds) -> None:
    """``-v 0`` prints failures alone: a stop is none (cron mails nothing; the next run goes on)."""
    _lessons(kit, TENANT, 3)
    calm = StringIO()
    call_command(
        "sessionkit_tick", "-v", "0", "--batch", "1", "--budget", "5", stdout=calm, stderr=calm
    )
    assert calm.getvalue() == ""
    assert _statuses(TENANT) == ["READY", "SCHEDULED", "SCHEDULED"]


@pytest.mark.parametrize("budget", ["0", "-5", "abc", "", "nan", "inf", "-inf", "1e999"])
def test_a_bad_budget_is_refused_before_anything_is_done(
    kit: SessionKit, seconds: Seconds, budget: str
) -> None:
    _lessons(kit, TENANT, 1)
    said = (
        "Error: argument --budget: expected a finite number of seconds above 0, e.g. 50, "
        f"got {budget!r}"
    )
    with pytest.raises(CommandError) as refused:  # --budget=: a lone -inf reads as an option
        call_command("sessionkit_tick", f"--budget={budget}", stdout=StringIO())
    assert str(refused.value) == said
    with pytest.raises(CommandError) as refused:  # given to call_command, not parsed
        call_command("sessionkit_tick", budget=budget, stdout=StringIO())
    assert str(refused.value) == said
    assert _statuses(TENANT) == ["SCHEDULED"]


@pytest.mark.parametrize("budget", [0, -1.5, float("nan"), True, timedelta(seconds=50)])
def test_a_bad_budget_given_to_call_command_is_refused(kit: SessionKit, budget: object) -> None:
    with pytest.raises(CommandError, match=r"^Error: argument --budget: expected a finite number"):
        call_command("sessionkit_tick", budget=budget, stdout=StringIO())


def test_a_bad_budget_on_the_command_line_exits_2_with_argparse_s_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ticker = command.Command()
    ticker._called_from_command_line = True  # as manage.py runs it
    parser = ticker.create_parser("manage.py", "sessionkit_tick")
    with pytest.raises(SystemExit) as ended:
        parser.parse_args(["--budget", "0"])
    assert ended.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "manage.py sessionkit_tick: error: argument --budget: expected a finite number of "
        "seconds above 0, e.g. 50, got '0'"
    )
    assert parser.parse_args(["--budget", "0.5"]).budget == 0.5
    assert parser.parse_args([]).budget is None


def test_the_help_says_what_the_budget_does() -> None:
    parser = command.Command().create_parser("manage.py", "sessionkit_tick")
    said = " ".join(parser.format_help().split())  # argparse wraps to the terminal's width
    assert "[--budget SECONDS]" in said
    assert (
        "--budget SECONDS start no batch once SECONDS (a number above 0) have passed since the "
        "command started, on the monotonic clock; the summary then says more is due, and the "
        "next run does it (default: no limit); with --payments, no payment call starts then"
    ) in said


def test_until_idle_starts_no_other_tick_once_the_budget_is_spent(
    kit: SessionKit, seconds: Seconds, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tick that ended without being stopped, but past the budget: no other tick's reads."""
    _lessons(kit, TENANT, 4)
    ticks: list[float] = []
    ticking = SessionKit.tick

    def counted(self: SessionKit, *args: Any, **kwargs: Any) -> TickReport:
        ticks.append(seconds.now)
        return ticking(self, *args, **kwargs)

    monkeypatch.setattr(SessionKit, "tick", counted)
    out = StringIO()
    # Two batches of two, at 0 and 10 s: all four done by 20 s, past the 15 s budget, but no
    # batch was left to stop before, so the first tick has no `more`.
    call_command(
        "sessionkit_tick",
        *("--kind", "advance", "--batch", "2", "--until-idle", "--budget", "15"),
        stdout=out,
    )
    assert ticks == [0]  # not a second tick, reading all that is due after the budget
    lines = out.getvalue().splitlines()
    assert lines[0] == "advance: 4 sessions advanced, 0 failed"
    assert lines[1].startswith("tick: 4 done in 2 batches")
    assert lines[1].endswith("; 0 held elsewhere, 0 failed")
    assert lines[2:] == ["tick: not started, the --budget was spent; more may be due"]
    assert _statuses(TENANT) == ["READY"] * 4
