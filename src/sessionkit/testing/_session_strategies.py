"""The session and booking strategies of :mod:`sessionkit.testing.strategies`.

Private: import them from :mod:`sessionkit.testing.strategies`, which
re-exports every public name. :func:`booked_sessions` replays what the
booking commands do (:mod:`sessionkit.testing._booking_replay`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

import attrs
from hypothesis import strategies as st

from sessionkit.errors import InvalidValue, SessionKitError, WrongType
from sessionkit.errors._base import shown
from sessionkit.lifecycle import PRESETS, Lifecycle, Status
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
    seats_owed,
    seats_taken,
)
from sessionkit.model.session import MAX_CAPACITY, ResourceRef, Session
from sessionkit.model.text import check_tenant
from sessionkit.recurrence._clock import year_transitions
from sessionkit.testing import _strategy_args as _args
from sessionkit.testing._booking_replay import Replay, Request
from sessionkit.testing._value_strategies import (
    DST_ZONES,
    LAST,
    aware_datetimes,
    leap_day,
    minutes,
)
from sessionkit.timespan import TimeSpan
from sessionkit.zones import EARLIEST, LATEST, check_aware, get_zone

__all__ = [
    "BookedSession",
    "booked_sessions",
    "bookings",
    "sessions",
]

_TITLES = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=60)
_SESSION_MIN = datetime(2026, 1, 1)
_SESSION_MAX = datetime(2028, 12, 31)
"""The default start bounds of :func:`sessions`: 2028 holds a leap day."""


_FIRST_START = datetime(1, 1, 1) + timedelta(days=91)
_LAST_START = LAST - timedelta(hours=5)
"""The starts :func:`sessions` draws between: room for ``created_at`` and the session's end.

