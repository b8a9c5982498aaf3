"""A session its last booking left: the rules' ``when_emptied`` transition.

Private to the services. The commands that end a booking (a cancel, the
expiry of holds, offers and waitlist places, a payment that failed) call
:func:`release_emptied` after settling the session, in the same unit of work.
"""

from __future__ import annotations

from sessionkit.model.booking import seats_owed
from sessionkit.model.session import Session
from sessionkit.services._context import Context, Tx
from sessionkit.services._seats import Settled, settle
from sessionkit.services._statuses import store_status

__all__ = ["RAN_OUT", "release_emptied", "settle_moved", "settle_resized", "settle_run_out"]

RAN_OUT = "its last booking ran out"
"""The reason of a release after a hold, an offer or a waitlist place ran out."""


def release_emptied(
    ctx: Context,
    tx: Tx,
    session: Session,
    settled: Settled | None,
    *,
    actor: str | None,
    why: str,
) -> Session:
    """Fire the rules' ``when_emptied`` transition of ``session`` if no booking is left in play.

    Call with the session locked, right after a booking of it ended, with the
    session settled (``settled``; ``None`` reads its seats now). Nothing is
    fired while a booking takes seats or waits, nor once the session has
    started (it took place, or is taking place: a write-off of its unpaid
    booking after it is no reason to cancel it), nor where its lifecycle
    cannot fire the transition now (completed, already cancelled). Returns
    the session, stored if it changed.
    """
    name = ctx.rules_for(session).when_emptied
    if name is None or session.start <= tx.now:
        return session
    if settled is None:
        seating = tx.bookings.seating(session.tenant, session.id, at=tx.now)
        settled = Settled(taken=seating.taken, owed=seats_owed(seating.waiting))
    if settled.taken or settled.owed:
        return session
    machine = ctx.lifecycle(session.lifecycle)
    if not machine.can(session, name, now=tx.now, actor=actor):
        return session
    changed, change = machine.fire(session, name, now=tx.now, actor=actor, reason=why)
    return store_status(tx, machine, session, changed, [change], actor)


def settle_run_out(ctx: Context, tx: Tx, session: Session, *, ended: int = 0) -> Settled:
    """Settle ``session`` for what ran out (the expiry job's work); release it if that emptied it.

    Call with the session locked. ``ended``: how many of its bookings that
    ran out the caller marked EXPIRED already in this unit (before a
    request's answer), which may have emptied it too. Returns the settling.
    """
    settled = settle(ctx, tx, session, actor=None)
    if settled.expired or ended:
        release_emptied(ctx, tx, session, settled, actor=None, why=RAN_OUT)
    return settled


def settle_moved(ctx: Context, tx: Tx, session: Session, *, actor: str | None) -> Session:
    """Offer what a move's run-out bookings freed at ``session``'s new time; release it if emptied.

    Call with the session locked, after ``move_session_bookings`` ended
    bookings: it marks a hold or offer that ran out EXPIRED itself, so the
    expiry job finds nothing left to settle, and the seats would stay owed to
    a waitlist nobody offers them to. Returns the session, stored if released.
    """
    settled = settle(ctx, tx, session, actor=actor)
    return release_emptied(ctx, tx, session, settled, actor=actor, why=RAN_OUT)


def settle_resized(ctx: Context, tx: Tx, session: Session, *, actor: str | None) -> Session:
    """Settle ``session`` after its capacity changed; release it if what ran out emptied it.

    Call with the session locked. New seats go to the waitlist, a place the
    capacity can no longer seat ends, and a hold or offer that ran out is marked
    EXPIRED here, so the expiry job finds nothing left to release the session
    for: when that was its last booking in play, it is released now, as the job
    would have. Returns the session, stored if released.
    """
    settled = settle(ctx, tx, session, actor=actor)
    if not settled.expired:  # nothing ended here: an unbooked session is no emptied one
        return session
    return release_emptied(ctx, tx, session, settled, actor=actor, why=RAN_OUT)
