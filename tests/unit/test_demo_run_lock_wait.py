"""A demo run waiting for another's run lock: what it says, and what it holds while it waits.

It said nothing for up to a minute, and on PostgreSQL it polled in one transaction,
open for the whole wait. Each waiter here runs in a thread of
its own, meeting the test on events (its failed attempts), not on sleeps. SQLite
always; PostgreSQL and MySQL/MariaDB when ``SESSIONKIT_TEST_POSTGRES_URL`` /
``SESSIONKIT_TEST_MYSQL_URL`` are set, each in a schema (database) of its own,
dropped after.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from sessionkit.demo import _run_lock
from sessionkit.demo._common import shown_url

_HUNG = 10.0
"""Seconds after which a waiter that has not got as far as it should is taken as hung."""

_REAL_WAIT = _run_lock._wait


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A ``--db`` URL on a database of its own, empty: no other run's lock is met."""
    if request.param == "sqlite":
        path = tmp_path / "shared.sqlite3"
        path.touch()  # the flock is of the file: one there before the first connection
        yield f"sqlite:///{path}"
        return
    base = os.environ.get(f"SESSIONKIT_TEST_{request.param.upper()}_URL")
    if not base:
        pytest.skip(f"set SESSIONKIT_TEST_{request.param.upper()}_URL to run this there")
    name = f"sessionkit_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    if request.param == "postgres":
        made, dropped = f'CREATE SCHEMA "{name}"', f'DROP SCHEMA "{name}" CASCADE'
        url = make_url(base).update_query_dict({"options": f"-csearch_path={name}"})
    else:
        made, dropped = f"CREATE DATABASE `{name}`", f"DROP DATABASE `{name}`"
        url = make_url(base).set(database=name)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(made)
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(dropped)
    finally:
        admin.dispose()


class _Waiter:
    """A run in a thread of its own that waits for ``engine``'s lock, meeting the test on events.

    ``failed`` is set once ``stop_after`` of its attempts have failed: that attempt has
    returned and the next waits for ``go_on`` (or, if ``ctrl_c`` is set by then, a
    ``KeyboardInterrupt`` is raised there, as a Ctrl-C in the wait). ``took`` is set once
    it holds the lock, which it keeps until ``finish``. ``said`` gets the lines its run
    says (:func:`~sessionkit.demo._run_lock.demo_run`'s ``say``), ``outcome`` what the
    run raised, ``None`` if it took the lock and ended.
    """

    def __init__(
        self, engine: Engine, shown: str, monkeypatch: pytest.MonkeyPatch, stop_after: int
    ) -> None:
        self.failed, self.go_on = threading.Event(), threading.Event()
        self.took, self.finish = threading.Event(), threading.Event()
        self.ctrl_c = False
        self.said: list[str] = []
        self.outcome: list[BaseException | None] = []
        self._engine, self._shown = engine, shown
        self._stop_after = stop_after
        self._failures = 0
        self._thread = threading.Thread(target=self._run)
        monkeypatch.setattr(_run_lock, "_wait", self._wait_meeting_the_test)
        monkeypatch.setattr(_run_lock, "_POLL", 0.01)

    def _wait_meeting_the_test(self, attempt: Callable[[], bool], shown: str) -> None:
        def attempt_meeting_the_test() -> bool:
            taken = attempt()
            if not taken:
                self._failures += 1
                if self._failures == self._stop_after:
                    self.failed.set()
                    assert self.go_on.wait(timeout=_HUNG)
                    if self.ctrl_c:
                        raise KeyboardInterrupt
            return taken

        _REAL_WAIT(attempt_meeting_the_test, shown)

    def _run(self) -> None:
        try:
            with _run_lock.demo_run(self.said.append):
                _run_lock.hold_run_lock(self._engine, self._shown)
                self.took.set()
                assert self.finish.wait(timeout=_HUNG)
        except BaseException as exc:  # noqa: BLE001  # said to the test, which asserts on it
            self.outcome.append(exc)
        else:
            self.outcome.append(None)

    def start(self) -> None:
        """Start the run."""
        self._thread.start()

    def join(self) -> None:
        """Wait for the run to end (a hung one fails the test's assertion on ``outcome``)."""
        if self._thread.ident is not None:  # started
            self._thread.join(timeout=_HUNG)


