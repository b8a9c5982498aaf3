"""The race helper the integration race tests share: writers released together, their outcomes.

``race(work, engine, writers=..., processes=...)`` runs ``work(n)`` for every
writer ``n`` at once (a barrier holds them until all are ready) as threads of
this process, or in forked processes, and returns what each said, in writer
order. A writer that raises is reported, not lost: its outcome starts with
``"error: "`` and carries the exception and its traceback, so a test's
assertion on the outcomes shows where a forked writer failed.

``race_rounds`` races once per round; ``WRITER_KINDS`` parametrises a test's
``processes`` argument over both kinds; ``rounds`` reads
``SESSIONKIT_RACE_ROUNDS``; ``scalar`` reads one number back;
``sqlite_race_file`` makes the SQLite file engine the races share;
``sent_statements`` collects the statements Core sends on an engine;
``race_keyed_insert`` races inserts that one unique key allows once;
``upgrade_in_thread`` runs ``upgrade`` in a thread, for a test that holds the
migration lock meanwhile.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, TextClause, create_engine, event, text

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema, upgrade
from sessionkit.errors import SessionKitError
from sessionkit.model import ResourceRef
from sessionkit.ports import Kind

WRITERS = 8
"""Writers of a race unless a test says otherwise."""
START_TIMEOUT = 60
"""Seconds a writer waits at the barrier for the others."""
RACE_TIMEOUT = 180
"""Seconds a race may take before its writers count as hung (a guard, not a measure)."""
SQLITE_BUSY_TIMEOUT = 60
"""Seconds a writer on a race's SQLite file waits for another process's write lock.

sqlite3's default, 5 s, is a bound a user may choose. The races check who
wins, not how long a loser waits, and on a loaded machine (a CI run beside
other work, a slow fsync) eight forked writers taking the lock in turn have
passed 5 s.
"""
HUNG = "error: hung (still running when the race was given up)"

WRITER_KINDS = [
    pytest.param(False, id="threads"),
    pytest.param(
        True,
        id="processes",
        marks=pytest.mark.skipif(sys.platform != "linux", reason="forks worker processes"),
    ),
]
"""Values of a race test's ``processes`` argument: threads, or forked processes."""


def sqlite_race_file(path: Path, pool_size: int, *, template: Path | None = None) -> Engine:
    """Return an engine on a new SQLite file at ``path`` with sessionkit's tables, for races.

    With ``template`` (a closed file that ``sqlite_race_file`` made), the file is a copy
    of it, a byte-for-byte fresh schema, instead of creating the tables again.
    """
    if template is not None:
        shutil.copyfile(template, path)
    engine = create_engine(
        f"sqlite:///{path}", pool_size=pool_size, connect_args={"timeout": SQLITE_BUSY_TIMEOUT}
    )
    # The races check who wins, which locking alone decides: a commit need not wait for the
    # disk (an fsync stalled by other work on the machine holds the write lock meanwhile).
    event.listen(engine, "connect", _no_fsync)
    if template is None:
        create_schema(engine)
    return engine


def _no_fsync(dbapi_connection: Any, _record: object) -> None:
    dbapi_connection.execute("PRAGMA synchronous = OFF")


def upgrade_in_thread(engine: Engine) -> tuple[threading.Thread, list[str]]:
    """Start ``upgrade(engine)`` in a thread; return it and the list of its outcome.

    The list gets ``"ok"``, or ``"error: "`` and what ``upgrade`` raised, when
    the thread ends: a test holding the migration lock meanwhile sees the thread
    wait for it.
    """
    said: list[str] = []

    def run() -> None:
        try:
            upgrade(engine)
        except Exception as error:  # noqa: BLE001  # reported to the test as a failure
            said.append(f"error: {error!r}")
        else:
            said.append("ok")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, said


def rounds(default: int) -> int:
    """Return the rounds per race test: ``SESSIONKIT_RACE_ROUNDS``, else ``default``."""
    return int(os.environ.get("SESSIONKIT_RACE_ROUNDS", str(default)))


def outcome(work: Callable[[int], str], n: int) -> str:
    """Return ``work(n)``, or ``"error: "`` with what it raised and the traceback."""
    try:
        return work(n)
    except BaseException as exc:  # noqa: BLE001  # reported to the test as a failure
        return f"error: {exc!r}\n{traceback.format_exc()}"


def _in_threads(
    work: Callable[[int], str], numbers: range, start: threading.Barrier
) -> list[tuple[int, str]]:
    """Run writers ``numbers`` as threads that meet at ``start``; return ``(n, outcome)`` pairs."""
    outcomes = dict.fromkeys(numbers, HUNG)

    def started(n: int) -> str:
        start.wait(timeout=START_TIMEOUT)
        return work(n)

    def run(n: int) -> None:
        outcomes[n] = outcome(started, n)

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=RACE_TIMEOUT)
    return [
        (n, HUNG if t.is_alive() else outcomes[n]) for n, t in zip(numbers, threads, strict=True)
    ]


