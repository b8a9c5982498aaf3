"""``python -m sessionkit demo consulting``: deterministic, rerunnable, its own SQLite file."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from tests._demo_play import play_in_process

import sessionkit
from sessionkit.cli import main
from sessionkit.demo.consulting import REFUNDS
from sessionkit.demo.consulting_story import render
from sessionkit.model.money import Money


def _run(cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # This checkout's sessionkit, whatever the working directory.
    source = str(Path(sessionkit.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-m", "sessionkit", "demo", "consulting", *extra],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
    )


def _story(out: str) -> str:
    return out.split("own zone):\n")[1].split("\n\nDashboard of")[0]


PLAYED_BEFORE = (
    "  played before on this database: each step finds what it made then, writes nothing "
    "twice and shows it as it is stored now"
)


def _rows(db: Path) -> tuple[int, ...]:
    tables = ("sessions", "bookings", "payments", "payment_events")
    with contextlib.closing(sqlite3.connect(db)) as c:
        return tuple(
            c.execute(f"SELECT count(*) FROM sessionkit_{t}").fetchone()[0]  # fixed names
            for t in tables
        )


def test_consulting_prints_the_story_and_each_consultants_dashboard(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "consulting", "--db", "memory"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sessionkit demo consulting: Naksha consultants in memory; now is Mon")
    assert (
        "Asha Rao books Tue 03 Mar 10:00 IST (60 min) with Priya: new client; "
        "session PENDING, payment PENDING 2000.00 INR"
    ) in out
    assert "Asha Rao pays by card: payment PAID, booking CONFIRMED" in out
    assert "session CANCELLED, payment FAILED 2000.00 INR" in out
    assert "Asha Rao books Tue 03 Mar 14:00 IST (60 min) with Priya: existing client" in out
    assert "Priya confirms the paid sessions at once: 3 CONFIRMED" in out
    assert "for Dev Patel (new client): session CONFIRMED, payment PENDING 2000.00 INR" in out
    assert "payment REFUNDED, 2000.00 INR back" in out
    assert "Arjun's session looked up in Priya's tenant: SessionNotFound" in out
    assert "InvalidTransition (CANCELLED); nothing changed: 1 CANCELLED, 5 CONFIRMED" in out
    assert "mark completed: 5 COMPLETED" in out
    assert "InvalidValue; unchanged: 2 PENDING" in out
    assert "payments still PENDING: Rohan Gupta 2000.00 INR (NO_SHOW)" in out
    assert "sessions by status   2 CANCELLED, 5 COMPLETED, 1 NO_SHOW" in out
    assert "revenue              paid 11500.00 INR, pending 2000.00 INR, refunded 2000.00" in out
    assert "  Fri 06 Mar 17:00 IST (60 min)   Rohan Gupta  NO_SHOW    PENDING   2000.00 INR" in out
    assert "clients: 5, 2 repeat" in out
    assert (
        "Meera Nair   meera.nair@example.com  2 session(s), 0 no-show(s), paid 5500.00 INR" in out
    )
    assert "Rohan Gupta  rohan@example.com       1 session(s), 1 no-show(s), paid 0.00 INR" in out
    assert out.rstrip().endswith("1 session(s), 0 no-show(s), paid 80.00 GBP, pending 0.00 GBP")


def test_consulting_is_deterministic_and_plain_demo_is_still_the_lms(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert render() == render()
    assert main(["demo", "--db", "memory"]) == 0
    assert "a small academy in memory" in capsys.readouterr().out


def test_a_later_now_books_around_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "consulting", "--db", "memory", "--now", "2026-04-06T04:30+00:00"]) == 0
    out = capsys.readouterr().out
    assert "Asha Rao books Tue 07 Apr 10:00 IST (60 min) with Priya: new client" in out
    assert "Asha Rao books Tue 07 Apr 09:00 BST (60 min) with Arjun: new client" in out


@pytest.mark.parametrize("now", ["2026-03-06T07:00Z", "2026-01-16T07:00Z", "2026-04-10T07:00Z"])
def test_a_friday_morning_now_sets_the_manual_sessions_around_the_paid_ones(
    now: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The manual sessions were set hours from --now; on a Friday morning the showcase's
    # clients had taken Monday's first hours, those very hours: SessionConflict, status 2.
    assert main(["demo", "consulting", "--db", "memory", "--now", now]) == 0
    out = capsys.readouterr().out
    assert "Dev Patel" in out
    assert "Rohan Gupta did not come: NO_SHOW" in out


@pytest.mark.parametrize(
    "now", ["2027-02-10T21:40Z", "2026-03-07T12:00Z", "2026-03-08T23:55Z", "2026-03-02T04:30Z"]
)
def test_the_manual_sessions_fall_in_priyas_working_days_and_hours_whatever_the_now(
    now: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # They were set hours from --now: a night's or a Saturday's put them on a Sunday at 05:10.
    assert main(["demo", "consulting", "--db", "memory", "--now", now]) == 0
    added = re.findall(r"Priya adds (\w{3}) \d\d \w{3} (\d\d:\d\d) IST", capsys.readouterr().out)
    assert [hour for _, hour in added] == ["16:00", "12:00", "17:00"]
    assert {day for day, _ in added} <= {"Mon", "Tue", "Wed", "Thu", "Fri"}


@attrs.frozen
class _Replayed:
    """The default play in an empty directory and its rerun there, played once for the module."""

    cwd: Path
    first: subprocess.CompletedProcess[str]
    rows: tuple[int, ...]
    """The file's rows after the first play."""
    second: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> _Replayed:
    # The two tests below each played both (four plays in subprocesses, 11-12 s on CI). The
    # first is a subprocess, as a user runs it; the rerun runs in-process in its directory.
    cwd = tmp_path_factory.mktemp("consulting")
    first = _run(cwd)
    assert first.returncode == 0, first.stderr
    rows = _rows(cwd / "sessionkit-consulting.sqlite3")
    second = play_in_process(cwd, "demo", "consulting")
    assert second.returncode == 0, second.stderr
    return _Replayed(cwd, first, rows, second)


