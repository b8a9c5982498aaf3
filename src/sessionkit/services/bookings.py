"""Booking commands: book (hold, confirm or queue), confirm, cancel, and the expiry job.

Every command runs in one unit of work at one instant, locks the session's
row, settles it (:func:`~sessionkit.services._seats.settle`) and then decides;
the store re-checks capacity on the write itself, so no race can overbook.
Making a booking lives in :mod:`~sessionkit.services.booking_making`, the
checked request and the argument checks in
:mod:`~sessionkit.services.booking_requests`, the removal of slots that ended
unbooked in :mod:`~sessionkit.services._unbooked`, the cancel's checks, its
refusals and the giving back of some seats in
:mod:`~sessionkit.services._booking_cancel`; this module adds the commands
that change bookings and the jobs, and keeps the names other modules import
from here.
"""

from __future__ import annotations

from datetime import datetime

from sessionkit.errors import BookingRefused, InvalidTransition
from sessionkit.errors._base import shown
from sessionkit.model.booking import (
    BOOKING_LIFECYCLE,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HELD,
    OFFERED,
    WAITLISTED,
    Booking,
)
from sessionkit.model.session import Session
from sessionkit.model.text import (
    MAX_CHANGE_REASON_LENGTH,
    MAX_NAME_LENGTH,
    check_tenant,
    check_text,
)
from sessionkit.services._booking_cancel import cancel_part, check_cancel, given_back, too_many
from sessionkit.services._booking_cancel import ended_at as ended_at
from sessionkit.services._booking_cancel import session_over as session_over
from sessionkit.services._context import (
    Context,
    Tx,
    check_record_version,
    check_version,
    raise_late,
    raised_after_commit,
    retried,
)
from sessionkit.services._due_pages import DuePages
from sessionkit.services._money import check_paid
from sessionkit.services._release import release_emptied, settle_run_out
from sessionkit.services._reschedule_due import Answered, answer_counted
from sessionkit.services._reschedule_steps import requests_due, settle_overdue_kept
from sessionkit.services._seats import (
    as_judged,
    closed,
    expire_in_order,
    held_back,
    refuse_run_out,
    settle,
    store_booking_change,
)
from sessionkit.services._unbooked import UnbookedRemoval
from sessionkit.services.booking_making import BookingMaking
from sessionkit.services.booking_requests import BookingRequest as BookingRequest
from sessionkit.services.booking_requests import booking_args as booking_args
from sessionkit.services.booking_requests import check_batch as check_batch
from sessionkit.services.booking_requests import check_key as check_key
from sessionkit.services.reports import ExpiryReport

__all__ = ["BookingCommands"]

_MAX_EXPIRY_BATCH = 100_000
"""The most expired bookings one ``expire_due`` call reads."""


