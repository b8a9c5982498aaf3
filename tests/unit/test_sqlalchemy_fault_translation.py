"""Every database fault the SQL adapter knows becomes its sessionkit error (no database needed).

The faults a test database cannot be made to have (a full PostgreSQL or MariaDB
disk, a crashed server) are checked here against the driver's codes, with
stand-ins for the drivers' exceptions; ``tests/integration/test_sqlalchemy_faults.py``
makes the others happen for real.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionkit.adapters.sqlalchemy._faults import translate
from sessionkit.errors import (
    ConcurrentModification,
    SchemaMissing,
    SessionKitError,
    StorageError,
    StorageFull,
    StorageReadOnly,
    StorageTimeout,
    StorageUnavailable,
    TransientConflict,
)


class PgError(Exception):
    """Like psycopg's errors: a message and a ``sqlstate``."""

    def __init__(self, sqlstate: str | None, message: str = "it failed") -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class OperationalError(PgError):
    """Named as psycopg's, which libpq's own failures are (no SQLSTATE)."""


class MyError(Exception):
    """Like PyMySQL's errors: ``args`` are the error number and the message."""


class LiteError(Exception):
    """Like sqlite3's errors: an extended ``sqlite_errorcode``."""

    def __init__(self, code: int, message: str = "it failed") -> None:
        super().__init__(message)
        self.sqlite_errorcode = code


CASES = [
    ("postgresql", PgError("40P01"), TransientConflict, RuntimeError),
    ("postgresql", PgError("40001"), TransientConflict, RuntimeError),
    ("postgresql", PgError("55P03"), StorageTimeout, TimeoutError),
    (
        "postgresql",
        PgError("57014", "canceling statement due to statement timeout"),
        StorageTimeout,
        TimeoutError,
    ),
    (
        "postgresql",
        PgError("57014", "canceling statement due to user request"),
        StorageError,
        OSError,
    ),
    ("postgresql", PgError("25P03"), StorageTimeout, TimeoutError),
    ("postgresql", PgError("57P01"), StorageUnavailable, ConnectionError),
    ("postgresql", PgError("08006"), StorageUnavailable, ConnectionError),
    (
        "postgresql",
        OperationalError(None, "server closed the connection"),
        StorageUnavailable,
        ConnectionError,
    ),
    ("postgresql", PgError("53100"), StorageFull, OSError),
    ("postgresql", PgError("25006"), StorageReadOnly, PermissionError),
    ("mysql", MyError(1213, "Deadlock found"), TransientConflict, RuntimeError),
    ("mysql", MyError(1205, "Lock wait timeout exceeded"), StorageTimeout, TimeoutError),
    ("mysql", MyError(1969, "max_statement_time exceeded"), StorageTimeout, TimeoutError),
    ("mysql", MyError(3024, "max_execution_time exceeded"), StorageTimeout, TimeoutError),
    ("mysql", MyError(2013, "Lost connection"), StorageUnavailable, ConnectionError),
    ("mysql", MyError(1927, "Connection was killed"), StorageUnavailable, ConnectionError),
    ("mysql", MyError(1114, "The table is full"), StorageFull, OSError),
    ("mysql", MyError(1021, "Disk full"), StorageFull, OSError),
    ("mysql", MyError(1290, "--read-only"), StorageReadOnly, PermissionError),
    ("mysql", MyError(1792, "read-only transaction"), StorageReadOnly, PermissionError),
    ("sqlite", LiteError(13), StorageFull, OSError),
    ("sqlite", LiteError(8), StorageReadOnly, PermissionError),
    ("sqlite", LiteError(5), StorageTimeout, TimeoutError),
    ("sqlite", LiteError(6 | (1 << 8)), TransientConflict, RuntimeError),  # LOCKED_SHAREDCACHE
    ("sqlite", LiteError(14), StorageUnavailable, ConnectionError),
    ("sqlite", LiteError(10 | (4 << 8)), StorageUnavailable, ConnectionError),  # IOERR_READ
    ("sqlite", LiteError(11), StorageError, OSError),
]


