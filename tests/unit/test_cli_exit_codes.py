"""The command line's exit statuses: one rule for every command.

2 when the command line is wrong (as argparse's), 1 when the work could not be done
and a rerun may do it (a database that cannot be opened or reached, a storage fault
or a concurrent writer while working), whichever command met it.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

import sessionkit.cli
import sessionkit.demo
from sessionkit.cli import main
from sessionkit.errors import (
    ConcurrentModification,
    InvalidValue,
    StorageError,
    StorageFull,
    StorageUnavailable,
    TransientConflict,
)

DEMOS = [["demo"], ["demo", "marketplace"], ["demo", "consulting"], ["demo", "coaching"]]
DEMOS += [["demo", "academy"]]
DOWN = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test"
"""A PostgreSQL URL whose port nothing listens on: a database that is down."""


@pytest.mark.parametrize("command", [["tick"], *DEMOS])
def test_a_database_that_is_down_exits_1_whichever_command_met_it(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # The demos exited 2, as for a bad argument, where tick exited 1 for the same database.
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed")
    assert main([*command, "--db", DOWN]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    shown = DOWN.replace("s3cret", "***")
    assert err.startswith(
        f"sessionkit: error: --db {shown!r}: the database cannot be opened or reached ("
    )
    assert len(err.splitlines()) == 1
    assert "s3cret" not in err


@pytest.mark.parametrize("command", DEMOS)
def test_a_demo_sqlite_file_in_a_missing_directory_exits_1(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'demo.db'}"
    assert main([*command, "--db", url]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"sessionkit: error: --db {url!r}: the database cannot be opened")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("command", [["tick"], *DEMOS])
@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--db", "not a url"], "--db 'not a url' is not a SQLAlchemy database URL"),
        (["--db", "sqlite://", "--now", "yesterday"], "--now 'yesterday': expected an ISO"),
        (["--db", "sqlite://", "--nope"], "unrecognized arguments: --nope"),
    ],
)
def test_a_command_line_that_is_wrong_exits_2_whichever_command_it_names(
    command: list[str], extra: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, *extra]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"sessionkit: error: {said}")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "error",
    [
        StorageUnavailable("the connection was lost", backend="postgresql"),
        StorageError("sqlite failed: disk I/O error", backend="sqlite"),
        ConcurrentModification("s-1", 3, 4),
        TransientConflict.aborted("deadlock", "postgresql", joined=False, code="40P01"),
    ],
)
@pytest.mark.parametrize("command", [["demo"], ["tick"]])
def test_a_storage_fault_while_working_exits_1(
    command: list[str],
    error: Exception,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Said in one line, but with status 2: as a bad argument, which a rerun cannot fix.
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    if command == ["tick"]:
        assert main(["demo", "--db", url]) == 0  # sessionkit's tables, for the tick
        capsys.readouterr()
        from sessionkit.services import SessionKit

        def fail(*_args: object, **_kwargs: object) -> object:
            raise error

        monkeypatch.setattr(SessionKit, "tick", fail)
    else:

        def fail_demo(_now: datetime, *, db: str) -> str:
            raise error

        monkeypatch.setattr(sessionkit.demo, "render", fail_demo)
    assert main([*command, "--db", url]) == 1
    assert capsys.readouterr() == ("", f"sessionkit: error: {error}\n")


def test_a_value_the_demo_refuses_still_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Only "cannot be opened or reached" is the database's failure; other refusals are usage.
    def refuse(_now: datetime, *, db: str) -> str:
        raise InvalidValue(f"--db {db!r}: refused", value=db, expected="something else")

    monkeypatch.setattr(sessionkit.demo, "render", refuse)
    assert main(["demo", "--db", "memory"]) == 2
    assert capsys.readouterr() == ("", "sessionkit: error: --db 'memory': refused\n")


def test_the_cli_package_keeps_its_public_names() -> None:
    # cli.py became a package of one module per command; its public names are the same.
    assert sessionkit.cli.__all__ == ["main", "parse_duration"]
    assert str(sessionkit.cli.parse_duration("PT1H30M")) == "1:30:00"


def _locked(_engine: object) -> None:
    raise TransientConflict.aborted("locked", "sqlite", joined=False, code="6")


def _full(_engine: object) -> None:
    raise StorageFull("sqlite failed: database or disk is full", backend="sqlite")


@pytest.mark.parametrize("platform", [[], ["marketplace"]])
@pytest.mark.parametrize("fault", [None, _locked, _full])
def test_a_demo_database_refusing_its_tables_exits_1_as_refusing_work_does(
    platform: list[str],
    fault: Callable[[object], None] | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A read-only file, a full disk or a lock met while making the tables exited 2, as a bad
    # --db; met a step later, while working (the tables made), the same fault exits 1.
    pytest.importorskip("sqlalchemy")
    path = tmp_path / "demo.sqlite3"
    sqlite3.connect(path).close()  # a database, without sessionkit's tables
    url = f"sqlite:///file:{path}?mode=ro&uri=true"
    said = "sqlite refuses writes (attempt to write a readonly database); nothing was stored"
    if fault is not None:
        import sessionkit.adapters.sqlalchemy as adapter

        monkeypatch.setattr(adapter, "upgrade", fault)
        url = f"sqlite:///{path}"
        with pytest.raises((StorageError, TransientConflict)) as met:
            fault(None)
        said = str(met.value)
    assert main(["demo", *platform, "--db", url]) == 1
    assert capsys.readouterr() == ("", f"sessionkit: error: --db {url!r}: {said}\n")
