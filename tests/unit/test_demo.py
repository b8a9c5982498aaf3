"""``python -m sessionkit demo``: deterministic output with the deliberate clash reported."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from tests._demo_play import play_in_process

from sessionkit.cli import main
from sessionkit.demo import DEMO_NOW, build_academy, render
from sessionkit.model import ResourceRef


def test_demo_prints_groups_conflicts_and_next_weeks_agenda(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--db", "memory"]) == 0
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
    _kit, maybe_reports = build_academy()
    reports = [r for r in maybe_reports if r is not None]
    assert len(reports) == 6  # a fresh store: every group was created
    skipped = [s for r in reports for s in r.skipped]
    assert len(skipped) == 9
    assert {(s.series_id, s.reason, s.resource) for s in skipped} == {
        ("chem-ny", "conflict", ResourceRef("teacher", "ana"))
    }
    assert all(s.blocking.series_id == "chem-a" for s in skipped)
    assert all(s.key.weekday() == 0 for s in skipped)
    assert all(r.window is not None and r.window.start == DEMO_NOW for r in reports)


def test_demo_runs_as_a_module_on_a_sqlite_file_by_default_and_only_tops_up_again(
    tmp_path: Path,
) -> None:
    first = subprocess.run(
        [sys.executable, "-m", "sessionkit", "demo"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "sessionkit-demo.sqlite3").exists()
    assert "in sqlite:///sessionkit-demo.sqlite3" in first.stdout
    assert first.stdout.rstrip().endswith("90 sessions stored, 9 occurrence(s) skipped.")
    # The reruns in-process in the same directory: a subprocess proves no more (3 s each on CI).
    second = play_in_process(tmp_path, "demo")
    assert second.returncode == 0, second.stderr
    assert "in sqlite:///sessionkit-demo.sqlite3" in second.stdout
    assert second.stdout.count("already scheduled, nothing to top up") == 6
    # The clash is still there: a rerun's report says it generated nothing, not "none".
    assert "Conflict report:\n  none new: nothing generated\n" in second.stdout
    assert second.stdout.rstrip().endswith("90 sessions stored, 0 occurrence(s) skipped.")
    later = play_in_process(tmp_path, "demo", "--now", "2026-04-06T07:00+00:00")
    assert later.returncode == 0, later.stderr
    assert "10 created, 0 skipped" in later.stdout
    assert later.stdout.rstrip().endswith("140 sessions stored, 5 occurrence(s) skipped.")


def test_memory_output_matches_the_sqlite_output_of_a_first_run(tmp_path: Path) -> None:
    in_memory = render().splitlines()
    in_file = render(db=f"sqlite:///{tmp_path / 'a.sqlite3'}").splitlines()
    assert len(in_memory) == len(in_file)
    assert in_memory[1:8] == in_file[1:8]  # the groups and their counts
    assert in_memory[-1] == in_file[-1]


def test_bad_demo_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--db", "nonsense://"]) == 2
    assert "--db 'nonsense://'" in capsys.readouterr().err
    assert main(["demo", "--db", "memory", "--now", "2026-04-06T07:00"]) == 2
    assert "give an offset" in capsys.readouterr().err
    assert main(["demo", "--db", "memory", "--now", "yesterday"]) == 2
    assert "such as 2026-04-06T07:00+00:00" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["demo"], ["tick"]])
def test_a_sqlite_file_path_given_as_db_is_told_its_url(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sqlalchemy")
    assert main([*command, "--db", "academy.sqlite3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("sessionkit: error: --db 'academy.sqlite3' is not a SQLAlchemy")
    assert err.endswith("; a SQLite file is named by a URL such as sqlite:///academy.sqlite3\n")


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        # Was "such as sqlite:///sqlite:/x.sqlite3": the whole text taken for the path.
        (
            "sqlite:/x.sqlite3",
            (
                "; a SQLite URL has three slashes before a relative path, four before an absolute"
                " one: sqlite:///x.sqlite3 or sqlite:////x.sqlite3"
            ),
        ),
        # Was "such as sqlite:///sqlite+pysqlite:/x.sqlite3", as sqlite:/ was.
        (
            "sqlite+pysqlite:/x.sqlite3",
            (
                "; a SQLite URL has three slashes before a relative path, four before an absolute"
                " one: sqlite+pysqlite:///x.sqlite3 or sqlite+pysqlite:////x.sqlite3"
            ),
        ),
        # Was "sqlite:/// or sqlite:////": no file named.
        (
            "sqlite:",
            (
                "; a SQLite URL has three slashes before a relative path, four before an absolute"
                " one: sqlite:///sessionkit-demo.sqlite3 or sqlite:////sessionkit-demo.sqlite3"
            ),
        ),
        # Was no hint: SQLAlchemy's "invalid literal for int() with base 10: 'memory:'" alone.
        ("sqlite://:memory:", "; a SQLite database in memory is sqlite:// (no path)"),
        # Heroku's and libpq's scheme: SQLAlchemy's "Can't load plugin" said nothing more.
        (
            "postgres://ann@127.0.0.1:1/sk",
            "; SQLAlchemy names PostgreSQL postgresql: postgresql+psycopg://ann@127.0.0.1:1/sk",
        ),
    ],
)
@pytest.mark.parametrize("command", [["demo"], ["demo", "coaching"], ["tick"]])
def test_a_mistyped_scheme_is_told_the_url_it_meant(
    command: list[str], url: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sqlalchemy")
    assert main([*command, "--db", url]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"sessionkit: error: --db {url!r} is not a SQLAlchemy database URL (")
    assert err.endswith(f"{hint}\n")
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", [["demo"], ["tick"]])
def test_a_password_given_as_a_query_argument_is_not_shown(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # The driver takes ?password= as the password; every refusal printed it, hint and all.
    pytest.importorskip("sqlalchemy")
    url = "postgres://ann@127.0.0.1:1/sk?sslmode=disable&password=s3cret&connect_timeout=1"
    assert main([*command, "--db", url]) == 2
    shown = "ann@127.0.0.1:1/sk?sslmode=disable&password=***&connect_timeout=1"
    assert capsys.readouterr() == (
        "",
        (
            f"sessionkit: error: --db 'postgres://{shown}' is not a SQLAlchemy database URL"
            " (Can't load plugin: sqlalchemy.dialects:postgres); SQLAlchemy names PostgreSQL"
            f" postgresql: postgresql+psycopg://{shown}\n"
        ),
    )


@pytest.mark.parametrize("command", [["demo"], ["tick"]])
def test_a_psycopg2_url_is_told_the_driver_the_postgres_extra_installs(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sqlalchemy")
    monkeypatch.setitem(sys.modules, "psycopg2", None)  # as if not installed: import fails
    url = "postgresql+psycopg2://ann@127.0.0.1:1/sk"
    assert main([*command, "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sessionkit: error: --db {url!r}: its database driver is not installed")
    assert err.endswith(
        "; sessionkit's postgres extra (pip install 'sessionkit[postgres]') installs psycopg"
        " (version 3): name it in the URL, postgresql+psycopg://ann@127.0.0.1:1/sk\n"
    )


@pytest.mark.parametrize("command", [["demo"], ["demo", "academy"], ["tick"]])
def test_a_mysql_url_without_a_database_is_refused_in_one_line(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # SQLAlchemy's MySQL dialect asserted a schema and the command died with a traceback.
    # Port 1: refused before connecting, so no server is needed.
    pytest.importorskip("pymysql")
    assert main([*command, "--db", "mysql+pymysql://root@127.0.0.1:1/"]) == 2
    assert capsys.readouterr().err == (
        "sessionkit: error: --db 'mysql+pymysql://root@127.0.0.1:1/' names no database: add"
        " one to the URL, e.g. mysql+pymysql://user@host/sessionkit_demo\n"
    )


@pytest.mark.parametrize("path", ["{}", '"$user",{}'])
@pytest.mark.parametrize("command", [["demo"], ["demo", "academy"], ["tick"]])
def test_a_postgres_search_path_naming_no_schema_is_said_not_unreachable(
    command: list[str], path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # PostgreSQL refused to make the tables ("no schema has been selected to create in"), which
    # the demo said as "the database cannot be opened or reached"; tick as "no tables".
    base = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run against PostgreSQL")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"sk_nosuch_{uuid.uuid4().hex[:12]}"
    url = make_url(base).update_query_dict({"options": f"-csearch_path={path.format(schema)}"})
    db = url.render_as_string(hide_password=False)
    shown = url.render_as_string(hide_password=True)
    engine = create_engine(base)
    try:
        with engine.connect() as connection:
            own = connection.execute(
                text("SELECT count(*) FROM pg_namespace WHERE nspname = current_user")
            ).scalar()
        if own and "$user" in path:  # pragma: no cover - a server where the user has one
            pytest.skip("the user has a schema of their own name: the path names one")
        assert main([*command, "--db", db]) == 2
        out, err = capsys.readouterr()
        if command == ["tick"]:
            said = (
                ", so it holds no sessionkit tables: create the schema, then the tables "
                "(sessionkit.adapters.sqlalchemy.upgrade, or your migrations)"
            )
        else:
            said = (
                "; the demo creates sessionkit's tables but not schemas: create the schema "
                "first (CREATE SCHEMA) or name one that exists"
            )
        assert (out, err) == (
            "",
            f"sessionkit: error: --db {shown!r}: schema {schema} does not exist{said}\n",
        )
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM pg_namespace WHERE nspname = :name"), {"name": schema}
            ).scalar()
        assert found == 0  # nothing was made
    finally:
        with engine.begin() as connection:  # were it made after all: not left behind
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.mark.parametrize("command", [["demo"], ["demo", "academy"], ["tick"]])
def test_a_mysql_database_that_does_not_exist_is_said_not_unreachable(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # The server's "Unknown database" read as "the database cannot be opened or reached".
    base = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")
    if not base:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to run against MariaDB/MySQL")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"sk_nosuch_{uuid.uuid4().hex[:12]}"
    url = make_url(base).set(database=name)
    db = url.render_as_string(hide_password=False)
    shown = url.render_as_string(hide_password=True)
    engine = create_engine(base)
    try:
        assert main([*command, "--db", db]) == 2
        out, err = capsys.readouterr()
        if command == ["tick"]:
            said = (
                ", so it holds no sessionkit tables: create the database, then the tables "
                "(sessionkit.adapters.sqlalchemy.upgrade, or your migrations)"
            )
        else:
            said = (
                "; the demo creates sessionkit's tables but not databases: create the database "
                "first (CREATE DATABASE) or name one that exists"
            )
        assert (out, err) == (
            "",
            f"sessionkit: error: --db {shown!r}: database {name} does not exist{said}\n",
        )
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :name"),
                {"name": name},
            ).scalar()
        assert found == 0  # nothing was made
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", [["demo"], ["demo", "academy"], ["tick"]])
@pytest.mark.parametrize("code", [1049, 2003])
def test_a_mysql_refusal_is_read_from_the_first_connection_only(
    command: list[str],
    code: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # "Does the database exist?" was asked by connecting a second time: for a host that does
    # not answer, the user waited out the connect timeout twice.
    pymysql = pytest.importorskip("pymysql")
    reasons = {
        1049: "Unknown database 'sk_nosuch'",
        2003: "Can't connect to MySQL server (timed out)",
    }
    calls: list[dict[str, object]] = []

    def refuse(*args: object, **kwargs: object) -> object:
        calls.append(kwargs)
        raise pymysql.err.OperationalError(code, reasons[code])

    monkeypatch.setattr(pymysql, "connect", refuse)
    db = "mysql+pymysql://root@127.0.0.1:1/sk_nosuch"
    status = main([*command, "--db", db])
    out, err = capsys.readouterr()
    assert len(calls) == 1
    assert calls[0]["database"] == "sk_nosuch"
    if code == 2003:
        said = (
            f"--db {db!r}: the database cannot be opened or reached (({code}, {reasons[code]!r}))"
        )
        done = "; nothing was done" if command == ["tick"] else ""
        assert (status, out, err) == (1, "", f"sessionkit: error: {said}{done}\n")  # demo: was 2
        return
    if command == ["tick"]:
        said = (
            ", so it holds no sessionkit tables: create the database, then the tables "
            "(sessionkit.adapters.sqlalchemy.upgrade, or your migrations)"
        )
    else:
        said = (
            "; the demo creates sessionkit's tables but not databases: create the database "
            "first (CREATE DATABASE) or name one that exists"
        )
    assert (status, out, err) == (
        2,
        "",
        f"sessionkit: error: --db {db!r}: database sk_nosuch does not exist{said}\n",
    )


@pytest.mark.parametrize("command", [["demo"], ["demo", "academy"], ["tick"]])
def test_a_postgres_database_that_does_not_exist_is_said_not_unreachable(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The server's 'database "x" does not exist' read as "the database cannot be opened or
    # reached", though the server answered. Told from that refusal: one connection only.
    base = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run against PostgreSQL")
    psycopg = pytest.importorskip("psycopg")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"sk_nosuch_{uuid.uuid4().hex[:12]}"
    url = make_url(base).set(database=name)
    db = url.render_as_string(hide_password=False)
    shown = url.render_as_string(hide_password=True)
    connect = psycopg.connect
    calls: list[object] = []

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("dbname"))
        return connect(*args, **kwargs)

    monkeypatch.setattr(psycopg, "connect", counted)
    assert main([*command, "--db", db]) == 2
    out, err = capsys.readouterr()
    assert calls == [name]
    if command == ["tick"]:
        said = (
            ", so it holds no sessionkit tables: create the database, then the tables "
            "(sessionkit.adapters.sqlalchemy.upgrade, or your migrations)"
        )
    else:
        said = (
            "; the demo creates sessionkit's tables but not databases: create the database "
            "first (CREATE DATABASE) or name one that exists"
        )
    assert (out, err) == (
        "",
        f"sessionkit: error: --db {shown!r}: database {name} does not exist{said}\n",
    )
    monkeypatch.undo()
    engine = create_engine(base)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
        assert found == 0  # nothing was made
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", [["demo"], ["tick"]])
def test_a_postgres_database_that_does_not_exist_is_told_by_its_sqlstate_in_any_language(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A server whose lc_messages is not English words it otherwise: its SQLSTATE, when the
    # driver gives it (3D000, invalid_catalog_name), says the same. No server is needed.
    pytest.importorskip("psycopg")
    import psycopg

    class Refused(psycopg.OperationalError):
        sqlstate = "3D000"

    def refuse(*args: object, **kwargs: object) -> object:
        raise Refused("FATAL:  Datenbank »sk_nosuch« existiert nicht")

    monkeypatch.setattr(psycopg, "connect", refuse)
    db = "postgresql+psycopg://postgres@127.0.0.1:1/sk_nosuch"
    assert main([*command, "--db", db]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"sessionkit: error: --db {db!r}: database sk_nosuch does not exist")
    assert err.count("\n") == 1


@pytest.mark.parametrize("platform", ["marketplace", "consulting"])
def test_a_payment_provider_that_is_down_stops_the_demo_with_status_1(
    platform: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # PaymentGatewayError left the demo as a bad argument would (status 2), where a meeting
    # provider's failure, or a failed tick item, stops it with status 1: the next run may do it.
    from sessionkit.testing.payments import FakeGateway

    db = f"sqlite:///{tmp_path / 'demo.sqlite3'}"

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("payment provider down")

    with monkeypatch.context() as patched:
        patched.setattr(FakeGateway, "create_intent", down)
        assert main(["demo", platform, "--db", db]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("sessionkit: error: the payment provider failed to create_intent ")
    assert err.endswith(
        ": ConnectionError: payment provider down; it is safe to retry; the demo stopped there "
        "(running it again retries it)\n"
    )
    assert err.count("\n") == 1
    assert main(["demo", platform, "--db", db]) == 0  # as it says


@pytest.mark.parametrize(
    ("platform", "refunded"),
    [
        ("marketplace", "  290.00 EUR paid in, 90.00 EUR refunded (3 refunds, 3 in full), 200.00"),
        ("consulting", "paid 11500.00 INR, pending 2000.00 INR, refunded 2000.00 INR"),
    ],
)
def test_a_refund_the_provider_fails_stops_the_demo_and_a_rerun_makes_it(
    platform: str,
    refunded: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A cancel makes its refund once it commits; a failed call is left due and the cancel
    # returns all the same: the demo said "0.00 EUR refunded" and exited 0. Rerun, the
    # call waited for its retry time, past the demo's fixed clock, and was never made.
    from sessionkit.testing.payments import FakeGateway

    db = f"sqlite:///{tmp_path / 'demo.sqlite3'}"

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("payment provider down")

    with monkeypatch.context() as patched:
        patched.setattr(FakeGateway, "refund", down)
        assert main(["demo", platform, "--db", db]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(
        "sessionkit: error: the demo could not do its due work: payments.run_due failed "
    )
    assert err.endswith(
        "(PaymentGatewayError: the payment provider failed to refund payment "
        f"{err.split(' failed for ')[1].split(' ')[0]}: ConnectionError: payment provider down; "
        "it is safe to retry); the demo stopped there (running it again retries it)\n"
    )
    assert main(["demo", platform, "--db", db]) == 0
    assert refunded in capsys.readouterr().out


def test_the_demo_names_its_database_as_given(tmp_path: Path) -> None:
    # Undecodable bytes of a path under LC_ALL=C arrive as surrogates: SQLAlchemy's rendering
    # of the URL raised UnicodeEncodeError after the tables were made. A file: URI was
    # shown %-escaped (file%3A).
    pytest.importorskip("sqlalchemy")
    from sessionkit.demo import open_store

    for db in (
        f"sqlite:///{tmp_path}/\udcc3\udca9.sqlite3",
        f"sqlite:///file:{tmp_path}/uri.sqlite3?mode=rwc&uri=true",
    ):
        _, where = open_store(db)
        assert where == db
    _, where = open_store(f"sqlite:///file:{tmp_path}/uri.sqlite3?mode=ro&uri=true")
    assert where.startswith("sqlite:///file:")


@pytest.mark.parametrize(
    ("platform", "later"),
    [
        ("lms", "2026-04-06T07:00+00:00"),  # the LMS tops up when four weeks are left
        ("marketplace", "2026-03-23T07:00+00:00"),  # the tutors' slots, four weeks ahead
    ],
)
def test_a_top_up_the_database_refuses_is_said_not_read_as_nothing_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], platform: str, later: str
) -> None:
    # Refused writes were reported in top_up's failures, which the demo did not read: it
    # printed "already scheduled, nothing to top up" (LMS) and exited 0.
    pytest.importorskip("sqlalchemy")
    path = tmp_path / f"{platform}.sqlite3"
    assert main(["demo", platform, "--db", f"sqlite:///{path}"]) == 0
    capsys.readouterr()
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    # Refused while working, as a tick's failed item: 1 (it was 2, as a bad argument).
    assert main(["demo", platform, "--db", read_only, "--now", later]) == 1
    said = "sqlite refuses writes (attempt to write a readonly database); nothing was stored"
    assert capsys.readouterr() == ("", f"sessionkit: error: {said}\n")


def test_a_locked_sqlite_database_is_refused_in_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite's table lock of a connection sharing its cache is a TransientConflict, no
    # StorageError: it went past the demo's check as a traceback, the engine left open.
    pytest.importorskip("sqlalchemy")
    import sessionkit.adapters.sqlalchemy as adapter
    from sessionkit.demo import open_store
    from sessionkit.errors import InvalidValue, TransientConflict

    def locked(_engine: object) -> None:
        raise TransientConflict.aborted("locked", "sqlite", joined=False, code="6")

    monkeypatch.setattr(adapter, "upgrade", locked)
    db = f"sqlite:///{tmp_path}/locked.sqlite3"
    with pytest.raises(InvalidValue) as refused:
        open_store(db)
    assert str(refused.value).startswith(f"--db {db!r}: sqlite refused the statement at once")


@pytest.mark.parametrize("platform", [[], ["marketplace"]])
def test_a_sqlite_file_in_a_missing_directory_is_said_to_be_so(
    platform: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # SQLite says only "unable to open database file", of a missing directory as of one that
    # may not be written (the demo run in a read-only directory on its default URL).
    pytest.importorskip("sqlalchemy")
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'demo.db'}"
    assert main(["demo", *platform, "--db", url]) == 1  # cannot be opened, as tick's
    assert capsys.readouterr() == (
        "",
        (
            f"sessionkit: error: --db {url!r}: the database cannot be opened or reached (unable to"
            f" open database file): its directory {str(tmp_path / 'no-such-dir')!r} does not exist;"
            " the demo makes files, not directories\n"
        ),
    )
    assert list(tmp_path.iterdir()) == []


def test_a_sqlite_file_in_a_directory_that_may_not_be_written_is_said_to_be_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the hint: root writes in a directory of mode 555, so the refusal itself needs a
    # read-only file system, which a test cannot mount.
    pytest.importorskip("sqlalchemy")
    from sqlalchemy import create_engine

    from sessionkit.demo import _database

    engine = create_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    assert _database.sqlite_directory_hint(engine) == ""  # writable: SQLite's words suffice
    monkeypatch.setattr("os.access", lambda path, mode: Path(path) != tmp_path)
    assert _database.sqlite_directory_hint(engine) == (
        f": its directory {str(tmp_path)!r} may not be written, so the file cannot be made"
        " there; run the demo in another directory or name a file with --db"
    )
    (tmp_path / "demo.sqlite3").touch()  # a file that exists: SQLite's words are its own
    assert _database.sqlite_directory_hint(engine) == ""
    for url in ("sqlite://", f"sqlite:///file:{tmp_path / 'x.db'}?uri=true"):
        assert _database.sqlite_directory_hint(create_engine(url)) == ""
