"""Ports: the protocols storage adapters and hosts implement for sessionkit's services.

Services talk only to these. ``sessionkit.adapters.memory`` and
``sessionkit.adapters.sqlalchemy`` implement the storage ports and are held to
the same behaviour by ``sessionkit.testing.contract``.

Storage is generic: every aggregate (sessions, series, and the kinds later
features add) is a *kind* (:class:`Kind`), a tenant-scoped, versioned record
type with a :class:`Repository` of get / get_many / claim / add / add_many /
update / delete. ``claim`` is how background work (the ticks) takes its items:
it locks, until the unit of work ends, those of the records asked for that no
other unit holds, skipping rather than waiting for the rest (``FOR UPDATE SKIP
LOCKED``), and returns them by id as last committed; a store without row locks
(SQLite, memory), whose writers take turns anyway, returns every one that exists.
A kind whose records need more (sessions: conflict checks, queries) names a
wider repository protocol. A unit of work hands out repositories by
kind (:meth:`UnitOfWork.repository`); ``uow.sessions`` and ``uow.series`` are
typed accessors for the built-in kinds, inherited from :class:`UnitOfWorkBase`,
so an outside adapter implements ``repository`` once and adding a kind never
changes what it must implement. :data:`ANALYTICS` is a reader kind: it owns no
records, and its repository is an :class:`AnalyticsReader` computing aggregates
over the other kinds' (``uow.analytics``); an adapter that computes none raises
``UnsupportedKind`` for it, as for any kind it does not store.

Rules every storage adapter follows (the contract suite checks them):

- Every read and write is scoped to a tenant; another tenant's id behaves
  exactly like a missing one (the kind's ``...NotFound``).
- Writes are atomic per unit of work: ``commit`` makes all of them visible,
  anything else (an exception, ``rollback``) leaves storage as it was.
- ``add``/``add_many`` refuse a record whose id, or whose value of one of the
  kind's unique keys, is taken (the kind's ``Duplicate...``); for sessions
  that includes the same ``(series_id, occurrence_key)`` and the same
  ``(series_id, start)``, and a busy session overlapping another busy
  session on a shared resource (``SessionConflict``, carrying the blockers),
  so no race can double-book.
- ``update``/``delete`` take the version the caller read and raise
  ``ConcurrentModification`` if the stored one differs; ``update`` stores the
  record with ``version + 1``.
- A failed write (duplicate, conflict, stale version, missing id) changes
  nothing and the unit of work stays usable: earlier writes can still be
  committed (a database adapter uses a savepoint per write).
- Ids are scoped by tenant: two tenants may use the same id.
- Ties in a sort are broken by id, in the sort's direction;
  ``sort="updated"`` reads a never-updated session's ``updated_at`` as its
  ``created_at``; a cursor continues strictly after ``(value, id)`` and still
  works when its row was deleted. Title search is case-insensitive and literal.
- ``get_many`` returns each found id once, in the order first asked;
  ``claim`` returns each once, by id, and, when no other unit holds any,
  every record of the tenant among the ids asked for.
- Events are published after the unit of work closed (its ``with`` block
  left), in the order of the commits that produced them; a rolled-back
  unit publishes nothing. If the publisher raises, the commit still stands
  and the error reaches the caller.

``sessionkit.testing.contract.StorageContract`` checks every rule above, and
``sessionkit.testing.contract.RepositoryContract`` the generic ones for any kind.
"""

from __future__ import annotations

from sessionkit.ports._analytics import ANALYTICS, AnalyticsReader
from sessionkit.ports._attendance import (
    ATTENDANCE_OVERRIDES,
    PRESENCE,
    JoinCredential,
    MeetingRooms,
    OverrideRepository,
    PresenceRepository,
    ReopeningRooms,
    Room,
)
from sessionkit.ports._bookings import (
    BOOKINGS,
    BookingRepository,
    QuickBookings,
    QuickRefusal,
    add_settled_by_reading,
    quick_bookings,
)
from sessionkit.ports._journal import JOURNAL, JournalCursor, JournalRepository
from sessionkit.ports._kinds import SERIES, SESSIONS, SeriesRepository, SessionRepository
from sessionkit.ports._payments import (
    PAYMENT_EVENTS,
    PAYMENTS,
    Intent,
    IntentStatus,
    PaymentGateway,
    PaymentRepository,
    RefundReceipt,
)
from sessionkit.ports._reschedules import RESCHEDULES, RescheduleRepository
from sessionkit.ports._storage import (
    Clock,
    EventPublisher,
    Kind,
    Record,
    Repository,
    SystemClock,
    UniqueKey,
    check_kind,
    check_publisher,
    publish_batches,
    reserve,
)
from sessionkit.ports._unit import (
    FactProvider,
    LinkChecker,
    UnitOfWork,
    UnitOfWorkBase,
    UnitOfWorkFactory,
)
from sessionkit.ports._usage import (
    COUNTERS,
    SESSION_CODES,
    SUBSCRIPTIONS,
    USAGE,
    CounterRepository,
    SessionCodeRepository,
    SubscriptionRepository,
    UsageRepository,
)

__all__ = [
    "ANALYTICS",
    "AnalyticsReader",
    "COUNTERS",
    "SESSION_CODES",
    "SUBSCRIPTIONS",
    "USAGE",
    "CounterRepository",
    "SessionCodeRepository",
    "SubscriptionRepository",
    "UsageRepository",
    "ATTENDANCE_OVERRIDES",
    "PRESENCE",
    "JoinCredential",
    "MeetingRooms",
    "OverrideRepository",
    "PresenceRepository",
    "ReopeningRooms",
    "Room",
    "RESCHEDULES",
    "RescheduleRepository",
    "JOURNAL",
    "JournalCursor",
    "JournalRepository",
    "PAYMENTS",
    "PAYMENT_EVENTS",
    "Intent",
    "IntentStatus",
    "PaymentGateway",
    "PaymentRepository",
    "RefundReceipt",
    "BOOKINGS",
    "BookingRepository",
    "QuickBookings",
    "QuickRefusal",
    "add_settled_by_reading",
    "quick_bookings",
    "SERIES",
    "SESSIONS",
    "Clock",
    "SystemClock",
    "EventPublisher",
    "FactProvider",
    "Kind",
    "LinkChecker",
    "Record",
    "Repository",
    "SeriesRepository",
    "SessionRepository",
    "UniqueKey",
    "UnitOfWork",
    "UnitOfWorkBase",
    "UnitOfWorkFactory",
    "check_kind",
    "check_publisher",
    "publish_batches",
]

reserve(
    ANALYTICS,
    ATTENDANCE_OVERRIDES,
    BOOKINGS,
    COUNTERS,
    JOURNAL,
    PAYMENTS,
    PAYMENT_EVENTS,
    PRESENCE,
    RESCHEDULES,
    SERIES,
    SESSIONS,
    SESSION_CODES,
    SUBSCRIPTIONS,
    USAGE,
)
