"""What the route modules share: the caller and its roles, and what they decide.

How a caller books and cancels, the record id an ``Idempotency-Key`` names, the
problems each kind of route declares, and how far a provider's clock may run
ahead. What a request names beside its body (the ``Idempotency-Key`` header,
instants, statuses, lifecycles, participants) is read in ``_params`` and
re-exported here.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, TypedDict, overload

import attrs

from sessionkit.contrib.fastapi._advice import in_seconds
from sessionkit.contrib.fastapi._params import (
    Cursor,
    IdempotencyKey,
    Instant,
    MaybeInstant,
    Names,
    instant,
    lifecycle_named,
    participant_named,
    resource_named,
    session_statuses,
    status_names,
)
from sessionkit.contrib.fastapi.schemas import BookingCreate, BookingSeatsCancel
from sessionkit.errors import InvalidValue, RoleNotGranted, WrongType
from sessionkit.errors._base import set_repr, shown
from sessionkit.model.booking import participant_ref
from sessionkit.services.booking_requests import check_key
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
    "default_role",
    "instant",
    "key_id",
    "lifecycle_named",
    "participant_named",
    "resource_named",
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
    """Return ``value`` as a set of role names; ``name`` says whose they are.

    A role name is a non-empty string without whitespace at either end, as the
    core's policies take one (``" student"`` names no rule of ``"student"``'s,
    and no request may name it: the schemas refuse it).
    """
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise WrongType(value, name=name, expected="a set of role names")
    roles = frozenset(value)
    if not all(isinstance(r, str) and r and r == r.strip() for r in roles):
        raise InvalidValue(
            f"{name} are non-empty strings without whitespace at either end, got "
            f"{sorted(map(repr, roles))}",
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
    role a request names meets the roles the host granted. A role that is
    blank or has whitespace at either end is a slip in the request (the
    schemas refuse it first; ``GET /bookable``'s ``acting_role`` reaches
    here): ``InvalidValue`` (422), never a refused grant (403).
    """
    if role is None:
        return role
    if not role or role != role.strip():
        raise InvalidValue(
            f"role {shown(role)} is blank or starts or ends with whitespace: no caller is "
            "granted such a role, and no policy names one",
            value=role,
            expected="a role name without leading or trailing whitespace, such as 'student'",
        )
    if role in who.roles:
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
    sent = "role" in body.model_fields_set
    judged = default_role(
        who, body.judged_role, sent=sent or body.acting_role is not None, asked="a booking"
    )
    default_role(who, body.role, sent=sent, asked="a booking")
    return judged


def default_role(who: Caller, role: str, *, sent: bool, asked: str, name: str = "role") -> str:
    """Return :func:`acting_role`, the refusal of a role the request left to its default told so.

    A host that grants its own roles (``{"student"}``) refuses the default a
    request without ``role`` acts in (a booking's ``attendee``, a cancel's
    ``participant``): ``needs_for`` then says the request named none, so the
    client knows to send it, not that the role it sent was wrong (``asked``:
    what the request asks for, ``"a booking"``; ``name``: the field or query
    parameter that names the role, ``acting_role`` for ``GET /bookable``).
    """
    try:
        return acting_role(who, role)
    except RoleNotGranted:
        if sent:
            raise
        needs_for = f'{asked} without "{name}"'
        raise RoleNotGranted(role, granted=who.roles, needs_for=needs_for) from None


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
    seats: int | None
    expected_version: int | None


def cancelling(who: Caller, body: BookingSeatsCancel | None) -> Cancelling:
    """Return how ``who`` cancels a booking as ``body`` asks (default: wholly, as its participant).

    ``POST /bookings/{id}/cancel`` and ``/cancel-and-refund`` alike: the
    ``seats`` to give back and the ``expected_version`` are passed on to the
    services' ``cancel``.
    """
    given = body or BookingSeatsCancel()
    role = default_role(
        who, given.role, sent="role" in given.model_fields_set, asked="a booking's cancel"
    )
    return {
        "actor": who.actor,
        "role": role,
        "reason": given.reason,
        "seats": given.seats,
        "expected_version": given.expected_version,
    }


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
