"""Reschedule commands on the in-memory store: request, answers, auto-approval, "may I?"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import (
    DuplicateSession,
    RescheduleNotFound,
    RescheduleRefused,
    SessionConflict,
    SessionNotFound,
    TransientConflict,
    TransitionRefused,
)
from sessionkit.model import ResourceRef, Session
from sessionkit.model.reschedule import (
    APPROVED,
    AUTO_APPROVED,
    DECLINED,
    EXPIRED,
    PENDING,
    RescheduleRequest,
    RescheduleStatusChanged,
)
from sessionkit.model.series import ScheduleItem
from sessionkit.policies import (
    BookingRules,
    NoticePolicy,
    RefundPolicy,
    RefundTier,
    coaching_notice,
)
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.services.reschedules import RescheduleReport
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = datetime(2026, 3, 6, 10, tzinfo=UTC)  # four days and two hours ahead
COACH = ResourceRef("coach", "cleo")
REASON = "I have an exam that morning"
REFUNDS = RefundPolicy(
    tiers=(RefundTier(timedelta(hours=48), 100), RefundTier(timedelta(hours=24), 50))
)


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(NOW, id_prefix="x", notice=coaching_notice(), refunds=REFUNDS)


def lesson(h: Harness, start: datetime = START, *, coach: ResourceRef = COACH) -> Session:
    return h.kit.sessions.create_extra(
        T,
        actor="cleo",
        start=start,
        end=start + timedelta(hours=1),
        resources=[coach],
        lifecycle="lms",
        capacity=1,
        title="Maths",
    )


def ana_asks(h: Harness, session: Session) -> RescheduleRequest:
    """Ana (a student) asks to move ``session`` a day later."""
    return h.kit.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason=REASON,
        proposed_start=START + timedelta(days=1),
    )


def reschedule_events(h: Harness) -> list[str]:
    return [e.change.transition for e in h.events.events if isinstance(e, RescheduleStatusChanged)]


def test_a_student_request_is_pending_until_the_coach_approves_and_the_booking_follows(
    h: Harness,
) -> None:
    session = lesson(h)
    booking = h.kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)
    new_start = START + timedelta(days=1)
    request = h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=REASON, proposed_start=new_start
    )
    assert (request.status, request.deadline) == (PENDING, NOW + timedelta(hours=24))
    approved = h.kit.reschedules.approve(T, request.id, role="coach", actor="cleo")
    assert (approved.status, approved.new_start, approved.decided_by) == (
        APPROVED,
        new_start,
        "cleo",
    )
    assert h.kit.queries.get(T, session.id).start == new_start
    assert h.kit.bookings.get(T, booking.id).session_start == new_start
    assert reschedule_events(h) == ["request", "approve"]


def test_one_pending_request_per_session(h: Harness) -> None:
    session = lesson(h)
    first = h.kit.reschedules.request(T, session.id, role="student", actor="ana", reason=REASON)
    with pytest.raises(RescheduleRefused) as caught:
        h.kit.reschedules.request(T, session.id, role="host", actor="hal", reason=REASON)
    assert (caught.value.rule, caught.value.request_id, caught.value.allows_at) == (
        "one_pending",
        first.id,
        first.deadline,
    )
    h.kit.reschedules.withdraw(T, first.id, role="student", actor="ana")
    again = h.kit.reschedules.request(T, session.id, role="student", actor="ana", reason=REASON)
    assert again.status == PENDING


def test_refusals_name_their_rule(h: Harness) -> None:
    session = lesson(h)
    ask = h.kit.reschedules.request
    for kwargs, rule in (
        ({"reason": "too short"}, "reason_length"),
        ({"reason": REASON, "proposed_start": NOW + timedelta(minutes=59)}, "min_lead"),
        ({"reason": REASON, "now": START - timedelta(hours=47)}, "notice"),  # a coach: 48 h
    ):
        with pytest.raises(RescheduleRefused) as caught:
            ask(T, session.id, role="coach", actor="cleo", **kwargs)
        assert caught.value.rule == rule
    request = ask(T, session.id, role="coach", actor="cleo", reason=REASON)
    for answer, role, actor, rule in (
        (h.kit.reschedules.approve, "coach", "cleo", "own_request"),
        (h.kit.reschedules.decline, "coach", "carl", "own_request"),
        (h.kit.reschedules.withdraw, "student", "ana", "not_requester"),
        (h.kit.reschedules.approve, "student", "ana", "no_time"),
    ):
        with pytest.raises(RescheduleRefused) as caught:
            answer(T, request.id, role=role, actor=actor)
        assert caught.value.rule == rule
    declined = h.kit.reschedules.decline(T, request.id, role="student", actor="ana")
    assert declined.status == DECLINED
    with pytest.raises(RescheduleRefused) as caught:
        h.kit.reschedules.decline(T, request.id, role="student", actor="ana")
    assert caught.value.rule == "not_pending"
    with pytest.raises(RescheduleNotFound):
        h.kit.reschedules.approve(T, "nope", role="host", actor="hal")


def test_the_history_of_an_unknown_session_is_session_not_found(h: Harness) -> None:
    # As kit.bookings.for_session answers it: an empty history would read as "never asked".
    session = lesson(h)
    assert h.kit.reschedules.for_session(T, session.id) == []
    for tenant, session_id in ((T, "no-such-session"), ("other", session.id)):
        with pytest.raises(SessionNotFound) as caught:
            h.kit.reschedules.for_session(tenant, session_id)
        assert caught.value.session_id == session_id


def test_a_proposed_time_the_coach_is_busy_at_is_refused_and_nothing_is_written(
    h: Harness,
) -> None:
    session = lesson(h)
    other = lesson(h, START + timedelta(days=1))
    for proposed in (other.start, other.start - timedelta(minutes=59)):
        with pytest.raises(SessionConflict) as caught:
            h.kit.reschedules.request(
                T, session.id, role="student", actor="ana", reason=REASON, proposed_start=proposed
            )
        assert [c.id for c in caught.value.conflicts] == [other.id]
        assert isinstance(caught.value.session, Session)
        assert caught.value.session.start == proposed
    assert h.kit.reschedules.for_session(T, session.id) == []
    assert reschedule_events(h) == []
    touching = other.start - timedelta(hours=1)  # ends as the other begins: free
    asked = h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=REASON, proposed_start=touching
    )
    assert asked.status == PENDING


def test_approval_rechecks_conflicts_and_writes_nothing_when_refused(h: Harness) -> None:
    session = lesson(h)
    target = START + timedelta(days=1)
    request = h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=REASON, proposed_start=target
    )
    other = lesson(h, target)  # the coach took that hour after the request
    with pytest.raises(SessionConflict):
        h.kit.reschedules.approve(T, request.id, role="coach", actor="cleo")
    assert h.kit.queries.get(T, session.id).start == START
    moved = h.kit.reschedules.approve(
        T, request.id, role="coach", actor="cleo", start=other.start + timedelta(hours=2)
    )
    assert moved.status == APPROVED


def choir(h: Harness) -> tuple[Session, ...]:
    """Three weekly sessions of a series without resources: nothing busy to conflict."""
    rule = Recurrence.weekly(
        days=("MO",),
        at=time(18),
        duration=timedelta(hours=1),
        tz="Europe/Berlin",
        start=date(2026, 3, 9),
        count=3,
    )
    series, _ = h.kit.series.create(
        T, actor="hal", title="Choir", items=[ScheduleItem(id="mon", recurrence=rule, resources=())]
    )
    return h.kit.queries.series_sessions(T, series.id)


def test_a_time_another_session_of_the_series_starts_at_is_refused_when_asked(
    h: Harness,
) -> None:
    # Accepted, such a request could never be applied: approve raised DuplicateSession.
    first, second, third = choir(h)
    with pytest.raises(DuplicateSession) as caught:
        h.kit.reschedules.request(
            T, first.id, role="student", actor="ana", reason=REASON, proposed_start=second.start
        )
    assert isinstance(caught.value.existing, Session)
    assert (caught.value.existing.id, caught.value.key) == (second.id, "series_start")
    assert second.id in str(caught.value)
    assert h.kit.reschedules.for_session(T, first.id) == []
    assert reschedule_events(h) == []
    # A session taking the time after the request: approve raises it, nothing is moved.
    target = third.start + timedelta(days=1)
    request = h.kit.reschedules.request(
        T, first.id, role="student", actor="ana", reason=REASON, proposed_start=target
    )
    extra = h.kit.sessions.create_extra(
        T, actor="hal", series_id=first.series_id, start=target, end=target + timedelta(hours=1)
    )
    with pytest.raises(DuplicateSession) as raced:
        h.kit.reschedules.approve(T, request.id, role="coach", actor="cleo")
    assert isinstance(raced.value.existing, Session)
    assert raced.value.existing.id == extra.id
    assert h.kit.queries.get(T, first.id).start == first.start
    assert h.kit.reschedules.get(T, request.id).status == PENDING


def test_silence_approves_once_at_the_deadline_and_a_request_without_time_expires(
    h: Harness,
) -> None:
    with_time = lesson(h)
    without = lesson(h, START + timedelta(days=3))
    new_start = START + timedelta(days=1, hours=3)
    asked = h.kit.reschedules.request(
        T, with_time.id, role="student", actor="ana", reason=REASON, proposed_start=new_start
    )
    bare = h.kit.reschedules.request(T, without.id, role="student", actor="ben", reason=REASON)
    early = h.kit.reschedules.approve_due(now=asked.deadline - timedelta(seconds=1))
    assert (early.approved, early.expired) == ((), ())
    report = h.kit.reschedules.approve_due(now=asked.deadline)
    assert [r.id for r in report.approved] == [asked.id]
    assert [r.id for r in report.expired] == [bare.id]
    assert report.approved[0].status == AUTO_APPROVED
    assert report.expired[0].status == EXPIRED
    assert h.kit.queries.get(T, with_time.id).start == new_start
    again = h.kit.approve_reschedules(now=asked.deadline + timedelta(hours=1))
    assert (again.approved, again.expired) == ((), ())
    assert reschedule_events(h).count("auto_approve") == 1
    with pytest.raises(RescheduleRefused) as caught:
        h.kit.reschedules.withdraw(T, asked.id, role="student", actor="ana")
    assert caught.value.rule == "not_pending"


def test_a_request_the_database_kept_refusing_is_reported_failed_not_skipped(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A TransientConflict is a ConcurrentModification, read as "another tick answered it
    # first": a deadlock, or (since ad749e70) SQLite's table lock, that outlasted the
    # retries left the request pending with nothing in the report, tick after tick.
    request = ana_asks(h, lesson(h))
    refused = TransientConflict.aborted("locked", "sqlite", joined=False)

    def locked(*args: object) -> None:
        raise refused

    monkeypatch.setattr(h.kit.reschedules, "answer_due_in", locked)
    report = h.kit.reschedules.approve_due(now=request.deadline)
    assert (report.approved, report.expired) == ((), ())
    assert [(request_id, error) for request_id, error in report.failed] == [(request.id, refused)]
    assert refused.attempts == 3  # run again first, as the tick runs any command
    assert h.kit.reschedules.get(T, request.id).status == PENDING  # due at the next tick


def test_a_late_answer_after_the_deadline_is_refused_but_approval_is_not(h: Harness) -> None:
    session = lesson(h)
    request = ana_asks(h, session)
    with pytest.raises(RescheduleRefused) as caught:
        h.kit.reschedules.decline(T, request.id, role="coach", actor="cleo", now=request.deadline)
    assert caught.value.rule == "deadline_passed"
    approved = h.kit.reschedules.approve(
        T, request.id, role="coach", actor="cleo", now=request.deadline
    )
    assert approved.status == APPROVED


def test_an_approve_of_a_request_whose_session_the_host_moved_since_is_refused(
    h: Harness,
) -> None:
    # Silence and a late approve let such a request expire; an approve in time moved the
    # session from where the host had put it to a time asked about another start.
    session = lesson(h)
    request = ana_asks(h, session)
    moved_to = START + timedelta(days=2)
    h.kit.sessions.update(T, session.id, actor="cleo", start=moved_to)
    for start in (None, START + timedelta(days=3)):
        with pytest.raises(RescheduleRefused) as caught:
            h.kit.reschedules.approve(T, request.id, role="coach", actor="cleo", start=start)
        assert (caught.value.rule, caught.value.request_id) == ("session_moved", request.id)
        assert START.isoformat() in str(caught.value)
        assert moved_to.isoformat() in str(caught.value)
    assert h.kit.queries.get(T, session.id).start == moved_to
    assert h.kit.reschedules.get(T, request.id).status == PENDING
    declined = h.kit.reschedules.decline(T, request.id, role="coach", actor="cleo")
    assert declined.status == DECLINED
    assert reschedule_events(h) == ["request", "decline"]


def test_a_session_moved_back_to_the_start_asked_about_may_be_approved(h: Harness) -> None:
    session = lesson(h)
    request = ana_asks(h, session)
    h.kit.sessions.update(T, session.id, actor="cleo", start=START + timedelta(days=2))
    h.kit.sessions.update(T, session.id, actor="cleo", start=START)
    approved = h.kit.reschedules.approve(T, request.id, role="coach", actor="cleo")
    assert (approved.status, h.kit.queries.get(T, session.id).start) == (
        APPROVED,
        START + timedelta(days=1),
    )


def test_the_requester_answers_not_their_own_request_in_another_role(h: Harness) -> None:
    session = lesson(h)
    request = ana_asks(h, session)
    for answer in (h.kit.reschedules.approve, h.kit.reschedules.decline):
        with pytest.raises(RescheduleRefused) as caught:
            answer(T, request.id, role="coach", actor="ana")
        assert (caught.value.rule, caught.value.request_id) == ("own_request", request.id)
    assert h.kit.queries.get(T, session.id).start == START
    assert h.kit.reschedules.get(T, request.id).status == PENDING
    # A role that bypasses notice (the host, staff) may answer any request, its own too.
    approved = h.kit.reschedules.approve(T, request.id, role="host", actor="ana")
    assert approved.status == APPROVED


def test_a_late_approve_may_only_agree_with_what_silence_answered(h: Harness) -> None:
    # Exempt from the deadline, a late approve moved a request that had expired (no
    # time) and overrode the proposed time silence had approved.
    timeless = h.kit.reschedules.request(
        T, lesson(h).id, role="student", actor="ana", reason=REASON
    )
    with pytest.raises(RescheduleRefused) as expired:
        h.kit.reschedules.approve(
            T,
            timeless.id,
            role="coach",
            actor="cleo",
            start=START + timedelta(days=2),
            now=timeless.deadline + timedelta(hours=1),
        )
    assert (expired.value.rule, expired.value.request_id) == ("deadline_passed", timeless.id)
    other = lesson(h, START + timedelta(days=10))
    proposed = START + timedelta(days=11)
    timed = h.kit.reschedules.request(
        T, other.id, role="student", actor="ana", reason=REASON, proposed_start=proposed
    )
    late = timed.deadline + timedelta(hours=1)
    with pytest.raises(RescheduleRefused) as overridden:
        h.kit.reschedules.approve(
            T, timed.id, role="coach", actor="cleo", start=START + timedelta(days=12), now=late
        )
    assert overridden.value.rule == "deadline_passed"
    assert h.kit.queries.get(T, other.id).start == other.start  # nothing moved
    agreed = h.kit.reschedules.approve(
        T, timed.id, role="coach", actor="cleo", start=proposed, now=late
    )
    assert (agreed.status, agreed.new_start) == (APPROVED, proposed)
    # A proposed time silence could not apply (taken meanwhile): the request expired.
    third = lesson(h, START + timedelta(days=20))
    wanted = START + timedelta(days=21)
    taken = h.kit.reschedules.request(
        T, third.id, role="student", actor="ana", reason=REASON, proposed_start=wanted
    )
    lesson(h, wanted)  # the coach's hour is gone
    with pytest.raises(RescheduleRefused) as gone:
        h.kit.reschedules.approve(
            T, taken.id, role="coach", actor="cleo", now=taken.deadline + timedelta(hours=1)
        )
    assert gone.value.rule == "deadline_passed"
    assert "expired" in str(gone.value)


def test_an_auto_approval_whose_time_is_taken_expires_with_the_reason(h: Harness) -> None:
    session = lesson(h)
    target = START + timedelta(days=1)
    request = h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=REASON, proposed_start=target
    )
    lesson(h, target)  # the coach booked that hour meanwhile
    report = h.kit.reschedules.approve_due(now=request.deadline)
    assert [r.status for r in report.expired] == [EXPIRED]
    last = [e for e in h.events.events if isinstance(e, RescheduleStatusChanged)][-1]
    assert last.reason is not None
    assert "could not be applied" in last.reason


def test_max_reschedules_counts_moves(h: Harness) -> None:
    kit = Harness.in_memory(NOW, notice=NoticePolicy(max_reschedules=1)).kit
    session = lesson_on(kit)
    first = kit.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason=REASON,
        proposed_start=START + timedelta(days=1),
    )
    kit.reschedules.approve(T, first.id, role="coach", actor="cleo")
    with pytest.raises(RescheduleRefused) as caught:
        kit.reschedules.request(T, session.id, role="student", actor="ana", reason=REASON)
    assert (caught.value.rule, caught.value.allows_at) == ("max_reschedules", None)


def lesson_on(kit: object) -> Session:
    return kit.sessions.create_extra(  # type: ignore[attr-defined, no-any-return]
        T,
        actor="cleo",
        start=START,
        end=START + timedelta(hours=1),
        resources=[COACH],
        lifecycle="lms",
        title="Maths",
    )


def test_options_say_until_when_and_for_how_much(h: Harness) -> None:
    session = lesson(h)
    student = h.kit.reschedules.options(T, session.id, role="student")
    assert student.reschedule is None
    assert student.reschedule_until == START - timedelta(hours=24)
    assert student.refund_percent == Decimal(100)
    assert [(t.percent, t.until) for t in student.cancel_tiers] == [
        (Decimal(100), START - timedelta(hours=48)),
        (Decimal(50), START - timedelta(hours=24)),
    ]
    late = h.kit.reschedules.options(T, session.id, role="coach", now=START - timedelta(hours=30))
    assert late.reschedule is not None
    assert late.reschedule.rule == "notice"
    assert late.reschedule_until is None
    assert late.refund_percent == Decimal(50)  # 30 h notice: the 24 h tier
    assert [(t.percent, t.until) for t in late.cancel_tiers] == [
        (Decimal(50), START - timedelta(hours=24))
    ]
    request = h.kit.reschedules.request(T, session.id, role="student", actor="ana", reason=REASON)
    pending = h.kit.reschedules.options(T, session.id, role="host")
    assert pending.pending == request
    assert pending.reschedule is not None
    assert pending.reschedule.rule == "one_pending"


def test_options_name_no_last_instant_for_a_role_no_notice_names() -> None:
    # The default notice names nobody: a coach is bound only by the start, which is itself
    # refused. reschedule_until was the start, an instant a request fails at.
    h = Harness.in_memory(NOW, id_prefix="x")
    session = lesson(h)
    coach = h.kit.reschedules.options(T, session.id, role="coach")
    assert (coach.reschedule, coach.reschedule_until) == (None, None)
    refusal = h.kit.reschedules.can_request(T, session.id, role="coach", now=START)
    assert refusal is not None
    assert refusal.rule == "in_the_past"


@settings(max_examples=60, deadline=None)
@given(
    role=st.sampled_from(["student", "coach", "host"]),
    before=st.integers(min_value=-3600, max_value=4 * 24 * 3600),
    pending=st.booleans(),
)
def test_can_request_says_yes_exactly_when_request_succeeds(
    role: str, before: int, pending: bool
) -> None:
    h = Harness.in_memory(NOW, notice=coaching_notice())
    session = lesson(h)
    if pending:
        h.kit.reschedules.request(T, session.id, role="host", actor="hal", reason=REASON)
    at = START - timedelta(seconds=before)
    answer = h.kit.reschedules.can_request(T, session.id, role=role, now=at)
    outcome: tuple[str, datetime | None] | None = None
    try:
        h.kit.reschedules.request(T, session.id, role=role, actor="x", reason=REASON, now=at)
    except RescheduleRefused as refused:
        outcome = (refused.rule, refused.allows_at)
    assert outcome == (None if answer is None else (answer.rule, answer.allows_at))


def test_a_new_time_beyond_the_publishing_horizon_is_refused_like_a_moved_session() -> None:
    # update() refuses to move a session past the rules' max_horizon with publish_in_horizon;
    # a reschedule moved it there all the same, asked, approved or by silence.
    rules = BookingRules(max_horizon=timedelta(weeks=4), publish_in_horizon=True)
    h = Harness.in_memory(NOW, id_prefix="x", notice=coaching_notice(), booking_rules=rules)
    session = lesson(h)
    far = NOW + timedelta(weeks=6)
    with pytest.raises(RescheduleRefused) as caught:
        h.kit.reschedules.request(
            T, session.id, role="student", actor="ana", reason=REASON, proposed_start=far
        )
    # Within the horizon from far - 4 weeks, but the lesson has begun by then: never.
    assert (caught.value.rule, caught.value.allows_at) == ("max_horizon", None)
    assert "and by then:" in caught.value.reason
    request = h.kit.reschedules.request(T, session.id, role="student", actor="ana", reason=REASON)
    with pytest.raises(RescheduleRefused) as approving:
        h.kit.reschedules.approve(T, request.id, role="coach", actor="cleo", start=far)
    assert approving.value.rule == "max_horizon"
    assert h.kit.queries.get(T, session.id).start == START
    within = NOW + timedelta(weeks=3)
    approved = h.kit.reschedules.approve(T, request.id, role="coach", actor="cleo", start=within)
    assert approved.status == APPROVED
    assert h.kit.queries.get(T, session.id).start == within


def test_a_new_time_past_the_horizon_names_when_it_is_allowed_only_if_it_ever_is() -> None:
    rules = BookingRules(max_horizon=timedelta(weeks=4), publish_in_horizon=True)
    h = Harness.in_memory(NOW, id_prefix="x", notice=coaching_notice(), booking_rules=rules)
    session = lesson(h, NOW + timedelta(weeks=3))
    soon = NOW + timedelta(weeks=5)  # within the horizon in a week, the lesson two weeks off
    with pytest.raises(RescheduleRefused) as caught:
        h.kit.reschedules.request(
            T, session.id, role="student", actor="ana", reason=REASON, proposed_start=soon
        )
    allows_at = soon - timedelta(weeks=4)
    assert (caught.value.rule, caught.value.allows_at) == ("max_horizon", allows_at)
    asked = h.kit.reschedules.request(  # and then it is taken
        T,
        session.id,
        role="student",
        actor="ana",
        reason=REASON,
        proposed_start=soon,
        now=allows_at,
    )
    assert asked.proposed_start == soon
    h.kit.reschedules.withdraw(T, asked.id, role="student", actor="ana", now=allows_at)
    # The student's 24 hours' notice runs out before the lesson's start comes in range.
    late = session.start + timedelta(weeks=4, hours=1)
    with pytest.raises(RescheduleRefused) as shut:
        h.kit.reschedules.request(
            T, session.id, role="student", actor="ana", reason=REASON, proposed_start=late
        )
    assert (shut.value.rule, shut.value.allows_at) == ("max_horizon", None)
    assert "and by then:" in shut.value.reason


def test_a_new_time_past_the_horizon_names_no_instant_its_lead_then_refuses() -> None:
    # The new time is a horizon ahead at allows_at, less than the notice's min_lead.
    rules = BookingRules(max_horizon=timedelta(days=7), publish_in_horizon=True)
    notice = NoticePolicy(min_lead=timedelta(days=10))
    h = Harness.in_memory(NOW, id_prefix="x", notice=notice, booking_rules=rules)
    session = lesson(h, NOW + timedelta(days=6))
    with pytest.raises(RescheduleRefused) as caught:
        h.kit.reschedules.request(
            T,
            session.id,
            role="host",
            actor="cleo",
            reason=REASON,
            proposed_start=NOW + timedelta(days=12),
        )
    assert (caught.value.rule, caught.value.allows_at) == ("max_horizon", None)
    assert "and by then:" in caught.value.reason


def test_an_approval_past_the_horizon_names_no_instant_past_the_request_deadline() -> None:
    rules = BookingRules(max_horizon=timedelta(weeks=4), publish_in_horizon=True)
    h = Harness.in_memory(NOW, id_prefix="x", notice=coaching_notice(), booking_rules=rules)
    session = lesson(h, NOW + timedelta(days=10))
    request = h.kit.reschedules.request(T, session.id, role="student", actor="ana", reason=REASON)
    assert request.deadline == NOW + timedelta(days=1)
    after = NOW + timedelta(weeks=4, days=2)  # in range in two days: past the deadline
    with pytest.raises(RescheduleRefused) as caught:
        h.kit.reschedules.approve(T, request.id, role="coach", actor="cleo", start=after)
    assert (caught.value.rule, caught.value.allows_at) == ("max_horizon", None)
    assert caught.value.request_id == request.id
    before = NOW + timedelta(weeks=4, hours=12)  # in range in 12 hours: before it
    with pytest.raises(RescheduleRefused) as waiting:
        h.kit.reschedules.approve(T, request.id, role="coach", actor="cleo", start=before)
    assert (waiting.value.rule, waiting.value.allows_at) == (
        "max_horizon",
        NOW + timedelta(hours=12),
    )
    approved = h.kit.reschedules.approve(
        T, request.id, role="coach", actor="cleo", start=before, now=NOW + timedelta(hours=12)
    )
    assert approved.new_start == before


def test_cancelling_a_session_expires_its_pending_request_with_the_reason(h: Harness) -> None:
    session = lesson(h)
    request = ana_asks(h, session)
    h.kit.sessions.cancel(T, session.id, actor="cleo", reason="coach ill")
    expired = h.kit.reschedules.get(T, request.id)
    assert (expired.status, expired.decided_by, expired.new_start) == (EXPIRED, None, None)
    assert reschedule_events(h) == ["request", "expire"]
    (event,) = [
        e
        for e in h.events.events
        if isinstance(e, RescheduleStatusChanged) and e.change.transition == "expire"
    ]
    assert (event.reason, event.actor) == ("the session was cancelled: coach ill", "cleo")
    with pytest.raises(RescheduleRefused) as caught:  # not SessionLocked from the move
        h.kit.reschedules.approve(T, request.id, role="coach", actor="cleo")
    assert caught.value.rule == "not_pending"
    assert h.kit.reschedules.approve_due(now=request.deadline) == RescheduleReport()


def test_an_approved_move_offers_a_seat_whose_hold_ran_out_to_the_waitlist() -> None:
    rules = BookingRules(waitlist=True, hold_for=timedelta(minutes=15))
    h = Harness.in_memory(NOW, id_prefix="x", notice=coaching_notice(), booking_rules=rules)
    session = lesson(h)
    ana = h.kit.bookings.book(T, session.id, "student:ana", actor="ana")
    ben = h.kit.bookings.book(T, session.id, "student:ben", actor="ben", waitlist=True)
    h.clock.advance(timedelta(minutes=20))  # Ana's hold ran out; no job ran
    new_start = START + timedelta(days=1)
    request = h.kit.reschedules.request(
        T, session.id, role="coach", actor="cleo", reason=REASON, proposed_start=new_start
    )
    h.kit.reschedules.approve(T, request.id, role="host", actor="hal")
    moved = h.kit.bookings.get(T, ben.id)
    assert (h.kit.bookings.get(T, ana.id).status, moved.status) == ("EXPIRED", "OFFERED")
    assert (moved.session_start, moved.hold_expires_at) == (
        new_start,
        h.clock.now() + rules.offer_for,
    )


@pytest.mark.parametrize("how", ["advance_due", "tick_advance", "tick", "fire", "fire_many"])
def test_a_session_silence_moved_is_not_missed_at_the_time_it_left(how: str) -> None:
    # No tick ran between the request's deadline and the old start: the status job (or a
    # hand-fired "miss") marked the session MISSED at the old time, the request then
    # expired, though options had long said silence moved it.
    clock = ManualClock(NOW)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        notice=coaching_notice(),
        facts=attendance_facts(),
    )
    start = NOW + timedelta(days=3)
    s = kit.sessions.create_extra(
        T,
        actor="cleo",
        start=start,
        end=start + timedelta(hours=1),
        resources=[COACH],
        lifecycle="coaching",
        title="Maths",
    )
    moved_to = start + timedelta(days=2)
    asked = kit.reschedules.request(
        T, s.id, role="student", actor="ana", reason=REASON, proposed_start=moved_to
    )
    late = start + timedelta(minutes=31)
    if how == "advance_due":
        assert kit.advance_due(T, now=late).advanced == ()
    elif how.startswith("tick"):  # the status pass alone asks each session; after its own
        kinds = ["advance"] if how == "tick_advance" else ["reschedules", "advance"]
        report = kit.tick(now=late, kinds=kinds)  # reschedules pass, need not
        assert (report.approved, report.advanced, report.idle) == (1, 0, False)
    else:
        clock.set(late)
        fire: Callable[..., object] = (
            partial(kit.sessions.fire, T, s.id)
            if how == "fire"
            else partial(kit.sessions.fire_many, T, [s.id])
        )
        with pytest.raises(TransitionRefused):  # it has not started: it starts in two days
            fire("miss", actor="cleo")
        kit.approve_reschedules(now=late)  # what fire's refusal rolled back, the tick does
    now = kit.queries.get(T, s.id)
    assert (now.status, now.start) == ("SCHEDULED", moved_to)
    assert kit.reschedules.get(T, asked.id).status == AUTO_APPROVED


def test_a_full_refund_roles_tier_lasts_until_the_session_is_over(h: Harness) -> None:
    # A host's cancel refunds in full until the session is over; its one tier ended at the
    # start, so after the start options named a last instant already past.
    s = lesson(h)
    for at in (NOW, s.start + timedelta(minutes=30)):
        shown = h.kit.reschedules.options(T, s.id, role="host", now=at)
        assert [(t.percent, t.until) for t in shown.cancel_tiers] == [(Decimal(100), s.end)]
        assert shown.refund_percent == Decimal(100)
