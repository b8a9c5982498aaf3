"""The shipped strategies: every option they take draws values, bad bounds are refused."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FailedHealthCheck

from sessionkit.errors import (
    ExpansionLimitExceeded,
    HoldExpired,
    InvalidTransition,
    InvalidValue,
    LifecycleNotApplicable,
    SessionKitError,
    WrongType,
)
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Transition
from sessionkit.model import Session
from sessionkit.model.booking import (
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HELD,
    OFFERED,
    SEAT_STATUSES,
    WAITLISTED,
    seats_taken,
)
from sessionkit.policies import BookingRules
from sessionkit.recurrence import Recurrence, Rule
from sessionkit.testing import _session_strategies, hostile
from sessionkit.testing import strategies as sks
from sessionkit.testing._booking_replay import Replay
from sessionkit.testing.harness import Harness
from sessionkit.timespan import TimeSpan

_NEVER_BUSY = Lifecycle(
    "never_busy",
    statuses=[Status("DRAFT", initial=True), Status("GONE", terminal=True)],
    transitions=[Transition("drop", "DRAFT", "GONE")],
)


@settings(max_examples=150)
@given(sks.recurrences(disambiguate=("raise",)))
def test_recurrences_that_raise_on_a_gap_are_drawn_without_raising(rec: Recurrence) -> None:
    # Expanding such a recurrence may raise (the user asked it to); drawing one must not.
    assert rec.disambiguate == "raise"


@given(sks.timespans(min_duration=timedelta(seconds=1), max_duration=timedelta(seconds=2)))
def test_timespans_draw_lengths_in_their_range(span: TimeSpan) -> None:
    assert timedelta(seconds=1) <= span.end - span.start <= timedelta(seconds=2)


@pytest.mark.parametrize(
    ("bounds", "named"),
    [
        (
            {"min_duration": timedelta(milliseconds=500), "max_duration": timedelta(seconds=0.9)},
            "min_duration",
        ),
        ({"min_duration": timedelta(0)}, "min_duration"),
        ({"min_duration": timedelta(hours=2), "max_duration": timedelta(hours=1)}, "min_duration"),
        ({"max_start": datetime(9999, 12, 31)}, "max_start"),
        ({"min_duration": timedelta.max}, "min_duration"),
        ({"min_duration": timedelta.max, "max_duration": timedelta.max}, "min_duration"),
    ],
)
def test_timespans_refuse_bounds_that_draw_nothing_valid(
    bounds: dict[str, object], named: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        sks.timespans(**bounds)  # type: ignore[arg-type]  # each bound's own type
    assert named in str(caught.value)


@given(st.data())
def test_timespans_with_valid_bounds_never_fail_to_draw(data: st.DataObject) -> None:
    shortest = data.draw(st.integers(1, 100))
    longest = data.draw(st.integers(shortest, 200))
    span = data.draw(
        sks.timespans(
            min_duration=timedelta(seconds=shortest), max_duration=timedelta(seconds=longest)
        )
    )
    assert shortest <= (span.end - span.start).total_seconds() <= longest


# ----------------------------------------------------------------------- sessions and bookings


@given(sks.sessions())
def test_sessions_are_in_a_status_of_their_lifecycle_and_busy_as_it_says(session: Session) -> None:
    status = PRESETS.get(session.lifecycle).status(session.status)
    assert session.busy is status.busy
    assert timedelta(minutes=15) <= session.end - session.start <= timedelta(hours=4)
    assert 1 <= session.capacity <= 20
    assert session.created_at < session.start
    assert (session.series_id is None) is session.is_extra
    if session.occurrence_key is not None:
        local = session.start.astimezone(ZoneInfo(session.tz)).replace(tzinfo=None)
        assert session.occurrence_key == local


# Berlin's changes in the default bounds (2026-2028), as naive UTC.
_BERLIN_CHANGES = [
    datetime(2026, 3, 29, 1),
    datetime(2026, 10, 25, 1),
    datetime(2027, 3, 28, 1),
    datetime(2027, 10, 31, 1),
    datetime(2028, 3, 26, 1),
    datetime(2028, 10, 29, 1),
]


def _hours_from_a_change(session: Session) -> float:
    start = session.start.replace(tzinfo=None)
    return min(abs(start - change) for change in _BERLIN_CHANGES) / timedelta(hours=1)


def test_sessions_start_near_a_dst_change_often() -> None:
    # Drawn uniformly over two years, a start lands within 6 hours of one of Berlin's four
    # changes once in 730 draws: a property about 23- and 25-hour local days never met one.
    few = settings(max_examples=20, database=None, derandomize=True)
    found = find(
        sks.sessions(zones=["Europe/Berlin"]), lambda s: _hours_from_a_change(s) <= 6, settings=few
    )
    assert _hours_from_a_change(found) <= 6


@given(
    sks.sessions(
        zones=["Europe/Berlin", "UTC"],
        min_start=datetime(2026, 3, 29, 0, 30),
        max_start=datetime(2026, 3, 29, 1, 30),
    )
)
def test_a_start_drawn_near_a_change_stays_in_the_bounds(session: Session) -> None:
    start = session.start.replace(tzinfo=None)
    assert datetime(2026, 3, 29, 0, 30) <= start <= datetime(2026, 3, 29, 1, 30)


@given(
    sks.sessions(
        lifecycles=["academy"],
        taking_bookings=True,
        min_start=datetime(2026, 5, 1),
        max_start=datetime(2026, 5, 2),
        max_capacity=3,
    )
)
def test_sessions_taking_bookings_are_busy_live_and_in_their_bounds(session: Session) -> None:
    status = PRESETS.get("academy").status(session.status)
    assert session.lifecycle == "academy"
    assert session.busy
    assert not status.terminal
    assert datetime(2026, 5, 1, tzinfo=UTC) <= session.start <= datetime(2026, 5, 2, tzinfo=UTC)
    assert session.capacity <= 3


@pytest.mark.parametrize(
    ("strategy", "options", "named"),
    [
        (sks.sessions, {"lifecycles": []}, "lifecycles"),
        (
            sks.sessions,
            {"min_start": datetime(2026, 2, 1), "max_start": datetime(2026, 1, 1)},
            "max_start",
        ),
        (sks.sessions, {"max_capacity": 0}, "max_capacity"),
        (sks.sessions, {"zones": ()}, "zones"),
        (sks.sessions, {"zones": "UTC"}, "zones"),
        (sks.sessions, {"resource_kinds": ("",)}, "''"),
        (sks.sessions, {"resource_kinds": "teacher"}, "resource_kinds"),
        (sks.sessions, {"min_start": datetime(1, 1, 1)}, "min_start"),
        (sks.sessions, {"max_start": datetime(9999, 12, 31, 22)}, "max_start"),
        (sks.sessions, {"min_start": "2026-01-01"}, "min_start"),
        (sks.booked_sessions, {"roles": ()}, "roles"),
        # A name was read as a sequence of letters ("unknown lifecycle 'a'"), and the two
        # below raised Hypothesis's InvalidArgument.
        (sks.sessions, {"lifecycles": "academy"}, "lifecycles='academy'"),
        (sks.timezones, {"names": []}, "names"),
        (
            sks.aware_datetimes,
            {"min_value": datetime(2027, 1, 1), "max_value": datetime(2026, 1, 1)},
            "max_value",
        ),
        (sks.aware_datetimes, {"min_value": datetime(2026, 1, 1, tzinfo=UTC)}, "min_value"),
        (sks.aware_datetimes, {"max_value": "2026-01-01"}, "max_value"),
        (sks.sessions, {"lifecycles": [_NEVER_BUSY], "taking_bookings": True}, "never_busy"),
        (sks.booked_sessions, {"max_bookings": -1}, "max_bookings"),
        (sks.booked_sessions, {"lifecycles": [_NEVER_BUSY]}, "never_busy"),
        (sks.booked_sessions, {"at": datetime(2026, 3, 2, 8)}, "at"),
        (sks.booked_sessions, {"at": datetime(9999, 12, 30, tzinfo=UTC)}, "at="),
        (sks.booked_sessions, {"at": datetime(1, 1, 2, tzinfo=UTC)}, "at="),
    ],
)
def test_session_strategies_refuse_options_that_draw_nothing_valid(
    strategy: Callable[..., object], options: dict[str, object], named: str
) -> None:
    with pytest.raises(SessionKitError) as caught:
        strategy(**options)
    assert named in str(caught.value)


@given(st.data())
def test_a_booking_carries_what_its_status_does(data: st.DataObject) -> None:
    session = data.draw(sks.sessions(min_start=datetime(2026, 5, 1)))
    at = data.draw(st.sampled_from([None, session.start + timedelta(hours=1)]))
    booking = data.draw(sks.bookings(session, at=at))
    when = session.start - timedelta(minutes=1) if at is None else at
    assert (booking.session_id, booking.tenant, booking.span) == (
        session.id,
        session.tenant,
        session.span,
    )
    assert session.created_at <= booking.created_at < min(when, session.start)
    assert 1 <= booking.seats <= min(3, session.capacity)
    if booking.status in (HELD, OFFERED):
        assert booking.hold_expires_at is not None
        assert booking.hold_expires_at > booking.created_at
    if booking.status in (CONFIRMED, WAITLISTED, CANCELLED):
        assert booking.hold_expires_at is None
    if booking.status == EXPIRED and booking.hold_expires_at is not None:
        assert booking.hold_expires_at <= when  # it ran out by then
    if booking.status in (WAITLISTED, OFFERED):
        assert booking.position is not None
    if booking.status in (HELD, CONFIRMED):
        assert booking.position is None


@given(
    sks.sessions(
        min_start=datetime(2026, 5, 1, 10, tzinfo=ZoneInfo("Europe/Berlin")),
        max_start=datetime(2026, 5, 1, 8, 0, 30, tzinfo=UTC),
    )
)
def test_aware_start_bounds_are_read_as_the_instants_they_are(session: Session) -> None:
    assert session.start == datetime(2026, 5, 1, 8, tzinfo=UTC)


@given(st.data())
def test_an_expired_booking_ran_out_as_a_hold_an_offer_or_a_waitlist_place(
    data: st.DataObject,
) -> None:
    session = data.draw(sks.sessions(min_start=datetime(2026, 5, 1)))
    at = data.draw(st.sampled_from([session.start - timedelta(hours=1), session.end]))
    booking = data.draw(sks.bookings(session, at=at, statuses=[EXPIRED]))
    if booking.hold_expires_at is None:  # a waitlist place, ended by its session's start
        assert booking.position is not None
        status = PRESETS.get(session.lifecycle).status(session.status)
        ended = status.terminal and not status.cancelled  # which lapses a waitlist at once
        assert session.start <= at or ended
    else:
        assert booking.hold_expires_at <= at


def test_bookings_refuse_an_unknown_status_and_an_instant_before_the_session() -> None:
    start = datetime(2026, 5, 4, 9, tzinfo=UTC)
    session = Session(
        id="s1",
        tenant="acme",
        title="Maths",
        span=TimeSpan(start, start + timedelta(hours=1)),
        tz="Europe/Berlin",
        status="SCHEDULED",
        lifecycle="lms",
        busy=True,
        created_at=start - timedelta(days=3),
    )
    with pytest.raises(InvalidValue) as caught:
        sks.bookings(session, statuses=["BOOKED"])
    assert "BOOKED" in str(caught.value)
    with pytest.raises(InvalidValue) as too_early:
        sks.bookings(session, at=session.created_at)
    assert session.id in str(too_early.value)
    with pytest.raises(InvalidValue, match="roles"):
        sks.bookings(session, roles=[])


@settings(max_examples=20)
@given(
    st.sampled_from([datetime(1000, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)]).flatmap(
        lambda at: sks.booked_sessions(at=at)
    )
)
def test_booked_sessions_draw_at_the_ends_of_the_range_they_take(
    booked: sks.BookedSession,
) -> None:
    # Stored and read at ``at`` as docs/testing.md does: the ends of the range are instants
    # a kit runs at (it once took years 1 to 9999, which no kit's clock can be).
    assert booked.session.created_at <= booked.at
    h = Harness.in_memory(booked.at)
    with h.kit.context.transaction() as tx:
        tx.sessions.add(booked.session)
        tx.bookings.add_many(list(booked.bookings))
    session = booked.session
    seats = h.kit.bookings.remaining_seats(session.tenant, [session.id])
    assert seats == {session.id: booked.remaining}


@pytest.mark.parametrize(
    "at",
    [
        datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(9000, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    ],
)
def test_booked_sessions_refuse_an_at_no_kit_runs_at(at: datetime) -> None:
    with pytest.raises(InvalidValue, match="a kit cannot run at that instant"):
        sks.booked_sessions(at=at)


@given(sks.booked_sessions())
def test_a_booked_session_fits_its_capacity_and_keeps_one_booking_in_play_each(
    booked: sks.BookedSession,
) -> None:
    session, found, at = booked.session, booked.bookings, booked.at
    assert session.busy
    assert at - timedelta(days=2) <= session.start <= at + timedelta(days=30)
    assert seats_taken(found, at) <= session.capacity
    assert booked.taken == seats_taken(found, at)
    playing = [b.participant for b in found if b.active]
    assert len(playing) == len(set(playing))
    assert [b.created_at for b in found] == sorted(b.created_at for b in found)
    positions = [b.position for b in found if b.position is not None]
    assert positions == list(range(1, len(positions) + 1))
    assert all(b.position is not None for b in found if b.status == WAITLISTED)
    assert len({b.id for b in found}) == len(found)
    assert all(session.created_at <= b.created_at < min(at, session.start) for b in found)
    owed = sum(b.seats for b in found if b.status == WAITLISTED)
    expected = 0 if session.start <= at else max(0, session.capacity - booked.taken - owed)
    assert booked.remaining == expected


class _AllSeen(Exception):
    """Raised to stop drawing once every shape looked for has been drawn."""


def test_booked_sessions_draw_each_shape_a_seat_property_needs() -> None:
    seen: set[str] = set()
    shapes = {
        "full",
        "seats free",
        "started",
        "waitlist",
        "run-out hold",
        "offer",
        "participant again",
    }

    # Up to 300 draws, as before, but it stops at the first that completes the set (it drew
    # all 300 whatever it had seen: 6 s of 74 for the module). Not shrunk: no failure here.
    @settings(max_examples=300, database=None, phases=[Phase.generate])
    @given(sks.booked_sessions(max_bookings=20))
    def collect(booked: sks.BookedSession) -> None:
        started = booked.session.start <= booked.at
        if not started and booked.remaining == 0:
            seen.add("full")
        if not started and booked.remaining > 0:
            seen.add("seats free")
        if started:
            seen.add("started")
        if any(b.status == WAITLISTED for b in booked.bookings):
            seen.add("waitlist")
        if any(
            b.status in (HELD, OFFERED) and not b.takes_seats(booked.at) for b in booked.bookings
        ):
            seen.add("run-out hold")
        if any(b.status == OFFERED for b in booked.bookings):
            seen.add("offer")
        if len({b.participant for b in booked.bookings}) < len(booked.bookings):
            seen.add("participant again")
        if seen == shapes:
            raise _AllSeen

    with contextlib.suppress(_AllSeen):
        collect()
    assert seen == shapes


# ----------------------------------------------------------------- a booked session's waitlist


def _check_settled_as_last_written(booked: sks.BookedSession) -> None:
    """The oracle of a waitlist the commands leave: a settled session, unless a run-out waits.

    Every command but a confirm settles the session (what ran out expires; freed seats go
    to the first in line, strictly in order), and so does the expiry job. After the last
    settling only the clock moved (and confirms, which free no seat), so the bookings
    stored as holding seats held them then, whether or not they ran out since.
    """
    found, session, at = booked.bookings, booked.session, booked.at
    holding = sum(b.seats for b in found if b.status in SEAT_STATUSES)
    waiting = sorted((b for b in found if b.status == WAITLISTED), key=lambda b: b.position or 0)
    if waiting:  # its first in line did not fit then (the seats free were offered)
        assert waiting[0].seats > session.capacity - holding, (holding, waiting[0])
    # Offers go to the first in line: nobody offered a seat stood behind anyone still waiting.
    ran_out = [b for b in found if b.status == EXPIRED and b.hold_expires_at is not None]
    offered = [
        b.position
        for b in [*ran_out, *(b for b in found if b.status in (OFFERED, CONFIRMED))]
        if b.position is not None  # a hold, or a seat booked at once, never stood in line
    ]
    assert all(p < w.position for p in offered for w in waiting if w.position is not None)
    # What ran out after the last settling write still stands as it was; nothing before it.
    settling = [b.created_at for b in found] + [
        b.updated_at for b in found if b.updated_at is not None and b.status != CONFIRMED
    ]
    last = max(settling, default=session.created_at)
    for b in found:
        if b.status in (HELD, OFFERED) and not b.takes_seats(at):
            assert b.hold_expires_at is not None
            assert b.hold_expires_at > last, ("settled after it ran out", b, last)
        if b.status == WAITLISTED and session.start <= at:
            assert session.start > last, ("settled after its session started", b, last)


# 100 examples, not 300 (14 s of the module's 74): the kit replay below checks the same oracle
# on 200 more. The thorough profile's 1,000 still apply before a release.
@settings(max_examples=max(100, settings().max_examples))
@given(sks.booked_sessions(max_bookings=20))
def test_a_booked_sessions_waitlist_waits_only_for_seats_its_first_in_line_does_not_fit(
    booked: sks.BookedSession,
) -> None:
    _check_settled_as_last_written(booked)


@given(sks.booked_sessions(max_bookings=1))
def test_the_only_booking_of_a_session_not_started_has_its_seat(booked: sks.BookedSession) -> None:
    # It was drawn WAITLISTED at position 1 in front of its free seat, which no command
    # leaves: book(..., waitlist=True) holds or confirms the seat.
    if booked.session.start > booked.at:
        assert [b.status for b in booked.bookings if b.status == WAITLISTED] == []


@given(sks.booked_sessions(max_bookings=8))
def test_a_booked_session_is_settled_as_the_kit_settles_it(booked: sks.BookedSession) -> None:
    # A newcomer's booking settles the session first: in a drawn one where nothing ran out,
    # that changes no booking (no seat free in front of the waitlist, nothing to expire).
    session, at = booked.session, booked.at
    if session.start <= at:
        return
    h = Harness.in_memory(at, booking_rules=BookingRules(waitlist=True))
    with h.kit.context.transaction() as tx:
        tx.sessions.add(session)
        tx.bookings.add_many(list(booked.bookings))
    h.kit.bookings.book(session.tenant, session.id, "student:newcomer", actor=None, waitlist=True)
    with h.kit.context.transaction() as tx:
        stored = {b.id: b for b in tx.bookings.for_session(session.tenant, session.id)}
    if not any(b.active and b.expired_at(at) for b in booked.bookings):
        assert [stored[b.id] for b in booked.bookings] == list(booked.bookings)
    else:  # the settling expired what ran out and passed the seats on; the rest held still
        _check_settled_as_last_written(
            sks.BookedSession(session=session, bookings=tuple(stored.values()), at=at)
        )


class _OnKit(Replay):
    """The replay a booked session is drawn by, each command also run on a kit at its instant.

    After every command the kit's bookings must be the replay's: the drawn state is one
    the commands and the job leave, not one that merely resembles it.
    """

    def __init__(self, session: Session, offer_for: timedelta) -> None:
        super().__init__(session, offer_for)
        rules = BookingRules(waitlist=True, offer_for=offer_for)
        self.harness = Harness.in_memory(session.created_at, booking_rules=rules)
        with self.harness.kit.context.transaction() as tx:
            tx.sessions.add(session)
        self.kit_ids: dict[str, str] = {}

    def _book(self, booking_id: str, when: datetime) -> None:
        super()._book(booking_id, when)
        drawn, request = self.bookings[booking_id], self.requests[booking_id]
        made = self.harness.kit.bookings.book(
            self.session.tenant,
            self.session.id,
            drawn.participant,
            actor=drawn.created_by,
            seats=drawn.seats,
            role=drawn.role,
            confirm=request.confirm,
            waitlist=True,
            hold_for=request.hold_for,
            now=when,
        )
        self.kit_ids[booking_id] = made.id
        self._agree()

    def _cancel(self, booking_id: str, when: datetime) -> None:
        before = self.bookings[booking_id]
        super()._cancel(booking_id, when)
        try:
            self.harness.kit.bookings.cancel(
                self.session.tenant,
                self.kit_ids[booking_id],
                actor=self._actor(booking_id),
                now=when,
            )
        except InvalidTransition:
            assert self.bookings[booking_id] is before  # the replay refused it too
        self._agree()

    def _claim(self, booking_id: str, when: datetime) -> None:
        before = self.bookings[booking_id]
        super()._claim(booking_id, when)
        try:
            self.harness.kit.bookings.confirm(
                self.session.tenant,
                self.kit_ids[booking_id],
                actor=self._actor(booking_id),
                now=when,
            )
        except (InvalidTransition, HoldExpired):
            assert self.bookings[booking_id] is before  # the replay refused it too
        self._agree()

    def _tick(self, when: datetime) -> None:
        super()._tick(when)
        self.harness.kit.bookings.expire_due(now=when)
        self._agree()

    def _agree(self) -> None:
        with self.harness.kit.context.transaction() as tx:
            stored = {
                b.id: b for b in tx.bookings.for_session(self.session.tenant, self.session.id)
            }
        on_kit = {
            mine: attrs.evolve(stored[theirs], id=mine) for mine, theirs in self.kit_ids.items()
        }
        assert on_kit == self.bookings


@settings(max_examples=200)
@given(st.data())
def test_a_booked_session_is_what_the_commands_leave_when_replayed_on_a_kit(
    data: st.DataObject,
) -> None:
    booked = data.draw(
        _session_strategies._booked_sessions(None, 12, None, ["student", "client"], _OnKit)
    )
    _check_settled_as_last_written(booked)


# ------------------------------------------------------------------------- every option checked

_START = datetime(2026, 5, 4, 9, tzinfo=UTC)
_A_SESSION = Session(
    id="s1",
    tenant="acme",
    title="Maths",
    span=TimeSpan(_START, _START + timedelta(hours=1)),
    tz="Europe/Berlin",
    status="SCHEDULED",
    lifecycle="lms",
    busy=True,
    created_at=_START - timedelta(days=3),
)


def _of_a_session(**options: object) -> object:
    return sks.bookings(_A_SESSION, **options)  # type: ignore[arg-type]  # each option's bad value


_BAD_OPTIONS: list[tuple[Callable[..., object], dict[str, object], type[Exception], str]] = [
    # Each (strategy, options, error, what the message or a note names). Hypothesis's
    # InvalidArgument or a builtin TypeError, AttributeError or OverflowError came out of
    # these, most of them only once a test drew.
    (sks.timezones, {"names": None}, WrongType, "timezones(names)"),
    (sks.timezones, {"names": 5}, WrongType, "timezones(names)"),
    (sks.timezones, {"names": "UTC"}, InvalidValue, "names='UTC'"),
    (sks.timezones, {"names": ["Mars/Base"]}, InvalidValue, "timezones(names="),
    (sks.aware_datetimes, {"min_value": "2026-01-01"}, WrongType, "aware_datetimes(min_value)"),
    (sks.aware_datetimes, {"zones": "UTC"}, WrongType, "aware_datetimes(zones)"),
    # Zone names (what sessions(zones=...) takes) failed mid-draw with a builtin TypeError.
    (sks.aware_datetimes, {"zones": st.just("UTC")}, WrongType, "aware_datetimes(zones)"),
    (sks.aware_datetimes, {"zones": st.sampled_from(["UTC"])}, WrongType, "(zones)"),
    (
        sks.timespans,
        {"min_start": datetime(2030, 1, 1), "max_start": datetime(2020, 1, 1)},
        InvalidValue,
        "max_start=2020",
    ),
    (
        sks.timespans,
        {"min_start": datetime(2030, 1, 1, tzinfo=UTC), "max_start": datetime(2020, 1, 1)},
        InvalidValue,
        "max_start=2020",
    ),
    (sks.timespans, {"min_start": "2026-01-01"}, WrongType, "timespans(min_start)"),
    (sks.timespans, {"max_start": 2026}, WrongType, "timespans(max_start)"),
    (sks.timespans, {"min_duration": 60}, WrongType, "timespans(min_duration)"),
    (sks.timespans, {"max_duration": None}, WrongType, "timespans(max_duration)"),
    (sks.timespans, {"max_duration": timedelta.max}, InvalidValue, "max_duration="),
    (
        sks.timespans,
        {"min_start": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))},
        InvalidValue,
        "timespans(min_start)",
    ),
    (sks.rules, {"frequencies": []}, InvalidValue, "rules(frequencies=[])"),
    (sks.rules, {"frequencies": "DAILY"}, InvalidValue, "rules(frequencies='DAILY')"),
    (sks.rules, {"frequencies": ["FORTNIGHTLY"]}, InvalidValue, "'FORTNIGHTLY'"),
    (sks.rules, {"frequencies": None}, WrongType, "rules(frequencies)"),
    (sks.rules, {"allow_count": "no"}, WrongType, "rules(allow_count)"),
    (sks.rules, {"allow_until": None}, WrongType, "rules(allow_until)"),
    (sks.recurrences, {"zones": "UTC"}, WrongType, "recurrences(zones)"),
    (sks.recurrences, {"zones": st.just("UTC")}, WrongType, "recurrences(zones)"),
    (sks.recurrences, {"zones": st.just(UTC)}, WrongType, "recurrences(zones)"),  # no .key
    (sks.recurrences, {"rule_strategy": "FREQ=DAILY"}, WrongType, "recurrences(rule_strategy)"),
    (sks.recurrences, {"disambiguate": []}, InvalidValue, "recurrences(disambiguate=[])"),
    (sks.recurrences, {"disambiguate": "raise"}, InvalidValue, "disambiguate='raise'"),
    (sks.recurrences, {"disambiguate": ["nearest"]}, InvalidValue, "recurrences(disambiguate="),
    (sks.recurrences, {"with_exdates": 1}, WrongType, "recurrences(with_exdates)"),
    (sks.daily_hours, {"max_size": 0}, InvalidValue, "daily_hours(max_size=0)"),
    # 10**9 pairs drew until Hypothesis's too-slow health check failed the test.
    (sks.daily_hours, {"max_size": 97}, InvalidValue, "daily_hours(max_size=97)"),
    (sks.daily_hours, {"max_size": "3"}, WrongType, "daily_hours(max_size)"),
    (sks.daily_hours, {"max_size": True}, WrongType, "daily_hours(max_size)"),
    (sks.weekly_hours, {"min_days": 8}, InvalidValue, "weekly_hours(min_days=8)"),
    (sks.weekly_hours, {"min_days": -1}, InvalidValue, "weekly_hours(min_days=-1)"),
    (sks.weekly_hours, {"min_days": "2"}, WrongType, "weekly_hours(min_days)"),
    (sks.availabilities, {"zones": "UTC"}, WrongType, "availabilities(zones)"),
    # Built, then a raw UnknownTimeZone mid-draw that named no option.
    (sks.availabilities, {"zones": st.just("Mars/Base")}, InvalidValue, "availabilities(zones="),
    (sks.availabilities, {"zones": st.just(42)}, WrongType, "availabilities(zones)"),
    (
        sks.availabilities,
        {"first_day": date(2027, 1, 1), "last_day": date(2026, 1, 1)},
        InvalidValue,
        "last_day=2026-01-01",
    ),
    (sks.availabilities, {"first_day": "2026-01-01"}, WrongType, "availabilities(first_day)"),
    (sks.availabilities, {"last_day": datetime(2026, 12, 31)}, WrongType, "(last_day)"),
    (
        sks.availabilities,
        {"first_day": date(9999, 12, 1), "last_day": date.max},
        InvalidValue,
        "availabilities(last_day=9999-12-31)",
    ),
    (sks.availabilities, {"with_overrides": "yes"}, WrongType, "availabilities(with_overrides)"),
    (sks.booking_rules, {"zones": []}, InvalidValue, "booking_rules(zones=[])"),
    (sks.booking_rules, {"zones": "UTC"}, InvalidValue, "booking_rules(zones='UTC')"),
    (sks.booking_rules, {"zones": None}, WrongType, "booking_rules(zones)"),
    (sks.booking_rules, {"zones": ["Mars/Base"]}, InvalidValue, "booking_rules(zones="),
    (sks.sessions, {"tenant": ""}, InvalidValue, "sessions(tenant=''"),
    (sks.sessions, {"tenant": 5}, WrongType, "sessions(tenant=5"),
    (sks.sessions, {"lifecycles": 5}, WrongType, "sessions(lifecycles)"),
    (sks.sessions, {"lifecycles": [5]}, WrongType, "sessions(lifecycles) item"),
    (sks.sessions, {"lifecycles": ["nope"]}, SessionKitError, "sessions(lifecycles=['nope'])"),
    (sks.sessions, {"taking_bookings": "yes"}, WrongType, "sessions(taking_bookings)"),
    (sks.sessions, {"zones": None}, WrongType, "sessions(zones)"),
    (sks.sessions, {"zones": ["Mars/Base"]}, InvalidValue, "sessions(zones="),
    (sks.sessions, {"max_capacity": "5"}, WrongType, "sessions(max_capacity)"),
    (sks.sessions, {"max_capacity": 2.5}, WrongType, "sessions(max_capacity)"),
    (sks.sessions, {"max_capacity": True}, WrongType, "sessions(max_capacity)"),
    (sks.sessions, {"max_capacity": 10**7}, InvalidValue, "sessions(max_capacity=10000000)"),
    (sks.sessions, {"resource_kinds": None}, WrongType, "sessions(resource_kinds)"),
    (sks.sessions, {"resource_kinds": [5]}, WrongType, "sessions(resource_kinds="),
    (sks.sessions, {"generated": "x"}, WrongType, "sessions(generated)"),
    (sks.bookings, {"session": None}, WrongType, "bookings(session)"),
    (_of_a_session, {"at": "2026-05-04"}, WrongType, "bookings(at)"),
    (_of_a_session, {"at": datetime(2026, 5, 4, 8)}, InvalidValue, "bookings(at)"),
    (_of_a_session, {"statuses": None}, WrongType, "bookings(statuses)"),
    (_of_a_session, {"statuses": "HELD"}, InvalidValue, "bookings(statuses='HELD')"),
    (_of_a_session, {"statuses": [5]}, InvalidValue, "bookings(statuses=[5])"),
    (_of_a_session, {"roles": None}, WrongType, "bookings(roles)"),
    (_of_a_session, {"roles": [""]}, InvalidValue, "bookings(roles) item"),
    (_of_a_session, {"roles": [5]}, WrongType, "bookings(roles) item"),
    (sks.booked_sessions, {"max_bookings": "3"}, WrongType, "booked_sessions(max_bookings)"),
    (sks.booked_sessions, {"max_bookings": 1.5}, WrongType, "booked_sessions(max_bookings)"),
    (sks.booked_sessions, {"max_bookings": None}, WrongType, "booked_sessions(max_bookings)"),
    (sks.booked_sessions, {"at": "2026-03-02"}, WrongType, "booked_sessions(at)"),
    (sks.booked_sessions, {"roles": [""]}, InvalidValue, "booked_sessions(roles) item"),
    (sks.booked_sessions, {"roles": None}, WrongType, "booked_sessions(roles)"),
    (sks.booked_sessions, {"lifecycles": 5}, WrongType, "booked_sessions(lifecycles)"),
]


@pytest.mark.parametrize(("strategy", "options", "error", "named"), _BAD_OPTIONS)
def test_every_strategy_refuses_a_bad_option_when_built(
    strategy: Callable[..., object],
    options: dict[str, object],
    error: type[Exception],
    named: str,
) -> None:
    # Built, never drawn: the error comes before a test runs, naming the option.
    with pytest.raises(error) as caught:
        strategy(**options)
    assert isinstance(caught.value, SessionKitError)
    assert isinstance(caught.value, TypeError) is (error is WrongType)
    told = "\n".join([str(caught.value), *getattr(caught.value, "__notes__", [])])
    assert named in told


_NAMES: Any = st.just("UTC").map(str)  # zone names, through a strategy no one can list


@pytest.mark.parametrize(
    ("strategy", "named"),
    [
        (lambda: sks.aware_datetimes(zones=_NAMES), "aware_datetimes(zones)"),
        (lambda: sks.recurrences(zones=_NAMES), "recurrences(zones)"),
    ],
)
def test_zones_a_strategy_does_not_list_are_checked_as_they_are_drawn(
    strategy: Callable[[], st.SearchStrategy[object]], named: str
) -> None:
    # A mapped strategy's zones are known only as drawn: still WrongType, naming the option.
    drawn = strategy()

    @settings(max_examples=1, database=None)
    @given(drawn)
    def draw(_value: object) -> None:
        pass

    with pytest.raises(WrongType, match=re.escape(named)):
        draw()


@given(
    sks.timespans(
        min_start=datetime(2026, 5, 1, 10, tzinfo=ZoneInfo("Europe/Berlin")),
        max_start=datetime(2026, 5, 1, 8, 0, 30, tzinfo=UTC),
    )
)
def test_aware_timespans_bounds_are_read_as_the_instants_they_are(span: TimeSpan) -> None:
    assert (
        datetime(2026, 5, 1, 8, tzinfo=UTC)
        <= span.start
        <= datetime(2026, 5, 1, 8, 0, 30, tzinfo=UTC)
    )


@settings(max_examples=20)
@given(
    st.tuples(
        sks.timezones(("UTC", "Asia/Kolkata")),
        sks.rules(frequencies=("MINUTELY", "SECONDLY"), allow_count=False, allow_until=False),
        sks.recurrences(disambiguate=("skip", "raise"), with_exdates=False),
        sks.daily_hours(max_size=1),
        sks.weekly_hours(min_days=7),
        sks.availabilities(first_day=date(2026, 3, 29), last_day=date(2026, 3, 29)),
        sks.booking_rules(zones=["UTC"]),
        sks.sessions(lifecycles=(PRESETS.get("lms"),), resource_kinds=(), generated=True),
        sks.booked_sessions(max_bookings=0, roles=("coach",)),
    )
)
def test_the_edges_of_every_option_still_draw(values: tuple[object, ...]) -> None:
    zone, rule, _, hours, week, _, rules, session, booked = values
    assert str(zone) in ("UTC", "Asia/Kolkata")
    assert isinstance(rule, Rule)
    assert rule.freq in ("MINUTELY", "SECONDLY")
    assert (rule.count, rule.until) == (None, None)
    assert isinstance(hours, list)
    assert len(hours) == 1
    assert isinstance(week, dict)
    assert len(week) == 7
    assert isinstance(rules, BookingRules)
    assert rules.zone == "UTC"
    assert isinstance(session, Session)
    assert (session.resources, session.lifecycle) == ((), "lms")
    assert isinstance(booked, sks.BookedSession)
    assert booked.bookings == ()


# ----------------------------------------------------- lifecycles, bounds, gaps and expansion

_PAYMENT_LIKE = Lifecycle(
    "refund_flow",
    statuses=[Status("OPEN", initial=True, busy=True), Status("DONE", terminal=True)],
    transitions=[Transition("close", "OPEN", "DONE")],
    subject="payment",
)


@given(sks.sessions())
def test_sessions_are_drawn_only_of_lifecycles_that_drive_sessions(session: Session) -> None:
    assert PRESETS.get(session.lifecycle).subject == "session"
    assert session.lifecycle != "consulting_payment"


def test_the_default_lifecycles_are_the_session_presets() -> None:
    drawn: set[str] = set()

    @settings(max_examples=300, database=None)
    @given(sks.sessions(generated=False))
    def collect(session: Session) -> None:
        drawn.add(session.lifecycle)

    collect()
    assert drawn == {"lms", "academy", "consulting", "coaching", "marketplace"}


@pytest.mark.parametrize("strategy", [sks.sessions, sks.booked_sessions])
@pytest.mark.parametrize("lifecycle", ["consulting_payment", _PAYMENT_LIKE])
def test_a_lifecycle_of_another_subject_is_refused_as_the_services_refuse_it(
    strategy: Callable[..., object], lifecycle: Lifecycle | str
) -> None:
    with pytest.raises(LifecycleNotApplicable) as caught:
        strategy(lifecycles=["lms", lifecycle])
    name = lifecycle if isinstance(lifecycle, str) else lifecycle.name
    assert (caught.value.lifecycle, caught.value.subject, caught.value.expected) == (
        name,
        "payment",
        "session",
    )
    assert caught.value.__notes__ == [
        f"from the option {strategy.__name__}(lifecycles={['lms', lifecycle]!r})"
    ]


_BERLIN = ZoneInfo("Europe/Berlin")
_HALF = datetime(2026, 1, 1, 0, 0, 0, 500_000)


@pytest.mark.parametrize(
    ("strategy", "options"),
    [
        (
            sks.aware_datetimes,
            {"min_value": _HALF, "max_value": _HALF.replace(microsecond=900_000)},
        ),
        (sks.timespans, {"min_start": _HALF, "max_start": _HALF.replace(microsecond=900_000)}),
        (sks.aware_datetimes, {"min_value": datetime.max, "max_value": datetime.max}),
        (
            sks.sessions,
            {
                "min_start": datetime(2026, 5, 1, 8, 0, 30),
                "max_start": datetime(2026, 5, 1, 8, 0, 50),
            },
        ),
    ],
)
def test_bounds_with_no_whole_step_between_them_are_refused_when_built(
    strategy: Callable[..., object], options: dict[str, object]
) -> None:
    with pytest.raises(InvalidValue) as caught:
        strategy(**options)
    unit = "minute" if strategy is sks.sessions else "second"
    assert f"no whole {unit} lies between" in str(caught.value)


@given(
    sks.aware_datetimes(
        min_value=_HALF, max_value=_HALF + timedelta(seconds=2), zones=st.just(ZoneInfo("UTC"))
    )
)
def test_aware_datetimes_with_fractional_bounds_draw_the_whole_seconds_between(
    value: datetime,
) -> None:
    assert value.replace(tzinfo=None) in (
        datetime(2026, 1, 1, 0, 0, 1),
        datetime(2026, 1, 1, 0, 0, 2),
    )


@given(sks.timespans(min_start=_HALF, max_start=_HALF + timedelta(seconds=2)))
def test_timespans_with_fractional_bounds_start_on_the_whole_seconds_between(
    span: TimeSpan,
) -> None:
    assert span.start in (
        datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 2, tzinfo=UTC),
    )


@given(
    sks.sessions(min_start=datetime(2026, 5, 1, 8, 0, 30), max_start=datetime(2026, 5, 1, 8, 2, 30))
)
def test_sessions_start_on_whole_minutes_inside_bounds_that_are_not(session: Session) -> None:
    assert session.start in (
        datetime(2026, 5, 1, 8, 1, tzinfo=UTC),
        datetime(2026, 5, 1, 8, 2, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "zones", [st.just(_BERLIN), sks.timezones(["Europe/Berlin"]), st.sampled_from([_BERLIN])]
)
def test_bounds_holding_only_a_dst_gap_are_refused_when_built(
    zones: st.SearchStrategy[ZoneInfo],
) -> None:
    with pytest.raises(InvalidValue) as caught:
        sks.aware_datetimes(
            min_value=datetime(2026, 3, 29, 2), max_value=datetime(2026, 3, 29, 2, 59), zones=zones
        )
    assert "DST gap" in str(caught.value)
    assert "Europe/Berlin" in str(caught.value)


@settings(max_examples=20)
@given(
    sks.aware_datetimes(
        min_value=datetime(2026, 3, 29, 2),
        max_value=datetime(2026, 3, 29, 3),
        zones=st.just(_BERLIN),
    )
)
def test_bounds_holding_a_gap_and_its_end_draw_the_end(value: datetime) -> None:
    assert value == datetime(2026, 3, 29, 3, tzinfo=_BERLIN)
    assert value.utcoffset() == timedelta(hours=2)


@given(
    sks.aware_datetimes(
        min_value=datetime(2026, 3, 29, 2),
        max_value=datetime(2026, 3, 29, 2, 59),
        zones=st.sampled_from([_BERLIN, ZoneInfo("UTC")]),
    )
)
def test_a_zone_whose_gap_covers_the_bounds_is_left_out_of_the_pool(value: datetime) -> None:
    assert value.tzinfo == ZoneInfo("UTC")
    assert datetime(2026, 3, 29, 2) <= value.replace(tzinfo=None) <= datetime(2026, 3, 29, 2, 59)


def test_zones_it_cannot_list_that_all_gap_over_the_bounds_fail_the_filter_health_check() -> None:
    # Known only as each zone is drawn: filtered out, as documented, never an InvalidValue.
    @given(
        sks.aware_datetimes(
            min_value=datetime(2026, 3, 29, 2, 10),
            max_value=datetime(2026, 3, 29, 2, 50),
            zones=st.builds(lambda: _BERLIN),
        )
    )
    def draws(_value: datetime) -> None:
        raise AssertionError("nothing exists in Berlin between the bounds")

    with pytest.raises(FailedHealthCheck) as caught:
        draws()
    assert "filter" in str(caught.value)


@given(
    sks.aware_datetimes(
        min_value=datetime(2026, 3, 29, 1, 59, 58),
        max_value=datetime(2026, 3, 29, 2, 30),
        zones=st.sampled_from([_BERLIN]).map(lambda zone: zone),  # zones it cannot list
    )
)
def test_a_wall_time_in_a_gap_is_moved_to_the_last_second_before_it(value: datetime) -> None:
    # From 02:00 to 02:30 nothing exists in Berlin that night: only 01:59:58 and :59 are drawn.
    assert value.replace(tzinfo=None) in (
        datetime(2026, 3, 29, 1, 59, 58),
        datetime(2026, 3, 29, 1, 59, 59),
    )
    assert value.utcoffset() == timedelta(hours=1)


_EDGE_FOR_ALL = datetime(9999, 12, 31, 5, 14)  # LAST - 5 hours - 13:45 (Chatham), in minutes


@pytest.mark.parametrize(
    ("bound", "zones"),
    [
        (datetime(9999, 12, 31, 18), ["Pacific/Chatham"]),
        (datetime(9999, 12, 31, 18), sks.DST_ZONES),
        (_EDGE_FOR_ALL + timedelta(minutes=1), sks.DST_ZONES),
        (datetime(9999, 12, 31, 5), ["Pacific/Kiritimati"]),
    ],
)
def test_a_start_bound_with_no_room_for_a_zone_ahead_of_utc_is_refused(
    bound: datetime, zones: list[str]
) -> None:
    with pytest.raises(InvalidValue) as caught:
        sks.sessions(min_start=bound, max_start=bound, zones=zones)
    assert "min_start=9999-12-31" in str(caught.value)
    assert ("Pacific/Kiritimati" if zones == ["Pacific/Kiritimati"] else "Pacific/Chatham") in str(
        caught.value
    )


@settings(max_examples=30)
@given(sks.sessions(min_start=_EDGE_FOR_ALL, max_start=_EDGE_FOR_ALL, generated=True))
def test_sessions_draw_at_the_last_start_they_take_in_every_zone(session: Session) -> None:
    assert session.start == _EDGE_FOR_ALL.replace(tzinfo=UTC)
    local = session.start.astimezone(ZoneInfo(session.tz)).replace(tzinfo=None)
    assert session.occurrence_key == local


@settings(max_examples=30)
@given(
    sks.sessions(
        min_start=datetime(9999, 12, 31, 18), max_start=datetime(9999, 12, 31, 18), zones=["UTC"]
    )
)
def test_sessions_in_utc_alone_keep_the_room_they_had(session: Session) -> None:
    assert session.start == datetime(9999, 12, 31, 18, tzinfo=UTC)


_SUB_DAILY = sks.recurrences(
    rule_strategy=sks.rules(frequencies=("MINUTELY", "SECONDLY")), zones=sks.timezones()
)


def _first_starts(rec: Recurrence, start: datetime, end: datetime) -> set[datetime]:
    """The starts of ``rec``'s first 50 occurrences in ``[start, end)`` (those found in budget)."""
    found: set[datetime] = set()
    try:
        for occ in itertools.islice(rec.between(start, end), 50):
            found.add(occ.span.start)
    except ExpansionLimitExceeded:  # a rule that ends early leaves seconds to look through
        pass
    return found


