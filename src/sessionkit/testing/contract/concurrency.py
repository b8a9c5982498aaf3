"""The contract under concurrency: units of work racing in threads.

Skipped where the capability ``concurrent_units`` is off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import attrs
import pytest

from sessionkit.errors import ConcurrentModification, SessionConflict
from sessionkit.model.query import SessionQuery
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.testing.contract._support import TENANT, ContractBase, make_session


class ConcurrencyContract(ContractBase):
    """Racing writers and updates, and isolation between units of work in several threads."""

    # ------------------------------------------------------------------ concurrency

    def _race(self, count: int, work: Callable[[int], None]) -> list[BaseException | None]:
        """Run ``work(n)`` in ``count`` threads released at once; return each outcome."""
        if not self.concurrent_units:
            pytest.skip("this adapter does not run units of work in several threads")
        barrier = threading.Barrier(count)
        outcomes: list[BaseException | None] = [None] * count

        def run(n: int) -> None:
            barrier.wait()
            try:
                work(n)
            except BaseException as exc:  # noqa: BLE001  # reported to the test
                outcomes[n] = exc

        threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a unit of work hung"
        return outcomes

    def test_racing_writers_book_one_resource_once(self, store: UnitOfWorkFactory) -> None:
        """Threads booking one teacher at once: one wins, the rest get SessionConflict."""
        for round_ in range(3):

            def book(n: int, round_: int = round_) -> None:
                with store() as uow:
                    uow.sessions.add(make_session(f"r{round_}-t{n}", at=10 * round_ + n / 10))
                    uow.commit()

            outcomes = self._race(8, book)
            assert sum(outcome is None for outcome in outcomes) == 1
            assert all(o is None or isinstance(o, SessionConflict) for o in outcomes), outcomes
        assert len(self.stored(store)) == 3

    def test_racing_updates_one_wins(self, store: UnitOfWorkFactory) -> None:
        """Threads updating one version of a session: one wins, the rest ConcurrentModification."""
        original = make_session("a")
        self.given(store, original)

        def retitle(n: int) -> None:
            with store() as uow:
                uow.sessions.update(attrs.evolve(original, title=f"t{n}"), expected_version=1)
                uow.commit()

        outcomes = self._race(4, retitle)
        assert sum(outcome is None for outcome in outcomes) == 1
        assert all(o is None or isinstance(o, ConcurrentModification) for o in outcomes), outcomes
        with store() as uow:
            assert uow.sessions.get(TENANT, "a").version == 2

    def test_uncommitted_writes_are_invisible_to_other_units(
        self, store: UnitOfWorkFactory
    ) -> None:
        """Another unit of work never sees uncommitted writes."""
        written = threading.Event()
        seen: list[int] = []

        def work(n: int) -> None:
            if n == 0:
                with store() as uow:
                    uow.sessions.add(make_session("a"))
                    written.set()
                    threading.Event().wait(0.05)
                    uow.rollback()
            else:
                written.wait(5)
                with store() as uow:
                    seen.append(uow.sessions.query(TENANT, SessionQuery()).total)

        outcomes = self._race(2, work)
        assert outcomes == [None, None]
        assert seen == [0]
