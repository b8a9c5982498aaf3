"""The Django store's registries: the repository class of each kind it stores, and its readers.

:class:`~sessionkit.contrib.django.store.DjangoUnitOfWork` hands out a
repository by kind from these; ``sessionkit.contrib.django.store`` exports them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sessionkit.contrib.django._analytics import DjangoAnalytics
from sessionkit.contrib.django._attendance import (
    DjangoOverrideRepository,
    DjangoPresenceRepository,
)
from sessionkit.contrib.django._bookings import DjangoBookingRepository
from sessionkit.contrib.django._journal import DjangoJournalRepository
from sessionkit.contrib.django._payments import (
    DjangoPaymentEventRepository,
    DjangoPaymentRepository,
)
from sessionkit.contrib.django._repository import DjangoRepository
from sessionkit.contrib.django._reschedules import DjangoRescheduleRepository
from sessionkit.contrib.django._series import DjangoSeriesRepository
from sessionkit.contrib.django._sessions import DjangoSessionRepository
from sessionkit.contrib.django._usage import (
    DjangoCounterRepository,
    DjangoSessionCodeRepository,
    DjangoSubscriptionRepository,
    DjangoUsageRepository,
)
from sessionkit.ports import (
    ANALYTICS,
    ATTENDANCE_OVERRIDES,
    BOOKINGS,
    COUNTERS,
    JOURNAL,
    PAYMENT_EVENTS,
    PAYMENTS,
    PRESENCE,
    RESCHEDULES,
    SERIES,
    SESSION_CODES,
    SESSIONS,
    SUBSCRIPTIONS,
    USAGE,
    Kind,
)

if TYPE_CHECKING:
    from sessionkit.contrib.django._unit import DjangoUnitOfWork

REPOSITORIES: dict[str, type[DjangoRepository[Any, Any]]] = {
    SESSIONS.name: DjangoSessionRepository,
    SERIES.name: DjangoSeriesRepository,
    BOOKINGS.name: DjangoBookingRepository,
    RESCHEDULES.name: DjangoRescheduleRepository,
    JOURNAL.name: DjangoJournalRepository,
    PAYMENTS.name: DjangoPaymentRepository,
    PAYMENT_EVENTS.name: DjangoPaymentEventRepository,
    PRESENCE.name: DjangoPresenceRepository,
    ATTENDANCE_OVERRIDES.name: DjangoOverrideRepository,
    SUBSCRIPTIONS.name: DjangoSubscriptionRepository,
    USAGE.name: DjangoUsageRepository,
    COUNTERS.name: DjangoCounterRepository,
    SESSION_CODES.name: DjangoSessionCodeRepository,
}
"""The repository class of each kind the Django adapter stores, by kind name."""

READERS: dict[str, Callable[[DjangoUnitOfWork, Kind[Any]], Any]] = {
    ANALYTICS.name: DjangoAnalytics,
}
"""The reader kinds the Django adapter answers (they own no rows), by kind name."""
