"""What ``bookable`` lists: the starts a role may book, the rules' and the participant's say.

Private to the services package:
:meth:`BookingReads.bookable <sessionkit.services.booking_queries.BookingReads.bookable>`
narrows its window with :func:`open_starts`, asks the store for the sessions
with seats free in it (among the statuses of :func:`open_statuses`), keeps
those their booking rules allow (:func:`allowed`) and, given a participant,
those ``book`` would not refuse them (:func:`open_to`), each as ``book``
judges it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sessionkit.model.booking import ACTIVE_BOOKING_STATUSES, WAITLISTED, BookableSession
from sessionkit.model.session import ResourceRef
from sessionkit.policies.booking import BookingRules
from sessionkit.services._context import Context, Tx
from sessionkit.timespan import TimeSpan

__all__ = ["allowed", "open_starts", "open_statuses", "open_to"]


def open_statuses(ctx: Context) -> list[tuple[str, str]]:
    """The ``(lifecycle, status)`` pairs the kit knows, less the terminal ones.

    As ``book`` judges them: it refuses a session of a lifecycle or status
    renamed or removed since it was stored, and one that ended (a busy
    terminal status ends a session ahead of its time).
    """
    lifecycles = ctx.lifecycles
    return [
        (name, status.name)
        for name in lifecycles
        for status in lifecycles.get(name).statuses
        if not status.terminal
    ]


def allowed(
    ctx: Context, tx: Tx, tenant: str, fixed: BookingRules | None, page: list[BookableSession]
) -> list[tuple[BookableSession, BookingRules]]:
    """Return the listed sessions whose booking rules refuse none at ``tx.now``, with them.

    One set of rules for every session judged the times already (the
    window was narrowed to them); only ``max_capacity`` is left. Rules
    picked per session need the sessions, read in one call per page.
    """
    if fixed is not None:
        most = fixed.max_capacity
        return [(b, fixed) for b in page if most is None or b.capacity <= most]
    if not page:
        return []
    sessions = {s.id: s for s in tx.sessions.get_many(tenant, [b.session_id for b in page])}
    judged: list[tuple[BookableSession, BookingRules]] = []
    for listed in page:
        session = sessions.get(listed.session_id)
        if session is None:
            continue
        rules = ctx.rules_for(session)
        if rules.refusal(session, tx.now) is None:
            judged.append((listed, rules))
    return judged


def open_to(
    tx: Tx,
    tenant: str,
    who: ResourceRef,
    judged: list[tuple[BookableSession, BookingRules]],
) -> list[BookableSession]:
    """Return the judged sessions ``book`` would not refuse ``who`` for being in or at a limit.

    One read of ``who``'s bookings in play over every window a listed
    session's ``per_day`` or ``per_week`` looks at; counted as ``book``
    counts them (a hold or offer still running, a waitlist place still
    waiting).
    """
    if not judged:
        return []
    now = tx.now
    limits = {
        listed.session_id: [
            (limit, window(listed.start)) for _rule, limit, window in rules.participant_limits
        ]
        for listed, rules in judged
    }
    spans = [span for each in limits.values() for _limit, span in each]
    lo = min([judged[0][0].start, *(span.start for span in spans)])
    hi = max([judged[-1][0].start + _INSTANT, *(span.end for span in spans)])
    theirs = tx.bookings.for_participant(
        tenant, who, window=TimeSpan(lo, hi), statuses=ACTIVE_BOOKING_STATUSES
    )
    capacity = {listed.session_id: listed.capacity for listed, _rules in judged}
    # A waitlist place asking for more seats than its listed session has (a capacity the
    # host's own admin lowered) is ended by ``book``'s settling of that session, before
    # it looks for the participant there or counts their limits: judged there, it is gone.
    unmet = {
        b.id
        for b in theirs
        if b.status == WAITLISTED and b.seats > capacity.get(b.session_id, b.seats)
    }
    inside = {b.session_id for b in theirs if not b.expired_at(now) and b.id not in unmet}
    counted = [(b.session_start, b) for b in theirs if b.counts_toward_limits(now)]
    return [
        listed
        for listed, _rules in judged
        if listed.session_id not in inside
        and not any(
            sum(
                1
                for start, b in counted
                if span.start <= start < span.end
                and not (b.id in unmet and b.session_id == listed.session_id)
            )
            >= limit
            for limit, span in limits[listed.session_id]
        )
    ]


def open_starts(
    ctx: Context,
    fixed: BookingRules | None,
    role: str,
    begin: datetime,
    finish: datetime,
    now: datetime,
) -> tuple[datetime, datetime]:
    """Narrow ``[begin, finish)`` to the starts ``role`` may book at ``now``.

    The notice policy's lead for booking, and with one set of rules for every
    session, its ``min_notice`` and ``max_horizon`` (a start exactly that far
    ahead is allowed, as ``check_booking_time`` has it).
    """
    lead = ctx.notice.lead_for("book", role)
    if fixed is not None:
        lead = max(lead, fixed.min_notice)
        if fixed.max_horizon is not None:
            finish = min(finish, now + fixed.max_horizon + _INSTANT)
    return max(begin, now + lead), finish


_INSTANT = timedelta(microseconds=1)
"""The finest step of an instant: a window's end past the last allowed start."""
