"""The contracts of the usage kinds: subscriptions, the ledger, counters, session codes.

Each class fills in the generic
:class:`~sessionkit.testing.contract.RepositoryContract` for one kind and adds
what its port promises beyond it: the ledger's unique key ``charge`` (one
entry per subscription, session and participant) and its reads, a
subscriber's subscriptions, a counter's atomic ``bump`` (a limit, and a
rolled-back bump that leaves no gap), and a code given once per tenant.
Subclass each once per adapter and implement ``make_store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import attrs
import pytest

from sessionkit.errors import DuplicateUsage, NotFound
from sessionkit.model.session import ResourceRef
from sessionkit.model.usage import Counter, SessionCode, Subscription, UsageEntry
from sessionkit.ports import (
    COUNTERS,
    SESSION_CODES,
    SUBSCRIPTIONS,
    USAGE,
    CounterRepository,
    SessionCodeRepository,
    SubscriptionRepository,
    UnitOfWork,
    UsageRepository,
)
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._support import OTHER_TENANT, T0, TENANT
from sessionkit.testing.contract.parents import ParentsContract
from sessionkit.testing.contract.repository import RepositoryContract

__all__ = [
    "CountersRepositoryContract",
    "SessionCodesRepositoryContract",
    "SubscriptionsRepositoryContract",
    "UsageRepositoryContract",
    "make_entry",
    "make_subscription",
]


def make_subscription(
    subscription_id: str,
    *,
    tenant: str = TENANT,
    subscriber: str = "student:ana",
    credits: int = 8,
    starts_in_days: int = 0,
) -> Subscription:
    """Return a monthly subscription in UTC starting ``starts_in_days`` after T0."""
    return Subscription(
        id=subscription_id,
        tenant=tenant,
        subscriber=subscriber,
        credits=credits,
        starts=T0 + timedelta(days=starts_in_days),
        created_at=T0,
    )


def make_entry(
    entry_id: str,
    *,
    tenant: str = TENANT,
    subscription_id: str = "sub1",
    session_id: str = "s1",
    participant: str = "student:ana",
    minutes: int = 0,
) -> UsageEntry:
    """Return an active entry consumed ``minutes`` after T0."""
    return UsageEntry(
        id=entry_id,
        tenant=tenant,
        subscription_id=subscription_id,
        session_id=session_id,
        participant=participant,
        period="2026-03",
        used_by=session_id,
        consumed_at=T0 + timedelta(minutes=minutes),
    )


class SubscriptionsRepositoryContract(RepositoryContract[Subscription]):
    """The contract of :data:`~sessionkit.ports.SUBSCRIPTIONS`; implement ``make_store``."""

    kind = SUBSCRIPTIONS

    def make_record(
        self, record_id: str, *, tenant: str = TENANT, variant: int = 0
    ) -> Subscription:
        """Return a subscription of ``student:s<variant>``."""
        return make_subscription(record_id, tenant=tenant, subscriber=f"student:s{variant}")

    def change(self, record: Subscription) -> Subscription:
        """Return the subscription with one more credit."""
        return attrs.evolve(record, credits=record.credits + 1)

    def subscriptions(self, uow: UnitOfWork) -> SubscriptionRepository:
        """Return the unit's subscription repository."""
        return uow.repository(SUBSCRIPTIONS)

    def test_for_subscriber_is_by_start_then_id(self, store: Factory) -> None:
        """A subscriber's subscriptions by ``starts`` then id; others' and other tenants' left out."""  # noqa: E501
        self.keep(
            store,
            make_subscription("b", starts_in_days=3),
            make_subscription("c", starts_in_days=1),
            make_subscription("a", starts_in_days=3),
            make_subscription("x", subscriber="student:bo"),
            make_subscription("y", tenant=OTHER_TENANT),
        )
        with store() as uow:
            found = self.subscriptions(uow).for_subscriber(TENANT, ResourceRef("student", "ana"))
            assert [s.id for s in found] == ["c", "a", "b"]