@pytest.mark.parametrize(("backend", "error", "expected", "builtin"), CASES)
def test_a_fault_becomes_its_error(
    backend: str, error: Exception, expected: type[SessionKitError], builtin: type[Exception]
) -> None:
    translated = translate(error, backend=backend)
    assert type(translated) is expected
    assert isinstance(translated, builtin)
    assert translated.backend == backend  # type: ignore[attr-defined]
    assert backend in str(translated)
    # Every fault carries the driver's code when it gave one (docs/reliability.md).
    given = getattr(error, "sqlstate", None) or (
        error.args[0] if backend == "mysql" else getattr(error, "sqlite_errorcode", None)
    )
    if backend == "sqlite" and given is not None:
        given &= 0xFF
    assert translated.code == (None if given is None else str(given))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("backend", "error", "missing"),
    [
        (
            "postgresql",
            PgError("42P01", 'relation "sessionkit_series" does not exist'),
            "sessionkit_series",
        ),
        ("postgresql", PgError("42703", 'column "fingerprint" does not exist'), "fingerprint"),
        # A SELECT's qualified column comes unquoted; an INSERT's names the relation.
        (
            "postgresql",
            PgError("42703", "column sessionkit_sessions.title_folded does not exist"),
            "sessionkit_sessions.title_folded",
        ),
        (
            "postgresql",
            PgError(
                "42703", 'column "fingerprint" of relation "sessionkit_bookings" does not exist'
            ),
            "sessionkit_bookings.fingerprint",  # was the bare name: read as a table's
        ),
        # The table alone, whatever schema or database the message names it in: a dotted
        # name is a table's column (MySQL/MariaDB always name the database).
        (
            "mysql",
            MyError(1146, "Table 'app.sessionkit_series' doesn't exist"),
            "sessionkit_series",
        ),
        (
            "postgresql",
            PgError("42P01", 'relation "app.sessionkit_series" does not exist'),
            "sessionkit_series",
        ),
        ("mysql", MyError(1054, "Unknown column 'fingerprint' in 'field list'"), "fingerprint"),
        ("sqlite", LiteError(1, "no such table: sessionkit_series"), "sessionkit_series"),
        ("sqlite", LiteError(1, "no such column: fingerprint"), "fingerprint"),
        (
            "sqlite",
            LiteError(1, "table sessionkit_bookings has no column named fingerprint"),
            "sessionkit_bookings.fingerprint",
        ),
    ],
)
def test_tables_never_made_or_not_upgraded_are_schema_missing(
    backend: str, error: Exception, missing: str | None
) -> None:
    translated = translate(error, backend=backend)
    assert type(translated) is SchemaMissing
    assert isinstance(translated, LookupError)
    assert translated.missing == missing
    assert missing is not None
    assert missing in str(translated)
    if "app." in str(error):  # the message keeps the name as the database gave it
        assert "app.sessionkit_series" in str(translated)
    # The SQLAlchemy store's own remedy, not Django's migrate.
    assert str(translated) == (
        f"{backend} has no {missing} ({error}): sessionkit's tables are not in this database, "
        "or are older than this sessionkit. Make or upgrade them first: "
        "sessionkit.adapters.sqlalchemy.upgrade(engine) (or alembic upgrade head where your "
        "own Alembic history holds sessionkit's tables); nothing was written"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO sessionkit_series (id, group_key) VALUES (%s, %s)",
        "INSERT INTO `app`.`sessionkit_series` (id, group_key) VALUES (%s, %s)",
        "UPDATE sessionkit_series SET group_key=%s WHERE id = %s",
    ],
)
def test_a_write_missing_a_column_names_its_table(statement: str) -> None:
    # MySQL/MariaDB name the column alone for a write; its table comes from the statement
    error = MyError(1054, "Unknown column 'group_key' in 'INSERT INTO'")
    translated = translate(error, backend="mysql", statement=statement)
    assert isinstance(translated, SchemaMissing)
    assert translated.missing == "sessionkit_series.group_key"


@pytest.mark.parametrize(
    ("backend", "error", "statement"),
    [
        # The host's own tables, on a unit's connection: its error stays its own.
        ("postgresql", PgError("42P01", 'relation "host_invoices" does not exist'), None),
        ("mysql", MyError(1146, "Table 'app.host_invoices' doesn't exist"), None),
        ("sqlite", LiteError(1, "no such table: host_invoices"), None),
        ("sqlite", LiteError(1, "table host_invoices has no column named total"), None),
        ("sqlite", LiteError(1, "no such column: total"), "SELECT total FROM host_invoices"),
        # 42P01 that is no missing table: a bad query, a bug.
        ("postgresql", PgError("42P01", 'missing FROM-clause entry for table "s"'), None),
        ("postgresql", PgError("42P01", "it failed"), None),
    ],
)
def test_a_missing_table_or_column_not_of_sessionkit_passes_unchanged(
    backend: str, error: Exception, statement: str | None
) -> None:
    assert translate(error, backend=backend, statement=statement) is None


