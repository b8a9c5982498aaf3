"""What the route modules share: the caller and its roles, idempotency keys, statuses, instants."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
import hashlib
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Annotated, Any, TypedDict, overload

import attrs
from fastapi import Header, Query

from sessionkit.contrib.fastapi._advice import WITH_OFFSET, in_seconds
from sessionkit.contrib.fastapi._problem_body import asked
from sessionkit.contrib.fastapi.schema_types import read_date_time
from sessionkit.contrib.fastapi.schemas import BookingCancel, BookingCreate
from sessionkit.errors import (
    InvalidValue,
    NaiveDatetime,
    NotADatetime,
    RoleNotGranted,
    UnknownLifecycle,
    UnknownStatus,
    WrongType,
)
from sessionkit.errors._base import set_repr, shown
from sessionkit.model.booking import participant_ref
from sessionkit.model.text import check_names
from sessionkit.services import SessionKit
from sessionkit.services.booking_requests import check_key
from sessionkit.services.queries import known_session_statuses
from sessionkit.timespan import check_delta

__all__ = [
    "ACTING",
    "DEFAULT_PAYMENT_EVENT_SKEW",
    "DEFAULT_PRESENCE_SKEW",
    "check_payment_event_skew",
    "check_presence_skew",
    "heard_by",
    "Cursor",
    "Instant",
    "MaybeInstant",
    "Names",
    "DEFAULT_ROLES",
    "EVERY_ROUTE",
    "READ",
    "READ_AS",
    "WRITE",
    "Caller",
    "IdempotencyKey",
    "Cancelling",
    "acting_role",
    "booked",
    "booking_role",
    "cancelling",
    "actor_of",
    "instant",
    "key_id",
    "lifecycle_named",
    "participant_named",
    "role_names",
    "session_statuses",
    "status_names",
]

DEFAULT_PRESENCE_SKEW = timedelta(minutes=2)
"""How far past the kit's now a presence event may be dated: the provider's clock running ahead."""
DEFAULT_PAYMENT_EVENT_SKEW = timedelta(minutes=2)
"""How far past the kit's now a payment event's ``occurred_at`` may be: the provider's clock
running ahead."""
MAX_SKEW = timedelta(hours=1)
"""The most skew a router allows a provider's clock: more is no clock's drift but a wrong date
(a join that would start a lesson early, a payment dated after it was heard)."""


def check_presence_skew(value: object) -> timedelta:
    """Return ``value`` as a router's ``presence_skew``: a ``timedelta`` from 0 to an hour."""
    return check_delta(value, "presence_skew", maximum=MAX_SKEW)


def check_payment_event_skew(value: object) -> timedelta:
    """Return ``value`` as a router's ``payment_event_skew``: a ``timedelta`` from 0 to an hour."""
    return check_delta(value, "payment_event_skew", maximum=MAX_SKEW)


def heard_by(at: datetime, name: str, *, now: datetime, skew: timedelta, what: str) -> None:
    """Refuse ``at`` (the request's ``name``) dated later than ``now`` plus ``skew``.

    ``what`` (``"a presence event"``) is posted after it happens, so a later
    date is the provider's clock running further ahead than the router allows:
    an ``InvalidValue`` naming it, the latest instant taken as ``expected``.
    """
    latest = now + skew
    if at > latest:
        raise InvalidValue(
            f"{name} {at.isoformat()} is later than the kit's now ({now.isoformat()}) plus "
            f"{in_seconds(skew)} allowed for clock skew: {what} is posted after it happens",
            value=at,
            expected=f"at or before {latest.isoformat()}",
        )


DEFAULT_ROLES: frozenset[str] = frozenset({"participant", "attendee"})
"""The roles of a caller the host grants none: the ones sessionkit's commands take by default
(``"participant"`` cancels a booking, ``"attendee"`` is a booking's role), privileged in no
default policy."""