class UsageRepositoryContract(ParentsContract[UsageEntry]):
    """The contract of :data:`~sessionkit.ports.USAGE`; implement ``make_store``."""

    kind = USAGE

    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> UsageEntry:
        """Return an entry of ``sub1`` for session ``s<variant>``."""
        return make_entry(record_id, tenant=tenant, session_id=f"s{variant}")

    def change(self, record: UsageEntry) -> UsageEntry:
        """Return the entry reversed."""
        return attrs.evolve(record, reversed_at=T0 + timedelta(days=1), reason="corrected")

    def collide(self, record: UsageEntry, new_id: str) -> UsageEntry:
        """Return another entry for the same (subscription, session, participant)."""
        return attrs.evolve(record, id=new_id)

    def prepare(self, uow: UnitOfWork, records: Sequence[UsageEntry]) -> None:
        """Add the entries' subscriptions that are not stored yet."""
        repo = uow.repository(SUBSCRIPTIONS)
        for tenant, subscription_id in sorted({(r.tenant, r.subscription_id) for r in records}):
            try:
                repo.get(tenant, subscription_id)
            except NotFound:
                repo.add(make_subscription(subscription_id, tenant=tenant))

    def ledger(self, uow: UnitOfWork) -> UsageRepository:
        """Return the unit's usage repository."""
        return uow.repository(USAGE)

    def test_a_second_entry_for_a_charge_is_a_duplicate(self, store: Factory) -> None:
        """``DuplicateUsage`` with key "charge" and the stored entry, reversed or not."""
        first = make_entry("e1")
        self.keep(store, first)
        with store() as uow:
            ledger = self.ledger(uow)
            with pytest.raises(DuplicateUsage) as caught:
                ledger.add(make_entry("e2"))
            assert (caught.value.key, caught.value.existing) == ("charge", first)
            ledger.update(self.change(first), expected_version=1)
            with pytest.raises(DuplicateUsage):
                ledger.add(make_entry("e3"))
            ledger.add(make_entry("e4", participant="student:bo"))
            ledger.add(make_entry("e5", session_id="s2"))
            uow.commit()
        assert self.ids(store, TENANT, ["e1", "e2", "e3", "e4", "e5"]) == ["e1", "e4", "e5"]

    def test_for_session_finds_charged_and_used_entries(self, store: Factory) -> None:
        """A session's entries, charged to it or used by it (a makeup), by participant then id."""
        makeup = attrs.evolve(
            make_entry("m", session_id="s9", participant="student:al"), used_by="s1"
        )
        self.keep(
            store,
            make_entry("b", participant="student:bo"),
            make_entry("a", participant="student:cy"),
            makeup,
            make_entry("x", session_id="s2"),
            make_entry("y", tenant=OTHER_TENANT),
        )
        with store() as uow:
            ledger = self.ledger(uow)
            assert [e.id for e in ledger.for_session(TENANT, "s1")] == ["m", "b", "a"]
            assert [e.id for e in ledger.for_session(TENANT, "s9")] == ["m"]
            assert ledger.for_session(TENANT, "nope") == []

    def test_counts_are_of_entries_charged_to_or_used_by_each_session(self, store: Factory) -> None:
        """Any state; a makeup counts for both its sessions, and for one only once."""
        makeup = attrs.evolve(
            make_entry("m", session_id="s9", participant="student:al"), used_by="s1"
        )
        itself = attrs.evolve(make_entry("i", session_id="s7"), used_by="s7")
        self.keep(
            store,
            make_entry("b", participant="student:bo"),
            attrs.evolve(
                make_entry("a", participant="student:cy"), reversed_at=T0 + timedelta(hours=1)
            ),
            makeup,
            itself,
            make_entry("x", session_id="s2"),
            make_entry("y", tenant=OTHER_TENANT),
        )
        with store() as uow:
            ledger = self.ledger(uow)
            wanted = ["s1", "s9", "s7", "s2", "nope", "s1"]
            assert ledger.counts(TENANT, wanted) == {"s1": 3, "s9": 1, "s7": 1, "s2": 1}
            assert ledger.counts(OTHER_TENANT, ["s1"]) == {"s1": 1}
            assert ledger.counts(TENANT, []) == {}

    def test_for_subscription_is_by_consumption_then_id(self, store: Factory) -> None:
        """A subscription's entries (of one period if asked) by ``consumed_at`` then id."""
        other_month = attrs.evolve(make_entry("d", session_id="s4"), period="2026-04")
        self.keep(
            store,
            make_entry("c", session_id="s3", minutes=5),
            make_entry("b", session_id="s2", minutes=1),
            make_entry("a", session_id="s1", minutes=5),
            other_month,
            make_entry("z", subscription_id="sub2"),
        )
        with store() as uow:
            ledger = self.ledger(uow)
            assert [e.id for e in ledger.for_subscription(TENANT, "sub1")] == ["d", "b", "a", "c"]
            march = ledger.for_subscription(TENANT, "sub1", period="2026-03")
            assert [e.id for e in march] == ["b", "a", "c"]
            assert ledger.for_subscription(OTHER_TENANT, "sub1") == []


