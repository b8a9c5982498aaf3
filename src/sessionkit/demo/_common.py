"""What the platform demos share: a fixed clock, the store ``--db`` names, paged reads.

Like ``cli.py`` the demos are composition roots, so they may import the adapters.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import (
    InvalidValue,
    MeetingRoomsError,
    SessionKitError,
    StorageError,
    StorageUnavailable,
)
from sessionkit.errors._base import shown
from sessionkit.model.payment import (
    AUTHORIZED,
    CANCELLED,
    FAILED,
    PAID,
    PARTIALLY_REFUNDED,
    PENDING,
    REFUNDED,
)
from sessionkit.model.query import MAX_LIMIT
from sessionkit.ports import EventPublisher, IntentStatus, UnitOfWorkFactory
from sessionkit.services import SessionKit, TopUpFailure
from sessionkit.testing.payments import FakeGateway, FakeIntent

if TYPE_CHECKING:  # the sqlalchemy extra, imported when a URL is opened
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import DBAPIError

__all__ = [
    "DueWorkFailed",
    "FixedClock",
    "Refusal",
    "StepFailed",
    "all_done",
    "all_due_done",
    "check_database_named",
    "check_not_a_directory",
    "check_sync_driver",
    "connect_refusal",
    "driver_hint",
    "make_engine",
    "missing_schema",
    "open_store",
    "provider_calls_done",
    "resume_provider",
    "shown_url",
    "step",
    "url_hint",
]


class FixedClock:
    """A :class:`~sessionkit.ports.Clock` that always says the same instant."""

    def __init__(self, instant: datetime) -> None:
        self._instant = instant

    def now(self) -> datetime:
        """Return the fixed instant."""
        return self._instant


def all_done(failed: Iterable[TopUpFailure]) -> None:
    """Raise the error of the first series ``top_up`` reports in ``failed``; return if none.

    ``top_up`` reports a series it could not refill and goes on, as a job for all
    tenants must; a demo that went on read a read-only database as "already
    scheduled, nothing to top up" and exited 0. It says the error instead.
    """
    for failure in failed:
        raise failure.error


class DueWorkFailed(SessionKitError, RuntimeError):
    """A demo's tick could not do some due work: the demo stops there; running it again retries.

    ``job`` is the tick's job (``"advance_due"``, ``"approve_reschedules"``), ``item_id``
    the session or reschedule request it failed for, and ``error`` the error it met.
    """

    def __init__(self, *, job: str, item_id: str, error: Exception) -> None:
        super().__init__(
            f"the demo's tick could not do its due work: {job} failed for {shown(item_id)} "
            f"({type(error).__name__}: {error}); the demo stopped there (running it again "
            "retries it)"
        )
        self.job = job
        self.item_id = item_id
        self.error = error


def all_due_done(job: str, failed: Iterable[tuple[str, Exception]]) -> None:
    """Raise :class:`DueWorkFailed` for the first (item id, error) in ``failed``; return if none.

    The tick's jobs report an item they could not do and go on, as a job for
    all tenants must; a demo that read only what they did printed its story
    as a success, and exited 0, with a session left where it was.
    """
    for item_id, error in failed:
        raise DueWorkFailed(job=job, item_id=item_id, error=error) from error


def provider_calls_done(kit: SessionKit, tenant: str) -> None:
    """Make the provider calls a command left due; raise :class:`DueWorkFailed` if one fails.

    A command makes its provider calls (a cancel's refund) once its unit of
    work commits; one that fails is left due for ``kit.payments.run_due``, and
    the command returns all the same: a demo that went on printed "0.00 EUR
    refunded" and exited 0 with the provider down. Nothing is due after a
    call that succeeded: then this does nothing. A call a stopped run tried
    waits for its retry time, past this run's clock (the demo's clock is
    fixed): it is made at that time, so running the demo again makes it.
    """
    report = kit.payments.run_due(tenant, limit=MAX_LIMIT)
    all_due_done("payments.run_due", ((pid, error) for _tenant, pid, error in report.failed))
    waiting = [p.retry_at for p in kit.payments.each(tenant) if p.due and p.retry_at]
    if waiting:
        report = kit.payments.run_due(tenant, limit=MAX_LIMIT, now=max(waiting))
        all_due_done("payments.run_due", ((pid, err) for _tenant, pid, err in report.failed))


class StepFailed(SessionKitError, RuntimeError):
    """A demo's step met a host's error (a fact provider's, the meeting provider's): it stops there.

    ``step`` is the command (``"kit.reschedules.request"``), ``item_id`` the
    session or request it was for, and ``error`` the error it met. Running the
    demo again retries the step (every write is keyed).
    """

    def __init__(self, *, step: str, item_id: str, error: Exception) -> None:
        super().__init__(
            f"the demo could not do its step: {step} failed for {shown(item_id)} "
            f"({type(error).__name__}: {error}); the demo stopped there (running it again "
            "retries it)"
        )
        self.step = step
        self.item_id = item_id
        self.error = error


@contextmanager
def step(name: str, item_id: str) -> Iterator[None]:
    """Raise :class:`StepFailed` for an error of host code the block calls.

    sessionkit's own errors (a refusal) pass as they are; another one came from
    code the kit calls, such as the host's fact provider, and left the demo as a
    traceback. A :class:`~sessionkit.errors.MeetingRoomsError` is the meeting
    provider's failure after a commit (a cancel's room not closed): it stops the
    demo as the tick's does (:class:`DueWorkFailed`), not as a bad argument.
    """
    try:
        yield
    except MeetingRoomsError as exc:  # the provider's, reported by the kit's RoomKeeper
        raise StepFailed(step=name, item_id=item_id, error=exc) from exc
    except SessionKitError:
        raise
    except Exception as exc:  # any host code's error: said in one line, not a traceback
        raise StepFailed(step=name, item_id=item_id, error=exc) from exc


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


def url_hint(db: str) -> str:
    """What to add to "not a database URL" for ``db``: how to name a SQLite file, if it is a path.

    ``--db sessionkit.sqlite3`` reads as a file name to a person, but it is no URL.
    """
    if "://" in db or not db.strip():
        return ""
    return f"; a SQLite file is named by a URL such as sqlite:///{db}"


_PYMYSQL_SCHEMES = {"mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}
"""A MySQL/MariaDB URL naming no driver, and the same URL naming PyMySQL."""


def driver_hint(db: str) -> str:
    """What to add to "its database driver is not installed" for ``db``: the driver to name.

    ``mysql://`` (or ``mariadb://``) means SQLAlchemy's default driver, MySQLdb
    (mysqlclient), which the ``mysql`` extra does not install: it installs
    PyMySQL, named by ``mysql+pymysql://``.
    """
    scheme, sep, rest = db.partition("://")
    if not sep or scheme not in _PYMYSQL_SCHEMES:
        return ""
    return (
        "; sessionkit's mysql extra (pip install 'sessionkit[mysql]') installs PyMySQL: "
        f"name it in the URL, {_PYMYSQL_SCHEMES[scheme]}://{rest}"
    )


_PYSQLITE_ARGUMENTS = frozenset(
    {"uri", "timeout", "isolation_level", "detect_types", "check_same_thread", "cached_statements"}
)
"""The query arguments SQLAlchemy's pysqlite gives ``sqlite3.connect``; with ``uri=true`` it
appends the others to the path, as a SQLite URI's query."""


