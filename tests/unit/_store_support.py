"""Stores for tests that run a case on the in-memory store and on SQLite, with a publisher."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.ports import EventPublisher, UnitOfWorkFactory

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
