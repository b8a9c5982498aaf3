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

from functools import partial

import pytest
from sqlalchemy import Engine, text

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import DuplicateSession, TransientConflict
from sessionkit.testing.contract import make_series, make_session

from ._racing import WRITER_KINDS, WRITERS, race_rounds

ROUNDS = 3
PROCESSES = 2
ATTEMPTS = 5
"""Runs of one writer's unit of work, past deadlocks (the kit's retry policy runs 3)."""


@pytest.fixture
def engine(race_engine: Engine) -> Engine:
    _add_series(race_engine)
    return race_engine


def _add_series(engine: Engine) -> None:
    with SqlAlchemyStore(engine).unit_of_work() as uow:
        uow.series.add(make_series("series-1"))
        uow.commit()


def _attempt(store: SqlAlchemyStore, round_: int, n: int) -> str:
    """Store an extra session of series-1 at the round's start; say how it went."""
    session = make_session(
        f"r{round_}-w{n}", series_id="series-1", is_extra=True, busy=False, at=10 * round_
    )
    for _ in range(ATTEMPTS):
        try:
            with store.unit_of_work() as uow:
                uow.sessions.add(session)
                uow.commit()
        except TransientConflict:
            # InnoDB may pick a waiter on the same unique key as a deadlock's victim (seen
            # on a loaded machine); it wrote nothing and runs again, as the kit's retries do.
            continue
        except DuplicateSession as error:
            if error.key != "series_start" or error.existing is None:
                return f"wrong duplicate: key={error.key!r} existing={error.existing!r}"
            return "duplicate"
        return "won"
    return "deadlocked every time"


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


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_writers_adding_one_series_start_store_one_session(engine: Engine, processes: bool) -> None:
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
    _assert_one_per_round(engine, outcomes)