@settings(max_examples=40, deadline=None)
@given(_SUB_DAILY)
def test_recurrences_of_sub_daily_rules_draw_with_exdates_among_their_first_occurrences(
    rec: Recurrence,
) -> None:
    assert rec.rule.freq in ("MINUTELY", "SECONDLY")
    assert len(rec.exdates) <= 3
    plain = Recurrence.from_rrule(
        rec.rule, start=rec.start, tz=rec.tz, duration=rec.duration, disambiguate=rec.disambiguate
    )
    first_day = datetime.combine(rec.start.date(), datetime.min.time(), tzinfo=UTC)
    window = (first_day - timedelta(days=1), first_day + timedelta(days=400))
    assert set(rec.exdates) <= _first_starts(plain, *window)
    assert not _first_starts(rec, *window) & set(rec.exdates)


def test_recurrences_of_sub_daily_rules_draw_exdates() -> None:
    # One draw in about 30 sets of 100 found none: find stops at the first, so ask for more.
    wide = settings(database=None, max_examples=2_000)
    found = find(_SUB_DAILY, lambda rec: len(rec.exdates) >= 2, settings=wide)
    assert len(found.exdates) >= 2


# ------------------------------------------------------------------------------ hostile values


_VALUES = settings(max_examples=5000, database=None)


