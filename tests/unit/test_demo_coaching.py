"""``python -m sessionkit demo coaching``: deterministic, rerunnable, its own SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
from tests._demo_play import play_in_process

import sessionkit
from sessionkit.cli import main
from sessionkit.demo import coaching
from sessionkit.demo._common import StepFailed, step
from sessionkit.demo.coaching_story import contract_for, render
from sessionkit.errors import RescheduleRefused
from sessionkit.model.session import Session
from sessionkit.ports import UnitOfWork
from sessionkit.services import AdvanceFailure, AdvanceReport, SessionKit
from sessionkit.services.reschedules import RescheduleReport


def _run(cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # This checkout's sessionkit, whatever the working directory.
    source = str(Path(sessionkit.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-m", "sessionkit", "demo", "coaching", *extra],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
    )


def test_coaching_prints_the_story_the_contract_and_its_rates(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "coaching", "--db", "memory"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sessionkit demo coaching: Skileez in memory; now is Mon 2026-03-02")
    assert (
        "Leo Brandt (coach) asks to move session 1: refused, rule 'notice', allows_at never" in out
    )
    assert (
        "Mia Chen (student) asks to move session 2 to Wed 11 Mar 18:00 CET / "
        "Wed 11 Mar 13:00 EDT: PENDING"
    ) in out
    assert "Leo Brandt answers: APPROVED; session 2 is at Wed 11 Mar 18:00 CET" in out
    assert "Mia Chen answers: DECLINED; session 3 is at Tue 17 Mar 18:00 CET" in out
    assert "tick: session 3 nobody joined: MISSED" in out
    assert (
        "refused, rule 'one_pending', allows_at Thu 19 Mar 11:00 CET / Thu 19 Mar 06:00 EDT" in out
    )
    assert "tick: student's request AUTO_APPROVED by silence; session 4 now Thu 26 Mar" in out
    assert "Mia Chen completes session 2: COMPLETED, student_notes 'Loved the role-play." in out
    assert "Leo Brandt joins session 1 (credential until Tue 03 Mar 19:15 CET)" in out
    assert "attendance of session 1: coach attended, student attended" in out
    assert "attendance of session 5: coach attended, student no-show" in out
    assert "  6  Tue 07 Apr 18:00 CEST / Tue 07 Apr 12:00 EDT   SCHEDULED" in out
    assert "progress           4/6 completed (67%)" in out
    assert "completion rate    80% of 5 held" in out
    assert "no-show rate       20% of 5 held" in out
    assert "reschedule rate    33% (2 of 6 sessions moved)" in out
    assert "no-shows by side   coach 1, student 2" in out
    assert "requests           1 APPROVED, 1 AUTO_APPROVED, 1 DECLINED" in out
    trail = out[out.index("Audit trail of session 4") :].splitlines()[1:]
    assert trail == [
        "  Mon 02 Mar 15:00 CET  leo                session SessionCreated -> SCHEDULED",
        (
            '  Wed 18 Mar 11:00 CET  mia (student)      reschedule request -> PENDING: "Family'
            ' visit that evening"'
        ),
        "  Thu 19 Mar 11:00 CET  the tick           session SessionUpdated (end, start)",
        "  Thu 19 Mar 11:00 CET  the tick           reschedule auto_approve -> AUTO_APPROVED",
        "  Thu 26 Mar 19:05 CET  leo (coach)        session complete -> COMPLETED",
    ]


def test_coaching_is_deterministic() -> None:
    assert render() == render()


def test_runs_on_its_own_sqlite_file_by_default_and_a_rerun_writes_nothing_twice(
    tmp_path: Path,
) -> None:
    pytest.importorskip("sqlalchemy")
    first = _run(tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "sessionkit-coaching.sqlite3").exists()
    assert not (tmp_path / "sessionkit-consulting.sqlite3").exists()
    assert "in sqlite:///sessionkit-coaching.sqlite3" in first.stdout
    second = play_in_process(tmp_path, "demo", "coaching")  # a subprocess proves no more
    assert second.returncode == 0, second.stderr
    assert "in sqlite:///sessionkit-coaching.sqlite3" in second.stdout
    assert "Mia Chen's request for session 2 is APPROVED already" in second.stdout
    # Dated when the first run asked (the rerun dated it from session 4's moved start).
    assert "Wed 18 Mar 11:00 CET   Mia Chen (student) asks to move session 4" in first.stdout
    assert (
        "Wed 18 Mar 11:00 CET   Mia Chen's request for session 4 is AUTO_APPROVED already"
        in second.stdout
    )
    assert "rule 'not_reschedulable'" in second.stdout  # session 1 is completed now
    assert "joins session" not in second.stdout  # the joins were stored the first time
    report = first.stdout.split("\nContract C-1")[1]
    assert report == second.stdout.split("\nContract C-1")[1]


def test_a_now_near_year_9999_is_refused_in_one_line_like_the_other_demos(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The contract's dates, a day past --now, overflowed first (a traceback, status 1).
    assert main(["demo", "coaching", "--db", "memory", "--now", "9999-12-31T23:00Z"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        "sessionkit: error: --now 9999-12-31T23:00:00+00:00 is outside the instants"
    )


def test_a_tick_that_fails_to_advance_a_session_stops_the_demo_with_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # advance_due reports a session it could not do and goes on; the demo read only what it
    # did, printed its story and rates as a success and exited 0.
    advance = SessionKit.advance_due

    def failing(kit: SessionKit, tenant: str, **kwargs: Any) -> AdvanceReport:
        report = advance(kit, tenant, **kwargs)
        down = ConnectionError("attendance service down")
        return attrs.evolve(report, failed=(AdvanceFailure(session_id="k0003", error=down),))

    monkeypatch.setattr(SessionKit, "advance_due", failing)
    assert main(["demo", "coaching", "--db", "memory"]) == 1
    said = (
        "sessionkit: error: the demo could not do its due work: advance_due failed for "
        "'k0003' (ConnectionError: attendance service down); the demo stopped there (running "
        "it again retries it)\n"
    )
    assert capsys.readouterr() == ("", said)


def test_a_tick_that_fails_to_answer_a_request_stops_the_demo_with_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # approve_reschedules, the tick's other job, reports a request it could not answer too.
    approve = SessionKit.approve_reschedules

    def failing(kit: SessionKit, tenant: str | None = None, **kwargs: Any) -> RescheduleReport:
        report = approve(kit, tenant, **kwargs)
        return attrs.evolve(report, failed=(("rq-1", RuntimeError("store hiccup")),))

    monkeypatch.setattr(SessionKit, "approve_reschedules", failing)
    assert main(["demo", "coaching", "--db", "memory"]) == 1
    said = (
        "sessionkit: error: the demo could not do its due work: approve_reschedules "
        "failed for 'rq-1' (RuntimeError: store hiccup); the demo stopped there (running it "
        "again retries it)\n"
    )
    assert capsys.readouterr() == ("", said)


class _DownFacts:
    """A fact provider whose service is down: every question raises."""

    def facts_for(self, sessions: Sequence[Session], uow: UnitOfWork) -> Mapping[str, Any]:
        raise ConnectionError("attendance service down")


def test_a_fact_provider_failing_a_reschedule_request_stops_the_demo_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # kit.reschedules.request asks the facts (when the session locks) and the provider's error
    # left the demo as a traceback. Running it again, the provider back, finishes the story.
    pytest.importorskip("sqlalchemy")
    monkeypatch.setattr(coaching, "attendance_facts", _DownFacts)
    db = f"sqlite:///{tmp_path / 'coaching.sqlite3'}"
    assert main(["demo", "coaching", "--db", db]) == 1
    from sqlalchemy import create_engine

    from sessionkit.adapters.sqlalchemy import SqlAlchemyStore

    engine = create_engine(db)
    try:
        store = SqlAlchemyStore(engine).unit_of_work
        sessions = coaching.contract_sessions(coaching.build_coaching(uow=store), contract_for())
    finally:
        engine.dispose()
    said = (
        "sessionkit: error: the demo could not do its step: kit.reschedules.request failed "
        f"for {sessions[1].id!r} (ConnectionError: attendance service down); the demo stopped "
        "there (running it again retries it)\n"
    )
    assert capsys.readouterr() == ("", said)
    monkeypatch.undo()
    assert main(["demo", "coaching", "--db", db]) == 0
    rerun = capsys.readouterr().out
    assert "Mia Chen (student) asks to move session 2 to Wed 11 Mar 18:00 CET" in rerun
    assert rerun.split("\nContract C-1")[1] == render().split("\nContract C-1")[1] + "\n"


def test_step_says_an_error_not_sessionkits_and_passes_sessionkits_own() -> None:
    with pytest.raises(StepFailed) as caught, step("kit.reschedules.approve", "rq-1"):
        raise TimeoutError("provider slow")
    assert (caught.value.step, caught.value.item_id) == ("kit.reschedules.approve", "rq-1")
    assert isinstance(caught.value.error, TimeoutError)
    assert str(caught.value) == (
        "the demo could not do its step: kit.reschedules.approve failed for 'rq-1' "
        "(TimeoutError: provider slow); the demo stopped there (running it again retries it)"
    )
    refused = RescheduleRefused("notice", "too late", allows_at=None)
    with pytest.raises(RescheduleRefused) as passed, step("kit.reschedules.request", "k0001"):
        raise refused
    assert passed.value is refused
