"""Why ``book`` and ``can_book`` refuse a settled session, and when the refusal may lift.

Private to the services package, beside :mod:`~sessionkit.services.booking_making`:
the checks that need the session's bookings read (the participant's own booking,
the ``per_day`` / ``per_week`` limits) and the refusal of a full session. A full
session's :class:`~sessionkit.errors.CapacityExceeded` and a limit's
:class:`~sessionkit.errors.BookingRefused` carry ``may_free_at``: the earliest
instant at which enough holds, offers (for a limit, waitlist places too) run
out unconfirmed for the request to fit, or ``None`` when nothing running out
would do, or when the session's rules or the role's notice refuse booking it by
then anyway. Only a refusal reads what that needs: a booking that fits sends no
statement more. So too for a session an overdue reschedule request moved by
silence (:func:`judged_where_moved`): only a refusal asks about the request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from sessionkit.errors import AlreadyBooked, BookingRefused, CapacityExceeded
from sessionkit.model.booking import ACTIVE_BOOKING_STATUSES, HELD, OFFERED, Booking
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import BookingRules
from sessionkit.services._context import Context, Tx
from sessionkit.services._reschedule_steps import settle_overdue_kept
from sessionkit.services._seats import Settled, may_free_at
from sessionkit.timespan import TimeSpan

__all__ = ["capacity_refusal", "check_participant", "full_refusal", "judged_where_moved"]

_Checked = TypeVar("_Checked")


def judged_where_moved(
    ctx: Context, tx: Tx, session: Session, check: Callable[[Session], _Checked]
) -> tuple[_Checked, Session]:
    """``check`` the locked ``session``; refused, judge it again where silence moved it.

    A reschedule request past its deadline moved the session then, whether or
    not the tick has answered it yet: ``book`` after the old start is not
    ``in_the_past`` (nor short of notice) for a session silence moved to
    tomorrow, as ``cancel`` and ``kit.reschedules.options`` judge it there.
    Only a refusal (``BookingRefused``) asks about the request, so a booking
    that passes keeps its single write; one still refused (no request due, or
    silence let it expire) raises the first refusal, and the answer rolls back
    with the command. Returns what ``check`` returned and the session it judged.
    """
    try:
        return check(session), session
    except BookingRefused:
        moved = settle_overdue_kept(ctx, tx, session)
        if moved is session:  # nothing moved it: refused where it is
            raise
    return check(moved), moved


def check_participant(
    ctx: Context,
    tx: Tx,
    session: Session,
    rules: BookingRules,
    ref: ResourceRef,
    mine: Sequence[Booking],
    acting_role: str,
) -> None:
    """Refuse ``ref`` booking the locked session: booked already (in ``mine``), or at a limit."""
    for booking in mine:
        if booking.participant == ref:
            raise AlreadyBooked(
                session_id=session.id,
                participant=str(ref),
                booking_id=booking.id,
                status=booking.status,
            )
    limits = rules.participant_limits
    for n, (rule, limit, window) in enumerate(limits):
        tx.bookings.lock_participant(session.tenant, ref)  # both limits: one lock suffices
        span = window(session.start)
        counted = _counted(tx, session, ref, span)
        count = len(counted)
        if count >= limit:
            # The place must free under every limit: the later ones read for the refusal only.
            later = [
                (_counted(tx, session, ref, w(session.start)), m) for _, m, w in limits[n + 1 :]
            ]
            freed = _place_frees_at([(counted, limit), *later])
            raise BookingRefused.participant_limit(
                rule,
                participant=str(ref),
                count=count,
                limit=limit,
                start=span.start,
                end=span.end,
                may_free_at=_bookable_then(ctx, session, rules, acting_role, freed),
            )


def capacity_refusal(
    ctx: Context,
    tx: Tx,
    session: Session,
    rules: BookingRules,
    acting_role: str,
    settled: Settled,
    seats: int,
) -> CapacityExceeded:
    """The refusal of ``seats`` the settled session lacks, as ``book`` and ``can_book`` say it.

    The refusal rolls this settling's offers back: their seats are still owed to the
    waitlist, not taken, though they may free as those offers would (``may_free_at``).
    """
    # For a refusal only: the one read of the holds and offers, which a booking that
    # fits never makes. This settling's offers count as the offers they are, running
    # out ``offer_for`` from now: the refusal rolls them back to the waitlist (``waiting``
    # counts their seats as owed), and the next write makes them again, no earlier than
    # now, so their seats may free then at the earliest, as when a job had made them now.
    holding = tx.bookings.for_session(session.tenant, session.id, statuses=(HELD, OFFERED))
    running = [
        (b.hold_expires_at, b.seats)
        for b in holding
        if b.hold_expires_at is not None and b.takes_seats(tx.now)
    ]
    return full_refusal(
        ctx,
        session,
        rules,
        acting_role,
        taken=settled.taken - settled.offered_seats,
        waiting=settled.owed + settled.offered_seats,
        seats=seats,
        running=running,
    )


def full_refusal(
    ctx: Context,
    session: Session,
    rules: BookingRules,
    acting_role: str,
    *,
    taken: int,
    waiting: int,
    seats: int,
    running: Sequence[tuple[datetime, int]],
) -> CapacityExceeded:
    """``seats`` refused in the locked session: ``taken`` and ``waiting`` leave too few.

    ``running``: the holds and offers taking seats now, each one's end and
    seats, which say when the seats the request lacks may free (``may_free_at``).
    """
    short = seats - (session.capacity - taken - waiting)
    return CapacityExceeded(
        session_id=session.id,
        capacity=session.capacity,
        taken=taken,
        asked=seats,
        waiting=waiting,
        may_free_at=_bookable_then(ctx, session, rules, acting_role, may_free_at(running, short)),
    )


def _bookable_then(
    ctx: Context, session: Session, rules: BookingRules, acting_role: str, at: datetime | None
) -> datetime | None:
    """``at``, unless the session's rules or the role's notice refuse booking it by then.

    Those refusals (its start, ``min_notice``, a notice) never lift as time passes.
    """
    if at is None or rules.refusal(session, at) is not None:
        return None
    if ctx.notice.notice_refusal("book", acting_role, session, at) is not None:
        return None
    return at


def _counted(tx: Tx, session: Session, ref: ResourceRef, span: TimeSpan) -> list[Booking]:
    """``ref``'s bookings and waitlist places counted against a limit over ``span`` now."""
    mine = tx.bookings.for_participant(
        session.tenant, ref, window=span, statuses=ACTIVE_BOOKING_STATUSES
    )
    return [b for b in mine if b.counts_toward_limits(tx.now)]


def _place_frees_at(limits: Sequence[tuple[Sequence[Booking], int]]) -> datetime | None:
    """When every limit of ``(counted, limit)`` may leave a place; ``None`` if one never does.

    A counted hold, offer or waitlist place runs out by itself, unless confirmed: each
    limit's instant is when enough of its own do, and the place is free at the latest.
    """
    latest: datetime | None = None
    for counted, limit in limits:
        if len(counted) < limit:
            continue
        running = [(b.runs_out_at, 1) for b in counted if b.runs_out_at is not None]
        at = may_free_at(running, len(counted) - limit + 1)
        if at is None:
            return None
        latest = at if latest is None else max(latest, at)
    return latest
