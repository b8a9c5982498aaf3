"""The shipped strategies: every option they take draws values, bad bounds are refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionkit.errors import InvalidValue, SessionKitError
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Transition
from sessionkit.model import Session
from sessionkit.model.booking import (
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HELD,
    OFFERED,
    WAITLISTED,
    seats_taken,
)
from sessionkit.recurrence import Recurrence
from sessionkit.testing import strategies as sks
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
        assert session.start <= at
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
    st.sampled_from(
        [datetime(1, 4, 11, tzinfo=UTC), datetime(9999, 11, 21, 23, 59, 59, tzinfo=UTC)]
    ).flatmap(lambda at: sks.booked_sessions(at=at))
)
def test_booked_sessions_draw_at_the_ends_of_the_range_they_take(
    booked: sks.BookedSession,
) -> None:
    assert booked.session.created_at <= booked.at


@given(sks.booked_sessions())
def test_a_booked_session_fits_its_capacity_and_keeps_one_booking_in_play_each(
    booked: sks.BookedSession,
) -> None:
    session, found, at = booked.session, booked.bookings, booked.at
    assert session.busy
    assert abs(session.start - at) <= timedelta(days=30)
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


def test_booked_sessions_draw_each_shape_a_seat_property_needs() -> None:
    seen: set[str] = set()

    @settings(max_examples=300, database=None)
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

    collect()
    assert seen == {
        "full",
        "seats free",
        "started",
        "waitlist",
        "run-out hold",
        "offer",
        "participant again",
    }
