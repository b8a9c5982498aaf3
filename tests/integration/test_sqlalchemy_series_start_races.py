"""Racing writers for one series and one start: exactly one session is stored.

Eight concurrent ``create_extra`` calls for one series and one start used to
store two to eight sessions on PostgreSQL: the "is that start free?" check ran
before the insert, and nothing in the database refused the second row. The
unique index on (tenant, series_id, start_at) now does, on every backend, and
each loser gets ``DuplicateSession`` with ``key="series_start"``.

Runs on a SQLite file always, on PostgreSQL with ``SESSIONKIT_TEST_POSTGRES_URL``
and on MariaDB/MySQL with ``SESSIONKIT_TEST_MYSQL_URL``; writers are 8 threads,
or 2 forked processes of 4 threads each.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, text

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import DuplicateSession
from sessionkit.testing.contract import make_series, make_session

ROUNDS = 3
WRITERS = 8


@pytest.fixture
def engine(race_engine: Engine) -> Engine:
    _add_series(race_engine)
    return race_engine


def _add_series(engine: Engine) -> None:
    with SqlAlchemyStore(engine).unit_of_work() as uow:
        uow.series.add(make_series("series-1"))
        uow.commit()


def _attempt(store: SqlAlchemyStore, round_: int, first: int, n: int) -> str:
    """Store an extra session of series-1 at the round's start; say how it went."""
    session = make_session(
        f"r{round_}-w{first + n}", series_id="series-1", is_extra=True, busy=False, at=10 * round_
    )
    try:
        with store.unit_of_work() as uow:
            uow.sessions.add(session)
            uow.commit()
    except DuplicateSession as error:
        if error.key != "series_start" or error.existing is None:
            return f"wrong duplicate: key={error.key!r} existing={error.existing!r}"
        return "duplicate"
    except BaseException as exc:  # noqa: BLE001  # reported to the test as a failure
        return f"error: {exc!r}"
    return "won"


def _run_threads(count: int, barrier: Any, work: Callable[[int], str]) -> list[str]:
    outcomes = [""] * count

    def run(n: int) -> None:
        barrier.wait(timeout=60)
        outcomes[n] = work(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return outcomes


def _assert_one_per_round(engine: Engine, outcomes: dict[int, list[str]]) -> None:
    for round_, results in sorted(outcomes.items()):
        assert sorted(results) == ["duplicate"] * (WRITERS - 1) + ["won"], (round_, results)
    with engine.connect() as connection:
        per_start = connection.execute(
            text(
                "SELECT count(*) FROM sessionkit_sessions WHERE series_id = 'series-1' "
                "GROUP BY start_at ORDER BY start_at"
            )
        ).scalars()
        assert list(per_start) == [1] * ROUNDS


def test_threads_adding_one_series_start_store_one_session(engine: Engine) -> None:
    store = SqlAlchemyStore(engine)
    outcomes: dict[int, list[str]] = {}
    for round_ in range(ROUNDS):
        barrier = threading.Barrier(WRITERS)
        outcomes[round_] = _run_threads(WRITERS, barrier, partial(_attempt, store, round_, 0))
    _assert_one_per_round(engine, outcomes)


def _process_writer(engine: Engine, barrier: Any, results: Any, first: int, count: int) -> None:
    """One forked process: ``count`` threads, each adding once per round."""
    engine.dispose(close=False)  # the parent's pooled connections are not ours to use
    store = SqlAlchemyStore(engine)
    for round_ in range(ROUNDS):
        outcomes = _run_threads(count, barrier, partial(_attempt, store, round_, first))
        results.put((round_, outcomes))


@pytest.mark.skipif(sys.platform != "linux", reason="forks worker processes")
def test_processes_adding_one_series_start_store_one_session(engine: Engine) -> None:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WRITERS)
    results = context.Queue()
    per_process = WRITERS // 2
    workers = [
        context.Process(
            target=_process_writer, args=(engine, barrier, results, p * per_process, per_process)
        )
        for p in range(2)
    ]
    for worker in workers:
        worker.start()
    outcomes: dict[int, list[str]] = {}
    for _ in range(2 * ROUNDS):
        round_, found = results.get(timeout=120)
        outcomes.setdefault(round_, []).extend(found)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    _assert_one_per_round(engine, outcomes)
