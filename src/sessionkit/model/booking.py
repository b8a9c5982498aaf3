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

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import check_int, instances_of, plain_int, shown
from sessionkit.lifecycle import Lifecycle, Status, Timer, Transition
from sessionkit.model.html import html_of
from sessionkit.model.records import BOOKING, Schema
from sessionkit.model.session import (
    MAX_CAPACITY,
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

NEW = "NEW"
"""A booking being made: the status it is built in, never stored."""
HELD = "HELD"
"""Seats held until ``hold_expires_at`` (awaiting payment or confirmation)."""
CONFIRMED = "CONFIRMED"
"""Seats confirmed."""
WAITLISTED = "WAITLISTED"
"""In the session's waitlist, at ``position``; takes no seat."""
OFFERED = "OFFERED"
"""A waitlisted booking offered a freed seat, held until ``hold_expires_at``."""
CANCELLED = "CANCELLED"
"""Cancelled by the participant, the provider or the session's cancellation."""
EXPIRED = "EXPIRED"
"""A hold, offer or waitlist place its time, its session's start or early end ran out."""

SEAT_STATUSES = frozenset({HELD, CONFIRMED, OFFERED})
"""Statuses whose bookings take seats (held and offered ones only until they expire)."""
ACTIVE_BOOKING_STATUSES = frozenset({HELD, CONFIRMED, OFFERED, WAITLISTED})
"""Statuses of bookings still in play: a participant has at most one such per session."""
BOOKING_STATUSES = frozenset({HELD, CONFIRMED, WAITLISTED, OFFERED, CANCELLED, EXPIRED})
"""Every status a stored booking can have (``NEW`` never is)."""

MAX_IDEMPOTENCY_KEY_LENGTH = 255
"""Longest idempotency key any adapter must store."""

BOOKING_LIFECYCLE = Lifecycle(
    "booking",
    statuses=[
        Status(NEW, initial=True),
        Status(HELD, busy=True),
        Status(CONFIRMED, busy=True),
        Status(WAITLISTED),
        Status(OFFERED, busy=True),
        Status(CANCELLED, terminal=True, cancelled=True),
        Status(EXPIRED, terminal=True),
    ],
    transitions=[
        Transition("hold", NEW, HELD),
        Transition("book", NEW, CONFIRMED),
        Transition("queue", NEW, WAITLISTED),
        Transition("confirm", [HELD, OFFERED], CONFIRMED),
        Transition("offer", WAITLISTED, OFFERED),
        Transition("expire", [HELD, OFFERED], EXPIRED, timer=Timer.after("hold_expires_at")),
        Transition("lapse", WAITLISTED, EXPIRED, timer=Timer.after("session_start")),
        Transition("cancel", [HELD, CONFIRMED, WAITLISTED, OFFERED], CANCELLED),
    ],
    subject="booking",
    description="""Bookings (issue 11; the marketplace seed's tentative bookings).

    - A booking is tentative until paid: it is HELD, with an expiry; a hold
      that is not confirmed in time EXPIRES and frees its seats.
    - A full session can keep a waitlist: when seats free, the first
      WAITLISTED booking is OFFERED them, held for a claim window; an
      unclaimed offer EXPIRES and passes to the next. A waitlist place
      still waiting when the session starts EXPIRES with it.
    - Any booking still in play can be CANCELLED; cancelling a session
      cancels its bookings.
    - ``busy`` statuses (HELD, CONFIRMED, OFFERED) take seats.
    """,
)
"""The lifecycle of every booking (subject ``"booking"``); see the module docstring."""


def participant_ref(value: ResourceRef | str) -> ResourceRef:
    """Return a participant reference from a :class:`ResourceRef` or ``"kind:id"`` text."""
    if isinstance(value, ResourceRef):
        return value
    if isinstance(value, str):
        return ResourceRef.parse(value)
    raise WrongType(
        value, name="participant", expected="a ResourceRef or 'kind:id' text such as 'student:ana'"
    )


def check_seats(value: object) -> int:
    """Return ``value`` if it is a whole number of seats (>= 1), else raise ``InvalidValue``.

    A value that is no integer (a bool included) raises ``WrongType``.
    """
    value = check_int(value, name="seats", expected="an integer >= 1")
    if not 1 <= value <= MAX_CAPACITY:
        raise InvalidValue(
            f"a booking takes 1..{MAX_CAPACITY:,} seats, got seats={shown(value)}",
            value=value,
            expected=f"an integer 1..{MAX_CAPACITY}",
        )
    return value


def _instant(value: datetime) -> datetime:
    return check_aware(value, "instant").astimezone(UTC)


def _check_at(at: datetime) -> None:
    """Refuse an ``at`` that is no aware datetime (the aware one passes at the cost of a test)."""
    # Compared with a stored aware instant, a naive one raised a bare TypeError for a hold
    # and answered silently for a confirmed booking.
    if type(at) is not datetime or at.tzinfo is None:
        check_aware(at, "at")


def _optional_instant(value: datetime | None) -> datetime | None:
    return None if value is None else check_aware(value, "hold_expires_at").astimezone(UTC)


def _position(value: int | None) -> int | None:
    """A waitlist position: ``None`` (not waiting) or a plain ``int`` from 1."""
    if value is None:
        return None
    position = check_int(value, name="Booking.position", expected="None or an integer from 1")
    if position < 1:
        raise InvalidValue(
            f"a waitlist position counts from 1, got {position}",
            value=position,
            expected="None or an integer from 1",
        )
    return position


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
    hold_expires_at: datetime | None = attrs.field(default=None, converter=_optional_instant)
    session_start: datetime = attrs.field(converter=_instant)
    session_end: datetime = attrs.field(converter=_instant)
    position: int | None = attrs.field(default=None, converter=_position)
    idempotency_key: str | None = None
    fingerprint: str | None = None
    created_at: datetime = attrs.field(converter=_instant)
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
        _check_at(at)
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
        _check_at(at)
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
        _check_at(at)
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


SessionOrder = tuple[int | None, datetime, str]
"""Where a booking stands in its session's list (:attr:`Booking.session_order`)."""


def session_order_key(order: SessionOrder) -> tuple[bool, int, datetime, str]:
    """Return the sort key of a :data:`SessionOrder`: unplaced last, then position, creation, id."""
    position, created_at, booking_id = order
    return (position is None, position or 0, created_at, booking_id)


def _session_order(value: object) -> SessionOrder:
    """Return ``value`` if it is a :data:`SessionOrder` (position, creation, id), else raise."""
    if isinstance(value, tuple) and len(value) == 3:
        position, created_at, booking_id = value
        position = plain_int(position)
        if (
            (position is None or (isinstance(position, int) and not isinstance(position, bool)))
            and isinstance(created_at, datetime)
            and isinstance(booking_id, str)
        ):
            check_aware(created_at, "after's creation instant")
            return (position, created_at, booking_id)
    raise WrongType(
        value, name="after", expected="a booking's session_order: (position, created_at, id)"
    )


def in_session_order(
    bookings: Iterable[Booking], *, after: SessionOrder | None = None
) -> list[Booking]:
    """Return ``bookings`` in their session's order, those after ``after`` only (if given)."""
    ordered = sorted(
        instances_of(bookings, Booking, name="bookings"),
        key=lambda b: session_order_key(b.session_order),
    )
    if after is None:
        return ordered
    last = session_order_key(_session_order(after))
    return [b for b in ordered if session_order_key(b.session_order) > last]


def stamped_at(booking: Booking) -> datetime:
    """Return the instant of the booking's latest change (``updated_at``, else ``created_at``).

    Storage judges a written booking's seats at this instant.
    """
    if not isinstance(booking, Booking):
        raise WrongType(booking, name="booking", expected="a Booking")
    return booking.created_at if booking.updated_at is None else booking.updated_at


def keeps_its_seats(stored: Booking | None, record: Booking) -> bool:
    """Whether ``record``, an update of ``stored``, takes no seat ``stored`` did not take already.

    A booking that took its seats at the update's instant and takes no more
    (confirmed, moved with its session) adds nothing to the count: storage
    checks capacity for what a write adds, so a session whose capacity was
    lowered below its booked seats can still confirm and move the bookings
    it has, while a newcomer or an offer is refused until seats free.
    """
    at = stamped_at(record)
    return (
        stored is not None
        and stored.session_id == record.session_id
        and stored.takes_seats(at)
        and record.seats <= stored.seats
    )


def seats_taken(bookings: Iterable[Booking], at: datetime, *, excluding: str | None = None) -> int:
    """Return the seats ``bookings`` take at ``at`` (leaving out the booking ``excluding``)."""
    check_aware(at, "at")
    return sum(
        b.seats
        for b in instances_of(bookings, Booking, name="bookings")
        if b.id != excluding and b.takes_seats(at)
    )


def seats_owed(bookings: Iterable[Booking], *, capacity: int | None = None) -> int:
    """Return the seats of the waitlisted ``bookings``: owed to them, free for no newcomer.

    With ``capacity`` (their session's), a place waiting for more seats than
    that is owed none: the next write to the session ends it (a capacity
    lowered by the host's own admin), so a read counts as ``book`` would.
    """
    return sum(
        b.seats
        for b in instances_of(bookings, Booking, name="bookings")
        if b.status == WAITLISTED and (capacity is None or b.seats <= capacity)
    )


def _listed_start(value: datetime) -> datetime:
    return check_aware(value, "BookableSession.start").astimezone(UTC)


def _listed_end(value: datetime) -> datetime:
    return check_aware(value, "BookableSession.end").astimezone(UTC)


@attrs.frozen(slots=True, kw_only=True)
class BookableSession:
    """A session open for booking as a listing shows it: what, when, and its seats at an instant.

    ``taken`` counts the seats of held, offered and confirmed bookings at the
    read's instant (a hold that ran out takes none, whether or not the expiry
    job has run); ``remaining`` is what a newcomer can book: ``capacity -
    taken``, less the seats of waitlisted bookings (the waitlist is served
    first, so ``book`` would offer those seats to it), but for a place asking
    for more seats than the capacity, which ``book`` ends. The session itself is
    one ``kit.sessions.get(tenant, session_id)`` away. ``start`` and ``end``
    are kept in UTC; a naive one raises ``NaiveDatetime``.
    """

    session_id: str
    title: str
    start: datetime = attrs.field(converter=_listed_start)
    end: datetime = attrs.field(converter=_listed_end)
    capacity: int
    taken: int
    remaining: int

    @property
    def span(self) -> TimeSpan:
        """The session's time."""
        return TimeSpan.unchecked(self.start, self.end)

    @classmethod
    def unchecked_many(
        cls, rows: Iterable[tuple[str, str, datetime, datetime, int, int, int]]
    ) -> list[BookableSession]:
        """Build a listing from ``(session_id, title, start, end, capacity, taken, owed)`` rows.

        ``remaining`` is ``capacity - taken - owed``. For a store's hot read
        (one value per listed session): the fields are set straight into
        their slots, at under half the cost of the constructor's keyword call
        per field. The caller's obligations, which nothing verifies (the
        constructor's instant checks are skipped too): ints, aware UTC instants.
        """
        listed: list[BookableSession] = []
        append = listed.append
        for session_id, title, start, end, capacity, taken, owed in rows:
            value = _new(cls)
            _set_id(value, session_id)
            _set_title(value, title)
            _set_start(value, start)
            _set_end(value, end)
            _set_capacity(value, capacity)
            _set_taken(value, taken)
            _set_remaining(value, capacity - taken - owed)
            append(value)
        return listed


_new = object.__new__
_set = object.__setattr__
_SLOT_SETTERS = {
    field.name: BookableSession.__dict__[field.name].__set__
    for field in attrs.fields(BookableSession)
}
"""Each field's slot setter: what attrs' frozen ``__init__`` reaches by ``object.__setattr__``."""
_set_id = _SLOT_SETTERS["session_id"]
_set_title = _SLOT_SETTERS["title"]
_set_start = _SLOT_SETTERS["start"]
_set_end = _SLOT_SETTERS["end"]
_set_capacity = _SLOT_SETTERS["capacity"]
_set_taken = _SLOT_SETTERS["taken"]
_set_remaining = _SLOT_SETTERS["remaining"]


@attrs.frozen(slots=True, kw_only=True)
class Seating:
    """A session's seats at an instant, and the bookings in play a command must act on.

    ``taken`` is the seats held, offered and confirmed bookings take at the
    instant. ``lapsed`` are the bookings that ran out by then
    (:meth:`Booking.expired_at`: holds and offers, and the waitlist once its
    session started, still stored as before), ``waiting`` the waitlist still
    waiting, and ``mine`` the bookings in play of one participant that had
    not run out; each in waitlist order, then by creation, then id (as
    ``for_session``).
    """

    taken: int
    lapsed: tuple[Booking, ...] = ()
    waiting: tuple[Booking, ...] = ()
    mine: tuple[Booking, ...] = ()
