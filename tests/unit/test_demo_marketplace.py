"""``python -m sessionkit demo marketplace``: deterministic, rerunnable, its own SQLite file.

The demo is the paid marketplace, so it runs on SQLite once payments are storable there;
until then the default run fails cleanly and the rerun test skips, saying why.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

import sessionkit
from sessionkit.cli import main
from sessionkit.demo.marketplace import build_marketplace
from sessionkit.demo.marketplace_story import render
from sessionkit.errors import InvalidValue


def _run(cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # This checkout's sessionkit, whatever the working directory (a relative PYTHONPATH=src
    # would otherwise find an installed copy).
    source = str(Path(sessionkit.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-m", "sessionkit", "demo", "marketplace", *extra],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
    )


def _story(out: str) -> str:
    return out.split("What happened (Berlin time):\n")[1].split("\n\nSlots per tutor")[0]


def _stored(out: str) -> str:
    return out.split("\nSlots per tutor")[1].split("\nExpired unbooked")[0]


ALREADY_PLAYED = (
    "  already played at this --now: replayed on the stored bookings (nothing written twice)"
)


def _rows(db: Path) -> tuple[int, ...]:
    tables = ("sessions", "bookings", "payments", "payment_events")
    with contextlib.closing(sqlite3.connect(db)) as c:
        return tuple(
            c.execute(f"SELECT count(*) FROM sessionkit_{t}").fetchone()[0]  # fixed names
            for t in tables
        )


@attrs.frozen
class _Played:
    """The default play, run once for the module in a subprocess, and its file."""

    cwd: Path
    out: str

    @property
    def db(self) -> Path:
        return self.cwd / "sessionkit-marketplace.sqlite3"

    def copied_to(self, where: Path) -> Path:
        """A copy of the played file in ``where`` (a test's own: never the shared one)."""
        where.mkdir(exist_ok=True)
        copy = where / "sessionkit-marketplace.sqlite3"
        shutil.copyfile(self.db, copy)
        return copy


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> _Played:
    # `python -m sessionkit demo marketplace` in an empty directory, as a user runs it: each
    # test that replayed it for itself (7 subprocess plays, 40 s on CI) reads a copy instead.
    cwd = tmp_path_factory.mktemp("first-play")
    first = _run(cwd)
    assert first.returncode == 0, first.stderr
    return _Played(cwd, first.stdout)


def _play(db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """A play on ``db`` in this process (a subprocess proves nothing more once one has run)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["demo", "marketplace", "--db", f"sqlite:///{db}", *extra])
    return subprocess.CompletedProcess([], code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def replayed(played: _Played, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of the played file, played again at the same --now; its stdout."""
    db = played.copied_to(tmp_path_factory.mktemp("replayed"))
    second = _play(db)
    assert second.returncode == 0, second.stderr
    return db, second.stdout


def test_marketplace_prints_slots_story_bookings_seats_and_an_agenda(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "marketplace", "--db", "memory"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sessionkit demo marketplace: tutoring in memory; now is Mon 2026-03-02")
    assert "tina-group  tina  WE+SA 16:30 (90 min)     20 seat(s)   6 slots, 6 skipped" in out
    assert "ana books Maths 1-to-1 Wed 04 Mar 16:00: HELD until 08:15, 40.00 EUR to pay" in out
    assert "ben's hold is now EXPIRED, its payment CANCELLED" in out
    assert "eve cancels their own seat: CANCELLED, 30.00 EUR refunded" in out
    assert "kim, no waitlist: CapacityExceeded, 0 of 3 free" in out
    assert "expiry job: 1 expired, 1 offered on" in out
    assert "refused, max_horizon, opens Mon 02 Mar 15:00" in out
    assert (
        "omar cancels Chemistry study group Fri 13 Mar 18:00: 2 bookings CANCELLED, "
        "60.00 EUR refunded to them"
    ) in out
    assert "  CONFIRMED  5\n" in out
    assert "  1 CANCELLED, 6 PAID, 3 REFUNDED\n" in out
    assert "290.00 EUR paid in, 90.00 EUR refunded (3 refunds, 3 in full), 200.00 EUR kept" in out
    assert "ana's agenda (next 7 days):\n  Maths 1-to-1 Wed 04 Mar 16:00" in out
    assert out.rstrip().endswith("5 removed, 0 kept (cancelled or completed)")


def test_marketplace_is_deterministic_and_plain_demo_is_still_the_lms(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert render() == render()
    assert main(["demo", "--db", "memory"]) == 0
    assert "a small academy in memory" in capsys.readouterr().out


def test_a_later_now_publishes_and_books_around_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "marketplace", "--db", "memory", "--now", "2026-04-06T07:00+00:00"]) == 0
    out = capsys.readouterr().out
    assert "published Mon 30 Mar 09:00" in out
    assert "ana books Maths 1-to-1 Wed 08 Apr 16:00: HELD until 09:15" in out


@pytest.mark.parametrize(
    "now",
    [
        "2026-03-05T07:00Z",  # a Thursday: no slot was published past the 4-week horizon
        "2026-03-20T07:00Z",  # a Friday
        "2026-04-04T21:30Z",
        "2026-02-02T07:00Z",  # before the first slot the tutors published on 23 February
        "2025-06-01T07:00Z",
    ],
)
def test_the_story_plays_at_any_now(now: str, capsys: pytest.CaptureFixture[str]) -> None:
    # The story's slot past the horizon was looked for beyond the 4 weeks published (an
    # IndexError traceback), and the tutors' series began on a fixed date, 23 February 2026.
    assert main(["demo", "marketplace", "--db", "memory", "--now", now]) == 0
    out = capsys.readouterr().out
    assert "refused, max_horizon, opens" in out
    assert "ana books Maths 1-to-1" in out


def test_a_rerun_at_a_later_now_on_the_same_file_plays_again(
    played: _Played, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert played.out.count("refused, max_horizon, opens") == 1
    db = f"sqlite:///{played.copied_to(tmp_path)}"  # played at the default --now
    assert main(["demo", "marketplace", "--db", db, "--now", "2026-03-05T07:00Z"]) == 0
    out = capsys.readouterr().out
    assert out.count("refused, max_horizon, opens") == 1


def test_plays_that_used_the_slots_up_say_so_in_one_line(
    played: _Played, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each play books slots no earlier play booked; a third play three days on found none
    # within reach and ended in an IndexError traceback (or, a week on, max_horizon).
    db = f"sqlite:///{played.copied_to(tmp_path)}"  # played at 2026-03-02T07:00Z, the default
    assert main(["demo", "marketplace", "--db", db, "--now", "2026-03-03T07:00Z"]) == 0
    capsys.readouterr()
    assert main(["demo", "marketplace", "--db", db, "--now", "2026-03-05T07:00Z"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    # From where the story looked (a day after --now), not from the last slot it skipped.
    assert "no omar-group slot from 2026-03-06T07:00:00+00:00 is left" in err
    assert "play on a fresh --db, or at a --now a week or more later" in err
    assert main(["demo", "marketplace", "--db", db, "--now", "2026-03-16T07:00Z"]) == 0


def test_a_play_at_an_earlier_now_than_a_later_play_names_that_play(
    played: _Played, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The later play removed the slots nobody had booked by then; the earlier --now, played
    # again, said an earlier play had booked them and advised a later --now it never passed.
    db = f"sqlite:///{played.copied_to(tmp_path)}"  # played at the default --now
    assert main(["demo", "marketplace", "--db", db, "--now", "2026-04-06T07:00Z"]) == 0
    capsys.readouterr()
    assert main(["demo", "marketplace", "--db", db]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        "sessionkit: error: --now 2026-03-02T07:00:00+00:00: this database was played at a "
        "later --now (bookings made at 2026-04-06T09:"
    )
    assert "which removed the tina-1to1 slots from " in err
    assert main(["demo", "marketplace", "--db", db, "--now", "2026-04-06T07:00Z"]) == 0
    # The same later play given in another offset: its mark's digits sort before the first's.
    other = f"sqlite:///{played.copied_to(tmp_path / 'offsets')}"  # at the default --now
    assert main(["demo", "marketplace", "--db", other, "--now", "2026-04-05T22:00-09:00"]) == 0
    capsys.readouterr()
    assert main(["demo", "marketplace", "--db", other]) == 2
    assert "played at a later --now (bookings made at 2026-04-06T09:" in capsys.readouterr().err


@pytest.mark.parametrize("now", ["0001-01-01T00:00Z", "0001-01-07T23:59+00:00"])
def test_a_now_near_year_1_is_refused_in_one_line_like_the_other_demos(
    now: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The tutors publish a week before --now: that subtraction overflowed (a traceback, status 1).
    assert main(["demo", "marketplace", "--db", "memory", "--now", now]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    instant = datetime.fromisoformat(now).isoformat()
    assert err.startswith(
        f"sessionkit: error: --now {instant} is outside the instants sessionkit schedules at"
    )


def test_build_marketplace_refuses_a_now_near_year_1_with_a_sessionkit_error() -> None:
    now = datetime(1, 1, 1, tzinfo=UTC)
    with pytest.raises(
        InvalidValue, match="outside the instants sessionkit schedules at"
    ) as refused:
        build_marketplace(now)
    assert refused.value.value == now
    assert "0001-01-01T00:00:00+00:00" in str(refused.value)


def test_bad_platform_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "shop"]) == 2
    assert "invalid choice: 'shop'" in capsys.readouterr().err


def test_runs_on_its_own_sqlite_file_by_default_and_a_rerun_writes_nothing_twice(
    played: _Played, replayed: tuple[Path, str]
) -> None:
    first, (_, second) = played.out, replayed
    assert played.db.exists()
    assert sorted(p.name for p in played.cwd.iterdir()) == ["sessionkit-marketplace.sqlite3"]
    assert "in sqlite:///sessionkit-marketplace.sqlite3" in first
    assert second.count("already published, nothing to top up") == 4
    tail = first.split("Bookings in upcoming")[1].split("Expired unbooked")[0]
    assert tail == second.split("Bookings in upcoming")[1].split("Expired unbooked")[0]
    assert second.rstrip().endswith("0 removed, 0 kept (cancelled or completed)")


def test_a_rerun_says_the_story_was_played_instead_of_replaying_stored_states(
    played: _Played, replayed: tuple[Path, str]
) -> None:
    first, (db, second) = played.out, replayed
    assert _rows(db) == _rows(played.db)
    assert "ben books Maths 1-to-1 Mon 09 Mar 16:00: HELD until 08:15" in _story(first)
    assert "has 1 seat free again" in _story(first)
    assert ALREADY_PLAYED not in first
    # The steps replay on bookings whose statuses moved on: none of them is told as its result.
    assert _story(second) == ALREADY_PLAYED
    for contradiction in (
        "EXPIRED until",
        "0 seat free again",
        "payment succeeded: CANCELLED",
        "fay is EXPIRED",
        "expiry job: 0 expired",
    ):
        assert contradiction not in second
    # Nothing written twice: the same slots, bookings, seats and payments.
    assert _stored(first) == _stored(second)
    assert "  1 CANCELLED, 6 PAID, 3 REFUNDED\n" in second


def test_a_rerun_at_a_later_now_books_slots_the_earlier_play_left_free(
    played: _Played, tmp_path: Path
) -> None:
    later = ("--now", "2026-03-09T07:00+00:00")  # a week after the default
    db = played.copied_to(tmp_path)
    second = _play(db, *later)
    assert second.returncode == 0, second.stderr
    # Last week's group slot is the one the first play filled: that step is left out.
    assert "-- last week" not in second.stdout
    assert "ana books Maths 1-to-1" in second.stdout
    assert ALREADY_PLAYED not in second.stdout  # a new play, told in full
    third = _play(db, *later)
    assert third.returncode == 0, third.stderr
    assert _story(third.stdout) == ALREADY_PLAYED
    story = second.stdout.split("Bookings in upcoming")[1].split("Expired unbooked")[0]
    assert story == third.stdout.split("Bookings in upcoming")[1].split("Expired unbooked")[0]
