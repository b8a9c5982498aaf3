"""No-show refunds inside one command: deciding them when a session's status calls for them.

Private to the services, beside :mod:`sessionkit.services._money`, whose
payment changes (``give_back``, ``store_payment``) and share of the amount
(``paid_part``) it uses. Each decision is recorded on the payment
(:data:`~sessionkit.services._money.NO_SHOW_FIELD`) in the same unit of work.
"""

from __future__ import annotations

import attrs

from sessionkit.lifecycle import Lifecycle, Status
from sessionkit.model.booking import CONFIRMED, Booking
from sessionkit.model.payment import PAID, PARTIALLY_REFUNDED, Payment
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies.no_shows import ATTENDED, NO_SHOW, Outcome, outcome_of, refund_for
from sessionkit.services._context import Context, Tx
from sessionkit.services._money import NO_SHOW_FIELD, give_back, paid_part, store_payment
from sessionkit.services._presence import came_to, session_attendance

__all__ = ["settle_no_shows", "settle_paid_late"]


def _held(status: Status) -> bool:
    """Whether entering ``status`` means the session took place (COMPLETED, FINISHED)."""
    return status.terminal and not status.cancelled and not status.no_show


def settle_no_shows(
    tx: Tx, machine: Lifecycle, before: Session, after: Session, *, actor: str | None
) -> int:
    """Decide the no-show refunds ``after``'s new status calls for; return how many were decided.

    Entering a no-show status (``Status(no_show=True)``) decides every
    confirmed, paid booking; entering a held status (terminal, neither
    cancelled nor no-show: COMPLETED) decides those of participants the
    attendance shows absent, when the session has attendance records. Each
    participant's outcome and refund come from
    :mod:`sessionkit.policies.no_shows` and the kit's refund policy.

    Each decision is recorded on the payment (its own field ``no_show``:
    outcome, rule, refund, status, instant) in this unit of work, and a
    payment that carries one is never decided again: a status corrected back
    and forth (``kit.usage.correct``), a replayed or retried command, refunds
    nothing twice.
    """
    status, was = machine.status(after.status), machine.status(before.status)
    no_show = status.no_show and not was.no_show
    if not no_show and not (_held(status) and not _held(was)):
        return 0
    payments, bookings = tx.payments_or_none(), tx.bookings_or_none()
    if payments is None or bookings is None:
        return 0
    paid: list[tuple[Booking, Payment]] = []
    for booking in bookings.for_session(after.tenant, after.id, statuses={CONFIRMED}):
        payment = payments.for_booking(booking.tenant, booking.id)
        if payment is None or payment.status not in (PAID, PARTIALLY_REFUNDED):
            continue
        if NO_SHOW_FIELD not in payment.metadata:
            paid.append((booking, payment))
    return _decide_no_shows(tx, after, paid, no_show=no_show, actor=actor)


def settle_paid_late(ctx: Context, tx: Tx, payment: Payment, *, actor: str | None) -> Payment:
    """Decide the no-show refund of ``payment``, paid after its session's status called for one.

    A status decides the payments paid when it is entered (see
    :func:`settle_no_shows`); money that comes in later (an invoice marked
    paid after the session, for a booking confirmed unpaid) is
    decided as it would have been then, once: a no-show that pays afterwards
    gets the same share back as one who paid before. A payment that carries a
    decision already, of a booking that is not confirmed, or of a session in
    no status that decides no-shows, is returned as it is.
    """
    if payment.status not in (PAID, PARTIALLY_REFUNDED) or NO_SHOW_FIELD in payment.metadata:
        return payment
    booking = tx.bookings.get(payment.tenant, payment.booking_id)
    if booking.status != CONFIRMED:
        return payment
    session = tx.sessions.get(payment.tenant, booking.session_id)
    status = ctx.lifecycle(session.lifecycle).status(session.status)
    if not status.no_show and not _held(status):
        return payment
    _decide_no_shows(tx, session, [(booking, payment)], no_show=status.no_show, actor=actor)
    return tx.payments.get(payment.tenant, payment.id)


def _decide_no_shows(
    tx: Tx,
    session: Session,
    paid: list[tuple[Booking, Payment]],
    *,
    no_show: bool,
    actor: str | None,
) -> int:
    """Decide and record the no-show refunds of ``paid`` in ``session``; return how many.

    ``no_show``: the session is in a no-show status (else it was held).
    """
    if not paid:
        return 0
    participants = {b.participant for b, _ in paid}
    outcomes: dict[ResourceRef, Outcome | None]
    if no_show:  # who came was let down by the host; everyone else (no records: all) no-showed
        came = came_to(tx, session, participants) or frozenset()
        outcomes = {p: ATTENDED if p in came else NO_SHOW for p in participants}
    else:
        attendance = session_attendance(tx.uow, session, participants, tx.thresholds)
        if attendance is None:
            return 0  # held, and nothing recorded of who came: nobody is judged
        outcomes = {p: outcome_of(seen, no_show_session=False) for p, seen in attendance.items()}
    decided = 0
    for booking, payment in paid:
        outcome = outcomes[booking.participant]
        part = paid_part(payment)  # seats given back had their share
        decision = refund_for(tx.refunds, outcome, no_show_session=no_show, paid=part)
        if decision is None:
            continue  # attended a held session: untouched
        refund = min(decision.refund, payment.refundable)
        record = {
            "outcome": outcome,
            "rule": decision.rule,
            "refund": str(refund.amount),
            "status": session.status,
            "at": tx.now.isoformat(),
        }
        marked = attrs.evolve(payment, metadata={**payment.metadata, NO_SHOW_FIELD: record})
        reason = f"{decision.rule}: {session.status}"
        if refund.is_positive:
            give_back(tx, marked, refund, actor=actor, reason=reason)
        else:
            store_payment(tx, payment, marked, None, actor=actor, reason=reason)
        decided += 1
    return decided