@pytest.mark.parametrize(
    "expected", ["x" * 129, "FREQ=SECONDLY", "FREQ=DAILY;INTERVAL=" + "9" * 5000, "s\u0131"]
)
def test_hostile_values_draw_the_ids_and_rules_the_table_lists(expected: str) -> None:
    # docs/testing.md: values() draws "any of the above": ids() and rules() among them.
    assert find(hostile.values(), lambda value: value == expected, settings=_VALUES) == expected


def _depth(value: object) -> int:
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    return depth


def test_hostile_values_draw_metadata_and_cursors() -> None:
    def nested(value: object) -> bool:  # 31 or 33 deep: 5,000 deep is more than find() shows
        return isinstance(value, dict) and _depth(value.get("deep")) in (31, 33)

    deep = find(hostile.values(), nested, settings=_VALUES)
    expected: object = 1
    for _ in range(31):
        expected = [expected]
    assert deep == {"deep": expected}

    def crafted(value: object) -> bool:
        if not isinstance(value, str):
            return False
        try:
            decoded = json.loads(base64.urlsafe_b64decode(value))
        except ValueError:
            return False
        return isinstance(decoded, dict) and set(decoded) == {"o", "v", "i"}

    cursor = find(hostile.values(), crafted, settings=_VALUES)
    assert set(json.loads(base64.urlsafe_b64decode(cursor))) == {"o", "v", "i"}


