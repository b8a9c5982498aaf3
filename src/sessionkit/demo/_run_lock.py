"""One demo run at a time per database: the lock :func:`~._common.open_store` takes.

A demo checks what its database holds, then creates what is missing, and each
process has a fake payment and meeting provider of its own: two copies run at
once on one ``--db`` both created (a duplicate, a conflict, a second hold), or
one failed on the other's rows. The second copy now waits for the first to
finish, then finds its work done, as a rerun does. The lock is one each backend
offers without a table of sessionkit's, and given back when the process ends,
however it ends: PostgreSQL's advisory lock keyed by the schema, MySQL/MariaDB's
named lock (``GET_LOCK``) keyed by the database, an exclusive ``flock`` of the
SQLite file (SQLite's own locks are POSIX record locks, which ``flock`` does not
touch; Windows has no ``flock``, so there a SQLite run takes no lock). Its key is
not the migrations' lock's, which the run takes inside it. A server's lock is
the session's, each attempt at it committed at once: no transaction stays open
for the minute a run may wait nor for the run (a server's
``idle_in_transaction_session_timeout`` shorter than a poll, PostgreSQL 17's
``transaction_timeout`` shorter than the wait, would end the session; its snapshot
held back vacuum). A run that must wait says so once, to the
function its :func:`demo_run` was given (the command line prints it), rather
than a silent minute.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from sessionkit.errors import SessionKitError

if TYPE_CHECKING:  # the sqlalchemy extra, imported when a URL is opened
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.sql.elements import TextClause

__all__ = ["RUN_LOCK_WAIT", "DemoBusy", "demo_run", "hold_run_lock"]

RUN_LOCK_WAIT = 60.0
"""Seconds a demo waits for another run of a demo on its database: a run takes a few."""

_POLL = 0.1
"""Seconds between two attempts at the lock."""

_RUN: ContextVar[ExitStack | None] = ContextVar("sessionkit_demo_run", default=None)
"""Where the locks of the demo run under way are kept until it ends (``None``: no run)."""

_SAY: ContextVar[Callable[[str], None] | None] = ContextVar("sessionkit_demo_say", default=None)
"""What the demo run under way is given a line by when it must wait (``None``: nothing)."""


class DemoBusy(SessionKitError, TimeoutError):
    """Another run of a demo held the database ``value`` names for all of ``waited`` seconds.

    Not a bad ``--db``: running the demo again once the other run ends does it
    (the command line's status 1). ``value`` is the ``--db``, its password masked.
    """

    def __init__(self, *, value: str, waited: float) -> None:
        super().__init__(
            f"--db {value!r}: another run of a demo is using this database; waited "
            f"{waited:g} s for it to finish (run the demo again once it has)"
        )
        self.value = value
        self.waited = waited


@contextmanager
def demo_run(say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold each database's run lock that :func:`hold_run_lock` takes in the block until it ends.

    The command line runs a demo in it. Outside one (a demo's ``render`` called
    from Python) no lock is taken: nothing would say when the run ends. A lock
    not free at once is waited for, and ``say``, if given, is called once with a
    line that says so: which ``--db`` (its password masked) and for how long.
    """
    with ExitStack() as stack:
        token, said_by = _RUN.set(stack), _SAY.set(say)
        try:
            yield
        finally:
            _SAY.reset(said_by)
            _RUN.reset(token)


def hold_run_lock(engine: Engine, shown: str) -> None:
    """Wait for ``engine``'s database's run lock, held until the enclosing :func:`demo_run` ends.

    Raises :class:`DemoBusy` after :data:`RUN_LOCK_WAIT` seconds. A database in
    memory, another backend, or no run under way: nothing to take. When the run
    ends, after the lock is given back, ``engine`` is disposed of: its
    connections closed, not left open for the garbage collector.
    """
    stack = _RUN.get()
    if stack is not None:
        stack.callback(engine.dispose)
        stack.enter_context(_run_lock(engine, shown))


@contextmanager
def _run_lock(engine: Engine, shown: str) -> Iterator[None]:
    dialect = engine.dialect.name
    if dialect == "sqlite":
        with engine.connect() as connection:  # the file SQLite opened: "" in memory
            files = connection.exec_driver_sql("PRAGMA database_list").all()
        path = next((str(file) for _seq, name, file in files if name == "main"), "")
        if not path or sys.platform == "win32":  # Windows has no flock: not locked there
            yield
            return
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # a name, no file: memdb's (file:/x?vfs=memdb), this process's
            yield
            return
        try:
            _wait(lambda: _flock(descriptor), shown)
            yield
        finally:
            # The run's connections first: closing any descriptor of the file drops all the
            # POSIX locks the process holds on it, SQLite's too, and an idle connection to a
            # WAL database holds one (another process closing its last would then take
            # itself for the last and delete the WAL under it).
            engine.dispose()
            os.close(descriptor)
        return
    if dialect not in ("postgresql", "mysql", "mariadb"):
        yield
        return
    with engine.connect() as connection:
        take, give_back = _server_lock(connection)

        def attempt() -> bool:
            # Committed at once (the session's lock stays): between two attempts, and then
            # for the run, the connection waits idle, never idle in a transaction. Not
            # AUTOCOMMIT, which a transaction a "connect" hook left open would refuse.
            taken = bool(connection.execute(take).scalar())
            connection.commit()
            return taken

        _wait(attempt, shown)
        try:
            yield
        finally:
            _give_back(connection, give_back)


def _give_back(connection: Connection, statement: TextClause) -> None:
    """Give the session's lock back; if the statement fails, end the session, which does.

    The server may have ended the session the lock waited idle on (a restart,
    ``idle_session_timeout``, a ``KILL``): its error then is no error of the run,
    whose own (a failed step) it would replace, as a traceback.
    """
    from sqlalchemy.exc import DBAPIError

    try:
        connection.execute(statement)
        connection.commit()
    except DBAPIError:
        connection.invalidate()  # closed, not pooled: a session still open gives its locks back


def _server_lock(connection: Connection) -> tuple[TextClause, TextClause]:
    """The statements that try for the run lock (true if taken) and give it back."""
    from sqlalchemy import text

    if connection.dialect.name == "postgresql":
        scope = connection.exec_driver_sql("SELECT current_schema()").scalar()
        key = int.from_bytes(_digest(scope), "big", signed=True)
        return (
            text("SELECT pg_try_advisory_lock(:key)").bindparams(key=key),
            text("SELECT pg_advisory_unlock(:key)").bindparams(key=key),
        )
    scope = connection.exec_driver_sql("SELECT DATABASE()").scalar()
    name = f"sessionkit_demo_run:{_digest(scope).hex()}"  # at most 64 characters
    return (
        text("SELECT GET_LOCK(:name, 0)").bindparams(name=name),
        text("SELECT RELEASE_LOCK(:name)").bindparams(name=name),
    )


def _digest(scope: object) -> bytes:
    return hashlib.blake2b(f"sessionkit.demo_run\x1f{scope}".encode(), digest_size=8).digest()


def _flock(descriptor: int) -> bool:
    """Take an exclusive ``flock`` of the file if no other holds one; whether it was taken."""
    if sys.platform == "win32":  # pragma: no cover - never called there
        return True
    import fcntl

    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait(attempt: Callable[[], bool], shown: str) -> None:
    """Call ``attempt`` until it takes the lock; :class:`DemoBusy` after :data:`RUN_LOCK_WAIT`.

    If the first attempt fails, the run's ``say`` is given one line that says it
    waits, and for what (``shown``: the ``--db``, its password masked), not one
    per attempt.
    """
    deadline = time.monotonic() + RUN_LOCK_WAIT
    say = _SAY.get()
    while not attempt():
        if say is not None:
            say(f"another demo is running on {shown!r}; waiting up to {RUN_LOCK_WAIT:g} s")
            say = None
        if time.monotonic() >= deadline:
            raise DemoBusy(value=shown, waited=RUN_LOCK_WAIT)
        time.sleep(_POLL)