def make_engine(db: str, shown: str) -> Engine:
    """``create_engine(db)``, refusing a URL whose arguments SQLAlchemy would ignore.

    SQLAlchemy only warns of them (``sqlite:///x.db?mode=ro`` without
    ``uri=true``: the file is opened for writing all the same), in two lines
    that name its own source line; the command line says it in one and does
    nothing. With ``uri=true`` they go to SQLite, which reads a path as a URI
    only if it starts with ``file:``: ``sqlite:///x.db?uri=true&mode=ro``
    opened (made) a file named ``x.db?mode=ro``, so that is refused too, as
    is ``sqlite://?uri=true``, which hands ``sqlite3`` no name at all.
    ``create_engine``'s own errors pass as they are.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SAWarning
    from sqlalchemy.util import asbool

    try:
        url = make_url(db)
    except (ArgumentError, ValueError):
        url = None  # create_engine says why
    if (
        url is not None
        and url.get_backend_name() == "sqlite"
        and url.get_driver_name() == "pysqlite"
        and asbool(url.query.get("uri", False))
        and not (url.database or "").startswith("file:")
    ):
        named = sorted(set(url.query) - _PYSQLITE_ARGUMENTS)
        if named:
            raise InvalidValue(
                f"--db {shown!r}: with uri=true SQLite reads the path as a URI only if it "
                f"starts with file: ({', '.join(named)} would be part of the file's name); "
                "write it as, e.g., sqlite:///file:PATH?mode=ro&uri=true",
                value=shown,
                expected="a SQLite URI that starts with file:",
            )
        if url.database is None:  # sqlite://?uri=true: sqlite3 would be handed no name
            raise InvalidValue(
                f"--db {shown!r}: with uri=true name the database as a URI, e.g. "
                "sqlite:///file:PATH?uri=true (sqlite:///file::memory:?uri=true in memory)",
                value=shown,
                expected="a SQLite URI that starts with file:",
            )
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)
        try:
            return create_engine(db)
        except SAWarning as exc:
            said = str(exc).split(" (Background on this warning", 1)[0].rstrip(". ")
            raise InvalidValue(
                f"--db {shown!r}: {said}; refused rather than ignored",
                value=shown,
                expected="a URL whose arguments its driver accepts",
            ) from None


def check_database_named(engine: Engine, shown: str) -> None:
    """Refuse a MySQL/MariaDB URL that names no database (``mysql+pymysql://root@host/``).

    Such a connection has no current database, so there is nowhere to keep the
    tables, and SQLAlchemy's own check of them fails with a bare ``AssertionError``.
    """
    if engine.dialect.name in ("mysql", "mariadb") and not engine.url.database:
        raise InvalidValue(
            f"--db {shown!r} names no database: add one to the URL, e.g. "
            f"{engine.url.drivername}://user@host/sessionkit_demo",
            value=shown,
            expected="a URL with a database name after the host",
        )


def check_sync_driver(engine: Engine, shown: str) -> None:
    """Refuse an asyncio driver (``postgresql+asyncpg``, ``+psycopg_async``, ``sqlite+aiosqlite``).

    The command line connects synchronously: such a driver fails on its first
    connection with a traceback (a coroutine never awaited, or greenlet missing).
    """
    if engine.dialect.is_async:
        raise InvalidValue(
            f"--db {shown!r} names an asyncio driver ({engine.url.drivername}); the command "
            "line connects synchronously: use e.g. postgresql+psycopg, mysql+pymysql or sqlite",
            value=shown,
            expected="a URL with a synchronous driver",
        )


def check_not_a_directory(engine: Engine, shown: str) -> None:
    """Refuse a SQLite URL whose path is a directory (``sqlite:///data``), named as such.

    SQLite says only "unable to open database file", as for a directory that
    does not exist. A ``file:`` URI (``uri=true``) is left to SQLite.
    """
    from sqlalchemy.util import asbool

    if engine.dialect.name != "sqlite" or asbool(engine.url.query.get("uri", False)):
        return
    name = engine.url.database
    if name and name != ":memory:" and Path(name).is_dir():
        raise InvalidValue(
            f"--db {shown!r} names a directory, not a SQLite file: name a file, e.g. one in it",
            value=shown,
            expected="a URL naming a SQLite file, such as sqlite:///sessionkit-demo.sqlite3",
        )


_ARGUMENT_REFUSALS = (OSError, ValueError, TypeError, AttributeError, LookupError)
"""What a driver may raise, besides the DB-API's errors, refusing a URL's arguments."""

_UNKNOWN_DATABASE = 1049
"""MySQL's and MariaDB's ``ER_BAD_DB_ERROR``: the database a connection names does not exist."""

_INVALID_CATALOG_NAME = "3D000"
"""PostgreSQL's SQLSTATE for a database that does not exist."""

_NO_SUCH_PG_DATABASE = re.compile(r'\bdatabase "(?P<name>[^\n]*)" does not exist')
"""PostgreSQL's own words for it (English ``lc_messages``): psycopg's refused connection has no
SQLSTATE, libpq reporting only the server's message."""


@attrs.frozen
class Refusal:
    """Why a connection was refused: ``said`` in the driver's words on one line.

    ``missing_database`` is what to say when the refusal is MySQL's or
    MariaDB's "Unknown database", or PostgreSQL's 'database "x" does not
    exist' (the URL names a database that does not exist), read from that
    same refusal; ``None`` for any other.
    """

    said: str
    missing_database: str | None = None


def connect_refusal(engine: Engine) -> Refusal | None:
    """Why ``engine`` cannot connect (one attempt); ``None`` if it can.

    Besides the DB-API's errors, a driver may refuse the arguments the URL gives it
    with a plain exception when it connects (PyMySQL: an unknown ``charset`` is an
    ``AttributeError``, a missing ``ssl_ca`` file a ``FileNotFoundError``): a bad
    ``--db`` too, not a traceback. A database that does not exist is told from
    this refusal's error code, not by connecting again (for a host that does not
    answer, that would wait out the connect timeout twice).
    """
    from sqlalchemy.exc import DBAPIError

    missing = None
    try:
        engine.connect().close()
    except DBAPIError as exc:
        said = str(exc.orig if exc.orig is not None else exc).strip()
        missing = _missing_database(engine, exc)
    except _ARGUMENT_REFUSALS as exc:
        said = f"{type(exc).__name__}: {exc}".strip()
    else:
        return None
    return Refusal(said.splitlines()[0] if said else "no reason given", missing)


def _missing_database(engine: Engine, error: DBAPIError) -> str | None:
    """What to say if ``error`` is the server's "no such database"; else ``None``.

    PyMySQL and MySQLdb put MySQL's or MariaDB's error code first in the
    driver's exception. A PostgreSQL driver may give the SQLSTATE (psycopg2's
    ``pgcode``; psycopg 3's ``sqlstate``, ``None`` for a refused connection),
    else the server's message names the database (also one the URL left to
    the driver's default, the user's name); a message in another language,
    with no SQLSTATE, is said as any other refusal.
    """
    orig = error.orig
    if engine.dialect.name in ("mysql", "mariadb"):
        arguments = getattr(orig, "args", ())
        if arguments and arguments[0] == _UNKNOWN_DATABASE:
            return f"database {engine.url.database} does not exist"
        return None
    if engine.dialect.name != "postgresql":
        return None
    found = _NO_SUCH_PG_DATABASE.search(str(orig))
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if found is None and code != _INVALID_CATALOG_NAME:
        return None
    name = found["name"] if found is not None else engine.url.database
    return f"database {name} does not exist"


_PATH_ENTRY = re.compile(r'\s*(?:"((?:[^"]|"")*)"|([^,]*?))\s*(?:,|$)')
"""One schema of a PostgreSQL ``search_path``: quoted (``""`` inside is ``"``) or not."""


def missing_schema(engine: Engine) -> str | None:
    """PostgreSQL: what to say if no schema of the connection's ``search_path`` exists.

    Tables are made in the first schema of the path that exists; with none (a
    URL's ``options=-csearch_path=nosuch``) PostgreSQL refuses to make them ("no
    schema has been selected to create in"), which read as a database that
    cannot be reached. ``None`` if one exists, for another database, or if the question
    itself fails (the caller's next step says why).
    """
    if engine.dialect.name != "postgresql":
        return None
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as connection:
            current, path = connection.execute(
                text("SELECT current_schema(), current_setting('search_path')")
            ).one()
            if current is not None:
                return None
            names = [
                quoted.replace('""', '"') if quoted else bare.lower()
                for quoted, bare in _PATH_ENTRY.findall(str(path))
                if (quoted or bare) and (quoted or bare) != "$user"
            ]
            # One that exists but is not the user's to use is another refusal: not said here.
            found = connection.execute(
                text("SELECT count(*) FROM pg_namespace WHERE nspname = ANY(:names)"),
                {"names": names},
            ).scalar()
    except DBAPIError:
        return None
    if found:
        return None
    if len(names) == 1:
        return f"schema {names[0]} does not exist"
    return f"no schema of its search_path ({path}) exists"


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
        engine = make_engine(db, shown)
    except InvalidValue:  # said by make_engine: arguments the driver would ignore or misread
        raise
    except (ArgumentError, ValueError) as exc:
        raise InvalidValue(
            f"--db {shown!r} is not a SQLAlchemy database URL ({exc}){url_hint(shown)}",
            value=shown,
            expected="e.g. sqlite:///academy.sqlite3 or postgresql+psycopg://user@host/db",
        ) from None
    except ImportError as exc:  # SQLAlchemy imports the URL's driver here
        raise InvalidValue(
            f"--db {shown!r}: its database driver is not installed ({exc}){driver_hint(shown)}",
            value=shown,
            expected="a URL whose driver is installed (psycopg, pymysql, the standard sqlite3)",
        ) from None
    try:
        check_database_named(engine, shown)
        check_sync_driver(engine, shown)
        check_not_a_directory(engine, shown)
        refusal = connect_refusal(engine)
    except InvalidValue:
        engine.dispose()
        raise
    if refusal is not None:
        engine.dispose()
        database = refusal.missing_database
        if database is not None:
            raise InvalidValue(
                f"--db {shown!r}: {database}; the demo creates sessionkit's tables but not "
                "databases: create the database first (CREATE DATABASE) or name one that exists",
                value=shown,
                expected="a URL naming an existing database",
            )
        raise InvalidValue(
            f"--db {shown!r}: the database cannot be opened or reached ({refusal.said})",
            value=shown,
            expected="a database URL sessionkit can connect to",
        )
    schema = missing_schema(engine)
    if schema is not None:
        engine.dispose()
        raise InvalidValue(
            f"--db {shown!r}: {schema}; the demo creates sessionkit's tables but not "
            "schemas: create the schema first (CREATE SCHEMA) or name one that exists",
            value=shown,
            expected="a search_path naming an existing schema",
        )
    try:
        upgrade(engine)
    except StorageError as exc:
        engine.dispose()
        if not isinstance(exc, StorageUnavailable) and type(exc) is not StorageError:
            # Refused writes, a full disk, a timeout: said as the database said it, named by
            # its --db (a read-only file that holds no tables yet, say).
            raise InvalidValue(
                f"--db {shown!r}: {exc}",
                value=shown,
                expected="a database sessionkit can make its tables in",
            ) from None
        # Unavailable, or a fault of no kind (a file that is no SQLite database): cannot be
        # opened, as tick says it, in the driver's own words (upgrade() chains its error).
        cause = exc.__cause__
        raise _cannot_open(shown, cause if isinstance(cause, DBAPIError) else exc) from None
    except DBAPIError as exc:
        engine.dispose()
        raise _cannot_open(shown, exc) from None
    store = SqlAlchemyStore(engine, publisher=publisher)
    # As given, the password masked: SQLAlchemy's rendering %-escapes the path (``file%3A``)
    # and fails on a name the locale could not decode (``LC_ALL=C``, a non-ASCII path).
    return store.unit_of_work, shown


def _cannot_open(shown: str, error: BaseException) -> InvalidValue:
    """The error for a ``--db`` that cannot be opened or reached, ``error`` said in one line."""
    orig = getattr(error, "orig", None)
    said = str(orig if orig is not None else error).strip()
    return InvalidValue(
        f"--db {shown!r}: the database cannot be opened or reached "
        f"({said.splitlines()[0] if said else 'no reason given'})",
        value=shown,
        expected="a database URL sessionkit can connect to",
    )


_INTENT_STATUS: dict[str, IntentStatus] = {
    PENDING: "pending",
    AUTHORIZED: "authorized",
    PAID: "succeeded",
    PARTIALLY_REFUNDED: "succeeded",
    REFUNDED: "succeeded",
    FAILED: "failed",
    CANCELLED: "canceled",
}
"""What the provider says of an intent whose sessionkit payment is in each status."""


def resume_provider(kit: SessionKit, gateway: FakeGateway, tenants: Iterable[str]) -> None:
    """Give a fresh fake provider the stored intents, then make the provider calls left due.

    The fake lives as long as one run; the database outlives it. A run stopped
    half-way (Ctrl-C between a hold and its payment, or a cancel and its
    refund) left payments whose intents only that run's fake knew, or calls
    it had not made yet: without this a rerun could neither pay nor refund
    them, and the held seats would expire. After a run that finished, the
    intents are settled and no call is due: nothing changes.
    """
    for tenant in tenants:
        for payment in kit.payments.each(tenant):
            ref = payment.intent_ref
            if payment.provider != gateway.name or ref is None or ref in gateway.intents:
                continue
            gateway.intents[ref] = FakeIntent(
                ref=ref,
                amount=payment.amount.rounded(),
                metadata={
                    "payment_id": payment.id,
                    "booking_id": payment.booking_id,
                    "tenant": tenant,
                },
                status=_INTENT_STATUS.get(payment.status, "pending"),
                refunded=payment.refunded,
            )
        # One batch: a demo's tenant has far fewer payments than MAX_LIMIT.
        kit.payments.run_due(tenant, limit=MAX_LIMIT)
    for event in gateway.drain():  # the provider's webhook for the calls just made
        intent = gateway.intents[event.intent_ref or ""]
        kit.payments.apply(intent.metadata["tenant"], event)
