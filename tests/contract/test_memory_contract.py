"""The in-memory adapter against the storage contract."""

from __future__ import annotations

import threading

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.conflicts import find_conflicts
from sessionkit.errors import SessionConflict
from sessionkit.model.query import SessionQuery
from sessionkit.ports import EventPublisher, UnitOfWorkFactory
from sessionkit.testing.contract import TENANT, StorageContract, make_session


class TestInMemoryStore(StorageContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


def _race_round(store: InMemoryStore, round_: int, count: int) -> list[BaseException | None]:
    """Let ``count`` threads book overlapping hours of one teacher at once."""
    barrier = threading.Barrier(count)
    outcomes: list[BaseException | None] = [None] * count

    def book(n: int) -> None:
        barrier.wait()
        try:
            with store.unit_of_work() as uow:
                uow.sessions.add(make_session(f"r{round_}-{n}", at=round_ * 10 + n / 20))
                uow.commit()
        except BaseException as exc:  # noqa: BLE001  # collected for the assertions
            outcomes[n] = exc

    workers = [threading.Thread(target=book, args=(n,)) for n in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not any(worker.is_alive() for worker in workers)
    return outcomes


def test_threads_racing_for_one_teacher_never_double_book() -> None:
    store = InMemoryStore()
    rounds = 5
    for round_ in range(rounds):
        outcomes = _race_round(store, round_, 12)
        assert [o for o in outcomes if o is None] == [None]
        assert all(isinstance(o, SessionConflict) for o in outcomes if o is not None)
    with store.unit_of_work() as uow:
        stored = uow.sessions.query(TENANT, SessionQuery(limit=100)).items
    assert len(stored) == rounds
    busy = [s for s in stored if s.busy]
    assert find_conflicts(busy, span=lambda s: s.span, resources=lambda s: s.resources) == []