@pytest.mark.parametrize(
    ("backend", "error"),
    [
        ("postgresql", PgError("23505")),  # a unique violation: the repositories explain it
        ("postgresql", PgError("42601")),  # a syntax error is a bug, not a fault
        ("postgresql", PgError(None)),  # not an OperationalError, no SQLSTATE
        ("mysql", MyError(1062, "Duplicate entry")),
        ("mysql", MyError("not a code")),
        ("sqlite", LiteError(19)),  # SQLITE_CONSTRAINT
        ("sqlite", LiteError(1)),  # SQLITE_ERROR, "no such savepoint" among others
    ],
)
def test_other_errors_pass_unchanged(backend: str, error: Exception) -> None:
    assert translate(error, backend=backend) is None


def test_a_disconnect_sqlalchemy_noticed_is_unavailable_whatever_the_code() -> None:
    translated = translate(MyError(9999, "odd"), backend="mysql", disconnect=True)
    assert isinstance(translated, StorageUnavailable)


@pytest.mark.parametrize("joined", [False, True])
def test_a_transient_conflict_is_retryable_only_when_the_unit_owns_the_transaction(
    joined: bool,
) -> None:
    translated = translate(PgError("40P01"), backend="postgresql", joined=joined)
    assert isinstance(translated, TransientConflict)
    assert isinstance(translated, ConcurrentModification)
    assert translated.retryable is not joined
    assert translated.reason == "deadlock"
    assert ("roll that back" in str(translated)) is joined


@pytest.mark.parametrize(
    ("statement", "waited_for"),
    [
        (
            "UPDATE sessionkit_sessions SET title=%(t)s WHERE ...",
            "a lock on sessionkit_sessions (a row's or the table's)",
        ),
        (
            "SELECT sessionkit_sessions.id FROM sessionkit_sessions WHERE ... FOR UPDATE",
            "a lock on sessionkit_sessions (a row's or the table's)",
        ),
        (
            "SELECT count(pg_advisory_xact_lock(k)) FROM ...",
            "a resource or participant lock of sessionkit",
        ),
        (None, "a lock"),
    ],
)
def test_a_lock_timeout_names_what_it_waited_for(statement: str | None, waited_for: str) -> None:
    translated = translate(
        PgError("55P03"),
        backend="postgresql",
        statement=statement,
        lock_timeout=timedelta(seconds=10),
    )
    assert isinstance(translated, StorageTimeout)
    assert translated.waited_for == waited_for
    assert translated.timeout == timedelta(seconds=10)
    assert "longer than 10 s (lock_timeout)" in str(translated)


def test_a_mysql_lock_timeout_names_both_waits_it_may_be() -> None:
    # 1205 ends a row lock's wait and a table's metadata lock's alike: the message named
    # innodb_lock_wait_timeout only, though an ALTER TABLE's lock is lock_wait_timeout's.
    translated = translate(
        MyError(1205, "Lock wait timeout exceeded"),
        backend="mysql",
        statement="UPDATE sessionkit_sessions SET title=%s WHERE id=%s",
        lock_timeout=timedelta(seconds=10),
    )
    assert isinstance(translated, StorageTimeout)
    assert "longer than 10 s (innodb_lock_wait_timeout or lock_wait_timeout)" in str(translated)


def test_a_mysql_connection_with_no_database_is_schema_missing() -> None:
    # A store over mysql+pymysql://user@host/ (no database named) failed mid-command with
    # the driver's OperationalError 1046.
    translated = translate(MyError(1046, "No database selected"), backend="mysql")
    assert type(translated) is SchemaMissing
    assert translated.code == "1046"
    assert translated.missing is None
    assert "Name the database in the URL" in str(translated)


def test_a_table_lock_of_a_connection_sharing_sqlites_cache_is_a_transient_conflict() -> None:
    # Django's SQLite test database in memory is shared between threads (cache=shared):
    # SQLite refuses a statement there at once (SQLITE_LOCKED, no busy timeout applies),
    # which was a StorageTimeout saying it "waited too long", though nothing waited.
    import sqlite3

    uri = "file:fault_translation_locked?mode=memory&cache=shared"
    writer = sqlite3.connect(uri, uri=True, isolation_level=None)
    reader = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=5)
    try:
        writer.execute("CREATE TABLE t (x INTEGER)")
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.OperationalError) as refused:
            reader.execute("SELECT x FROM t").fetchall()
        writer.execute("ROLLBACK")
    finally:
        reader.close()
        writer.close()
    translated = translate(refused.value, backend="sqlite")
    assert isinstance(translated, TransientConflict)
    assert (translated.reason, translated.retryable, translated.code) == ("locked", True, "6")
    assert str(translated).startswith("sqlite refused the statement at once")