A start is also read in its zone (the ``occurrence_key`` of a generated
session): the zone furthest ahead of UTC in a pool takes that much room more
(:func:`_last_start`).
"""


def _last_start(zone_pool: Sequence[str]) -> tuple[datetime, str, timedelta]:
    """Return the last start drawn in ``zone_pool``, the zone furthest ahead of UTC and its offset.

    The offset is the zone's in the last year a datetime holds (the larger
    one, in DST or not): a session starting at the bound, read in that zone,
    still ends before the last datetime.
    """
    ahead, zone = max((_ahead(name), name) for name in zone_pool)
    return _LAST_START - ahead, zone, ahead


def _ahead(zone: str) -> timedelta:
    """Return how far ``zone`` is ahead of UTC in the year 9999, summer or winter (0 if behind)."""
    offsets = [get_zone(zone).utcoffset(datetime(9999, month, 1)) for month in (1, 7)]
    return max([timedelta(0)] + [offset for offset in offsets if offset is not None])


def _start_bound(value: object, name: str, zone_pool: Sequence[str]) -> datetime:
    """Return a start bound as naive UTC (an aware one converted), within what can be drawn."""
    naive = _args.naive_utc(value, name, strategy="sessions")
    last, zone, ahead = _last_start(zone_pool)
    if not _FIRST_START <= naive <= last:
        raise InvalidValue(
            f"sessions({name}={value}): a session made up to 90 days before it, or ending up"
            f" to 4 hours after it and read in {zone} (UTC+{ahead}), would lie outside the"
            " instants a datetime holds",
            value=value,
            expected=f"{_FIRST_START} to {last} (UTC), for zones in {list(zone_pool)}",
        )
    return naive


def sessions(
    *,
    tenant: str = "acme",
    lifecycles: Sequence[Lifecycle | str] | None = None,
    taking_bookings: bool = False,
    zones: Sequence[str | tzinfo] = DST_ZONES,
    min_start: datetime = _SESSION_MIN,
    max_start: datetime = _SESSION_MAX,
    max_capacity: int = 20,
    resource_kinds: Sequence[str] = ("teacher", "room"),
    min_capacity: int = 1,
    generated: bool | None = None,
) -> st.SearchStrategy[Session]:
    """Valid :class:`~sessionkit.model.Session` values, as a store holds them.

    Of a lifecycle from ``lifecycles`` (``Lifecycle`` values or preset names;
    default: every preset whose subject is ``"session"``; a lifecycle of
    another subject, such as ``consulting_payment``, is refused with
    ``LifecycleNotApplicable``), in one of its statuses, ``busy`` as that
    status says; with ``taking_bookings``, only statuses that are busy and
    not terminal (a session the booking commands accept, if it has not
    started), of the lifecycles that have one. Starts on whole minutes
    (one draw in four within 6 hours of a DST change of its zone, and one in
    eight on a Feb 29 in its zone, when the bounds hold one) between the UTC
    bounds (by default 2026-01-01 and 2028-12-31; naive, or aware and read
    as the instants they are; a bound near the last datetime must leave
    room for the end, read in the zone of ``zones`` furthest ahead of
    UTC), 15 minutes to 4 hours
    long, a zone from ``zones`` (drawn as its name, a ``ZoneInfo`` given
    too), capacity ``min_capacity``..``max_capacity`` (by default 1..20; the
    least often: one-to-one), up to three
    resources of ``resource_kinds`` (``t1``, ``r2``...), any storable title
    (empty included). Loose sessions
    (``is_extra``) and sessions generated from series ``"series-1"`` (its
    id and occurrence key set), or only one kind (``generated=False`` /
    ``True``): a store keeps a generated session only once its series is
    stored. Options that leave nothing to draw raise ``InvalidValue`` naming
    the option, and options of the wrong type ``WrongType``.
    """
    with _args.naming("tenant", tenant, strategy="sessions"):
        check_tenant(tenant)
    pool = _args.lifecycle_pool(lifecycles)
    _args.flag(taking_bookings, "taking_bookings", strategy="sessions")
    zone_pool = _args.zone_names(zones, "zones", strategy="sessions")
    min_start = _start_bound(min_start, "min_start", zone_pool)
    max_start = _start_bound(max_start, "max_start", zone_pool)
    kinds = _args.names(
        resource_kinds, "resource_kinds", strategy="sessions", what="kinds", empty=True
    )
    with _args.naming("resource_kinds", resource_kinds, strategy="sessions"):
        for kind in kinds:
            ResourceRef(kind, "x1")  # a kind a reference can have, else InvalidValue naming it
    _args.not_after(min_start, max_start, strategy="sessions")
    min_start, max_start = _args.whole(min_start, max_start, strategy="sessions", unit="minute")
    max_capacity = _args.count(
        max_capacity, "max_capacity", strategy="sessions", least=1, most=MAX_CAPACITY
    )
    min_capacity = _args.count(
        min_capacity, "min_capacity", strategy="sessions", least=1, most=max_capacity
    )
    _args.flag(generated, "generated", strategy="sessions", optional=True)
    choices = [
        (lifecycle, status)
        for lifecycle in pool
        for status in lifecycle.statuses
        if not taking_bookings or (status.busy and not status.terminal)
    ]
    if not choices:
        names = [lifecycle.name for lifecycle in pool]
        raise InvalidValue(
            f"sessions(taking_bookings=True): no lifecycle of {names} has a busy status that"
            " is not terminal",
            value=names,
            expected="a lifecycle whose sessions can take bookings",
        )
    minutes = int((max_start - min_start).total_seconds() // 60)
    kinds_drawn = st.sampled_from(kinds) if kinds else None
    return _drawn_sessions(
        choices,
        zone_pool,
        min_start,
        minutes,
        kinds_drawn,
        generated,
        tenant,
        max_capacity,
        min_capacity=min_capacity,
    )


# Module-level, not a closure of sessions(): st.composite reads its function's source when it
# decorates it, some 13 ms, which booked_sessions(), calling sessions() for every example, paid
# each time (and Hypothesis's too_slow health check failed on a loaded machine).
@st.composite
def _drawn_sessions(
    draw: st.DrawFn,
    choices: list[tuple[Lifecycle, Status]],
    zone_pool: list[str],
    min_start: datetime,
    minutes: int,
    kinds: st.SearchStrategy[str] | None,
    generated: bool | None,
    tenant: str,
    max_capacity: int,
    min_capacity: int = 1,
) -> Session:
    lifecycle, status = draw(st.sampled_from(choices))
    zone = draw(st.sampled_from(zone_pool))
    start = min_start.replace(tzinfo=UTC) + timedelta(
        minutes=_drawn_minute(draw, zone, min_start, minutes)
    )
    span = TimeSpan(start, start + timedelta(minutes=draw(st.integers(15, 240))))
    resources: list[ResourceRef] = []
    if kinds is not None:
        refs = st.builds(
            lambda kind, n: ResourceRef(kind, f"{kind[0]}{n}"), kinds, st.integers(1, 5)
        )
        resources = draw(st.lists(refs, max_size=3))
    from_series = draw(st.booleans()) if generated is None else generated
    local = span.start.astimezone(get_zone(zone)).replace(tzinfo=None)
    return Session(
        id=f"s{draw(st.integers(1, 10**6))}",
        tenant=tenant,
        title=draw(_TITLES),
        span=span,
        tz=zone,
        status=status.name,
        lifecycle=lifecycle.name,
        busy=status.busy,
        created_at=span.start - timedelta(days=draw(st.integers(1, 90))),
        created_by=draw(st.sampled_from([None, "admin", "teacher:t1"])),
        resources=tuple(resources),
        series_id="series-1" if from_series else None,
        occurrence_key=local if from_series else None,
        is_extra=not from_series,
        capacity=draw(st.just(min_capacity) | st.integers(min_capacity, max_capacity)),
    )


_NEAR = 6 * 60
"""How far from a DST transition (minutes, either way) a start drawn near one lies."""


def _drawn_minute(draw: st.DrawFn, zone: str, low: datetime, minutes: int) -> int:
    """Draw a start as whole minutes after naive UTC ``low``, at most ``minutes`` after it.

    One draw in four picks a UTC year of the bounds and, if ``zone`` changes its
    offset in it within them, starts within :data:`_NEAR` minutes of such a
    change: uniform draws land near one about once in 700 (a zone changes
    twice a year), and a session across a change is where local days are
    23 or 25 hours long. One in eight starts on a Feb 29 in ``zone`` that
    the bounds hold (uniform draws: once in 1,461 days), where a rule about
    dates breaks. Shrinking goes to the uniform draw.
    """
    pick = draw(st.integers(0, 7))  # in eighths, 0 (uniform) first: what shrinking reaches
    if pick == 5:
        day = leap_day(draw, low, low + timedelta(minutes=minutes))
        if day is not None:
            midnight = datetime.combine(day, time(), tzinfo=get_zone(zone)).astimezone(UTC)
            after = (midnight.replace(tzinfo=None) - low) // timedelta(minutes=1)
            return min(max(after + draw(st.integers(0, 24 * 60 - 1)), 0), minutes)
    if pick >= 6:
        high = low + timedelta(minutes=minutes)
        year = draw(st.integers(low.year, high.year))
        near = [t for t in year_transitions(zone, year) if low <= t <= high]
        if near:
            moment = draw(st.sampled_from(near))
            after = (moment - low) // timedelta(minutes=1) + draw(st.integers(-_NEAR, _NEAR))
            return min(max(after, 0), minutes)
    return draw(st.integers(0, minutes))


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
    lifecycle: Lifecycle | None = None,
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
    :func:`booked_sessions`.

    Only statuses the commands leave in the session's status are drawn: in a
    cancelled one (``CANCELLED`` of the presets) its bookings were cancelled
    with it (or had run out: ``EXPIRED``), and in another terminal one
    (finished, completed) only confirmed bookings stay in play: its holds,
    offers and waitlist places ended with it (``EXPIRED``), but one that had
    run out by then is stored as it was until the expiry job runs (a hold or
    offer past its expiry at ``at``, a waitlist place once the session has
    started at ``at``). ``lifecycle`` is the session's,
    ``None`` for a preset (``UnknownLifecycle`` for a lifecycle of yours not
    given); ``statuses`` leaving none of those is ``InvalidValue``.

    The participant is drawn from ``participants`` (``ResourceRef`` values or
    ``"kind:id"`` text, as ``kit.bookings.book`` takes them; by default
    ``student:p1`` to ``student:p50``): one participant's bookings of several
    sessions, for a per-day or per-week rule, are ``participants=["student:ana"]``.
    """
    if not isinstance(session, Session):
        raise WrongType(session, name="bookings(session)", expected="a Session")
    machine = _machine_of(session, lifecycle)
    role_pool = _args.roles(roles, strategy="bookings")
    people = _PARTICIPANTS if participants is None else _participants(participants)
    when = session.start - timedelta(minutes=1) if at is None else check_aware(at, "bookings(at)")
    status = machine.status(session.status)
    ended = status.terminal and not status.cancelled
    left = _left_in(status, started=session.start <= when)
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