def role_names(value: object, *, name: str) -> frozenset[str]:
    """Return ``value`` as a set of role names (non-empty strings); ``name`` says whose they are."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise WrongType(value, name=name, expected="a set of role names")
    roles = frozenset(value)
    if not all(isinstance(r, str) and r for r in roles):
        raise InvalidValue(
            f"{name} are non-empty strings, got {sorted(map(repr, roles))}",
            value=value,
            expected="role names such as 'student'",
        )
    return roles


def _granted(value: object) -> frozenset[str]:
    return role_names(value, name="Caller.roles")


def _participant(value: object) -> str | None:
    return None if value is None else str(participant_ref(value))  # type: ignore[arg-type]


@attrs.frozen
class Caller:
    """Who is calling: the tenant whose records it sees, the actor recorded, the roles granted.

    The host derives it from its own authentication (a dependency returning a
    ``Caller``); sessionkit never reads a header or a token itself.

    ``roles`` are the only roles the caller may act in. The notice, refund and
    reschedule policies (and lifecycle guards) judge a command by the role it
    is made in, which the request names (``role``, ``acting_role``, or the
    route's default); a role not in ``roles`` is refused with
    ``RoleNotGranted`` (403) before anything is read. The default,
    :data:`DEFAULT_ROLES`, is the roles sessionkit's commands take when none
    is named: a host that grants nothing lets no caller claim ``host``,
    ``admin`` or ``provider``. A host whose policies name roles grants them,
    e.g. ``roles={"student"}`` for a student (then the default roles are not
    granted too: a student cannot escape the student's notice by acting as
    ``participant``) and ``{"tutor", "provider"}`` for the tutor (and
    ``"student"`` if it books students' seats by hand: a booking takes only a
    role its maker holds).

    A caller holding one of the router's ``staff_roles`` (default
    ``{"host", "provider", "admin"}``) is staff: it acts as the schedule's
    owner (sessions, series, money moved by hand, attendance overrides);
    those routes refuse anyone else with ``RoleNotGranted`` (403).

    ``participant`` is the participant the caller is (``"student:ann"``, or a
    ``ResourceRef``; kept as text), when the host knows it. What is issued
    only to a participant themself, a join credential, needs it; without it
    such a route answers ``ParticipantNotGranted`` (403). A caller that is not
    staff acts for that participant alone: another participant's bookings,
    payments and reschedules are ``ParticipantNotGranted`` too. Without one it
    acts for none: it may make a new booking for anyone (a public booking
    form) and confirm or claim the bookings its actor made, and reads or
    changes nothing else of any participant's bookings, payments or
    reschedules.
    """

    tenant: str
    actor: str | None = None
    roles: frozenset[str] = attrs.field(default=DEFAULT_ROLES, converter=_granted, repr=set_repr)
    participant: str | None = attrs.field(default=None, converter=_participant)


@overload
def acting_role(who: Caller, role: str) -> str: ...
@overload
def acting_role(who: Caller, role: None) -> None: ...
def acting_role(who: Caller, role: str | None) -> str | None:
    """Return ``role`` if the caller may act in it (``None``: in no role); else ``RoleNotGranted``.

    Every route that acts in a role passes it here first: the one place the
    role a request names meets the roles the host granted.
    """
    if role is None or role in who.roles:
        return role
    raise RoleNotGranted(role, granted=who.roles)


def booking_role(who: Caller, body: BookingCreate) -> str:
    """Return the role a booking request acts in, once both of its roles are granted.

    ``body.role`` is what the participant will be in the session (a meeting
    room hands it on, ``host`` or ``student``), ``body.judged_role`` the role
    the booking is judged in (``acting_role``, else ``role``). Either one not
    granted is ``RoleNotGranted``: a caller may not give a booking a role it
    does not hold.
    """
    judged = acting_role(who, body.judged_role)  # the one the request names first
    acting_role(who, body.role)
    return judged


class Booked(TypedDict):
    """How a booking request books: the keywords ``bookings.book`` and ``payments.book`` share."""

    actor: str | None
    seats: int
    role: str
    acting_role: str
    hold_for: timedelta | None
    waitlist: bool
    idempotency_key: str | None
    metadata: dict[str, Any] | None


def booked(who: Caller, body: BookingCreate, key: str | None) -> Booked:
    """Return how ``who`` books as ``body`` asks, its roles granted (:func:`booking_role`).

    The body's participant is told a participant's form as a path's is
    (:func:`participant_named`): the core's refusal shows a resource's.
    """
    participant_named(body.participant)
    return {
        "actor": who.actor,
        "seats": body.seats,
        "role": body.role,
        "acting_role": booking_role(who, body),
        "hold_for": None if body.hold_minutes is None else timedelta(minutes=body.hold_minutes),
        "waitlist": body.waitlist,
        "idempotency_key": key,
        "metadata": body.metadata,
    }


class Cancelling(TypedDict):
    """How a booking is cancelled: the keywords of the services' ``cancel``."""

    actor: str | None
    role: str
    reason: str | None


