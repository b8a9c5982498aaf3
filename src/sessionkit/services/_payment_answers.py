"""The provider's answers inside one unit of work: paid, failed or cancelled, authorized.

Private to the services. Each function takes what a provider said of a
payment (by an event, by an answer to a call, or by a host marking a manual
payment paid) and moves the payment and its booking on, with the booking's
session locked; an answer the payment has moved past changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

from sessionkit.model.booking import BOOKING_LIFECYCLE, CONFIRMED, HELD, OFFERED, Booking
from sessionkit.model.payment import (
    AUTHORIZED,
    OPEN_PAYMENT_STATUSES,
    PAID_STATUSES,
    PAYMENT_LIFECYCLE,
    PENDING,
    Payment,
)
from sessionkit.model.session import Session
from sessionkit.services._context import Context, Tx
from sessionkit.services._money import give_back, store_payment
from sessionkit.services._money_no_shows import settle_paid_late
from sessionkit.services._release import RAN_OUT, release_emptied, settle_run_out
from sessionkit.services._seats import (
    closed,
    expire_in_order,
    lapse_session_bookings,
    settle,
    store_booking_change,
)

__all__ = ["authorized", "fail", "over_before_capture", "succeed", "void_capture"]


def succeed(
    ctx: Context,
    tx: Tx,
    payment: Payment,
    *,
    actor: str | None,
    paid_at: datetime | None = None,
    capturing: bool = False,
) -> Payment:
    """The money came in: mark ``payment`` PAID and confirm its booking, or refund it all.

    The booking is confirmed while it still holds its seats (held or offered,
    not run out, at the command's instant), and also when its hold ran out
    only after ``paid_at`` (the provider's instant of the payment, never
    later than the command's; a notice that arrived late) while its expiry
    was not yet processed and its seats are still free (:func:`_paid_in_time`).
    A payment authorized while its booking held, whose capture sessionkit
    decided then (``due == "capture"``; ``capturing``: the caller just saw
    that capture done), was secured at its authorization: it counts as paid
    in time however late the capture came, while its session is not over.
    Money for a booking that expired or was cancelled is refunded at once,
    never kept over capacity, and so is money for a hold or offer of a session
    that is over (a terminal status reached ahead of its time), which lapses,
    or, if it had run out by then, is marked EXPIRED: neither a notice of money
    paid in time nor a secured capture confirms a booking into a session that is over.
    Money that comes in after the booking's session entered a status that
    decides no-shows is decided as that status would have
    (:func:`~sessionkit.services._money_no_shows.settle_paid_late`). Call with the
    booking's session locked.
    """
    if payment.status in PAID_STATUSES:
        return payment
    return settle_paid_late(
        ctx, tx, _succeed(ctx, tx, payment, actor, paid_at, capturing), actor=actor
    )


def _succeed(
    ctx: Context,
    tx: Tx,
    payment: Payment,
    actor: str | None,
    paid_at: datetime | None,
    capturing: bool,
) -> Payment:
    """Mark ``payment`` PAID and confirm its booking, or refund it all (see :func:`succeed`)."""
    paid, change = PAYMENT_LIFECYCLE.fire(payment, "succeed", now=tx.now, actor=actor)
    paid = attrs.evolve(paid, due=None, failure=None)
    booking = tx.bookings.get(payment.tenant, payment.booking_id)
    holds = booking.status in (HELD, OFFERED) and not booking.expired_at(tx.now)
    # Locked once: a hold in time of a session in a terminal status lapses (one stored so
    # before lapse_session_bookings ran), and takes no seat; else the session is settled.
    session = tx.bookings.lock_session(booking.tenant, booking.session_id) if holds else None
    ended = session is not None and closed(ctx, session)
    if session is not None and not ended:
        # The session is settled first, as by every write to it (holds that ran out are
        # marked, their seats offered on); this booking, in time, is left as it is.
        settled = settle(ctx, tx, session, actor=None)
        if settled.expired or settled.offered:  # as confirm: read it again once changed
            booking = tx.bookings.get(payment.tenant, payment.booking_id)
        confirmed, booked = BOOKING_LIFECYCLE.fire(booking, "confirm", now=tx.now, actor=actor)
        store_booking_change(tx, booking, confirmed, [booked], actor=actor)
        return store_payment(tx, payment, paid, change, actor=actor)
    secured = capturing or (payment.status == AUTHORIZED and payment.due == "capture")
    kept_for = None if ended else _paid_in_time(ctx, tx, booking, paid_at, secured=secured)
    if kept_for is not None:
        # What else had run out is expired first (its events dated then), as a cancel's:
        # a session's events come in the order things happened. This one is confirmed
        # next, so that settling does not take it for a run-out hold.
        seating = tx.bookings.seating(kept_for.tenant, kept_for.id, at=tx.now)
        ran_out = [b for b in seating.lapsed if b.id != booking.id]
        if ran_out:
            expire_in_order(tx, ran_out)
        confirmed, booked = BOOKING_LIFECYCLE.fire(booking, "confirm", now=tx.now, actor=actor)
        store_booking_change(tx, booking, confirmed, [booked], actor=actor, reason=_IN_TIME)
        settle(ctx, tx, kept_for, actor=None)
        return store_payment(tx, payment, paid, change, actor=actor)
    if booking.status == CONFIRMED:
        return store_payment(tx, payment, paid, change, actor=actor)
    late = "paid after the booking was released"
    store_payment(tx, payment, paid, change, actor=actor, reason=late)
    if ended:  # it lapses now, as it would have when its session ended
        assert session is not None
        lapse_session_bookings(tx, session, actor=actor)
    elif booking.expired_at(tx.now):  # mark it EXPIRED and offer its seats on
        settle_run_out(ctx, tx, tx.bookings.lock_session(booking.tenant, booking.session_id))
    now_paid = tx.payments.get(payment.tenant, payment.id)
    return give_back(tx, now_paid, now_paid.refundable, actor=actor, reason=late)


_IN_TIME = "paid before its hold ran out; the provider's notice came later"


def _paid_in_time(
    ctx: Context, tx: Tx, booking: Booking, paid_at: datetime | None, *, secured: bool
) -> Session | None:
    """The session, locked, if a hold that ran out by now was paid before it did; else ``None``.

    Its expiry not yet processed (still HELD or OFFERED: nothing was offered
    in its place), paid at ``paid_at`` (at most now) before it ran out, or
    ``secured`` by an authorization made while it held, and its seats not
    taken since by the session's other bookings in play. The waitlist had no
    claim on them yet: a seat is offered on only when an expiry is processed.
    Money that comes in for a session that is over (a terminal status: ended
    early, cancelled, before the notice or the capture came), secured or not,
    keeps no booking: the session went on without it, and does not take it in
    now (a capture sessionkit decided is voided instead when the session is
    over first, see ``_payment_calls.perform``; one under way then is refunded).
    """
    if booking.status not in (HELD, OFFERED):
        return None
    if not secured and (paid_at is None or booking.expired_at(min(paid_at, tx.now))):
        return None
    session = tx.bookings.lock_session(booking.tenant, booking.session_id)
    if closed(ctx, session):
        return None
    seating = tx.bookings.seating(booking.tenant, booking.session_id, at=tx.now)
    return session if session.capacity - seating.taken >= booking.seats else None


def fail(
    ctx: Context,
    tx: Tx,
    payment: Payment,
    transition: Literal["fail", "cancel"],
    *,
    actor: str | None,
    reason: str | None,
) -> Payment:
    """The payment will not come in: close it and release its booking's seats.

    Call with the booking's session locked; the freed seats go to the waitlist.
    """
    if payment.status not in OPEN_PAYMENT_STATUSES:
        return payment
    closed, change = PAYMENT_LIFECYCLE.fire(
        payment, transition, now=tx.now, actor=actor, reason=reason
    )
    closed = attrs.evolve(closed, due=None, failure=reason)
    stored = store_payment(tx, payment, closed, change, actor=actor, reason=reason)
    booking = tx.bookings.get(payment.tenant, payment.booking_id)
    if booking.status in (HELD, OFFERED):
        session = tx.bookings.lock_session(booking.tenant, booking.session_id)
        released = RAN_OUT
        if not booking.expired_at(tx.now):
            # What else had run out is expired first (its events dated then), as
            # kit.bookings.cancel does: a session's events come in the order things happened.
            ran_out = tx.bookings.seating(session.tenant, session.id, at=tx.now).lapsed
            if ran_out:
                expire_in_order(tx, ran_out)
            why = "payment failed" if transition == "fail" else "payment cancelled"
            why += f": {reason}" if reason else ""
            cancelled, moved = BOOKING_LIFECYCLE.fire(
                booking, "cancel", now=tx.now, actor=actor, reason=why
            )
            store_booking_change(tx, booking, cancelled, [moved], actor=actor, reason=why)
            released = f"its last booking's {why}"
        settled = settle(ctx, tx, session, actor=actor)
        release_emptied(ctx, tx, session, settled, actor=actor, why=released)
    return stored


def authorized(tx: Tx, payment: Payment, *, actor: str | None) -> Payment:
    """The provider holds the money: capture it while the booking holds, else cancel it."""
    if payment.status != PENDING:
        return payment
    held, change = PAYMENT_LIFECYCLE.fire(payment, "authorize", now=tx.now, actor=actor)
    booking = tx.bookings.get(payment.tenant, payment.booking_id)
    keep = booking.status in (HELD, OFFERED) and not booking.expired_at(tx.now)
    held = attrs.evolve(held, due="capture" if keep else "cancel")
    return store_payment(tx, payment, held, change, actor=actor)


def over_before_capture(ctx: Context, tx: Tx, payment: Payment) -> bool:
    """Whether ``payment``'s due capture is for a hold or offer whose session is over.

    A capture decided while the booking held (:func:`authorized`) is made
    after, by the runner when the provider was down; a session that reached
    a terminal status meanwhile (ended early, completed) went on without the
    booking, so the authorization is released instead (:func:`void_capture`).
    """
    if payment.due != "capture" or payment.status != AUTHORIZED:
        return False
    booking = tx.bookings.get(payment.tenant, payment.booking_id)
    if booking.status not in (HELD, OFFERED):
        return False
    return closed(ctx, tx.sessions.get(payment.tenant, booking.session_id))


def void_capture(ctx: Context, seen: Payment) -> Payment:
    """End the booking of a capture :func:`over_before_capture` found; return its payment.

    In a unit of work of its own (run again after a lost race), the hold or
    offer ends as its session's end ends one: EXPIRED when it ran out (dated
    then), else now. Its payment is CANCELLED with it and the provider's
    intent cancel is due (:func:`~sessionkit.services._money.follow_booking`),
    made once the unit commits; the payment is returned as read after that.
    """
    ctx.retrying(_void_capture, ctx, seen)
    with ctx.transaction() as tx:
        return tx.payments.get(seen.tenant, seen.id)


def _void_capture(ctx: Context, seen: Payment) -> None:
    with ctx.transaction() as tx:
        booking = tx.bookings.get(seen.tenant, seen.booking_id)
        session = tx.bookings.lock_session(seen.tenant, booking.session_id)
        if not over_before_capture(ctx, tx, tx.payments.get(seen.tenant, seen.id)):
            return  # moved on meanwhile: an event or another runner decided it
        if tx.bookings.get(seen.tenant, seen.booking_id).expired_at(tx.now):
            settle_run_out(ctx, tx, session)  # as the expiry job would mark it
        else:  # one stored in time after its session ended lapses, as at the end
            lapse_session_bookings(tx, session, actor=None)
