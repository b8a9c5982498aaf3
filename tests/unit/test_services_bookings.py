"""Booking commands and reads on the in-memory store: seats, holds, waitlists, rules, keys."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta

import attrs
import pytest

from sessionkit.errors import (
    AlreadyBooked,
    BookingNotFound,
    BookingRefused,
    CapacityExceeded,
    HoldExpired,
    IdempotencyKeyReused,
    InvalidTimeSpan,
    InvalidTransition,
    InvalidValue,
    NaiveDatetime,
    SessionLocked,
    SessionNotFound,
    WrongType,
)
from sessionkit.model import ResourceRef, ScheduleItem
from sessionkit.model.booking import CANCELLED, CONFIRMED, EXPIRED, HELD, OFFERED, WAITLISTED
from sessionkit.model.booking_events import (
    BookingCancelled,
    BookingConfirmed,
    BookingExpired,
    BookingHeld,
    BookingOffered,
    BookingWaitlisted,
)
from sessionkit.model.events import SessionDeleted
from sessionkit.policies import BookingRules
from sessionkit.recurrence import Recurrence
from sessionkit.services.booking_queries import AGENDA_LOOKBACK
from sessionkit.services.booking_requests import BookingRequest
from sessionkit.testing.harness import Harness

from ._bookings_support import (
    ANA,
    BEN,
    CAI,
    DAN,
    NOW,
    TUTOR,
    T,
    booking_events,
    harness,
    slot,
    statuses,
)


@pytest.fixture
def h() -> Harness:
    return harness()


# ---------------------------------------------------------------------- holds and confirmation


def test_book_holds_seats_until_the_hold_expires_then_confirm(h: Harness) -> None:
    s = slot(h, capacity=2)
    held = h.kit.bookings.book(T, s.id, ANA, actor="ana", role="student")
    assert (held.status, held.seats, held.role) == (HELD, 1, "student")
    assert held.hold_expires_at == NOW + timedelta(minutes=15)
    assert (held.session_start, held.session_end) == (s.start, s.end)
    h.clock.advance(timedelta(minutes=5))
    confirmed = h.kit.bookings.confirm(T, held.id, actor="ana")
    assert (confirmed.status, confirmed.hold_expires_at, confirmed.version) == (CONFIRMED, None, 2)
    kinds = [type(e) for e in booking_events(h)]
    assert kinds == [BookingHeld, BookingConfirmed]
    assert booking_events(h)[1].at == NOW + timedelta(minutes=5)
    assert h.kit.bookings.confirm(T, held.id, actor="ana") == confirmed  # idempotent


def test_capacity_is_exact_and_the_refusal_says_what_is_free(h: Harness) -> None:
    s = slot(h, capacity=3)
    h.kit.bookings.book(T, s.id, ANA, actor=None, seats=2)
    with pytest.raises(CapacityExceeded) as caught:
        h.kit.bookings.book(T, s.id, BEN, actor=None, seats=2)
    error = caught.value
    assert (error.session_id, error.capacity, error.taken, error.asked, error.remaining) == (
        s.id,
        3,
        2,
        2,
        1,
    )
    assert statuses(h, s.id) == {ANA: HELD}
    h.kit.bookings.book(T, s.id, BEN, actor=None, seats=1)
    assert h.kit.bookings.remaining_seats(T, [s.id]) == {s.id: 0}


def test_an_expired_hold_counts_in_nothing_even_if_no_job_ran(h: Harness) -> None:
    s = slot(h, capacity=1)
    first = h.kit.bookings.book(T, s.id, ANA, actor=None)
    h.clock.advance(timedelta(minutes=14))
    assert h.kit.bookings.remaining_seats(T, [s.id]) == {s.id: 0}
    h.clock.advance(timedelta(minutes=1))  # the hold ends now (exclusive)
    assert h.kit.bookings.remaining_seats(T, [s.id]) == {s.id: 1}
    assert [b.session_id for b in h.kit.bookings.bookable(T, start=NOW, end=s.end)] == [s.id]
    assert h.kit.bookings.agenda(T, ANA) == []
    with pytest.raises(HoldExpired) as caught:
        h.kit.bookings.confirm(T, first.id, actor="ana")
    assert (caught.value.expired_at, caught.value.offer) == (NOW + timedelta(minutes=15), False)
    assert str(caught.value).endswith("; book again")
    second = h.kit.bookings.book(T, s.id, BEN, actor=None)
    assert second.status == HELD
    assert statuses(h, s.id) == {ANA: EXPIRED, BEN: HELD}
    expired = [e for e in booking_events(h) if isinstance(e, BookingExpired)]
    assert [(e.booking.id, e.at) for e in expired] == [(first.id, NOW + timedelta(minutes=15))]


def test_confirm_at_once_and_a_custom_hold(h: Harness) -> None:
    s = slot(h, capacity=2)
    direct = h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    assert (direct.status, direct.hold_expires_at) == (CONFIRMED, None)
    long = h.kit.bookings.book(T, s.id, BEN, actor=None, hold_for=timedelta(hours=1))
    assert long.hold_expires_at == NOW + timedelta(hours=1)


def test_a_participant_books_a_session_once(h: Harness) -> None:
    s = slot(h, capacity=5)
    first = h.kit.bookings.book(T, s.id, ANA, actor=None)
    with pytest.raises(AlreadyBooked) as caught:
        h.kit.bookings.book(T, s.id, ResourceRef("student", "ana"), actor=None)
    assert (caught.value.booking_id, caught.value.status) == (first.id, HELD)
    h.kit.bookings.cancel(T, first.id, actor="ana")
    assert h.kit.bookings.book(T, s.id, ANA, actor=None).status == HELD


def test_already_booked_names_the_waitlist_place_as_stored_when_a_seat_just_freed(
    h: Harness,
) -> None:
    # Ben waits; Ana's hold runs out, so settling would offer Ben the seat. Ben's second
    # booking is refused and rolls that offer back: the error names what is stored.
    s = slot(h, capacity=1)
    h.kit.bookings.book(T, s.id, ANA, actor=None)
    place = h.kit.bookings.book(T, s.id, BEN, actor=None, waitlist=True)
    h.clock.advance(timedelta(minutes=15))
    with pytest.raises(AlreadyBooked) as caught:
        h.kit.bookings.book(T, s.id, BEN, actor=None)
    assert (caught.value.booking_id, caught.value.status) == (place.id, WAITLISTED)
    assert h.kit.bookings.get(T, place.id).status == WAITLISTED


# ---------------------------------------------------------------------- idempotency


def test_a_replayed_key_returns_the_first_booking_and_writes_nothing(h: Harness) -> None:
    s = slot(h, capacity=2)
    first = h.kit.bookings.book(T, s.id, ANA, actor=None, idempotency_key="k1")
    count = len(h.events.events)
    again = h.kit.bookings.book(T, s.id, ANA, actor=None, idempotency_key="k1")
    assert again == first
    assert len(h.events.events) == count
    with pytest.raises(IdempotencyKeyReused) as caught:
        h.kit.bookings.book(T, s.id, ANA, actor=None, seats=2, idempotency_key="k1")
    assert (caught.value.key, caught.value.booking_id) == ("k1", first.id)


def test_a_key_sent_again_with_other_metadata_or_hold_is_a_reuse(h: Harness) -> None:
    s = slot(h, capacity=3)
    first = h.kit.bookings.book(
        T, s.id, ANA, actor=None, idempotency_key="k1", metadata={"a": 1, "b": [1, 2]}
    )
    # The same request, its metadata's keys in another order: a replay.
    again = h.kit.bookings.book(
        T, s.id, ANA, actor=None, idempotency_key="k1", metadata={"b": [1, 2], "a": 1}
    )
    assert again == first
    changes: list[dict[str, object]] = [
        {"metadata": {"a": 2, "b": [1, 2]}},
        {"metadata": None},
        {"metadata": {"a": 1, "b": [1, 2]}, "hold_for": timedelta(minutes=5)},
    ]
    for change in changes:
        with pytest.raises(IdempotencyKeyReused) as caught:
            h.kit.bookings.book(T, s.id, ANA, actor=None, idempotency_key="k1", **change)  # type: ignore[arg-type]
        assert (caught.value.key, caught.value.booking_id) == ("k1", first.id), change
    held = h.kit.bookings.book(
        T, s.id, BEN, actor=None, idempotency_key="k2", hold_for=timedelta(minutes=5)
    )
    with pytest.raises(IdempotencyKeyReused):
        h.kit.bookings.book(
            T, s.id, BEN, actor=None, idempotency_key="k2", hold_for=timedelta(minutes=6)
        )
    assert (
        h.kit.bookings.book(
            T, s.id, BEN, actor=None, idempotency_key="k2", hold_for=timedelta(minutes=5)
        )
        == held
    )
    # No key, nothing to replay: no digest is kept.
    assert h.kit.bookings.book(T, s.id, CAI, actor=None).fingerprint is None


def test_a_booking_made_with_the_older_digest_still_replays() -> None:
    request = BookingRequest.of(
        session_id="s1",
        participant=ANA,
        seats=1,
        role="attendee",
        confirm=False,
        waitlist=False,
        hold_for=None,
        idempotency_key="k1",
        metadata={"a": 1},
    )
    older = hashlib.sha256(repr(("s1", str(ANA), 1, "attendee", False, False)).encode()).hexdigest()
    assert request.fingerprint.startswith("v2:")
    assert request.replays(request.fingerprint)
    assert request.replays(older)
    assert not request.replays(older.replace(older[0], "x", 1))
    assert not request.replays(None)
    other = attrs.evolve(request, metadata={"a": 2})
    assert other.replays(older)  # the older digest knew no metadata
    assert not other.replays(request.fingerprint)


def test_the_digest_is_of_ascii_json_and_stays_as_stored() -> None:
    # Stored with every keyed booking: a change of its form breaks replays of stored keys.
    request = BookingRequest.of(
        session_id="s1",
        participant="student:an\u00e5",
        seats=2,
        role="attendee",
        confirm=False,
        waitlist=True,
        hold_for=timedelta(minutes=5),
        idempotency_key="k",
        metadata={"b": [1, "x\u00e9"], "a": 0.5},
        manual=True,
    )
    text = (
        '["s1","student:an\\u00e5",2,"attendee",false,true,300000000,'
        '{"a":0.5,"b":[1,"x\\u00e9"]},"manual"]'
    )
    assert request.fingerprint == "v2:" + hashlib.sha256(text.encode()).hexdigest()
    assert request.fingerprint == (
        "v2:b868abfc1d16c0ff3b5ffe150a6ba6d052cb01f51e45f1480f702a7946173efb"
    )


def test_a_cancelled_bookings_key_never_blocks_a_new_booking_of_the_seat(h: Harness) -> None:
    s = slot(h, capacity=1)
    first = h.kit.bookings.book(T, s.id, ANA, actor=None, idempotency_key="k1")
    h.kit.bookings.cancel(T, first.id, actor="ana")
    # The replay still answers with what the key made, the cancelled booking ...
    assert h.kit.bookings.book(T, s.id, ANA, actor=None, idempotency_key="k1").status == CANCELLED
    # ... and a new key books the freed seat.
    again = h.kit.bookings.book(T, s.id, ANA, actor=None, idempotency_key="k2")
    assert (again.status, again.id == first.id) == (HELD, False)


# ---------------------------------------------------------------------- waitlist


def test_the_waitlist_is_first_come_and_offers_pass_on(h: Harness) -> None:
    s = slot(h, capacity=1)
    ana = h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    ben = h.kit.bookings.book(T, s.id, BEN, actor=None, waitlist=True)
    cai = h.kit.bookings.book(T, s.id, CAI, actor=None, waitlist=True)
    assert (ben.status, ben.position, cai.position) == (WAITLISTED, 1, 2)
    with pytest.raises(CapacityExceeded):
        h.kit.bookings.book(T, s.id, DAN, actor=None)  # no waitlist asked for
    h.clock.advance(timedelta(minutes=1))
    h.kit.bookings.cancel(T, ana.id, actor="ana", reason="sick")
    assert statuses(h, s.id) == {ANA: CANCELLED, BEN: OFFERED, CAI: WAITLISTED}
    offer = h.kit.bookings.get(T, ben.id)
    assert offer.hold_expires_at == NOW + timedelta(minutes=1, hours=2)
    # A newcomer cannot jump the queue even if a seat is free at that moment.
    dan = h.kit.bookings.book(T, s.id, DAN, actor=None, waitlist=True)
    assert (dan.status, dan.position) == (WAITLISTED, 3)
    # Ben lets the offer lapse: the job passes the seat to Cai.
    h.clock.advance(timedelta(hours=2))
    report = h.kit.expire_holds(T)
    assert (report.expired, report.offered, report.sessions, report.more) == (1, 1, 1, False)
    assert statuses(h, s.id) == {ANA: CANCELLED, BEN: EXPIRED, CAI: OFFERED, DAN: WAITLISTED}
    assert h.kit.expire_holds(T).expired == 0  # idempotent
    with pytest.raises(HoldExpired) as late:  # the lapsed offer: its seat went on to Cai
        h.kit.bookings.confirm(T, ben.id, actor="ben")
    assert (late.value.offer, late.value.expired_at) == (True, offer.hold_expires_at)
    assert str(late.value).startswith(f"the waitlist offer of booking '{ben.id}' expired at ")
    assert str(late.value).endswith("; join the waitlist again")
    claimed = h.kit.bookings.confirm(T, cai.id, actor="cai")
    assert claimed.status == CONFIRMED
    offered = [e.booking.id for e in booking_events(h) if isinstance(e, BookingOffered)]
    assert offered == [ben.id, cai.id]
    waitlisted = [e.booking.id for e in booking_events(h) if isinstance(e, BookingWaitlisted)]
    assert waitlisted == [ben.id, cai.id, dan.id]


def test_an_expired_hold_passes_to_the_waitlist_at_the_next_write_without_a_job(
    h: Harness,
) -> None:
    s = slot(h, capacity=1)
    h.kit.bookings.book(T, s.id, ANA, actor=None)
    ben = h.kit.bookings.book(T, s.id, BEN, actor=None, waitlist=True)
    h.clock.advance(timedelta(minutes=20))
    cai = h.kit.bookings.book(T, s.id, CAI, actor=None, waitlist=True)
    assert (cai.status, cai.position) == (WAITLISTED, 2)
    assert h.kit.bookings.get(T, ben.id).status == OFFERED


def test_without_waitlist_rules_a_full_session_refuses(h: Harness) -> None:
    plain = Harness.in_memory(NOW, booking_rules=BookingRules())
    s = slot(plain, capacity=1)
    plain.kit.bookings.book(T, s.id, ANA, actor=None)
    with pytest.raises(CapacityExceeded):
        plain.kit.bookings.book(T, s.id, BEN, actor=None, waitlist=True)


# ---------------------------------------------------------------------- rules


def test_time_rules_refuse_with_the_rule_and_when_it_allows() -> None:
    rules = BookingRules(min_notice=timedelta(hours=24), max_horizon=timedelta(weeks=4))
    h = Harness.in_memory(NOW, booking_rules=rules)
    soon = slot(h, day=2, hour=20)
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, soon.id, ANA, actor=None)
    assert (caught.value.rule, caught.value.allows_at) == ("min_notice", None)
    far = h.kit.sessions.create_extra(
        T,
        actor=None,
        start=NOW + timedelta(weeks=5),
        end=NOW + timedelta(weeks=5, hours=1),
        lifecycle="lms",
    )
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, far.id, ANA, actor=None)
    assert (caught.value.rule, caught.value.allows_at) == ("max_horizon", NOW + timedelta(weeks=1))
    refusal = h.kit.bookings.can_book(T, far.id, ANA)
    assert refusal is not None
    assert refusal.rule == "max_horizon"
    h.clock.advance(timedelta(weeks=4, days=2))
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, soon.id, ANA, actor=None)
    assert caught.value.rule == "in_the_past"
    assert h.kit.bookings.book(T, far.id, ANA, actor=None).status == HELD


def test_max_capacity_refuses_to_publish_and_to_book_a_bigger_session() -> None:
    current = {"rules": BookingRules()}
    h = Harness.in_memory(NOW, booking_rules=lambda _session: current["rules"])
    huge = slot(h, capacity=21)  # published before the limit was set
    current["rules"] = BookingRules(max_capacity=20)
    with pytest.raises(BookingRefused) as refused:
        h.kit.bookings.book(T, huge.id, ANA, actor=None)
    assert refused.value.rule == "max_capacity"
    with pytest.raises(InvalidValue) as caught:
        slot(h, capacity=21, hour=14)
    assert (caught.value.value, caught.value.expected) == (21, "1..20")
    with pytest.raises(InvalidValue) as caught:
        h.kit.series.create(
            T,
            actor="tina",
            title="Big group",
            items=[
                ScheduleItem(
                    "mon",
                    Recurrence.weekly(
                        ["MO"], time(10), timedelta(hours=1), "UTC", start=date(2026, 3, 9)
                    ),
                    [TUTOR],
                )
            ],
            capacity=25,
        )
    assert caught.value.value == 25
    assert [s.id for s in h.kit.queries.list(T).items] == [huge.id]
    assert slot(h, capacity=20, hour=14).capacity == 20


def test_per_day_limit_counts_the_participants_other_sessions() -> None:
    h = Harness.in_memory(NOW, booking_rules=BookingRules(per_day=1))
    morning, evening = slot(h, capacity=2, hour=8), slot(h, capacity=2, hour=16)
    h.kit.bookings.book(T, morning.id, ANA, actor=None)
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, evening.id, ANA, actor=None)
    assert caught.value.rule == "per_day"
    assert h.kit.bookings.can_book(T, evening.id, ANA) is not None
    assert h.kit.bookings.can_book(T, evening.id, BEN) is None
    h.clock.advance(timedelta(minutes=15))  # Ana's hold runs out: it no longer counts
    assert h.kit.bookings.book(T, evening.id, ANA, actor=None).status == HELD


def test_a_refusal_by_a_per_participant_limit_draws_no_booking_id() -> None:
    """Where the single write cannot be tried, the checks run before the booking's id is drawn."""
    h = Harness.in_memory(NOW, id_prefix="x", booking_rules=BookingRules(per_day=1))
    morning, evening = slot(h, capacity=2, hour=8), slot(h, capacity=2, hour=16)
    first = h.kit.bookings.book(T, morning.id, ANA, actor=None)
    with pytest.raises(BookingRefused):
        h.kit.bookings.book(T, evening.id, ANA, actor=None)
    after = h.kit.bookings.book(T, evening.id, BEN, actor=None)
    assert int(after.id.removeprefix("x")) == int(first.id.removeprefix("x")) + 1