def _machine_of(session: Session, lifecycle: object) -> Lifecycle:
    """The lifecycle of ``session``: ``lifecycle``, or the preset it names; it has its status."""
    if lifecycle is not None and not isinstance(lifecycle, Lifecycle):
        raise WrongType(lifecycle, name="bookings(lifecycle)", expected="a Lifecycle or None")
    if lifecycle is not None and lifecycle.name != session.lifecycle:
        raise InvalidValue(
            f"bookings(lifecycle={shown(lifecycle.name)}): session {shown(session.id)} is of"
            f" lifecycle {shown(session.lifecycle)}",
            value=lifecycle,
            expected=f"the lifecycle {shown(session.lifecycle)}, or None for the preset",
        )
    try:
        machine = PRESETS.get(session.lifecycle) if lifecycle is None else lifecycle
        machine.status(session.status)
    except SessionKitError as error:  # UnknownLifecycle: one of yours, not given
        error.add_note("bookings(lifecycle=...) takes the session's lifecycle")
        raise
    return machine


def _left_in(status: Status, *, started: bool) -> frozenset[str]:
    """The booking statuses the commands leave in a session in ``status``.

    A cancelled status cancelled the bookings in play (what had run out is
    EXPIRED). Another terminal one lapsed the holds, offers and waitlist
    places still waiting (EXPIRED); what had run out then is left to the
    expiry job, stored as it was: a hold or offer past its expiry, and a
    waitlist place once the session ``started`` (at the instant drawn).
    """
    if status.cancelled:
        return frozenset({CANCELLED, EXPIRED})
    if status.terminal:
        ran_out = {HELD, OFFERED} | ({WAITLISTED} if started else set())
        return frozenset({CONFIRMED, CANCELLED, EXPIRED} | ran_out)
    return BOOKING_STATUSES


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
        booking_id=f"b{draw(st.integers(1, 10**6))}",
        participant=draw(participants),
        roles=roles,
        ended=ended,
    )


