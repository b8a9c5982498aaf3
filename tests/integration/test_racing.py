"""The shared race helper itself: every writer runs once, at once, and its failure is reported."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from ._racing import WRITER_KINDS, race


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    yield engine
    engine.dispose()


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_each_writer_runs_once_and_outcomes_come_in_writer_order(
    engine: Engine, processes: bool
) -> None:
    assert race(lambda n: f"w{n}", engine, writers=5, processes=processes) == [
        "w0",
        "w1",
        "w2",
        "w3",
        "w4",
    ]


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_writers_are_all_running_at_once(engine: Engine, processes: bool) -> None:
    """Each writer waits for all the others inside its work: run one by one, they would not meet."""
    meet = multiprocessing.get_context("fork").Barrier(4) if processes else threading.Barrier(4)
    outcomes = race(lambda _n: str(meet.wait(timeout=30)), engine, writers=4, processes=processes)
    assert sorted(outcomes) == ["0", "1", "2", "3"]


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_writers_are_spread_over_processes_of_per_process_threads(
    engine: Engine, processes: bool
) -> None:
    outcomes = race(
        lambda _n: str(os.getpid()), engine, writers=5, processes=processes, per_process=2
    )
    if not processes:
        assert set(outcomes) == {str(os.getpid())}
        return
    assert str(os.getpid()) not in outcomes
    assert [outcomes.index(pid) for pid in outcomes] == [0, 0, 2, 2, 4]  # (0 1) (2 3) (4)


def _refuse(n: int) -> str:
    if n == 1:
        raise ValueError(f"writer {n} refused")
    return "ok"


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_a_writer_that_raises_is_reported_with_its_traceback(
    engine: Engine, processes: bool
) -> None:
    first, failed, last = race(_refuse, engine, writers=3, processes=processes)
    assert (first, last) == ("ok", "ok")
    assert failed.startswith("error: ValueError('writer 1 refused')\nTraceback"), failed
    assert 'in _refuse\n    raise ValueError(f"writer {n} refused")' in failed
