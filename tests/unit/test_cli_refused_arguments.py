"""A ``--db`` whose query arguments the driver refuses is the command line's fault (status 2).

Running again cannot help (the URL must change), unlike a database that cannot
be reached (status 1): both were said as "cannot be opened or reached".
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests._versions import needs

from sessionkit.cli import main

COMMANDS = [["demo"], ["demo", "academy"], ["tick"]]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("driver", "db", "said"),
    [
        # libpq checks sslmode before it reaches the server (none listens on port 1).
        pytest.param(
            "psycopg",
            "postgresql+psycopg://bob:s3cret@127.0.0.1:1/db?application_name=x&sslmode=bogus",
            'its query argument sslmode (connection is bad: invalid sslmode value: "bogus")',
            marks=needs("psycopg", "3.2", 'before, it says only: connection is bad: "bogus"'),
        ),
        (
            "psycopg",
            "postgresql+psycopg://bob:s3cret@127.0.0.1:1/db?nosuch=1",
            'its query argument nosuch (invalid connection option "nosuch")',
        ),
        # PyMySQL fails on an unknown charset with a bare AttributeError naming nothing.
        (
            "pymysql",
            "mysql+pymysql://bob:s3cret@127.0.0.1:1/db?charset=nope",
            (
                "its query argument charset (AttributeError: 'NoneType' object has no attribute "
                "'encoding')"
            ),
        ),
        (
            "pymysql",
            "mysql+pymysql://bob:s3cret@127.0.0.1:1/db?connect_timeout=5&nosuch=1",
            (
                "its query argument nosuch (TypeError: Connection.__init__() got an unexpected "
                "keyword argument 'nosuch')"
            ),
        ),
        (
            "pymysql",
            "mysql+pymysql://bob:s3cret@127.0.0.1:1/db?charset=nope&program_name=x",
            (
                "one of its query arguments charset, program_name (AttributeError: 'NoneType' "
                "object has no attribute 'encoding')"
            ),
        ),
    ],
)
def test_a_query_argument_the_driver_refuses_is_named_with_status_2(
    command: list[str], driver: str, db: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sqlalchemy")
    pytest.importorskip(driver)
    assert main([*command, "--db", db]) == 2
    shown = db.replace(":s3cret@", ":***@")
    assert capsys.readouterr() == (
        "",
        f"sessionkit: error: --db {shown!r}: the driver refuses {said}\n",
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_a_sqlite_uri_argument_sqlite_refuses_is_named_with_status_2(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sqlalchemy")
    path = tmp_path / "x.sqlite3"
    sqlite3.connect(path).close()  # tick refuses a file that does not exist before connecting
    db = f"sqlite:///file:{path}?mode=bogus&uri=true"
    assert main([*command, "--db", db]) == 2
    assert capsys.readouterr() == (
        "",
        (
            f"sessionkit: error: --db {db!r}: the driver refuses its query argument mode "
            "(no such access mode: bogus)\n"
        ),
    )


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("driver", "db"),
    [
        ("psycopg", "postgresql+psycopg://bob:s3cret@127.0.0.1:1/db?sslmode=disable"),
        ("pymysql", "mysql+pymysql://bob:s3cret@127.0.0.1:1/db?connect_timeout=5"),
    ],
)
def test_a_database_that_cannot_be_reached_with_good_arguments_is_still_status_1(
    command: list[str], driver: str, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sqlalchemy")
    pytest.importorskip(driver)
    assert main([*command, "--db", db]) == 1
    out, err = capsys.readouterr()
    shown = db.replace(":s3cret@", ":***@")
    assert out == ""
    assert err.startswith(
        f"sessionkit: error: --db {shown!r}: the database cannot be opened or reached ("
    )
    assert "refuses" not in err
    assert "s3cret" not in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("driver", "db"),
    [
        # IDNA refuses the empty label before any lookup, with a UnicodeError naming nothing:
        # it was blamed on the query's arguments (status 2), and said as unreachable without.
        pytest.param(
            "psycopg",
            "postgresql+psycopg://bob:s3cret@db..example.com/db?application_name=x",
            marks=needs("psycopg", "3.1.17", "before, libpq looks the name up: not known"),
        ),
        ("pymysql", "mysql+pymysql://bob:s3cret@db..example.com/db?charset=utf8mb4"),
    ],
)
def test_a_host_name_idna_refuses_is_not_blamed_on_the_query_arguments(
    command: list[str], driver: str, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sqlalchemy")
    pytest.importorskip(driver)
    assert main([*command, "--db", db]) == 1
    shown = db.replace(":s3cret@", ":***@")
    assert capsys.readouterr() == (
        "",
        (
            f"sessionkit: error: --db {shown!r}: the database cannot be opened or reached "
            "(UnicodeError: encoding with 'idna' codec failed (UnicodeError: label empty or too "
            f"long)){'; nothing was done' if command == ['tick'] else ''}\n"
        ),
    )
