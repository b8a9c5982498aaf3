"""A session its last booking left: the rules' ``when_emptied`` transition.

Private to the services. The commands that end a booking (a cancel, the
expiry of holds, offers and waitlist places, a payment that failed) call
:func:`release_emptied` after settling the session, in the same unit of work.
"""

from __future__ import annotations

from sessionkit.model.session import Session
from sessionkit.services._context import Context, Tx
from sessionkit.services._seats import Settled
from sessionkit.services._statuses import store_status

__all__ = ["RAN_OUT", "release_emptied"]

RAN_OUT = "its last booking ran out"
"""The reason of a release after a hold, an offer or a waitlist place ran out."""


def release_emptied(
    ctx: Context, tx: Tx, session: Session, settled: Settled, *, actor: str | None, why: str
) -> Session:
    """Fire the rules' ``when_emptied`` transition of ``session`` if no booking is left in play.

    Call with the session locked, right after a booking of it ended and it was
    settled (``settled``: nothing taking seats, nobody waiting). A session
    whose lifecycle cannot fire the transition now (completed, already
    cancelled) is left as it is. Returns the session, stored if it changed.
    """
    name = ctx.rules_for(session).when_emptied
    if name is None or settled.taken or settled.owed:
        return session
    machine = ctx.lifecycle(session.lifecycle)
    if not machine.can(session, name, now=tx.now, actor=actor):
        return session
    changed, change = machine.fire(session, name, now=tx.now, actor=actor, reason=why)
    return store_status(tx, machine, session, changed, [change], actor)
