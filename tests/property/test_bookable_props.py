"""``bookable`` against ``can_book``: random rules, notice, sessions, clock and acting role.

Whatever the booking rules (``min_notice``, ``max_horizon``, ``max_capacity``,
one set for every session or picked per provider), the notice policy (a
role's notice and a window only some roles may book in) and the role the
listing is asked for, a session is listed exactly when a newcomer's
``can_book`` in that role says yes, in start order. Times fall on whole hours,
so sessions land exactly on the notice and the horizon often.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sessionkit.errors import BookingRefused, SessionKitError
from sessionkit.model import ResourceRef, Session
from sessionkit.policies import (
    BookingRules,
    NoticePolicy,
    NoticeRule,
    NoticeWindow,
    check_booking_time,
)
from sessionkit.services import SessionKit
from sessionkit.testing import strategies as sks
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TUTORS = ["tina", "tom"]
HOURS = st.integers(0, 72).map(lambda n: timedelta(hours=n))

rules_values = st.builds(
    lambda notice, horizon, cap: BookingRules(
        min_notice=notice,
        # Never shorter than the notice: such rules refuse every start and are invalid.
        max_horizon=None if horizon is None else max(horizon, notice),
        max_capacity=cap,
    ),
    HOURS,
    st.none() | st.integers(1, 10).map(lambda n: timedelta(days=n)),
    st.sampled_from([None, 1, 2]),
)
notices = st.builds(
    lambda student, within: NoticePolicy(
        rules=[NoticeRule("book", frozenset({"student"}), student)],
        windows=[NoticeWindow("book", within, frozenset({"tutor"}))],
    ),
    HOURS,
    st.integers(0, 6).map(lambda n: timedelta(hours=n)),
)


def hours(delta: timedelta | None) -> list[int]:
    """A rule's length in whole hours and an hour either side (none for no limit)."""
    if delta is None:
        return []
    n = delta // timedelta(hours=1)
    return [n - 1, n, n + 1]


@given(
    rules=rules_values,
    toms=st.none() | rules_values,
    notice=notices,
    later=st.integers(0, 72),
    role=st.sampled_from(["attendee", "student", "tutor", "host"]),
    seats=st.integers(1, 2),
    data=st.data(),
)
def test_bookable_lists_exactly_what_can_book_allows(
    rules: BookingRules,
    toms: BookingRules | None,
    notice: NoticePolicy,
    later: int,
    role: str,
    seats: int,
    data: st.DataObject,
) -> None:
    edges = [n for r in (rules, toms or rules) for n in hours(r.min_notice) + hours(r.max_horizon)]
    edges += hours(notice.lead_for("book", "student")) + hours(notice.lead_for("book", role))
    made = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(edges) | st.integers(-3, 12 * 24),
                st.integers(1, 3),
                st.integers(0, 1),
                st.integers(0, 3),
            ),
            min_size=2,
            max_size=8,
        ),
        label="(hours from the listing to the start, capacity, tutor, seats confirmed)",
    )
    h = Harness.in_memory(NOW)
    sessions: list[Session] = []
    for n, (ahead, capacity, tutor, taken) in enumerate(made):
        start = NOW + timedelta(hours=later + ahead)
        session = h.kit.sessions.create_extra(
            T,
            actor=None,
            start=start,
            end=start + timedelta(minutes=50),
            resources=[ResourceRef("tutor", f"{TUTORS[tutor]}-{n}")],  # none overlaps
            lifecycle="lms",
            capacity=capacity,
        )
        sessions.append(session)
        for k in range(min(taken, capacity) if start > NOW else 0):
            h.kit.bookings.book(T, session.id, f"student:s{n}-{k}", actor=None, confirm=True)

    def picked(session: Session) -> BookingRules:
        tom = any(r.id.startswith("tom-") for r in session.resources)
        return toms if tom and toms is not None else rules

    kit = SessionKit(
        uow=h.store.unit_of_work,
        clock=h.clock,
        booking_rules=rules if toms is None else picked,
        notice=notice,
    )
    h.clock.advance(timedelta(hours=later))
    listed = kit.bookings.bookable(
        T, start=NOW, end=NOW + timedelta(days=16), seats=seats, acting_role=role
    )
    allowed = [
        s.id
        for s in sorted(sessions, key=lambda s: (s.start, s.id))
        if seats <= s.capacity  # more is bad input to ``can_book``, and never listed
        and kit.bookings.can_book(T, s.id, "student:new", seats=seats, acting_role=role) is None
    ]
    assert [b.session_id for b in listed] == allowed