# ---------------------------------------------------------------------- removing unbooked slots


def test_remove_unbooked_deletes_ended_slots_nobody_booked_and_says_what_it_kept(
    h: Harness,
) -> None:
    booked, lapsed, empty, locked, cancelled = (slot(h, hour=hr) for hr in (8, 9, 10, 11, 12))
    later = slot(h, day=5)
    other = h.kit.sessions.create_extra(
        T,
        actor="olga",
        start=datetime(2026, 3, 4, 13, tzinfo=UTC),
        end=datetime(2026, 3, 4, 14, tzinfo=UTC),
        resources=["tutor:olga"],
        lifecycle="lms",
        title="Physics",
    )
    h.kit.bookings.book(T, booked.id, ANA, actor="ana", confirm=True)
    h.kit.bookings.book(T, lapsed.id, BEN, actor="ben")  # a hold that will run out
    h.kit.sessions.cancel(T, cancelled.id, actor="tina")
    h.links.blocked[locked.id] = "an invoice"
    h.clock.set(datetime(2026, 3, 4, 15, tzinfo=UTC))
    h.events.events.clear()

    report = h.kit.bookings.remove_unbooked(T, actor="cleanup", resources=[TUTOR], batch=2)

    assert [s.id for s in report.removed] == [empty.id]
    assert [(s.id, reason) for s, reason in report.kept] == [
        (locked.id, "it has dependents (an invoice)"),
        (cancelled.id, "status 'CANCELED' is not editable (editable: SCHEDULED)"),
    ]
    deleted = [e for e in h.events.events if isinstance(e, SessionDeleted)]
    assert [(e.session.id, e.actor) for e in deleted] == [(empty.id, "cleanup")]
    left = {s.id for s in h.kit.queries.list(T).items}
    assert left == {booked.id, lapsed.id, locked.id, cancelled.id, later.id, other.id}
    everyone = h.kit.bookings.remove_unbooked(T, actor="cleanup")
    assert [s.id for s in everyone.removed] == [other.id]