def _a_session(_instance: object, _attribute: attrs.Attribute[Session], value: object) -> None:
    if not isinstance(value, Session):
        raise WrongType(value, name="BookedSession.session", expected="a Session")


def _the_bookings(value: Iterable[Booking]) -> tuple[Booking, ...]:
    """``value`` as a tuple, each item a ``Booking`` (``WrongType`` naming the field else)."""
    expected = "a sequence of Bookings"
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise WrongType(value, name="BookedSession.bookings", expected=expected)
    found = tuple(value)
    for booking in found:
        if not isinstance(booking, Booking):
            raise WrongType(booking, name="BookedSession.bookings item", expected="a Booking")
    return found


def _an_instant(_instance: object, _attribute: attrs.Attribute[datetime], value: object) -> None:
    check_aware(value, "BookedSession.at")


def _its_lifecycle(
    instance: BookedSession, _attribute: attrs.Attribute[Lifecycle | None], value: object
) -> None:
    """Check that the session's lifecycle is known (given, or a preset) and has its status."""
    if value is not None and not isinstance(value, Lifecycle):
        raise WrongType(value, name="BookedSession.lifecycle", expected="a Lifecycle or None")
    session = instance.session
    if value is not None and value.name != session.lifecycle:
        raise InvalidValue(
            f"BookedSession(lifecycle={value.name!r}): session {shown(session.id)} is of"
            f" lifecycle {shown(session.lifecycle)}",
            value=value,
            expected=f"the lifecycle {shown(session.lifecycle)}, or None for the preset",
        )
    try:
        instance._session_lifecycle().status(session.status)
    except SessionKitError as error:  # UnknownLifecycle: one of yours, not given
        error.add_note("BookedSession(lifecycle=...) takes the session's lifecycle")
        raise


