"""The HTTP status of each sessionkit error, and the webhook's answer to an unknown payment.

Framework-neutral, so that every web integration answers alike: FastAPI's
problems (:mod:`sessionkit.contrib.fastapi._problem_status` re-exports these
names) and Django's :func:`sessionkit.contrib.django.views.payment_webhook`.
It imports no web framework or Pydantic (the import-linter contracts keep those
out of ``contrib.django``). :data:`ERROR_STATUS` maps every error class to its
status; :func:`status_of` looks an error up there (its class, then its bases),
and :func:`asked` marks an unknown lifecycle or status the request named as the
client's (422, not 500).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from sessionkit import errors as e

__all__ = [
    "ERROR_STATUS",
    "UNKNOWN_EVENT_RETRIED_FOR",
    "UNKNOWN_EVENT_RETRY_AFTER",
    "asked",
    "status_of",
]

UNKNOWN_EVENT_RETRY_AFTER = 60
"""The ``Retry-After`` (seconds) of the 503 answering an event whose payment is not known yet."""
UNKNOWN_EVENT_RETRIED_FOR = timedelta(days=1)
"""How long after its ``occurred_at`` an event of no payment here is answered 503, not 200.

Its payment may still be stored (the provider's webhook outran the kit storing the
intent's reference, or the payment job storing it after a failed call): a provider
retries on a non-2xx only (Stripe, Adyen). Past this, the event is taken for one of a
payment made elsewhere on the same provider account, which will never be known here,
and answered 200, so that it stops holding the provider's retry queue.
"""

ERROR_STATUS: dict[type[e.SessionKitError], int] = {
    # Bad input: the request cannot be carried out as it stands.
    e.InvalidValue: 422,
    e.NaiveDatetime: 422,
    e.InvalidTimeSpan: 422,
    e.InvalidDuration: 422,
    e.InvalidWindow: 422,
    e.UnknownTimeZone: 422,
    e.UnknownCurrency: 422,
    e.UnknownTransitionName: 422,
    e.NotASession: 422,
    e.InvalidRecurrence: 422,
    e.InvalidAvailability: 422,
    e.WrongType: 422,
    e.NotADatetime: 422,
    e.WallTimeError: 422,
    e.SkippedTime: 422,
    e.RepeatedTime: 422,
    e.LimitExceeded: 422,
    e.ExpansionLimitExceeded: 422,
    e.IdempotencyKeyReused: 422,
    e.RefundKeyReused: 422,  # as IdempotencyKeyReused: the same key with another request
    e.CurrencyMismatch: 422,
    e.RefundExceedsPayment: 422,
    e.LifecycleNotApplicable: 422,
    e.MissingFact: 422,
    # The host did not let the caller act so.
    e.RoleNotGranted: 403,
    e.ParticipantNotGranted: 403,
    # Not there (another tenant's records look the same).
    e.NotFound: 404,
    e.SessionNotFound: 404,
    e.SeriesNotFound: 404,
    e.BookingNotFound: 404,
    e.PaymentNotFound: 404,
    e.RescheduleNotFound: 404,
    e.SubscriptionNotFound: 404,
    e.NotIndexed: 404,
    # The state of the resource refuses the request.
    e.Duplicate: 409,
    e.DuplicateSession: 409,
    e.DuplicateSeries: 409,
    e.DuplicateBooking: 409,
    e.DuplicatePayment: 409,
    e.DuplicateReschedule: 409,
    e.DuplicateUsage: 409,
    e.StillReferenced: 409,
    e.CapacityExceeded: 409,
    e.HoldExpired: 409,
    e.AlreadyBooked: 409,
    e.ActionRefused: 409,
    e.BookingRefused: 409,
    e.RescheduleRefused: 409,
    e.JoinRefused: 409,
    e.CancelRefused: 409,
    e.UsageLimitReached: 409,
    e.SessionConflict: 409,
    e.SessionLocked: 409,
    e.SeriesClosedError: 409,
    e.LifecycleError: 409,
    e.InvalidTransition: 409,
    e.TransitionRefused: 409,
    e.ConcurrentModification: 409,
    # Money.
    e.PaymentDeclined: 402,
    e.PaymentRequired: 402,
    e.PaymentGatewayError: 502,
    # The meeting provider failed a room call after the change was stored.
    e.MeetingRoomsError: 502,
    # The database: try again later.
    e.TransientConflict: 503,
    e.StorageError: 503,
    e.StorageUnavailable: 503,
    e.StorageReadOnly: 503,
    e.StorageTimeout: 503,
    e.StorageFull: 507,
    # The host's wiring is wrong: a server error, not the client's.
    e.SessionKitError: 500,
    e.UnsupportedKind: 500,
    e.SchemaMissing: 500,
    e.NestedUnitOfWork: 500,
    e.InvalidLifecycle: 500,
    # A stored record's lifecycle, or status, the kit no longer knows: the host's data or
    # configuration. A lifecycle or status the request names is the client's input: see asked().
    e.UnknownLifecycle: 500,
    e.UnknownStatus: 500,
}
"""The HTTP status of every sessionkit error class (looked up by exact class, then its bases)."""

_ASKED = "_sessionkit_asked"
"""Set on an error :func:`asked` marks as the client's input."""


_Unknown = TypeVar("_Unknown", e.UnknownLifecycle, e.UnknownStatus)


def asked(error: _Unknown) -> _Unknown:
    """Return ``error`` marked as the refusal of a name the request itself gave: a 422.

    By its class an ``UnknownLifecycle`` or ``UnknownStatus`` is a 500: a
    command met a stored session (or series) of a lifecycle, or in a status,
    the kit no longer knows, which the host's data or configuration must
    mend, not the client. A route that checks a lifecycle or status name the
    client sent marks its refusal with this.
    """
    setattr(error, _ASKED, True)  # private: a problem's body skips names starting with "_"
    return error


def status_of(error: e.SessionKitError) -> int:
    """Return the HTTP status of ``error``: its class's, or the nearest base class's.

    An ``UnknownLifecycle`` or ``UnknownStatus`` marked by :func:`asked` is the
    client's: 422.
    """
    if getattr(error, _ASKED, False):
        return 422
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500
