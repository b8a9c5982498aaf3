"""The :func:`booked_sessions` strategy and its value, :class:`BookedSession`, the seats' oracle.

Private: import them from :mod:`sessionkit.testing.strategies`. A session
from :func:`~sessionkit.testing._sessions_strategy.sessions` and its bookings,
replayed as the booking commands and the expiry job leave them
(:mod:`sessionkit.testing._booking_replay`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import attrs
from hypothesis import strategies as st

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.lifecycle import PRESETS, Lifecycle
from sessionkit.model.booking import (
    Booking,
    seats_owed,
    seats_taken,
)
from sessionkit.model.session import Session
from sessionkit.testing import _strategy_args as _args
from sessionkit.testing._booking_replay import Replay, Request
from sessionkit.testing._bookings_strategy import _booking_id
from sessionkit.testing._sessions_strategy import _SESSION_MAX, _SESSION_MIN, sessions
from sessionkit.testing._value_strategies import (
    DST_ZONES,
    aware_datetimes,
    minutes,
)
from sessionkit.zones import EARLIEST, LATEST, check_aware

__all__ = [
    "BookedSession",
    "booked_sessions",
]


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


def _named_preset(value: Lifecycle | str | None) -> Any:
    """A preset's name (``"lms"``) as the preset; anything else as it is, for the validator."""
    return _args.preset_of(value, where="BookedSession")


def _its_lifecycle(
    instance: BookedSession, _attribute: attrs.Attribute[Lifecycle | None], value: object
) -> None:
    """Check that the session's lifecycle is known (given, or a preset) and has its status."""
    _args.machine_of(
        instance.session, value, where="BookedSession", field="BookedSession.lifecycle"
    )


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
    preset (:func:`booked_sessions` gives one of yours); a preset's name
    (``"lms"``) is made that preset, an unknown one is ``UnknownLifecycle``.
    Made by hand (an
    ``@example``), a naive ``at`` is refused with ``NaiveDatetime``, a field
    of the wrong type with ``WrongType``, a session of a lifecycle of yours
    not given with ``UnknownLifecycle`` and one in a status its lifecycle
    lacks with ``InvalidValue``, when it is made rather than by
    :attr:`taken` or :attr:`remaining`.
    """

    session: Session = attrs.field(validator=_a_session)
    bookings: tuple[Booking, ...] = attrs.field(converter=_the_bookings)
    at: datetime = attrs.field(validator=_an_instant)
    lifecycle: Lifecycle | None = attrs.field(
        default=None, converter=_named_preset, validator=_its_lifecycle
    )

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
    ``max_bookings`` bookings are drawn (ids ``<session id>-b1``, ``-b2``...,
    so booked sessions of different ids are stored together); ``max_bookings`` is 0 to 100
    (:data:`_MOST_BOOKINGS`: more would overrun what Hypothesis draws for one
    example). Every example then has at least ``min_bookings``, each about a
    millisecond to draw: from a few dozen on, the first examples can take
    more than the second Hypothesis's ``too_slow`` health check allows
    (suppress it in ``@settings`` for such a test). ``tenant``, ``zones``,
    ``min_capacity`` and ``max_capacity`` are the session's, as
    :func:`~sessionkit.testing.strategies.sessions` takes them. Options that
    leave nothing to draw or that it cannot draw raise ``InvalidValue``
    naming the option (in a note for those ``sessions`` checks), and options
    of the wrong type ``WrongType``.
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
    pool = _args.lifecycle_pool(lifecycles, strategy="booked_sessions")
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
        fixed,
        max_bookings,
        None if lifecycles is None else _ByName(pool),
        role_pool,
        min_bookings=min_bookings,
        of_session=of_session,
    )


class _ByName(tuple[Lifecycle, ...]):
    """The lifecycles :func:`booked_sessions` draws from, shown by their names.

    Hypothesis notes a draw that fails as "while generating ... from" the
    strategy, shown by its arguments: five presets in full took 18 kB, and a
    few lifecycles of a user's more than the 30 kB at which it warns (as
    ``sessions()``' ``_Choices`` were, 3df4337f).
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return repr([lifecycle.name for lifecycle in self])


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
            _booking_id(session.id, n + 1),
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
