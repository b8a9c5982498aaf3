"""Booking: one participant's seats in one session, and the lifecycle every booking follows.

A session open for booking is simply a session with a ``capacity``; each
:class:`Booking` takes ``seats`` of it (default 1) while it is held, offered or
confirmed. A hold (and a waitlist offer) carries its expiry instant: past it,
the booking takes no seat, at read time, whether or not any job has marked it
expired yet (:meth:`Booking.takes_seats`). A waitlist place runs out when its
session starts: a seat can no longer be offered then (:meth:`Booking.expired_at`).

:data:`BOOKING_LIFECYCLE` is an ordinary :class:`~sessionkit.lifecycle.Lifecycle`
whose subject is ``"booking"``. A new booking starts in ``NEW`` (never stored)
and enters by one of three transitions, so its first event comes from the
machine like every later one::

    NEW -[hold]-> HELD -[confirm]-> CONFIRMED
    NEW -[book]-> CONFIRMED
    NEW -[queue]-> WAITLISTED -[offer]-> OFFERED -[confirm]-> CONFIRMED
    HELD, OFFERED -[expire, timed: hold_expires_at]-> EXPIRED
    WAITLISTED -[lapse, timed: session_start]-> EXPIRED
    HELD, CONFIRMED, WAITLISTED, OFFERED -[cancel]-> CANCELLED

A session that reaches a terminal status ahead of its time fires ``expire``
and ``lapse`` at once on its holds, offers and waitlist places.

This module owns the :class:`Booking` record. What it exports besides is kept
in private modules: the statuses and :data:`BOOKING_LIFECYCLE`
(``_booking_lifecycle``), the field values and their checks
(``_booking_values``), the seat counts over bookings (``_booking_seats``) and
the values a seat read returns (``_booking_reads``).

>>> from datetime import UTC, datetime, timedelta
>>> at = datetime(2026, 3, 2, 9, tzinfo=UTC)
>>> hold = Booking.new(id="b1", tenant="acme", session_id="s1", participant="student:ana",
...                    session_start=at + timedelta(days=2), session_end=at + timedelta(days=2, hours=1),
...                    created_at=at)
>>> held, change = BOOKING_LIFECYCLE.fire(hold.holding(until=at + timedelta(minutes=15)), "hold", now=at)
>>> held.status, held.takes_seats(at), held.takes_seats(at + timedelta(minutes=15))
('HELD', True, False)
>>> BOOKING_LIFECYCLE.advance(held, at + timedelta(hours=1))[0].status
'EXPIRED'
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import attrs

from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown
from sessionkit.model._booking_lifecycle import (
    ACTIVE_BOOKING_STATUSES,
    BOOKING_LIFECYCLE,
    BOOKING_STATUSES,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HELD,
    NEW,
    OFFERED,
    SEAT_STATUSES,
    WAITLISTED,
)
from sessionkit.model._booking_reads import BookableSession, Seating
from sessionkit.model._booking_values import (
    MAX_IDEMPOTENCY_KEY_LENGTH,
    SessionOrder,
    check_at,
    check_seats,
    hold_expiry,
    participant_ref,
    utc_instant,
    waitlist_position,
)

# Not in __all__, but a public name of this module before its split.
from sessionkit.model._booking_values import session_order_key as session_order_key
from sessionkit.model.html import html_of
from sessionkit.model.records import BOOKING, Schema
from sessionkit.model.session import (
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
    ResourceRef,
    check_identity,
    check_lengths,
    frozen_mapping,
)
from sessionkit.model.text import check_id
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_aware

__all__ = [
    "ACTIVE_BOOKING_STATUSES",
    "BOOKING_LIFECYCLE",
    "BOOKING_STATUSES",
    "CANCELLED",
    "CONFIRMED",
    "EXPIRED",
    "HELD",
    "MAX_IDEMPOTENCY_KEY_LENGTH",
    "NEW",
    "OFFERED",
    "SEAT_STATUSES",
    "WAITLISTED",
    "BookableSession",
    "Booking",
    "Seating",
    "SessionOrder",
    "check_seats",
    "in_session_order",
    "keeps_its_seats",
    "participant_ref",
    "seats_owed",
    "seats_taken",
    "stamped_at",
]


@attrs.frozen(slots=True, kw_only=True)
class Booking:
    """One participant's ``seats`` in one session, with its status and (while held) its expiry.

    ``participant`` is a typed reference (``student:ana``) and ``role`` what
    the participant is in the session (student, client, attendee, ...).
    ``session_start`` and ``session_end`` repeat the session's time so a
    participant's agenda is one indexed read; the services keep them in step
    when a booked session moves. ``position`` orders the waitlist (first
    come, first offered). ``idempotency_key`` (unique per tenant) and
    ``fingerprint`` (the request it was made by) let a replayed command return
    this booking instead of making another. ``metadata`` (own fields) is not
    part of equality, as on :class:`~sessionkit.model.Session`.
    """

    __record_schema__: ClassVar[Schema] = BOOKING
    _repr_html_ = html_of

    id: str
    tenant: str
    session_id: str
    participant: ResourceRef = attrs.field(converter=participant_ref)
    role: str = "attendee"
    seats: int = attrs.field(default=1, converter=check_seats)
    status: str = NEW
    hold_expires_at: datetime | None = attrs.field(default=None, converter=hold_expiry)
    session_start: datetime = attrs.field(converter=utc_instant)
    session_end: datetime = attrs.field(converter=utc_instant)
    position: int | None = attrs.field(default=None, converter=waitlist_position)
    idempotency_key: str | None = None
    fingerprint: str | None = None
    created_at: datetime = attrs.field(converter=utc_instant)
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    version: int = 1
    metadata: Mapping[str, Any] = attrs.field(
        factory=dict, converter=frozen_mapping, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        check_identity(self)
        check_id(self.session_id, "Booking.session_id")
        check_lengths(
            self,
            role=MAX_NAME_LENGTH,
            status=MAX_NAME_LENGTH,
            idempotency_key=MAX_IDEMPOTENCY_KEY_LENGTH,
            fingerprint=MAX_REF_LENGTH,
            created_by=MAX_REF_LENGTH,
            updated_by=MAX_REF_LENGTH,
        )
        if not isinstance(self.role, str) or not self.role:
            raise InvalidValue(
                f"a booking's role must be a non-empty string, got {shown(self.role)}",
                value=self.role,
                expected="a role name such as 'student'",
            )
        TimeSpan(self.session_start, self.session_end)
        if self.updated_at is not None:
            check_aware(self.updated_at, "updated_at")

    @classmethod
    def new(
        cls,
        *,
        id: str,  # the record's id, as everywhere
        tenant: str,
        session_id: str,
        participant: ResourceRef | str,
        session_start: datetime,
        session_end: datetime,
        created_at: datetime,
        created_by: str | None = None,
        role: str = "attendee",
        seats: int = 1,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Booking:
        """Return a booking in status ``NEW``: fire ``hold``, ``book`` or ``queue`` to enter it."""
        return cls(
            id=id,
            tenant=tenant,
            session_id=session_id,
            participant=participant,
            role=role,
            seats=seats,
            session_start=session_start,
            session_end=session_end,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            created_at=created_at,
            created_by=created_by,
            metadata=metadata or {},
        )

    @classmethod
    def unchecked(
        cls,
        *,
        id: str,  # the record's id, as everywhere
        tenant: str,
        session_id: str,
        participant: ResourceRef,
        session_start: datetime,
        session_end: datetime,
        created_at: datetime,
        created_by: str | None = None,
        role: str = "attendee",
        seats: int = 1,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Booking:
        """Build a booking in status ``NEW`` as :meth:`new` does, without converting or checking.

        For a booking command, whose request and session were checked before
        (``kit.bookings.book`` builds its booking so). The caller's
        obligations, which nothing verifies: every value is one :meth:`new`
        would accept and store as it is (``participant`` a :class:`ResourceRef`,
        the instants aware and in UTC with the session's start before its end,
        ids and texts within their lengths, ``seats`` 1..``MAX_CAPACITY``;
        ``metadata`` is made read-only as :meth:`new` makes it). Otherwise
        call :meth:`new`.
        """
        booking = _new(cls)
        for name, value in (
            ("id", id),
            ("tenant", tenant),
            ("session_id", session_id),
            ("participant", participant),
            ("role", role),
            ("seats", seats),
            ("status", NEW),
            ("hold_expires_at", None),
            ("session_start", session_start),
            ("session_end", session_end),
            ("position", None),
            ("idempotency_key", idempotency_key),
            ("fingerprint", fingerprint),
            ("created_at", created_at),
            ("created_by", created_by),
            ("updated_at", None),
            ("updated_by", None),
            ("version", 1),
            ("metadata", frozen_mapping(metadata)),
        ):
            _set(booking, name, value)
        return booking

    @property
    def span(self) -> TimeSpan:
        """The booked session's time."""
        return TimeSpan.unchecked(self.session_start, self.session_end)

    @property
    def active(self) -> bool:
        """Whether the booking is still in play (held, confirmed, waitlisted or offered)."""
        return self.status in ACTIVE_BOOKING_STATUSES

    def takes_seats(self, at: datetime) -> bool:
        """Whether the booking occupies its seats at instant ``at``.

        Confirmed bookings do; held and offered ones until ``hold_expires_at``
        (exclusive), whatever their stored status says after that. A naive
        ``at`` raises ``NaiveDatetime``.
        """
        check_at(at)
        if self.status not in SEAT_STATUSES:
            return False
        return self.hold_expires_at is None or self.hold_expires_at > at

    @property
    def runs_out_at(self) -> datetime | None:
        """When the booking leaves play by itself, or ``None`` if it never does.

        The end of a hold or offer; for a waitlist place, its session's start
        (no seat is offered after it).
        """
        if self.status == WAITLISTED:
            return self.session_start
        if self.status in (HELD, OFFERED):
            return self.hold_expires_at
        return None

    def expired_at(self, at: datetime) -> bool:
        """Whether the booking ran out by ``at`` (:attr:`runs_out_at`), whatever its stored status.

        A hold or offer past its expiry, or a waitlist place once its session
        started: judged at read time, whether or not a job has marked it EXPIRED.
        A naive ``at`` raises ``NaiveDatetime``.
        """
        check_at(at)
        runs_out = self.runs_out_at
        return runs_out is not None and runs_out <= at

    def status_at(self, at: datetime) -> str:
        """The status every command judges the booking by at ``at``: EXPIRED once it ran out.

        The stored :attr:`status` until then. Reads (``get``, ``for_session``,
        ``for_participant``) return bookings as stored, and filter by the
        stored status, until a job or the next write to the session marks
        them; show a booking's status with this.
        """
        return EXPIRED if self.expired_at(check_aware(at, "at")) else self.status

    def waiting_at(self, at: datetime) -> bool:
        """Whether the booking is a waitlist place still waiting at ``at`` (not run out)."""
        check_at(at)
        return self.status == WAITLISTED and not self.expired_at(at)

    def counts_toward_limits(self, at: datetime) -> bool:
        """Whether the booking counts toward its participant's ``per_day`` / ``per_week`` at ``at``.

        A booking taking its seats does, and so does a waitlist place (its
        offer later takes a seat with no check of its own) until its session
        starts: then it ran out without a seat.
        """
        return self.takes_seats(at) or self.waiting_at(at)

    def _sessionkit_with_status(self, field: str, status: str) -> Booking:
        """Return the booking with its ``status`` alone changed (how its lifecycle copies it).

        Every other field was checked when this booking was built, and a status
        of :data:`BOOKING_STATUSES` needs no check, so the fields are copied slot
        by slot: the constructor would convert and check all 19 of them again.
        Any other status (the constructor checks it), another field or a
        subclass's booking takes the constructor's way.
        """
        if (
            type(self) is not Booking  # a subclass's fields are its constructor's to copy
            or field != "status"
            or type(status) is not str  # an unhashable one too is the constructor's to refuse
            or status not in BOOKING_STATUSES
        ):
            changed: dict[str, Any] = {field: status}
            return attrs.evolve(self, **changed)
        copy = _new(Booking)
        for slot in _BOOKING_SLOTS:
            slot.__set__(copy, slot.__get__(self))
        _set_status(copy, status)
        return copy

    def holding(self, *, until: datetime) -> Booking:
        """Return the booking with its hold (or offer) running until ``until``, at most its start.

        A hold or offer ends when its session starts if ``until`` is later: no
        seat is taken once a session started (a booking is refused then, and
        its waitlist runs out), so none is confirmed then either.
        """
        return attrs.evolve(self, hold_expires_at=min(until, self.session_start))

    @property
    def session_order(self) -> SessionOrder:
        """Where the booking stands in its session's list: ``(position, created_at, id)``.

        A session's bookings are listed by waitlist position (those never
        placed on it last), then creation, then id; this is the continuation
        of a page of them that ends with this booking.
        """
        return (self.position, self.created_at, self.id)


_BOOKING_SLOTS = tuple(Booking.__dict__[field.name] for field in attrs.fields(Booking))
"""Each field's slot (its member descriptor), in order: a copy sets them straight."""
_set_status = Booking.__dict__["status"].__set__
_new = object.__new__
_set = object.__setattr__

# Last: the seat counts check that what they count are Bookings, the class defined above.
from sessionkit.model._booking_seats import (  # noqa: E402
    in_session_order,
    keeps_its_seats,
    seats_owed,
    seats_taken,
    stamped_at,
)

# Show (and pickle) what moved to the private modules under this public path, as before.
_moved: object
for _moved in (BookableSession, Seating, check_seats, participant_ref, session_order_key):
    _moved.__module__ = __name__
for _moved in (in_session_order, keeps_its_seats, seats_owed, seats_taken, stamped_at):
    _moved.__module__ = __name__
del _moved
