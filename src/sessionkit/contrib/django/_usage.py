"""The usage repositories in Django: subscriptions, the ledger, atomic counters, session codes.

Writes of subscriptions, ledger entries and codes are the generic
repository's, so the unique constraints (:mod:`._usage_models`) refuse a
second entry for a (subscription, session, participant) and a code given
twice, however the writers race. Counters are different:
:meth:`DjangoCounterRepository.bump` is one ``UPDATE ... SET value = value +
by`` (``AND value <= most - by`` for a limit), which takes the row's lock
until the transaction ends (PostgreSQL; SQLite's writers take turns anyway):
writers of one counter queue on it, each sees the value the one before
committed, and a rolled-back bump takes its number back with it. So session
codes drawn from a counter are gapless.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, F, Q

from sessionkit.contrib.django._repository import DjangoRepository
from sessionkit.contrib.django.models import (
    CounterRecord,
    SessionCodeRecord,
    SubscriptionRecord,
    UsageRecord,
)
from sessionkit.errors import ConcurrentModification
from sessionkit.errors._base import shown
from sessionkit.model.session import ResourceRef
from sessionkit.model.usage import Counter, SessionCode, Subscription, UsageEntry

__all__ = [
    "DjangoCounterRepository",
    "DjangoSessionCodeRepository",
    "DjangoSubscriptionRepository",
    "DjangoUsageRepository",
]


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


class DjangoSubscriptionRepository(DjangoRepository[Subscription, SubscriptionRecord]):
    """The :class:`~sessionkit.ports.SubscriptionRepository` of a Django unit of work."""

    model = SubscriptionRecord

    def to_fields(self, record: Subscription) -> dict[str, Any]:
        """Return the :class:`SubscriptionRecord` field values of ``record``."""
        return {
            "tenant": record.tenant,
            "record_id": record.id,
            "subscriber": str(record.subscriber),
            "credits": record.credits,
            "per": record.per,
            "tz": record.tz,
            "starts": record.starts,
            "ends": record.ends,
            "on_limit": record.on_limit,
            "created_at": record.created_at,
            "created_by": record.created_by,
            "version": record.version,
        }

    def from_row(self, row: SubscriptionRecord) -> Subscription:
        """Return the subscription a row holds."""
        return Subscription(
            id=row.record_id,
            tenant=row.tenant,
            subscriber=row.subscriber,
            credits=row.credits,
            per=row.per,  # type: ignore[arg-type]  # written from a Per, read back as text
            tz=row.tz,
            starts=row.starts.astimezone(UTC),
            ends=_optional_utc(row.ends),
            on_limit=row.on_limit,  # type: ignore[arg-type]  # likewise
            created_at=row.created_at.astimezone(UTC),
            created_by=row.created_by,
            version=row.version,
        )

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:  # noqa: ARG002
        """Subscriptions have no unique key beside the id."""
        raise LookupError(f"subscriptions have no unique key {shown(key)}")

    def for_subscriber(self, tenant: str, subscriber: ResourceRef) -> list[Subscription]:
        """Return the subscriber's subscriptions (any window), by ``starts`` then id."""
        rows = self.rows(tenant).filter(subscriber=str(subscriber))
        return sorted(map(self.from_row, rows), key=lambda s: (s.starts, s.id))


class DjangoUsageRepository(DjangoRepository[UsageEntry, UsageRecord]):
    """The :class:`~sessionkit.ports.UsageRepository` of a Django unit of work."""

    model = UsageRecord
    links = {"subscription_id": "subscription_row"}  # noqa: RUF012  # read-only class data

    def to_fields(self, record: UsageEntry) -> dict[str, Any]:
        """Return the :class:`UsageRecord` field values of ``record``."""
        return {
            "tenant": record.tenant,
            "record_id": record.id,
            "subscription_ref": record.subscription_id,
            "session_ref": record.session_id,
            "participant": str(record.participant),
            "period": record.period,
            "used_by": record.used_by,
            "consumed_at": record.consumed_at,
            "reversed_at": record.reversed_at,
            "reason": record.reason,
            "version": record.version,
        }

    def from_row(self, row: UsageRecord) -> UsageEntry:
        """Return the ledger entry a row holds."""
        return UsageEntry(
            id=row.record_id,
            tenant=row.tenant,
            subscription_id=row.subscription_ref,
            session_id=row.session_ref,
            participant=row.participant,
            period=row.period,
            used_by=row.used_by,
            consumed_at=row.consumed_at.astimezone(UTC),
            reversed_at=_optional_utc(row.reversed_at),
            reason=row.reason,
            version=row.version,
        )

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:  # noqa: ARG002
        """Return the lookups of the ``charge`` key (subscription, session, participant)."""
        subscription_id, session_id, participant = value
        return {
            "subscription_ref": subscription_id,
            "session_ref": session_id,
            "participant": str(participant),
        }

    def for_session(self, tenant: str, session_id: str) -> list[UsageEntry]:
        """Return entries charged to or used by ``session_id`` (any state), by participant, id."""
        rows = self.rows(tenant).filter(Q(session_ref=session_id) | Q(used_by=session_id))
        return sorted(map(self.from_row, rows), key=lambda e: (str(e.participant), e.id))

    def for_subscription(
        self, tenant: str, subscription_id: str, *, period: str | None = None
    ) -> list[UsageEntry]:
        """Return the subscription's entries (of ``period`` if given), by consumed_at then id."""
        rows = self.rows(tenant).filter(subscription_ref=subscription_id)
        if period is not None:
            rows = rows.filter(period=period)
        return sorted(map(self.from_row, rows), key=lambda e: (e.consumed_at, e.id))

    def counts(self, tenant: str, session_ids: Iterable[str]) -> dict[str, int]:
        """Return how many entries (any state) each session is charged or used by; none: left out.

        An entry charged to one session and used by another (a makeup) counts
        for both.
        """
        wanted = list(dict.fromkeys(session_ids))
        found: dict[str, int] = {}
        for field in ("session_ref", "used_by"):
            rows = self.rows(tenant).filter(**{f"{field}__in": wanted})
            if field == "used_by":  # a makeup's session, unless it is the one charged
                rows = rows.exclude(used_by=F("session_ref"))
            for entry in rows.values(field).annotate(n=Count("pk")).order_by():
                found[entry[field]] = found.get(entry[field], 0) + entry["n"]
        return {session_id: found[session_id] for session_id in wanted if session_id in found}