def test_remove_unbooked_of_an_empty_resource_list_removes_nothing(h: Harness) -> None:
    # A provider list that came out empty is "any of none", not "every provider".
    s = slot(h)
    h.clock.set(datetime(2026, 3, 5, tzinfo=UTC))
    h.events.events.clear()
    report = h.kit.bookings.remove_unbooked(T, actor="cleanup", resources=[])
    assert (report.removed, report.kept) == ((), ())
    assert [x.id for x in h.kit.queries.list(T).items] == [s.id]
    assert h.events.events == []
    assert [x.id for x in h.kit.bookings.remove_unbooked(T, actor="cleanup").removed] == [s.id]


def test_remove_unbooked_takes_as_many_resources_as_a_session_query(h: Harness) -> None:
    # Filtered like a session query (up to MAX_LIMIT), not refused past a session's 100.
    s = slot(h)
    h.clock.set(datetime(2026, 3, 5, tzinfo=UTC))
    tutors: list[ResourceRef | str] = [TUTOR, *(f"tutor:t{n}" for n in range(150))]
    report = h.kit.bookings.remove_unbooked(T, actor="cleanup", resources=tutors)
    assert [x.id for x in report.removed] == [s.id]


def test_remove_unbooked_keeps_a_slot_booked_after_it_counted(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = slot(h)
    h.kit.bookings.book(T, s.id, ANA, actor="ana", confirm=True)
    h.clock.set(datetime(2026, 3, 5, tzinfo=UTC))
    monkeypatch.setattr(type(h.store.unit_of_work().bookings), "counts", lambda *_a, **_k: {})
    report = h.kit.bookings.remove_unbooked(T, actor="cleanup")
    assert report.removed == ()
    assert [(k.id, "1 booking(s)" in why) for k, why in report.kept] == [(s.id, True)]
    assert h.kit.queries.get(T, s.id).id == s.id


# ---------------------------------------------------------------------- bad input


def test_bad_input_is_refused_by_name_and_writes_nothing(h: Harness) -> None:
    s = slot(h, capacity=2)
    for seats in (0, -1):
        with pytest.raises(InvalidValue) as caught:
            h.kit.bookings.book(T, s.id, ANA, actor=None, seats=seats)
        assert caught.value.value == seats
    with pytest.raises(WrongType) as wrong:
        h.kit.bookings.book(T, s.id, ANA, actor=None, seats=True)
    assert wrong.value.value is True
    with pytest.raises(InvalidValue) as caught:
        h.kit.bookings.book(T, s.id, ANA, actor=None, seats=3)
    assert caught.value.value == 3
    with pytest.raises(SessionNotFound):
        h.kit.bookings.book(T, "nope", ANA, actor=None)
    with pytest.raises(SessionNotFound):
        h.kit.bookings.book("other", s.id, ANA, actor=None)
    with pytest.raises(NaiveDatetime):
        h.kit.bookings.book(T, s.id, ANA, actor=None, now=datetime(2026, 3, 2, 9))
    with pytest.raises(InvalidValue):
        h.kit.bookings.book(T, s.id, "ana", actor=None)
    for blank in ("", "   ", "\t\n"):
        with pytest.raises(InvalidValue, match="idempotency_key"):
            h.kit.bookings.book(T, s.id, ANA, actor=None, idempotency_key=blank)
    with pytest.raises(BookingNotFound):
        h.kit.bookings.confirm("other", "x1", actor=None)
    assert h.kit.bookings.for_session(T, s.id) == []
    assert booking_events(h) == []


# ---------------------------------------------------------------------- sessions and bookings


def test_cancelling_a_session_cancels_its_bookings_one_event_each(h: Harness) -> None:
    s = slot(h, capacity=3)
    a = h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    b = h.kit.bookings.book(T, s.id, BEN, actor=None)
    h.kit.sessions.cancel(T, s.id, actor="tina", reason="tutor ill")
    assert statuses(h, s.id) == {ANA: CANCELLED, BEN: CANCELLED}
    cancelled = [e for e in booking_events(h) if isinstance(e, BookingCancelled)]
    assert sorted(e.booking.id for e in cancelled) == sorted([a.id, b.id])
    assert all(e.reason == "the session was cancelled: tutor ill" for e in cancelled)
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, s.id, CAI, actor=None)
    assert caught.value.rule == "not_bookable"
    with pytest.raises(InvalidTransition) as invalid:
        h.kit.bookings.cancel(T, a.id, actor=None)
    assert (invalid.value.subject, invalid.value.session_id, invalid.value.allowed) == (
        "booking",
        a.id,
        (),
    )
    assert str(invalid.value) == (
        f"cannot 'cancel' booking {a.id!r} in status 'CANCELLED'; allowed now: none"
    )


