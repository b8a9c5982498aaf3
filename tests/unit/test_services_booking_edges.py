"""Bookings at the edges a new user met: seats owed to the waitlist, sessions over, lapsed holds.

And waitlist places, which run out when their session starts.

Each test replays what a first try of the library found (on the in-memory store;
the store-level reads are in the contract suite, on every adapter).
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from sessionkit.errors import (
    BookingRefused,
    CapacityExceeded,
    HoldExpired,
    InvalidDuration,
    InvalidTransition,
    InvalidValue,
    NaiveDatetime,
    WrongType,
)
from sessionkit.model import Session
from sessionkit.model.booking import (
    BOOKING_LIFECYCLE,
    BOOKING_STATUSES,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HELD,
    OFFERED,
    WAITLISTED,
)
from sessionkit.model.booking_events import BookingExpired, BookingOffered
from sessionkit.policies import BookingRules, Pricing
from sessionkit.testing.harness import Harness

from ._bookings_support import (
    ANA,
    BEN,
    CAI,
    DAN,
    NOW,
    RULES,
    T,
    booking_events,
    harness,
    slot,
    statuses,
)


@pytest.fixture
def h() -> Harness:
    return harness()


def offered(h: Harness) -> list[str]:
    return [e.booking.id for e in h.events.events if isinstance(e, BookingOffered)]


def listed(h: Harness, session: Session) -> list[tuple[str, int, int]]:
    found = h.kit.bookings.bookable(T, start=NOW, end=session.end + timedelta(days=1))
    return [(b.session_id, b.taken, b.remaining) for b in found]


# ------------------------------------------------------------------ seats owed to the waitlist


def test_seats_owed_to_the_waitlist_are_free_for_no_newcomer_in_any_read(h: Harness) -> None:
    s = slot(h, capacity=3)
    h.kit.bookings.book(T, s.id, ANA, actor=None, seats=2, confirm=True)
    al = h.kit.bookings.book(T, s.id, CAI, actor=None, confirm=True)
    ben = h.kit.bookings.book(T, s.id, BEN, actor=None, seats=2, waitlist=True)
    assert ben.status == WAITLISTED
    h.kit.bookings.cancel(T, al.id, actor="al")  # 1 seat frees; Ben needs 2 and keeps waiting
    assert statuses(h, s.id) == {ANA: CONFIRMED, CAI: CANCELLED, BEN: WAITLISTED}
    assert h.kit.bookings.remaining_seats(T, [s.id]) == {s.id: 0}
    assert listed(h, s) == []
    assert h.kit.bookings.can_book(T, s.id, DAN) is not None
    with pytest.raises(CapacityExceeded) as caught:
        h.kit.bookings.book(T, s.id, DAN, actor=None)
    full = caught.value
    assert (full.capacity, full.taken, full.waiting, full.asked, full.remaining) == (3, 2, 2, 1, 0)
    assert str(full) == (
        f"session {s.id!r} has 0 of 3 seat(s) free (2 taken, 2 waited for on its waitlist"
        " ahead of newcomers); 1 asked for"
    )
    # Ana lets one seat go: Ben is offered both, and nothing is left for a newcomer.
    h.kit.bookings.cancel(T, h.kit.bookings.for_participant(T, ANA)[0].id, actor="ana")
    assert statuses(h, s.id)[BEN] == OFFERED
    assert h.kit.bookings.remaining_seats(T, [s.id]) == {s.id: 1}
    assert listed(h, s) == [(s.id, 2, 1)]


def test_a_hold_that_ran_out_while_someone_waits_frees_no_seat_for_a_newcomer(
    h: Harness,
) -> None:
    s = slot(h, capacity=2)
    h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    h.kit.bookings.book(T, s.id, BEN, actor=None)  # a hold for 15 minutes
    h.kit.bookings.book(T, s.id, CAI, actor=None, waitlist=True)
    h.clock.advance(timedelta(minutes=20))  # Ben's hold ran out; no job has run
    assert h.kit.bookings.remaining_seats(T, [s.id]) == {s.id: 0}
    assert listed(h, s) == []
    with pytest.raises(CapacityExceeded) as caught:
        h.kit.bookings.book(T, s.id, DAN, actor=None)
    # Ana's seat is taken and Cai is owed Ben's (the offer made while settling is rolled back).
    assert (caught.value.taken, caught.value.waiting, caught.value.remaining) == (1, 1, 0)
    assert statuses(h, s.id) == {ANA: CONFIRMED, BEN: HELD, CAI: WAITLISTED}  # rolled back


def test_a_waiting_booking_that_fits_leaves_the_rest_to_newcomers(h: Harness) -> None:
    s = slot(h, capacity=4)
    h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True, seats=2)
    h.kit.bookings.book(T, s.id, BEN, actor=None, seats=2)  # a hold, full now
    h.kit.bookings.book(T, s.id, CAI, actor=None, waitlist=True)
    h.clock.advance(timedelta(minutes=20))  # Ben's 2 seats free; Cai is owed 1
    assert h.kit.bookings.remaining_seats(T, [s.id]) == {s.id: 1}
    assert listed(h, s) == [(s.id, 2, 1)]
    dan = h.kit.bookings.book(T, s.id, DAN, actor=None)
    assert dan.status == HELD
    assert statuses(h, s.id) == {ANA: CONFIRMED, BEN: EXPIRED, CAI: OFFERED, DAN: HELD}


# ------------------------------------------------------------------ sessions that take no bookings


def test_a_seat_freed_after_the_start_is_offered_to_nobody(h: Harness) -> None:
    s = slot(h, capacity=1)
    ana = h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    ben = h.kit.bookings.book(T, s.id, BEN, actor=None, waitlist=True)
    h.clock.set(s.start + timedelta(minutes=5))
    h.kit.sessions.fire(T, s.id, "start", actor="tina")
    h.kit.bookings.cancel(T, ana.id, actor="tina", role="provider")  # while it runs
    assert statuses(h, s.id) == {ANA: CANCELLED, BEN: EXPIRED}  # the place ran out at the start
    assert offered(h) == []
    with pytest.raises(InvalidTransition):
        h.kit.bookings.confirm(T, ben.id, actor="ben")


def test_a_hold_asked_to_run_past_the_start_ends_at_the_start(h: Harness) -> None:
    s = slot(h, capacity=1)
    ana = h.kit.bookings.book(
        T, s.id, ANA, actor=None, hold_for=s.start - NOW + timedelta(minutes=10)
    )
    assert ana.hold_expires_at == s.start
    h.kit.bookings.book(T, s.id, BEN, actor=None, waitlist=True)
    h.clock.set(s.start + timedelta(minutes=5))
    with pytest.raises(HoldExpired) as refused:  # no seat is taken once the session started
        h.kit.bookings.confirm(T, ana.id, actor="ana")
    assert refused.value.expired_at == s.start
    # Not "book again": the session takes no booking once it started.
    assert (refused.value.started, refused.value.offer) == (True, False)
    assert str(refused.value).endswith(
        "it ran out as the session started, which takes no more bookings"
    )
    h.clock.set(s.start + timedelta(minutes=30))
    report = h.kit.expire_holds(T)
    assert (report.expired, report.offered) == (2, 0)  # Ana's hold and Ben's place
    assert statuses(h, s.id) == {ANA: EXPIRED, BEN: EXPIRED}
    assert offered(h) == []


def test_a_seat_freed_before_the_start_is_still_offered(h: Harness) -> None:
    s = slot(h, capacity=1)
    ana = h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    ben = h.kit.bookings.book(T, s.id, BEN, actor=None, waitlist=True)
    h.clock.set(s.start - timedelta(minutes=1))
    h.kit.bookings.cancel(T, ana.id, actor="ana")
    assert offered(h) == [ben.id]


# ------------------------------------------------------------------ cancelling a lapsed hold


@pytest.mark.parametrize("job_ran", [False, True], ids=["no-job", "after-the-job"])
def test_cancelling_a_hold_that_ran_out_is_refused_whether_or_not_the_job_ran(
    h: Harness, job_ran: bool
) -> None:
    s = slot(h, capacity=1)
    hold = h.kit.bookings.book(T, s.id, ANA, actor="ana")
    h.clock.advance(timedelta(minutes=20))
    if job_ran:
        h.kit.expire_holds(T)
    stored = h.kit.bookings.get(T, hold.id)
    seen = len(h.events.events)
    with pytest.raises(InvalidTransition) as caught:
        h.kit.bookings.cancel(T, hold.id, actor="ana")
    assert EXPIRED in str(caught.value)
    assert h.kit.bookings.get(T, hold.id) == stored  # nothing written
    assert len(h.events.events) == seen


# ------------------------------------------------------------------ limits and waitlist places


def test_a_waitlist_place_counts_in_the_per_day_limit() -> None:
    rules = BookingRules(per_day=1, waitlist=True)
    h = harness(rules)
    morning, evening = slot(h, capacity=1, hour=8), slot(h, capacity=1, hour=16)
    ben = h.kit.bookings.book(T, morning.id, BEN, actor=None, confirm=True)
    place = h.kit.bookings.book(T, morning.id, ANA, actor=None, waitlist=True)
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, evening.id, ANA, actor=None, confirm=True)
    assert caught.value.rule == "per_day"
    assert "waitlist place" in str(caught.value)
    # So the offer Ana gets when Ben cancels keeps her within the limit.
    h.kit.bookings.cancel(T, ben.id, actor="ben")
    assert h.kit.bookings.confirm(T, place.id, actor="ana").status == CONFIRMED
    assert [b.session_id for b in h.kit.bookings.for_participant(T, ANA)] == [morning.id]
    # Letting the place go frees the day again.
    h.kit.bookings.cancel(T, place.id, actor="ana")
    assert h.kit.bookings.book(T, evening.id, ANA, actor=None).status == HELD


def test_a_booking_rules_function_returning_no_rules_is_a_typed_error() -> None:
    def broken(_session: Session) -> BookingRules:
        return None  # type: ignore[return-value]  # the host's mistake under test

    h = Harness.in_memory(NOW, booking_rules=broken)
    with pytest.raises(WrongType) as caught:
        slot(h)
    assert caught.value.expected == "BookingRules"
    assert "booking_rules(session" in str(caught.value)
    assert booking_events(h) == []


def test_a_pricing_function_returning_no_pricing_is_a_typed_error() -> None:
    # It raised AttributeError ('str' object has no attribute 'price') from inside a booking.
    def broken(_session: Session) -> Pricing | None:
        return "40 EUR"  # type: ignore[return-value]  # the host's mistake under test

    h = Harness.in_memory(NOW, pricing=broken)
    session = slot(h)
    with pytest.raises(WrongType) as caught:
        h.kit.bookings.book(T, session.id, ANA, actor=None)
    assert caught.value.expected == "a Pricing or None"
    assert f"pricing(session '{session.id}')" in str(caught.value)
    assert booking_events(h) == []
    assert h.kit.bookings.for_session(T, session.id) == []
    free = Harness.in_memory(NOW, pricing=lambda _session: None)
    assert free.kit.bookings.book(T, slot(free).id, ANA, actor=None).status == HELD


def test_rules_whose_notice_outlasts_their_horizon_are_refused() -> None:
    # Such rules refuse every start, and the horizon's allows_at would name an instant the
    # notice refuses: a user would chase a booking that can never be made.
    with pytest.raises(InvalidValue) as caught:
        BookingRules(min_notice=timedelta(days=2), max_horizon=timedelta(days=1))
    assert caught.value.value == timedelta(days=2)
    assert "max_horizon (1 day)" in str(caught.value)
    edge = BookingRules(min_notice=timedelta(days=1), max_horizon=timedelta(days=1))
    assert edge.min_notice == edge.max_horizon  # one instant per session: allowed


def test_rules_with_a_horizon_of_zero_are_refused() -> None:
    # Before, every booking was refused "max_horizon" with allows_at the session's start,
    # an instant at which it is refused "in_the_past": a wait that never ends.
    with pytest.raises(InvalidDuration) as caught:
        BookingRules(max_horizon=timedelta(0))
    assert caught.value.value == timedelta(0)
    assert "max_horizon of 0 lets no session be booked" in str(caught.value)
    assert BookingRules(max_horizon=timedelta(microseconds=1)).max_horizon == timedelta(
        microseconds=1
    )


@pytest.mark.parametrize("seats", [True, False])
def test_a_bool_is_no_number_of_seats(h: Harness, seats: bool) -> None:
    s = slot(h, capacity=2)
    with pytest.raises(WrongType) as caught:
        h.kit.bookings.book(T, s.id, ANA, actor=None, seats=seats)
    assert (caught.value.name, caught.value.value) == ("seats", seats)
    with pytest.raises(WrongType):
        h.kit.bookings.can_book(T, s.id, ANA, seats=seats)
    assert h.kit.bookings.for_session(T, s.id) == []


# ------------------------------------------------------------------ waitlists end at the start


def full_with_a_waitlist(h: Harness, **where: int) -> tuple[Session, str, str]:
    """A 1-seat session booked by Ana, Ben waiting: the session and both booking ids."""
    s = slot(h, capacity=1, **where)
    ana = h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    ben = h.kit.bookings.book(T, s.id, BEN, actor=None, waitlist=True)
    return s, ana.id, ben.id


def test_the_tick_expires_a_waitlist_place_when_its_session_starts(h: Harness) -> None:
    s, _, ben = full_with_a_waitlist(h)
    h.clock.set(s.start - timedelta(seconds=1))
    assert h.kit.expire_holds(T).expired == 0
    assert statuses(h, s.id)[BEN] == WAITLISTED
    h.clock.set(s.start + timedelta(minutes=3))
    assert h.kit.expire_holds(T).expired == 1
    assert statuses(h, s.id) == {ANA: CONFIRMED, BEN: EXPIRED}
    [event] = [e for e in h.events.events if isinstance(e, BookingExpired)]
    assert (event.booking.id, event.change.transition) == (ben, "lapse")
    assert (event.change.from_status, event.change.to_status) == (WAITLISTED, EXPIRED)
    assert event.change.timed
    assert event.change.at == s.start  # dated when it ran out, not when the job ran
    assert h.kit.expire_holds(T).expired == 0  # done once


@pytest.mark.parametrize("job_ran", [False, True], ids=["no-job", "after-the-job"])
def test_a_waitlist_place_of_a_started_session_is_out_of_play_whether_or_not_the_job_ran(
    h: Harness, job_ran: bool
) -> None:
    s, _, ben = full_with_a_waitlist(h)
    h.clock.set(s.start + timedelta(minutes=1))
    if job_ran:
        h.kit.expire_holds(T)
    with pytest.raises(InvalidTransition) as caught:
        h.kit.bookings.cancel(T, ben, actor="ben")
    assert EXPIRED in str(caught.value)
    with pytest.raises(InvalidTransition):
        h.kit.bookings.confirm(T, ben, actor="ben")


def test_a_waitlist_place_that_ran_out_no_longer_counts_in_the_per_day_limit() -> None:
    h = harness(BookingRules(per_day=1, waitlist=True, min_notice=timedelta(0)))
    morning, _, _ = full_with_a_waitlist(h, hour=8)
    evening = slot(h, capacity=1, hour=16)
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, evening.id, BEN, actor=None)
    assert caught.value.rule == "per_day"
    h.clock.set(morning.start + timedelta(minutes=5))  # Ben never got a seat that morning
    assert h.kit.bookings.book(T, evening.id, BEN, actor=None).status == HELD


def test_sessions_that_take_no_bookings_have_no_seats_free(h: Harness) -> None:
    later, cancelled, started = slot(h, capacity=3, hour=12), slot(h, capacity=3), slot(h, day=3)
    h.kit.sessions.cancel(T, cancelled.id, actor="tina")
    h.clock.set(started.start + timedelta(minutes=1))
    ids = [later.id, cancelled.id, started.id, "nope"]
    assert h.kit.bookings.remaining_seats(T, ids) == {later.id: 3, cancelled.id: 0, started.id: 0}
    listed_ids = [b.session_id for b in h.kit.bookings.bookable(T, start=NOW, end=later.end)]
    assert listed_ids == [later.id]  # the reads agree


@pytest.mark.parametrize("job_ran", [False, True], ids=["no-job", "after-the-job"])
def test_moving_a_started_session_later_brings_no_waitlist_place_back(job_ran: bool) -> None:
    h = harness(BookingRules(waitlist=True, lock_booked=False))
    s, ana, ben = full_with_a_waitlist(h)
    h.clock.set(s.start + timedelta(minutes=1))  # the lesson did not happen: it moves to noon
    if job_ran:
        h.kit.expire_holds(T)
    h.kit.sessions.update(T, s.id, actor="tina", start=s.start + timedelta(hours=2))
    assert statuses(h, s.id) == {ANA: CONFIRMED, BEN: EXPIRED}  # the same either way
    assert h.kit.bookings.get(T, ben).session_start == s.start + timedelta(hours=2)
    h.kit.bookings.cancel(T, ana, actor="ana")
    assert offered(h) == []
    [lapsed] = [e for e in h.events.events if isinstance(e, BookingExpired)]
    assert (lapsed.booking.id, lapsed.change.at) == (ben, s.start)


def test_a_waitlist_place_ends_at_the_move_of_its_session_to_a_start_already_past() -> None:
    h = harness(BookingRules(waitlist=True, lock_booked=False))
    s, _, ben = full_with_a_waitlist(h, day=4, hour=10)
    h.clock.set(s.start - timedelta(minutes=30))
    # Recorded late: the lesson really ran two hours earlier than published.
    h.kit.sessions.update(T, s.id, actor="tina", start=s.start - timedelta(hours=2))
    assert statuses(h, s.id) == {ANA: CONFIRMED, BEN: EXPIRED}
    [lapsed] = [e for e in h.events.events if isinstance(e, BookingExpired)]
    assert (lapsed.booking.id, lapsed.change.transition) == (ben, "lapse")
    assert lapsed.change.at == h.clock.now()  # when it ended, not before Ben joined
    assert lapsed.reason == "the session moved to a start already past"


@pytest.mark.parametrize("field", ["waitlist", "lock_booked"])
@pytest.mark.parametrize("value", ["false", 0, 1, None])
def test_booking_rules_flags_are_booleans(field: str, value: object) -> None:
    # "false" is truthy: taken as a flag, it would turn the waitlist on.
    with pytest.raises(WrongType) as caught:
        BookingRules(**{field: value})  # type: ignore[arg-type]
    assert (caught.value.value, caught.value.name) == (value, f"BookingRules.{field}")
    assert getattr(BookingRules(**{field: False}), field) is False  # type: ignore[arg-type]


def test_status_at_is_what_the_commands_judge_a_stored_booking_by(h: Harness) -> None:
    s = slot(h, capacity=1)  # starts March 4, 10:00; holds last 15 minutes
    held = h.kit.bookings.book(T, s.id, ANA, actor=None)
    queued = h.kit.bookings.book(T, s.id, BEN, actor=None, waitlist=True)
    assert (held.status_at(NOW), queued.status_at(NOW)) == (HELD, WAITLISTED)
    h.clock.advance(timedelta(minutes=15))  # the hold ran out; no job has run
    stored = h.kit.bookings.get(T, held.id)
    assert (stored.status, stored.status_at(h.clock.now())) == (HELD, EXPIRED)
    assert stored.status_at(h.clock.now() - timedelta(microseconds=1)) == HELD
    assert queued.status_at(s.start) == EXPIRED  # a waitlist place runs out at the start
    with pytest.raises(InvalidTransition):  # the commands agree
        h.kit.bookings.cancel(T, held.id, actor="ana")
    with pytest.raises(NaiveDatetime):
        held.status_at(NOW.replace(tzinfo=None))


def test_a_status_filter_names_booking_statuses_only(h: Harness) -> None:
    s = slot(h, capacity=1)
    made = h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    assert h.kit.bookings.for_session(T, s.id, statuses=["CONFIRMED"]) == [made]
    assert h.kit.bookings.for_participant(T, ANA, statuses=("CONFIRMED",)) == [made]
    # A bare string is no collection of statuses, even a status's name ("CONFIRMED").
    for wrong in (["confirmed"], ["CONFIRMED", "BOOKED"], "NEW", "CONFIRMED"):
        with pytest.raises(InvalidValue) as caught:
            h.kit.bookings.for_session(T, s.id, statuses=wrong)
        assert caught.value.value in {"confirmed", "BOOKED", "NEW", "CONFIRMED"}
        with pytest.raises(InvalidValue):
            h.kit.bookings.for_participant(T, ANA, statuses=wrong)
    stored = {x.name for x in BOOKING_LIFECYCLE.statuses if not x.initial}
    assert stored == BOOKING_STATUSES


def test_a_seat_a_move_finds_run_out_is_offered_to_the_waitlist_at_the_new_time() -> None:
    # The move marks the run-out hold EXPIRED itself: the expiry job then found nothing
    # to settle, and the seat stayed owed to a waitlist nobody offered it to.
    h = harness(attrs.evolve(RULES, lock_booked=False))
    s = slot(h, capacity=1)
    h.kit.bookings.book(T, s.id, ANA, actor=None)
    ben = h.kit.bookings.book(T, s.id, BEN, actor=None, waitlist=True)
    h.kit.bookings.book(T, s.id, CAI, actor=None, waitlist=True)
    h.clock.advance(timedelta(minutes=20))  # Ana's 15-minute hold ran out; no job ran
    later = s.start + timedelta(days=1)
    h.kit.sessions.update(T, s.id, actor="tina", start=later)
    assert statuses(h, s.id) == {ANA: EXPIRED, BEN: OFFERED, CAI: WAITLISTED}
    offer = h.kit.bookings.get(T, ben.id)
    assert (offer.session_start, offer.hold_expires_at) == (later, h.clock.now() + RULES.offer_for)
    assert offered(h) == [ben.id]
    names = [type(e).__name__ for e in h.events.events[-3:]]
    assert names == ["BookingExpired", "SessionUpdated", "BookingOffered"]
    assert h.kit.expire_holds(T).offered == 0
    assert h.kit.bookings.confirm(T, ben.id, actor="ben").status == CONFIRMED


# ------------------------------------------------------------ holds and offers end by the start


def test_an_offer_claimable_past_the_start_ends_at_the_start(h: Harness) -> None:
    s = slot(h, capacity=1)
    ana = h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    ben = h.kit.bookings.book(T, s.id, BEN, actor=None, waitlist=True)
    h.clock.set(s.start - timedelta(minutes=30))  # RULES.offer_for is 2 hours
    h.kit.bookings.cancel(T, ana.id, actor="ana")
    offer = h.kit.bookings.get(T, ben.id)
    assert (offer.status, offer.hold_expires_at) == (OFFERED, s.start)
    h.clock.set(s.start + timedelta(minutes=10))
    assert offer.status_at(h.clock.now()) == EXPIRED
    with pytest.raises(HoldExpired):
        h.kit.bookings.confirm(T, ben.id, actor="ben")


@pytest.mark.parametrize("job_ran", [False, True], ids=["no-job", "after-the-job"])
def test_a_place_offered_before_the_start_is_not_confirmed_after_it_job_or_no_job(
    h: Harness, job_ran: bool
) -> None:
    # Before, the job running on time made Ben's offer last past the start (confirmable
    # then), while without the job his place had lapsed at the start (refused).
    s = slot(h, capacity=1)
    h.kit.bookings.book(T, s.id, ANA, actor=None, hold_for=s.start - NOW - timedelta(minutes=30))
    ben = h.kit.bookings.book(T, s.id, BEN, actor=None, waitlist=True)
    h.clock.set(s.start - timedelta(minutes=30))
    if job_ran:
        assert h.kit.expire_holds(T).offered == 1
        assert h.kit.bookings.get(T, ben.id).hold_expires_at == s.start
    h.clock.set(s.start + timedelta(minutes=10))
    assert h.kit.bookings.get(T, ben.id).status_at(h.clock.now()) == EXPIRED
    with pytest.raises((HoldExpired, InvalidTransition)):
        h.kit.bookings.confirm(T, ben.id, actor="ben")
    h.kit.expire_holds(T)
    assert statuses(h, s.id)[BEN] == EXPIRED


def test_a_session_moved_later_leaves_its_holds_end_where_it_was() -> None:
    # A hold keeps the expiry it was given: a move never lengthens it, not even one its
    # old start had cut short (the hold promised no more than that).
    h = harness(attrs.evolve(RULES, lock_booked=False))
    s = slot(h, capacity=2, day=2, hour=10)
    short = h.kit.bookings.book(T, s.id, ANA, actor=None)
    cut = h.kit.bookings.book(T, s.id, BEN, actor=None, hold_for=timedelta(hours=3))
    assert (short.hold_expires_at, cut.hold_expires_at) == (NOW + RULES.hold_for, s.start)
    later = s.start + timedelta(hours=4)
    h.kit.sessions.update(T, s.id, actor="tina", start=later, end=later + timedelta(hours=1))
    moved = [h.kit.bookings.get(T, b.id) for b in (short, cut)]
    assert [(b.status, b.session_start, b.hold_expires_at) for b in moved] == [
        (HELD, later, NOW + RULES.hold_for),
        (HELD, later, s.start),
    ]


def test_a_session_moved_earlier_brings_its_holds_end_forward() -> None:
    h = harness(attrs.evolve(RULES, lock_booked=False))
    s = slot(h, capacity=2)
    ana = h.kit.bookings.book(T, s.id, ANA, actor=None, hold_for=timedelta(hours=3))
    assert ana.hold_expires_at == NOW + timedelta(hours=3)
    earlier = NOW + timedelta(hours=1)
    h.kit.sessions.update(T, s.id, actor="tina", start=earlier, end=earlier + timedelta(hours=1))
    moved = h.kit.bookings.get(T, ana.id)
    assert (moved.status, moved.session_start, moved.hold_expires_at) == (HELD, earlier, earlier)
    # Recorded late: the lesson really began before now. The hold ends at the move.
    h.clock.set(NOW + timedelta(minutes=30))
    past = NOW + timedelta(minutes=10)
    h.kit.sessions.update(T, s.id, actor="tina", start=past, end=past + timedelta(hours=1))
    ended = h.kit.bookings.get(T, ana.id)
    assert (ended.status, ended.hold_expires_at) == (EXPIRED, h.clock.now())  # at the move
    last = booking_events(h)[-1]
    assert (type(last), last.booking.id, last.reason) == (
        BookingExpired,
        ana.id,
        "the session moved to a start already past",
    )
