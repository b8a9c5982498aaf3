"""``python -m sessionkit tick --budget SECONDS``: stop between batches, say more is due, exit 0.

The budget is measured on ``sessionkit.cli._tick._monotonic`` from the command's
start; these tests put a fake clock there that a batch moves on by 10 seconds
(each batch the tick commits "takes" 10 s), so what a budget lets through is
exact whatever the machine's speed.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from tests._batch_clock import Seconds, batch_clock

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.rows import sessions_table
from sessionkit.cli import main
from sessionkit.services import SessionKit
from sessionkit.services.tick import TickReport
from sessionkit.testing.clocks import ManualClock

_tick = importlib.import_module("sessionkit.cli._tick")
"""The tick command's module (``sessionkit.cli._tick`` names the function it exports)."""

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
AT = "2026-03-02T09:00+00:00"
"""The ticks' instant: the academy's READY is due for every session made by :func:`_database`."""


@pytest.fixture
def seconds(monkeypatch: pytest.MonkeyPatch) -> Seconds:
    """The fake clock, as ``--budget``'s, moved on by each batch a tick reports."""
    return batch_clock(monkeypatch, _tick)


def _database(tmp_path: Path, count: int = 4) -> str:
    """A SQLite file with ``count`` due READY timers of tenant acme; its URL."""
    url = f"sqlite:///{tmp_path / 'tick.sqlite3'}"
    engine = create_engine(url)
    create_schema(engine)
    kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    for n in range(count):
        start = NOW + timedelta(hours=1, minutes=n)
        kit.sessions.create_extra(
            "acme", actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
        )
    engine.dispose()
    return url


def _statuses(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(sessions_table.c.status).order_by(sessions_table.c.start_at)
            )
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def test_a_spent_budget_stops_between_batches_and_the_next_run_does_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seconds: Seconds
) -> None:
    url = _database(tmp_path)
    # Batches start at 0, 10 and 20 s; at 30 s the 25 s budget is spent: the fourth waits.
    args = ["tick", "--db", url, "--now", AT, "--batch", "1", "--budget", "25"]
    assert main(args) == 0  # stopped early is no failure
    out, err = capsys.readouterr()
    assert out == (
        "2026-03-02T09:00:00+00:00: 3 done in 3 batches over 1 tenants: 0 series topped up "
        "(+0 sessions), 0 reschedules approved, 0 lapsed, 3 sessions advanced, 0 bookings "
        "expired (0 seats offered); 0 held elsewhere, 0 failed; stopped early, more is due\n"
    )
    assert err == "tick: 3 batches, 3 done, 0 failed\n"
    assert _statuses(url) == ["READY", "READY", "READY", "SCHEDULED"]
    assert seconds.now == 30
    assert main(args) == 0  # its own budget, from its own start (30 s): the rest in one batch
    out, _ = capsys.readouterr()
    assert out.startswith("2026-03-02T09:00:00+00:00: 1 done in 1 batches over 1 tenants")
    assert out.endswith("; 0 held elsewhere, 0 failed\n")  # done: no more is due
    assert _statuses(url) == ["READY"] * 4