def test_a_booked_session_is_locked_and_never_deleted(h: Harness) -> None:
    s = slot(h, capacity=2)
    booking = h.kit.bookings.book(T, s.id, ANA, actor=None)
    with pytest.raises(SessionLocked) as caught:
        h.kit.sessions.update(T, s.id, actor=None, start=s.start + timedelta(hours=1))
    assert "booking(s) in play" in caught.value.reason
    h.kit.bookings.cancel(T, booking.id, actor=None)
    with pytest.raises(SessionLocked) as caught:
        h.kit.sessions.delete(T, s.id, actor=None)
    assert "1 booking(s)" in caught.value.reason
    moved = h.kit.sessions.update(T, s.id, actor=None, start=s.start + timedelta(hours=1))
    assert moved.start == s.start + timedelta(hours=1)


def test_when_rules_allow_moving_a_booked_session_its_bookings_follow() -> None:
    h = Harness.in_memory(NOW, booking_rules=BookingRules(lock_booked=False))
    s = slot(h, capacity=2)
    booking = h.kit.bookings.book(T, s.id, ANA, actor=None)
    later = s.start + timedelta(days=1)
    h.kit.sessions.update(T, s.id, actor=None, start=later)
    moved = h.kit.bookings.get(T, booking.id)
    assert (moved.session_start, moved.session_end) == (later, later + timedelta(hours=1))
    assert [b.id for b in h.kit.bookings.agenda(T, ANA, days=4)] == [booking.id]


