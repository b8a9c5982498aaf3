"""sessionkit: scheduling sessions (classes, lessons, consultations) correctly.

The public API lives here; submodules hold the details. See README.md and docs/.

A name is imported when it is first used (a module ``__getattr__``, PEP 562), the
errors excepted: every module imports those, and they import nothing. The package
imported every subpackage, the services and ports too (about 0.7 s), and
Hypothesis imports it in every project of the environment (sessionkit's
``hypothesis`` entry point, which needs the domain types only);
``from sessionkit import TimeSpan`` now imports what ``TimeSpan`` needs. The
``TYPE_CHECKING`` imports name the same for type checkers and IDEs; a test holds
them, ``_FROM`` and ``__all__`` to the same names.
"""

# First: a Ctrl-C while python -m sessionkit imports the rest is one line (see _startup).
from sessionkit import _startup  # noqa: F401  # imported for that effect

# isort: split
import typing as _typing  # private: a public name here would be one more than __all__

from sessionkit.errors import (
    ActionRefused,
    AlreadyBooked,
    BookingNotFound,
    BookingRefused,
    CancelRefused,
    CapacityExceeded,
    ConcurrentModification,
    CurrencyMismatch,
    Duplicate,
    DuplicateBooking,
    DuplicatePayment,
    DuplicateReschedule,
    DuplicateSeries,
    DuplicateSession,
    DuplicateUsage,
    ExpansionLimitExceeded,
    HoldExpired,
    IdempotencyKeyReused,
    InvalidAvailability,
    InvalidDuration,
    InvalidLifecycle,
    InvalidRecurrence,
    InvalidTimeSpan,
    InvalidTransition,
    InvalidValue,
    InvalidWindow,
    JoinRefused,
    LifecycleError,
    LifecycleNotApplicable,
    LimitExceeded,
    MeetingRoomsError,
    MissingFact,
    NaiveDatetime,
    NestedUnitOfWork,
    NotADatetime,
    NotASession,
    NotFound,
    NotIndexed,
    ParticipantNotGranted,
    PaymentDeclined,
    PaymentGatewayError,
    PaymentNotFound,
    PaymentRequired,
    RefundExceedsPayment,
    RefundKeyReused,
    RepeatedTime,
    RescheduleNotFound,
    RescheduleRefused,
    RoleNotGranted,
    SchemaMissing,
    SeriesClosedError,
    SeriesNotFound,
    SessionConflict,
    SessionKitError,
    SessionLocked,
    SessionNotFound,
    SkippedTime,
    StillReferenced,
    StorageError,
    StorageFull,
    StorageReadOnly,
    StorageTimeout,
    StorageUnavailable,
    SubscriptionNotFound,
    TransientConflict,
    TransitionRefused,
    UnknownCurrency,
    UnknownLifecycle,
    UnknownStatus,
    UnknownTimeZone,
    UnknownTransitionName,
    UnsupportedKind,
    UsageLimitReached,
    WallTimeError,
    WrongType,
)

if _typing.TYPE_CHECKING:
    from sessionkit.availability import (
        Availability,
        common_free_slots,
        common_free_time,
        free_slots,
        free_time,
    )
    from sessionkit.conflicts import Conflict, ConflictIndex, find_conflicts
    from sessionkit.lifecycle import (
        ANY,
        Lifecycle,
        LifecycleRegistry,
        Status,
        StatusChanged,
        Timer,
        Transition,
        TransitionContext,
        Verdict,
        get_lifecycle,
    )
    from sessionkit.limits import Limits
    from sessionkit.model import (
        Attendance,
        Balance,
        BookableSession,
        Booking,
        Page,
        Payment,
        PaymentEvent,
        PresenceEvent,
        RescheduleRequest,
        ResourceRef,
        ScheduleItem,
        Series,
        SeriesStatus,
        Session,
        SessionQuery,
        UsageEntry,
        WindowPolicy,
    )
    from sessionkit.model.money import Money
    from sessionkit.model.usage import SessionCodes, Subscription
    from sessionkit.ports import SystemClock
    from sessionkit.recurrence import Occurrence, Recurrence, Rule, parse_rule
    from sessionkit.services import (
        AdvanceReport,
        CleanupReport,
        CloseReport,
        ExpiryReport,
        GroupCloseReport,
        MaterialiseReport,
        ReconcileReport,
        SessionKit,
        TickReport,
        TopUpReport,
    )
    from sessionkit.services.attendance import PresenceReport
    from sessionkit.services.payments import Applied, Checkout, DueReport
    from sessionkit.services.reschedules import RescheduleReport, SessionOptions
    from sessionkit.timespan import TimeSpan
    from sessionkit.zones import Disambiguate, RecurrenceDisambiguate, get_zone, resolve_local

