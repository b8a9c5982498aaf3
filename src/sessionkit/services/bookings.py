"""Booking commands: book (hold, confirm or queue), confirm, cancel, and the expiry job.

Every command runs in one unit of work at one instant, locks the session's
row, settles it (:func:`~sessionkit.services._seats.settle`) and then decides;
the store re-checks capacity on the write itself, so no race can overbook.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from sessionkit.errors import (
    AlreadyBooked,
    BookingRefused,
    CancelRefused,
    CapacityExceeded,
    DuplicateBooking,
    HoldExpired,
    IdempotencyKeyReused,
    InvalidValue,
    SessionLocked,
    StillReferenced,
    WrongType,
)
from sessionkit.lifecycle import StatusChanged
from sessionkit.limits import CEILING
from sessionkit.model.booking import (
    BOOKING_LIFECYCLE,
    CONFIRMED,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    SEAT_STATUSES,
    Booking,
    check_seats,
    participant_ref,
)
from sessionkit.model.booking_events import booking_event
from sessionkit.model.events import SessionDeleted
from sessionkit.model.fields import check_fields
from sessionkit.model.query import MAX_LIMIT, SessionQuery
from sessionkit.model.session import ResourceRef, Session, resource_refs
from sessionkit.model.text import (
    MAX_NAME_LENGTH,
    check_actor,
    check_flag,
    check_id,
    check_optional_id,
    check_tenant,
    check_text,
)
from sessionkit.policies import BookingRules, Refusal
from sessionkit.services._context import Context, Tx, check_editable, retried
from sessionkit.services._money import check_paid, check_unpriced
from sessionkit.services._seats import settle, store_booking_change
from sessionkit.services.booking_queries import BookingReads
from sessionkit.services.reports import CleanupReport, ExpiryReport
from sessionkit.timespan import check_delta
from sessionkit.zones import check_instant

__all__ = ["BookingCommands"]


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def check_key(key: object) -> str | None:
    if key is None:
        return None
    return check_text(
        key, "idempotency_key", limit=MAX_IDEMPOTENCY_KEY_LENGTH, optional=True, empty=False
    )


_MAX_REASON = 4096
"""Longest reason given for a cancellation (it travels in events)."""
_MAX_EXPIRY_BATCH = 100_000
"""The most expired bookings one ``expire_due`` call reads."""


def _check_role(role: object) -> str:
    checked = check_text(role, "role", limit=MAX_NAME_LENGTH, empty=False)
    assert checked is not None
    return checked


def check_batch(value: object, name: str, most: int) -> int:
    """Return ``value`` if it is an integer 1..``most`` (a batch size or limit), else raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise WrongType(value, name=name, expected=f"an integer 1..{most}")
    if not 1 <= value <= most:
        raise InvalidValue(
            f"{name} must be 1..{most:,}, got {value!r}", value=value, expected=f"1..{most}"
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

    session_id: str
    participant: ResourceRef
    seats: int
    role: str
    acting_role: str
    confirm: bool
    waitlist: bool
    hold_for: timedelta | None
    key: str | None
    metadata: Mapping[str, Any]

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
    ) -> BookingRequest:
        """Check a booking command's arguments (``WrongType`` / ``InvalidValue``); the request."""
        return cls(
            session_id=check_id(session_id, "session_id"),
            participant=participant_ref(participant),  # type: ignore[arg-type]  # it checks
            seats=check_seats(seats),
            role=_check_role(role),
            acting_role=_check_role(role if acting_role is None else acting_role),
            confirm=bool(check_flag(confirm, "confirm")),
            waitlist=bool(check_flag(waitlist, "waitlist")),
            hold_for=None
            if hold_for is None
            else check_delta(hold_for, "hold_for", positive=True, maximum=CEILING),
            key=check_key(idempotency_key),
            metadata=check_fields(metadata),
        )

    @property
    def fingerprint(self) -> str:
        return _fingerprint(
            self.session_id,
            str(self.participant),
            self.seats,
            self.role,
            self.confirm,
            self.waitlist,
        )


