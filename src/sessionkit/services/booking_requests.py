"""Booking command arguments: the checked :class:`BookingRequest` and the shared checks.

A ``book`` call's arguments are checked once into a :class:`BookingRequest`,
whose ``fingerprint`` tells an idempotent replay from a reuse of its key; the
argument checks here (role, idempotency key, batch size, one-booking commands)
are shared by the booking and payment commands.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs

from sessionkit.errors import (
    DuplicateBooking,
    DuplicateSession,
    InvalidValue,
    SessionConflict,
    SessionKitError,
)
from sessionkit.errors._base import check_int, shown
from sessionkit.limits import CEILING
from sessionkit.model.booking import MAX_IDEMPOTENCY_KEY_LENGTH, check_seats, participant_ref
from sessionkit.model.fields import check_fields
from sessionkit.model.session import ResourceRef
from sessionkit.model.text import (
    MAX_NAME_LENGTH,
    check_actor,
    check_flag,
    check_id,
    check_tenant,
    check_text,
)
from sessionkit.services.drafts import SessionDraft
from sessionkit.timespan import check_delta

__all__ = [
    "BookingRequest",
    "booking_args",
    "canonical_json",
    "check_batch",
    "check_key",
    "check_role",
    "RACES",
    "lost_to_replay",
]


_V2 = "v2:"
_MICROSECOND = timedelta(microseconds=1)


def canonical_json(value: object) -> str:
    """Return ``value`` as compact ASCII JSON, keys sorted: how a replay's request is compared.

    Two requests are the same when their JSON is: ``1`` and ``true``, ``0`` and
    ``false``, ``1`` and ``1.0`` are other values in JSON (and to a client that
    filters by them), though Python's ``==`` holds them equal. ASCII, not
    ``repr``, whose escapes follow the Unicode version of the running Python.
    A stored record's frozen mapping is written as the object it is.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_json_object
    )


