"""``python -m sessionkit demo``: deterministic output with the deliberate clash reported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sessionkit.cli import main
from sessionkit.demo import DEMO_NOW, build_academy, render
from sessionkit.model import ResourceRef


def test_demo_prints_groups_conflicts_and_next_weeks_agenda(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Conflict report:" in out
    assert "chem-ny/weekly at 2026-03-02 17:30Z: teacher:ana is busy with 'Chemistry A'" in out
    assert "Agenda for the week of Mon 09 Mar 2026 (UTC):" in out
    assert "    Thu 12 Mar 12:30-13:30 EDT (16:30Z, 17:30 Berlin)  Chemistry (NY)" in out
    assert "  teacher:chen: 4 session(s)" in out
    assert out.rstrip().endswith("90 sessions stored, 9 occurrence(s) skipped.")


def test_demo_is_deterministic() -> None:
    assert render() == render()


def test_the_only_clash_is_anas_monday() -> None:
    _kit, reports = build_academy()
    assert len(reports) == 6
    skipped = [s for r in reports for s in r.skipped]
    assert len(skipped) == 9
    assert {(s.series_id, s.reason, s.resource) for s in skipped} == {
        ("chem-ny", "conflict", ResourceRef("teacher", "ana"))
    }
    assert all(s.blocking.series_id == "chem-a" for s in skipped)
    assert all(s.key.weekday() == 0 for s in skipped)
    assert all(r.window is not None and r.window.start == DEMO_NOW for r in reports)


def test_demo_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sessionkit", "demo"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == render() + "\n"
