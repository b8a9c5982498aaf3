"""Making a booking: ``book`` (hold, confirm or queue), ``book_in`` and ``can_book``.

:class:`BookingMaking` is the part of
:class:`~sessionkit.services.bookings.BookingCommands` that makes bookings. A
booking is made in one unit of work at one instant: the session's row is
locked, the checks that need no bookings read run first, and a session with
nothing to settle takes the booking in a single write
(``tx.bookings.add_settled``); otherwise the session is settled
(:func:`~sessionkit.services._seats.settle`) and the participant checked
before the booking is written. The store re-checks capacity on the write
itself, so no race can overbook. The refusals that need bookings read, and
when they may lift (``may_free_at``), are in
:mod:`~sessionkit.services._booking_refusals`.

This module owns the commands (``book``, ``book_in``, ``can_book``); the steps
they share (the checks that need no bookings read, settling the session,
replaying a request, seating the new booking) are the private methods of its
base :class:`~sessionkit.services._booking_admission.BookingAdmission`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from sessionkit.errors import (
    AlreadyBooked,
    BookingRefused,
    CapacityExceeded,
    PaymentRequired,
    SessionKitError,
)
from sessionkit.model.booking import BOOKING_LIFECYCLE, Booking, check_seats, participant_ref
from sessionkit.model.booking_events import booking_event
from sessionkit.model.events import DomainEvent
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.text import check_actor, check_flag, check_id, check_tenant
from sessionkit.policies import BookingRules, Refusal
from sessionkit.ports import QuickBookings
from sessionkit.services._booking_admission import BookingAdmission
from sessionkit.services._booking_refusals import (
    capacity_refusal,
    full_refusal,
    judged_where_moved,
)
from sessionkit.services._context import Tx, mark, retried
from sessionkit.services._context_retry import AFTER_COMMIT, COMMITS
from sessionkit.services._money import priced, unpriced
from sessionkit.services.booking_queries import BookingReads
from sessionkit.services.booking_requests import RACES, BookingRequest, check_role, lost_to_replay
from sessionkit.services.drafts import SessionDraft, make_extra

__all__ = ["BookingMaking"]


class BookingMaking(BookingReads, BookingAdmission):
    """The booking-making commands of :class:`~sessionkit.services.bookings.BookingCommands`."""

    @retried
    def book(
        self,
        tenant: str,
        session_id: str | SessionDraft,
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
        ``hold_for``), or CONFIRMED at once with ``confirm=True``. A seat of a
        session the kit's pricing prices is taken with ``kit.payments.book``,
        whose payment confirms it: here it is refused with ``PaymentRequired``,
        held or confirmed alike (such a hold could never be confirmed), and
        only the session's waitlist is joined. A full
        session (or one with a waitlist already) queues it as WAITLISTED when
        ``waitlist=True`` and its rules keep a waitlist, else raises
        ``CapacityExceeded``. Raises ``SessionNotFound``, ``BookingRefused``
        (a rule; ``rule`` and ``allows_at`` say which and when),
        ``AlreadyBooked``, ``InvalidValue`` (seats < 1 or above the capacity)
        and ``NaiveDatetime``; nothing is written then. A rule's refusal is
        judged again where an overdue reschedule request's silence moved the
        session, tick or not (as ``cancel`` judges it).

        ``role`` is the participant's role in the session (``"student"``,
        ``"client"``); ``acting_role`` is the role the actor books in, for
        the kit's :class:`~sessionkit.policies.NoticePolicy` (default: ``role``;
        a host booking for a client passes ``acting_role="host"`` and bypasses
        the notice). A ``"book"`` notice rule or window refuses with
        ``BookingRefused`` (rule ``"notice"`` or ``"window"``).

        With ``idempotency_key``, a replay of the same request returns the
        booking it first made (whatever became of it) and writes nothing; the
        same key with another request raises ``IdempotencyKeyReused``.

        ``session_id`` may be a :class:`~sessionkit.services.SessionDraft`: the
        session is created (as ``kit.sessions.create_extra`` creates it, with
        what that raises) and booked in this one unit of work, or neither is.
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
            quick = self._ctx.quick
            if quick is not None and request.draft is None and not self._ctx.journal:
                taken, at = self._book_quickly(quick, tenant, request, actor, now)
                if taken is not None:
                    return taken
                # The long way, at the instant the quick way judged the request at: the
                # command reads the clock once, as it would have.
                return self._book(tenant, request, actor, at)
            return self._book(tenant, request, actor, now)
        except RACES as taken:
            if not lost_to_replay(request, taken):
                raise
            # A concurrent first request with the same key won the insert (on another
            # session, or before this one read the key): run again, to replay its result.
            return self._book(tenant, request, actor, now)

    def _book_quickly(
        self,
        quick: QuickBookings,
        tenant: str,
        request: BookingRequest,
        actor: str | None,
        now: datetime | None,
    ) -> tuple[Booking | None, datetime]:
        """Take the request the store's quick way (:class:`~sessionkit.ports.QuickBookings`).

        Only the common case of :meth:`book_in`: a free session that passes
        every check that needs no bookings read, with no per-participant
        limit to count, taking the booking in one write; or a session that is
        only full, refused (``CapacityExceeded``, as :meth:`book_in` says it).
        ``None`` for anything else, with nothing written (any other refusal
        too: the long way raises it, or judges the session where silence moved
        it), and the id the booking drew given back to the kit's id source:
        :meth:`book` then runs the command in a unit of work, as it would
        have, at the instant returned with it.
        """
        ctx = self._ctx
        at = ctx.at(now, "now")
        assert request.session_id is not None  # no draft comes here
        events: list[DomainEvent] = []
        judged: list[BookingRules] = []
        drawn: list[str] = []
        role = request.acting_role

        def admit(session: Session) -> Booking | None:
            try:
                rules = self._admit(at, session, request.seats, role)
            except SessionKitError:
                return None
            if rules.per_day is not None or rules.per_week is not None:
                return None  # counted under the participant's lock, in a unit of work
            if ctx.price_of(session) is not None:
                return None  # kit.payments.book's, or PaymentRequired: the long way says
            new = self._drafted(tenant, session, request, actor, at)
            drawn[:] = [new.id]
            entered, change = self._seated(new, request, rules, at, actor)
            events[:] = [booking_event(entered, change, tenant=tenant, actor=actor)]
            judged[:] = [rules]
            return entered

        def refuse(
            session: Session, taken: int, running: Sequence[tuple[datetime, int]]
        ) -> CapacityExceeded | None:
            rules = judged[0]
            if (request.waitlist and rules.waitlist) or request.seats <= session.capacity - taken:
                return None  # queued, or refused for another reason: the long way
            return full_refusal(
                ctx,
                session,
                rules,
                role,
                taken=taken,
                waiting=0,
                seats=request.seats,
                running=running,
            )

        # A refusal raised here drew its id as the long way's would (book_in draws before
        # its first write); so does a failure.
        taken = quick.book_quickly(tenant, request.session_id, admit, refuse)
        if taken is None:
            if drawn:  # never stored: the next booking takes it, as if never drawn
                ctx.ids.give_back(drawn[0])
            return None, at
        COMMITS.set(COMMITS.get() + 1)
        try:
            quick.publish_committed(events)
        except BaseException as error:
            mark(error, AFTER_COMMIT, True)  # the booking stands: see raised_after_commit
            raise
        return taken, at

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
        if key is not None:
            replayed = self._replay(tx, tenant, key, request)
            if replayed is not None:
                return replayed, None
        if request.draft is None:
            assert request.session_id is not None  # a request names a session or drafts one
            session_id = request.session_id
        else:
            session_id = make_extra(ctx, tx, tenant, request.draft, actor).id
        session = tx.bookings.lock_session(tenant, session_id)
        # A seat of a priced session is taken by its payment (kit.payments.book): held
        # here, it could never be confirmed. Only its waitlist is joined without paying.
        unpaid = not paying and priced(ctx, tx, session)
        # A drafted session goes with the refusal: the error names no id of it.
        refused_id = session.id if request.draft is None else None
        if request.confirm and unpaid:
            # Refused before the waitlist is looked at: the error names it as the other way,
            # where the session's rules keep one.
            raise PaymentRequired.at_once(
                refused_id,
                confirm=True,
                waitlist=request.waitlist,
                queues=self._ctx.rules_for(session).waitlist,
            )
        if key is not None:
            # Read again under the lock: a first request with this key for this
            # session may have committed while this one waited for the lock.
            replayed = self._replay(tx, tenant, key, request)
            if replayed is not None:
                return replayed, None
        drafted, role = refused_id is None, request.acting_role
        rules, session = judged_where_moved(
            ctx, tx, session, lambda s: self._admit(tx.now, s, seats, role, drafted=drafted)
        )

        new: Booking | None = None
        if (
            not unpaid
            and rules.per_day is None
            and rules.per_week is None
            and seats <= session.capacity
        ):
            # The common case first: a session with nothing to settle (no hold run out,
            # nobody waiting) takes the booking in one write, with no read before it. Its
            # id is drawn now, so a refusal found the long way has drawn one too.
            new = self._drafted(tenant, session, request, actor, tx.now)
            entered, change = self._seated(new, request, rules, tx.now, actor)
            if tx.bookings.add_settled(entered):
                tx.collect([booking_event(entered, change, tenant=tenant, actor=actor)])
                return entered, session
        settled = self._settled(tx, session, rules, ref, actor, request.acting_role)
        free = settled.free(session.capacity)
        if new is None:
            # After the checks, which draw no id when they refuse.
            new = self._drafted(tenant, session, request, actor, tx.now)
        if seats <= free:
            if unpaid:  # with waitlist=True too: the room it has would seat it, not queue it
                raise PaymentRequired.at_once(
                    refused_id, waitlist=request.waitlist, queues=rules.waitlist
                )
            entered, change = self._seated(new, request, rules, tx.now, actor)
        elif request.waitlist and rules.waitlist:
            position = tx.bookings.next_position(tenant, session.id)
            entered, change = BOOKING_LIFECYCLE.fire(
                attrs.evolve(new, position=position),
                "queue",
                now=tx.now,
                actor=actor,
                role=request.acting_role,
            )
        else:
            raise capacity_refusal(
                self._ctx, tx, session, rules, request.acting_role, settled, seats
            )
        tx.bookings.add(entered)
        tx.collect([booking_event(entered, change, tenant=tenant, actor=actor)])
        return entered, session

    @retried
    def can_book(
        self,
        tenant: str,
        session_id: str,
        participant: ResourceRef | str,
        *,
        seats: int = 1,
        acting_role: str = "attendee",
        paying: bool = False,
        now: datetime | None = None,
    ) -> Refusal | None:
        """Return why ``book`` would refuse now (a ``Refusal``), or ``None`` if it would not.

        The same checks as :meth:`book` (``acting_role`` as there; pass the
        booking's ``role`` when the participant books), read only: for a
        "book" button.
        A full session answers rule ``"capacity"`` (with a waitlist, the
        booking would be queued instead). Its ``may_free_at``, and a
        ``per_day`` / ``per_week`` refusal's, is the one the command's error
        would carry in the same state. A seat of a session the kit's pricing
        prices is taken with ``kit.payments.book``, so there ``book`` refuses
        and this answers rule ``"payment"`` once every other check passes;
        ``paying=True`` answers for ``kit.payments.book`` instead, which raises
        ``InvalidValue`` for a session the pricing leaves free once every
        other check passes, as this does.

        Only a refusal of the booking in the session's state is answered:
        what ``book`` raises because the request or the stored session is
        wrong is raised here too, and nothing is written. So
        ``SessionNotFound``, ``InvalidValue`` (seats above the capacity) and
        ``UnknownLifecycle`` / ``UnknownStatus`` for a session of a lifecycle
        or status the kit no longer knows (renamed or removed since it was
        stored, which ``bookable`` leaves out and ``remaining_seats`` counts
        as 0): the host fixes the kit's registry, no participant can.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        check_seats(seats)
        acting = check_role(acting_role, "acting_role")
        check_flag(paying, "paying")
        try:
            with self._ctx.transaction(now) as tx:
                ref = participant_ref(participant)
                session = tx.bookings.lock_session(tenant, session_id)
                is_priced = priced(self._ctx, tx, session)
                rules, settled, session = self._open_seats(
                    tx, session, ref, check_seats(seats), None, acting
                )
                full = None
                if seats > settled.free(session.capacity):
                    # Before the rollback: the state the command's refusal is read in.
                    full = capacity_refusal(self._ctx, tx, session, rules, acting, settled, seats)
                tx.rollback()
                if full is not None:
                    return Refusal(
                        rule="capacity",
                        reason=f"{full.remaining} seat(s) free",
                        may_free_at=full.may_free_at,
                    )
                if paying and not is_priced:  # asked last, as kit.payments.book asks it
                    raise unpriced(session.id)
                if is_priced and not paying:
                    return Refusal(
                        rule="payment",
                        reason=f"session {session.id!r} is priced: book it with kit.payments.book",
                    )
        except BookingRefused as refused:
            return Refusal(
                rule=refused.rule,
                reason=refused.reason,
                allows_at=refused.allows_at,
                limit=refused.limit,
                count=refused.count,
                may_free_at=refused.may_free_at,
            )
        except AlreadyBooked as booked:
            return Refusal(rule="already_booked", reason=str(booked))
        return None