@given(rules=sks.booking_rules(), ahead=st.integers(0, 90 * 24).map(lambda n: timedelta(hours=n)))
def test_the_shipped_rules_strategy_draws_rules_can_book_judges(
    rules: BookingRules, ahead: timedelta
) -> None:
    # A user's property over sessionkit's own strategy: a start the rules' times allow is
    # refused by no time rule, and one they refuse names the rule and when it allows.
    at = NOW + ahead
    refusal = check_booking_time(rules, at, NOW)
    past = at <= NOW
    too_soon = at - NOW < rules.min_notice
    too_far = rules.max_horizon is not None and at - NOW > rules.max_horizon
    assert (refusal is None) == (not past and not too_soon and not too_far)
    if too_far and not too_soon and not past:
        assert refusal is not None
        assert (refusal.rule, refusal.allows_at) == ("max_horizon", at - rules.max_horizon)  # type: ignore[operator]
    if refusal is not None and refusal.allows_at is not None:
        # When it allows again, it does: no other rule refuses at that instant.
        assert check_booking_time(rules, at, refusal.allows_at) is None


ANA = "student:ana"
WHAT_ANA_DID = st.sampled_from(["nothing", "confirmed", "held", "waitlisted", "cancelled"])


@given(
    per_day=st.none() | st.integers(1, 2),
    per_week=st.none() | st.integers(1, 3),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "Pacific/Auckland"]),
    later=st.integers(0, 3).map(lambda n: timedelta(minutes=10 * n)),
    per_tutor=st.booleans(),
    made=st.lists(
        st.tuples(st.integers(1, 10 * 24), st.integers(1, 2), WHAT_ANA_DID),
        min_size=1,
        max_size=8,
    ),
)
def test_bookable_for_a_participant_lists_exactly_what_can_book_allows_them(
    per_day: int | None,
    per_week: int | None,
    zone: str,
    later: timedelta,
    per_tutor: bool,
    made: list[tuple[int, int, str]],
) -> None:
    # Ana's bookings in play (held ones running out as the clock moves) keep her out of
    # their sessions, and count toward her day's and week's limits in the rules' zone.
    rules = BookingRules(
        per_day=per_day,
        per_week=per_week,
        zone=zone,
        waitlist=True,
        hold_for=timedelta(minutes=15),
    )
    unlimited = BookingRules(zone=zone, waitlist=True, hold_for=timedelta(minutes=15))

    def picked(session: Session) -> BookingRules:
        # Rules per session: the odd tutors' sessions have no limits of their own.
        return unlimited if int(session.resources[0].id[1:]) % 2 else rules

    h = Harness.in_memory(NOW, booking_rules=picked if per_tutor else rules)
    sessions: list[Session] = []
    for n, (ahead, capacity, did) in enumerate(made):
        start = NOW + timedelta(hours=ahead)
        session = h.kit.sessions.create_extra(
            T,
            actor=None,
            start=start,
            end=start + timedelta(minutes=50),
            resources=[ResourceRef("tutor", f"t{n}")],
            lifecycle="lms",
            capacity=capacity,
        )
        sessions.append(session)
        if did == "waitlisted":
            for k in range(capacity):
                h.kit.bookings.book(T, session.id, f"student:s{n}-{k}", actor=None, confirm=True)
        if did == "nothing":
            continue
        try:  # Ana's own limits may refuse her already: then she has nothing there
            booked = h.kit.bookings.book(
                T,
                session.id,
                ANA,
                actor=None,
                confirm=did in ("confirmed", "cancelled"),
                waitlist=did == "waitlisted",
            )
        except BookingRefused:
            continue
        if did == "cancelled":
            h.kit.bookings.cancel(T, booked.id, actor=None)
    h.clock.advance(later)
    listed = h.kit.bookings.bookable(T, start=NOW, end=NOW + timedelta(days=11), participant=ANA)
    allowed = [
        s.id
        for s in sorted(sessions, key=lambda s: (s.start, s.id))
        if h.kit.bookings.can_book(T, s.id, ANA) is None
    ]
    assert [b.session_id for b in listed] == allowed
    everyone = h.kit.bookings.bookable(T, start=NOW, end=NOW + timedelta(days=11))
    assert set(allowed) <= {b.session_id for b in everyone}


