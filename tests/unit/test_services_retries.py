"""A command that lost a race runs again, a bounded number of times.

Lost races: the database aborted the transaction to break a deadlock, or a
concurrent writer moved a record on between the command's read and its write.

The store here is the in-memory one, whose unit of work is made to lose its
commit like a SQL database that picked it as a deadlock's victim (it raises
:class:`TransientConflict` and keeps nothing), or like a SQL store whose
versioned write found the record moved on (``ConcurrentModification``). The SQL
adapter's own races are in ``tests/integration/test_sqlalchemy_deadlock_races.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.memory._store import InMemoryUnitOfWork
from sessionkit.errors import (
    ConcurrentModification,
    DuplicateSession,
    InvalidValue,
    SessionConflict,
    SessionKitError,
    TransientConflict,
    WrongType,
)
from sessionkit.model import ResourceRef, ScheduleItem
from sessionkit.model.events import SessionCreated
from sessionkit.model.query import SessionQuery
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TENANT = "acme"


class Deadlocks:
    """A unit-of-work factory whose first ``losses`` commits lose a deadlock."""

    def __init__(self, losses: int, *, joined: bool | None = False) -> None:
        self.events = RecordingPublisher()
        self.store = InMemoryStore(publisher=self.events)
        self.losses = losses
        self.joined = joined
        self.commits = 0
        self.units = 0

    def lose(self) -> SessionKitError:
        return TransientConflict.aborted("deadlock", "postgresql", joined=bool(self.joined))

    def __call__(self) -> InMemoryUnitOfWork:
        factory = self
        self.units += 1

        class Losing(InMemoryUnitOfWork):
            @property
            def joined(self) -> bool:
                if factory.joined is None:  # an adapter that does not say
                    raise AttributeError("joined")
                return factory.joined

            def commit(self) -> None:
                factory.commits += 1
                if factory.losses > 0:
                    factory.losses -= 1
                    raise factory.lose()
                super().commit()

        return Losing(self.store)


class Races(Deadlocks):
    """A unit-of-work factory whose first ``losses`` units find a record moved on meanwhile.

    As a SQL store's versioned write does when a concurrent writer committed
    between the unit's read of the record and its write.
    """

    def lose(self) -> SessionKitError:
        return ConcurrentModification("s1", 1, 2)


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


# ----------------------------------------------------------------- a record moved on


def test_a_record_moved_on_between_read_and_write_runs_the_command_again() -> None:
    units = Races(losses=2)
    _create(_kit(units))
    assert units.commits == 3
    assert _stored(units) == 1
    assert [type(e) for e in units.events.events] == [SessionCreated]


def test_a_record_moved_on_at_every_attempt_gives_up_after_the_attempts() -> None:
    units = Races(losses=5)
    with pytest.raises(ConcurrentModification) as caught:
        _create(_kit(units, attempts=3))
    assert (caught.value.retryable, caught.value.attempts) == (True, 3)
    assert units.commits == 3
    assert _stored(units) == 0
    assert units.events.events == []


def test_the_callers_stale_expected_version_is_not_run_again() -> None:
    units = Races(losses=0)
    kit = _kit(units)
    session: Any = _create(kit)
    before = units.units
    with pytest.raises(ConcurrentModification) as caught:
        kit.sessions.update(TENANT, session.id, actor="tina", title="B", expected_version=7)
    assert (caught.value.expected, caught.value.actual) == (7, session.version)
    assert (caught.value.retryable, caught.value.attempts) == (False, 1)
    assert units.units == before + 1  # one unit: read once, refused once


@pytest.mark.parametrize("joined", [True, None], ids=["joined", "adapter-does-not-say"])
def test_a_record_moved_on_in_a_unit_that_may_not_be_whole_is_not_run_again(
    joined: bool | None,
) -> None:
    units = Races(losses=1, joined=joined)
    with pytest.raises(ConcurrentModification) as caught:
        _create(_kit(units))
    assert (caught.value.retryable, caught.value.attempts) == (False, 1)
    assert units.commits == 1
    assert _stored(units) == 0


# ----------------------------------------------------------------- a resource taken


class Taken(Deadlocks):
    """A unit-of-work factory whose first ``losses`` units find a teacher taken meanwhile.

    As a SQL store's write does when a concurrent writer stored a session on the
    same resource after the unit's read of the busy sessions.
    """

    def lose(self) -> SessionKitError:
        return SessionConflict("teacher:ana is busy", conflicts=())


def _series(kit: SessionKit) -> object:
    return kit.series.create(
        TENANT,
        actor="tina",
        title="Algebra",
        items=[
            ScheduleItem(
                "mon",
                Recurrence.weekly(
                    days=("MO",),
                    at=time(17),
                    duration=timedelta(hours=1),
                    tz="UTC",
                    start=date(2026, 3, 2),
                ),
                (ResourceRef("teacher", "ana"),),
            )
        ],
    )


def test_a_series_that_met_a_session_stored_after_its_read_runs_again() -> None:
    # The next attempt reads the session and skips its occurrence, as a series always does
    # with the busy sessions it finds.
    units = Taken(losses=1)
    _series(_kit(units))
    assert units.commits == 2
    assert _stored(units) > 0


def test_a_single_session_s_conflict_is_the_answer_not_a_race() -> None:
    units = Taken(losses=1)
    with pytest.raises(SessionConflict) as caught:
        _create(_kit(units))
    assert (caught.value.retryable, caught.value.attempts) == (False, 1)
    assert units.commits == 1


def test_a_series_that_meets_taken_resources_at_every_attempt_gives_up() -> None:
    units = Taken(losses=5)
    with pytest.raises(SessionConflict) as caught:
        _series(_kit(units, attempts=2))
    assert (caught.value.retryable, caught.value.attempts) == (True, 2)
    assert units.commits == 2
    assert _stored(units) == 0


def test_an_occurrence_stored_after_a_series_read_runs_it_again() -> None:
    # PostgreSQL refuses the series' (series, start) key before any conflict check: the
    # same race as a resource taken, and the next attempt skips what exists.
    units = Taken(losses=1)
    units.lose = lambda: DuplicateSession("taken", key="series_start")  # type: ignore[method-assign]
    _series(_kit(units))
    assert units.commits == 2
    by_id = Taken(losses=1)  # a duplicate id is no race: never the case for generated ids
    by_id.lose = lambda: DuplicateSession("taken", key="id")  # type: ignore[method-assign]
    with pytest.raises(DuplicateSession) as caught:
        _series(_kit(by_id))
    assert (caught.value.retryable, caught.value.attempts) == (False, 1)


def test_an_inner_command_s_attempts_are_the_count_an_outer_one_reports() -> None:
    # cancel runs fire, both retried: the outer one set attempts=1 over the inner's 3.
    units = Races(losses=0)
    kit = _kit(units)
    session: Any = _create(kit)
    units.losses = 10
    with pytest.raises(ConcurrentModification) as caught:
        kit.sessions.cancel(TENANT, session.id, actor="tina")
    assert (caught.value.retryable, caught.value.attempts) == (True, 3)
    assert units.losses == 10 - 3  # three runs, not nine


# ------------------------------------------------------- arguments read once, run again


def test_a_command_run_again_reads_a_one_shot_iterator_argument_again() -> None:
    """A generator of ids or resources was used up by the attempt that lost the race.

    The attempt run again saw no items: ``fire_many`` returned ``[]`` having
    changed nothing, and ``update``/``create_extra`` stored a session holding no
    resource at all (so no conflict check either).
    """
    units = Deadlocks(losses=0)
    kit = _kit(units)
    first, second = (
        _create(kit),
        kit.sessions.create_extra(
            TENANT,
            actor="tina",
            start=NOW + timedelta(days=2),
            end=NOW + timedelta(days=2, hours=1),
            lifecycle="lms",
            resources=["teacher:ana"],
        ),
    )
    ids = [first.id, second.id]  # type: ignore[attr-defined]
    units.losses = 1
    moved = kit.sessions.update(
        TENANT, ids[0], actor="tina", resources=(r for r in ["teacher:ben", "room:r1"])
    )
    assert [str(r) for r in moved.resources] == ["room:r1", "teacher:ben"]
    units.losses = 1
    fired = kit.sessions.fire_many(TENANT, (i for i in ids), "cancel", actor="tina")
    assert [(s.id, s.status) for s in fired] == [(i, "CANCELED") for i in ids]
    units.losses = 1
    start = NOW + timedelta(days=3)
    made = kit.sessions.create_extra(
        TENANT,
        actor="tina",
        start=start,
        end=start + timedelta(hours=1),
        lifecycle="lms",
        resources=iter(["teacher:ana"]),
    )
    assert [str(r) for r in kit.queries.get(TENANT, made.id).resources] == ["teacher:ana"]
    assert units.losses == 0  # each command lost once and ran again