_ATTEMPTS = 2
"""A bump of a counter nobody made yet: the update, the insert at 0, the update again."""


class DjangoCounterRepository(DjangoRepository[Counter, CounterRecord]):
    """The :class:`~sessionkit.ports.CounterRepository` of a Django unit of work."""

    model = CounterRecord

    def to_fields(self, record: Counter) -> dict[str, Any]:
        """Return the :class:`CounterRecord` field values of ``record``."""
        return {
            "tenant": record.tenant,
            "record_id": record.id,
            "value": record.value,
            "version": record.version,
        }

    def from_row(self, row: CounterRecord) -> Counter:
        """Return the counter a row holds."""
        return Counter(id=row.record_id, tenant=row.tenant, value=row.value, version=row.version)

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:  # noqa: ARG002
        """Counters have no unique key beside the name."""
        raise LookupError(f"counters have no unique key {shown(key)}")

    def bump(self, tenant: str, name: str, by: int = 1, *, most: int | None = None) -> int | None:
        """Add ``by`` to counter ``name`` (made at 0 first); ``None`` past ``most``, unchanged.

        The ``UPDATE`` locks the row until the unit of work ends. A counter
        nobody made yet is first inserted at 0 by an insert that does nothing
        on a conflict (``ON CONFLICT DO NOTHING``; a racing first writer's
        insert waits for the other's commit), and the ``UPDATE`` runs again.
        """
        counter = self.rows(tenant).filter(record_id=name)
        moving = counter if most is None else counter.filter(value__lte=most - by)
        for _ in range(_ATTEMPTS):
            if moving.update(value=F("value") + by, version=F("version") + 1):
                return int(counter.values_list("value", flat=True).get())
            if counter.exists():
                return None  # the row is there: the limit refused the bump
            CounterRecord.objects.using(self.using).bulk_create(
                [CounterRecord(tenant=tenant, record_id=name, value=0, version=1)],
                ignore_conflicts=True,
            )
        raise ConcurrentModification(name, 0, None)

    def value(self, tenant: str, name: str) -> int:
        """Return counter ``name``'s value (0 for a counter never bumped)."""
        found = self.rows(tenant).filter(record_id=name).values_list("value", flat=True).first()
        return 0 if found is None else int(found)


class DjangoSessionCodeRepository(DjangoRepository[SessionCode, SessionCodeRecord]):
    """The :class:`~sessionkit.ports.SessionCodeRepository` of a Django unit of work."""

    model = SessionCodeRecord

    def to_fields(self, record: SessionCode) -> dict[str, Any]:
        """Return the :class:`SessionCodeRecord` field values of ``record``."""
        return {
            "tenant": record.tenant,
            "record_id": record.id,
            "code": record.code,
            "counter": record.counter,
            "number": record.number,
            "version": record.version,
        }

    def from_row(self, row: SessionCodeRecord) -> SessionCode:
        """Return the code record a row holds."""
        return SessionCode(
            id=row.record_id,
            tenant=row.tenant,
            code=row.code,
            counter=row.counter,
            number=row.number,
            version=row.version,
        )

    def lookup(self, key: str, value: tuple[Any, ...]) -> dict[str, Any]:  # noqa: ARG002
        """Return the lookups of the ``code`` key."""
        return {"code": value[0]}

    def by_code(self, tenant: str, code: str) -> SessionCode | None:
        """Return the record holding ``code``, or ``None``."""
        row = self.rows(tenant).filter(code=code).first()
        return None if row is None else self.from_row(row)
