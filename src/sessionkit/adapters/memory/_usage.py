"""The usage kinds in memory: a subscriber's subscriptions, the ledger's reads, atomic counters.

Units of work on one in-memory store are serialised, so a counter's bump
is atomic as it is; it goes through the unit's journal like every write,
so a rolled-back bump is taken back and leaves no gap.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from sessionkit.adapters.memory._repository import MemoryRepository, register
from sessionkit.model.session import ResourceRef
from sessionkit.model.usage import Counter, SessionCode, Subscription, UsageEntry
from sessionkit.ports import COUNTERS, SESSION_CODES, SUBSCRIPTIONS, USAGE

__all__ = [
    "InMemoryCounterRepository",
    "InMemorySessionCodeRepository",
    "InMemorySubscriptionRepository",
    "InMemoryUsageRepository",
]


class InMemorySubscriptionRepository(MemoryRepository[Subscription]):
    """The :class:`~sessionkit.ports.SubscriptionRepository` of an in-memory unit of work."""

    def for_subscriber(self, tenant: str, subscriber: ResourceRef) -> list[Subscription]:
        """Return the subscriber's subscriptions (any window), by ``starts`` then id."""
        found = [s for s in self.table.of(tenant).values() if s.subscriber == subscriber]
        return sorted(found, key=lambda s: (s.starts, s.id))


class InMemoryUsageRepository(MemoryRepository[UsageEntry]):
    """The :class:`~sessionkit.ports.UsageRepository` of an in-memory unit of work."""

    def for_session(self, tenant: str, session_id: str) -> list[UsageEntry]:
        """Return entries charged to or used by ``session_id`` (any state), by participant, id."""
        found = [
            e for e in self.table.of(tenant).values() if session_id in (e.session_id, e.used_by)
        ]
        return sorted(found, key=lambda e: (str(e.participant), e.id))

    def for_subscription(
        self, tenant: str, subscription_id: str, *, period: str | None = None
    ) -> list[UsageEntry]:
        """Return the subscription's entries (of ``period`` if given), by consumed_at then id."""
        found = [
            e
            for e in self.table.of(tenant).values()
            if e.subscription_id == subscription_id and (period is None or e.period == period)
        ]
        return sorted(found, key=lambda e: (e.consumed_at, e.id))

    def counts(self, tenant: str, session_ids: Iterable[str]) -> dict[str, int]:
        """Return how many entries (any state) each session is charged or used by; none: left out.

        An entry charged to one session and used by another (a makeup) counts
        for both.
        """
        wanted = dict.fromkeys(session_ids)
        found: dict[str, int] = {}
        for entry in self.table.of(tenant).values():
            for session_id in {entry.session_id, entry.used_by}:
                if session_id in wanted:
                    found[session_id] = found.get(session_id, 0) + 1
        return {session_id: found[session_id] for session_id in wanted if session_id in found}


class InMemoryCounterRepository(MemoryRepository[Counter]):
    """The :class:`~sessionkit.ports.CounterRepository` of an in-memory unit of work."""

    def bump(self, tenant: str, name: str, by: int = 1, *, most: int | None = None) -> int | None:
        """Add ``by`` to counter ``name`` (made at 0 first); ``None`` past ``most``, unchanged."""
        journal, table = self._open()
        old = table.get(tenant, name)
        value = (0 if old is None else old.value) + by
        if most is not None and value > most:
            return None
        if old is None:
            journal.insert(table, Counter(id=name, tenant=tenant, value=value))
        else:
            journal.replace(table, old, attrs.evolve(old, value=value, version=old.version + 1))
        return value

    def value(self, tenant: str, name: str) -> int:
        """Return counter ``name``'s value (0 for a counter never bumped)."""
        found = self.table.get(tenant, name)
        return 0 if found is None else found.value


class InMemorySessionCodeRepository(MemoryRepository[SessionCode]):
    """The :class:`~sessionkit.ports.SessionCodeRepository` of an in-memory unit of work."""

    def by_code(self, tenant: str, code: str) -> SessionCode | None:
        """Return the record holding ``code``, or ``None``."""
        table = self.table
        owner = table.unique["code"].lookup(tenant, (code,))
        return None if owner is None else table.get(tenant, owner)


register(SUBSCRIPTIONS, InMemorySubscriptionRepository)
register(USAGE, InMemoryUsageRepository)
register(COUNTERS, InMemoryCounterRepository)
register(SESSION_CODES, InMemorySessionCodeRepository)
