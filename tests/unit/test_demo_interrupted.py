"""A demo stopped half-way (Ctrl-C) says so in one line, and a rerun finishes its story.

The stop is made where it hurts: right after a commit (the LMS), or between a
booking's hold and its payment (the paid platforms), whose intent only the
stopped run's fake provider knew.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sessionkit.cli import main

pytest.importorskip("sqlalchemy")


def _stop_after(monkeypatch: pytest.MonkeyPatch, target: object, name: str, calls: int) -> None:
    """Make ``target.name`` raise KeyboardInterrupt on call number ``calls`` (Ctrl-C)."""
    original: Callable[..., object] = getattr(target, name)
    seen = 0

    def stopping(*args: object, **kwargs: object) -> object:
        nonlocal seen
        seen += 1
        if seen == calls:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, stopping)


def _report(out: str, first: str, last: str | None = None) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next((i for i, line in enumerate(lines) if last and line.startswith(last)), len(lines))
    return lines[start:end]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """The stdout of an uninterrupted play of a platform, played once for the module.

    Each test played its own clean run to compare with: the academy's three times.
    """
    outs: dict[str, str] = {}

    def play(platform: str) -> str:
        if platform not in outs:
            db = tmp_path_factory.mktemp(f"clean-{platform}") / "clean.sqlite3"
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                assert main(["demo", platform, "--db", f"sqlite:///{db}"]) == 0
            outs[platform] = out.getvalue()
        return outs[platform]

    return play


def test_an_interrupted_lms_demo_says_so_and_a_rerun_numbers_its_sessions_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sessionkit.adapters.sqlalchemy._unit import SqlAlchemyUnitOfWork

    db = f"sqlite:///{tmp_path / 'lms.sqlite3'}"
    with monkeypatch.context() as patch:
        _stop_after(patch, SqlAlchemyUnitOfWork, "commit", 3)  # two groups made, then Ctrl-C
        assert main(["demo", "--db", db]) == 130
    stopped = capsys.readouterr()
    assert stopped.err == "sessionkit: interrupted\n"
    # The rerun's sessions are numbered after the stopped run's, not again from 0001.
    assert main(["demo", "--db", db]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.rstrip().endswith("90 sessions stored, 9 occurrence(s) skipped.")


def test_a_ctrl_c_python_could_not_raise_still_stops_the_demo_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ctrl-C landing in a garbage collector's callback (SQLAlchemy's) is "Exception ignored":
    # it printed a traceback and the demo ran on to status 0, its Ctrl-C lost.
    import weakref

    from sessionkit.adapters.sqlalchemy._unit import SqlAlchemyUnitOfWork

    class Collected:
        pass

    def ctrl_c(_gone: object) -> None:
        raise KeyboardInterrupt

    original = SqlAlchemyUnitOfWork.commit

    def commit(self: SqlAlchemyUnitOfWork) -> None:
        original(self)
        referent = Collected()
        ref = weakref.ref(referent, ctrl_c)
        del referent  # the callback runs here, and Python can only report what it raised
        assert ref() is None

    hook = sys.unraisablehook
    db = f"sqlite:///{tmp_path / 'lms.sqlite3'}"
    with monkeypatch.context() as patch:
        patch.setattr(SqlAlchemyUnitOfWork, "commit", commit)
        assert main(["demo", "--db", db]) == 130
    assert capsys.readouterr() == ("", "sessionkit: interrupted\n")
    assert sys.unraisablehook is hook  # handed back


@pytest.mark.parametrize(
    ("platform", "module", "function", "first", "last"),
    [
        ("marketplace", "sessionkit.demo.marketplace_story", "_Story.pay", "Slots per", "Expired"),
        ("consulting", "sessionkit.demo.consulting_story", "pay", "Dashboard of", None),
    ],
)
def test_a_rerun_pays_the_holds_an_interrupted_run_left(
    platform: str,
    module: str,
    function: str,
    first: str,
    last: str | None,
    clean: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    played = _report(clean(platform), first, last)
    db = f"sqlite:///{tmp_path / 'stopped.sqlite3'}"
    owner, _, name = function.rpartition(".")
    target = pytest.importorskip(module)
    if owner:
        target = getattr(target, owner)
    with monkeypatch.context() as patch:
        _stop_after(patch, target, name, 1)  # the first hold is made; Ctrl-C before paying
        assert main(["demo", platform, "--db", db]) == 130
    assert capsys.readouterr().err == "sessionkit: interrupted\n"
    assert main(["demo", platform, "--db", db]) == 0
    assert _report(capsys.readouterr().out, first, last) == played


@pytest.mark.parametrize(
    ("module", "function", "calls"),
    [
        # The circle is READY and its room open (in the stopped run's fake provider
        # only): the rerun found no room, skipped every join, and the circle's
        # students were absent.
        ("sessionkit.demo.academy", "_Story.presence", 1),
        # Mariam's lesson: the same, for an individual lesson.
        ("sessionkit.demo.academy", "_Story.presence", 4),
        # The makeup is made, not marked as the cancelled lesson's nor booked: the
        # rerun found it made and stopped there.
        ("sessionkit.services.usage", "UsageCommands.mark_makeup", 1),
    ],
)
def test_a_rerun_finishes_an_interrupted_academy(
    module: str,
    function: str,
    calls: int,
    clean: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, last = "Sessions and attendance", "Meeting room calls"
    played = clean("academy")
    db = f"sqlite:///{tmp_path / 'stopped.sqlite3'}"
    owner, _, name = function.rpartition(".")
    target = getattr(pytest.importorskip(module), owner)
    with monkeypatch.context() as patch:
        _stop_after(patch, target, name, calls)
        assert main(["demo", "academy", "--db", db]) == 130
    assert capsys.readouterr().err == "sessionkit: interrupted\n"
    assert main(["demo", "academy", "--db", db]) == 0
    out = capsys.readouterr().out
    assert _report(out, first, last) == _report(played, first, last)

    # The figures after the room calls too: attendance, no-shows and credits used.
    def figures(text: str) -> str:
        return text.split(last)[1].split("\n", 1)[1]

    assert figures(out) == figures(played)
