"""The ``--db`` text itself, before any engine: how it is shown and hinted at.

A URL shown without its password (:func:`shown_url`, also in text that is no
URL, and a ``password=`` query argument), the hint for text that is no
SQLAlchemy URL (:func:`url_hint`: a file's name, a scheme without ``//``, a
server's URL without its scheme) and for a driver that is not installed
(:func:`driver_hint`). Pure text: no SQLAlchemy import.

Private to :mod:`sessionkit.demo._database`, which exports its names.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["driver_hint", "masked_text", "shown_url", "url_hint"]

_PASSWORD = re.compile(
    r"^(?P<head>(?:[^:/@]*:/+|//)?[^:/]*:)(?P<password>(?!/)[^@]*(?:@[^@/]*)*)@(?![^/]*@)"
)
"""A URL's password, as SQLAlchemy's URL parser finds it (an ``@`` in one is percent-encoded),
also in text that is no URL: a scheme with one slash, or none (``bob:s3cret@host/db``), or
``//`` alone. Up to the host's ``@``: an ``@`` in a password not encoded (``p@ss``) ends the
password for SQLAlchemy, which takes the rest as the host's name, and the driver names it.
A user name may hold an ``@`` not encoded, as SQLAlchemy reads one (Azure's ``bob@server``)."""


_QUERY_PASSWORD = re.compile(r"(?P<key>[?&]password=)[^&#]*", re.IGNORECASE)
"""A password given as the URL's query argument (``?password=...``), which the driver takes."""


def shown_url(db: str) -> str:
    """``db`` as a message may show it: its password, if any, as ``***``.

    What ``URL.render_as_string(hide_password=True)`` shows, also for text
    that is no URL SQLAlchemy could parse, so no refusal prints the password
    (a cron job's stderr goes to mail and logs); a ``password=`` query
    argument too, which the driver takes as the password and SQLAlchemy shows.
    """
    return _QUERY_PASSWORD.sub(r"\g<key>***", _PASSWORD.sub(r"\g<head>***@", db, count=1))


def masked_text(text: str, db: str) -> str:
    """``text`` (SQLAlchemy's or a driver's words on ``db``) with ``db``'s password as ``***``.

    ``db`` itself as :func:`shown_url` shows it, then any other appearance of its
    password, as given or percent-decoded, where it is not part of a longer word
    (the words' own are left alone): SQLAlchemy 2.0.5 refused
    ``bob:s3cret@host/db`` as "Could not parse SQLAlchemy URL from string
    'bob:s3cret@host/db'", and a message that quotes the URL must not show it.
    """
    text = text.replace(db, shown_url(db))
    found = _PASSWORD.match(db)
    secrets = [found["password"]] if found else []
    secrets += [m.group()[len(m["key"]) :] for m in _QUERY_PASSWORD.finditer(db)]
    for secret in sorted({s for raw in secrets for s in (raw, unquote(raw)) if s}, key=len)[::-1]:
        # Not inside a word: a password "b" leaves "database" as it is.
        text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", "***", text)
    return text


def _masked_to_last_at(db: str) -> str:
    """``db`` with all from its password's first character to its last ``@`` as ``***``.

    For a URL whose password may hold an ``@`` and a ``/`` not encoded, where
    no parse can tell where the password ends.
    """
    scheme, sep, rest = db.partition("://")
    user, _, tail = rest.partition(":")
    return f"{scheme}{sep}{user}:***{tail[tail.rfind('@') :]}"


def url_hint(db: str) -> str:
    """What to add to "not a database URL" for ``db``: how to name a SQLite file, if it is a path.

    ``--db sessionkit.sqlite3`` reads as a file name to a person, but it is no URL;
    nor is ``sqlite:/x.sqlite3`` (its path is what follows ``sqlite:``, not the
    whole text). ``postgres://`` (Heroku's, libpq's) is no SQLAlchemy scheme.
    """
    scheme, sep, rest = db.partition("://")
    if sep and scheme.lower() in ("postgres", "postgres+psycopg"):
        return f"; SQLAlchemy names PostgreSQL postgresql: postgresql+psycopg://{rest}"
    if sep and _SQLITE_SCHEME.fullmatch(scheme) and rest.startswith(":memory:"):
        # SQLAlchemy reads ":memory:" after the host as a port: "invalid literal for int()".
        return f"; a SQLite database in memory is {scheme.lower()}:// (no path)"
    if sep or not db.strip():
        return ""
    scheme, sep, path = db.partition(":")
    server = _SERVER_SCHEMES.get(scheme.lower()) if sep else None
    if server is not None:  # postgres:/x, mysql:host/db: no "//" after the scheme
        return f"; a URL has // after its scheme: {server}://user@host/database"
    if sep and _SQLITE_SCHEME.fullmatch(scheme):  # sqlite:x.db, sqlite+pysqlite:/x.db
        path = path.lstrip("/") or "sessionkit-demo.sqlite3"  # "sqlite:" names no file
        scheme = scheme.lower()
        return (
            "; a SQLite URL has three slashes before a relative path, four before an "
            f"absolute one: {scheme}:///{path} or {scheme}:////{path}"
        )
    # bob:s3cret@host/db, bob@host/db: a server's URL without its scheme, its user before the
    # host, where a file's path (data/run@home.db, backup@2026.sqlite3) has a directory or none.
    authority, slash, _ = db.removeprefix("//").partition("/")
    user, at, _ = authority.partition("@")
    if at and (slash or ":" in user):
        server_url = db.removeprefix("//")
        return f"; a URL starts with its database's scheme, e.g. postgresql+psycopg://{server_url}"
    return f"; a SQLite file is named by a URL such as sqlite:///{db}"


_SERVER_SCHEMES = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mysql+pymysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
    "mariadb+pymysql": "mariadb+pymysql",
}
"""A database server's URL scheme as it may be typed, and the scheme to name in a hint."""

_SQLITE_SCHEME = re.compile(r"sqlite(?:\+\w+)?", re.IGNORECASE)
"""A SQLite URL's scheme, with or without a driver (``sqlite+pysqlite``)."""


_PYMYSQL_SCHEMES = {"mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}
"""A MySQL/MariaDB URL naming no driver, and the same URL naming PyMySQL."""

_PSYCOPG_SCHEMES = {"postgresql": "postgresql+psycopg", "postgresql+psycopg2": "postgresql+psycopg"}
"""A PostgreSQL URL naming no driver (SQLAlchemy's default is psycopg2) or psycopg2, and the
same URL naming psycopg (version 3), which the postgres extra installs."""


def driver_hint(db: str) -> str:
    """What to add to "its database driver is not installed" for ``db``: the driver to name.

    ``mysql://`` (or ``mariadb://``) means SQLAlchemy's default driver, MySQLdb
    (mysqlclient), which the ``mysql`` extra does not install: it installs
    PyMySQL, named by ``mysql+pymysql://``.
    """
    scheme, sep, rest = db.partition("://")
    if sep and scheme in _PSYCOPG_SCHEMES:
        return (
            "; sessionkit's postgres extra (pip install 'sessionkit[postgres]') installs "
            f"psycopg (version 3): name it in the URL, {_PSYCOPG_SCHEMES[scheme]}://{rest}"
        )
    if not sep or scheme not in _PYMYSQL_SCHEMES:
        return ""
    return (
        "; sessionkit's mysql extra (pip install 'sessionkit[mysql]') installs PyMySQL: "
        f"name it in the URL, {_PYMYSQL_SCHEMES[scheme]}://{rest}"
    )