def seats_by_hand(
    kit: SessionKit, now: datetime, ids: list[str], seats: int
) -> list[tuple[str, int, int]]:
    """(id, taken, remaining) of the sessions a newcomer could book ``seats`` of, counted by hand.

    A confirmed booking takes its seats; a hold or offer until its
    ``hold_expires_at`` or its session's start, whichever is first, whether
    or not anything marked it; a waitlist place is owed its seats.
    """
    found = []
    for session_id in ids:
        session = kit.queries.get(T, session_id)
        if not now < session.start < NOW + timedelta(days=2) or session.status != "SCHEDULED":
            continue
        taken = owed = 0
        for b in kit.bookings.for_session(T, session_id):
            runs_out = None if b.hold_expires_at is None else min(b.hold_expires_at, session.start)
            if b.status == "CONFIRMED" or (
                b.status in ("HELD", "OFFERED") and runs_out is not None and now < runs_out
            ):
                taken += b.seats
            elif b.status == "WAITLISTED":
                owed += b.seats
        if session.capacity - taken - owed >= seats:
            found.append((session.start, session_id, taken, session.capacity - taken - owed))
    return [(session_id, taken, free) for _, session_id, taken, free in sorted(found)]


STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["session", "hold", "confirmed", "queue", "confirm", "cancel", "tick", "wait"]
        ),
        st.integers(0, 9),
        st.sampled_from([5, 10, 15, 30]),
    ),
    min_size=1,
    max_size=25,
)


@given(steps=STEPS)
def test_bookable_counts_the_seats_of_holds_until_they_run_out(
    steps: list[tuple[str, int, int]],
) -> None:
    # Holds of 15 minutes (or one of their own), starts and the clock on 5-minute
    # marks, so the clock often stands on a hold's end or a session's start; with and
    # without the expiry job, every listing's seats are what the stored bookings take.
    rules = BookingRules(waitlist=True, hold_for=timedelta(minutes=15))
    h = Harness.in_memory(NOW, booking_rules=rules)
    kit = h.kit
    ids: list[str] = []
    made: list[str] = []
    for n, (what, pick, minutes) in enumerate(steps):
        now = h.clock.now()
        try:
            if what == "session" or not ids:
                start = now + timedelta(minutes=4 * minutes)
                ids.append(
                    kit.sessions.create_extra(
                        T,
                        actor=None,
                        start=start,
                        end=start + timedelta(hours=1),
                        resources=[ResourceRef("tutor", f"t{n}")],
                        lifecycle="lms",
                        capacity=1 + pick % 3,
                    ).id
                )
            elif what in ("hold", "confirmed", "queue"):
                booking = kit.bookings.book(
                    T,
                    ids[pick % len(ids)],
                    f"student:p{n}",
                    actor=None,
                    seats=1 + pick % 2,
                    confirm=what == "confirmed",
                    waitlist=what == "queue",
                    hold_for=timedelta(minutes=minutes) if pick % 3 == 0 else None,
                )
                made.append(booking.id)
            elif what == "confirm" and made:
                kit.bookings.confirm(T, made[pick % len(made)], actor=None)
            elif what == "cancel" and made:
                kit.bookings.cancel(T, made[pick % len(made)], actor=None)
            elif what == "tick":
                kit.expire_holds(T)
            else:
                h.clock.advance(timedelta(minutes=minutes))
        except SessionKitError:
            pass  # a full session, a hold that ran out, a start passed: nothing was written
        now = h.clock.now()
        for seats in (1, 2):
            listed = kit.bookings.bookable(T, start=NOW, end=NOW + timedelta(days=2), seats=seats)
            assert [(b.session_id, b.taken, b.remaining) for b in listed] == seats_by_hand(
                kit, now, ids, seats
            )
        remaining = kit.bookings.remaining_seats(T, ids)
        for session_id, _, free in seats_by_hand(kit, now, ids, 1):
            assert remaining[session_id] == free
