"""The exceptions sessionkit raises, all rooted at :class:`SessionKitError`.

Every error also inherits the builtin it resembles, so ``except ValueError`` in
existing code keeps working, and carries structured attributes besides its
message::

    SessionKitError
    ├── InvalidValue (ValueError)              bad input in general
    │   ├── NaiveDatetime                       a datetime without tzinfo
    │   ├── InvalidTimeSpan                     end <= start
    │   ├── InvalidDuration                     a duration/step <= 0, a negative buffer
    │   ├── InvalidWindow                       a query window whose end is before its start
    │   ├── UnknownTimeZone                     not an IANA zone name
    │   ├── UnknownCurrency                     not an ISO 4217 code with a minor unit
    │   ├── UnknownStatus (LookupError)         not a status of the lifecycle
    │   ├── UnknownTransitionName (LookupError) not a transition of the lifecycle
    │   ├── NotASession (TypeError)             a value a lifecycle cannot drive
    │   ├── InvalidRecurrence                   a rule, EXDATE or RDATE that cannot be used
    │   └── InvalidAvailability                 weekly hours that make no sense
    ├── WrongType (TypeError)                   a public API got a value of the wrong type
    │   └── NotADatetime                        not a datetime (date, time, timedelta)
    ├── NotIndexed (KeyError)                   a key that a ConflictIndex does not hold
    ├── WallTimeError (ValueError)              a local time that is not one instant
    │   ├── SkippedTime                         falls in a DST gap (does not exist)
    │   └── RepeatedTime                        falls in a DST fold (exists twice)
    ├── LimitExceeded (ValueError)              a call asked for more than a Limits value allows
    │   └── ExpansionLimitExceeded (RuntimeError) a recurrence examined too many candidates
    ├── NotFound (LookupError)                  no such record of a kind for this tenant
    │   ├── SessionNotFound                     no such session
    │   ├── SeriesNotFound                      no such series
    │   ├── BookingNotFound                     no such booking
    │   ├── PaymentNotFound                     no such payment
    │   ├── RescheduleNotFound                  no such reschedule request
    │   └── SubscriptionNotFound                no such subscription
    ├── Duplicate (ValueError)                  the id or a unique key of a kind is taken
    │   ├── DuplicateSession                    session id, (series, occurrence) or (series, start)
    │   ├── DuplicateSeries                     the series id
    │   ├── DuplicateBooking                    the booking id or idempotency key
    │   ├── DuplicatePayment                    the payment id, booking or provider reference
    │   ├── DuplicateReschedule                 the request id, or a second pending one
    │   └── DuplicateUsage                      a usage entry, subscription or session code taken
    ├── StillReferenced (ValueError)            other records still point at the one to delete
    ├── CapacityExceeded (ValueError)           fewer free seats than asked for (``may_free_at``)
    ├── HoldExpired (ValueError)                a hold or offer ran out before it was confirmed
    ├── IdempotencyKeyReused (ValueError)       a key replayed with another request
    ├── AlreadyBooked (ValueError)              the participant is already in the session
    ├── ActionRefused (ValueError)              a policy rule said no (``rule``, ``allows_at``)
    │   ├── BookingRefused                      a booking rule said no
    │   ├── CancelRefused                       a notice rule refused a cancel
    │   ├── JoinRefused                         a join rule kept a participant out of a room
    │   ├── RescheduleRefused                   a reschedule rule said no
    │   └── UsageLimitReached                   a subscription has no credit left in the period
    ├── CurrencyMismatch (ValueError)           two currencies in one sum or comparison
    ├── RefundExceedsPayment (ValueError)       a refund above what is left of the payment
    ├── RefundKeyReused (ValueError)            a refund's key replayed for another payment or sum
    ├── PaymentDeclined (ValueError)            the provider declined; the seats were released
    ├── PaymentRequired (ValueError)            a booking confirmed before its payment succeeded
    ├── PaymentGatewayError (ConnectionError)   the provider failed; safe to retry
    ├── MeetingRoomsError (ConnectionError)     the meeting provider failed; the change stands
    ├── UnsupportedKind (LookupError)           an adapter cannot store that kind
    ├── NestedUnitOfWork (RuntimeError)         a unit of work opened inside another
    ├── SessionConflict (ValueError)            a busy resource is taken at that time
    ├── SessionLocked (ValueError)              status or dependents forbid the change
    ├── ConcurrentModification (RuntimeError)   the stored version moved on
    │   └── TransientConflict                   the database broke a deadlock (``retryable``)
    ├── StorageError (OSError)                  the database itself failed (``backend``, ``code``)
    │   ├── SchemaMissing (LookupError)         sessionkit's tables not made or not upgraded
    │   ├── StorageUnavailable (ConnectionError) connection refused, lost or killed
    │   ├── StorageFull                         no room left in the database or on its disk
    │   ├── StorageReadOnly (PermissionError)   a read-only file, server or transaction
    │   └── StorageTimeout (TimeoutError)       a lock or statement waited too long
    ├── SeriesClosedError (ValueError)          the series is closed
    ├── LifecycleError (ValueError)
    │   ├── InvalidLifecycle                    a lifecycle definition that is not sound
    │   ├── InvalidTransition                   a transition not allowed from the status
    │   ├── TransitionRefused                   a guard said no (``allows_at``: when it allows)
    │   ├── LifecycleNotApplicable              the lifecycle drives another kind of value
    │   └── UnknownLifecycle (LookupError)      no preset by that name
    ├── MissingFact (LookupError)               a timer's condition needs a fact not given
    ├── RoleNotGranted (PermissionError)        a caller acting in a role the host did not grant
    ├── ParticipantNotGranted (PermissionError) the host named no participant for the caller
"""