def test_until_idle_ticks_no_more_once_the_budget_is_spent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seconds: Seconds
) -> None:
    url = _database(tmp_path)
    args = ["tick", "--db", url, "--now", AT, "--batch", "1", "--until-idle", "--budget", "15"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 1  # not a second tick that starts no batch: the budget is spent
    assert lines[0].startswith("2026-03-02T09:00:00+00:00: 2 done in 2 batches")
    assert lines[0].endswith("0 failed; stopped early, more is due")
    assert err.splitlines() == ["tick: 2 batches, 2 done, 0 failed"]
    assert _statuses(url) == ["READY", "READY", "SCHEDULED", "SCHEDULED"]


def test_the_budget_counts_from_the_command_s_start_not_the_tick_s(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    seconds: Seconds,
) -> None:
    """Opening and checking the database is the command's time too: a cron slot is one."""
    url = _database(tmp_path)
    checking = _tick._check_tables

    def slow_checks(*args: Any) -> None:
        checking(*args)
        seconds.now += 20  # a database slow to answer

    monkeypatch.setattr(_tick, "_check_tables", slow_checks)
    assert main(["tick", "--db", url, "--now", AT, "--batch", "1", "--budget", "25"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2026-03-02T09:00:00+00:00: 1 done in 1 batches")  # at 20 s, not 30
    assert out.endswith("stopped early, more is due\n")


def test_without_a_budget_the_tick_is_never_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seconds: Seconds
) -> None:
    url = _database(tmp_path)
    assert main(["tick", "--db", url, "--now", AT, "--batch", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2026-03-02T09:00:00+00:00: 4 done in 4 batches")
    assert out.endswith("; 0 held elsewhere, 0 failed\n")
    assert _statuses(url) == ["READY"] * 4
    assert seconds.now == 40  # 40 s of batches, and nothing asked when to stop


def test_a_budget_a_batch_outlasts_is_still_done_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seconds: Seconds
) -> None:
    """A budget shorter than a batch: the first batch runs to its end, the next never starts."""
    url = _database(tmp_path)
    assert main(["tick", "--db", url, "--now", AT, "--batch", "3", "--budget", "0.5"]) == 0
    out = capsys.readouterr().out
    assert " 3 done in 1 batches " in out
    assert out.endswith("stopped early, more is due\n")
    assert _statuses(url) == ["READY", "READY", "READY", "SCHEDULED"]


@pytest.mark.parametrize("budget", ["0", "-5", "0.0", "abc", "", "nan", "inf", "-inf", "1e999"])
def test_a_bad_budget_exits_2_with_one_line_before_the_database_is_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], budget: str
) -> None:
    database = tmp_path / "never-opened.sqlite3"
    # --budget=: argparse reads a lone -inf as an option, not as the flag's value
    assert main(["tick", "--db", f"sqlite:///{database}", f"--budget={budget}"]) == 2
    assert capsys.readouterr().err == (
        f"sessionkit: error: --budget {budget!r}: expected a finite number of seconds above 0, "
        "e.g. 50\n"
    )
    assert not database.exists()


def test_a_budget_without_its_value_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tick", "--db", "sqlite:///x.sqlite3", "--budget"]) == 2
    assert capsys.readouterr().err == (
        "sessionkit: error: argument --budget: expected one argument\n"
    )


@pytest.mark.parametrize(("budget", "seconds"), [("50", 50.0), ("0.25", 0.25), ("1e3", 1000.0)])
def test_a_budget_is_read_as_seconds(budget: str, seconds: float) -> None:
    from sessionkit.cli._parser import build_parser

    args = build_parser("sessionkit").parse_args(["tick", "--db", "x", "--budget", budget])
    assert args.budget == seconds
    assert build_parser("sessionkit").parse_args(["tick", "--db", "x"]).budget is None


def test_the_help_says_what_the_budget_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["tick", "--help"], prog="python -m sessionkit")
    assert ended.value.code == 0
    said = " ".join(capsys.readouterr().out.split())  # argparse wraps to the terminal's width
    assert "[--budget SECONDS]" in said
    assert (
        "--budget SECONDS start no batch once SECONDS (a number above 0) have passed since the "
        "command started, on the monotonic clock; a batch started runs to its end (default: no "
        "limit)"
    ) in said
    assert "its summary says 'stopped early, more is due', and it exits 0" in said
    with pytest.raises(SystemExit):
        main(["--help"], prog="python -m sessionkit")
    assert "tick --db sqlite:///sessionkit-demo.sqlite3 --until-idle --budget 50" in (
        capsys.readouterr().out
    )


def test_until_idle_starts_no_other_tick_once_the_budget_is_spent(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    seconds: Seconds,
) -> None:
    """A tick that ended without being stopped, but past the budget: no other tick's reads."""
    url = _database(tmp_path)
    ticks: list[float] = []
    ticking = SessionKit.tick

    def counted(self: SessionKit, *args: Any, **kwargs: Any) -> TickReport:
        ticks.append(seconds.now)
        return ticking(self, *args, **kwargs)

    monkeypatch.setattr(SessionKit, "tick", counted)
    # Two batches of two, at 0 and 10 s: all four done by 20 s, past the 15 s budget, but no
    # batch was left to stop before, so the first tick has no `more`.
    args = ["tick", "--db", url, "--now", AT, "--batch", "2", "--until-idle", "--budget", "15"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert ticks == [0]  # not a second tick, reading all that is due after the budget
    assert out.splitlines()[1:] == ["tick: not started, the --budget was spent; more may be due"]
    assert out.splitlines()[0].startswith("2026-03-02T09:00:00+00:00: 4 done in 2 batches")
    assert out.splitlines()[0].endswith("; 0 held elsewhere, 0 failed")
    assert err.splitlines() == ["tick: 2 batches, 4 done, 0 failed"]
    assert _statuses(url) == ["READY"] * 4