__version__ = "0.1.0.dev0"

_FROM: dict[str, tuple[str, ...]] = {
    "sessionkit.availability": (
        "Availability",
        "common_free_slots",
        "common_free_time",
        "free_slots",
        "free_time",
    ),
    "sessionkit.conflicts": ("Conflict", "ConflictIndex", "find_conflicts"),
    "sessionkit.lifecycle": (
        "ANY",
        "Lifecycle",
        "LifecycleRegistry",
        "Status",
        "StatusChanged",
        "Timer",
        "Transition",
        "TransitionContext",
        "Verdict",
        "get_lifecycle",
    ),
    "sessionkit.limits": ("Limits",),
    "sessionkit.model": (
        "Attendance",
        "Balance",
        "BookableSession",
        "Booking",
        "Page",
        "Payment",
        "PaymentEvent",
        "PresenceEvent",
        "RescheduleRequest",
        "ResourceRef",
        "ScheduleItem",
        "Series",
        "SeriesStatus",
        "Session",
        "SessionQuery",
        "UsageEntry",
        "WindowPolicy",
    ),
    "sessionkit.model.money": ("Money",),
    "sessionkit.model.usage": ("SessionCodes", "Subscription"),
    "sessionkit.ports": ("SystemClock",),
    "sessionkit.recurrence": ("Occurrence", "Recurrence", "Rule", "parse_rule"),
    "sessionkit.services": (
        "AdvanceReport",
        "CleanupReport",
        "CloseReport",
        "ExpiryReport",
        "GroupCloseReport",
        "MaterialiseReport",
        "ReconcileReport",
        "SessionKit",
        "TickReport",
        "TopUpReport",
    ),
    "sessionkit.services.attendance": ("PresenceReport",),
    "sessionkit.services.payments": ("Applied", "Checkout", "DueReport"),
    "sessionkit.services.reschedules": ("RescheduleReport", "SessionOptions"),
    "sessionkit.timespan": ("TimeSpan",),
    "sessionkit.zones": ("Disambiguate", "RecurrenceDisambiguate", "get_zone", "resolve_local"),
}
"""The module of each name imported on first use: the ``TYPE_CHECKING`` imports above."""
_MODULE_OF = {name: module for module, names in _FROM.items() for name in names}
_SUBPACKAGES = frozenset(
    {"availability", "conflicts", "lifecycle", "limits", "model", "policies", "ports"}
    | {"recurrence", "services", "timespan", "zones"}
)
"""The subpackages importing the package made attributes (``sessionkit.services.X``).

Reaching one through the package imports what importing the package did (every
module of :data:`_FROM`), so what was an attribute path after ``import sessionkit``
still is: ``sessionkit.model.money.DECIMALS`` (docs/payments.md names it) and the
model modules the services import, which ``sessionkit.model`` alone does not.
Once a subpackage is imported (``import sessionkit.model``, or Hypothesis' entry
point) this ``__getattr__`` is no longer asked for it; every other subpackage
imports what the package's import did of it, and ``sessionkit.model`` imports a
module of its own on first use (its ``__getattr__``).
``import sessionkit.x``, ``from sessionkit.x import Y`` and ``from sessionkit
import Name`` import what they need only.
"""


def _import_on_first_use(name: str) -> object:
    """Import a public name (or one of :data:`_SUBPACKAGES`): the module's ``__getattr__``."""
    import importlib

    if name not in _SUBPACKAGES and name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # A subpackage: what importing the package imported (see _SUBPACKAGES).
    modules = _FROM if name in _SUBPACKAGES else [_MODULE_OF[name]]
    try:
        for module in modules:
            importlib.import_module(module)
    except AttributeError as exc:
        # Out of __getattr__ it would mean "no such name": from sessionkit import X would say
        # "cannot import name" and hasattr False, the failure inside the import lost.
        raise ImportError(f"sessionkit.{name} could not be imported: {exc}") from exc
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    globals()[name] = value  # later uses find it without this function
    return value


