"""The body of a problem: what each sessionkit error answers, as RFC 9457 members and its own.

:data:`ERROR_STATUS` (kept in ``_problem_status``, re-exported here) gives each
error class its HTTP status; :func:`problem_body` builds the body (its structured
fields as JSON, a field named as a member renamed by :func:`member_name`).
:mod:`sessionkit.contrib.fastapi.problems` sends it, and re-exports every public
name here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs
from pydantic import BaseModel, ConfigDict, Field

from sessionkit import errors as e
from sessionkit.contrib.fastapi._advice import (
    ADVICE_FIELDS,
    in_api_terms,
    in_seconds,
    whole_seconds,
)
from sessionkit.contrib.fastapi._problem_status import ERROR_STATUS, asked, status_of
from sessionkit.errors._base import shown
from sessionkit.model.money import Money
from sessionkit.model.session import ResourceRef, Session

__all__ = [
    "DEFAULT_TYPE_BASE",
    "ERROR_STATUS",
    "Problem",
    "asked",
    "member_name",
    "problem_body",
    "problem_type",
    "status_of",
    "unstored",
]

DEFAULT_TYPE_BASE = "urn:sessionkit:problem:"
"""Prefix of the problem type URIs; pass ``type_base=`` your documentation's URL to resolve them."""

_HIDDEN = frozenset({"guard"})  # a callable: nothing a client could use
_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "error"})
"""The members every problem body has: RFC 9457's and sessionkit's ``error``."""
_SUBJECTS: dict[type[e.SessionKitError], str] = {
    e.AlreadyBooked: "booking",  # the status of the booking already in play
    e.PaymentRequired: "payment",  # the status of the payment that confirms the booking
    e.PaymentGatewayError: "provider",  # the provider's own words for what failed
    e.MeetingRoomsError: "session",  # the status the session entered, stored
}
"""What the clashing fields of an error without a ``subject`` field describe."""
_MAX_ITEMS = 50
_MAX_TEXT = 500


def member_name(error: e.SessionKitError, name: str) -> str:
    """Return the member of ``error``'s problem body that holds its structured field ``name``.

    The field's own name, unless the body already has a member of that name
    (``type``, ``title``, ``status``, ``detail``, ``instance``, ``error``):
    then ``<subject>_<name>``, named by what the field describes, since a
    client reads ``status`` as the HTTP status and ``detail`` as the message.
    The subject is the error's own ``subject`` field where it has one (an
    ``InvalidTransition`` of a session gives ``session_status``, of a booking
    ``booking_status``), else its class's (``AlreadyBooked``: ``booking``,
    ``PaymentRequired``: ``payment``, ``PaymentGatewayError``: ``provider``),
    else ``error``.
    """
    if name not in _MEMBERS:
        return name
    subject = getattr(error, "subject", None)
    if not isinstance(subject, str) or not subject:
        subject = next((_SUBJECTS[c] for c in type(error).__mro__ if c in _SUBJECTS), "error")
    return f"{subject}_{name}"


def _slug(cls: type) -> str:
    name = cls.__name__.removesuffix("Error") or cls.__name__
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def problem_type(cls: type[e.SessionKitError], type_base: str = DEFAULT_TYPE_BASE) -> str:
    """Return the problem type URI of an error class, e.g. ``urn:sessionkit:problem:capacity-exceeded``."""  # noqa: E501
    return type_base + _slug(cls)


def _title(cls: type) -> str:
    words = _slug(cls).replace("-", " ")
    return words[:1].upper() + words[1:]


def _session_fields(session: Session, *, stored: bool = True) -> dict[str, Any]:
    """What a problem shows of a session: ``id`` (``None`` for one never stored), time, status."""
    return {
        "id": session.id if stored else None,
        "title": session.title,
        "start": session.span.start.isoformat(),
        "end": session.span.end.isoformat(),
        "status": session.status,
        "resources": [str(r) for r in session.resources],
    }


def unstored(conflict: e.SessionConflict) -> e.SessionConflict:
    """Return ``conflict`` as told of a new session that was refused, so never stored.

    Its ``session`` is shown with ``id`` null (a client reading the id would
    find nothing there); the ``conflicts``, stored sessions, keep theirs.
    """
    if not isinstance(conflict.session, Session):
        return conflict
    return e.SessionConflict(
        str(conflict),
        session=_session_fields(conflict.session, stored=False),
        conflicts=conflict.conflicts,
    )


def _jsonable(value: object, depth: int = 0) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else shown(value)
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):  # whole seconds, as the detail beside it says them
        return whole_seconds(value)
    if isinstance(value, Enum):
        return _jsonable(value.value, depth + 1)
    if isinstance(value, ResourceRef):
        return str(value)
    if isinstance(value, Session):
        return _session_fields(value)
    if isinstance(value, Money):  # as amounts travel everywhere: decimal text and currency
        return {"amount": str(value.amount), "currency": value.currency}
    if depth >= 3:
        return shown(value)
    if isinstance(value, Mapping):
        items = list(value.items())[:_MAX_ITEMS]
        return {str(k): _jsonable(v, depth + 1) for k, v in items}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v, depth + 1) for v in list(value)[:_MAX_ITEMS]]
    if attrs.has(type(value)) and isinstance(getattr(value, "id", None), str):
        return value.id  # type: ignore[attr-defined]  # a stored record: name it by its id
    return shown(value)


