"""Findings of a new app developer following docs/policies.md: answers, roles, refunds.

Each test runs on the in-memory store and on SQLite (``SqlAlchemyStore``), as a
user of either would see it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import InvalidValue
from sessionkit.model import ResourceRef, Session
from sessionkit.model.money import Money
from sessionkit.model.reschedule import APPROVED, AUTO_APPROVED, PENDING, RescheduleRequest
from sessionkit.policies import (
    BookingRules,
    FixedPrice,
    NoticePolicy,
    RefundPolicy,
    RefundTier,
    coaching_notice,
)
from sessionkit.ports import UnitOfWork
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = datetime(2026, 3, 6, 10, tzinfo=UTC)
REASON = "I have an exam that morning"


def _memory() -> Iterator[Callable[[], UnitOfWork]]:
    yield InMemoryStore().unit_of_work


def _sqlite() -> Iterator[Callable[[], UnitOfWork]]:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_schema(engine)
    yield SqlAlchemyStore(engine).unit_of_work
    engine.dispose()


def _kit(uow: Callable[[], UnitOfWork], notice: NoticePolicy) -> SessionKit:
    counter = itertools.count(1)
    return SessionKit(
        uow=uow, clock=ManualClock(NOW), ids=lambda: f"x{next(counter)}", notice=notice
    )


@pytest.fixture(params=[_memory, _sqlite], ids=["memory", "sqlite"])
def store(request: pytest.FixtureRequest) -> Iterator[Callable[[], UnitOfWork]]:
    yield from request.param()


def _lesson(kit: SessionKit) -> Session:
    return kit.sessions.create_extra(
        T,
        actor="cleo",
        title="Maths",
        lifecycle="lms",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
    )


def _student_asks(kit: SessionKit, lesson: Session) -> RescheduleRequest:
    """Ana, the student, asks to move the lesson a day later."""
    return kit.reschedules.request(
        T,
        lesson.id,
        role="student",
        actor="ana",
        reason=REASON,
        proposed_start=START + timedelta(days=1),
    )


@pytest.mark.parametrize("notice", [coaching_notice(), NoticePolicy()], ids=["coaching", "default"])
@pytest.mark.parametrize("answer", ["approve", "decline", "withdraw"])
@pytest.mark.parametrize("role", ["Student", "student ", "HOST", " host"])
def test_an_answer_in_a_role_matched_only_loosely_is_refused_and_changes_nothing(
    store: Callable[[], UnitOfWork], notice: NoticePolicy, answer: str, role: str
) -> None:
    # "Student" is no role the policy or the request names exactly: approving a student's
    # request in it passed as "the other side" and moved the session.
    kit = _kit(store, notice)
    lesson = _lesson(kit)
    asked = _student_asks(kit, lesson)
    with pytest.raises(InvalidValue) as raised:
        getattr(kit.reschedules, answer)(T, asked.id, role=role, actor="ben")
    assert raised.value.value == role
    assert kit.reschedules.get(T, asked.id).status == PENDING
    assert kit.queries.get(T, lesson.id).start == START


def _journal_kit(uow: Callable[[], UnitOfWork], clock: ManualClock) -> SessionKit:
    counter = itertools.count(1)
    return SessionKit(
        uow=uow,
        clock=clock,
        ids=lambda: f"x{next(counter)}",
        notice=coaching_notice(),
        journal=True,
    )


@pytest.mark.parametrize("read", ["options", "can_request"])
def test_a_read_that_answers_an_overdue_request_writes_no_journal_entry(
    store: Callable[[], UnitOfWork], read: str
) -> None:
    # The read answers the request by silence in its own unit and rolls the answer back;
    # the journal wrote the entries of that answer all the same, twice for two reads.
    clock = ManualClock(NOW)
    kit = _journal_kit(store, clock)
    lesson = _lesson(kit)
    asked = _student_asks(kit, lesson)
    clock.set(asked.deadline + timedelta(hours=1))
    before = kit.journal.for_session(T, lesson.id)
    for _ in range(2):
        getattr(kit.reschedules, read)(T, lesson.id, role="coach")
    assert kit.journal.for_session(T, lesson.id) == before
    assert kit.reschedules.get(T, asked.id).status == PENDING
    report = kit.approve_reschedules()
    assert [r.status for r in report.approved] == [AUTO_APPROVED]
    entries = kit.journal.for_session(T, lesson.id)[len(before) :]
    assert [e.event for e in entries] == ["SessionUpdated", "RescheduleStatusChanged"]


def test_can_book_that_finds_a_hold_run_out_writes_no_journal_entry(
    store: Callable[[], UnitOfWork],
) -> None:
    clock = ManualClock(NOW)
    kit = _journal_kit(store, clock)
    slot = kit.sessions.create_extra(
        T,
        actor="cleo",
        title="Maths",
        lifecycle="marketplace",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("tutor", "cleo")],
        capacity=1,
    )
    kit.bookings.book(T, slot.id, "student:ana", actor="ana", role="student")
    clock.set(NOW + timedelta(hours=1))  # the hold ran out; the expiry job has not run
    before = [e.event for e in kit.journal.for_session(T, slot.id)]
    assert kit.bookings.can_book(T, slot.id, "student:bo") is None
    assert [e.event for e in kit.journal.for_session(T, slot.id)] == before


def test_options_name_the_fee_a_cancel_keeps_rounded_to_the_minor_unit(
    store: Callable[[], UnitOfWork],
) -> None:
    # A tier fee of 1.005 EUR keeps 1.01 EUR (half up); options named 1.005, so a
    # "50 % back less the fee" shown from it was a cent off what the cancel refunded.
    fee = Money.of("1.005", "EUR")
    refunds = RefundPolicy(tiers=(RefundTier(timedelta(hours=24), 50, fee=fee),))
    counter = itertools.count(1)
    kit = SessionKit(
        uow=store,
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
        refunds=refunds,
        pricing=FixedPrice(Money.of("10", "EUR")),
        gateway=FakeGateway(clock=lambda: NOW),
    )
    slot = kit.sessions.create_extra(
        T,
        actor="tina",
        title="Consultation",
        lifecycle="consulting",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("consultant", "tina")],
    )
    booked = kit.payments.book(
        T, slot.id, "client:ana", actor="tina", role="client", manual=True, confirm=True
    )
    kit.payments.mark_paid(T, [booked.payment.id], actor="tina")
    (tier,) = kit.reschedules.options(T, slot.id, role="client").cancel_tiers
    assert tier.fee == Money.of("1.01", "EUR")
    paid = kit.payments.cancel(T, booked.booking.id, actor="ana", role="client")
    assert paid is not None
    assert paid.refunded == Decimal("3.99")  # 5.00 back, less the 1.01 the tier's fee keeps
    assert paid.refunded == (Money.of("10", "EUR").percent(tier.percent) - tier.fee).amount


def _emptied_on_move(
    store: Callable[[], UnitOfWork],
) -> tuple[SessionKit, Session, RescheduleRequest, str]:
    """A consultation whose one hold runs out before its client's request is answered."""
    counter = itertools.count(1)
    kit = SessionKit(
        uow=store,
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
        booking_rules=BookingRules(when_emptied="cancel", hold_for=timedelta(minutes=15)),
    )
    slot = kit.sessions.create_extra(
        T,
        actor="tina",
        title="Consultation",
        lifecycle="consulting",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("consultant", "tina")],
        capacity=1,
    )
    hold = kit.bookings.book(T, slot.id, "client:ana", actor="ana", role="client")
    asked = kit.reschedules.request(
        T,
        slot.id,
        role="client",
        actor="ana",
        reason=REASON,
        proposed_start=START + timedelta(days=1),
        now=NOW + timedelta(minutes=5),
    )
    return kit, slot, asked, hold.id


