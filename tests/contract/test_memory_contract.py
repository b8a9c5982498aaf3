"""The in-memory adapter against the storage contract."""

from __future__ import annotations

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.ports import EventPublisher, UnitOfWorkFactory
from sessionkit.testing.contract import StorageContract


class TestInMemoryStore(StorageContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work
