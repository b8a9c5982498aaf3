"""``python -m sessionkit tick``: all due work from cron, a progress line and a summary."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from tests._versions import needs

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.cli import main
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _database(tmp_path: Path) -> str:
    """A SQLite file with three due READY timers in two tenants; its URL."""
    url = f"sqlite:///{tmp_path / 'tick.sqlite3'}"
    engine = create_engine(url)
    create_schema(engine)
    kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    for tenant, count in (("acme", 2), ("globex", 1)):
        for n in range(count):
            start = NOW + timedelta(hours=1, minutes=n)
            kit.sessions.create_extra(
                tenant, actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
            )
    engine.dispose()
    return url


def test_tick_until_idle_prints_a_summary_per_tick(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _database(tmp_path)
    at = "2026-03-02T09:00+00:00"
    assert main(["tick", "--db", url, "--now", at, "--tenant", "globex"]) == 0
    out, err = capsys.readouterr()
    assert "1 done in 1 batches over 1 tenants" in out
    assert "1 sessions advanced" in out
    assert err.splitlines() == ["tick: 1 batches, 1 done, 0 failed"]
    assert main(["tick", "--db", url, "--now", at, "--until-idle", "--batch", "1"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 2  # a tick that did the rest, then one that found nothing
    assert lines[0].startswith("2026-03-02T09:00:00+00:00: 2 done in 2 batches over 1 tenants")
    assert lines[1].startswith("2026-03-02T09:00:00+00:00: 0 done in 0 batches")
    assert len(err.splitlines()) == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        # Named as the flag the user typed, not as the Python argument.
        (["--batch", "0"], "error: --batch must be 1..1,000, got 0"),
        (["--tenant", ""], "error: --tenant must be a non-empty string"),
        (["--now", "2026-03-02T09:00"], "give an offset, e.g. 2026-04-06T07:00+00:00"),
        # The example the message gives is one the flag takes (it named a local time once).
        (["--now", "yesterday"], "with an offset, such as 2026-04-06T07:00+00:00"),
        # Out of range: named as the flag, as the demo names it, not as the tick's ``now``.
        (["--now", "0500-01-01T00:00+00:00"], "error: --now 0500-01-01T00:00:00+00:00 is outside"),
        (["--kind", "payments"], "invalid choice: 'payments'"),
        (["--tenant", " acme"], "error: --tenant ' acme' must not start or end with whitespace"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    url = f"sqlite:///{tmp_path / 'never-opened.sqlite3'}"  # refused before it is opened
    assert main(["tick", "--db", url, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sessionkit: error:")
    assert message in err
    assert not (tmp_path / "never-opened.sqlite3").exists()


def test_a_bad_url_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tick", "--db", "not a url"]) == 2
    assert "is not a SQLAlchemy database URL" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["tick", "demo"])
def test_a_url_whose_driver_is_not_installed_exits_2(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # SQLAlchemy imports the driver in create_engine: its ModuleNotFoundError left main()
    # as a traceback with exit 1, which the docs give to "an item failed".
    if importlib.util.find_spec("oracledb") is not None:  # pragma: no cover - the URL's driver
        pytest.skip("oracledb is installed here")
    assert main([command, "--db", "oracle+oracledb://x@127.0.0.1:1/test"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sessionkit: error:")
    assert "driver is not installed (No module named 'oracledb')" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["tick", "demo"])
@pytest.mark.parametrize("scheme", ["mysql", "mariadb"])
def test_a_mysql_url_without_mysqldb_is_told_the_driver_the_extra_installs(
    command: str, scheme: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # mysql:// means SQLAlchemy's default driver, MySQLdb; the mysql extra installs PyMySQL,
    # and the error named only the missing module.
    monkeypatch.setitem(sys.modules, "MySQLdb", None)  # as if not installed: import fails
    assert main([command, "--db", f"{scheme}://root:s3cret@127.0.0.1:1/test"]) == 2
    assert capsys.readouterr().err == (
        f"sessionkit: error: --db '{scheme}://root:***@127.0.0.1:1/test': its database driver "
        "is not installed (import of MySQLdb halted; None in sys.modules); sessionkit's mysql "
        "extra (pip install 'sessionkit[mysql]') installs PyMySQL: name it in the URL, "
        f"{scheme}+pymysql://root:***@127.0.0.1:1/test\n"
    )


def test_a_missing_sqlite_file_exits_2_and_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A mistyped path printed a traceback ("no such table") and left an empty file behind.
    typo = tmp_path / "typo.sqlite3"
    assert main(["tick", "--db", f"sqlite:///{typo}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sessionkit: error:")
    assert "no such SQLite file" in err
    assert len(err.strip().splitlines()) == 1
    assert not typo.exists()


@pytest.mark.parametrize(
    "database",
    [
        "file:typo.sqlite3?uri=true",
        "file:typo.sqlite3?uri=true&mode=rwc",
        "file:{tmp}/typo.sqlite3?uri=true",
        "file://localhost{tmp}/typo.sqlite3?uri=true&cache=shared",
        "file:typo.sqlite3?uri=true&timeout=1",
    ],
)
def test_a_missing_sqlite_file_named_by_a_uri_exits_2_and_is_not_created(
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # With uri=true the existence check was skipped: connecting created an empty typo.sqlite3.
    monkeypatch.chdir(tmp_path)
    url = "sqlite:///" + database.format(tmp=tmp_path)
    assert main(["tick", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"sessionkit: error: --db {url!r}: no such SQLite file; tick works on a database "
        "that holds sessionkit's tables\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "database",
    [
        "file::memory:?uri=true",
        pytest.param(
            "file:typo.sqlite3?mode=memory&uri=true",
            # SQLAlchemy 2.1 warns that mode=memory will stop choosing its pool
            marks=pytest.mark.filterwarnings("ignore:Selection of the SingletonThreadPool"),
        ),
    ],
)
def test_an_in_memory_sqlite_uri_is_opened_and_refused_for_its_missing_tables(
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["tick", "--db", f"sqlite:///{database}"]) == 2
    assert "holds no sessionkit tables (sessionkit_sessions is missing)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@needs("sqlalchemy", "2.1", "URLs percent-decode the database name")
def test_an_existing_sqlite_file_named_by_a_uri_is_ticked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = Path(_database(tmp_path).removeprefix("sqlite:///"))
    spaced = stored.rename(tmp_path / "tick 1.sqlite3")  # %20 in the URI, as SQLite decodes it
    url = f"sqlite:///file:{tmp_path}/tick%25201.sqlite3?uri=true&mode=rw"
    assert main(["tick", "--db", url, "--now", "2026-03-02T09:00+00:00"]) == 0
    assert "3 done in 2 batches over 2 tenants" in capsys.readouterr().out
    assert sorted(tmp_path.iterdir()) == [spaced]


def test_a_database_without_sessionkit_s_tables_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.sqlite3"
    create_engine(f"sqlite:///{empty}").connect().close()  # a file, no tables
    assert empty.is_file()
    assert main(["tick", "--db", f"sqlite:///{empty}"]) == 2
    err = capsys.readouterr().err
    assert "holds no sessionkit tables (sessionkit_sessions is missing)" in err
    assert len(err.strip().splitlines()) == 1


def test_a_tick_whose_database_cannot_be_opened_says_so_once_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It printed a summary and one failure per kind of due work, the same error four times.
    file = tmp_path / "not-a-database.db"
    file.write_bytes(b"x" * 4096)  # a file, but none sqlite3 can open
    assert main(["tick", "--db", f"sqlite:///{file}"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("sessionkit: error: --db ")
    assert "the database cannot be opened or reached (file is not a database)" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("platform", [[], ["marketplace"]])
def test_a_demo_database_that_cannot_be_opened_exits_1_as_a_tick_s(
    platform: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # upgrade() met the unreachable database outside any store: its OperationalError left
    # main() as an 80-line traceback with exit 1. Then it exited 2, as a bad argument.
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'demo.db'}"
    assert main(["demo", *platform, "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sessionkit: error:")
    assert "cannot be opened or reached (unable to open database file)" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [["demo"], ["demo", "academy"]])
def test_a_demo_file_that_is_no_database_is_named_by_its_db_as_tick_names_it(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # upgrade()'s StorageError passed as any error of sessionkit's: "sqlite failed: file is
    # not a database", the --db it was about not named, where tick says "cannot be opened".
    file = tmp_path / "not-a-database.db"
    file.write_bytes(b"x" * 4096)
    url = f"sqlite:///{file}"
    assert main([*command, "--db", url]) == 1  # as tick's: it was 2, as a bad argument
    said = "the database cannot be opened or reached (file is not a database)"
    assert capsys.readouterr() == ("", f"sessionkit: error: --db {url!r}: {said}\n")


def test_a_read_only_demo_file_without_tables_is_named_by_its_db(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "empty.sqlite3"
    file.touch()
    url = f"sqlite:///file:{file}?mode=ro&uri=true"
    # Status 1, as the same file refusing the demo's writes once it holds the tables: it was
    # 2, as a bad --db.
    assert main(["demo", "--db", url]) == 1
    said = "sqlite refuses writes (attempt to write a readonly database); nothing was stored"
    assert capsys.readouterr() == ("", f"sessionkit: error: --db {url!r}: {said}\n")


@pytest.mark.parametrize("command", [["tick"], ["demo"], ["demo", "academy"]])
def test_a_sqlite_url_argument_the_driver_would_ignore_is_refused_in_one_line(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # SQLAlchemy warned in two lines (its own source line the second) and went on: mode=ro
    # without uri=true was ignored, and the demo wrote to the file it was told to only read.
    file = tmp_path / "demo.sqlite3"
    if command == ["tick"]:
        assert main(["demo", "--db", f"sqlite:///{file}"]) == 0
        capsys.readouterr()
    before = file.read_bytes() if file.exists() else None
    url = f"sqlite:///{file}?mode=ro"
    assert main([*command, "--db", url]) == 2
    said = (
        "Query string argument(s) 'mode' are not accepted by the pysqlite driver and are being "
        "ignored; SQLite URI arguments require that 'uri=true' also be present in the URL; "
        "refused rather than ignored"
    )
    assert capsys.readouterr() == ("", f"sessionkit: error: --db {url!r}: {said}\n")
    assert (file.read_bytes() if file.exists() else None) == before


@pytest.mark.parametrize("command", [["tick"], ["demo"], ["demo", "academy"]])
@pytest.mark.parametrize("query", ["?uri=true&mode=ro", "?mode=ro&cache=shared&uri=true&timeout=5"])
def test_a_sqlite_uri_that_does_not_start_with_file_is_refused_in_one_line(
    command: list[str], query: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # With uri=true SQLAlchemy appends mode=ro to the path, and SQLite reads a path as a URI
    # only if it starts with file:: the demo made (and wrote) a file named 'demo.sqlite3?mode=ro'.
    file = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", f"sqlite:///{file}"]) == 0
    capsys.readouterr()
    before = file.read_bytes()
    url = f"sqlite:///{file}{query}"
    assert main([*command, "--db", url]) == 2
    named = "mode" if "cache" not in query else "cache, mode"
    said = (
        f"with uri=true SQLite reads the path as a URI only if it starts with file: ({named} "
        "would be part of the file's name); write it as, e.g., "
        "sqlite:///file:PATH?mode=ro&uri=true"
    )
    assert capsys.readouterr() == ("", f"sessionkit: error: --db {url!r}: {said}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.sqlite3"]
    assert file.read_bytes() == before


@pytest.mark.parametrize("command", [["tick"], ["demo"]])
def test_a_sqlite_uri_with_no_path_is_refused_not_a_traceback(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # SQLAlchemy's create_engine raised TypeError adding mode=memory to no path at all.
    assert main([*command, "--db", "sqlite://?uri=true&mode=memory"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(
        "sessionkit: error: --db 'sqlite://?uri=true&mode=memory': with uri=true SQLite reads "
        "the path as a URI only if it starts with file: (mode would be part of the file's name)"
    )


@pytest.mark.parametrize("command", [["tick"], ["demo"]])
def test_a_sqlite_uri_with_no_path_nor_arguments_is_refused_not_a_traceback(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # sqlite3.connect was handed None: an AttributeError traceback from the tick's file check.
    assert main([*command, "--db", "sqlite://?uri=true"]) == 2
    said = (
        "sessionkit: error: --db 'sqlite://?uri=true': with uri=true name the database as a "
        "URI, e.g. sqlite:///file:PATH?uri=true (sqlite:///file::memory:?uri=true in memory)\n"
    )
    assert capsys.readouterr() == ("", said)


def test_a_sqlite_file_uri_with_its_arguments_is_opened_as_it_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The form the refusal names is taken, and read-only as asked: the top-ups fail, unwritten.
    file = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", f"sqlite:///{file}"]) == 0
    capsys.readouterr()
    before = file.read_bytes()
    url = f"sqlite:///file:{file}?mode=ro&uri=true"
    assert main(["tick", "--db", url, "--kind", "top_up", "--now", "2026-06-01T00:00Z"]) == 1
    out, _ = capsys.readouterr()
    assert out.count("(attempt to write a readonly database); nothing was stored") == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.sqlite3"]
    assert file.read_bytes() == before


_TICK_DIRECTORY = (
    " names a directory, not a SQLite file; tick works on a database that holds sessionkit's tables"
)
_DEMO_DIRECTORY = " names a directory, not a SQLite file: name a file, e.g. one in it"


@pytest.mark.parametrize(
    ("command", "url", "said"),
    [
        (["tick"], "sqlite:///{}", _TICK_DIRECTORY),
        (["tick"], "sqlite:///file:{}?uri=true", _TICK_DIRECTORY),
        (["demo"], "sqlite:///{}", _DEMO_DIRECTORY),
        (["demo", "marketplace"], "sqlite:///{}", _DEMO_DIRECTORY),
    ],
)
def test_a_directory_given_as_the_sqlite_file_is_said_to_be_one(
    command: list[str], url: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # tick said "no such SQLite file" of a directory that exists; the demo "the database
    # cannot be opened or reached (unable to open database file)", as of a missing directory.
    db = url.format(tmp_path)
    assert main([*command, "--db", db]) == 2
    assert capsys.readouterr() == ("", f"sessionkit: error: --db {db!r}{said}\n")
    assert list(tmp_path.iterdir()) == []  # nothing was made in it


@pytest.mark.parametrize(
    ("command", "url", "shown", "code"),
    [
        (["tick"], "sqlite+nope://ann:s3cret@host/db", "sqlite+nope://ann:***@host/db", 2),
        (["demo"], "nope://ann:s3cret@host/db", "nope://ann:***@host/db", 2),
        (["demo", "marketplace"], "nope://:s3cret@host/db", "nope://:***@host/db", 2),
        (["tick"], "bob:s3cret@db.example/prod", "bob:***@db.example/prod", 2),
        (["tick"], "postgresql:/bob:s3cret@db/prod", "postgresql:/bob:***@db/prod", 2),
        (
            ["tick"],
            "postgresql+psycopg://ann:s%40cret:x@127.0.0.1:1/test",
            "postgresql+psycopg://ann:***@127.0.0.1:1/test",
            1,
        ),
        (
            ["demo"],
            "postgresql+psycopg://ann:s3cret@127.0.0.1:1/test",
            "postgresql+psycopg://ann:***@127.0.0.1:1/test",
            1,
        ),
    ],
)
def test_a_refused_database_url_is_shown_without_its_password(
    command: list[str], url: str, shown: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    # The refusal printed the URL as given, password and all, to a cron job's stderr.
    if "psycopg" in url and importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed")
    assert main([*command, "--db", url]) == code
    err = capsys.readouterr().err
    assert err.startswith(f"sessionkit: error: --db {shown!r}")
    assert "s3cret" not in err
    assert "cret:x" not in err


@pytest.mark.parametrize(
    "url", ["sqlite:///path/with@sign.db", "sqlite:////tmp/x.db", "postgresql://h:5432/d", "memory"]
)
def test_a_url_without_a_password_is_shown_as_given(url: str) -> None:
    from sessionkit.demo._common import shown_url

    assert shown_url(url) == url


@pytest.mark.parametrize("command", [["tick"], ["demo"], ["demo", "academy"]])
def test_a_driver_refusing_its_url_arguments_is_said_in_one_line(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # PyMySQL refuses an unknown charset with an AttributeError, no DB-API error: it left
    # main() as a traceback (before connecting, so no server is needed here). The URL is
    # wrong, not the database out of reach: status 2 (test_cli_refused_arguments).
    pytest.importorskip("pymysql")
    url = "mysql+pymysql://ann:s3cret@127.0.0.1:1/test?charset=nope"
    assert main([*command, "--db", url]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "sessionkit: error: --db 'mysql+pymysql://ann:***@127.0.0.1:1/test?charset=nope': the "
        "driver refuses its query argument charset (AttributeError: 'NoneType' object has no "
        "attribute 'encoding')\n"
    )


@pytest.mark.parametrize("command", [["tick"], ["demo"], ["demo", "coaching"]])
def test_an_asyncio_driver_is_refused_naming_it(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # psycopg's async dialect failed on connecting: a traceback (greenlet missing, or a
    # coroutine never awaited) with exit 1.
    pytest.importorskip("psycopg")
    url = "postgresql+psycopg_async://ann@127.0.0.1:1/test"
    assert main([*command, "--db", url]) == 2
    assert capsys.readouterr().err == (
        f"sessionkit: error: --db '{url}' names an asyncio driver (postgresql+psycopg_async); "
        "the command line connects synchronously: use e.g. postgresql+psycopg, mysql+pymysql "
        "or sqlite\n"
    )


def test_tick_on_the_demo_s_memory_store_is_refused_as_such(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # It was "not a SQLAlchemy database URL", with the hint "sqlite:///memory": a file.
    assert main(["tick", "--db", "memory"]) == 2
    assert capsys.readouterr().err == (
        "sessionkit: error: --db 'memory': tick works on a database that holds sessionkit's "
        "tables; a store in memory is empty in each run (that --db is the demo's alone)\n"
    )


def test_on_a_terminal_the_summary_line_overwrites_the_progress_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # It ended the progress line and printed the same line again below it: two equal lines,
    # and a blank one before the summary of a tick that found nothing.
    url = _database(tmp_path)
    at = "2026-03-02T09:00+00:00"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["tick", "--db", url, "--now", at, "--until-idle", "--batch", "2"]) == 0
    assert capsys.readouterr().err == (
        "\rtick: 1 batches, 2 done, 0 failed"
        "\rtick: 2 batches, 3 done, 0 failed"
        "\rtick: 2 batches, 3 done, 0 failed\n"
        "\rtick: 0 batches, 0 done, 0 failed\n"
    )
