"""The Django store's own checks and its database faults, as sessionkit's errors.

A store made for a database alias that does not exist, or for a database it
keeps no guarantees on (MySQL/MariaDB), is refused when made. A fault of the
database under a unit of work (a lock waited for too long, a connection
killed) comes out as the error docs/reliability.md names, the driver's
chained, as it does from the SQLAlchemy store.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from io import StringIO

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import OperationalError, connections, transaction

from sessionkit.contrib.django.store import DjangoStore, DjangoUnitOfWork
from sessionkit.errors import (
    InvalidValue,
    SchemaMissing,
    StorageTimeout,
    StorageUnavailable,
    WrongType,
)
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import TENANT, make_session

from .conftest import POSTGRES_URL, TAKES_TURNS_ONLY, _server, sqlite_takes_turns
from .django_settings import KITS

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_an_alias_that_is_no_database_is_refused_when_the_store_is_made() -> None:
    with pytest.raises(InvalidValue) as unknown:
        DjangoStore(using="nope")
    assert unknown.value.value == "nope"
    assert "'default'" in str(unknown.value)
    with pytest.raises(WrongType) as wrong:
        DjangoStore(using=None)  # type: ignore[arg-type]  # the mistake under test
    assert wrong.value.value is None


def test_mysql_is_refused_rather_than_run_without_its_locks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No MySQL driver for Django here: the vendor the alias would report, stood in.
    monkeypatch.setattr(DjangoStore, "vendor", property(lambda _store: "mysql"))
    with pytest.raises(InvalidValue) as caught:
        DjangoStore()
    assert (caught.value.value, caught.value.expected) == ("mysql", "postgresql or sqlite")
    assert "SQLAlchemy store" in str(caught.value)


@pytest.mark.skipif(not sqlite_takes_turns(), reason=TAKES_TURNS_ONLY)
def test_a_sqlite_lock_held_too_long_is_a_storage_timeout(sqlite_file_db: str) -> None:
    """Another writer holds the file's lock past the alias's timeout: StorageTimeout."""
    holder = sqlite3.connect(settings.DATABASES["sqlite_busy"]["NAME"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    store = DjangoStore(using="sqlite_busy")
    KITS.append(SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW)))
    try:
        with pytest.raises(StorageTimeout) as caught, store.unit_of_work() as uow:
            uow.sessions.get_many(TENANT, ["s1"])
        assert caught.value.backend == "sqlite"
        assert "write lock" in str(caught.value)
        assert isinstance(caught.value.__cause__, OperationalError)
        # The tick reports each kind whose due items it could not read, and goes on.
        report = KITS[-1].tick()
        assert report.failed
        assert {(f.tenant, f.item_id) for f in report.failed} == {("*", "*")}
        assert all(isinstance(f.error, StorageTimeout) for f in report.failed)
        # The tick command says so in one line, with no traceback.
        with pytest.raises(CommandError) as command:
            call_command("sessionkit_tick", stdout=StringIO(), stderr=StringIO())
        assert "write lock" in str(command.value)
    finally:
        KITS.pop()
        holder.rollback()
        holder.close()
        connections["sqlite_busy"].close()
    with store.unit_of_work() as uow:  # the lock released, the store works again
        assert uow.sessions.get_many(TENANT, ["s1"]) == []


def test_a_database_never_migrated_says_so() -> None:
    store = DjangoStore(using="sqlite_unmigrated")
    KITS.append(SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW)))
    try:
        with pytest.raises(SchemaMissing) as caught, store.unit_of_work() as uow:
            uow.sessions.add(make_session("s1"))
        assert caught.value.missing is not None
        assert caught.value.missing.startswith("sessionkit_")
        # The alias's migrate: a bare "manage.py migrate" makes the default database's only.
        assert str(caught.value) == (
            f"sqlite has no {caught.value.missing} (no such table: {caught.value.missing}): "
            "sessionkit's tables are not in this database, or are older than this sessionkit. "
            "Make or upgrade them first: manage.py migrate --database sqlite_unmigrated "
            "(the store's DjangoStore(using='sqlite_unmigrated')); nothing was written"
        )
        assert isinstance(caught.value.__cause__, OperationalError)
        report = KITS[-1].tick()
        assert len(report.failed) == 4
        assert all(isinstance(f.error, SchemaMissing) for f in report.failed)
        out, err = StringIO(), StringIO()
        with pytest.raises(CommandError) as command:
            call_command("sessionkit_tick", stdout=out, stderr=err)
        assert "manage.py migrate --database sqlite_unmigrated (" in str(command.value)
        # The one line the docs promise: it printed a line per kind, a "failed" line per
        # kind and a summary of four failures (of no items) before it.
        assert (out.getvalue(), err.getvalue()) == ("", "")
    finally:
        KITS.pop()
        connections["sqlite_unmigrated"].close()


def test_a_killed_postgres_connection_is_storage_unavailable(postgres_db: str) -> None:
    """The server ends the connection under the store: StorageUnavailable, then it recovers."""
    assert POSTGRES_URL is not None
    store = DjangoStore(using=postgres_db)
    connection = connections[postgres_db]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with psycopg.connect(_server(POSTGRES_URL), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    try:
        with pytest.raises(StorageUnavailable) as caught, store.unit_of_work() as uow:
            uow.sessions.get_many(TENANT, ["s1"])
        assert caught.value.backend == "postgresql"
        assert isinstance(caught.value.__cause__, OperationalError)
    finally:
        connection.close()  # as Django does between requests with an unusable connection
    with store.unit_of_work() as uow:
        assert uow.sessions.get_many(TENANT, ["s1"]) == []


@pytest.mark.skipif(not sqlite_takes_turns(), reason=TAKES_TURNS_ONLY)
def test_a_commit_whose_next_transaction_cannot_begin_stands(
    sqlite_file_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COMMIT went through; another writer took the lock before the unit's next BEGIN.

    The commit is not reported as failed (a retry would write it twice): the
    next use of the unit meets the lock and says so, and once it is free the
    unit goes on.
    """
    holder = sqlite3.connect(settings.DATABASES["sqlite_busy"]["NAME"], isolation_level=None)
    ended = DjangoUnitOfWork._end

    def end_then_lose_the_lock(self: DjangoUnitOfWork, *, keep: bool) -> None:
        ended(self, keep=keep)
        if keep:
            holder.execute("BEGIN IMMEDIATE")

    store = DjangoStore(using="sqlite_busy")
    try:
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session("s1"))
            monkeypatch.setattr(DjangoUnitOfWork, "_end", end_then_lose_the_lock)
            uow.commit()  # applied: no error
            monkeypatch.setattr(DjangoUnitOfWork, "_end", ended)
            with pytest.raises(StorageTimeout):
                uow.sessions.get_many(TENANT, ["s1"])
            holder.execute("ROLLBACK")
            assert [s.id for s in uow.sessions.get_many(TENANT, ["s1"])] == ["s1"]
        with store.unit_of_work() as uow:
            assert [s.id for s in uow.sessions.get_many(TENANT, ["s1"])] == ["s1"]
            uow.sessions.delete(TENANT, "s1", expected_version=1)
            uow.commit()
    finally:
        holder.close()
        connections["sqlite_busy"].close()