from __future__ import annotations

from sessionkit.errors._base import (
    ExpansionLimitExceeded,
    InvalidAvailability,
    InvalidDuration,
    InvalidRecurrence,
    InvalidTimeSpan,
    InvalidValue,
    InvalidWindow,
    LimitExceeded,
    NaiveDatetime,
    NotADatetime,
    NotASession,
    NotIndexed,
    RepeatedTime,
    SessionKitError,
    SkippedTime,
    UnknownStatus,
    UnknownTimeZone,
    UnknownTransitionName,
    WallTimeError,
    WrongType,
)
from sessionkit.errors._bookings import (
    AlreadyBooked,
    BookingNotFound,
    BookingRefused,
    CapacityExceeded,
    DuplicateBooking,
    HoldExpired,
    IdempotencyKeyReused,
)
from sessionkit.errors._faults import (
    SchemaMissing,
    StorageError,
    StorageFull,
    StorageReadOnly,
    StorageTimeout,
    StorageUnavailable,
    TransientConflict,
)
from sessionkit.errors._lifecycle import (
    InvalidLifecycle,
    InvalidTransition,
    LifecycleError,
    LifecycleNotApplicable,
    MissingFact,
    TransitionRefused,
    UnknownLifecycle,
)
from sessionkit.errors._money import (
    CurrencyMismatch,
    DuplicatePayment,
    PaymentDeclined,
    PaymentGatewayError,
    PaymentNotFound,
    PaymentRequired,
    RefundExceedsPayment,
    RefundKeyReused,
    UnknownCurrency,
)
from sessionkit.errors._policies import (
    ActionRefused,
    CancelRefused,
    DuplicateReschedule,
    JoinRefused,
    MeetingRoomsError,
    ParticipantNotGranted,
    RescheduleNotFound,
    RescheduleRefused,
    RoleNotGranted,
)
from sessionkit.errors._storage import (
    ConcurrentModification,
    Duplicate,
    DuplicateSeries,
    DuplicateSession,
    NestedUnitOfWork,
    NotFound,
    SeriesClosedError,
    SeriesNotFound,
    SessionConflict,
    SessionLocked,
    SessionNotFound,
    StillReferenced,
    UnsupportedKind,
)
from sessionkit.errors._usage import DuplicateUsage, SubscriptionNotFound, UsageLimitReached

__all__ = [
    "DuplicateUsage",
    "SubscriptionNotFound",
    "UsageLimitReached",
    "ActionRefused",
    "CancelRefused",
    "DuplicateReschedule",
    "RescheduleNotFound",
    "JoinRefused",
    "MeetingRoomsError",
    "RescheduleRefused",
    "ParticipantNotGranted",
    "RoleNotGranted",
    "CurrencyMismatch",
    "DuplicatePayment",
    "PaymentDeclined",
    "PaymentGatewayError",
    "PaymentNotFound",
    "PaymentRequired",
    "RefundExceedsPayment",
    "RefundKeyReused",
    "UnknownCurrency",
    "AlreadyBooked",
    "BookingNotFound",
    "BookingRefused",
    "CapacityExceeded",
    "DuplicateBooking",
    "HoldExpired",
    "IdempotencyKeyReused",
    "NotFound",
    "Duplicate",
    "WrongType",
    "UnsupportedKind",
    "NestedUnitOfWork",
    "ConcurrentModification",
    "TransientConflict",
    "StorageError",
    "SchemaMissing",
    "StorageUnavailable",
    "StorageFull",
    "StorageReadOnly",
    "StorageTimeout",
    "DuplicateSession",
    "DuplicateSeries",
    "SeriesClosedError",
    "SeriesNotFound",
    "SessionConflict",
    "SessionLocked",
    "SessionNotFound",
    "StillReferenced",
    "ExpansionLimitExceeded",
    "LimitExceeded",
    "InvalidAvailability",
    "InvalidDuration",
    "InvalidLifecycle",
    "InvalidRecurrence",
    "InvalidTimeSpan",
    "InvalidTransition",
    "InvalidValue",
    "InvalidWindow",
    "LifecycleError",
    "LifecycleNotApplicable",
    "MissingFact",
    "NaiveDatetime",
    "NotADatetime",
    "NotASession",
    "NotIndexed",
    "RepeatedTime",
    "SessionKitError",
    "SkippedTime",
    "TransitionRefused",
    "UnknownLifecycle",
    "UnknownStatus",
    "UnknownTimeZone",
    "UnknownTransitionName",
    "WallTimeError",
]

# Show (and pickle) every error under its public path, not the private module it lives in.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