# ---------------------------------------------------------------------- reads


def test_participant_reads_agenda_and_bookable_sessions(h: Harness) -> None:
    monday_next = slot(h, capacity=2, day=9)
    tuesday = slot(h, capacity=2, day=3)
    wednesday = slot(h, capacity=1, day=4)
    for s in (monday_next, tuesday, wednesday):
        h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    mine = h.kit.bookings.for_participant(T, ANA)
    assert [b.session_id for b in mine] == [tuesday.id, wednesday.id, monday_next.id]
    page = h.kit.bookings.for_participant(T, ANA, limit=2)
    rest = h.kit.bookings.for_participant(
        T, ANA, after=(page[-1].session_start, page[-1].id), limit=2
    )
    assert [b.session_id for b in page + rest] == [tuesday.id, wednesday.id, monday_next.id]
    week = h.kit.bookings.agenda(T, ANA, days=7)
    assert [b.session_id for b in week] == [tuesday.id, wednesday.id]
    window = h.kit.bookings.for_participant(T, ANA, start=NOW + timedelta(days=2))
    assert [b.session_id for b in window] == [wednesday.id, monday_next.id]
    open_ = h.kit.bookings.bookable(T, start=NOW, end=NOW + timedelta(days=14), resource=TUTOR)
    assert [(b.session_id, b.taken, b.remaining) for b in open_] == [
        (tuesday.id, 1, 1),
        (monday_next.id, 1, 1),
    ]
    assert h.kit.bookings.remaining_seats(T, [wednesday.id, "nope"]) == {wednesday.id: 0}