def test_a_connection_lost_during_commit_says_the_commit_may_have_been_applied(
    postgres_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server applied the COMMIT, its answer never came: StorageUnavailable, with a note."""
    store = DjangoStore(using=postgres_db)
    connection = connections[postgres_db]
    committed = connection._commit  # type: ignore[attr-defined]  # the backend's own COMMIT

    def lost_after_commit() -> None:
        committed()
        with connection.wrap_database_errors:
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "_commit", lost_after_commit)
    try:
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session("s1"))
            with pytest.raises(StorageUnavailable) as caught:
                uow.commit()
        assert "may or may not have been applied" in " ".join(caught.value.__notes__)
        assert caught.value.outcome_unknown is True
        # The COMMIT was applied: the message must not say the operation was not.
        assert "did not complete" not in str(caught.value), str(caught.value)
        assert "sessionkit could not finish the operation" in str(caught.value)
    finally:
        monkeypatch.undo()
        connection.close()
    with store.unit_of_work() as uow:
        assert [s.id for s in uow.sessions.get_many(TENANT, ["s1"])] == ["s1"]
        uow.sessions.delete(TENANT, "s1", expected_version=1)
        uow.commit()


def test_a_connection_lost_releasing_a_joined_unit_s_savepoint_is_no_unknown_commit(
    postgres_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the host's atomic() the unit's commit releases a savepoint: nothing was committed.

    The host's transaction went with the connection, so nothing of it was kept; the error said
    the commit may have been applied (outcome_unknown, and a note) as for a COMMIT of its own.
    """
    store = DjangoStore(using=postgres_db)
    connection = connections[postgres_db]

    def lost_releasing(sid: str) -> None:
        with connection.wrap_database_errors:
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    def write() -> None:
        with transaction.atomic(using=postgres_db), store.unit_of_work() as uow:
            assert uow.joined
            uow.sessions.add(make_session("s1"))
            monkeypatch.setattr(connection, "_savepoint_commit", lost_releasing)
            uow.commit()

    try:
        with pytest.raises(StorageUnavailable) as caught:
            write()
        assert caught.value.outcome_unknown is False
        assert not any("may or may not" in note for note in getattr(caught.value, "__notes__", []))
    finally:
        monkeypatch.undo()
        connection.close()
    with store.unit_of_work() as uow:
        assert uow.sessions.get_many(TENANT, ["s1"]) == []