@attrs.frozen(kw_only=True)
class BookedSession:
    """A session and its stored bookings as they stand at instant ``at``; the oracle of its seats.

    ``bookings`` are in creation order. ``taken`` and ``remaining`` are what
    sessionkit's reads must say at ``at`` (``kit.bookings.remaining_seats``,
    ``bookable``): the seats held, offered and confirmed bookings take then (a
    hold that ran out takes none), and what a newcomer could book (none once
    the session has started, or if it is not busy; the waitlist's seats are
    owed to it, and none in a terminal status of its lifecycle, finished
    ahead of its time). ``lifecycle`` is the session's, ``None`` for a
    preset (:func:`booked_sessions` gives one of yours). Made by hand (an
    ``@example``), a naive ``at`` is refused with ``NaiveDatetime``, a field
    of the wrong type with ``WrongType``, a session of a lifecycle of yours
    not given with ``UnknownLifecycle`` and one in a status its lifecycle
    lacks with ``InvalidValue``, when it is made rather than by
    :attr:`taken` or :attr:`remaining`.
    """

    session: Session = attrs.field(validator=_a_session)
    bookings: tuple[Booking, ...] = attrs.field(converter=_the_bookings)
    at: datetime = attrs.field(validator=_an_instant)
    lifecycle: Lifecycle | None = attrs.field(default=None, validator=_its_lifecycle)

    def _session_lifecycle(self) -> Lifecycle:
        """The session's lifecycle: :attr:`lifecycle`, or the preset the session names."""
        return PRESETS.get(self.session.lifecycle) if self.lifecycle is None else self.lifecycle

    @property
    def taken(self) -> int:
        """The seats the bookings take at :attr:`at`."""
        return seats_taken(self.bookings, self.at)

    @property
    def remaining(self) -> int:
        """The seats a newcomer could book at :attr:`at`."""
        if not self.session.busy or self.session.start <= self.at:
            return 0
        if self._session_lifecycle().status(self.session.status).terminal:
            return 0  # finished ahead of its time: it takes no bookings, though busy
        owed = seats_owed(self.bookings, capacity=self.session.capacity)
        return max(0, self.session.capacity - self.taken - owed)


_MOST_BOOKINGS = 100
"""The largest ``max_bookings`` of :func:`booked_sessions`: a booking takes two dozen of
Hypothesis's choices, and examples of a few hundred overrun the most it draws for one (its
``too_slow`` and ``data_too_large`` health checks fail, and the largest are never drawn)."""

_BOOKED_FIRST = EARLIEST.replace(tzinfo=None)
_BOOKED_LAST = LATEST.replace(tzinfo=None)
"""The ``at`` of a booked session: an instant a kit runs at (its clock's ``now``), so the
session and its bookings can be stored and read there."""


