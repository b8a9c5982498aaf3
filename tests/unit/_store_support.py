"""Stores for tests that run a case on the in-memory store and on SQLite, with a publisher."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.model.series import ScheduleItem
from sessionkit.ports import EventPublisher, UnitOfWorkFactory
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

StoreMaker = Callable[[EventPublisher], UnitOfWorkFactory]
"""Makes a fresh store publishing to the publisher given; returns its unit-of-work factory."""


def memory_store(publisher: EventPublisher) -> UnitOfWorkFactory:
    """A fresh in-memory store."""
    return InMemoryStore(publisher=publisher).unit_of_work


def sqlite_store(publisher: EventPublisher) -> UnitOfWorkFactory:
    """A fresh SQLite database in memory, on one connection, with sessionkit's tables."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    create_schema(engine)
    return SqlAlchemyStore(engine, publisher).unit_of_work


STORES: dict[str, StoreMaker] = {"memory": memory_store, "sqlite": sqlite_store}
"""Both, by the name a parametrized test shows."""


def kit_on(
    uow: UnitOfWorkFactory, now: datetime, *, prefix: str = "x", **options: Any
) -> SessionKit:
    """A kit over ``uow`` at ``now``, its ids ``f"{prefix}1"``, ``f"{prefix}2"``, ..."""
    counter = itertools.count(1)
    return SessionKit(
        uow=uow, clock=ManualClock(now), ids=lambda: f"{prefix}{next(counter)}", **options
    )


def fresh_kit(store: StoreMaker, now: datetime, **options: Any) -> SessionKit:
    """A kit at ``now`` over a fresh ``store`` publishing to a new recorder."""
    return kit_on(store(RecordingPublisher()), now, **options)


def weekly(
    hour: int, teacher: str = "teacher:ana", *, days: Sequence[str] = ("MO",)
) -> ScheduleItem:
    """A class of ``teacher`` at ``hour`` in Berlin on ``days``, weekly from Monday 2 March 2026."""
    return ScheduleItem(
        "class",
        Recurrence.weekly(
            days=tuple(days),
            at=time(hour),
            duration=timedelta(hours=1),
            tz="Europe/Berlin",
            start=date(2026, 3, 2),
        ),
        (teacher,),
    )
