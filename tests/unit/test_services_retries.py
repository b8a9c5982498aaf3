"""A command the database aborted to break a deadlock runs again, a bounded number of times.

The store here is the in-memory one, whose unit of work is made to lose its
commit like a SQL database that picked it as a deadlock's victim: it raises
:class:`TransientConflict` and keeps nothing. The SQL adapter's own races are
in ``tests/integration/test_sqlalchemy_deadlock_races.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.memory._store import InMemoryUnitOfWork
from sessionkit.errors import InvalidValue, TransientConflict, WrongType
from sessionkit.model.events import SessionCreated
from sessionkit.model.query import SessionQuery
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TENANT = "acme"


class Deadlocks:
    """A unit-of-work factory whose first ``losses`` commits lose a deadlock."""

    def __init__(self, losses: int, *, joined: bool = False) -> None:
        self.events = RecordingPublisher()
        self.store = InMemoryStore(publisher=self.events)
        self.losses = losses
        self.joined = joined
        self.commits = 0

    def __call__(self) -> InMemoryUnitOfWork:
        factory = self

        class Losing(InMemoryUnitOfWork):
            def commit(self) -> None:
                factory.commits += 1
                if factory.losses > 0:
                    factory.losses -= 1
                    raise TransientConflict.aborted("deadlock", "postgresql", joined=factory.joined)
                super().commit()

        return Losing(self.store)


def _kit(units: Deadlocks, attempts: int = 3) -> SessionKit:
    return SessionKit(uow=units, clock=ManualClock(NOW), attempts=attempts)


def _create(kit: SessionKit) -> object:
    start = NOW + timedelta(days=1)
    return kit.sessions.create_extra(
        TENANT,
        actor="tina",
        start=start,
        end=start + timedelta(hours=1),
        lifecycle="lms",
        resources=["teacher:ana"],
    )


def _stored(units: Deadlocks) -> int:
    with units.store.unit_of_work() as uow:
        return uow.sessions.query(TENANT, SessionQuery()).total


def test_a_command_that_lost_a_deadlock_runs_again_and_publishes_once() -> None:
    units = Deadlocks(losses=2)
    _create(_kit(units))
    assert units.commits == 3
    assert _stored(units) == 1
    assert len(units.events.batches) == 1
    assert [type(e) for e in units.events.events] == [SessionCreated]


def test_a_command_gives_up_after_its_attempts() -> None:
    units = Deadlocks(losses=5)
    with pytest.raises(TransientConflict) as caught:
        _create(_kit(units, attempts=3))
    assert caught.value.attempts == 3
    assert units.commits == 3
    assert _stored(units) == 0
    assert units.events.events == []


def test_a_unit_joined_to_the_host_transaction_is_not_run_again() -> None:
    units = Deadlocks(losses=1, joined=True)
    with pytest.raises(TransientConflict) as caught:
        _create(_kit(units))
    assert not caught.value.retryable
    assert caught.value.attempts == 1
    assert units.commits == 1
    assert units.events.events == []


def test_nothing_runs_again_once_a_unit_of_the_command_committed() -> None:
    units = Deadlocks(losses=0)
    kit = _kit(units)
    runs = []

    def two_units() -> None:
        runs.append(1)
        with kit.context.transaction() as tx:
            tx.collect([])
        units.losses = 1  # the second unit loses its commit
        with kit.context.transaction():
            pass

    with pytest.raises(TransientConflict) as caught:
        kit.context.retrying(two_units)
    assert runs == [1]
    assert caught.value.attempts == 1


def test_attempts_must_be_a_positive_int() -> None:
    with pytest.raises(InvalidValue):
        _kit(Deadlocks(0), attempts=0)
    with pytest.raises(WrongType):
        _kit(Deadlocks(0), attempts="3")  # type: ignore[arg-type]