def test_the_agenda_is_whole_and_run_out_holds_push_nothing_out(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A page of the store as small as 2: the agenda is not one page of it.
    monkeypatch.setattr("sessionkit.services.booking_queries.MAX_BOOKINGS_PAGE", 2)
    made = [slot(h, capacity=1, day=3, hour=8 + n) for n in range(5)]
    held = [h.kit.bookings.book(T, s.id, ANA, actor=None) for s in made[:3]]
    confirmed = [h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True) for s in made[3:]]
    assert h.kit.bookings.agenda(T, ANA) == held + confirmed
    h.clock.advance(timedelta(minutes=16))  # the holds ran out; no job has marked them
    assert h.kit.bookings.agenda(T, ANA) == confirmed


def test_the_agenda_lists_a_session_already_in_progress(h: Harness) -> None:
    ended = slot(h, capacity=2, day=2, hour=9)  # 09:00-10:00, today
    lesson = slot(h, capacity=2, day=2, hour=10)  # 10:00-11:00, today
    later = slot(h, capacity=2, day=3)
    for s in (ended, lesson, later):
        h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    h.clock.set(lesson.start + timedelta(minutes=10))  # ten minutes into the lesson
    assert [b.session_id for b in h.kit.bookings.agenda(T, ANA)] == [lesson.id, later.id]
    h.clock.set(lesson.end)  # the lesson is over
    assert [b.session_id for b in h.kit.bookings.agenda(T, ANA)] == [later.id]


