"""The built-in kinds in SQL: one registration line each."""

from __future__ import annotations

from sessionkit.adapters.sqlalchemy._attendance import (
    SqlAlchemyOverrideRepository,
    SqlAlchemyPresenceRepository,
)
from sessionkit.adapters.sqlalchemy._bookings import SqlAlchemyBookingRepository
from sessionkit.adapters.sqlalchemy._journal import SqlAlchemyJournalRepository
from sessionkit.adapters.sqlalchemy._kind import ChildTable, SqlKind, register
from sessionkit.adapters.sqlalchemy._payments import SqlAlchemyPaymentRepository
from sessionkit.adapters.sqlalchemy._reschedules import SqlAlchemyRescheduleRepository
from sessionkit.adapters.sqlalchemy._series import SqlAlchemySeriesRepository
from sessionkit.adapters.sqlalchemy._sessions import SqlAlchemySessionRepository
from sessionkit.adapters.sqlalchemy._usage import (
    SqlAlchemyCounterRepository,
    SqlAlchemySessionCodeRepository,
    SqlAlchemySubscriptionRepository,
    SqlAlchemyUsageRepository,
)
from sessionkit.adapters.sqlalchemy.attendance_rows import (
    override_from_row,
    override_values,
    overrides_table,
    presence_from_row,
    presence_table,
    presence_values,
)
from sessionkit.adapters.sqlalchemy.booking_rows import (
    IDEMPOTENCY_CONSTRAINT,
    booking_from_row,
    booking_values,
    bookings_table,
)
from sessionkit.adapters.sqlalchemy.journal_rows import (
    journal_from_row,
    journal_table,
    journal_values,
)
from sessionkit.adapters.sqlalchemy.mapping import (
    resource_values,
    schedule_item_values,
    series_from_rows,
    series_values,
    session_from_row,
    session_values,
)
from sessionkit.adapters.sqlalchemy.payment_rows import (
    BOOKING_CONSTRAINT,
    INTENT_CONSTRAINT,
    payment_events_table,
    payment_from_row,
    payment_values,
    payments_table,
    received_event_from_row,
    received_event_values,
)
from sessionkit.adapters.sqlalchemy.reschedule_rows import (
    PENDING_CONSTRAINT,
    reschedule_from_row,
    reschedule_values,
    reschedules_table,
)
from sessionkit.adapters.sqlalchemy.rows import (
    OCCURRENCE_CONSTRAINT,
    SERIES_START_CONSTRAINT,
    schedule_items_table,
    series_table,
    session_resources_table,
    sessions_table,
)
from sessionkit.adapters.sqlalchemy.usage_rows import (
    CHARGE_CONSTRAINT,
    CODE_CONSTRAINT,
    code_from_row,
    code_values,
    codes_table,
    counter_from_row,
    counter_values,
    counters_table,
    entry_from_row,
    entry_values,
    subscription_from_row,
    subscription_values,
    subscriptions_table,
    usage_table,
)
from sessionkit.ports import (
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
)

__all__: list[str] = []

register(
    SERIES,
    SqlKind(
        series_table,
        series_values,
        series_from_rows,
        children=(
            ChildTable(schedule_items_table, schedule_item_values, "series_id", ("position",)),
        ),
        repository=SqlAlchemySeriesRepository,
    ),
)
register(
    SESSIONS,
    SqlKind(
        sessions_table,
        session_values,
        session_from_row,
        unique={"occurrence": OCCURRENCE_CONSTRAINT, "series_start": SERIES_START_CONSTRAINT},
        children=(ChildTable(session_resources_table, resource_values, "session_id", load=False),),
        parents={"series_id": SERIES},
        repository=SqlAlchemySessionRepository,
    ),
)
register(
    BOOKINGS,
    SqlKind(
        bookings_table,
        booking_values,
        booking_from_row,
        unique={"idempotency": IDEMPOTENCY_CONSTRAINT},
        parents={"session_id": SESSIONS},
        repository=SqlAlchemyBookingRepository,
    ),
)
register(
    PAYMENTS,
    SqlKind(
        payments_table,
        payment_values,
        payment_from_row,
        unique={"booking": BOOKING_CONSTRAINT, "intent": INTENT_CONSTRAINT},
        parents={"booking_id": BOOKINGS},
        repository=SqlAlchemyPaymentRepository,
    ),
)
register(
    PAYMENT_EVENTS,
    SqlKind(payment_events_table, received_event_values, received_event_from_row),
)
register(
    RESCHEDULES,
    SqlKind(
        reschedules_table,
        reschedule_values,
        reschedule_from_row,
        unique={"pending": PENDING_CONSTRAINT},
        parents={"session_id": SESSIONS},
        repository=SqlAlchemyRescheduleRepository,
    ),
)
register(
    JOURNAL,
    SqlKind(
        journal_table,
        journal_values,
        journal_from_row,
        repository=SqlAlchemyJournalRepository,
    ),
)
register(
    SUBSCRIPTIONS,
    SqlKind(
        subscriptions_table,
        subscription_values,
        subscription_from_row,
        repository=SqlAlchemySubscriptionRepository,
    ),
)
register(
    USAGE,
    SqlKind(
        usage_table,
        entry_values,
        entry_from_row,
        unique={"charge": CHARGE_CONSTRAINT},
        parents={"subscription_id": SUBSCRIPTIONS},
        repository=SqlAlchemyUsageRepository,
    ),
)
register(
    COUNTERS,
    SqlKind(
        counters_table, counter_values, counter_from_row, repository=SqlAlchemyCounterRepository
    ),
)
register(
    SESSION_CODES,
    SqlKind(
        codes_table,
        code_values,
        code_from_row,
        unique={"code": CODE_CONSTRAINT},
        repository=SqlAlchemySessionCodeRepository,
    ),
)
register(
    PRESENCE,
    SqlKind(
        presence_table,
        presence_values,
        presence_from_row,
        parents={"session_id": SESSIONS},
        repository=SqlAlchemyPresenceRepository,
    ),
)
register(
    ATTENDANCE_OVERRIDES,
    SqlKind(
        overrides_table,
        override_values,
        override_from_row,
        parents={"session_id": SESSIONS},
        repository=SqlAlchemyOverrideRepository,
    ),
)
