"""The bookings kind and its repository protocol: seats, waitlists and holds at the database."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from sessionkit.errors import (
    AlreadyBooked,
    BookingNotFound,
    CapacityExceeded,
    Duplicate,
    DuplicateBooking,
)
from sessionkit.model.booking import (
    BookableSession,
    Booking,
    Seating,
    SessionOrder,
    stamped_at,
)
from sessionkit.model.events import DomainEvent
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports._kinds import SESSIONS
from sessionkit.ports._storage import Kind, Repository, UniqueKey
from sessionkit.timespan import TimeSpan


class BookingRepository(Repository[Booking], Protocol):
    """Bookings of all tenants: the generic methods plus the reads the booking commands need.

    ``add`` and ``update`` also enforce, under a lock on the session's row
    held until the unit of work ends, that the seats taken at the booking's
    instant (``updated_at``, else ``created_at``) never pass the session's
    capacity (``CapacityExceeded``) and that a participant has at most one
    booking in play per session (``AlreadyBooked``). Held and offered
    bookings take seats only until ``hold_expires_at``.
    """

    def lock_session(self, tenant: str, session_id: str) -> Session:
        """Lock the session's row until the unit of work ends and return it; ``SessionNotFound``."""
        ...

    def add_settled(self, booking: Booking) -> bool:
        """Store a new booking in play only if its session needs no settling; return whether it did.

        For a booking command that holds the session's lock (:meth:`lock_session`)
        and has a booking that takes seats: it is stored when, at its instant
        (:func:`~sessionkit.model.booking.stamped_at`), the session has no hold
        or offer that ran out and nobody on its waitlist, its participant has no
        booking in play there, its id and idempotency key are free, and its
        seats fit the capacity. Otherwise nothing is written and ``False`` comes
        back, with no error: the caller settles the session (:meth:`seating`)
        and takes the long way (:meth:`add`), which raises what refuses it.
        :func:`add_settled_by_reading` is an implementation for any repository.
        """
        ...

    def lock_participant(self, tenant: str, participant: ResourceRef) -> None:
        """Serialise, until the unit of work ends, writers booking for ``participant``.

        Taken after :meth:`lock_session` by commands that count a participant's
        bookings across sessions (per-day and per-week limits), so two
        concurrent bookings of different sessions cannot both pass the limit.
        """
        ...

    def for_session(
        self,
        tenant: str,
        session_id: str,
        *,
        statuses: Iterable[str] | None = None,
        after: SessionOrder | None = None,
        limit: int | None = None,
    ) -> list[Booking]:
        """Return the session's bookings (in ``statuses``, if given) by position, creation, id.

        Waitlist position first (bookings never placed on the waitlist last),
        then creation, then id: :func:`~sessionkit.model.booking.in_session_order`.
        With ``after`` (the :attr:`~sessionkit.model.booking.Booking.session_order`
        of the last booking of a page), only those after it; with ``limit``,
        at most that many, both applied by the database.
        """
        ...

    def for_sessions(
        self, tenant: str, session_ids: Iterable[str], *, statuses: Iterable[str] | None = None
    ) -> dict[str, list[Booking]]:
        """Return the bookings (in ``statuses``, if given) of those sessions, by session id.

        Each session's in :meth:`for_session` order; a session with none is
        left out. A batched read: one statement per several hundred sessions, not one each.
        """
        ...

    def seats_taken(
        self, tenant: str, session_ids: Iterable[str], *, at: datetime
    ) -> dict[str, int]:
        """Return the seats taken at ``at`` per session id (sessions with none are left out)."""
        ...

    def seating(
        self, tenant: str, session_id: str, *, at: datetime, participant: ResourceRef | None = None
    ) -> Seating:
        """Return the session's seats taken at ``at`` and the bookings a booking command acts on.

        Those are its bookings run out by ``at`` (holds and offers past their
        expiry, and the waitlist once the session started), its waitlist
        still waiting and ``participant``'s bookings in play that had not
        run out (each in ``for_session`` order);
        a session with no bookings (or none stored) has ``Seating(taken=0)``.
        """
        ...

    def counts(
        self, tenant: str, session_ids: Iterable[str], *, statuses: Iterable[str] | None = None
    ) -> dict[str, int]:
        """Return how many bookings (in ``statuses``, if given) each session has.

        A session with none is left out of the mapping (read a missing id as 0).
        """
        ...

    def bookable(
        self,
        tenant: str,
        *,
        window: TimeSpan,
        at: datetime,
        seats: int = 1,
        resource: ResourceRef | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
        closed: Collection[tuple[str, str]] = (),
        known: Collection[tuple[str, str]] | None = None,
    ) -> list[BookableSession]:
        """Return busy sessions in ``window`` starting after ``at`` with ``seats`` free at ``at``.

        By start then id; seats are counted at ``at`` (:meth:`seats_taken`).
        ``resource`` keeps the sessions that occupy it; ``after`` is a keyset
        cursor ``(start, session_id)``: only sessions strictly after it;
        ``limit`` caps the list. ``closed`` names ``(lifecycle, status)`` pairs
        whose sessions are left out: the busy statuses in which a session is
        over (finished ahead of its time), which take no bookings.
        ``known`` keeps only the sessions whose ``(lifecycle, status)`` pair
        it names (``None``: every one): the kit names the statuses its
        lifecycles have, since ``book`` refuses a session of a lifecycle or
        status renamed or removed since it was stored.
        """
        ...

    def by_key(self, tenant: str, idempotency_key: str) -> Booking | None:
        """Return the booking made with ``idempotency_key``, or ``None``."""
        ...

    def for_participant(
        self,
        tenant: str,
        participant: ResourceRef,
        *,
        window: TimeSpan | None = None,
        statuses: Iterable[str] | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> list[Booking]:
        """Return the participant's bookings of sessions starting in ``window``, by start then id.

        ``after`` is a keyset cursor ``(session_start, id)``: only bookings
        strictly after it; ``limit`` caps the list.
        """
        ...

    def for_tenant(
        self,
        tenant: str,
        *,
        window: TimeSpan | None = None,
        statuses: Iterable[str] | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> list[Booking]:
        """Return the tenant's bookings of sessions starting in ``window``, by start then id.

        Every participant's, as :meth:`for_participant` reads one's: ``after``
        is a keyset cursor ``(session_start, id)``, only bookings strictly
        after it; ``limit`` caps the list; both applied by the database.
        """
        ...

    def expiring(self, tenant: str | None, *, before: datetime, limit: int) -> list[Booking]:
        """Return the bookings in play that ran out by ``before``, earliest first.

        Held and offered ones past their hold, and waitlist places whose
        session started, by :attr:`~sessionkit.model.booking.Booking.runs_out_at`
        (stored with their old status until settled). ``tenant=None`` reads
        every tenant's (a system job).
        """
        ...

    def next_position(self, tenant: str, session_id: str) -> int:
        """Return the waitlist position after the session's last one (1 for the first)."""
        ...


def add_settled_by_reading(repository: BookingRepository, booking: Booking) -> bool:
    """:meth:`BookingRepository.add_settled` by a read of the seating and an ``add``.

    For repositories whose ``add`` writes nothing when it refuses (the memory
    store's, the Django app's); a SQL store does both in one statement.
    """
    at = stamped_at(booking)
    seating = repository.seating(
        booking.tenant, booking.session_id, at=at, participant=booking.participant
    )
    if seating.lapsed or seating.waiting or seating.mine:
        return False
    try:
        repository.add(booking)
    except (DuplicateBooking, AlreadyBooked, CapacityExceeded):
        return False
    return True


QuickRefusal = Callable[[Session, int, Sequence[tuple[datetime, int]]], BaseException | None]
"""How a full session refuses a quick booking: given the locked session, the seats taken at
the booking's instant and its running holds and offers (each one's end and seats), the error
to raise, or ``None`` to take the long way."""


@runtime_checkable
class QuickBookings(Protocol):
    """A store's shortest way to take a plain booking: one transaction, no unit of work.

    Optional: a store that offers it (the SQLAlchemy store, on PostgreSQL) is
    found by the kit through its ``unit_of_work`` (:func:`quick_bookings`),
    and ``kit.bookings.book`` tries it first for a request it can take that
    way. It must write exactly what a unit of work's ``lock_session`` then
    ``add_settled`` would, or nothing.
    """

    def book_quickly(
        self,
        tenant: str,
        session_id: str,
        admit: Callable[[Session], Booking | None],
        refuse: QuickRefusal | None = None,
    ) -> Booking | None:
        """Lock the session, store the booking ``admit`` makes of it if it is settled; commit.

        In one transaction of the store's own: the session's row locked as
        :meth:`BookingRepository.lock_session` locks it, ``admit`` called with
        the session, and the booking it returns stored as
        :meth:`BookingRepository.add_settled` stores it, then committed, and
        the booking returned. ``None``, with nothing written, when the session
        is missing, ``admit`` returns ``None``, the booking was not stored, or
        the store cannot go this way now: the caller then takes the long way
        in a unit of work, which finds and raises what refused it. A database
        failure is raised as the store's units raise it.

        A booking not stored only for want of seats (its session settled, with
        nobody waiting and nothing run out, its participant not in it, no
        idempotency key) may be refused at once: ``refuse`` is called with the
        session as locked and the seats taken at the booking's instant and the
        running holds and offers as read after the transaction ended (a later
        snapshot: seats may have freed, or the session changed, meanwhile), and
        the error it returns is raised, with nothing written (``None``: the long
        way).
        """
        ...

    def publish_committed(self, events: Sequence[DomainEvent]) -> None:
        """Publish the events of a booking :meth:`book_quickly` committed, as one batch."""
        ...


def quick_bookings(uow: object) -> QuickBookings | None:
    """The store whose bound ``unit_of_work`` ``uow`` is, if it offers :class:`QuickBookings`."""
    owner = getattr(uow, "__self__", None)
    return owner if isinstance(owner, QuickBookings) else None


def _duplicate_booking(record: Booking, key: UniqueKey | None, existing: object) -> Duplicate:
    owner = getattr(existing, "id", None)
    if key is None:
        message = f"booking {record.id!r} already exists for tenant {record.tenant!r}"
    else:
        message = f"idempotency key {record.idempotency_key!r} already made booking {owner!r}"
    return DuplicateBooking(
        message,
        kind="booking",
        record_id=record.id,
        tenant=record.tenant,
        key="id" if key is None else key.name,
        existing=existing,
    )


BOOKINGS: Kind[BookingRepository] = Kind(
    "booking",
    Booking,
    unique=(UniqueKey("idempotency", ("idempotency_key",)),),
    not_found=lambda _kind, record_id, tenant: BookingNotFound(record_id, tenant),
    duplicate=lambda _kind, record, key, existing: _duplicate_booking(record, key, existing),
    parents={"session_id": SESSIONS},
)
"""Bookings: unique per tenant by id and by idempotency key; each points at a stored session."""