class BookingCommands(BookingReads):
    """Commands and reads on bookings. Every command takes the tenant and the acting user."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # -- booking -------------------------------------------------------------------

    @retried
    def book(
        self,
        tenant: str,
        session_id: str,
        participant: ResourceRef | str,
        *,
        actor: str | None,
        seats: int = 1,
        role: str = "attendee",
        acting_role: str | None = None,
        confirm: bool = False,
        waitlist: bool = False,
        hold_for: timedelta | None = None,
        idempotency_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> Booking:
        """Book ``seats`` of a session for ``participant``; return the stored booking.

        The booking is HELD until ``now + hold_for`` (default: the rules'
        ``hold_for``), or CONFIRMED at once with ``confirm=True`` (refused with
        ``PaymentRequired`` for a session the kit's pricing prices: its payment
        confirms it, see ``kit.payments.book``). A full
        session (or one with a waitlist already) queues it as WAITLISTED when
        ``waitlist=True`` and its rules keep a waitlist, else raises
        ``CapacityExceeded``. Raises ``SessionNotFound``, ``BookingRefused``
        (a rule; ``rule`` and ``allows_at`` say which and when),
        ``AlreadyBooked``, ``InvalidValue`` (seats < 1 or above the capacity)
        and ``NaiveDatetime``; nothing is written then.

        ``role`` is the participant's role in the session (``"student"``,
        ``"client"``); ``acting_role`` is the role the actor books in, for
        the kit's :class:`~sessionkit.policies.NoticePolicy` (default: ``role``;
        a host booking for a client passes ``acting_role="host"`` and bypasses
        the notice). A ``"book"`` notice rule or window refuses with
        ``BookingRefused`` (rule ``"notice"`` or ``"window"``).

        With ``idempotency_key``, a replay of the same request returns the
        booking it first made (whatever became of it) and writes nothing; the
        same key with another request raises ``IdempotencyKeyReused``.
        """
        check_tenant(tenant)
        check_actor(actor)
        request = BookingRequest.of(
            session_id=session_id,
            participant=participant,
            seats=seats,
            role=role,
            acting_role=acting_role,
            confirm=confirm,
            waitlist=waitlist,
            hold_for=hold_for,
            idempotency_key=idempotency_key,
            metadata=metadata,
        )
        try:
            return self._book(tenant, request, actor, now)
        except DuplicateBooking as taken:
            if request.key is None or taken.key != "idempotency":
                raise
            # A concurrent first request with the same key won the insert (on another
            # session, or before this one read the key): run again, to replay its result.
            return self._book(tenant, request, actor, now)

    def _book(
        self, tenant: str, request: BookingRequest, actor: str | None, now: datetime | None
    ) -> Booking:
        with self._ctx.transaction(now) as tx:
            return self.book_in(tx, tenant, request, actor)[0]

    def book_in(
        self,
        tx: Tx,
        tenant: str,
        request: BookingRequest,
        actor: str | None,
        *,
        paying: bool = False,
    ) -> tuple[Booking, Session | None]:
        """Make (or replay) the booking ``request`` asks for inside ``tx``.

        Return it with its session, locked, when this call made it, or with
        ``None`` when it replays an earlier request's booking. ``paying``: the
        caller opens the booking's payment in the same unit of work, so a
        priced session may be booked confirmed (else ``PaymentRequired``).
        """
        ctx = self._ctx
        key, ref, seats = request.key, request.participant, request.seats
        fingerprint = request.fingerprint
        if key is not None:
            replayed = self._replay(tx, tenant, key, fingerprint)
            if replayed is not None:
                return replayed, None
        session = tx.bookings.lock_session(tenant, request.session_id)
        if request.confirm and not paying:
            check_unpriced(ctx, tx, session)
        if key is not None:
            # Read again under the lock: a first request with this key for this
            # session may have committed while this one waited for the lock.
            replayed = self._replay(tx, tenant, key, fingerprint)
            if replayed is not None:
                return replayed, None
        rules = self._admit(tx, session, seats, request.acting_role)

        def draft() -> Booking:
            return Booking.new(
                id=ctx.ids(),
                tenant=tenant,
                session_id=session.id,
                participant=ref,
                session_start=session.start,
                session_end=session.end,
                created_at=tx.now,
                created_by=actor,
                role=request.role,
                seats=seats,
                idempotency_key=key,
                fingerprint=fingerprint,
                metadata=request.metadata,
            )

        new: Booking | None = None
        if rules.per_day is None and rules.per_week is None and seats <= session.capacity:
            # The common case first: a session with nothing to settle (no hold run out,
            # nobody waiting) takes the booking in one write, with no read before it. Its
            # id is drawn now, so a refusal found the long way has drawn one too.
            new = draft()
            entered, change = self._seated(new, request, rules, tx.now, actor)
            if tx.bookings.add_settled(entered):
                tx.collect([booking_event(entered, change, tenant=tenant, actor=actor)])
                return entered, session
        free = self._settled_seats(tx, session, rules, ref, actor)
        if new is None:
            new = draft()  # after the checks, which draw no id when they refuse
        if seats <= free:
            entered, change = self._seated(new, request, rules, tx.now, actor)
        elif request.waitlist and rules.waitlist:
            position = tx.bookings.next_position(tenant, session.id)
            entered, change = BOOKING_LIFECYCLE.fire(
                attrs.evolve(new, position=position), "queue", now=tx.now, actor=actor
            )
        else:
            raise CapacityExceeded(
                session_id=session.id,
                capacity=session.capacity,
                taken=session.capacity - max(free, 0),
                asked=seats,
            )
        tx.bookings.add(entered)
        tx.collect([booking_event(entered, change, tenant=tenant, actor=actor)])
        return entered, session

    @staticmethod
    def _seated(
        new: Booking,
        request: BookingRequest,
        rules: BookingRules,
        now: datetime,
        actor: str | None,
    ) -> tuple[Booking, StatusChanged]:
        """The new booking taking its seats: confirmed, or held for the request's or rules' time."""
        if request.confirm:
            return BOOKING_LIFECYCLE.fire(new, "book", now=now, actor=actor)
        held = new.holding(until=now + (request.hold_for or rules.hold_for))
        return BOOKING_LIFECYCLE.fire(held, "hold", now=now, actor=actor)

    def _open_seats(
        self,
        tx: Tx,
        session: Session,
        ref: ResourceRef,
        seats: int,
        actor: str | None,
        acting_role: str,
    ) -> tuple[BookingRules, int]:
        """Settle the locked session, run every check but capacity; return its rules, free seats."""
        rules = self._admit(tx, session, seats, acting_role)
        return rules, self._settled_seats(tx, session, rules, ref, actor)

    def _admit(self, tx: Tx, session: Session, seats: int, acting_role: str) -> BookingRules:
        """Run the checks that need no bookings read (the rules, the notice); return the rules."""
        rules = self._ctx.rules_for(session)
        self._check_bookable(session, rules, seats, tx.now)
        refusal = self._ctx.notice.notice_refusal("book", acting_role, session, tx.now)
        if refusal is not None:
            raise refusal.error()
        return rules

    def _settled_seats(
        self,
        tx: Tx,
        session: Session,
        rules: BookingRules,
        ref: ResourceRef,
        actor: str | None,
    ) -> int:
        """Settle the locked session, check the participant; return the seats free for them.

        Seats the waitlist is owed are not free for a newcomer: with anyone
        still waiting, none are.
        """
        settled = settle(self._ctx, tx, session, actor=actor, participant=ref)
        self._check_participant(tx, session, rules, ref, settled.mine)
        return 0 if settled.queued else session.capacity - settled.taken

    def _replay(self, tx: Tx, tenant: str, key: str, fingerprint: str) -> Booking | None:
        first = tx.bookings.by_key(tenant, key)
        if first is None:
            return None
        if first.fingerprint != fingerprint:
            raise IdempotencyKeyReused(key, first.id)
        return first

    @staticmethod
    def _check_bookable(session: Session, rules: BookingRules, seats: int, now: datetime) -> None:
        if not session.busy:
            raise BookingRefused(
                "not_bookable",
                f"session {session.id!r} is {session.status} and takes no bookings",
            )
        if seats > session.capacity:
            raise InvalidValue(
                f"seats={seats} is more than session {session.id!r}'s capacity {session.capacity}",
                value=seats,
                expected=f"1..{session.capacity}",
            )
        refusal = rules.refusal(session, now)
        if refusal is not None:
            raise refusal.error()

    @staticmethod
    def _check_participant(
        tx: Tx, session: Session, rules: BookingRules, ref: ResourceRef, mine: Sequence[Booking]
    ) -> None:
        for booking in mine:
            if booking.participant == ref:
                raise AlreadyBooked(
                    session_id=session.id,
                    participant=str(ref),
                    booking_id=booking.id,
                    status=booking.status,
                )
        for rule, limit, window in (
            ("per_day", rules.per_day, rules.day_of),
            ("per_week", rules.per_week, rules.week_of),
        ):
            if limit is None:
                continue
            tx.bookings.lock_participant(session.tenant, ref)  # both limits: one lock suffices
            span = window(session.start)
            mine = tx.bookings.for_participant(
                session.tenant, ref, window=span, statuses=SEAT_STATUSES
            )
            count = sum(1 for b in mine if b.takes_seats(tx.now))
            if count >= limit:
                raise BookingRefused(
                    rule,
                    f"{ref} already has {count} booking(s) in sessions starting between "
                    f"{span.start.isoformat()} and {span.end.isoformat()} (at most {limit})",
                )

    @retried
    def can_book(
        self,
        tenant: str,
        session_id: str,
        participant: ResourceRef | str,
        *,
        seats: int = 1,
        acting_role: str = "attendee",
        now: datetime | None = None,
    ) -> Refusal | None:
        """Return why ``book`` would refuse now (a ``Refusal``), or ``None`` if it would not.

        The same checks as :meth:`book` (``acting_role`` as there; pass the
        booking's ``role`` when the participant books), read only: for a
        "book" button.
        A full session answers rule ``"capacity"`` (with a waitlist, the
        booking would be queued instead).
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        check_seats(seats)
        acting = _check_role(acting_role)
        try:
            with self._ctx.transaction(now) as tx:
                ref = participant_ref(participant)
                session = tx.bookings.lock_session(tenant, session_id)
                free = self._open_seats(tx, session, ref, check_seats(seats), None, acting)[1]
                tx.uow.rollback()
                if seats > free:
                    return Refusal(rule="capacity", reason=f"{max(free, 0)} seat(s) free")
        except BookingRefused as refused:
            return Refusal(rule=refused.rule, reason=refused.reason, allows_at=refused.allows_at)
        except AlreadyBooked as booked:
            return Refusal(rule="already_booked", reason=str(booked))
        return None

    # -- changing ------------------------------------------------------------------

    @retried
    def confirm(
        self, tenant: str, booking_id: str, *, actor: str | None, now: datetime | None = None
    ) -> Booking:
        """Confirm a held or offered booking; return it. A confirmed one is returned unchanged.

        Raises ``HoldExpired`` when its hold ran out (whether or not the expiry
        job has run), ``InvalidTransition`` from another status and
        ``BookingNotFound``.
        """
        booking_args(tenant, booking_id, actor)
        with self._ctx.transaction(now) as tx:
            booking = tx.bookings.get(tenant, booking_id)
            if booking.status == CONFIRMED:
                return booking
            if booking.expired_at(tx.now):
                assert booking.hold_expires_at is not None
                raise HoldExpired(booking.id, booking.hold_expires_at)
            session = tx.bookings.lock_session(tenant, booking.session_id)
            check_paid(self._ctx, tx, session, booking)
            confirmed, change = BOOKING_LIFECYCLE.fire(booking, "confirm", now=tx.now, actor=actor)
            return store_booking_change(tx, booking, confirmed, [change], actor=actor)

    @retried
    def cancel(
        self,
        tenant: str,
        booking_id: str,
        *,
        actor: str | None,
        role: str = "participant",
        reason: str | None = None,
        now: datetime | None = None,
    ) -> Booking:
        """Cancel a booking in play; return it. Its seats go to the waitlist's first in line.

        ``role`` says who cancels (``"participant"``, ``"provider"``,
        ``"admin"``): with payments, it decides the refund by the kit's
        :class:`~sessionkit.policies.RefundPolicy` (a provider's or admin's
        cancel refunds in full); an unpaid payment's intent is cancelled.
        The kit's :class:`~sessionkit.policies.NoticePolicy` refuses a
        ``"cancel"`` with less notice than ``role`` needs, or inside a window
        that shuts ``role`` out, for a confirmed booking (``CancelRefused``,
        rule ``"notice"`` or ``"window"``; letting a hold, an offer or a
        waitlist place go is never refused), as ``kit.reschedules.options``
        tells in advance.
        Raises ``InvalidTransition`` for a booking no longer in play and
        ``BookingNotFound``.
        """
        ctx = self._ctx
        booking_args(tenant, booking_id, actor)
        check_text(role, "role", limit=MAX_NAME_LENGTH, empty=False)
        check_text(reason, "reason", limit=_MAX_REASON, optional=True)
        with ctx.transaction(now) as tx:
            booking = tx.bookings.get(tenant, booking_id)
            session = tx.bookings.lock_session(tenant, booking.session_id)
            refusal = ctx.notice.notice_refusal("cancel", role, session, tx.now)
            if refusal is not None and booking.status == CONFIRMED:
                raise CancelRefused(refusal.rule, refusal.reason, booking_id=booking.id)
            cancelled, change = BOOKING_LIFECYCLE.fire(
                booking, "cancel", now=tx.now, actor=actor, reason=reason
            )
            stored = store_booking_change(
                tx, booking, cancelled, [change], actor=actor, reason=reason, role=role
            )
            settle(ctx, tx, session, actor=actor)
        return stored

    # -- the job -------------------------------------------------------------------

    @retried
    def expire_due(
        self, tenant: str | None = None, *, now: datetime | None = None, limit: int = 500
    ) -> ExpiryReport:
        """Expire holds and offers that ran out by ``now`` and pass their seats on; a report.

        Idempotent and batched: each session is settled in a unit of work of
        its own, at most ``limit`` expired bookings are read per call (run it
        again while ``report.more``). ``tenant=None`` does every tenant's.
        """
        ctx = self._ctx
        if tenant is not None:
            check_tenant(tenant)
        check_batch(limit, "limit", _MAX_EXPIRY_BATCH)
        at = ctx.at(now, "now")
        with ctx.transaction(at) as tx:
            due = tx.bookings.expiring(tenant, before=at, limit=limit)
        expired = offered = 0
        sessions = sorted({(b.tenant, b.session_id) for b in due})
        for session_tenant, session_id in sessions:
            with ctx.transaction(at) as tx:
                session = tx.bookings.lock_session(session_tenant, session_id)
                settled = settle(ctx, tx, session, actor=None)
                expired += settled.expired
                offered += settled.offered
        return ExpiryReport(
            expired=expired, offered=offered, sessions=len(sessions), more=len(due) >= limit
        )

    # -- publishing ----------------------------------------------------------------

    @retried
    def remove_unbooked(
        self,
        tenant: str,
        *,
        actor: str | None,
        before: datetime | None = None,
        since: datetime | None = None,
        resources: Iterable[ResourceRef | str] | None = None,
        series_id: str | None = None,
        batch: int = 200,
    ) -> CleanupReport:
        """Delete the tenant's sessions that ended by ``before`` and never had a booking.

        A provider's published slots nobody booked, once over (``before``
        defaults to now), filtered like a session query (starting from
        ``since``, of ``resources``, of ``series_id``). Sessions with any
        booking (even a cancelled or expired one) are left alone and not
        reported. Each is deleted as :meth:`SessionCommands.delete` would,
        with a ``SessionDeleted`` event, or kept with the reason (a status
        that is not editable, a host's dependents, a booking that arrived
        meanwhile). Runs in units of work of ``batch`` sessions (at most
        ``MAX_LIMIT``); ``since`` bounds the scan of the tenant's history.
        """
        ctx = self._ctx
        check_tenant(tenant)
        check_actor(actor)
        check_optional_id(series_id, "series_id")
        check_batch(batch, "batch", MAX_LIMIT)
        until = ctx.at(before, "before")
        query = SessionQuery(
            start_from=None if since is None else check_instant(since, "since"),
            start_to=until,
            resources=None if resources is None else resource_refs(resources),
            series_id=series_id,
            limit=batch,
        )
        removed: list[Session] = []
        kept: list[tuple[Session, str]] = []
        while True:
            with ctx.transaction() as tx:
                page = tx.sessions.query(tenant, query)
                over = [s for s in page.items if s.end <= until]
                booked = tx.bookings.counts(tenant, [s.id for s in over])
                for session in over:
                    if booked.get(session.id):
                        continue
                    try:
                        check_editable(ctx, tx, session, deleting=True)
                        tx.sessions.delete(tenant, session.id, expected_version=session.version)
                    except SessionLocked as locked:
                        kept.append((session, locked.reason))
                        continue
                    except StillReferenced as referenced:  # booked since the count
                        kept.append((session, str(referenced)))
                        continue
                    removed.append(session)
                    tx.collect(
                        [SessionDeleted(tenant=tenant, actor=actor, at=tx.now, session=session)]
                    )
            if page.next_cursor is None:
                return CleanupReport(removed=tuple(removed), kept=tuple(kept))
            query = attrs.evolve(query, after=page.next_cursor)