def test_an_approve_whose_move_empties_the_session_is_answered_then_the_session_goes(
    store: Callable[[], UnitOfWork],
) -> None:
    # The move marks the run-out hold, which releases the session (when_emptied) and expired
    # the very request being approved: the approve raised ConcurrentModification, every time.
    kit, slot, asked, hold = _emptied_on_move(store)
    later = NOW + timedelta(minutes=30)  # the hold ran out at 08:15; no job has run
    approved = kit.reschedules.approve(T, asked.id, role="consultant", actor="tina", now=later)
    assert (approved.status, approved.new_start) == (APPROVED, START + timedelta(days=1))
    moved = kit.queries.get(T, slot.id)
    assert (moved.status, moved.start) == ("CANCELLED", START + timedelta(days=1))
    assert kit.bookings.get(T, hold).status == "EXPIRED"


@pytest.mark.parametrize("answer", ["tick", "options", "can_request", "late_approve"])
def test_silence_whose_move_empties_the_session_answers_the_request(
    store: Callable[[], UnitOfWork], answer: str
) -> None:
    # Past the deadline the same: the tick skipped the request silently on every run, and
    # options, can_request and a late approve raised ConcurrentModification.
    kit, slot, asked, _hold = _emptied_on_move(store)
    at = asked.deadline + timedelta(minutes=1)
    if answer == "tick":
        report = kit.approve_reschedules(now=at)
        assert ([r.id for r in report.approved], report.failed) == ([asked.id], ())
    elif answer == "late_approve":
        kit.reschedules.approve(T, asked.id, role="consultant", actor="tina", now=at)
    else:
        refusal = getattr(kit.reschedules, answer)(T, slot.id, role="client", now=at)
        refusal = refusal if answer == "can_request" else refusal.reschedule
        assert refusal is not None
        assert refusal.rule == "not_reschedulable"  # the session silence moved, then released
        return
    assert kit.reschedules.get(T, asked.id).status in (AUTO_APPROVED, APPROVED)
    assert kit.queries.get(T, slot.id).status == "CANCELLED"


@pytest.mark.parametrize("bulk", [False, True], ids=["cancel", "fire_many"])
def test_a_host_cancel_whose_silence_move_empties_the_session_cancels_it(
    store: Callable[[], UnitOfWork], bulk: bool
) -> None:
    # The cancel first answered the overdue request by silence; its move emptied the session,
    # which when_emptied cancelled, and the host's cancel then raised InvalidTransition "in
    # status CANCELLED" and rolled it all back: the host could not cancel until a tick ran.
    kit, slot, asked, _hold = _emptied_on_move(store)
    clock = kit.context.clock
    assert isinstance(clock, ManualClock)
    clock.set(asked.deadline + timedelta(minutes=1))
    if bulk:
        [cancelled] = kit.sessions.fire_many(T, [slot.id], "cancel", actor="tina")
    else:
        cancelled = kit.sessions.cancel(T, slot.id, actor="tina", reason="ill")
    assert (cancelled.status, cancelled.start) == ("CANCELLED", START + timedelta(days=1))
    assert kit.queries.get(T, slot.id).status == "CANCELLED"
    assert kit.reschedules.get(T, asked.id).status == AUTO_APPROVED