def booked_sessions(
    *,
    at: datetime | None = None,
    max_bookings: int = 12,
    min_bookings: int = 0,
    lifecycles: Sequence[Lifecycle | str] | None = None,
    roles: Sequence[str] = ("student", "client", "attendee"),
    tenant: str = "acme",
    zones: Sequence[str | tzinfo] = DST_ZONES,
    max_capacity: int = 20,
    min_capacity: int = 1,
) -> st.SearchStrategy[BookedSession]:
    """A session taking bookings and up to ``max_bookings`` bookings of it, consistent at ``at``.

    What the booking commands and the expiry job leave, replayed in time
    order as the services run them: requests made one after another, each
    seated (held or confirmed) when its seats fit beside those taken and
    those owed to the waitlist, else queued (``book(..., waitlist=True)``);
    holds and offers confirmed in time or left to run out; some bookings
    cancelled; the job run at none to two instants up to ``at``. Every
    command settles the session first, as the services do:
    what ran out is EXPIRED, and freed seats are offered to the waitlist in
    order. So: at most one booking in play (held, confirmed, waitlisted,
    offered) per participant, cancelled and expired ones besides (a
    participant books again once theirs left play); never more seats taken
    than the capacity; waitlist positions 1, 2, ... in creation order, and
    a waitlist only while its first in line needs more seats than were
    free when the session was last settled (no command leaves a seat free
    in front of it); holds and offers live or run out at ``at``, one that
    ran out after the last write to its session still stored as it was (no
    job ran since: a tick would still settle it). A changed booking is
    stamped as the store stamps it (``updated_at``, ``updated_by``,
    ``version``). ``at`` is an aware instant (default: drawn), one a kit
    runs at (1000-01-01 to 9000-01-01 UTC): what the value holds happened
    by then. The session, a loose one (no series, so it can be stored as it
    is), starts from 2 days before it (started and past sessions come too)
    to 30 days after it; every instant drawn (the session's time, when it
    and its bookings were made and changed) is one a kit runs at too, so
    near the ends of that range the session starts no earlier than its
    first instant and ends by its last, and at the first nothing was booked
    yet. :attr:`BookedSession.taken` and :attr:`BookedSession.remaining`
    are the oracle of its seats at ``at``. ``min_bookings`` to
    ``max_bookings`` bookings are drawn; ``max_bookings`` is 0 to 100
    (:data:`_MOST_BOOKINGS`: more would overrun what Hypothesis draws for one
    example). Every example then has at least ``min_bookings``, each about a
    millisecond to draw: from a few dozen on, the first examples can take
    more than the second Hypothesis's ``too_slow`` health check allows
    (suppress it in ``@settings`` for such a test). ``tenant``, ``zones``,
    ``min_capacity`` and ``max_capacity`` are the session's,
    as :func:`sessions` takes them. Options that leave nothing to draw or
    that it cannot draw raise ``InvalidValue`` naming the option (in a note
    for those :func:`sessions` checks), and options of the wrong type
    ``WrongType``.
    """
    max_bookings = _args.count(
        max_bookings, "max_bookings", strategy="booked_sessions", least=0, most=_MOST_BOOKINGS
    )
    min_bookings = _args.count(
        min_bookings, "min_bookings", strategy="booked_sessions", least=0, most=max_bookings
    )
    role_pool = _args.roles(roles, strategy="booked_sessions")
    fixed = None if at is None else check_aware(at, "booked_sessions(at)").astimezone(UTC)
    # The session starts up to 30 days after ``at``, and was made up to 90 days before it.
    if fixed is not None and not _BOOKED_FIRST <= fixed.replace(tzinfo=None) <= _BOOKED_LAST:
        raise InvalidValue(
            f"booked_sessions(at={fixed.isoformat()}): a kit cannot run at that instant"
            " (its now), so the session's seats could not be read there",
            value=at,
            expected=f"an instant from {_BOOKED_FIRST} to {_BOOKED_LAST} UTC",
        )
    if min_bookings and fixed is not None and fixed < EARLIEST + timedelta(minutes=1):
        raise InvalidValue(
            f"booked_sessions(at={fixed.isoformat()}, min_bookings={min_bookings}): nothing"
            " can have been booked before the first instant a kit runs at",
            value=at,
            expected=f"an at from {EARLIEST + timedelta(minutes=1)}, or min_bookings=0",
        )
    _args.lifecycle_pool(lifecycles, strategy="booked_sessions")
    with _args.naming("lifecycles", lifecycles, strategy="booked_sessions"):
        sessions(lifecycles=lifecycles, taking_bookings=True)  # refuses lifecycles drawing none
    of_session = {"tenant": tenant, "zones": zones, "max_capacity": max_capacity}
    for option, value in of_session.items():
        with _args.naming(option, value, strategy="booked_sessions"):
            sessions(**{option: value})  # type: ignore[arg-type]  # checked there
    with _args.naming("min_capacity", min_capacity, strategy="booked_sessions"):
        sessions(min_capacity=min_capacity, max_capacity=max_capacity)
    of_session["min_capacity"] = min_capacity
    return _booked_sessions(
        fixed, max_bookings, lifecycles, role_pool, min_bookings=min_bookings, of_session=of_session
    )


