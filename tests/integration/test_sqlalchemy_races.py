"""Racing writers against real databases: no double booking, no lost update, no raw driver error.

Runs on a SQLite file always, on PostgreSQL when ``SESSIONKIT_TEST_POSTGRES_URL``
is set and on MariaDB/MySQL when ``SESSIONKIT_TEST_MYSQL_URL`` is (until 2026-12-02
MariaDB was left out here). Writers are 8 threads of this process, or 2 forked
processes of 4 threads each; every round they all try to book overlapping hours
of one teacher at once, and exactly one may win.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import attrs
import pytest
from sqlalchemy import Engine, text

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import ConcurrentModification, SessionConflict
from sessionkit.testing.contract import TENANT, make_session

from ._racing import WRITER_KINDS, WRITERS, race, race_rounds

ROUNDS = 4
PROCESSES = 2

# Any two busy rows of one resource that overlap: must always be empty.
OVERLAPS = text(
    "SELECT count(*) FROM sessionkit_session_resources a "
    "JOIN sessionkit_session_resources b ON a.tenant = b.tenant AND a.resource = b.resource "
    "AND a.session_id < b.session_id AND a.start_at < b.end_at AND b.start_at < a.end_at "
    "WHERE a.busy AND b.busy"
)


@pytest.fixture
def engine(race_engine: Engine) -> Engine:
    return race_engine


def _outcome(work: Callable[[], None]) -> str:
    try:
        work()
    except SessionConflict:
        return "conflict"
    except ConcurrentModification:
        return "stale"
    return "won"


def _book(store: SqlAlchemyStore, round_: int, writer: int) -> Callable[[], None]:
    def work() -> None:
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session(f"r{round_}-w{writer}", at=10 * round_ + writer / 10))
            uow.commit()

    return work


def _attempt(store: SqlAlchemyStore, round_: int, n: int) -> str:
    return _outcome(_book(store, round_, n))


def _assert_one_winner_per_round(outcomes: dict[int, list[str]]) -> None:
    for round_, results in sorted(outcomes.items()):
        assert sorted(results) == ["conflict"] * (WRITERS - 1) + ["won"], (round_, results)


def _assert_no_overlap(engine: Engine, sessions: int) -> None:
    with engine.connect() as connection:
        assert connection.execute(OVERLAPS).scalar() == 0
        stored = connection.execute(text("SELECT count(*) FROM sessionkit_sessions")).scalar()
    assert stored == sessions


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_writers_racing_for_one_teacher_book_once(engine: Engine, processes: bool) -> None:
    """Writers are 8 threads, or 2 forked processes of 4 threads each."""
    store = SqlAlchemyStore(engine)
    outcomes = race_rounds(
        partial(_attempt, store),
        engine,
        rounds=ROUNDS,
        writers=WRITERS,
        processes=processes,
        per_process=WRITERS // PROCESSES,
    )
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

        outcomes = race(retitle, engine, writers=2, processes=False)
        assert sorted(outcomes) == ["stale", "won"], outcomes
    with store.unit_of_work() as uow:
        assert uow.sessions.get(TENANT, "a").version == ROUNDS + 1
