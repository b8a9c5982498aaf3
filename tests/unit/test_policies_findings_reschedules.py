"""Findings of a new user's walk through the policies: what ``options`` and ``request`` promise.

Each test runs on the in-memory store and on SQLite (``SqlAlchemyStore``), as a
user of either would see it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import CancelRefused, RescheduleRefused
from sessionkit.model import ResourceRef, Session
from sessionkit.model.series import ScheduleItem
from sessionkit.policies import (
    NoticePolicy,
    NoticeRule,
    RefundPolicy,
    Refusal,
    coaching_notice,
)
from sessionkit.ports import UnitOfWork
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
REASON = "I have an exam that morning"


def _memory() -> Callable[[], UnitOfWork]:
    return InMemoryStore().unit_of_work


def _sqlite() -> Callable[[], UnitOfWork]:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_schema(engine)
    return SqlAlchemyStore(engine).unit_of_work


@pytest.fixture(params=[_memory, _sqlite], ids=["memory", "sqlite"])
def kit(request: pytest.FixtureRequest) -> SessionKit:
    counter = itertools.count(1)
    return SessionKit(
        uow=request.param(),
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
        notice=coaching_notice(),
        refunds=RefundPolicy(late_percent=30),
    )


def lesson(kit: SessionKit, start: datetime) -> Session:
    return kit.sessions.create_extra(
        T,
        actor="cleo",
        start=start,
        end=start + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
        lifecycle="lms",
        capacity=1,
        title="Maths",
    )


def test_options_after_the_end_refuse_a_participants_cancel_as_cancel_does(kit: SessionKit) -> None:
    # options said cancel=None and refund_percent=30 for a session that was over, while
    # kit.bookings.cancel refused the very cancel with rule "ended".
    start = NOW + timedelta(days=2)
    session = lesson(kit, start)
    seat = kit.bookings.book(
        T, session.id, "student:ana", actor="ana", role="student", confirm=True
    )
    after = start + timedelta(hours=2)
    options = kit.reschedules.options(T, session.id, role="student", now=after)
    with pytest.raises(CancelRefused) as refused:
        kit.bookings.cancel(T, seat.id, actor="ana", role="student", now=after)
    assert refused.value.rule == "ended"
    assert options.cancel is not None
    assert (options.cancel.rule, options.cancel.allows_at) == ("ended", None)
    assert (options.refund_percent, options.cancel_tiers) == (Decimal(0), ())


def test_options_after_the_end_leave_a_host_the_write_off_but_promise_no_refund(
    kit: SessionKit,
) -> None:
    start = NOW + timedelta(days=2)
    session = lesson(kit, start)
    seat = kit.bookings.book(
        T, session.id, "student:ana", actor="ana", role="student", confirm=True
    )
    after = start + timedelta(hours=2)
    options = kit.reschedules.options(T, session.id, role="host", now=after)
    assert (options.cancel, options.refund_percent, options.cancel_tiers) == (None, Decimal(0), ())
    # An unpaid booking: the host writes it off, and nothing is refunded.
    assert kit.bookings.cancel(T, seat.id, actor="cleo", role="host", now=after).status == (
        "CANCELLED"
    )


@pytest.mark.parametrize("uow", [_memory, _sqlite], ids=["memory", "sqlite"])
def test_a_cancel_after_the_end_says_ended_also_where_a_notice_rule_covers_the_role(
    uow: Callable[[], Callable[[], UnitOfWork]],
) -> None:
    # With a cancel notice for students, a student's cancel after the end was refused
    # with rule "notice" ("at least 1 day before the start"), by options and by cancel:
    # true, but the reason that stands is that the session is over.
    notice = NoticePolicy(rules=(NoticeRule("cancel", {"student"}, timedelta(hours=24)),))
    kit = SessionKit(uow=uow(), clock=ManualClock(NOW), notice=notice)
    start = NOW + timedelta(days=2)
    session = lesson(kit, start)
    seat = kit.bookings.book(
        T, session.id, "student:ana", actor="ana", role="student", confirm=True
    )
    after = start + timedelta(hours=2)
    with pytest.raises(CancelRefused) as refused:
        kit.bookings.cancel(T, seat.id, actor="ana", role="student", now=after)
    assert (refused.value.rule, refused.value.allows_at) == ("ended", None)
    options = kit.reschedules.options(T, session.id, role="student", now=after)
    assert options.cancel is not None
    assert (options.cancel.rule, options.cancel.allows_at) == ("ended", None)
    # Before the end, inside the notice, the notice still refuses.
    late = start - timedelta(hours=1)
    with pytest.raises(CancelRefused) as inside:
        kit.bookings.cancel(T, seat.id, actor="ana", role="student", now=late)
    assert inside.value.rule == "notice"
    assert kit.reschedules.options(T, session.id, role="student", now=late).cancel == Refusal(
        rule="notice", reason=inside.value.reason, allows_at=None
    )


def test_options_before_the_end_are_unchanged(kit: SessionKit) -> None:
    start = NOW + timedelta(days=2)
    session = lesson(kit, start)
    during = start + timedelta(minutes=30)  # started, not over: a cancel is still taken
    options = kit.reschedules.options(T, session.id, role="student", now=during)
    assert (options.cancel, options.refund_percent) == (None, Decimal(30))


def test_one_pending_names_no_allows_at_when_the_roles_notice_has_passed_by_then(
    kit: SessionKit,
) -> None:
    # A host's request (no time) is answered by silence 24 hours on; a student's own
    # notice (24 hours before the start) passes 8 hours earlier. allows_at pointed to
    # the pending request's deadline, where request refused again with rule "notice".
    start = NOW + timedelta(hours=40)
    session = lesson(kit, start)
    pending = kit.reschedules.request(T, session.id, role="host", actor="admin", reason=REASON)
    assert pending.deadline == NOW + timedelta(hours=24)
    refusal = kit.reschedules.can_request(T, session.id, role="student")
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("one_pending", None)
    assert "student must request reschedule at least 1 day before the start" in refusal.reason
    options = kit.reschedules.options(T, session.id, role="student")
    assert options.reschedule == refusal
    with pytest.raises(RescheduleRefused) as refused:
        kit.reschedules.request(T, session.id, role="student", actor="ana", reason=REASON)
    assert (refused.value.rule, refused.value.allows_at) == ("one_pending", None)
    assert refused.value.request_id == pending.id
    with pytest.raises(RescheduleRefused) as later:
        kit.reschedules.request(
            T, session.id, role="student", actor="ana", reason=REASON, now=pending.deadline
        )
    assert later.value.rule == "notice"


def test_one_pending_keeps_allows_at_when_silence_moves_the_session_out_of_the_notice(
    kit: SessionKit,
) -> None:
    # With a proposed time a week on, silence moves the session there at the deadline:
    # then the student may ask again, so the deadline is when it allows.
    start = NOW + timedelta(hours=40)
    session = lesson(kit, start)
    pending = kit.reschedules.request(
        T,
        session.id,
        role="host",
        actor="admin",
        reason=REASON,
        proposed_start=start + timedelta(days=7),
    )
    refusal = kit.reschedules.can_request(T, session.id, role="student")
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("one_pending", pending.deadline)
    asked = kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=REASON, now=pending.deadline
    )
    assert asked.status == "PENDING"


def test_one_pending_names_no_allows_at_when_silence_cannot_move_the_session(
    kit: SessionKit,
) -> None:
    # The proposed time was taken after the request: silence lets the request expire at
    # its deadline and the session stays inside the student's notice. allows_at named the
    # deadline, where the student was refused again (notice), for good.
    start = NOW + timedelta(hours=40)
    session = lesson(kit, start)
    target = start + timedelta(days=7)
    pending = kit.reschedules.request(
        T, session.id, role="host", actor="admin", reason=REASON, proposed_start=target
    )
    kit.sessions.create_extra(
        T,
        actor="admin",
        title="Another lesson",
        start=target,
        end=target + timedelta(hours=1),
        resources=list(session.resources),
        lifecycle="lms",
    )
    refusal = kit.reschedules.can_request(T, session.id, role="student")
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("one_pending", None)
    with pytest.raises(RescheduleRefused) as caught:
        kit.reschedules.request(T, session.id, role="student", actor="ana", reason=REASON)
    assert (caught.value.rule, caught.value.allows_at) == ("one_pending", None)
    kit.reschedules.approve_due(now=pending.deadline)
    assert kit.reschedules.get(T, pending.id).status == "EXPIRED"
    with pytest.raises(RescheduleRefused) as late:
        kit.reschedules.request(
            T, session.id, role="student", actor="ana", reason=REASON, now=pending.deadline
        )
    assert late.value.rule == "notice"


def test_one_pending_names_no_allows_at_when_the_series_took_the_proposed_start(
    kit: SessionKit,
) -> None:
    # Another session of the lesson's series was put at the proposed time after the
    # request (no resource shared: nothing busy in the way). Silence cannot move the lesson
    # there (a series holds one session per start) and lets the request expire; the
    # prediction checked the resources only, and allows_at named the deadline, where the
    # student was refused again (notice), for good.
    start = NOW + timedelta(hours=40)
    rule = Recurrence.weekly(
        days=("WE",), at=time(0), duration=timedelta(hours=1), tz="UTC", start=start.date(), count=1
    )
    series, _ = kit.series.create(
        T, actor="cleo", title="Maths", items=[ScheduleItem(id="wed", recurrence=rule)]
    )
    [session] = kit.queries.series_sessions(T, series.id)
    assert session.start == start
    target = start + timedelta(days=7)
    pending = kit.reschedules.request(
        T, session.id, role="host", actor="admin", reason=REASON, proposed_start=target
    )
    kit.sessions.create_extra(
        T, actor="admin", series_id=series.id, start=target, end=target + timedelta(hours=1)
    )
    refusal = kit.reschedules.can_request(T, session.id, role="student")
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("one_pending", None)
    with pytest.raises(RescheduleRefused) as caught:
        kit.reschedules.request(T, session.id, role="student", actor="ana", reason=REASON)
    assert (caught.value.rule, caught.value.allows_at) == ("one_pending", None)
    kit.reschedules.approve_due(now=pending.deadline)
    assert kit.reschedules.get(T, pending.id).status == "EXPIRED"
    assert kit.queries.get(T, session.id).start == start
    with pytest.raises(RescheduleRefused) as late:
        kit.reschedules.request(
            T, session.id, role="student", actor="ana", reason=REASON, now=pending.deadline
        )
    assert late.value.rule == "notice"


@pytest.fixture(params=[_memory, _sqlite], ids=["memory", "sqlite"])
def capped(request: pytest.FixtureRequest) -> SessionKit:
    counter = itertools.count(1)
    return SessionKit(
        uow=request.param(),
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
        notice=NoticePolicy(max_reschedules=1),
    )


def test_an_approval_that_keeps_the_start_is_no_reschedule_for_max_reschedules(
    capped: SessionKit,
) -> None:
    # max_reschedules caps how often a session is *moved*; a request approved at the
    # start it already had (a form's default time) moved nothing, yet used the one move.
    start = NOW + timedelta(days=3)
    session = lesson(capped, start)
    kept = capped.reschedules.request(
        T, session.id, role="student", actor="ana", reason=REASON, proposed_start=start
    )
    approved = capped.reschedules.approve(T, kept.id, role="coach", actor="cleo")
    assert (approved.status, approved.new_start) == ("APPROVED", start)
    assert capped.queries.get(T, session.id).start == start
    assert capped.reschedules.can_request(T, session.id, role="student") is None
    moved = capped.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason=REASON,
        proposed_start=start + timedelta(days=1),
    )
    capped.reschedules.approve(T, moved.id, role="coach", actor="cleo")
    refusal = capped.reschedules.can_request(T, session.id, role="student")
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("max_reschedules", None)
    assert "rescheduled 1 time(s)" in refusal.reason


def test_silence_does_not_move_a_session_the_host_moved_since_the_request(
    kit: SessionKit,
) -> None:
    # The host moved the session to this afternoon, before the request's deadline; at the
    # deadline silence used to approve the request and move the session (held by then) to
    # the proposed day. A request made against another start expires instead.
    start = NOW + timedelta(days=3)
    session = lesson(kit, start)
    asked = kit.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason=REASON,
        proposed_start=start + timedelta(days=2),
    )
    moved = kit.sessions.update(T, session.id, actor="cleo", start=NOW + timedelta(hours=5))
    with pytest.raises(RescheduleRefused) as late:  # a late approve agrees with silence
        kit.reschedules.approve(T, asked.id, role="coach", actor="cleo", now=asked.deadline)
    assert late.value.rule == "deadline_passed"
    report = kit.approve_reschedules(now=asked.deadline)
    assert [r.id for r in report.approved] == []
    [expired] = report.expired
    assert (expired.id, expired.status) == (asked.id, "EXPIRED")
    assert kit.queries.get(T, session.id).start == moved.start == NOW + timedelta(hours=5)


def test_one_pending_judges_a_session_the_host_moved_where_the_host_put_it(
    kit: SessionKit,
) -> None:
    # The allows_at assumed silence would move the session to the proposed time; a
    # session the host moved since stays where it is (the request expires), so the coach,
    # whose 48 h notice has passed by then, was told to wait for a deadline that frees
    # nothing.
    start = NOW + timedelta(days=5)
    session = lesson(kit, start)
    pending = kit.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason=REASON,
        proposed_start=NOW + timedelta(days=10),
    )
    kit.sessions.update(T, session.id, actor="cleo", start=NOW + timedelta(days=2, hours=12))
    refusal = kit.reschedules.can_request(T, session.id, role="coach")
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("one_pending", None)
    with pytest.raises(RescheduleRefused) as at_deadline:
        kit.reschedules.request(
            T, session.id, role="coach", actor="cleo", reason=REASON, now=pending.deadline
        )
    assert at_deadline.value.rule == "notice"


def test_one_pending_names_the_deadline_when_silence_leaves_the_moved_session_askable(
    capped: SessionKit,
) -> None:
    # max_reschedules=1: the allows_at counted the move silence would make, and said None,
    # but silence expires a request made against another start and moves nothing.
    start = NOW + timedelta(days=5)
    session = lesson(capped, start)
    pending = capped.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason=REASON,
        proposed_start=NOW + timedelta(days=10),
    )
    capped.sessions.update(T, session.id, actor="cleo", start=NOW + timedelta(days=4))
    refusal = capped.reschedules.can_request(T, session.id, role="coach")
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("one_pending", pending.deadline)
    asked = capped.reschedules.request(
        T, session.id, role="coach", actor="cleo", reason=REASON, now=pending.deadline
    )
    assert asked.status == "PENDING"
    assert capped.reschedules.get(T, pending.id).status == "EXPIRED"


def test_the_reschedule_rate_counts_only_sessions_a_request_moved(kit: SessionKit) -> None:
    # An approval at the start the session already had moved nothing (as max_reschedules
    # reads it), yet the rates counted the session as rescheduled.
    kept, moved = lesson(kit, NOW + timedelta(days=3)), lesson(kit, NOW + timedelta(days=4))
    for session, new in ((kept, kept.start), (moved, moved.start + timedelta(days=1))):
        request = kit.reschedules.request(
            T, session.id, role="student", actor="ana", reason=REASON, proposed_start=new
        )
        kit.reschedules.approve(T, request.id, role="coach", actor="cleo")
    [row] = kit.analytics.rates(T).rows
    assert (row.sessions, row.rescheduled) == (2, 1)