def test_a_run_that_must_wait_says_so_once_then_takes_the_lock(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second copy waited up to a minute in silence: the user saw nothing happen.
    waiter = _Waiter(create_engine(db), shown_url(db), monkeypatch, stop_after=3)
    waiter.finish.set()
    first_said: list[str] = []
    with _run_lock.demo_run(first_said.append):
        _run_lock.hold_run_lock(create_engine(db), "the first run")
        waiter.start()
        assert waiter.failed.wait(timeout=_HUNG)  # three attempts failed: three polls
        said_while_waiting = list(waiter.said)
        waiter.go_on.set()
    waiter.join()
    assert (first_said, waiter.outcome) == ([], [None])  # free at once: nothing said
    line = f"another demo is running on {shown_url(db)!r}; waiting up to 60 s"
    assert (said_while_waiting, waiter.said) == ([line], [line])  # once, not per attempt


def test_a_run_stopped_by_ctrl_c_waiting_or_running_leaves_the_lock_free(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    waiter = _Waiter(create_engine(db), shown_url(db), monkeypatch, stop_after=1)
    with _run_lock.demo_run():
        _run_lock.hold_run_lock(create_engine(db), "the first run")
        waiter.start()
        assert waiter.failed.wait(timeout=_HUNG)
        waiter.ctrl_c = True
        waiter.go_on.set()
        waiter.join()
    assert [type(exc) for exc in waiter.outcome] == [KeyboardInterrupt]
    monkeypatch.setattr(_run_lock, "RUN_LOCK_WAIT", 0.0)

    def stopped_while_running() -> None:
        with _run_lock.demo_run():
            _run_lock.hold_run_lock(create_engine(db), "a run stopped while running")  # at once
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stopped_while_running()
    with _run_lock.demo_run():  # both let go of all they took: free, taken at once
        _run_lock.hold_run_lock(create_engine(db), "the next run")


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_a_postgres_run_waits_for_and_holds_its_lock_in_no_transaction(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The waiter polled pg_try_advisory_lock in one transaction, idle in it between polls,
    # for up to a minute: a server's idle_in_transaction_session_timeout shorter than the
    # poll ended the session (transaction_timeout, PostgreSQL 17's, shorter than the wait too).
    sessions: list[int] = []
    engine = create_engine(db)

    @event.listens_for(engine, "connect")
    def remember(dbapi_connection: Any, _record: Any) -> None:
        sessions.append(int(dbapi_connection.info.backend_pid))

    waiter = _Waiter(engine, shown_url(db), monkeypatch, stop_after=2)
    look = create_engine(db)
    seen = (
        "SELECT a.state, a.xact_start IS NOT NULL, count(l.pid) FROM pg_stat_activity a "
        "LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted "
        "WHERE a.pid = {} GROUP BY a.state, a.xact_start"
    )
    try:
        with _run_lock.demo_run():
            _run_lock.hold_run_lock(create_engine(db), "the first run")
            waiter.start()
            assert waiter.failed.wait(timeout=_HUNG)  # between two polls: its attempt returned
            with look.connect() as connection:
                waiting = connection.exec_driver_sql(seen.format(sessions[0])).all()
            waiter.go_on.set()
        assert waiting == [("idle", False, 0)]  # not "idle in transaction"
        assert waiter.took.wait(timeout=_HUNG)
        with look.connect() as connection:  # its run goes on: the lock held, idle
            assert connection.exec_driver_sql(seen.format(sessions[0])).all() == [
                ("idle", False, 1)
            ]
        waiter.finish.set()
        waiter.join()
        assert waiter.outcome == [None]
        with look.connect() as connection:  # its run ended: the lock given back
            held = (
                f"SELECT count(*) FROM pg_locks WHERE pid = {sessions[0]} AND locktype = 'advisory'"
            )
            assert connection.exec_driver_sql(held).scalar() == 0
    finally:
        waiter.finish.set()
        waiter.go_on.set()
        waiter.join()
        look.dispose()
