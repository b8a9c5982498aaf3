"""The in-memory adapter against the generic repository contract, for five kinds.

The third kind, memos, is defined here and nowhere in sessionkit: the memory
store keeps it with no adapter code and no registration.
"""

from __future__ import annotations

import attrs

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.ports import EventPublisher, Kind, Repository, UniqueKey, UnitOfWorkFactory
from sessionkit.testing.contract import (
    TENANT,
    BookingsRepositoryContract,
    CountersRepositoryContract,
    JournalRepositoryContract,
    OverridesRepositoryContract,
    PaymentEventsRepositoryContract,
    PaymentsRepositoryContract,
    PresenceRepositoryContract,
    RepositoryContract,
    ReschedulesRepositoryContract,
    SeriesRepositoryContract,
    SessionCodesRepositoryContract,
    SessionsRepositoryContract,
    SubscriptionsRepositoryContract,
    UsageRepositoryContract,
)


@attrs.frozen
class Memo:
    """A record kind sessionkit has never heard of."""

    id: str
    tenant: str
    text: str
    ref: str | None = None
    version: int = 1


MEMOS: Kind[Repository[Memo]] = Kind("memo", Memo, unique=(UniqueKey("ref", ("ref",)),))


class TestMemorySessions(SessionsRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestMemorySeries(SeriesRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestMemoryBookings(BookingsRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestMemoryPayments(PaymentsRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestMemoryPaymentEvents(PaymentEventsRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestMemoryReschedules(ReschedulesRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestMemoryJournal(JournalRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestMemoryMemos(RepositoryContract[Memo]):
    kind = MEMOS

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work

    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> Memo:
        return Memo(record_id, tenant, text=f"memo {variant}", ref=f"ref-{variant}")

    def change(self, record: Memo) -> Memo:
        return attrs.evolve(record, text=record.text + " (changed)")

    def collide(self, record: Memo, new_id: str) -> Memo:
        return attrs.evolve(record, id=new_id)


# -- usage (issue 14) -------------------------------------------------------------


class TestMemorySubscriptions(SubscriptionsRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestMemoryUsage(UsageRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestMemoryCounters(CountersRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestMemorySessionCodes(SessionCodesRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestMemoryPresence(PresenceRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestMemoryOverrides(OverridesRepositoryContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work