def _json_object(value: object) -> dict[str, object]:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _fingerprint(*parts: object) -> str:
    """The digest before ``v2:``: of the parts' ``repr`` (kept to compare old bookings)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def check_key(key: object) -> str | None:
    """Return ``key`` checked as an idempotency key (text not only blanks), or ``None`` for none.

    A key of spaces alone is refused like an empty one: it is a client that
    sent a blank, never a key it means to replay.
    """
    if key is None:
        return None
    checked = check_text(
        key, "idempotency_key", limit=MAX_IDEMPOTENCY_KEY_LENGTH, optional=True, empty=False
    )
    if checked is not None and not checked.strip():
        raise InvalidValue(
            f"idempotency_key must hold more than blanks, got {shown(checked)}",
            value=checked,
            expected="a key with a character other than whitespace",
        )
    return checked


RACES = (DuplicateBooking, SessionConflict, DuplicateSession)
"""The errors :func:`lost_to_replay` may find a lost race in (what a book command catches)."""


def lost_to_replay(request: BookingRequest, error: SessionKitError) -> bool:
    """Whether ``error`` may mean a concurrent first request with ``request``'s key won.

    Its booking took the key (``DuplicateBooking`` on the key) or, for a
    request with a draft, its session took the draft's time or id
    (``SessionConflict``, ``DuplicateSession``): running the request again
    replays the winner's booking, or raises the same error when another
    request was in the way.
    """
    if request.key is None:
        return False
    if isinstance(error, DuplicateBooking):
        return error.key == "idempotency"
    return request.draft is not None and isinstance(error, (SessionConflict, DuplicateSession))


def check_role(role: object, name: str = "role") -> str:
    """Return ``role`` if it is a role name (non-empty text, at most ``MAX_NAME_LENGTH``).

    ``name`` is the argument's, which the error names (``acting_role``, say).
    """
    checked = check_text(role, name, limit=MAX_NAME_LENGTH, empty=False)
    assert checked is not None
    return checked


def check_batch(value: object, name: str, most: int) -> int:
    """Return ``value`` if it is an integer 1..``most`` (a batch size or limit), else raise.

    An integral value that is no ``int`` (a numpy integer) comes back as a plain ``int``.
    """
    value = check_int(value, name=name, expected=f"an integer 1..{most}")
    if not 1 <= value <= most:
        raise InvalidValue(
            f"{name} must be 1..{most:,}, got {shown(value)}", value=value, expected=f"1..{most}"
        )
    return value


def booking_args(tenant: object, booking_id: object, actor: object) -> None:
    """Check the arguments of a command on one booking: tenant, booking id, actor."""
    check_tenant(tenant)
    check_id(booking_id, "booking_id")
    check_actor(actor)


@attrs.frozen
class BookingRequest:
    """What a ``book`` call asks for, checked; ``fingerprint`` tells a replay from a reuse."""

    session_id: str | None
    """The session booked; ``None`` when ``draft`` has no id of its own."""
    participant: ResourceRef
    seats: int
    role: str
    acting_role: str
    confirm: bool
    waitlist: bool
    hold_for: timedelta | None
    key: str | None
    metadata: Mapping[str, Any]
    manual: bool = False
    """Paid outside the provider (``kit.payments.book(manual=True)``): part of what is asked."""
    draft: SessionDraft | None = None
    """The session to create in the booking's unit of work, when a draft was passed."""

    @classmethod
    def of(
        cls,
        *,
        session_id: object,
        participant: object,
        seats: object,
        role: object,
        confirm: object,
        waitlist: object,
        hold_for: object,
        idempotency_key: object,
        metadata: object,
        acting_role: object = None,
        manual: object = False,
    ) -> BookingRequest:
        """Check a booking command's arguments (``WrongType`` / ``InvalidValue``); the request.

        ``session_id`` is a session's id or a :class:`SessionDraft` of the session to create.
        """
        draft = session_id if isinstance(session_id, SessionDraft) else None
        return cls(
            session_id=check_id(session_id, "session_id") if draft is None else draft.session_id,
            draft=draft,
            participant=participant_ref(participant),  # type: ignore[arg-type]  # it checks
            seats=check_seats(seats),
            role=check_role(role),
            acting_role=check_role(role)
            if acting_role is None
            else check_role(acting_role, "acting_role"),
            confirm=bool(check_flag(confirm, "confirm")),
            waitlist=bool(check_flag(waitlist, "waitlist")),
            hold_for=None
            if hold_for is None
            else check_delta(hold_for, "hold_for", positive=True, maximum=CEILING),
            key=check_key(idempotency_key),
            metadata=check_fields(metadata),
            manual=bool(check_flag(manual, "manual")),
        )

    @functools.cached_property
    def fingerprint(self) -> str:
        """A digest of the whole request, tagged ``v2:`` (computed once per request).

        What is booked (session, participant, seats, role), how (``confirm``,
        ``waitlist``, ``hold_for``, ``manual``) and its ``metadata``: a key sent
        again with any of them changed is a reuse, not a replay. ``acting_role``
        is who asks, not what, and is left out. The digest is of
        :func:`canonical_json`, so an upgraded interpreter computes the same one.
        """
        hold_for = None if self.hold_for is None else self.hold_for // _MICROSECOND
        asked: list[object] = [*self._booked(), hold_for, self.metadata]
        # Only when set: a card checkout digests as kit.bookings.book does, so a key that
        # call used gets the error saying it made a booking without a payment.
        if self.manual:
            asked.append("manual")
        return _V2 + hashlib.sha256(canonical_json(asked).encode()).hexdigest()

    def replays(self, fingerprint: str | None) -> bool:
        """Whether the booking stored with ``fingerprint`` was made by this very request.

        Bookings made before ``hold_for`` and ``metadata`` were digested carry
        the older digest (no tag), compared as it was made.
        """
        if fingerprint is not None and not fingerprint.startswith(_V2):
            return fingerprint == _fingerprint(*self._booked())
        return fingerprint == self.fingerprint

    def _booked(self) -> tuple[object, ...]:
        return (
            self.session_id if self.draft is None else self.draft.asked(),
            str(self.participant),
            self.seats,
            self.role,
            self.confirm,
            self.waitlist,
        )