@pytest.mark.parametrize(
    "drawn",
    [
        lambda r: r.waitlist,
        lambda r: not r.lock_booked,
        lambda r: r.publish_in_horizon,
        lambda r: not r.publish_in_horizon,
        lambda r: r.when_emptied == "cancel",
        lambda r: r.when_emptied is None,
    ],
)
def test_booking_rules_draw_every_field_each_way(drawn: Callable[[BookingRules], bool]) -> None:
    found = find(sks.booking_rules(), drawn, settings=settings(max_examples=2_000))
    assert drawn(found)


@pytest.mark.parametrize(
    ("low", "high"),
    [(datetime(1, 1, 1), datetime(1, 1, 1, 12)), (datetime(9999, 12, 31, 12), datetime.max)],
)
def test_aware_datetimes_never_draws_a_wall_time_without_a_utc_instant(
    low: datetime, high: datetime
) -> None:
    # Year 1 in Berlin (+00:53:28) and 9999-12-31 19:00 in New York have no UTC instant:
    # drawn, every sessionkit call with them raised. Bounds holding only such times are refused.
    with pytest.raises(InvalidValue, match="within a day of the datetime range's ends"):
        sks.aware_datetimes(min_value=low, max_value=high)
    edge = low if low.year == 1 else high
    near = (
        sks.aware_datetimes(min_value=low, max_value=datetime(1, 1, 3))
        if low.year == 1
        else sks.aware_datetimes(min_value=datetime(9999, 12, 29), max_value=high)
    )

    @given(near)
    @settings(max_examples=200)
    def has_an_instant(value: datetime) -> None:
        assert value.astimezone(UTC) - edge.replace(tzinfo=UTC) != timedelta(0)  # no overflow

    has_an_instant()


