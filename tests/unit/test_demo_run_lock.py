"""Two copies of a demo at once on one ``--db``: the second waits for the first (a run lock).

Both checked what the database held, then created what was missing: both created
(duplicated rows), or one failed on the other's ("series already exists", a
coach "busy", SQLite's write lock waited out). SQLite always; PostgreSQL and
MySQL/MariaDB when ``SESSIONKIT_TEST_POSTGRES_URL`` / ``SESSIONKIT_TEST_MYSQL_URL``
are set, each in a schema (database) of its own, empty, dropped after.

The two copies run a story of one check and one create, through the command line
and the demo's own ``open_store`` (which takes the lock, as every demo's store does):
the whole marketplace story twice took 13 to 22 s a backend, and that it writes
nothing twice when run again is ``test_demo_marketplace``'s and
``test_demo_shared_db``'s to check.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest

from sessionkit.cli import main

pytest.importorskip("sqlalchemy")

from sqlalchemy import Engine, create_engine, func, select, table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:  # no forkserver on Windows: the name is not there to import
    from multiprocessing.context import ForkServerContext, SpawnContext

PLATFORM = "marketplace"
"""The demo the copies run (its story replaced by a smaller one in the two-copies test)."""

_HUNG = 120.0
"""Seconds after which a copy that has not ended is taken as hung (a run takes a few)."""

_PRELOAD = ["sessionkit.demo.marketplace_story", "sessionkit.adapters.sqlalchemy.migrations"]
"""What a copy imports besides this module: the forkserver imports it once, for every copy."""

_TENANT, _SESSION = "run-lock-test", "s1"
"""The one record the two copies' story creates if it finds it missing."""