class BookingCommands(BookingMaking, UnbookedRemoval):
    """Commands and reads on bookings. Every command takes the tenant and the acting user."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # -- changing ------------------------------------------------------------------

    @retried
    def confirm(
        self, tenant: str, booking_id: str, *, actor: str | None, now: datetime | None = None
    ) -> Booking:
        """Confirm a held or offered booking; return it. A confirmed one is returned unchanged.

        The session is settled first, as by every write to it: holds and
        offers that ran out are marked EXPIRED and their seats offered to the
        waitlist in order, so a waitlist place first in line for seats a hold
        freed is offered them and confirmed, whether or not the expiry job ran.
        Raises ``HoldExpired`` when its hold ran out (whether or not the expiry
        job has run), ``BookingRefused`` (rule ``"not_bookable"``) when its
        session takes no bookings any more (it reached a terminal status, such
        as finished ahead of its time: no seat is taken in a session that is
        over; its holds and offers ran out as it did, and are refused so rather
        than as ``HoldExpired``), ``InvalidTransition`` from another status
        (its ``reason`` says what the participant can do: a waitlist place is
        confirmed once a seat is offered to it, a cancelled booking or a
        waitlist place that ran out never; raised before ``PaymentRequired``,
        as paying would not help) and ``BookingNotFound``.
        """
        booking_args(tenant, booking_id, actor)
        with self._ctx.transaction(now) as tx:
            booking, session = locked_booking(tx, tenant, booking_id)
            if booking.status == CONFIRMED:
                return booking
            settled = settle(self._ctx, tx, session, actor=actor)
            if settled.expired or settled.offered:  # this booking may be one of them
                booking = tx.bookings.get(tenant, booking_id)
            # A hold or offer its session's end cut short (EXPIRED at it) is refused as any
            # of an ended session is: no seat is taken in it, whether or not it ran out.
            ran_out = booking.status == EXPIRED and booking.hold_expires_at is not None
            if (booking.status in (HELD, OFFERED) or ran_out) and closed(self._ctx, session):
                raise _not_confirmed(session, booking)
            refuse_run_out(booking, tx.now)
            if booking.status in (WAITLISTED, CANCELLED, EXPIRED):  # paying would not help
                raise InvalidTransition.not_confirmable(
                    booking.id,
                    booking.status,
                    position=booking.position,
                    allowed=BOOKING_LIFECYCLE.allowed(booking, now=tx.now, actor=actor),
                )
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
        seats: int | None = None,
        expected_version: int | None = None,
        now: datetime | None = None,
    ) -> Booking:
        """Cancel a booking in play, or ``seats`` of its seats; return it. They go to the waitlist.

        ``role`` says who cancels (``"participant"``, ``"provider"``,
        ``"admin"``): with payments, it decides the refund by the kit's
        :class:`~sessionkit.policies.RefundPolicy` (a host's, provider's or
        admin's cancel refunds in full); an unpaid payment's intent is cancelled.
        The kit's :class:`~sessionkit.policies.NoticePolicy` refuses a
        ``"cancel"`` with less notice than ``role`` needs, or inside a window
        that shuts ``role`` out, for a confirmed booking (``CancelRefused``,
        rule ``"notice"`` or ``"window"``; letting a hold, an offer or a
        waitlist place go is never refused), as ``kit.reschedules.options``
        tells in advance. A confirmed, paid booking of a session that is over
        (its end passed, or its status is terminal) is refused in every role
        (rule ``"ended"``): the session took place or was decided, and the
        payment's refund (a no-show's) with it; a goodwill refund is
        ``kit.payments.refund``. An unpaid one (an invoice written off, a free
        seat) is cancelled, its payment with it, only in one of the
        ``RefundPolicy.full_refund_roles`` (host, provider, admin, system by default);
        any other role is refused (rule ``"ended"``). A reschedule request of
        the session past its deadline is answered by silence first, as the tick
        would (and as ``kit.reschedules.options`` judges it), so a session that
        silence moved is cancelled, and refunded, at its new time.
        Raises ``InvalidTransition`` for a booking no longer in play (a hold
        or offer that ran out included, and a waitlist place whose session
        started, whether or not the expiry job has marked it) and
        ``BookingNotFound``.

        ``seats`` (fewer than the booking has) gives back only those: the
        booking keeps its status and position with the rest (``version`` + 1,
        one ``BookingSeatsCancelled`` event), the seats go to the waitlist's
        first in line, and the rules above apply as to a cancel. As many as
        it has is a whole cancel. ``WrongType`` for a ``seats`` that is no
        int, ``InvalidValue`` for one below 1 or above the booking's seats,
        ``CancelRefused`` (rule ``"unpaid"``) for a booking whose payment is
        still open (cancel it whole); nothing is written then. A paid one is
        refunded, by ``role``, the part of its payment the seats given back
        paid for by the kit's pricing (none of a ``FixedPrice``); the later
        refunds come from the part the rest paid for.

        ``expected_version`` (the booking's ``version`` as the caller read it)
        refuses the cancel with ``ConcurrentModification`` if the booking
        changed since, nothing written: a partial cancel sent again after its
        answer was lost gives back (and refunds) no second lot of seats. It is
        the version before an overdue request's answer by silence.
        """
        ctx = self._ctx
        booking_args(tenant, booking_id, actor)
        check_text(role, "role", limit=MAX_NAME_LENGTH, empty=False)
        check_text(reason, "reason", limit=MAX_CHANGE_REASON_LENGTH, optional=True)
        if seats is not None:
            seats = given_back(seats)
        check_version(expected_version)
        with ctx.transaction(now) as tx:
            booking, session = locked_booking(tx, tenant, booking_id)
            check_record_version(booking.id, booking.version, expected_version)
            with held_back(tx, booking.id):  # silence's settling offers it no seat it cancels
                settled = settle_overdue_kept(ctx, tx, session)  # as options, the tick judge it
            if settled is not session:  # a request answered by silence moved it
                booking, session = tx.bookings.get(tenant, booking_id), settled
            # A hold or offer that ran out (or a waitlist place whose session started) is
            # EXPIRED now, whether or not the job has marked it: cancelling it is refused
            # alike (InvalidTransition), a part of it too.
            cancelled, change = BOOKING_LIFECYCLE.fire(
                as_judged(booking, tx.now),
                "cancel",
                now=tx.now,
                actor=actor,
                role=role,
                reason=reason,
            )
            if seats is not None and seats > booking.seats:
                raise too_many(booking, seats)
            if booking.status == CONFIRMED:
                check_cancel(ctx, tx, session, booking, role)
            # What had run out before this cancel is expired first (its events dated then),
            # as book and confirm settle the session before their own change: a session's
            # events come in the order things happened. Its seats are offered after, by
            # settle, with the ones this cancel frees.
            ran_out = tx.bookings.seating(tenant, session.id, at=tx.now).lapsed
            if ran_out:
                expire_in_order(tx, ran_out)
            if seats is not None and seats < booking.seats:
                return cancel_part(
                    ctx, tx, session, booking, seats, actor=actor, role=role, reason=reason
                )
            stored = store_booking_change(
                tx, booking, cancelled, [change], actor=actor, reason=reason, role=role
            )
            freed = settle(ctx, tx, session, actor=actor)
            release_emptied(
                ctx, tx, session, freed, actor=actor, why="its last booking was cancelled"
            )
        return stored

    # -- the job -------------------------------------------------------------------

    @retried
    def expire_due(
        self, tenant: str | None = None, *, now: datetime | None = None, limit: int = 500
    ) -> ExpiryReport:
        """Expire what ran out by ``now`` and pass the seats on; return a report.

        Holds and offers past their expiry, and the waitlist places of
        sessions that started (``Booking.runs_out_at``). Idempotent and
        batched: each session is settled in a unit of work of its own (run
        again, as a command is, when it loses a race), at most ``limit``
        expired bookings of the sessions it settles are read per call (run it
        again while ``report.more``). ``tenant=None`` does every tenant's. An
        error raised in a session's unit (rolled back: it stays due) or once
        it committed (the publisher's) is raised after the other sessions are
        done, with the report in its notes, as the tick goes on past a failed
        session: one session never keeps the others' seats from the waitlist.
        A failed session's bookings stay due, at the front of the queue, so the
        call reads on past them (as many more as they hold) while a read comes
        back full and fewer than ``limit`` bookings of settled sessions were
        read: failing sessions never hide the ones due after them, however
        many bookings they hold. When another writer settles a failed session
        meanwhile, the read that asked past its bookings finds as many more of
        other sessions: those past ``limit`` stay due, for the next call
        (``report.more`` is true).

        Sessions are settled in the order they first fell due (the store's
        read, earliest first), so a subscriber meets them in the order their
        bookings ran out, each session's events together. A session's
        reschedule request past its deadline is answered by silence first, after
        what had run out by its deadline is expired (in time order); what the
        answer ended (those, its move's run-out holds and offers, the seats
        they freed) counts in the report with the rest.
        """
        ctx = self._ctx
        if tenant is not None:
            check_tenant(tenant)
        limit = check_batch(limit, "limit", _MAX_EXPIRY_BATCH)
        at = ctx.at(now, "now")
        expired = offered = settled_sessions = 0
        late: list[Exception] = []
        failed: list[Exception] = []

        answering = [False]  # per page: whether a reschedule request is overdue (one read)

        def due(most: int) -> list[tuple[str, str]]:
            with ctx.transaction(at) as tx:
                found = tx.bookings.expiring(tenant, before=at, limit=most)
                answering[0] = bool(found) and requests_due(tx, tenant)
            return [(b.tenant, b.session_id) for b in found]

        # Read past the sessions tried (a failed one's rows stay due, at the front) while
        # fewer than ``limit`` rows of settled sessions were read; a page holds no more
        # sessions than fit in what is left of ``limit``, however many a read found.
        pages = DuePages(due, limit, budget=limit)
        # In the order the sessions first fell due (the read's, earliest first), so a
        # subscriber sees the expiries across sessions in time order, as settle orders
        # them within one.
        for fresh in pages:
            for key in fresh:
                done: list[tuple[int, int]] = []
                try:
                    ctx.retrying(_settle_session, ctx, at, key, done, answer=answering[0])
                except Exception as error:  # noqa: BLE001  # one session must not stop the job
                    # Either way the other sessions' offers still go out before it is raised.
                    if not raised_after_commit(error):
                        failed.append(error)  # rolled back: it stays due, for the next run
                        pages.failed(key)
                        continue
                    late.append(error)  # committed, then publishing its events raised: done
                expired += done[0][0]
                offered += done[0][1]
                settled_sessions += 1
        more = pages.more
        report = ExpiryReport(
            expired=expired, offered=offered, sessions=settled_sessions, more=more
        )
        rest = [f"another session failed: {e!r}" for e in failed[1:]]
        rest += [f"after another session committed: {e!r}" for e in late[bool(not failed) :]]
        raise_late([*failed[:1], *late][:1], "the expiry job", report, "session", details=rest)
        return report


def _settle_session(
    ctx: Context, at: datetime, key: tuple[str, str], done: list[tuple[int, int]], *, answer: bool
) -> None:
    """Settle one session for the expiry job, in a unit of its own; what it ended into ``done``.

    ``done`` gets ``(expired, offered)``: the bookings that ran out and the
    offers made. With ``answer`` (a request of the page's tenants was overdue:
    one read per page, not per session), a reschedule request of the session
    past its deadline is answered by silence first, as the tick does before
    its expiry pass: a waitlist place runs out at the start the answer gave
    the session, not at the old one; what the answer's move ended (its run-out
    holds and offers, and the offers of the seats they freed) counts too.
    Put there before the unit commits, so that an error raised once it
    committed (the publisher's) leaves the committed settling to count; an
    attempt rolled back and run again replaces it.
    """
    with ctx.transaction(at) as tx:
        session = tx.bookings.lock_session(*key)
        # A request silence answered by now first, as the tick's earlier pass answers it:
        # what ran out is judged where the answer moved the session (its new start).
        answered = Answered()
        if answer:
            session, answered = answer_counted(ctx, tx, session)
        if answered.settled:  # the answer settled it (what ran out since, the offers)
            done[:] = [(answered.expired, answered.offered)]
            return
        settled = settle_run_out(ctx, tx, session)
        done[:] = [(answered.expired + settled.expired, answered.offered + settled.offered)]


def locked_booking(tx: Tx, tenant: str, booking_id: str) -> tuple[Booking, Session]:
    """Lock the booking's session, then read the booking as it stands under that lock.

    Every writer of a session's bookings locks the session first, so a
    booking read before the lock may be stale by the time it is written (a
    cancel freeing a seat offers it to this waitlisted booking meanwhile):
    the read after the lock is the one the command acts on.
    """
    found = tx.bookings.get(tenant, booking_id)
    session = tx.bookings.lock_session(tenant, found.session_id)
    return tx.bookings.get(tenant, booking_id), session


def _not_confirmed(session: Session, booking: Booking) -> BookingRefused:
    """Return the refusal of a confirm of ``booking``: its ``session`` takes no bookings."""
    return BookingRefused(
        "not_bookable",
        f"session {shown(session.id)} is {session.status} and takes no bookings: "
        f"booking {shown(booking.id)} cannot be confirmed",
    )
