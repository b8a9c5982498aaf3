"""The :func:`bookings` strategy: one stored booking of a given session, as the commands leave it.

Private: import it from :mod:`sessionkit.testing.strategies`. Which booking
statuses a session's status leaves (:func:`_left_in`) follows what the
session commands do to its bookings (cancelled, lapsed, left to the job).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from hypothesis import strategies as st

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.lifecycle import Lifecycle, Status
from sessionkit.model.booking import (
    BOOKING_STATUSES,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HELD,
    OFFERED,
    WAITLISTED,
    Booking,
    participant_ref,
)
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.text import MAX_ID_LENGTH
from sessionkit.testing import _strategy_args as _args
from sessionkit.zones import check_aware

__all__ = [
    "bookings",
]


def _drawn_booking(
    draw: st.DrawFn,
    session: Session,
    at: datetime,
    status: str,
    *,
    booking_id: str,
    participant: ResourceRef,
    roles: Sequence[str],
    ended: bool = False,
) -> Booking:
    """A booking of ``session`` made before ``at`` (and before the start), in ``status``.

    ``ended``: the session is in a terminal status that is no cancellation,
    which lapsed the holds, offers and waitlist places still waiting (EXPIRED,
    a waitlist place before the start too); one stored HELD or OFFERED had
    run out by then, and waits for the expiry job.
    """
    latest = min(at, session.start) - timedelta(minutes=1)
    room = int((latest - session.created_at).total_seconds() // 60)
    made = latest - timedelta(minutes=draw(st.integers(0, min(room, 30 * 24 * 60))))
    expires = None
    position = None
    # What an EXPIRED booking was: a hold or an offer that ran out, or a waitlist place its
    # session's start ended (only once the session started). Each keeps what it had.
    was = status
    if status == EXPIRED:
        lapsed = session.start <= at or ended
        was = draw(st.sampled_from([HELD, OFFERED] + ([WAITLISTED] if lapsed else [])))
    if was in (HELD, OFFERED):
        # A hold or offer of 1 minute to 2 hours, ending by the session's start at the latest:
        # live at ``at``, or run out (no job ran yet).
        expires = min(made + timedelta(minutes=draw(st.integers(1, 120))), session.start)
        if (status == EXPIRED or ended) and expires > at:  # it ran out by ``at``
            expires = at
    if was in (WAITLISTED, OFFERED) or (status == CANCELLED and draw(st.booleans())):
        position = 1  # renumbered in creation order by the caller
    return Booking(
        id=booking_id,
        tenant=session.tenant,
        session_id=session.id,
        participant=participant,
        role=draw(st.sampled_from(list(roles))),
        seats=draw(st.integers(1, min(3, session.capacity))),
        status=status,
        hold_expires_at=expires,
        session_start=session.start,
        session_end=session.end,
        position=position,
        created_at=made,
        created_by=draw(st.sampled_from([None, str(participant)])),
    )


def bookings(
    session: Session,
    *,
    at: datetime | None = None,
    statuses: Sequence[str] = tuple(sorted(BOOKING_STATUSES)),
    roles: Sequence[str] = ("student", "client", "attendee"),
    lifecycle: Lifecycle | str | None = None,
    participants: Sequence[ResourceRef | str] | None = None,
) -> st.SearchStrategy[Booking]:
    """A :class:`~sessionkit.model.booking.Booking` of ``session``, as it is stored at ``at``.

    ``at`` defaults to a minute before the session starts. The booking was made
    before both, in a status from ``statuses`` with the fields that status
    carries: a hold or offer has its expiry, no later than the session's
    start, live at ``at`` or run out (a booking whose expiry job has not run
    yet); an ``EXPIRED`` one was a hold
    or an offer and keeps the instant it ran out, or, once the session has
    started at ``at``, a waitlist place its start ended (no expiry); waitlisted
    and offered bookings (and those that were) have a waitlist ``position``.
    Options that leave nothing to draw raise ``InvalidValue``, options of the
    wrong type ``WrongType``. Seats are 1..3, never above the capacity. For
    several bookings of one session that fit its capacity together, draw
    :func:`~sessionkit.testing.strategies.booked_sessions`.

    Only statuses the commands leave in the session's status are drawn: in a
    cancelled one (``CANCELLED`` of the presets) its bookings were cancelled
    with it (or had run out: ``EXPIRED``), and in another terminal one
    (finished, completed) only confirmed bookings stay in play: its holds,
    offers and waitlist places ended with it (``EXPIRED``), but one that had
    run out by then is stored as it was until the expiry job runs (a hold or
    offer past its expiry at ``at``, a waitlist place once the session has
    started at ``at``). ``lifecycle`` is the session's: a ``Lifecycle``, a
    preset's name (``"lms"``, as the kit takes one; ``UnknownLifecycle`` for
    an unknown name), or ``None`` for the preset the session names
    (``UnknownLifecycle`` for a lifecycle of yours not given); ``statuses``
    leaving none of those is ``InvalidValue``, as is a session in a status
    no status taking bookings leads to (the academy's UNSCHEDULED, which no
    stored session has): it has no bookings.

    The participant is drawn from ``participants`` (``ResourceRef`` values or
    ``"kind:id"`` text, as ``kit.bookings.book`` takes them; by default
    ``student:p1`` to ``student:p50``): one participant's bookings of several
    sessions, for a per-day or per-week rule, are ``participants=["student:ana"]``.
    Its id is the session's with ``-b<n>`` after it (``s3-b17``), so bookings
    of sessions of different ids are stored together.
    """
    if not isinstance(session, Session):
        raise WrongType(session, name="bookings(session)", expected="a Session")
    machine = _args.machine_of(session, lifecycle, where="bookings", field="bookings(lifecycle)")
    role_pool = _args.roles(roles, strategy="bookings")
    people = _PARTICIPANTS if participants is None else _participants(participants)
    when = session.start - timedelta(minutes=1) if at is None else check_aware(at, "bookings(at)")
    status = machine.status(session.status)
    ended = status.terminal and not status.cancelled
    left = _left_in(machine, status, started=session.start <= when)
    if min(when, session.start) - timedelta(minutes=1) < session.created_at:
        raise InvalidValue(
            f"bookings(at={when.isoformat()}): session {shown(session.id)} was created at"
            f" {session.created_at.isoformat()}, too late for a booking made before then",
            value=when,
            expected="an instant at least a minute after the session was created",
        )
    if isinstance(statuses, (set, frozenset)):  # drawn in sorted order: a set replays too
        statuses = sorted(statuses, key=str)
    chosen = _args.names(statuses, "statuses", strategy="bookings")
    if not all(isinstance(status, str) and status in BOOKING_STATUSES for status in chosen):
        raise InvalidValue(
            f"bookings(statuses={shown(chosen)}): a stored booking's status is one of"
            f" {sorted(BOOKING_STATUSES)}",
            value=chosen,
            expected=f"one or more of {sorted(BOOKING_STATUSES)}",
        )
    if not left:
        raise InvalidValue(
            f"bookings(session): session {shown(session.id)} is {session.status}, which no"
            f" status of lifecycle {shown(machine.name)} taking bookings leads to, so it has"
            " none (draw sessions(taking_bookings=True) for sessions whose bookings are in play)",
            value=session.status,
            expected="a session in a status a status taking bookings (busy, not terminal) leads to",
        )
    drawable = sorted(set(chosen) & left)
    if not drawable:
        raise InvalidValue(
            f"bookings(statuses={shown(chosen)}): session {shown(session.id)} is"
            f" {session.status}, where the commands leave only {sorted(left)} bookings (draw"
            " sessions(taking_bookings=True) for sessions whose bookings are in play)",
            value=chosen,
            expected=f"one or more of {sorted(left)}",
        )
    return _drawn_bookings(session, when, st.sampled_from(drawable), role_pool, people, ended)


_PARTICIPANTS = st.builds(lambda n: ResourceRef("student", f"p{n}"), st.integers(1, 50))
"""The participants :func:`bookings` draws by default."""


def _participants(values: object) -> st.SearchStrategy[ResourceRef]:
    """The ``participants`` of :func:`bookings` to draw from, each a reference the kit takes."""
    chosen = _args.names(values, "participants", strategy="bookings")
    with _args.naming("participants", values, strategy="bookings"):
        return st.sampled_from([participant_ref(one) for one in chosen])


def _left_in(machine: Lifecycle, status: Status, *, started: bool) -> frozenset[str]:
    """The booking statuses the commands leave in a session in ``status`` of ``machine``.

    None in a status no status taking bookings (busy, not terminal) leads to:
    the academy's UNSCHEDULED, which only a session not yet stored has.
    A cancelled status cancelled the bookings in play (what had run out is
    EXPIRED). Another terminal one lapsed the holds, offers and waitlist
    places still waiting (EXPIRED); what had run out then is left to the
    expiry job, stored as it was: a hold or offer past its expiry, and a
    waitlist place once the session ``started`` (at the instant drawn).
    """
    taking = [one.name for one in machine.statuses if one.busy and not one.terminal]
    if not any(status.name in machine.reachable_from(one) for one in taking):
        return frozenset()
    if status.cancelled:
        return frozenset({CANCELLED, EXPIRED})
    if status.terminal:
        ran_out = {HELD, OFFERED} | ({WAITLISTED} if started else set())
        return frozenset({CONFIRMED, CANCELLED, EXPIRED} | ran_out)
    return BOOKING_STATUSES


def _booking_id(session_id: str, n: int) -> str:
    """The id of drawn booking ``n`` of ``session_id``: the session's id, ``-b<n>`` after it.

    Bookings of different sessions, drawn apart, then never share an id, so one
    participant's bookings of several sessions (a per-day rule's) and several
    ``booked_sessions()`` are stored together; a bare ``b<n>`` made ``b1`` in a
    third of such draws, a ``DuplicateBooking``. A session id too long for that
    keeps a digest of it.
    """
    whole = f"{session_id}-b{n}"
    if len(whole) <= MAX_ID_LENGTH:
        return whole
    digest = hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{digest}-b{n}"


@st.composite  # module-level, as _drawn_sessions is
def _drawn_bookings(
    draw: st.DrawFn,
    session: Session,
    when: datetime,
    statuses: st.SearchStrategy[str],
    roles: list[str],
    participants: st.SearchStrategy[ResourceRef],
    ended: bool = False,
) -> Booking:
    return _drawn_booking(
        draw,
        session,
        when,
        draw(statuses),
        booking_id=_booking_id(session.id, draw(st.integers(1, 10**6))),
        participant=draw(participants),
        roles=roles,
        ended=ended,
    )
