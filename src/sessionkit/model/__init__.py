"""The domain model: sessions, series, bookings, payments, usage, ... and their events.

Every module of the model is an attribute, imported on its first use if nothing
has imported it yet (a module ``__getattr__``, PEP 562): ``import sessionkit``
imported them all once, through the services, so ``sessionkit.model.usage``
resolved; the package now imports what is used, and once ``sessionkit.model`` is
imported (Hypothesis' entry point imports it) the package's own ``__getattr__`` is
no longer asked for it. So is each name below (``Session``, ``Series``, ...):
Hypothesis' entry point needs the session and booking modules only, not the
events, queries and series. The ``TYPE_CHECKING`` imports name the same for type
checkers and IDEs; a test holds them, ``_FROM`` and ``__all__`` to the same names.

Each aggregate's main values are here, the values its commands hand back or take
(``Booking``, ``BookableSession``, ``Payment``, ``PaymentEvent``, ``Subscription``,
...), and every domain event; its status names, limits and helpers stay in its own
module (``sessionkit.model.booking.HELD``): ``CANCELLED``, ``EXPIRED``, ``NEW`` and
``PENDING`` are statuses of more than one aggregate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sessionkit._lazy import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:
    from sessionkit.model.attendance import Attendance, PresenceEvent
    from sessionkit.model.booking import BookableSession, Booking
    from sessionkit.model.booking_events import (
        BookingCancelled,
        BookingConfirmed,
        BookingExpired,
        BookingHeld,
        BookingOffered,
        BookingSeatsCancelled,
        BookingStatusChanged,
        BookingWaitlisted,
    )
    from sessionkit.model.events import (
        DomainEvent,
        SeriesClosed,
        SeriesUpdated,
        SessionCanceled,
        SessionCreated,
        SessionDeleted,
        SessionsRegenerated,
        SessionStatusChanged,
        SessionUpdated,
    )
    from sessionkit.model.money import Money
    from sessionkit.model.payment import Payment, PaymentChanged, PaymentEvent
    from sessionkit.model.query import MAX_LIMIT, Cursor, Page, SessionQuery, SortField
    from sessionkit.model.reschedule import RescheduleRequest, RescheduleStatusChanged
    from sessionkit.model.series import ScheduleItem, Series, SeriesStatus, WindowPolicy, add_months
    from sessionkit.model.session import (
        MAX_ID_LENGTH,
        MAX_NAME_LENGTH,
        MAX_REF_LENGTH,
        MAX_TITLE_LENGTH,
        ResourceRef,
        Session,
        resource_refs,
    )
    from sessionkit.model.usage import (
        Balance,
        SessionCodes,
        Subscription,
        UsageEntry,
        UsageRecorded,
    )

_FROM: dict[str, tuple[str, ...]] = {
    "sessionkit.model.attendance": ("Attendance", "PresenceEvent"),
    "sessionkit.model.booking": ("BookableSession", "Booking"),
    "sessionkit.model.booking_events": (
        "BookingCancelled",
        "BookingConfirmed",
        "BookingExpired",
        "BookingHeld",
        "BookingOffered",
        "BookingSeatsCancelled",
        "BookingStatusChanged",
        "BookingWaitlisted",
    ),
    "sessionkit.model.events": (
        "DomainEvent",
        "SeriesClosed",
        "SeriesUpdated",
        "SessionCanceled",
        "SessionCreated",
        "SessionDeleted",
        "SessionsRegenerated",
        "SessionStatusChanged",
        "SessionUpdated",
    ),
    "sessionkit.model.money": ("Money",),
    "sessionkit.model.payment": ("Payment", "PaymentChanged", "PaymentEvent"),
    "sessionkit.model.query": ("MAX_LIMIT", "Cursor", "Page", "SessionQuery", "SortField"),
    "sessionkit.model.reschedule": ("RescheduleRequest", "RescheduleStatusChanged"),
    "sessionkit.model.series": (
        "ScheduleItem",
        "Series",
        "SeriesStatus",
        "WindowPolicy",
        "add_months",
    ),
    "sessionkit.model.session": (
        "MAX_ID_LENGTH",
        "MAX_NAME_LENGTH",
        "MAX_REF_LENGTH",
        "MAX_TITLE_LENGTH",
        "ResourceRef",
        "Session",
        "resource_refs",
    ),
    "sessionkit.model.usage": (
        "Balance",
        "SessionCodes",
        "Subscription",
        "UsageEntry",
        "UsageRecorded",
    ),
}
"""The module of each name imported on first use: the ``TYPE_CHECKING`` imports above."""
_MODULE_OF = {name: module for module, names in _FROM.items() for name in names}

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_LIMIT",
    "MAX_NAME_LENGTH",
    "MAX_REF_LENGTH",
    "MAX_TITLE_LENGTH",
    "Attendance",
    "Balance",
    "BookableSession",
    "Booking",
    "BookingCancelled",
    "BookingConfirmed",
    "BookingExpired",
    "BookingHeld",
    "BookingOffered",
    "BookingSeatsCancelled",
    "BookingStatusChanged",
    "BookingWaitlisted",
    "Cursor",
    "DomainEvent",
    "Money",
    "Page",
    "Payment",
    "PaymentChanged",
    "PaymentEvent",
    "PresenceEvent",
    "RescheduleRequest",
    "RescheduleStatusChanged",
    "ResourceRef",
    "ScheduleItem",
    "Series",
    "SeriesClosed",
    "SeriesStatus",
    "SeriesUpdated",
    "Session",
    "SessionCanceled",
    "SessionCodes",
    "SessionCreated",
    "SessionDeleted",
    "SessionQuery",
    "SessionStatusChanged",
    "SessionUpdated",
    "SessionsRegenerated",
    "SortField",
    "Subscription",
    "UsageEntry",
    "UsageRecorded",
    "WindowPolicy",
    "add_months",
    "resource_refs",
]


_import_on_first_use, __dir__ = _lazy_attributes(__name__, __path__, _MODULE_OF, __all__, globals())

if not TYPE_CHECKING:  # to a type checker an unknown name stays an error, not an object
    __getattr__ = _import_on_first_use
