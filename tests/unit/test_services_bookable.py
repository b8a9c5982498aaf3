"""Listing reads: ``bookable`` lists what ``book`` would take; a session's bookings in pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import (
    BookingRefused,
    InvalidTimeSpan,
    InvalidValue,
    NaiveDatetime,
    SessionNotFound,
    WrongType,
)
from sessionkit.model import ResourceRef, Session
from sessionkit.policies import BookingRules, NoticePolicy, NoticeRule, NoticeWindow
from sessionkit.services import SessionKit
from sessionkit.testing.harness import Harness

from ._bookings_support import ANA, BEN, CAI, DAN, NOW, RULES, TUTOR, T, slot

TOM = ResourceRef("tutor", "tom")
WEEK = timedelta(days=7)


def listed(h: Harness, *, acting_role: str = "attendee") -> list[str]:
    """The ids ``bookable`` lists over the next two weeks."""
    found = h.kit.bookings.bookable(
        T, start=NOW, end=NOW + timedelta(days=14), acting_role=acting_role
    )
    return [b.session_id for b in found]


def refused(h: Harness, session: Session, acting_role: str = "attendee") -> str | None:
    """The rule ``can_book`` names for a newcomer, or ``None``."""
    refusal = h.kit.bookings.can_book(T, session.id, "student:new", acting_role=acting_role)
    return None if refusal is None else refusal.rule


def test_the_notice_and_horizon_of_the_rules_bound_the_listing() -> None:
    rules = BookingRules(min_notice=timedelta(hours=2), max_horizon=WEEK)
    h = Harness.in_memory(NOW, id_prefix="x", booking_rules=rules)
    too_soon = slot(h, day=2, hour=9)  # an hour ahead
    just_enough = slot(h, day=2, hour=10)  # exactly the notice
    last = slot(h, day=9, hour=8)  # exactly the horizon
    too_far = slot(h, day=9, hour=9)
    assert listed(h) == [just_enough.id, last.id]
    assert [refused(h, s) for s in (too_soon, just_enough, last, too_far)] == [
        "min_notice",
        None,
        None,
        "max_horizon",
    ]
    h.clock.advance(timedelta(hours=1, minutes=1))
    assert listed(h) == [last.id, too_far.id]  # just_enough is now too soon
    assert refused(h, just_enough) == "min_notice"


def test_the_notice_policy_of_the_acting_role_bounds_the_listing() -> None:
    notice = NoticePolicy(
        rules=[NoticeRule("book", frozenset({"student"}), timedelta(hours=24))],
        windows=[NoticeWindow("book", timedelta(hours=3), frozenset({"tutor"}))],
    )
    h = Harness.in_memory(NOW, id_prefix="x", notice=notice)
    in_window = slot(h, day=2, hour=10)  # 2 hours ahead: only tutors (and the host)
    tomorrow_early = slot(h, day=3, hour=7)  # 23 hours ahead
    tomorrow_late = slot(h, day=3, hour=9)  # 25 hours ahead
    everything = [in_window.id, tomorrow_early.id, tomorrow_late.id]
    assert listed(h, acting_role="student") == [tomorrow_late.id]
    assert listed(h) == [tomorrow_early.id, tomorrow_late.id]  # an attendee: the window only
    assert listed(h, acting_role="tutor") == everything
    assert listed(h, acting_role="host") == everything
    for session in (in_window, tomorrow_early, tomorrow_late):
        for role in ("student", "attendee", "tutor", "host"):
            allowed = refused(h, session, role) is None
            assert (session.id in listed(h, acting_role=role)) is allowed


def test_rules_picked_per_provider_are_read_for_each_listed_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sessionkit.services.booking_queries.MAX_BOOKINGS_PAGE", 2)
    picky = BookingRules(min_notice=timedelta(hours=48), max_horizon=WEEK)

    def rules_for(session: Session) -> BookingRules:
        return picky if TUTOR in session.resources else BookingRules()

    h = Harness.in_memory(NOW, id_prefix="x", booking_rules=rules_for)
    made = [slot(h, day=day, hour=10) for day in (3, 5, 12)]  # tina: 26 h, 74 h, 10 days ahead
    toms = [
        h.kit.sessions.create_extra(
            T,
            actor="tom",
            start=datetime(2026, 3, day, 14, tzinfo=UTC),
            end=datetime(2026, 3, day, 15, tzinfo=UTC),
            resources=[TOM],
            lifecycle="lms",
        )
        for day in (3, 12)
    ]
    assert listed(h) == [toms[0].id, made[1].id, toms[1].id]
    assert [refused(h, s) for s in (*made, *toms)] == [
        "min_notice",
        None,
        "max_horizon",
        None,
        None,
    ]


def test_sessions_above_the_rules_capacity_are_not_listed() -> None:
    """A session made before the host lowered ``max_capacity`` is not bookable, nor listed."""
    h = Harness.in_memory(NOW, id_prefix="x")
    big = slot(h, capacity=5, day=3)
    small = slot(h, capacity=2, day=4)
    h.kit.bookings.book(T, small.id, ANA, actor=None, confirm=True)
    lowered = SessionKit(
        uow=h.store.unit_of_work, clock=h.clock, booking_rules=BookingRules(max_capacity=3)
    )
    found = lowered.bookings.bookable(T, start=NOW, end=NOW + WEEK)
    assert [(b.session_id, b.remaining) for b in found] == [(small.id, 1)]
    assert lowered.bookings.can_book(T, big.id, BEN) is not None
    assert listed(h) == [big.id, small.id]  # the kit that allowed it still lists it


def test_a_window_the_rules_leave_nothing_of_is_empty_and_still_checked() -> None:
    # Rules whose own notice outlasts their horizon are refused when made; a role's notice
    # (3 days for students) past the rules' horizon (2 days) still leaves nothing.
    rules = BookingRules(max_horizon=timedelta(days=2))
    notice = NoticePolicy(rules=[NoticeRule("book", frozenset({"student"}), timedelta(days=3))])
    h = Harness.in_memory(NOW, id_prefix="x", booking_rules=rules, notice=notice)
    early = slot(h, day=3)  # 26 hours ahead
    assert listed(h, acting_role="student") == []
    assert listed(h) == [early.id]  # an attendee needs no notice
    with pytest.raises(InvalidValue):
        listed(h, acting_role="")
    for end in (NOW, NOW - WEEK):  # a window ending where it starts, or before: bad input
        with pytest.raises(InvalidTimeSpan):
            h.kit.bookings.bookable(T, start=NOW, end=end)


def test_a_sessions_bookings_come_in_pages_continued_after_a_place() -> None:
    h = Harness.in_memory(NOW, id_prefix="x", booking_rules=RULES)
    s = slot(h, capacity=2)
    made = []
    for who in (ANA, BEN, CAI, DAN):
        made.append(h.kit.bookings.book(T, s.id, who, actor=None, confirm=True, waitlist=True))
        h.clock.advance(timedelta(minutes=1))
    ids = [b.id for b in made]
    order = [ids[2], ids[3], ids[0], ids[1]]  # the waitlist first, in its order
    assert [b.id for b in h.kit.bookings.for_session(T, s.id)] == order
    first = h.kit.bookings.for_session(T, s.id, limit=3)
    rest = h.kit.bookings.for_session(T, s.id, after=first[-1].session_order, limit=3)
    assert [b.id for b in first + rest] == order
    assert first[-1].session_order == (None, made[0].created_at, ids[0])
    with pytest.raises(InvalidValue):
        h.kit.bookings.for_session(T, s.id, limit=501)
    with pytest.raises(WrongType):
        h.kit.bookings.for_session(T, s.id, after=(None, made[0].created_at))  # type: ignore[arg-type]
    with pytest.raises(WrongType):
        h.kit.bookings.for_session(T, s.id, after=("1", made[0].created_at, ids[0]))  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetime):
        h.kit.bookings.for_session(T, s.id, after=(1, datetime(2026, 3, 2), ids[0]))
    for position in (-1, 2**31):  # no store keeps it: a tampered cursor
        with pytest.raises(InvalidValue, match="after\\[0\\]"):
            h.kit.bookings.for_session(T, s.id, after=(position, made[0].created_at, ids[0]))
    with pytest.raises(SessionNotFound):
        h.kit.bookings.for_session(T, "nope")


def test_a_horizon_refusal_names_no_time_the_role_s_notice_refuses() -> None:
    # Bookings open 2 days ahead, students must book 3 days ahead: a student never can, and
    # the horizon's allows_at must not send them back to be refused by the notice.
    rules = BookingRules(max_horizon=timedelta(days=2))
    notice = NoticePolicy(rules=[NoticeRule("book", frozenset({"student"}), timedelta(days=3))])
    h = Harness.in_memory(NOW, id_prefix="x", booking_rules=rules, notice=notice)
    far = slot(h, day=9)  # a week ahead
    student = h.kit.bookings.can_book(T, far.id, "student:a", acting_role="student")
    assert student is not None
    assert (student.rule, student.allows_at) == ("max_horizon", None)
    assert "student" in student.reason
    with pytest.raises(BookingRefused) as caught:
        h.kit.bookings.book(T, far.id, "student:a", actor=None, role="student")
    assert caught.value.allows_at is None
    attendee = h.kit.bookings.can_book(T, far.id, "student:a")  # no notice: opens in time
    assert attendee is not None
    assert attendee.allows_at == far.start - timedelta(days=2)
    assert h.kit.bookings.can_book(T, far.id, "student:a", now=attendee.allows_at) is None
