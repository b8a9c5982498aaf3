"""What the platform demos share: a fixed clock, the store ``--db`` names, paged reads.

Like ``cli.py`` the demos are composition roots, so they may import the adapters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime

import attrs

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import InvalidValue
from sessionkit.model.payment import Payment
from sessionkit.model.query import MAX_LIMIT, SessionQuery
from sessionkit.model.session import Session
from sessionkit.ports import EventPublisher, UnitOfWorkFactory
from sessionkit.services import SessionKit

__all__ = ["FixedClock", "every_payment", "every_session", "open_store", "shown_url"]


class FixedClock:
    """A :class:`~sessionkit.ports.Clock` that always says the same instant."""

    def __init__(self, instant: datetime) -> None:
        self._instant = instant

    def now(self) -> datetime:
        """Return the fixed instant."""
        return self._instant


_PASSWORD = re.compile(r"^(?P<head>(?:[^:/@]*:/+)?[^:/@]*:)(?P<password>(?!/)[^@]*)@")
"""A URL's password, as SQLAlchemy's URL parser finds it (an ``@`` in one is percent-encoded),
also in text that is no URL: a scheme with one slash, or none (``bob:s3cret@host/db``)."""


def shown_url(db: str) -> str:
    """``db`` as a message may show it: its password, if any, as ``***``.

    What ``URL.render_as_string(hide_password=True)`` shows, also for text
    that is no URL SQLAlchemy could parse, so no refusal prints the password
    (a cron job's stderr goes to mail and logs).
    """
    return _PASSWORD.sub(r"\g<head>***@", db, count=1)


def open_store(
    db: str, *, publisher: EventPublisher | None = None
) -> tuple[UnitOfWorkFactory, str]:
    """Return a unit-of-work factory for ``db`` ("memory" or a SQLAlchemy URL) and its name.

    A database gets sessionkit's tables through the shipped Alembic
    migrations, so an existing demo database is upgraded in place. Committed
    events go to ``publisher``, if given.
    """
    if db == "memory":
        return InMemoryStore(publisher).unit_of_work, "memory"
    shown = shown_url(db)
    try:
        from sqlalchemy import create_engine
        from sqlalchemy.exc import ArgumentError, DBAPIError

        from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, upgrade
    except ImportError as exc:
        raise InvalidValue(
            f"--db {shown!r} needs SQLAlchemy: pip install 'sessionkit[sqlalchemy]' "
            "(or pass --db memory)",
            value=shown,
            expected="an installed sqlalchemy extra",
        ) from exc
    try:
        engine = create_engine(db)
    except (ArgumentError, ValueError) as exc:
        raise InvalidValue(
            f"--db {shown!r} is not a SQLAlchemy database URL ({exc})",
            value=shown,
            expected="e.g. sqlite:///academy.sqlite3 or postgresql+psycopg://user@host/db",
        ) from None
    except ImportError as exc:  # SQLAlchemy imports the URL's driver here
        raise InvalidValue(
            f"--db {shown!r}: its database driver is not installed ({exc})",
            value=shown,
            expected="a URL whose driver is installed (psycopg, pymysql, the standard sqlite3)",
        ) from None
    try:
        upgrade(engine)
    except DBAPIError as exc:  # cannot be opened or reached: a bad --db, said in one line
        engine.dispose()
        said = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise InvalidValue(
            f"--db {shown!r}: the database cannot be opened or reached ({said})",
            value=shown,
            expected="a database URL sessionkit can connect to",
        ) from None
    store = SqlAlchemyStore(engine, publisher=publisher)
    return store.unit_of_work, engine.url.render_as_string(hide_password=True)


def every_session(
    kit: SessionKit, tenant: str, query: SessionQuery | None = None
) -> Iterator[Session]:
    """Yield every session ``query`` finds (default: all of the tenant's), page by page."""
    query = SessionQuery() if query is None else query
    query = attrs.evolve(query, limit=MAX_LIMIT)
    while True:
        page = kit.queries.list(tenant, query)
        yield from page.items
        if page.next_cursor is None:
            return
        query = attrs.evolve(query, after=page.next_cursor)


def every_payment(
    kit: SessionKit, tenant: str, *, statuses: Iterable[str] | None = None, page: int = 200
) -> Iterator[Payment]:
    """Yield the tenant's payments (in ``statuses``, if given) by session start, page by page."""
    after = None
    while True:
        found = kit.payments.list(tenant, statuses=statuses, after=after, limit=page)
        yield from found
        if len(found) < page:
            return
        after = (found[-1].session_start, found[-1].id)