def __dir__() -> list[str]:
    """The module's names, the public names and the subpackages, imported yet or not."""
    return sorted({*globals(), *__all__, *_SUBPACKAGES})


if not _typing.TYPE_CHECKING:  # to a type checker an unknown name stays an error, not an object
    __getattr__ = _import_on_first_use


__all__ = [
    # time model
    "TimeSpan",
    "Disambiguate",
    "RecurrenceDisambiguate",
    "get_zone",
    "resolve_local",
    "Recurrence",
    "Occurrence",
    "Rule",
    "parse_rule",
    # conflicts and availability
    "find_conflicts",
    "Conflict",
    "ConflictIndex",
    "Availability",
    "free_time",
    "free_slots",
    "common_free_time",
    "common_free_slots",
    # lifecycles
    "Lifecycle",
    "Status",
    "Transition",
    "Timer",
    "StatusChanged",
    "TransitionContext",
    "Verdict",
    "ANY",
    "LifecycleRegistry",
    "get_lifecycle",
    # sessions, series and services
    "Session",
    "Series",
    "ScheduleItem",
    "SeriesStatus",
    "WindowPolicy",
    "ResourceRef",
    "SessionQuery",
    "Page",
    "Money",
    "SessionKit",
    "SystemClock",
    "MaterialiseReport",
    "TopUpReport",
    "ReconcileReport",
    "CloseReport",
    "AdvanceReport",
    "TickReport",
    "Limits",
    # bookings, payments, reschedules and attendance
    "Booking",
    "BookableSession",
    "Payment",
    "PaymentEvent",
    "RescheduleRequest",
    "Attendance",
    "PresenceEvent",
    # ... and what their commands and jobs hand back
    "Checkout",
    "Applied",
    "DueReport",
    "ExpiryReport",
    "CleanupReport",
    "GroupCloseReport",
    "RescheduleReport",
    "SessionOptions",
    "PresenceReport",
    # errors
    "SessionKitError",
    "CurrencyMismatch",
    "DuplicatePayment",
    "PaymentDeclined",
    "PaymentGatewayError",
    "PaymentNotFound",
    "PaymentRequired",
    "RefundExceedsPayment",
    "RefundKeyReused",
    "UnknownCurrency",
    "InvalidValue",
    "NaiveDatetime",
    "NotADatetime",
    "NotASession",
    "NotIndexed",
    "InvalidTimeSpan",
    "InvalidDuration",
    "InvalidWindow",
    "UnknownTimeZone",
    "InvalidRecurrence",
    "InvalidAvailability",
    "WallTimeError",
    "SkippedTime",
    "RepeatedTime",
    "ExpansionLimitExceeded",
    "LimitExceeded",
    "LifecycleError",
    "InvalidLifecycle",
    "InvalidTransition",
    "TransitionRefused",
    "UnknownLifecycle",
    "LifecycleNotApplicable",
    "MissingFact",
    "UnknownStatus",
    "UnknownTransitionName",
    "NotFound",
    "Duplicate",
    "WrongType",
    "UnsupportedKind",
    "NestedUnitOfWork",
    "SessionNotFound",
    "SeriesNotFound",
    "DuplicateSession",
    "DuplicateSeries",
    "SessionConflict",
    "SessionLocked",
    "ConcurrentModification",
    "TransientConflict",
    "StorageError",
    "SchemaMissing",
    "StorageUnavailable",
    "StorageFull",
    "StorageReadOnly",
    "StorageTimeout",
    "SeriesClosedError",
    "StillReferenced",
    "AlreadyBooked",
    "BookingNotFound",
    "ActionRefused",
    "CancelRefused",
    "BookingRefused",
    "DuplicateReschedule",
    "RescheduleNotFound",
    "JoinRefused",
    "MeetingRoomsError",
    "RescheduleRefused",
    "RoleNotGranted",
    "ParticipantNotGranted",
    "CapacityExceeded",
    "DuplicateBooking",
    "HoldExpired",
    "IdempotencyKeyReused",
    # usage (issue 14)
    "DuplicateUsage",
    "SessionCodes",
    "Subscription",
    "UsageEntry",
    "Balance",
    "SubscriptionNotFound",
    "UsageLimitReached",
    "__version__",
]
