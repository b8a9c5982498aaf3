"""Racing writers against real databases: no double booking, no lost update, no raw driver error.

Runs on a SQLite file always and on PostgreSQL when ``SESSIONKIT_TEST_POSTGRES_URL``
is set. Writers are 8 threads of this process, or 2 forked processes of 4
threads each; every round they all try to book overlapping hours of one teacher
at once, and exactly one may win.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import Engine, create_engine, text

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.errors import ConcurrentModification, SessionConflict
from sessionkit.testing.contract import TENANT, make_session

ROUNDS = 4
WRITERS = 8

# Any two busy rows of one resource that overlap: must always be empty.
OVERLAPS = text(
    "SELECT count(*) FROM sessionkit_session_resources a "
    "JOIN sessionkit_session_resources b ON a.tenant = b.tenant AND a.resource = b.resource "
    "AND a.session_id < b.session_id AND a.start_at < b.end_at AND b.start_at < a.end_at "
    "WHERE a.busy AND b.busy"
)


@pytest.fixture(params=["sqlite-file", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        shared: Engine = request.getfixturevalue("race_postgres")
        clear_tables(shared)
        yield shared
        return
    engine = create_engine(f"sqlite:///{tmp_path / 'race.db'}", pool_size=12)
    create_schema(engine)
    yield engine
    engine.dispose()


def _outcome(work: Callable[[], None]) -> str:
    try:
        work()
    except SessionConflict:
        return "conflict"
    except ConcurrentModification:
        return "stale"
    except BaseException as exc:  # noqa: BLE001  # reported to the test as a failure
        return f"error: {exc!r}"
    return "won"


def _book(store: SqlAlchemyStore, round_: int, writer: int) -> Callable[[], None]:
    def work() -> None:
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session(f"r{round_}-w{writer}", at=10 * round_ + writer / 10))
            uow.commit()

    return work


def _attempt(store: SqlAlchemyStore, round_: int, first: int, n: int) -> str:
    return _outcome(_book(store, round_, first + n))


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


def _assert_one_winner_per_round(outcomes: dict[int, list[str]]) -> None:
    for round_, results in sorted(outcomes.items()):
        assert sorted(results) == ["conflict"] * (WRITERS - 1) + ["won"], (round_, results)


def _assert_no_overlap(engine: Engine, sessions: int) -> None:
    with engine.connect() as connection:
        assert connection.execute(OVERLAPS).scalar() == 0
        stored = connection.execute(text("SELECT count(*) FROM sessionkit_sessions")).scalar()
    assert stored == sessions


def test_threads_racing_for_one_teacher_book_once(engine: Engine) -> None:
    store = SqlAlchemyStore(engine)
    outcomes: dict[int, list[str]] = {}
    for round_ in range(ROUNDS):
        barrier = threading.Barrier(WRITERS)
        outcomes[round_] = _run_threads(WRITERS, barrier, partial(_attempt, store, round_, 0))
    _assert_one_winner_per_round(outcomes)
    _assert_no_overlap(engine, ROUNDS)


def _process_writer(engine: Engine, barrier: Any, results: Any, first: int, count: int) -> None:
    """One forked process: ``count`` threads, each booking once per round."""
    engine.dispose(close=False)  # the parent's pooled connections are not ours to use
    store = SqlAlchemyStore(engine)
    for round_ in range(ROUNDS):
        outcomes = _run_threads(count, barrier, partial(_attempt, store, round_, first))
        results.put((round_, outcomes))


@pytest.mark.skipif(sys.platform != "linux", reason="forks worker processes")
def test_processes_racing_for_one_teacher_book_once(engine: Engine) -> None:
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
    _assert_one_winner_per_round(outcomes)
    _assert_no_overlap(engine, ROUNDS)


def test_concurrent_updates_of_one_session_one_wins(engine: Engine) -> None:
    store = SqlAlchemyStore(engine)
    original = make_session("a")
    with store.unit_of_work() as uow:
        uow.sessions.add(original)
        uow.commit()
    for round_ in range(ROUNDS):
        current = attrs.evolve(original, version=round_ + 1)

        def retitle(n: int, current: Any = current) -> str:
            def work() -> None:
                with store.unit_of_work() as uow:
                    uow.sessions.update(
                        attrs.evolve(current, title=f"t{n}"), expected_version=current.version
                    )
                    uow.commit()

            return _outcome(work)

        outcomes = _run_threads(2, threading.Barrier(2), retitle)
        assert sorted(outcomes) == ["stale", "won"], outcomes
    with store.unit_of_work() as uow:
        assert uow.sessions.get(TENANT, "a").version == ROUNDS + 1