@st.composite
def _booked_sessions(
    draw: st.DrawFn,
    at: datetime | None,
    max_bookings: int,
    lifecycles: Sequence[Lifecycle | str] | None,
    roles: Sequence[str],
    replay_by: type[Replay] = Replay,
    min_bookings: int = 0,
    of_session: Mapping[str, Any] | None = None,
) -> BookedSession:
    when = (
        draw(aware_datetimes(min_value=_SESSION_MIN, max_value=_SESSION_MAX)).astimezone(UTC)
        if at is None
        else at
    )
    # Sessions start on whole minutes: from the first at or after ``when``, so that the
    # earliest is not before ``when - 2 days`` nor the latest after ``when + 30 days``.
    base = when.replace(tzinfo=None, second=0, microsecond=0)
    off_the_minute = base != when.replace(tzinfo=None)
    if off_the_minute:
        base += timedelta(minutes=1)
    # Nor, at the ends of the range, before the first instant a kit runs at or ending after
    # the last (a session is at most 4 hours long): the services refuse such a time. With
    # ``min_bookings``, a minute after the first, so that a booking fits before the start.
    minute = timedelta(minutes=1)
    earliest = _BOOKED_FIRST + (minute if min_bookings else timedelta(0))
    first = max(-2 * 24 * 60, (earliest - base) // minute)
    last = min(30 * 24 * 60 - off_the_minute, (_BOOKED_LAST - timedelta(hours=4) - base) // minute)
    offset = draw(st.integers(first, last))
    lowest = base + timedelta(minutes=offset)
    session = draw(
        sessions(
            lifecycles=lifecycles,
            taking_bookings=True,
            generated=False,
            min_start=lowest,
            max_start=lowest,
            **(of_session or {}),
        )
    )
    # The session existed before anything was booked: made 1 to 90 days before ``at``, by a
    # kit, so not before the first instant one runs at (then nothing is booked before ``at``).
    created = min(session.created_at, when - timedelta(days=draw(st.integers(1, 90))))
    created = max(created, EARLIEST)
    session = attrs.evolve(session, created_at=created)
    replay = replay_by(session, offer_for=draw(minutes(1, 2 * 24 * 60)))
    # Requests are made before ``at`` and before the start; cancels too.
    latest = min(when, session.start) - timedelta(minutes=1)
    room = int((latest - created).total_seconds() // 60)
    count = draw(st.integers(min_bookings, max_bookings)) if room >= 0 else 0  # see earliest
    # Half of them in the last two hours, where holds and offers still run at ``at``.
    back = st.integers(0, min(room, 120)) | st.integers(0, min(room, 30 * 24 * 60))
    made = sorted(latest - timedelta(minutes=draw(back)) for _ in range(count))
    for n, instant in enumerate(made):
        cancel = None
        if draw(st.integers(0, 3)) == 3:
            cancel = instant + timedelta(
                minutes=draw(st.integers(0, int((latest - instant).total_seconds() // 60)))
            )
        replay.request(
            f"b{n + 1}",
            Request(
                made=instant,
                seats=draw(st.integers(1, min(3, session.capacity))),
                role=draw(st.sampled_from(list(roles))),
                again=draw(st.integers(0, n)),
                confirm=draw(st.integers(0, 2)) == 2,
                hold_for=draw(minutes(1, 120)),
                claim_after=draw(st.none() | minutes(0, 180)),
                cancel_at=cancel,
                by_self=draw(st.booleans()),
            ),
        )
    # The expiry job ran at none to two instants up to ``at`` (included).
    since = int((when - created).total_seconds() // 60)
    for _ in range(draw(st.integers(0, 2))):
        replay.tick(when - timedelta(minutes=draw(st.integers(0, since))))
    lifecycle = None
    if lifecycles is not None:  # the session's, unless it is the preset of its name
        pool = _args.lifecycle_pool(lifecycles, strategy="booked_sessions")
        lifecycle = next(one for one in pool if one.name == session.lifecycle)
        if lifecycle.name in PRESETS and PRESETS.get(lifecycle.name) is lifecycle:
            lifecycle = None
    return BookedSession(
        session=session, bookings=replay.run(until=when), at=when, lifecycle=lifecycle
    )
