"""The usage kinds: subscriptions, the usage ledger, counters and session codes.

The ledger's unique key ``charge`` (subscription, session, participant) is
what counts a session once: every store refuses a second entry, however
the writers race. Counters move with :meth:`CounterRepository.bump`, an
atomic add in the store (an ``UPDATE ... SET value = value + :by`` in SQL),
never a read followed by a versioned write, so concurrent writers queue on
the counter instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sessionkit.errors import DuplicateUsage, SubscriptionNotFound
from sessionkit.model.session import ResourceRef
from sessionkit.model.usage import Counter, SessionCode, Subscription, UsageEntry
from sessionkit.ports._storage import Kind, Repository, UniqueKey


class SubscriptionRepository(Repository[Subscription], Protocol):
    """Subscriptions of all tenants: the generic methods plus a subscriber's."""

    def for_subscriber(self, tenant: str, subscriber: ResourceRef) -> list[Subscription]:
        """Return the subscriber's subscriptions (any window), by ``starts`` then id."""
        ...


class UsageRepository(Repository[UsageEntry], Protocol):
    """The usage ledger: the generic methods plus the reads consumption and balances need.

    ``add`` refuses a second entry for a (subscription, session, participant)
    with ``DuplicateUsage`` (key ``"charge"``).
    """

    def for_session(self, tenant: str, session_id: str) -> list[UsageEntry]:
        """Return entries charged to or used by ``session_id`` (any state), by participant, id."""
        ...

    def for_subscription(
        self, tenant: str, subscription_id: str, *, period: str | None = None
    ) -> list[UsageEntry]:
        """Return the subscription's entries (of ``period`` if given), by consumed_at then id."""
        ...

    def counts(self, tenant: str, session_ids: Iterable[str]) -> dict[str, int]:
        """Return how many entries (any state) each session is charged or used by; none: left out.

        An entry charged to one session and used by another (a makeup) counts
        for both.
        """
        ...


class CounterRepository(Repository[Counter], Protocol):
    """Named per-tenant counters moved atomically."""

    def bump(self, tenant: str, name: str, by: int = 1, *, most: int | None = None) -> int | None:
        """Add ``by`` to counter ``name`` (made at 0 first) and return its new value.

        With ``most``, a bump that would take the value above ``most``
        changes nothing and returns ``None``. The counter stays locked to
        other writers until the unit of work ends, so concurrent bumps queue,
        and a rolled-back bump leaves no gap.
        """
        ...

    def value(self, tenant: str, name: str) -> int:
        """Return counter ``name``'s value (0 for a counter never bumped)."""
        ...


class SessionCodeRepository(Repository[SessionCode], Protocol):
    """Session codes: one per session (the record's id is the session's), unique per tenant."""

    def by_code(self, tenant: str, code: str) -> SessionCode | None:
        """Return the record holding ``code``, or ``None``."""
        ...


def _duplicate(
    kind: str, record: object, key: UniqueKey | None, existing: object
) -> DuplicateUsage:
    record_id = getattr(record, "id", None)
    tenant = getattr(record, "tenant", None)
    if key is None:
        message = f"{kind} {record_id!r} already exists for tenant {tenant!r}"
    elif key.name == "charge":
        message = (
            f"subscription {getattr(record, 'subscription_id', None)!r} already has a usage "
            f"entry for session {getattr(record, 'session_id', None)!r} and "
            f"{getattr(record, 'participant', None)} ({getattr(existing, 'id', None)!r})"
        )
    else:
        message = (
            f"session code {getattr(record, 'code', None)!r} already belongs to session "
            f"{getattr(existing, 'id', None)!r}"
        )
    return DuplicateUsage(
        message,
        kind=kind,
        record_id=record_id,
        tenant=tenant,
        key="id" if key is None else key.name,
        existing=existing,
    )


SUBSCRIPTIONS: Kind[SubscriptionRepository] = Kind(
    "subscription",
    Subscription,
    not_found=lambda _kind, record_id, tenant: SubscriptionNotFound(record_id, tenant),
    duplicate=lambda _kind, record, key, existing: _duplicate(
        "subscription", record, key, existing
    ),
)
"""Subscriptions: unique per tenant by id."""

USAGE: Kind[UsageRepository] = Kind(
    "usage",
    UsageEntry,
    unique=(UniqueKey("charge", ("subscription_id", "session_id", "participant")),),
    duplicate=lambda _kind, record, key, existing: _duplicate("usage", record, key, existing),
    parents={"subscription_id": SUBSCRIPTIONS},
)
"""The usage ledger: one entry per (subscription, session, participant) per tenant."""

COUNTERS: Kind[CounterRepository] = Kind(
    "counter",
    Counter,
    duplicate=lambda _kind, record, key, existing: _duplicate("counter", record, key, existing),
)
"""Named counters (session codes, credits used per period), unique per tenant by name."""

SESSION_CODES: Kind[SessionCodeRepository] = Kind(
    "session_code",
    SessionCode,
    unique=(UniqueKey("code", ("code",)),),
    duplicate=lambda _kind, record, key, existing: _duplicate(
        "session_code", record, key, existing
    ),
)
"""Session codes: one per session id, and each code once per tenant."""