def test_the_agenda_lists_a_long_session_in_progress_up_to_its_lookback() -> None:
    h = harness()
    start = NOW + timedelta(days=1)
    retreat = h.kit.sessions.create_extra(
        T, actor=None, start=start, end=start + timedelta(days=10), lifecycle="lms", capacity=5
    )
    h.kit.bookings.book(T, retreat.id, ANA, actor=None, confirm=True)
    h.clock.set(start + AGENDA_LOOKBACK)  # started exactly the lookback ago: still listed
    assert [b.session_id for b in h.kit.bookings.agenda(T, ANA, days=1)] == [retreat.id]
    h.clock.advance(timedelta(microseconds=1))  # started longer ago: sessionkit sets no longest
    assert h.kit.bookings.agenda(T, ANA, days=1) == []


def test_bookable_pages_through_the_store_and_checks_its_arguments(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sessionkit.services.booking_queries.MAX_BOOKINGS_PAGE", 2)
    made = [slot(h, capacity=2, day=3, hour=8 + n) for n in range(5)]
    h.kit.bookings.book(T, made[1].id, ANA, actor=None, seats=2, confirm=True)
    h.kit.bookings.book(T, made[3].id, ANA, actor=None, confirm=True)
    end = NOW + timedelta(days=2)
    open_ = h.kit.bookings.bookable(T, start=NOW, end=end, resource=str(TUTOR))
    assert [(b.session_id, b.remaining) for b in open_] == [
        (made[0].id, 2),
        (made[2].id, 2),
        (made[3].id, 1),
        (made[4].id, 2),
    ]
    first = open_[0]
    assert (first.title, first.start, first.end, first.capacity) == (
        "Algebra",
        made[0].start,
        made[0].end,
        2,
    )
    assert [b.session_id for b in h.kit.bookings.bookable(T, start=NOW, end=end, seats=2)] == [
        made[0].id,
        made[2].id,
        made[4].id,
    ]
    with pytest.raises(InvalidTimeSpan):  # a window backwards is bad input, not empty
        h.kit.bookings.bookable(T, start=end, end=NOW)
    with pytest.raises(InvalidValue):
        h.kit.bookings.bookable(T, start=NOW, end=end, seats=0)
    with pytest.raises(NaiveDatetime):
        h.kit.bookings.bookable(T, start=NOW.replace(tzinfo=None), end=end)


def test_a_hold_that_ran_out_no_longer_locks_its_session(h: Harness) -> None:
    s = slot(h, capacity=1)
    h.kit.bookings.book(T, s.id, ANA, actor=None)
    h.clock.advance(timedelta(minutes=15))  # no job ran: still stored HELD
    renamed = h.kit.sessions.update(T, s.id, actor=None, title="Geometry")
    assert renamed.title == "Geometry"


def test_a_run_out_hold_expires_rather_than_cancels_with_its_session(h: Harness) -> None:
    s = slot(h, capacity=3)
    paid = h.kit.bookings.book(T, s.id, ANA, actor=None, confirm=True)
    unpaid = h.kit.bookings.book(T, s.id, BEN, actor=None)
    h.clock.advance(timedelta(minutes=30))
    h.kit.sessions.cancel(T, s.id, actor="tina")
    assert statuses(h, s.id) == {ANA: CANCELLED, BEN: EXPIRED}
    last = {e.booking.id: type(e) for e in booking_events(h)}
    assert last == {paid.id: BookingCancelled, unpaid.id: BookingExpired}


def test_confirming_a_hold_the_job_marked_expired_is_still_hold_expired(h: Harness) -> None:
    s = slot(h, capacity=2)
    held = h.kit.bookings.book(T, s.id, ANA, actor="ana")
    h.clock.advance(timedelta(minutes=20))
    assert h.kit.expire_holds(T).expired == 1
    with pytest.raises(HoldExpired) as caught:  # was InvalidTransition once the job had run
        h.kit.bookings.confirm(T, held.id, actor="ana")
    assert caught.value.expired_at == NOW + timedelta(minutes=15)


def test_a_refused_newcomer_is_told_the_seats_as_they_stay(h: Harness) -> None:
    # Ana's hold ran out and Cai waits: settling offers Cai the seat inside the command, but
    # the refusal rolls that back, so the error says 1 taken and 1 owed, not 2 taken.
    s = slot(h, capacity=2)
    h.kit.bookings.book(T, s.id, ANA, actor="ana")
    h.kit.bookings.book(T, s.id, BEN, actor="ben", confirm=True)
    h.kit.bookings.book(T, s.id, CAI, actor="cai", waitlist=True)
    h.clock.advance(timedelta(minutes=20))
    with pytest.raises(CapacityExceeded) as caught:
        h.kit.bookings.book(T, s.id, DAN, actor="dan")
    assert (caught.value.taken, caught.value.waiting, caught.value.remaining) == (1, 1, 0)
    assert statuses(h, s.id)[CAI] == WAITLISTED
