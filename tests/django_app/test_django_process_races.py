"""Race tests of the Django store with processes: separate interpreters, separate connections.

Four spawned processes (``multiprocessing``'s ``spawn``: nothing inherited
but what is passed) each configure Django themselves with the parent's
``DATABASES`` (:func:`.django_settings.configure`, as the conftest does),
wait at one barrier, then write at once, on PostgreSQL and on a SQLite file:

- booking the last two seats of a session: exactly two bookings, the others
  ``CapacityExceeded`` (the session row's lock on PostgreSQL);
- adding sessions of one resource at one time: one, the others
  ``SessionConflict`` (advisory locks and the exclusion constraint);
- ending one lesson, half completing it and half consuming its credits: one
  ledger entry (the unique constraint ``sk_usage_charge``);
- requesting a reschedule of one session: one pending request, the others
  refused with the rule ``one_pending`` (the conditional unique constraint).

The processes are one pool for the module (started once: spawning costs
about a second each), import what the tasks need when they start and
connect before each race's barrier (so no writer lags behind the others),
and close their connections after every task. Each test races
:data:`ROUNDS` times on emptied tables: one round, released by a barrier
across processes, overlaps the writers' transactions too seldom to fail
reliably without the guard. The thread races in ``test_django_races.py``
cover the same rules at lower cost.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from types import ModuleType

import pytest
from django.conf import settings

from sessionkit.contrib.django.store import DjangoStore
from sessionkit.model import ResourceRef
from sessionkit.model.booking import CONFIRMED
from sessionkit.ports import RESCHEDULES, USAGE
from sessionkit.testing.contract import TENANT
from sessionkit.testing.contract.bookings import make_booking, make_booking_session

from .conftest import POSTGRES_URL, TAKES_TURNS_ONLY, clear, sqlite_takes_turns

WORKERS = 4
ROUNDS = int(os.environ.get("SESSIONKIT_RACE_ROUNDS", "3"))
"""Races per test: ``SESSIONKIT_RACE_ROUNDS``, as the integration race tests read it."""


@pytest.fixture(scope="module")
def workers() -> Iterator[tuple[ModuleType, ProcessPoolExecutor]]:
    """The worker module (imported by name, as the workers import it) and the pool of workers."""
    with pytest.MonkeyPatch.context() as patch:
        # Spawned workers get this sys.path: they import race_workers and django_settings by name.
        patch.syspath_prepend(os.path.dirname(__file__))
        module = importlib.import_module("race_workers")
        context = multiprocessing.get_context("spawn")
        databases = {alias: dict(found) for alias, found in settings.DATABASES.items()}
        pool = ProcessPoolExecutor(
            max_workers=WORKERS,
            mp_context=context,
            initializer=module.start,
            initargs=(databases, context.Barrier(WORKERS)),
        )
        try:
            yield module, pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(params=["sqlite_file", "postgres"])
def using(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "postgres" and not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run the PostgreSQL race tests")
    if request.param == "sqlite_file" and not sqlite_takes_turns():
        pytest.skip(TAKES_TURNS_ONLY)
    alias: str = request.getfixturevalue(f"{request.param}_db")
    clear(alias)
    yield alias
    clear(alias)


def race(
    workers: tuple[ModuleType, ProcessPoolExecutor], task: str, using: str, argument: str
) -> list[str]:
    """Run ``task`` in every worker at once (released by one barrier); return the outcomes."""
    module, pool = workers
    futures = [pool.submit(module.run, task, using, n, argument) for n in range(WORKERS)]
    outcomes = [str(future.result(timeout=120)) for future in futures]
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    return outcomes


def test_processes_book_the_last_seats_exactly(
    workers: tuple[ModuleType, ProcessPoolExecutor], using: str
) -> None:
    store = DjangoStore(using=using)
    for _ in range(ROUNDS):
        clear(using)
        with store.unit_of_work() as uow:
            uow.sessions.add(make_booking_session("s1", capacity=3))
            uow.bookings.add(make_booking("first"))
            uow.commit()
        outcomes = race(workers, "book", using, "s1")
        assert sorted(outcomes) == ["booked"] * 2 + ["refused: CapacityExceeded"] * 2
        with store.unit_of_work() as uow:
            confirmed = uow.bookings.for_session(TENANT, "s1", statuses=[CONFIRMED])
        assert sum(b.seats for b in confirmed) == 3


def test_processes_never_double_book_a_resource(
    workers: tuple[ModuleType, ProcessPoolExecutor], using: str
) -> None:
    for _ in range(ROUNDS):
        clear(using)
        outcomes = race(workers, "add_session", using, "room:r1")
        assert sorted(outcomes) == ["added"] + ["refused: SessionConflict"] * 3
        with DjangoStore(using=using).unit_of_work() as uow:
            stored = uow.sessions.get_many(TENANT, [f"t{n}" for n in range(WORKERS)])
        assert len(stored) == 1


def test_processes_ending_one_lesson_consume_its_credit_once(
    workers: tuple[ModuleType, ProcessPoolExecutor], using: str
) -> None:
    module, _ = workers
    kit = module.kit(using)
    for _ in range(ROUNDS):
        clear(using)
        subscription = kit.usage.subscribe(
            TENANT,
            actor="admin",
            subscriber="student:ana",
            credits=10,
            per="total",
            starts=module.NOW,
        )
        start = module.NOW + timedelta(hours=1)
        lesson = kit.sessions.create_extra(
            TENANT,
            actor="admin",
            start=start,
            end=start + timedelta(minutes=45),
            resources=[ResourceRef("teacher", "tara")],
            lifecycle="academy",
        )
        kit.bookings.book(TENANT, lesson.id, "student:ana", actor="admin", confirm=True)
        kit.sessions.fire(TENANT, lesson.id, "ready", actor="admin")
        kit.sessions.fire(TENANT, lesson.id, "start", actor="admin")
        outcomes = race(workers, "end", using, lesson.id)
        assert outcomes.count("completed") == 1, outcomes
        with DjangoStore(using=using).unit_of_work() as uow:
            entries = uow.repository(USAGE).for_subscription(TENANT, subscription.id)
            assert uow.sessions.get(TENANT, lesson.id).status == "COMPLETED"
        assert [(e.session_id, e.participant.id, e.active) for e in entries] == [
            (lesson.id, "ana", True)
        ], outcomes
        assert kit.usage.balance(TENANT, subscription.id).used == 1


def test_processes_requesting_a_reschedule_leave_one_pending(
    workers: tuple[ModuleType, ProcessPoolExecutor], using: str
) -> None:
    module, _ = workers
    kit = module.kit(using)
    for _ in range(ROUNDS):
        clear(using)
        lesson = kit.sessions.create_extra(
            TENANT,
            actor="cleo",
            start=datetime(2026, 3, 6, 9, tzinfo=UTC),
            end=datetime(2026, 3, 6, 9, 45, tzinfo=UTC),
            resources=[ResourceRef("coach", "c0")],
            lifecycle="lms",
            title="Maths",
        )
        outcomes = race(workers, "request", using, lesson.id)
        assert sorted(outcomes) == ["pending"] + ["refused: RescheduleRefused one_pending"] * 3
        with DjangoStore(using=using).unit_of_work() as uow:
            requests = uow.repository(RESCHEDULES).for_session(TENANT, lesson.id)
        assert [r.status for r in requests] == ["PENDING"]