def test_runs_on_its_own_sqlite_file_by_default_and_a_rerun_writes_nothing_twice(
    replayed: _Replayed,
) -> None:
    first, second = replayed.first, replayed.second
    assert (replayed.cwd / "sessionkit-consulting.sqlite3").exists()
    assert not (replayed.cwd / "sessionkit-marketplace.sqlite3").exists()
    assert "in sqlite:///sessionkit-consulting.sqlite3" in first.stdout
    assert "in sqlite:///sessionkit-consulting.sqlite3" in second.stdout
    assert "Asha Rao's payment is PAID already" in second.stdout
    assert "mark completed: 0 COMPLETED" in second.stdout
    board = first.stdout.split("\nDashboard of")[1:]
    assert board == second.stdout.split("\nDashboard of")[1:]


def test_a_rerun_says_the_story_was_played_and_tells_each_step_as_stored(
    replayed: _Replayed,
) -> None:
    first, second = replayed.first, replayed.second
    assert _rows(replayed.cwd / "sessionkit-consulting.sqlite3") == replayed.rows
    assert PLAYED_BEFORE not in first.stdout
    assert "the card was declined; free again: Tue 03 Mar 11:00" in first.stdout
    story = _story(second.stdout)
    assert story.startswith(PLAYED_BEFORE + "\n")
    # No step tells a stored status as what it did, nor today's showcase as the story's.
    for contradiction in (
        " books ",
        "Priya adds",
        "Priya cancels",
        "showcase offers",
        "free again",
    ):
        assert contradiction not in story
    assert "the card was declined; Tue 03 Mar 11:00 was freed" in story
    assert (
        "Vikram Iyer's booking of Tue 03 Mar 11:00 IST (60 min) with Priya is stored: "
        "session CANCELLED, payment FAILED 2000.00 INR"
    ) in story
    assert (
        "Meera Nair's booking of Tue 03 Mar 11:00 IST (90 min) with Priya is stored: "
        "session COMPLETED, payment PAID 3000.00 INR"
    ) in story
    assert "Asha's Tue 03 Mar 14:00 IST (60 min) is stored CANCELLED: payment REFUNDED" in story
    assert "for Rohan Gupta is stored: session NO_SHOW, payment PENDING 2000.00 INR" in story
    # Nothing written twice: every session, payment and client as the first run left them.
    board = first.stdout.split("\nDashboard of")[1:]
    assert board == second.stdout.split("\nDashboard of")[1:]


def test_the_consultants_own_role_cancel_refunds_in_full() -> None:
    # REFUNDS promised it, but "consultant" was no full-refund role: a client's tiers applied.
    start = datetime(2026, 3, 3, 9, tzinfo=UTC)
    late = start - timedelta(hours=2)
    paid = Money.of(80, "GBP")
    assert REFUNDS.refund(paid, role="consultant", start=start, at=late) == paid
    assert REFUNDS.refund(paid, role="client", start=start, at=late) == Money.of(40, "GBP")
