"""Payments in memory: lookups by booking and provider reference, due calls, filtered lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sessionkit.adapters.memory._repository import MemoryRepository, register
from sessionkit.model.payment import Payment
from sessionkit.model.session import ResourceRef
from sessionkit.ports import PAYMENTS

__all__ = ["InMemoryPaymentRepository"]


class InMemoryPaymentRepository(MemoryRepository[Payment]):
    """The :class:`~sessionkit.ports.PaymentRepository` of an in-memory unit of work."""

    def _by_key(self, tenant: str, key: str, value: tuple[object, ...]) -> Payment | None:
        table = self.table
        owner = table.unique[key].lookup(tenant, value)
        return None if owner is None else table.get(tenant, owner)

    def for_booking(self, tenant: str, booking_id: str) -> Payment | None:
        """Return the booking's payment, or ``None``."""
        return self._by_key(tenant, "booking", (booking_id,))

    def by_intent(self, tenant: str, provider: str, intent_ref: str) -> Payment | None:
        """Return the payment the provider knows as ``intent_ref``, or ``None``."""
        return self._by_key(tenant, "intent", (provider, intent_ref))

    def for_bookings(self, tenant: str, booking_ids: Iterable[str]) -> dict[str, Payment]:
        """Return the payments of those bookings that have one, by booking id."""
        found = {}
        for booking_id in booking_ids:
            payment = self.for_booking(tenant, booking_id)
            if payment is not None:
                found[booking_id] = payment
        return found

    def with_due(
        self, tenant: str | None, *, limit: int, now: datetime | None = None
    ) -> list[Payment]:
        """Return payments with a provider call due by ``now``, by ``due_at`` (``None``: all tenants)."""  # noqa: E501
        table = self.table
        tenants = [tenant] if tenant is not None else sorted(table.rows)
        found = [
            (p.due_at, p)
            for t in tenants
            for p in table.of(t).values()
            if p.due_at is not None and (now is None or p.due_at <= now)
        ]
        found.sort(key=lambda pair: (pair[0], pair[1].tenant, pair[1].id))
        return [p for _, p in found[:limit]]

    def query(
        self,
        tenant: str,
        *,
        statuses: Iterable[str] | None = None,
        participant: ResourceRef | None = None,
        session_ids: Iterable[str] | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> list[Payment]:
        """Return the tenant's payments matching every filter given, by session start then id."""
        wanted = None if statuses is None else set(statuses)
        sessions = None if session_ids is None else set(session_ids)
        rows = sorted(self.table.of(tenant).values(), key=lambda p: (p.session_start, p.id))
        found = [
            p
            for p in rows
            if (wanted is None or p.status in wanted)
            and (participant is None or p.participant == participant)
            and (sessions is None or p.session_id in sessions)
            and (start_from is None or p.session_start >= start_from)
            and (start_to is None or p.session_start < start_to)
            and (after is None or (p.session_start, p.id) > after)
        ]
        return found if limit is None else found[:limit]


register(PAYMENTS, InMemoryPaymentRepository)
