"""A pending reschedule request past its deadline is answered by silence before it refuses.

``settle_overdue`` does at a command's instant what the tick would: a request
past its deadline with a proposed time is AUTO_APPROVED (the session moved),
one without EXPIRES, so ``one_pending`` never names an ``allows_at`` in the past.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sessionkit.errors import RescheduleRefused
from sessionkit.model import ResourceRef, Session
from sessionkit.model.money import Money
from sessionkit.model.reschedule import AUTO_APPROVED, EXPIRED, PENDING, RescheduleStatusChanged
from sessionkit.policies import (
    FixedPrice,
    NoticePolicy,
    RefundPolicy,
    RefundTier,
    coaching_notice,
)
from sessionkit.ports import RESCHEDULES
from sessionkit.services._reschedule_refusals import request_refusal
from sessionkit.services._reschedule_steps import lock_session, settle_overdue
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = datetime(2026, 3, 6, 10, tzinfo=UTC)
DEADLINE = NOW + timedelta(hours=24)  # answer_within
MOVED = START + timedelta(days=1)
ASK = "I have an exam that morning"
ROOM = "The room is taken that day"


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(NOW, id_prefix="x", notice=coaching_notice())


def lesson(h: Harness) -> Session:
    return h.kit.sessions.create_extra(
        T,
        actor="cleo",
        title="Maths",
        lifecycle="lms",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
    )


def asked(h: Harness, session: Session, *, proposed: bool = True) -> str:
    request = h.kit.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason=ASK,
        proposed_start=MOVED if proposed else None,
    )
    assert request.deadline == DEADLINE
    return request.id


def transitions(h: Harness) -> list[str]:
    return [e.change.transition for e in h.events.events if isinstance(e, RescheduleStatusChanged)]


# -- the step ---------------------------------------------------------------------------


@pytest.mark.parametrize("late", [timedelta(0), timedelta(hours=1)])
def test_settle_overdue_approves_a_due_request_as_the_tick_would(
    h: Harness, late: timedelta
) -> None:
    session = lesson(h)
    first = asked(h, session)
    ctx = h.kit.context
    with ctx.transaction(DEADLINE + late) as tx:
        repo = tx.repository(RESCHEDULES)
        settled = settle_overdue(ctx, tx, repo, lock_session(tx, T, session.id))
        assert settled.start == MOVED
        assert repo.pending_for(T, session.id) is None
        assert request_refusal(ctx, tx, repo, settled, "coach") is None
    answered = h.kit.reschedules.get(T, first)
    assert (answered.status, answered.new_start, answered.decided_by) == (
        AUTO_APPROVED,
        MOVED,
        None,
    )
    assert h.kit.queries.get(T, session.id).start == MOVED
    assert transitions(h) == ["request", "auto_approve"]


def test_settle_overdue_lets_a_request_without_a_time_expire(h: Harness) -> None:
    session = lesson(h)
    first = asked(h, session, proposed=False)
    ctx = h.kit.context
    with ctx.transaction(DEADLINE) as tx:
        settled = settle_overdue(
            ctx, tx, tx.repository(RESCHEDULES), lock_session(tx, T, session.id)
        )
        assert settled == session
    assert h.kit.reschedules.get(T, first).status == EXPIRED
    assert h.kit.queries.get(T, session.id).start == START


def test_settle_overdue_leaves_a_request_before_its_deadline(h: Harness) -> None:
    session = lesson(h)
    first = asked(h, session)
    ctx = h.kit.context
    with ctx.transaction(DEADLINE - timedelta(microseconds=1)) as tx:
        repo = tx.repository(RESCHEDULES)
        assert settle_overdue(ctx, tx, repo, lock_session(tx, T, session.id)) == session
        refusal = request_refusal(ctx, tx, repo, session, "coach")
        assert refusal is not None
        assert (refusal.rule, refusal.allows_at) == ("one_pending", DEADLINE)
    assert h.kit.reschedules.get(T, first).status == PENDING


# -- the commands (once wired) ----------------------------------------------------------


@pytest.mark.parametrize("late", [timedelta(0), timedelta(hours=1)])
def test_a_request_after_the_deadline_is_judged_after_silence_answered(
    h: Harness, late: timedelta
) -> None:
    session = lesson(h)
    first = asked(h, session)
    at = DEADLINE + late
    assert h.kit.reschedules.can_request(T, session.id, role="coach", now=at) is None
    options = h.kit.reschedules.options(T, session.id, role="coach", now=at)
    assert (options.reschedule, options.pending) == (None, None)
    assert h.kit.reschedules.get(T, first).status == PENDING  # the reads wrote nothing
    second = h.kit.reschedules.request(
        T, session.id, role="coach", actor="cleo", reason=ROOM, now=at
    )
    assert (second.status, second.session_start, second.deadline) == (
        PENDING,
        MOVED,
        at + timedelta(hours=24),
    )
    assert h.kit.reschedules.get(T, first).status == AUTO_APPROVED
    assert h.kit.queries.get(T, session.id).start == MOVED
    assert transitions(h) == ["request", "auto_approve", "request"]


def test_a_refusal_after_the_deadline_names_no_past_allows_at(h: Harness) -> None:
    session = lesson(h)
    asked(h, session)
    at = DEADLINE + timedelta(hours=1)
    h.kit.reschedules.request(T, session.id, role="coach", actor="cleo", reason=ROOM, now=at)
    later = at + timedelta(hours=1)
    with pytest.raises(RescheduleRefused) as caught:
        h.kit.reschedules.request(T, session.id, role="student", actor="ana", reason=ASK, now=later)
    assert caught.value.rule == "one_pending"
    assert caught.value.allows_at == at + timedelta(hours=24)
    refusal = h.kit.reschedules.can_request(T, session.id, role="student", now=later)
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("one_pending", at + timedelta(hours=24))


def test_a_cancel_after_the_deadline_refunds_what_the_options_said() -> None:
    # The request's silence moved the lesson a day later, into the full-refund tier again:
    # options answered the request (and rolled it back) and promised 100 %, while a cancel
    # judged the session at its old start and refunded nothing.
    holder: list[Harness] = []
    gateway = FakeGateway(clock=lambda: holder[0].clock.now(), instant=True)
    h = Harness.in_memory(
        NOW,
        id_prefix="x",
        notice=coaching_notice(),
        gateway=gateway,
        pricing=lambda _session: FixedPrice(Money.of(40, "EUR")),
        refunds=RefundPolicy(tiers=(RefundTier(timedelta(days=3), 100),)),
    )
    holder.append(h)
    session = lesson(h)
    checkout = h.kit.payments.book(T, session.id, "student:ana", actor="ana", role="student")
    for event in gateway.drain():
        h.kit.payments.apply(T, event)
    first = asked(h, session)
    at = DEADLINE + timedelta(hours=4)  # 3 days less 2 hours before START, 4 days before MOVED
    options = h.kit.reschedules.options(T, session.id, role="student", now=at)
    assert options.refund_percent == Decimal(100)
    assert h.kit.reschedules.get(T, first).status == PENDING
    payment = h.kit.payments.cancel(
        T, checkout.booking.id, actor="ana", role="student", reason="ill", now=at
    )
    assert payment is not None
    assert (payment.refunded + payment.refund_due, payment.status) == (Decimal(40), "REFUNDED")
    assert h.kit.reschedules.get(T, first).status == AUTO_APPROVED
    assert h.kit.queries.get(T, session.id).start == MOVED
    assert h.kit.bookings.get(T, checkout.booking.id).session_start == MOVED


# -- a proposed time soon after the request -----------------------------------------------


@pytest.mark.parametrize("late", [timedelta(0), timedelta(minutes=30), timedelta(minutes=59)])
def test_silence_approves_a_time_proposed_within_the_answer_time_however_late_the_tick(
    h: Harness, late: timedelta
) -> None:
    # Seed 004: silence approves. Asked 6 hours ahead, the request's deadline was 24 hours
    # out, when the time was too near (min_lead 1 hour) to apply: it could only expire. And
    # a late tick judged the time at its own instant: on time approved, 30 minutes late not.
    session = lesson(h)
    soon = NOW + timedelta(hours=6)
    request = h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=ASK, proposed_start=soon
    )
    assert request.deadline == soon - timedelta(hours=1)
    h.clock.set(request.deadline + late)
    report = h.kit.tick(T)
    assert report.approved == 1
    answered = h.kit.reschedules.get(T, request.id)
    assert (answered.status, answered.new_start) == (AUTO_APPROVED, soon)
    assert h.kit.queries.get(T, session.id).start == soon


def test_a_time_already_past_when_silence_answers_is_not_applied(h: Harness) -> None:
    # A worker down past the proposed time: silence would move the session into the past
    # (and its status steps mark it missed). It expires instead; the lesson keeps its time.
    session = lesson(h)
    soon = NOW + timedelta(hours=6)
    request = h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=ASK, proposed_start=soon
    )
    h.clock.set(soon + timedelta(hours=18))
    report = h.kit.tick(T)
    assert (report.approved, report.lapsed) == (0, 1)
    assert h.kit.reschedules.get(T, request.id).status == EXPIRED
    [expired] = [
        e.change for e in h.events.of_type(RescheduleStatusChanged) if e.change.to_status == EXPIRED
    ]
    assert expired.reason is not None
    assert "had passed when it was answered" in expired.reason
    assert h.kit.queries.get(T, session.id).start == START


def test_with_no_min_lead_silence_is_never_left_a_time_it_cannot_approve() -> None:
    # With min_lead 0 a time sooner than the answer time was its own deadline: silence,
    # answering then, found it no longer ahead and let every such request expire.
    h = Harness.in_memory(NOW, id_prefix="x", notice=NoticePolicy(min_lead=timedelta(0)))
    session = lesson(h)
    soon = NOW + timedelta(hours=6)
    with pytest.raises(RescheduleRefused) as caught:
        h.kit.reschedules.request(
            T, session.id, role="student", actor="ana", reason=ASK, proposed_start=soon
        )
    assert (caught.value.rule, caught.value.allows_at) == ("min_lead", None)
    assert DEADLINE.isoformat() in str(caught.value)
    assert h.kit.reschedules.for_session(T, session.id) == []
    # A time after the answer time is taken, and silence approves it at its deadline.
    later = DEADLINE + timedelta(minutes=1)
    request = h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=ASK, proposed_start=later
    )
    assert request.deadline == DEADLINE
    h.clock.set(DEADLINE)
    assert h.kit.tick(T).approved == 1
    assert h.kit.queries.get(T, session.id).start == later


@pytest.mark.parametrize("ticked", [True, False])
def test_an_update_after_the_deadline_finds_silence_answered_whether_or_not_the_tick_ran(
    h: Harness, ticked: bool
) -> None:
    # Without the tick, the host's move came first: the request then expired ("the session
    # was moved since"), where after the tick it was approved and the move started from there.
    session = lesson(h)
    first = asked(h, session)
    h.clock.set(DEADLINE + timedelta(minutes=5))
    if ticked:
        assert h.kit.tick(T).approved == 1
    elsewhere = MOVED + timedelta(hours=3)
    updated = h.kit.sessions.update(T, session.id, actor="hal", start=elsewhere)
    assert (updated.start, updated.end) == (elsewhere, elsewhere + timedelta(hours=1))
    answered = h.kit.reschedules.get(T, first)
    assert (answered.status, answered.new_start) == (AUTO_APPROVED, MOVED)
    assert transitions(h) == ["request", "auto_approve"]
    h.kit.tick(T)
    assert h.kit.queries.get(T, session.id).start == elsewhere


def test_an_update_changing_nothing_else_still_stores_silences_answer(h: Harness) -> None:
    session = lesson(h)
    first = asked(h, session)
    h.clock.set(DEADLINE)
    updated = h.kit.sessions.update(T, session.id, actor="hal", title="Algebra")
    assert (updated.title, updated.start) == ("Algebra", MOVED)
    assert h.kit.reschedules.get(T, first).status == AUTO_APPROVED


def test_silence_answers_an_academy_request_before_ready_locks_the_session() -> None:
    # The deadline was the start, 15 minutes after READY (not editable) locked the session:
    # silence could only let every request asked within a day of the lesson expire.
    start = NOW + timedelta(hours=10)
    h = Harness.in_memory(NOW, id_prefix="x")
    session = h.kit.sessions.create_extra(
        T,
        actor="hal",
        title="Hifz",
        lifecycle="academy",
        start=start,
        end=start + timedelta(hours=1),
        capacity=1,
    )
    ready = start - timedelta(minutes=15)
    request = h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=ASK, proposed_start=MOVED
    )
    assert request.deadline == ready
    h.clock.set(ready + timedelta(minutes=5))  # a late tick: silence still came first
    assert h.kit.tick(T).approved == 1
    moved = h.kit.queries.get(T, session.id)
    assert (moved.start, moved.status) == (MOVED, "SCHEDULED")
    # Asked once READY is due (the tick not run yet): the session is locked, tick or not.
    late = h.kit.sessions.create_extra(
        T,
        actor="hal",
        title="Hifz",
        lifecycle="academy",
        start=start,
        end=start + timedelta(hours=1),
        capacity=1,
    )
    h.clock.set(ready + timedelta(minutes=1))
    with pytest.raises(RescheduleRefused) as refused:  # as READY would be: it cannot move
        h.kit.reschedules.request(
            T, late.id, role="student", actor="ana", reason=ASK, proposed_start=MOVED
        )
    assert (refused.value.rule, refused.value.allows_at) == ("not_reschedulable", None)
    assert h.kit.queries.get(T, late.id).status == "SCHEDULED"