def cancelling(who: Caller, body: BookingCancel | None) -> Cancelling:
    """Return how ``who`` cancels a booking as ``body`` asks (default: as its participant)."""
    given = body or BookingCancel()
    return {"actor": who.actor, "role": acting_role(who, given.role), "reason": given.reason}


def actor_of(who: Caller) -> str:
    """Return the caller's actor, for commands that record who asked; ``InvalidValue`` without."""
    if who.actor is None:
        raise InvalidValue(
            "this command records who acts: the caller dependency gave no actor",
            value=None,
            expected="Caller(tenant, actor=...)",
        )
    return who.actor


def key_id(tenant: str, key: str) -> str:
    """Return the record id an ``Idempotency-Key`` stands for: the same key, the same record.

    The key is checked as a booking's is (:func:`check_key`): empty, blanks only or too
    long is ``InvalidValue``, so one header means the same on every route.
    """
    checked = check_key(key)
    if checked is None:  # check_key reads None as "no key"; an id needs one
        raise WrongType(key, name="Idempotency-Key", expected="a string (text)")
    digest = hashlib.sha256(f"{tenant}\x00{checked}".encode("utf-8", "surrogatepass"))
    return "k" + digest.hexdigest()[:32]


EVERY_ROUTE = (500, 503)
"""The problems every route declares (``Tagged`` adds them), as every route reads the store:
503, the storage (``StorageError`` and its kinds, ``TransientConflict``); 500, the host's data
or wiring (a stored record's ``UnknownLifecycle`` or ``UnknownStatus``, ``SchemaMissing``)."""
READ = (404, 422)
WRITE = (400, 404, 409, 422, 502, 507)
"""A command's problems, beside :data:`EVERY_ROUTE`'s. 502: a provider failed after the change
was stored, such as the meeting rooms a store's ``RoomKeeper`` opens and closes on any session
status the command changed (a cancel, a join's timed READY, a last booking cancelled, ...):
``MeetingRoomsError``."""
ACTING = (403, *WRITE)
"""A command made in a role the caller must be granted (:func:`acting_role`), as staff, or
for a participant the caller may act for."""
READ_AS = (403, *READ)
"""A read the caller may be refused: what a role may do (the role must be granted), or
records of a participant (another's, for a caller kept to its own: ``ParticipantNotGranted``)."""
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=(
            "The same key sent again with the same request returns the record the first"
            " request made, as it stands now (a booking cancelled or run out since comes back"
            " so), and makes nothing new. A series is compared as it stands now: one edited"
            " since is another request (422 IdempotencyKeyReused)."
        ),
    ),
]


Names = Annotated[list[str] | None, Query()]
"""A query parameter naming any number of values (``?status=held&status=confirmed``)."""
Instant = Annotated[str, Query(description="ISO 8601 with offset")]
"""A query parameter naming an instant, read by :func:`instant`."""
MaybeInstant = Annotated[str | None, Query(description="ISO 8601 with offset")]
"""An optional query parameter naming an instant."""
Cursor = Annotated[str | None, Query(description="next_cursor of the last page")]
"""The keyset cursor continuing after the last page."""