class Problem(BaseModel):
    """An RFC 9457 problem; sessionkit adds ``error`` and the error's structured fields."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time, in words a person can act on.")
    instance: str | None = Field(default=None, description="The path of the request.")
    error: str = Field(
        description=(
            "The error's class: a sessionkit error (e.g. CapacityExceeded), or"
            " HTTPException, RequestValidationError or InternalServerError."
        )
    )
    rule: str | None = Field(
        default=None,
        description="A refusal's rule (BookingRefused, RescheduleRefused, CancelRefused, ...).",
    )
    allows_at: str | None = Field(
        default=None,
        description="When a refused request would be allowed (ISO 8601); null: not by waiting.",
    )
    limit: int | None = Field(
        default=None,
        description="The most a rule allows: a BookingRefused per_day / per_week's maximum of "
        "bookings (null for its other rules); ExpansionLimitExceeded's candidate cap.",
    )
    count: int | None = Field(
        default=None,
        description="What a participant already has against a BookingRefused per_day / "
        "per_week limit: bookings and waitlist places in play that day or week.",
    )
    reason: str | None = Field(
        default=None,
        description="Why the request was refused, in words a person can act on: a refusal's "
        "reason (BookingRefused, TransitionRefused, ...); an InvalidTransition's says what the "
        "caller can do instead (a waitlist place is confirmed once a seat is offered to it), "
        "null when its detail lists the transitions allowed now; a PaymentRequired's, of a seat "
        "asked for without paying, too (pay; or, where the session keeps a waitlist, join it "
        "without confirm).",
    )
    may_free_at: str | None = Field(
        default=None,
        description="When room may free (ISO 8601) if holds run out unconfirmed, no promise: "
        "CapacityExceeded's seats, a BookingRefused per_day / per_week's place; null: none "
        "in sight, or not computed (a store's own capacity check refusing a write the "
        "booking commands did not make).",
    )
    # An error's field named as a member, renamed by member_name(): the statuses a client
    # acts on (InvalidTransition, TransitionRefused, AlreadyBooked, PaymentRequired).
    session_status: str | None = Field(
        default=None,
        description="The session's status (InvalidTransition, TransitionRefused).",
    )
    booking_status: str | None = Field(
        default=None,
        description="The booking's status (AlreadyBooked, InvalidTransition, TransitionRefused).",
    )
    payment_status: str | None = Field(
        default=None,
        description="The payment's status (PaymentRequired: 'missing' without one; "
        "InvalidTransition, TransitionRefused).",
    )
    provider_detail: str | None = Field(
        default=None,
        description="What the payment provider said went wrong (PaymentGatewayError).",
    )


def _durations_in_seconds(error: e.SessionKitError) -> str:
    """``error``'s message, a ``LimitExceeded``'s durations in seconds as its members carry them."""
    text = str(error)
    if not isinstance(error, e.LimitExceeded):
        return text
    name, value, maximum = error.name, error.value, error.maximum
    what = getattr(error, "what", "")
    if text != e.LimitExceeded.wording(name, value, maximum, what=what):
        return text  # a message of its own (ExpansionLimitExceeded's)
    return e.LimitExceeded.wording(name, value, maximum, what=what, durations=in_seconds)


_PAID_BOOKING = re.compile(r"(?<!\w)kit\.payments\.book(?![\w(])")
"""``kit.payments.book`` in advice: its route depends on whether the session is stored."""


def _advised(error: e.SessionKitError, text: str, *, staff: bool) -> str:
    """``text``, advice of ``error``, in the API's terms (:func:`in_api_terms`).

    A priced session a booking drafted was never stored: it has no id for
    ``POST /sessions/{session_id}/paid-bookings``, so paying for it is
    ``POST /paid-bookings`` alone, which drafts it again.
    """
    if (
        isinstance(error, e.PaymentRequired)
        and error.session_id is None
        and error.booking_id is None
    ):
        text = _PAID_BOOKING.sub("POST /paid-bookings", text)
    return in_api_terms(text, staff=staff)


def problem_body(
    error: e.SessionKitError,
    *,
    instance: str | None = None,
    type_base: str = DEFAULT_TYPE_BASE,
    staff: bool = False,
) -> dict[str, Any]:
    """Return the problem+json body of ``error``: RFC 9457 members plus its structured fields.

    A field named as a member goes out under :func:`member_name`'s name, never dropped.
    The advice in ``detail`` and in the advice fields (``expected``, ``reason``) is
    told in the API's terms: the route to call, the body member to send, the form
    of a value (``kit.payments.book`` is ``POST /sessions/{session_id}/paid-bookings``,
    ``manual=True`` is ``"manual": true``), and a duration in it in seconds, as a
    duration field goes out (a ``LimitExceeded`` of ``window``); every other field
    is as the error has it. Advice only staff may follow (send ``"manual": true``,
    give a refund) is given when ``staff`` is true, the caller being staff; else
    it is left out or said as staff's (see ``_advice.STAFF_ONLY``).
    """
    cls = type(error)
    body: dict[str, Any] = {
        "type": problem_type(cls, type_base),
        "title": _title(cls),
        "status": status_of(error),
        "detail": _advised(error, _durations_in_seconds(error), staff=staff),
        "instance": instance,
        "error": cls.__name__,
    }
    for name, value in vars(error).items():
        if name.startswith("_") or name in _HIDDEN:
            continue
        field = _jsonable(value)
        if name in ADVICE_FIELDS and isinstance(field, str):
            field = _advised(error, field, staff=staff)
        body.setdefault(member_name(error, name), field)
    return body