def _sessions(engine: Engine) -> int:
    """The sessions stored: the story's one, or two (a duplicate) without the lock."""
    with engine.connect() as connection:
        query = select(func.count()).select_from(table("sessionkit_sessions"))
        return int(connection.execute(query).scalar_one())


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A ``--db`` URL and an engine on the same database, empty (no tables: the demo makes
    them through its migrations; making all of them to drop them took 1 to 3 s a test)."""
    if request.param == "sqlite":
        file = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        engine = create_engine(file)
        try:
            yield file, engine
        finally:
            engine.dispose()
        return
    base = os.environ.get(f"SESSIONKIT_TEST_{request.param.upper()}_URL")
    if not base:
        pytest.skip(f"set SESSIONKIT_TEST_{request.param.upper()}_URL to run this there")
    name = f"sessionkit_test_{uuid.uuid4().hex[:12]}"
    if request.param == "postgres":
        made, dropped = f'CREATE SCHEMA "{name}"', f'DROP SCHEMA "{name}" CASCADE'
        url = make_url(base).update_query_dict({"options": f"-csearch_path={name}"})
    else:
        made = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        dropped = f"DROP DATABASE `{name}`"
        url = make_url(base).set(database=name)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(made)
            if request.param == "postgres":  # btree_gist in public, as postgres_schema puts
                # it: the demo's migration would install it in the new schema, dropped after
                with contextlib.suppress(DBAPIError):
                    connection.exec_driver_sql(
                        "CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"
                    )
        engine = create_engine(url)
        try:
            yield url.render_as_string(hide_password=False), engine
        finally:
            engine.dispose()
            with admin.connect() as connection:
                connection.exec_driver_sql(dropped)
    finally:
        admin.dispose()


def _run_meeting_the_other(db: str, me: int, met: list[list[Any]], waiting: list[Any]) -> None:
    """A copy of the demo whose story checks for one session, then creates it if missing.

    At each of its two meetings (its store open, then its check made) it goes on once
    the other copy got as far, or waits for the lock: without a lock both check before
    either creates, however late the other process starts; with it the other cannot
    open its store until this run ends. ``met[k][i]`` and ``waiting[i]`` are copy
    ``i``'s events, no fixed wait.
    """
    from sessionkit.demo import _run_lock
    from sessionkit.demo._common import open_store
    from sessionkit.model.session import Session
    from sessionkit.timespan import TimeSpan

    other = 1 - me
    deadline = time.monotonic() + _HUNG

    def meet(here: list[Any]) -> None:
        here[me].set()
        while not waiting[other].is_set():
            assert time.monotonic() < deadline, "the other copy never got as far"
            if here[other].wait(timeout=0.05):
                break

    def story(now: datetime, *, db: str) -> str:
        # What every demo does, smaller: open the store (the lock), check what the database
        # holds, then create what is missing, in a unit of work of its own.
        factory, where = open_store(db)
        meet(met[0])
        with factory() as uow:
            missing = not uow.sessions.get_many(_TENANT, [_SESSION])
        meet(met[1])
        if missing:
            made = Session(
                id=_SESSION, tenant=_TENANT, title=f"copy {me}", tz="UTC", status="OPEN",
                span=TimeSpan(now, now + timedelta(hours=1)), lifecycle="lms", busy=True,
                created_at=now,
            )  # fmt: skip
            with factory() as uow:
                uow.sessions.add(made)
                uow.commit()
        return f"copy {me} on {where}: {'created' if missing else 'found'} {_SESSION}"

    wait = _run_lock._wait

    def wait_saying_so(attempt: Any, shown: str) -> None:
        def attempt_saying_so() -> bool:
            taken = bool(attempt())
            if not taken:
                waiting[me].set()
            return taken

        wait(attempt_saying_so, shown)

    with (
        mock.patch("sessionkit.demo.marketplace_story.render", story),
        mock.patch.object(_run_lock, "_wait", wait_saying_so),
    ):
        sys.exit(main(["demo", PLATFORM, "--db", db]))


def test_two_copies_at_once_both_succeed_and_store_one_runs_rows(
    database: tuple[str, Engine],
) -> None:
    db, engine = database
    # Each copy a fresh process, forked from one that imported the demo once (spawn's two
    # imports of it took half the test's time); spawn where no forkserver is (Windows).
    context: ForkServerContext | SpawnContext = multiprocessing.get_context("spawn")
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, *_PRELOAD])
    met = [[context.Event(), context.Event()] for _ in range(2)]
    waiting = [context.Event(), context.Event()]
    copies = [
        context.Process(target=_run_meeting_the_other, args=(db, me, met, waiting))
        for me in range(2)
    ]
    for copy in copies:
        copy.start()
    try:
        for copy in copies:
            copy.join(timeout=_HUNG)
        assert [copy.exitcode for copy in copies] == [0, 0]
    finally:
        for copy in copies:
            if copy.is_alive():  # hung (a lock never given back): not left behind
                copy.kill()
                copy.join()
    assert sum(event.is_set() for event in waiting) == 1  # one waited, the other did not
    assert _sessions(engine) == 1


def test_a_run_that_waits_too_long_says_it_waits_then_stops_with_status_1(
    database: tuple[str, Engine],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from sessionkit.demo import _run_lock
    from sessionkit.demo._common import shown_url

    monkeypatch.setattr(_run_lock, "RUN_LOCK_WAIT", 0.0)
    db, engine = database
    with _run_lock.demo_run():
        _run_lock.hold_run_lock(engine, "the other run")
        assert main(["demo", PLATFORM, "--db", db]) == 1
    assert capsys.readouterr() == (
        "",
        (
            f"sessionkit: another demo is running on {shown_url(db)!r}; waiting up to 0 s\n"
            f"sessionkit: error: --db {shown_url(db)!r}: another run of a demo is using this "
            "database; waited 0 s for it to finish (run the demo again once it has)\n"
        ),
    )
    with _run_lock.demo_run():  # the other run ended: the lock is free, taken at once
        _run_lock.hold_run_lock(create_engine(db), "the next run")


def test_a_lock_whose_session_the_server_ended_is_given_back_without_an_error(
    database: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lock waits idle on its connection for the whole run: a server restart, an
    # idle_session_timeout or a KILL ends that session. Giving the lock back then raised the
    # driver's error at the run's end, a traceback in place of the run's own outcome.
    from sqlalchemy import event

    from sessionkit.demo import _run_lock

    db, engine = database
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's lock is a file's, held by no session")
    own = (
        "SELECT pg_backend_pid()"
        if engine.dialect.name == "postgresql"
        else "SELECT CONNECTION_ID()"
    )
    sessions: list[int] = []
    lock_engine = create_engine(db)

    @event.listens_for(lock_engine, "connect")
    def remember(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(own)
        sessions.append(int(cursor.fetchone()[0]))
        cursor.close()

    with _run_lock.demo_run():
        _run_lock.hold_run_lock(lock_engine, "the run")
        assert len(sessions) == 1  # the lock's own connection, held for the run
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                ended = connection.exec_driver_sql(f"SELECT pg_terminate_backend({sessions[0]})")
                assert ended.scalar() is True
                alive = f"SELECT count(*) FROM pg_stat_activity WHERE pid = {sessions[0]}"
            else:
                connection.exec_driver_sql(f"KILL {sessions[0]}")
                alive = (
                    f"SELECT count(*) FROM information_schema.processlist WHERE id = {sessions[0]}"
                )
            # Ended before the run ends (the server ends it asynchronously), or the lock's
            # give-back could still succeed and the test pass without the fix.
            deadline = time.monotonic() + _HUNG
            while connection.exec_driver_sql(alive).scalar() and time.monotonic() < deadline:
                connection.rollback()  # a fresh snapshot of the sessions on each look
                time.sleep(0.05)
            assert connection.exec_driver_sql(alive).scalar() == 0
    monkeypatch.setattr(_run_lock, "RUN_LOCK_WAIT", 0.0)
    with _run_lock.demo_run():  # free: taken at once
        _run_lock.hold_run_lock(create_engine(db), "the next run")


def test_a_sqlite_database_that_is_no_file_is_run_without_a_lock(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # SQLite's memdb VFS names a database this process holds in memory: no file to flock, and
    # no other process can open it. The lock opened its name as a path: a FileNotFoundError
    # traceback, where the demo ran before.
    import sqlite3

    if sqlite3.sqlite_version_info < (3, 36):
        pytest.skip("SQLite's memdb VFS is 3.36's")
    db = "sqlite:///file:/sessionkit-run-lock-test?vfs=memdb&uri=true"
    assert main(["demo", PLATFORM, "--db", db]) == 0
    out, err = capsys.readouterr()
    assert (bool(out), err) == (True, "")


def test_the_sqlite_file_is_let_go_only_after_the_run_s_connections(tmp_path: Path) -> None:
    # Closing any descriptor of a file drops every POSIX lock the process holds on it, and an
    # idle connection to a WAL database holds SQLite's read lock. The run let go of its flock
    # before closing its connections: another process closing its last connection then took
    # itself for the last one and deleted the WAL under a connection still open.
    import sqlite3
    import subprocess

    from sessionkit.demo import _run_lock

    path = tmp_path / "wal.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as made:
        made.execute("PRAGMA journal_mode=WAL")
        made.execute("CREATE TABLE t (x)")
        made.commit()
    other = (
        "import sqlite3\n"
        f"connection = sqlite3.connect({str(path)!r})\n"
        "connection.execute('INSERT INTO t VALUES (1)')\n"
        "connection.commit()\n"
        "connection.close()\n"
    )
    engine = create_engine(f"sqlite:///{path}")
    kept: list[bool] = []
    dispose = engine.dispose

    def another_process_then_dispose(close: bool = True) -> None:  # as the run closes them
        if not kept:
            subprocess.run([sys.executable, "-c", other], check=True)
            kept.append(Path(f"{path}-wal").exists())
        dispose(close)

    engine.dispose = another_process_then_dispose  # type: ignore[method-assign]
    with _run_lock.demo_run():
        _run_lock.hold_run_lock(engine, "the run")
        with engine.connect() as connection:  # idle in the pool after: it holds the read lock
            assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
    assert kept == [True]
