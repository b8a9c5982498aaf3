"""SQLAlchemy's own words on a ``--db`` it refuses are shown without the URL's password."""

from __future__ import annotations

import pytest

from sessionkit.cli import main
from sessionkit.demo._database_urls import masked_text

pytest.importorskip("sqlalchemy")


@pytest.mark.parametrize("command", [["tick"], ["demo"], ["demo", "marketplace"]])
@pytest.mark.parametrize(
    ("db", "shown"),
    [
        ("bob:s3cret@host/db", "bob:***@host/db"),
        ("//bob:s3cret@host/db", "//bob:***@host/db"),
        ("postgresql:/bob:s3cret@db/prod", "postgresql:/bob:***@db/prod"),
    ],
)
def test_a_refusal_quoting_the_url_does_not_show_its_password(
    command: list[str],
    db: str,
    shown: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # SQLAlchemy 2.0.5 (the floor) refused these quoting the text as given, and the refusal
    # printed its words: "Could not parse SQLAlchemy URL from string 'bob:s3cret@host/db'".
    import sqlalchemy
    from sqlalchemy.exc import ArgumentError

    def refuse(url: str, **kwargs: object) -> None:
        raise ArgumentError(f"Could not parse SQLAlchemy URL from string {url!r}")

    monkeypatch.setattr(sqlalchemy, "create_engine", refuse)
    assert main([*command, "--db", db]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(
        f"sessionkit: error: --db {shown!r} is not a SQLAlchemy database URL "
        f"(Could not parse SQLAlchemy URL from string {shown!r})"
    )
    assert "s3cret" not in err


@pytest.mark.parametrize("command", [["tick"], ["demo"]])
def test_any_refusal_the_command_line_prints_is_masked(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The last line of defence: whichever words reach stderr, the --db's password is masked.
    import sqlalchemy

    def refuse(url: str, **kwargs: object) -> None:
        raise ImportError(f"no driver for {url} (password s3cret)")

    monkeypatch.setattr(sqlalchemy, "create_engine", refuse)
    db = "postgresql+psycopg://bob:s3cret@host/db"
    assert main([*command, "--db", db]) == 2
    err = capsys.readouterr().err
    assert "no driver for postgresql+psycopg://bob:***@host/db (password ***)" in err
    assert "s3cret" not in err


@pytest.mark.parametrize(
    ("text", "db", "masked"),
    [
        ("from string 'a:pw1@h/d'", "a:pw1@h/d", "from string 'a:***@h/d'"),
        # The password alone, as given or percent-decoded, wherever the words put it.
        ("password pw1 refused", "x://a:pw1@h/d", "password *** refused"),
        ("password 'p@ss' refused", "x://a:p%40ss@h/d", "password '***' refused"),
        ("password=hunter2 refused", "x://h/d?password=hunter2", "password=*** refused"),
        ("no password here", "x://a@h/d", "no password here"),
        # A password that is part of a longer word is left there: it says nothing of the password.
        ("database b refused", "x://a:b@h/d", "database *** refused"),
    ],
)
def test_masked_text_hides_the_urls_password(text: str, db: str, masked: str) -> None:
    assert masked_text(text, db) == masked