def lifecycle_named(app: SessionKit, name: str | None) -> None:
    """Refuse a lifecycle the request names that the kit does not know: the client's (a 422).

    Checked before the command runs, which would raise the same
    ``UnknownLifecycle`` as for a stored session of a lifecycle the kit no
    longer knows, a 500 (see :func:`~sessionkit.contrib.fastapi.problems.asked`).
    ``None``: the request names none.
    """
    if name is None:
        return
    try:
        app.context.lifecycle(name)
    except UnknownLifecycle as unknown:
        raise asked(unknown) from None


def status_names(
    values: list[str] | None, known: Collection[str] = (), *, of: str = ""
) -> tuple[str, ...] | None:
    """Read the query parameter ``status``: the names a list is filtered by (``None``: all).

    Checked here as the services check their ``statuses=`` (at most 64 distinct
    names of 1 to 64 characters; with ``known``, each a status an ``of`` record
    can have), so a refusal names ``status``, the parameter the client sent,
    never the services' argument.
    """
    if values is None:
        return None
    names = check_names(values, "status")
    unknown = [name for name in names if known and name not in known]
    if unknown:
        raise InvalidValue(
            f"status {shown(unknown[0])} is no {of} status",
            value=unknown[0],
            expected=f"one of {', '.join(sorted(known))}",
        )
    return names


def session_statuses(app: SessionKit, values: list[str] | None) -> tuple[str, ...] | None:
    """Read the query parameter ``status`` naming session statuses, each one the kit knows.

    Checked as the services check a query's statuses, before the query runs:
    a status no lifecycle of the kit has is the client's typo (a 422), where
    the same ``UnknownStatus`` of a stored session is the host's (a 500; see
    :func:`~sessionkit.contrib.fastapi.problems.asked`).
    """
    names = status_names(values)
    try:
        known_session_statuses(app.context, names)
    except UnknownStatus as unknown:
        raise asked(unknown) from None
    return names


@overload
def instant(text: str, name: str) -> datetime: ...
@overload
def instant(text: str | None, name: str) -> datetime | None: ...
def instant(text: str | None, name: str) -> datetime | None:
    """Read the query parameter ``name``: an instant in ISO 8601 with its UTC offset.

    Refused here, naming the parameter as the client sent it: text that is
    no ISO 8601 date-time (``NotADatetime``) and one without an offset
    (``NaiveDatetime``: a wall time is no instant). The service checks the
    rest (an instant out of the range it schedules in).
    """
    if text is None:
        return None
    try:
        read = read_date_time(text)  # a date alone names no instant either
    except ValueError:
        expected = f"date-time in ISO 8601 with a UTC offset ({WITH_OFFSET})"
        if _plus_as_space(text):
            expected += "; a + in a query string reads as a space, so send the offset's + as %2B"
        raise NotADatetime(text, name=name, expected=expected) from None
    if read.tzinfo is None:
        raise NaiveDatetime(read, name=name)
    return read


@overload
def participant_named(text: str) -> str: ...
@overload
def participant_named(text: str | None) -> str | None: ...
def participant_named(text: str | None) -> str | None:
    """Return ``text``, a participant reference sent in a path or query, once it names one.

    The core reads a participant as it reads any reference (``kind:id``), so its
    refusal of text without a ``:`` shows a resource's form ('teacher:t-17'); the
    client sent a participant, and is shown a participant's. What else a reference
    must be (a kind and an id, not too long) the core refuses, in the API's terms.
    """
    if text is None or ":" in text:
        return text
    raise InvalidValue(
        f"a participant reference looks like 'student:ann', got {shown(text)}",
        value=text,
        expected="kind:id",
    )


def _plus_as_space(text: str) -> bool:
    """Whether ``text`` is an instant whose offset's ``+`` a query string turned into a space.

    ``?start=2026-03-02T10:00:00+01:00`` arrives as ``2026-03-02T10:00:00 01:00``:
    the client sent the offset asked for, unencoded.
    """
    head, space, offset = text.rpartition(" ")
    if not space or not head:
        return False
    try:
        return datetime.fromisoformat(f"{head}+{offset}").tzinfo is not None
    except ValueError:
        return False