def race(
    work: Callable[[int], str],
    engine: Engine,
    *,
    writers: int,
    processes: bool,
    per_process: int = 1,
) -> list[str]:
    """Run ``work(n)`` for ``n`` in ``range(writers)`` released together; return the outcomes.

    Writers are threads, or with ``processes`` forked processes of
    ``per_process`` threads each (each process drops the parent's pooled
    connections of ``engine`` first). Fails the test when a writer hangs or
    a process dies; a writer that raises is an ``"error: "`` outcome.
    """
    if not processes:
        found = dict(_in_threads(work, range(writers), threading.Barrier(writers)))
    else:
        context = multiprocessing.get_context("fork")
        start = context.Barrier(writers)
        results = context.Queue()

        def child(numbers: range) -> None:
            engine.dispose(close=False)  # the parent's pooled connections are not ours to use
            results.put(_in_threads(work, numbers, start))

        workers = [
            context.Process(target=child, args=(range(first, min(first + per_process, writers)),))
            for first in range(0, writers, per_process)
        ]
        for worker in workers:
            worker.start()
        found = {n: said for _ in workers for n, said in results.get(timeout=RACE_TIMEOUT)}
        for worker in workers:
            worker.join(timeout=START_TIMEOUT)
            assert worker.exitcode == 0, f"a writer process ended with {worker.exitcode}"
    outcomes = [found[n] for n in range(writers)]
    assert HUNG not in outcomes, ("a writer hung", outcomes)
    return outcomes


def race_keyed_insert(
    engine: Engine,
    make: Callable[[int], Any],
    kind: Kind[Any],
    *,
    duplicate: type[SessionKitError],
    key: str,
    processes: bool,
) -> str:
    """Race ``WRITERS`` inserts of ``make(writer)``, records one unique key allows once.

    Each writer adds its record through the repository of ``kind`` in a unit
    of its own, with no lock taken first, so only the key keeps them apart.
    Asserts that exactly one was stored and that every other writer was
    refused with ``duplicate`` on ``key``, naming the stored record as
    ``existing``; returns the stored record's id.
    """
    store = SqlAlchemyStore(engine)

    def insert(writer: int) -> str:
        record = make(writer)
        try:
            with store.unit_of_work() as uow:
                uow.repository(kind).add(record)
                uow.commit()
        except duplicate as taken:
            existing = getattr(taken, "existing", None)
            if getattr(taken, "key", None) != key or not isinstance(existing, type(record)):
                return f"wrong duplicate: {taken!r}"
            return f"duplicate of {existing.id}"
        return f"stored {record.id}"

    outcomes = race(insert, engine, writers=WRITERS, processes=processes)
    stored = [o.removeprefix("stored ") for o in outcomes if o.startswith("stored ")]
    assert len(stored) == 1, outcomes
    assert sorted(set(outcomes) - {f"stored {stored[0]}"}) == [f"duplicate of {stored[0]}"], (
        outcomes
    )
    return stored[0]


def race_rounds(
    work: Callable[[int, int], str],
    engine: Engine,
    *,
    rounds: int,
    writers: int,
    processes: bool,
    per_process: int = 1,
) -> dict[int, list[str]]:
    """Race ``work(round_, n)`` once per round, one round after another; the outcomes by round."""
    return {
        round_: race(
            partial(work, round_),
            engine,
            writers=writers,
            processes=processes,
            per_process=per_process,
        )
        for round_ in range(rounds)
    }


def scalar(engine: Engine, sql: str | TextClause, **params: object) -> int:
    """Return the one number ``sql`` selects (with ``params`` bound), read in its own connection."""
    statement = text(sql) if isinstance(sql, str) else sql
    with engine.connect() as connection:
        return int(connection.execute(statement, params).scalar_one())


@contextmanager
def sent_statements(
    engine: Engine, keep: Callable[[str], bool] | None = None
) -> Iterator[list[str]]:
    """Collect the statements sent on ``engine`` inside the block (those ``keep`` takes).

    A ``before_cursor_execute`` listener: while it is on the engine, Core
    runs every statement, the booking's lock and insert included.
    """
    sent: list[str] = []

    def seen(_connection: object, _cursor: object, statement: str, *_rest: object) -> None:
        if keep is None or keep(statement):
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def hourly_sessions(kit: SessionKit, tenant: str, count: int, *, capacity: int) -> list[str]:
    """Open ``count`` sessions, one an hour from 9:00 on 4 March; return their ids.

    Up to fifteen fit the day; more (many rounds) run into the next days.
    """
    first = datetime(2026, 3, 4, 9, tzinfo=UTC)
    return [
        kit.sessions.create_extra(
            tenant,
            actor="tina",
            start=first + timedelta(hours=n),
            end=first + timedelta(hours=n, minutes=45),
            resources=[ResourceRef("tutor", f"t{n}")],
            lifecycle="lms",
            capacity=capacity,
            title="Algebra",
        ).id
        for n in range(count)
    ]