class CountersRepositoryContract(RepositoryContract[Counter]):
    """The contract of :data:`~sessionkit.ports.COUNTERS`; implement ``make_store``."""

    kind = COUNTERS

    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> Counter:
        """Return counter ``record_id`` at ``variant``."""
        return Counter(id=record_id, tenant=tenant, value=variant)

    def change(self, record: Counter) -> Counter:
        """Return the counter one higher."""
        return attrs.evolve(record, value=record.value + 1)

    def counters(self, uow: UnitOfWork) -> CounterRepository:
        """Return the unit's counter repository."""
        return uow.repository(COUNTERS)

    def test_bump_makes_then_moves_a_counter(self, store: Factory) -> None:
        """A new counter starts at 0; bumps add, per tenant and name; ``value`` reads it."""
        with store() as uow:
            counters = self.counters(uow)
            assert counters.value(TENANT, "n") == 0
            assert counters.bump(TENANT, "n") == 1
            assert counters.bump(TENANT, "n", 5) == 6
            assert counters.bump(TENANT, "n", -2) == 4
            assert counters.bump(OTHER_TENANT, "n") == 1
            assert counters.bump(TENANT, "m", 3) == 3
            uow.commit()
        with store() as uow:
            counters = self.counters(uow)
            assert (counters.value(TENANT, "n"), counters.value(OTHER_TENANT, "n")) == (4, 1)

    def test_bump_past_most_changes_nothing(self, store: Factory) -> None:
        """With ``most``, a bump above it returns ``None`` and leaves the value; up to it works."""
        with store() as uow:
            counters = self.counters(uow)
            assert counters.bump(TENANT, "n", 3, most=2) is None
            assert counters.value(TENANT, "n") == 0
            assert counters.bump(TENANT, "n", 2, most=2) == 2
            assert counters.bump(TENANT, "n", 1, most=2) is None
            assert counters.value(TENANT, "n") == 2
            assert counters.bump(TENANT, "n", -1, most=2) == 1
            uow.commit()

    def test_a_rolled_back_bump_leaves_no_gap(self, store: Factory) -> None:
        """A bump in a unit that is not committed is taken back: the next one gets its number."""
        with store() as uow:
            assert self.counters(uow).bump(TENANT, "n") == 1
            uow.commit()
        with store() as uow:
            assert self.counters(uow).bump(TENANT, "n") == 2
        with store() as uow:
            assert self.counters(uow).bump(TENANT, "n") == 2
            uow.commit()
        with store() as uow:
            assert self.counters(uow).value(TENANT, "n") == 2


class SessionCodesRepositoryContract(RepositoryContract[SessionCode]):
    """The contract of :data:`~sessionkit.ports.SESSION_CODES`; implement ``make_store``."""

    kind = SESSION_CODES

    def make_record(self, record_id: str, *, tenant: str = TENANT, variant: int = 0) -> SessionCode:
        """Return code number ``variant + 1`` for session ``record_id``."""
        number = variant + 1
        return SessionCode(
            id=record_id,
            tenant=tenant,
            code=f"QSE-1-{number:06d}",
            counter="session",
            number=number,
        )

    def change(self, record: SessionCode) -> SessionCode:
        """Return the record with another counter name."""
        return attrs.evolve(record, counter="renamed")

    def collide(self, record: SessionCode, new_id: str) -> SessionCode:
        """Return another session with the same code."""
        return attrs.evolve(record, id=new_id)

    def codes(self, uow: UnitOfWork) -> SessionCodeRepository:
        """Return the unit's session-code repository."""
        return uow.repository(SESSION_CODES)

    def test_by_code_finds_the_session_in_its_tenant(self, store: Factory) -> None:
        """``by_code`` returns the record holding a code, per tenant; ``None`` for none."""
        mine = self.make_record("s1")
        theirs = self.make_record("s7", tenant=OTHER_TENANT)
        only_theirs = self.make_record("s8", tenant=OTHER_TENANT, variant=1)
        self.keep(store, mine, theirs, only_theirs)
        with store() as uow:
            codes = self.codes(uow)
            assert codes.by_code(TENANT, "QSE-1-000001") == mine
            assert codes.by_code(OTHER_TENANT, "QSE-1-000001") == theirs
            assert codes.by_code(TENANT, only_theirs.code) is None
            assert codes.by_code(TENANT, "QSE-1-000009") is None
            with pytest.raises(DuplicateUsage) as caught:
                codes.add(self.make_record("s2"))
            assert (caught.value.key, caught.value.existing) == ("code", mine)