def test_booked_sessions_names_its_own_option_when_no_lifecycle_takes_bookings() -> None:
    door = Lifecycle(
        "door",
        statuses=[Status("SCHEDULED", initial=True), Status("DONE", terminal=True)],
        transitions=[Transition("close", "SCHEDULED", "DONE")],
    )
    with pytest.raises(InvalidValue) as refused:
        sks.booked_sessions(lifecycles=[door])
    assert refused.value.__notes__ == [f"from the option booked_sessions(lifecycles=[{door!r}])"]


def test_availabilities_takes_zone_names_as_typed() -> None:
    zones: st.SearchStrategy[ZoneInfo | str] = st.sampled_from(["Europe/Berlin", "Asia/Tokyo"])
    drawn = find(sks.availabilities(zones=zones), lambda a: a.zone.key == "Asia/Tokyo")
    assert drawn.zone == ZoneInfo("Asia/Tokyo")


@settings(max_examples=20)
@given(sks.daily_hours(max_size=96))
def test_daily_hours_at_its_largest_size_draws_within_the_health_checks(
    hours: list[tuple[time, time]],
) -> None:
    assert 1 <= len(hours) <= 96
    assert all(start < end or end == time(0) for start, end in hours)


def _local_offset(session: Session) -> timedelta:
    return session.start.astimezone(ZoneInfo(session.tz)).utcoffset() or timedelta()


def test_the_default_zones_reach_far_behind_utc_where_an_evening_is_tomorrow_in_utc() -> None:
    # The pool went no further west than UTC-5 in the sessions() window (2026-2027): a rule
    # that takes a session's UTC date for its local date held for every draw.
    for day in (datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC)):
        offsets = [day.astimezone(ZoneInfo(name)).utcoffset() for name in sks.DST_ZONES]
        assert min(o for o in offsets if o is not None) <= timedelta(hours=-8)

    def far_west_evening(session: Session) -> bool:
        local = session.start.astimezone(ZoneInfo(session.tz))
        return _local_offset(session) <= timedelta(hours=-7) and local.date() != (
            session.start.astimezone(UTC).date()
        )

    found = find(sks.sessions(), far_west_evening)
    assert _local_offset(found) <= timedelta(hours=-7)
