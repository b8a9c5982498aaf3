"""What a ``--db`` the command line cannot take is told, its password never shown."""

from __future__ import annotations

import importlib.util

import pytest

from sessionkit.cli import main

_SERVER = "; a URL starts with its database's scheme, e.g. postgresql+psycopg://"


@pytest.mark.parametrize("command", [["tick"], ["demo"]])
@pytest.mark.parametrize(
    ("db", "shown", "hint"),
    [
        # Both were told "a SQLite file is named by a URL such as sqlite:///bob:***@host/db".
        ("bob:s3cret@host/db", "bob:***@host/db", f"{_SERVER}bob:***@host/db"),
        ("postgres:/x", "postgres:/x", "; a URL has // after its scheme: postgresql+psycopg://"),
        ("mysql:host/db", "mysql:host/db", "; a URL has // after its scheme: mysql+pymysql://"),
        # Shown password and all: the mask wanted a scheme before the "//".
        ("//bob:s3cret@host/db", "//bob:***@host/db", f"{_SERVER}bob:***@host/db"),
    ],
)
def test_a_url_without_its_scheme_is_told_how_to_name_one(
    command: list[str], db: str, shown: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--db", db]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"sessionkit: error: --db {shown!r} is not a SQLAlchemy database URL")
    assert hint in err
    assert "sqlite:///" not in err
    assert "s3cret" not in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("command", [["tick"], ["demo"]])
def test_an_at_sign_in_a_password_is_refused_without_showing_the_password(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # SQLAlchemy read "s3cret@127.0.0.1" as the host, which the driver's refusal named.
    pytest.importorskip("psycopg")
    assert main([*command, "--db", "postgresql+psycopg://bob:p@s3cret@127.0.0.1:1/db"]) == 2
    said = (
        "sessionkit: error: --db 'postgresql+psycopg://bob:***@127.0.0.1:1/db': its password "
        "holds an @, which a URL writes as %40\n"
    )
    assert capsys.readouterr() == ("", said)


@pytest.mark.parametrize("command", [["tick"], ["demo"]])
def test_a_user_name_with_an_at_sign_does_not_show_the_password(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # SQLAlchemy reads "bob@myserver" as the user (Azure's form of a user name), and the mask,
    # which took no @ in a user name, showed the whole URL, password and all.
    pytest.importorskip("psycopg")
    url = "postgresql+psycopg://bob@myserver:s3cret@127.0.0.1:1/db"
    assert main([*command, "--db", url]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    shown = "postgresql+psycopg://bob@myserver:***@127.0.0.1:1/db"
    assert err.startswith(f"sessionkit: error: --db {shown!r}: the database cannot be opened")
    assert "s3cret" not in err


@pytest.mark.parametrize(
    ("db", "shown"),
    [
        ("mysql+pymysql://bob@srv:s3cret@h/db", "mysql+pymysql://bob@srv:***@h/db"),
        ("postgresql://bob%40srv:s3cret@h/db", "postgresql://bob%40srv:***@h/db"),
        ("bob@srv:s3cret@h/db", "bob@srv:***@h/db"),
        # As given: no password in them.
        ("postgresql://bob@h:5432/db", "postgresql://bob@h:5432/db"),
        ("postgresql://bob@[::1]:5432/db", "postgresql://bob@[::1]:5432/db"),
        ("sqlite:///dir@x/with@sign.db", "sqlite:///dir@x/with@sign.db"),
    ],
)
def test_the_mask_reads_a_user_name_as_sqlalchemy_does(db: str, shown: str) -> None:
    from sessionkit.demo._database import shown_url

    assert shown_url(db) == shown


@pytest.mark.parametrize(
    ("command", "then"),
    [
        (["tick"], ", so it holds no sessionkit tables"),
        (["demo"], "; the demo creates sessionkit's tables but not databases"),
    ],
)
def test_a_missing_database_named_by_a_password_is_said_masked(
    command: list[str], then: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A third slash makes "bob:s3cret@h" the database's name: masked in the URL, it was said
    # in full as the database that does not exist.
    import os

    server = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
    if server is None or importlib.util.find_spec("psycopg") is None:
        pytest.skip("SESSIONKIT_TEST_POSTGRES_URL is not set, or psycopg is not installed")
    from sqlalchemy.engine import make_url

    url = make_url(server)
    query = f"host={url.host}&port={url.port or 5432}&user={url.username}"
    assert main([*command, "--db", f"postgresql+psycopg:///bob:s3cret@h?{query}"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    shown = f"postgresql+psycopg:///bob:***@h?{query}"
    assert err.startswith(
        f"sessionkit: error: --db {shown!r}: database bob:***@h does not exist{then}"
    )
    assert "s3cret" not in err


_FILE = "; a SQLite file is named by a URL such as sqlite:///"


@pytest.mark.parametrize(
    ("db", "hint"),
    [
        # Each was told "a URL starts with its database's scheme, e.g. postgresql+psycopg://...".
        ("backup@2026.sqlite3", f"{_FILE}backup@2026.sqlite3"),
        ("data/run@home.db", f"{_FILE}data/run@home.db"),
        ("/tmp/a@b/demo.sqlite3", f"{_FILE}/tmp/a@b/demo.sqlite3"),
        (
            "sqlite:/x@y.db",
            (
                "; a SQLite URL has three slashes before a relative path, four before an "
                "absolute one: sqlite:///x@y.db or sqlite:////x@y.db"
            ),
        ),
        # A server's URL without its scheme: a user (and password) before the host and path.
        ("bob@host/db", f"{_SERVER}bob@host/db"),
        ("//bob@host/db", f"{_SERVER}bob@host/db"),
    ],
)
def test_a_sqlite_path_with_an_at_sign_gets_a_sqlite_files_hint(db: str, hint: str) -> None:
    from sessionkit.demo._database import url_hint

    assert url_hint(db) == hint


@pytest.mark.parametrize("command", [["tick"], ["demo"]])
def test_a_password_with_an_at_sign_and_a_slash_is_refused_without_any_of_it_shown(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # SQLAlchemy read "p" as the password, "ss" as the host and "word@host/db" as the database:
    # the masked URL showed "ss/word", the driver's refusal "failed to resolve host 'ss'".
    pytest.importorskip("psycopg")
    assert main([*command, "--db", "postgresql+psycopg://bob:p@ss/word@127.0.0.1:1/db"]) == 2
    said = (
        "sessionkit: error: --db 'postgresql+psycopg://bob:***@127.0.0.1:1/db': its password or "
        "database name holds an @ or a /, which a URL writes as %40 and %2F\n"
    )
    assert capsys.readouterr() == ("", said)
