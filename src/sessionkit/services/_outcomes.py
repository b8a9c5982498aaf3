"""Per-participant outcomes of a session: attended or no-show, and what was decided for it.

Private to the services; ``kit.attendance.outcomes`` reads through it, and
``kit.analytics.clients`` through :func:`came_to_no_shows`. The
decision recorded on a payment (:data:`~sessionkit.services._money.NO_SHOW_FIELD`,
written once when the session entered the status that decided it) wins over
what attendance says now, so the app shows what was really done; a read
``as_of`` an instant before it was decided reads attendance instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from datetime import datetime

import attrs

from sessionkit.model.attendance import AttendanceThresholds, derive_attendance
from sessionkit.model.booking import SEAT_STATUSES, Booking
from sessionkit.model.money import Money
from sessionkit.model.payment import Payment
from sessionkit.model.query import MAX_LIMIT, SessionQuery
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies.no_shows import AttendanceOutcome, outcome_of
from sessionkit.services._context import Tx
from sessionkit.services._money import NO_SHOW_FIELD
from sessionkit.services._presence import (
    attendance_records,
    came_among,
    overrides_as_of,
    records_of,
)
from sessionkit.timespan import TimeSpan

__all__ = ["came_to_no_shows", "session_outcomes"]


def _decided(
    outcome: AttendanceOutcome, payment: Payment | None, as_of: datetime | None
) -> AttendanceOutcome:
    """Return ``outcome`` with the no-show decision recorded on ``payment``, if there is one.

    One decided after ``as_of`` had not been taken then: ``outcome`` as it is.
    """
    record = None if payment is None else payment.metadata.get(NO_SHOW_FIELD)
    if payment is None or not isinstance(record, Mapping):
        return outcome
    decided_at = datetime.fromisoformat(record["at"])
    if as_of is not None and decided_at > as_of:
        return outcome
    return attrs.evolve(
        outcome,
        outcome=record["outcome"],
        rule=record["rule"],
        refund=Money.of(record["refund"], payment.currency),
        decided_at=decided_at,
    )


def session_outcomes(
    tx: Tx,
    session: Session,
    *,
    confirmed: list[Booking],
    span: TimeSpan,
    no_show_session: bool,
    expected: set[ResourceRef],
    thresholds: AttendanceThresholds,
    as_of: datetime | None = None,
    now: datetime | None = None,
) -> list[AttendanceOutcome]:
    """Return the outcome of each ``confirmed`` booking and each ``expected`` resource.

    By participant. ``confirmed`` are the bookings confirmed at ``as_of``
    (``None``: now), :class:`~sessionkit.services._attendance_as_of.SessionThen`'s
    ``bookings()``; ``span`` the span the session was held at ``as_of``, its
    ``span()``, which attendance is judged against. A session cancelled at
    ``as_of`` took place for nobody: its caller lists nobody, as
    ``for_session`` expects nobody there.

    ``no_show_session`` says whether the session's status (at ``as_of``) is
    a no-show one. ``as_of`` reads the attendance as it stood then, as
    :func:`~sessionkit.model.attendance.derive_attendance` does, leaving out
    the presence after it and the overrides and the payments' no-show
    decisions taken after it (``None``: at the session's end, all of them):
    with no presence nor override left, the session had no records then, and
    its status alone decides (``outcome_of`` of ``None``); ``now``, the read's
    instant, leaves whoever may still come before the session's end
    ``pending`` with no outcome (``None``: read as over).
    """
    tenant = session.tenant
    presence, stored = attendance_records(tx.uow, session)
    overrides = overrides_as_of(stored, as_of)
    unbooked: tuple[Booking | None, Payment | None] = (None, None)
    people = dict.fromkeys(expected, unbooked)
    payments = tx.payments_or_none()
    paid: dict[str, Payment] = {}
    if payments is not None and confirmed:  # one read for them all, not one per booking
        paid = payments.for_bookings(tenant, [b.id for b in confirmed])
    for one in confirmed:
        people[one.participant] = (one, paid.get(one.id))
    # Records as they stood at ``as_of``: presence after it, as an override decided after it,
    # had not happened, and without any the status alone decides (outcome_of of None).
    recorded = bool(overrides) or any(as_of is None or p.at <= as_of for p in presence)
    found: list[AttendanceOutcome] = []
    for who in sorted(people, key=str):
        booking, payment = people[who]
        seen = None
        if recorded:
            seen = derive_attendance(
                presence,
                span=span,
                session_id=session.id,
                participant=who,
                thresholds=thresholds,
                override=overrides.get(who),
                as_of=as_of,
                now=now,
            )
        said = outcome_of(seen, no_show_session=no_show_session)
        outcome = AttendanceOutcome(
            participant=who,
            booking_id=None if booking is None else booking.id,
            attendance=None if seen is None else seen.effective_status,
            outcome=said,
            payment_id=None if payment is None else payment.id,
        )
        found.append(_decided(outcome, payment, as_of))
    return found


def came_to_no_shows(
    tx: Tx,
    tenant: str,
    *,
    start_from: datetime | None,
    start_to: datetime | None,
    no_show: Collection[tuple[str, str]],
) -> Counter[str]:
    """Return per client (``"kind:id"``) the no-show sessions she was at: the host's no-shows.

    Over the sessions starting in ``[start_from, start_to)`` whose
    ``(lifecycle, status)`` is in ``no_show``, and their seat bookings not run
    out by ``tx.now`` (those ``kit.analytics.clients`` counts). Attendance is
    read as the host-no-show refund and the credits read it
    (:func:`~sessionkit.services._presence.came_to`): a participant it shows
    there counts; a session with no attendance records counts nobody.

    Read a page of sessions at a time, each page's attendance and then the
    seat bookings of its sessions that have any in a few batched reads, so
    the statements grow by a few per page, not by three per session.
    """
    bookings = tx.bookings_or_none()
    came: Counter[str] = Counter()
    statuses = sorted({status for _, status in no_show})
    if bookings is None or not statuses:
        return came
    query = SessionQuery(
        statuses=statuses, start_from=start_from, start_to=start_to, limit=MAX_LIMIT
    )
    while True:
        page = tx.sessions.query(tenant, query)
        # By (lifecycle, status): a status of that name in another lifecycle is none.
        chosen = {s.id: s for s in page.items if (s.lifecycle, s.status) in no_show}
        records = records_of(tx.uow, tenant, chosen) if chosen else {}
        seats = bookings.for_sessions(tenant, records, statuses=SEAT_STATUSES) if records else {}
        for session_id, recorded in records.items():
            who = {b.participant for b in seats.get(session_id, ()) if not b.expired_at(tx.now)}
            there = came_among(chosen[session_id], recorded, who, tx.thresholds)
            came.update(str(p) for p in there or ())
        if page.next_cursor is None:
            return came
        query = attrs.evolve(query, after=page.next_cursor)
