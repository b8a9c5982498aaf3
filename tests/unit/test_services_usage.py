"""``kit.usage``: subscriptions, credits consumed once per session, corrections, makeups, codes.

On the in-memory store; the SQL stores are held to the same repositories by
the contract suite and raced in ``tests/integration/test_sqlalchemy_usage_races.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import attrs
import pytest

from sessionkit import (
    InvalidValue,
    Recurrence,
    ScheduleItem,
    SessionCodes,
    SessionKit,
    SubscriptionNotFound,
    UsageLimitReached,
)
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.memory._usage import InMemoryCounterRepository
from sessionkit.errors import (
    ConcurrentModification,
    DuplicateSession,
    DuplicateUsage,
    SessionLocked,
    TransientConflict,
    UnknownStatus,
    WrongType,
)
from sessionkit.lifecycle import Lifecycle, Status, Transition
from sessionkit.lifecycles import PRESETS
from sessionkit.model import ResourceRef, Session
from sessionkit.model.events import SessionCanceled
from sessionkit.model.usage import (
    CODE_FIELD,
    MADE_UP_BY_FIELD,
    MAKEUP_FIELD,
    Subscription,
    UsageRecorded,
)
from sessionkit.policies import NoticePolicy
from sessionkit.ports import SESSIONS
from sessionkit.services import SeriesSpec
from sessionkit.services.reschedules import RescheduleReport
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

T = "1"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
ANA = ResourceRef("student", "ana")
BO = ResourceRef("student", "bo")


class World:
    def __init__(
        self,
        *,
        codes: SessionCodes | Callable[[Session], SessionCodes | None] | None = None,
        notice: NoticePolicy | None = None,
    ) -> None:
        self.events = RecordingPublisher()
        self.clock = ManualClock(NOW)
        self.kit = SessionKit(
            uow=InMemoryStore(self.events).unit_of_work,
            clock=self.clock,
            codes=codes,
            notice=notice,
        )
        self._n = 0

    def lesson(
        self,
        *students: ResourceRef,
        start: datetime | None = None,
        capacity: int | None = None,
    ) -> Session:
        """A lesson of its own teacher, SCHEDULED, with ``students`` booked and confirmed."""
        self._n += 1
        at = start or NOW + timedelta(days=1, hours=self._n)
        session = self.kit.sessions.create_extra(
            T,
            actor="admin",
            start=at,
            end=at + timedelta(minutes=45),
            resources=[ResourceRef("teacher", f"t{self._n}")],
            lifecycle="academy",
            capacity=capacity or max(1, len(students)),
        )
        for student in students:
            self.kit.bookings.book(T, session.id, student, actor="admin", confirm=True)
        return session

    def run(self, session: Session, *transitions: str) -> Session:
        for transition in transitions:
            session = self.kit.sessions.fire(T, session.id, transition, actor="teacher")
        return session

    def complete(self, session: Session) -> Session:
        return self.run(session, "ready", "start", "complete")

    def subscribe(self, who: ResourceRef = ANA, **kwargs: object) -> str:
        arguments: dict[str, object] = {"credits": 8, "starts": NOW - timedelta(days=1)}
        arguments.update(kwargs)
        return self.kit.usage.subscribe(T, actor="admin", subscriber=who, **arguments).id  # type: ignore[arg-type]  # test helper forwarding keywords

    def used(self, subscription_id: str, at: datetime = NOW) -> int:
        return self.kit.usage.balance(T, subscription_id, at=at).used


@pytest.fixture
def world() -> World:
    return World()


# -- consumed by status, once -----------------------------------------------------------


def test_completing_consumes_one_credit_per_confirmed_participant(world: World) -> None:
    ana, bo = world.subscribe(ANA), world.subscribe(BO)
    circle = world.lesson(ANA, BO)
    world.complete(circle)
    entries = world.kit.usage.entries(T, session_id=circle.id)
    assert [(e.participant, e.subscription_id, e.period, e.active) for e in entries] == [
        (ANA, ana, "2026-03", True),
        (BO, bo, "2026-03", True),
    ]
    assert (world.used(ana), world.used(bo)) == (1, 1)
    recorded = world.events.of_type(UsageRecorded)
    assert [(e.entry.participant, e.change) for e in recorded] == [
        (ANA, "consumed"),
        (BO, "consumed"),
    ]


def test_absent_consumes_and_cancelled_does_not(world: World) -> None:
    sub = world.subscribe()
    absent = world.lesson(ANA)
    world.clock.set(absent.start)  # nobody is absent from a lesson that has not started
    world.run(absent, "ready", "mark_absent")
    world.run(world.lesson(ANA), "cancel")
    world.run(world.lesson(ANA), "ready", "cancel")
    assert world.used(sub) == 1


def test_replays_and_retries_count_once(world: World) -> None:
    sub = world.subscribe()
    lesson = world.complete(world.lesson(ANA))
    first = world.kit.usage.entries(T, session_id=lesson.id)
    for _ in range(3):
        assert world.kit.usage.consume(T, lesson.id, actor="replay") == first
    assert world.used(sub) == 1
    assert len(world.events.of_type(UsageRecorded)) == 1


def test_a_participant_without_a_valid_subscription_consumes_nothing(world: World) -> None:
    expired = world.subscribe(ends=NOW)
    later = world.subscribe(BO, starts=NOW + timedelta(days=30))
    lesson = world.complete(world.lesson(ANA, BO))
    assert world.kit.usage.entries(T, session_id=lesson.id) == []
    assert (world.used(expired, NOW - timedelta(hours=1)), world.used(later)) == (0, 0)


def test_explicit_consume_takes_the_participants_it_is_given(world: World) -> None:
    sub = world.subscribe(BO)
    lesson = world.lesson(ANA)
    entries = world.kit.usage.consume(T, lesson.id, actor="admin", participants=["student:bo"])
    assert [e.participant for e in entries] == [BO]
    assert world.used(sub) == 1


def test_a_cancelled_session_is_not_charged_by_hand(world: World) -> None:
    # consume never looked at the status: a late "lesson ended" handler naming the student
    # charged a lesson the teacher had cancelled, which the seed and docs/usage.md say uses
    # no credit. It charges nobody, as a replay of it must not fail either.
    sub = world.subscribe()
    lesson = world.run(world.lesson(ANA), "cancel")
    assert world.kit.usage.consume(T, lesson.id, actor="host", participants=["student:ana"]) == []
    assert world.kit.usage.entries(T, session_id=lesson.id) == []
    assert world.used(sub) == 0


def test_cancelling_a_session_charged_before_it_was_held_returns_the_credit(
    world: World,
) -> None:
    # Charged by hand while SCHEDULED, then cancelled: the credit stayed used, as no
    # status that counts usage was ever entered or left.
    sub = world.subscribe()
    lesson = world.lesson(ANA)
    world.kit.usage.consume(T, lesson.id, actor="host")
    assert world.used(sub) == 1
    world.kit.sessions.cancel(T, lesson.id, actor="teacher", reason="teacher ill")
    entries = world.kit.usage.entries(T, session_id=lesson.id)
    assert [(e.participant, e.active, e.reason) for e in entries] == [(ANA, False, "teacher ill")]
    assert world.used(sub) == 0
    changes = [e.change for e in world.events.of_type(UsageRecorded)]
    assert changes == ["consumed", "reversed"]
    again = world.lesson(ANA)  # a lesson held in full still uses its credit
    world.complete(again)
    assert world.used(sub) == 1


def test_a_session_charged_ahead_is_not_deleted_with_its_credit(world: World) -> None:
    # Charged by hand while SCHEDULED (a 1-to-1 whose student is a resource, not a booking),
    # the lesson could be deleted: the entry stayed active and reverse/correct, which read the
    # session, could never return the credit. It is a dependent now, as a booking is.
    sub = world.subscribe(credits=1)
    lesson = world.lesson()
    world.kit.usage.consume(T, lesson.id, actor="host", participants=["student:ana"])
    with pytest.raises(SessionLocked) as locked:
        world.kit.sessions.delete(T, lesson.id, actor="host")
    assert "1 usage entry" in str(locked.value)
    assert world.kit.queries.get(T, lesson.id).status == "SCHEDULED"
    assert world.used(sub) == 1
    world.kit.sessions.cancel(T, lesson.id, actor="host")  # the way out: its credit comes back
    assert world.used(sub) == 0


def test_a_charged_session_moved_into_another_month_takes_its_credit_along(
    world: World,
) -> None:
    # Charged on 31 March, moved to 2 April: the credit stayed March's, so March refused
    # another lesson while April had its credit untouched ("charged to the period of the
    # session's start").
    sub = world.subscribe(credits=1)
    march = datetime(2026, 3, 31, 16, tzinfo=UTC)
    april = datetime(2026, 4, 2, 16, tzinfo=UTC)
    lesson = world.lesson(start=march)
    world.kit.usage.consume(T, lesson.id, actor="host", participants=["student:ana"])
    before = len(world.events.of_type(UsageRecorded))
    world.kit.sessions.update(T, lesson.id, actor="host", start=april)
    [entry] = world.kit.usage.entries(T, session_id=lesson.id)
    assert (entry.period, entry.active) == ("2026-04", True)
    assert (world.used(sub, march), world.used(sub, april)) == (0, 1)
    moved = world.events.of_type(UsageRecorded)[before:]
    assert [(e.change, e.entry.period) for e in moved] == [
        ("reversed", "2026-03"),
        ("consumed", "2026-04"),
    ]
    world.kit.usage.check_credit(T, "student:ana", at=march)  # March has its credit back
    # Into a month with no credit left, the move is refused whole.
    other = world.lesson(start=march)
    world.kit.usage.consume(T, other.id, actor="host", participants=["student:ana"])
    with pytest.raises(UsageLimitReached) as refused:
        world.kit.sessions.update(T, other.id, actor="host", start=april + timedelta(hours=2))
    assert refused.value.period == "2026-04"
    assert world.kit.queries.get(T, other.id).start == march
    assert (world.used(sub, march), world.used(sub, april)) == (1, 1)


def test_a_charged_session_moved_past_its_subscription_draws_on_the_one_valid_then(
    world: World,
) -> None:
    # March's plan ends with March; April's begins. A lesson charged on 31 March and moved to
    # 2 April kept March's plan, charged in an April it does not cover, and April's plan was
    # never charged: the same lesson charged afresh (a correction) would have drawn on April's.
    april_1 = datetime(2026, 4, 1, tzinfo=UTC)
    march_plan = world.subscribe(credits=1, ends=april_1)
    april_plan = world.subscribe(credits=3, starts=april_1)
    march = datetime(2026, 3, 31, 16, tzinfo=UTC)
    april = datetime(2026, 4, 2, 16, tzinfo=UTC)
    lesson = world.lesson(start=march)
    world.kit.usage.consume(T, lesson.id, actor="host", participants=["student:ana"])
    before = len(world.events.of_type(UsageRecorded))
    world.kit.sessions.update(T, lesson.id, actor="host", start=april)
    entries = world.kit.usage.entries(T, session_id=lesson.id)
    assert sorted((e.subscription_id == april_plan, e.period, e.active) for e in entries) == [
        (False, "2026-03", False),
        (True, "2026-04", True),
    ]
    assert (world.used(march_plan, march), world.used(march_plan, april)) == (0, 0)
    assert (world.used(april_plan, march), world.used(april_plan, april)) == (0, 1)
    moved = world.events.of_type(UsageRecorded)[before:]
    assert [(e.change, e.entry.subscription_id, e.entry.period) for e in moved] == [
        ("reversed", march_plan, "2026-03"),
        ("consumed", april_plan, "2026-04"),
    ]
    # Back into March: March's plan pays again, on its own entry, and April's gets it back.
    world.kit.sessions.update(T, lesson.id, actor="host", start=march)
    assert (world.used(march_plan, march), world.used(april_plan, april)) == (1, 0)
    active = [e for e in world.kit.usage.entries(T, session_id=lesson.id) if e.active]
    assert [(e.subscription_id, e.period) for e in active] == [(march_plan, "2026-03")]


def test_a_charged_session_moved_past_every_subscription_returns_its_credit(
    world: World,
) -> None:
    # No plan is valid at the new start, so the lesson draws on none (as it would charged then).
    march_plan = world.subscribe(credits=1, ends=datetime(2026, 4, 1, tzinfo=UTC))
    march = datetime(2026, 3, 31, 16, tzinfo=UTC)
    april = datetime(2026, 4, 2, 16, tzinfo=UTC)
    lesson = world.lesson(start=march)
    world.kit.usage.consume(T, lesson.id, actor="host", participants=["student:ana"])
    world.kit.sessions.update(T, lesson.id, actor="host", start=april)
    [entry] = world.kit.usage.entries(T, session_id=lesson.id)
    assert (entry.period, entry.active) == ("2026-03", False)
    assert (world.used(march_plan, march), world.used(march_plan, april)) == (0, 0)


def test_an_approved_reschedule_carries_the_credit_to_the_new_month(world: World) -> None:
    sub = world.subscribe(credits=2)
    march = datetime(2026, 3, 31, 16, tzinfo=UTC)
    april = datetime(2026, 4, 1, 16, tzinfo=UTC)
    lesson = world.lesson(ANA, start=march)
    world.kit.usage.consume(T, lesson.id, actor="host")
    request = world.kit.reschedules.request(
        T, lesson.id, role="student", actor="ana", reason="exam week, sorry", proposed_start=april
    )
    world.kit.reschedules.approve(T, request.id, role="host", actor="hal")
    assert [e.period for e in world.kit.usage.entries(T, session_id=lesson.id)] == ["2026-04"]
    assert (world.used(sub, march), world.used(sub, april)) == (0, 1)


def test_silence_lets_a_request_into_a_month_without_credits_expire(world: World) -> None:
    # The move raised UsageLimitReached after its first write: the tick reported it failed
    # at every run, and every command settling the overdue request (options, request,
    # update, cancel) raised it too, so the session could no longer be changed at all.
    sub = world.subscribe(credits=1)
    march = datetime(2026, 3, 28, 9, tzinfo=UTC)
    april = datetime(2026, 4, 5, 9, tzinfo=UTC)
    lesson = world.lesson(ANA, start=march)
    world.kit.usage.consume(T, lesson.id, actor="host")
    world.kit.usage.consume(T, world.lesson(ANA, start=april - timedelta(days=2)).id, actor="host")
    request = world.kit.reschedules.request(
        T, lesson.id, role="student", actor="ana", reason="exam week, sorry", proposed_start=april
    )
    report = world.kit.approve_reschedules(now=request.deadline)
    assert (report.approved, report.failed) == ((), ())
    [expired] = report.expired
    assert (expired.id, expired.status) == (request.id, "EXPIRED")
    assert world.kit.queries.get(T, lesson.id).start == march
    assert [e.period for e in world.kit.usage.entries(T, session_id=lesson.id)] == ["2026-03"]
    assert (world.used(sub, march), world.used(sub, april)) == (1, 1)
    world.clock.set(request.deadline)
    assert world.kit.sessions.cancel(T, lesson.id, actor="host").status == "CANCELLED"
    assert world.used(sub, march) == 0


def test_one_pending_waits_for_a_request_silence_cannot_apply_for_want_of_credit() -> None:
    # The one_pending allows_at judged the asker at the proposed time, one reschedule more,
    # as if silence moved the session there: None under max_reschedules=1, though silence
    # lets the request expire (no credit in April) and the coach may ask from its deadline.
    world = World(notice=NoticePolicy(max_reschedules=1))
    kit = world.kit
    world.subscribe(credits=1)
    april = datetime(2026, 4, 5, 9, tzinfo=UTC)
    lesson = world.lesson(ANA, start=datetime(2026, 3, 28, 9, tzinfo=UTC))
    kit.usage.consume(T, lesson.id, actor="host")
    kit.usage.consume(T, world.lesson(ANA, start=april - timedelta(days=2)).id, actor="host")
    request = kit.reschedules.request(
        T, lesson.id, role="student", actor="ana", reason="exam week, sorry", proposed_start=april
    )
    refusal = kit.reschedules.can_request(T, lesson.id, role="coach")
    assert refusal is not None
    assert (refusal.rule, refusal.allows_at) == ("one_pending", request.deadline)
    assert kit.reschedules.can_request(T, lesson.id, role="coach", now=request.deadline) is None


@attrs.frozen
class _PastThePlan:
    """A March lesson's move into April that silence answers, and what it found."""

    march_plan: str
    april_plan: str
    lesson_id: str
    request_id: str
    report: RescheduleReport


_MARCH = datetime(2026, 3, 28, 9, tzinfo=UTC)
_APRIL = datetime(2026, 4, 5, 9, tzinfo=UTC)


def _silence_past_the_plan(world: World, on_limit: str = "refuse") -> _PastThePlan:
    """March's plan (2 credits, ending April 1st) pays a March lesson, April's (1 credit, going
    past it as ``on_limit`` says) an April one; silence answers a request to move the March
    lesson into April."""
    april_1 = datetime(2026, 4, 1, tzinfo=UTC)
    march_plan = world.subscribe(credits=2, ends=april_1)
    april_plan = world.subscribe(credits=1, starts=april_1, on_limit=on_limit)
    lesson = world.lesson(ANA, start=_MARCH)
    world.kit.usage.consume(T, lesson.id, actor="host")
    world.kit.usage.consume(T, world.lesson(ANA, start=_APRIL - timedelta(days=2)).id, actor="host")
    request = world.kit.reschedules.request(
        T, lesson.id, role="student", actor="ana", reason="exam week, sorry", proposed_start=_APRIL
    )
    report = world.kit.approve_reschedules(now=request.deadline)
    return _PastThePlan(march_plan, april_plan, lesson.id, request.id, report)


def test_silence_lets_a_request_past_its_plan_expire_when_the_next_plan_is_used_up(
    world: World,
) -> None:
    # The dry run silence asks before moving follows the move's choice: March's plan is not
    # valid in April, so April's pays, and it has no credit left: the request expires and
    # nothing is written, as the move itself would refuse.
    found = _silence_past_the_plan(world)
    report = found.report
    assert ([r.id for r in report.expired], report.approved, report.failed) == (
        [found.request_id],
        (),
        (),
    )
    assert world.kit.queries.get(T, found.lesson_id).start == _MARCH
    entries = world.kit.usage.entries(T, session_id=found.lesson_id)
    assert [(e.subscription_id, e.period, e.active) for e in entries] == [
        (found.march_plan, "2026-03", True)
    ]
    used = (world.used(found.march_plan, _MARCH), world.used(found.april_plan, _APRIL))
    assert used == (1, 1)


def test_silence_moves_a_credit_past_its_plan_onto_one_that_allows_overage(world: World) -> None:
    # April's plan is used up but allows going past: silence moves the lesson, and April's
    # plan is charged past its credit, March's gets its credit back.
    found = _silence_past_the_plan(world, on_limit="allow")
    report = found.report
    assert ([r.id for r in report.approved], report.expired, report.failed) == (
        [found.request_id],
        (),
        (),
    )
    assert world.kit.queries.get(T, found.lesson_id).start == _APRIL
    active = [e for e in world.kit.usage.entries(T, session_id=found.lesson_id) if e.active]
    assert [(e.subscription_id, e.period) for e in active] == [(found.april_plan, "2026-04")]
    used = (world.used(found.march_plan, _MARCH), world.used(found.april_plan, _APRIL))
    assert used == (0, 2)


# -- periods and limits -----------------------------------------------------------------


def test_months_are_counted_in_the_subscription_zone(world: World) -> None:
    sub = world.subscribe(tz="Asia/Riyadh")
    late_march_utc = datetime(2026, 3, 31, 21, 30, tzinfo=UTC)  # 00:30 on April 1st in Riyadh
    world.complete(world.lesson(ANA, start=late_march_utc))
    april = world.kit.usage.balance(T, sub, at=late_march_utc)
    assert (april.period, april.used, april.remaining) == ("2026-04", 1, 7)
    assert april.resets_at == datetime(2026, 4, 30, 21, tzinfo=UTC)
    assert world.used(sub) == 0  # March


def test_the_monthly_limit_refuses_with_structured_fields(world: World) -> None:
    sub = world.subscribe(credits=1, tz="Asia/Riyadh")
    world.complete(world.lesson(ANA))
    second = world.run(world.lesson(ANA), "ready", "start")
    with pytest.raises(UsageLimitReached) as caught:
        world.run(second, "complete")
    refused = caught.value
    assert isinstance(refused, ValueError)
    assert (refused.rule, refused.subscription_id, refused.participant) == (
        "credits",
        sub,
        "student:ana",
    )
    assert (refused.period, refused.credits, refused.remaining) == ("2026-03", 1, 0)
    assert refused.allows_at is None  # charged to March whenever it completes
    assert world.kit.queries.get(T, second.id).status == "ONGOING"  # nothing written
    assert world.kit.usage.entries(T, session_id=second.id) == []
    with pytest.raises(UsageLimitReached):
        world.kit.usage.check_credit(T, ANA, at=NOW)
    april = world.kit.usage.check_credit(T, ANA, at=datetime(2026, 4, 5, tzinfo=UTC))
    assert april is not None
    assert (april.period, april.remaining) == ("2026-04", 1)
    assert world.kit.usage.check_credit(T, BO, at=NOW) is None


def test_a_total_subscription_ending_gives_no_allows_at(world: World) -> None:
    world.subscribe(credits=1, per="total", ends=NOW + timedelta(days=60))
    world.complete(world.lesson(ANA))
    with pytest.raises(UsageLimitReached) as caught:
        world.kit.usage.check_credit(T, ANA, at=NOW + timedelta(days=40))
    assert (caught.value.period, caught.value.allows_at) == ("total", None)


def test_a_month_outside_the_subscription_has_no_credits(world: World) -> None:
    # In Riyadh (UTC+3): starts 2026-04-10, ends 2026-06-01 00:00 local (May 31 21:00 UTC).
    sub = world.subscribe(
        credits=4,
        tz="Asia/Riyadh",
        starts=datetime(2026, 4, 10, 9, tzinfo=UTC),
        ends=datetime(2026, 5, 31, 21, tzinfo=UTC),
    )

    def seen(at: datetime) -> tuple[str, int, int, datetime | None]:
        found = world.kit.usage.balance(T, sub, at=at)
        return found.period, found.credits, found.remaining, found.resets_at

    starts = datetime(2026, 4, 10, 9, tzinfo=UTC)
    assert seen(datetime(2026, 3, 31, 20, 59, 59, 999999, tzinfo=UTC)) == (
        "2026-03",
        0,
        0,
        starts,
    )
    # April's first instant in Riyadh: the month it starts in has its credits.
    assert seen(datetime(2026, 3, 31, 21, tzinfo=UTC)) == (
        "2026-04",
        4,
        4,
        datetime(2026, 4, 30, 21, tzinfo=UTC),
    )
    assert seen(datetime(2026, 5, 31, 20, 59, 59, 999999, tzinfo=UTC)) == ("2026-05", 4, 4, None)
    assert seen(datetime(2026, 5, 31, 21, tzinfo=UTC)) == ("2026-06", 0, 0, None)
    assert seen(datetime(2027, 1, 1, tzinfo=UTC)) == ("2027-01", 0, 0, None)
    total = world.subscribe(BO, credits=3, per="total", ends=NOW + timedelta(days=3))
    after = world.kit.usage.balance(T, total, at=NOW + timedelta(days=30))
    assert (after.period, after.credits, after.remaining) == ("total", 0, 0)


def test_a_total_subscription_has_no_credits_outside_its_validity(world: World) -> None:
    # The one period "total" is the whole life: only instants in [starts, ends) draw on it.
    starts, ends = NOW - timedelta(days=1), NOW + timedelta(days=10)
    sub = world.subscribe(credits=3, per="total", starts=starts, ends=ends)
    world.complete(world.lesson(ANA))
    world.complete(world.lesson(ANA))

    def seen(at: datetime) -> tuple[str, int, int, int, datetime | None]:
        found = world.kit.usage.balance(T, sub, at=at)
        return found.period, found.credits, found.used, found.remaining, found.resets_at

    tick = timedelta(microseconds=1)
    assert seen(starts - tick) == ("total", 0, 2, 0, starts)
    assert seen(starts) == ("total", 3, 2, 1, None)
    assert seen(ends - tick) == ("total", 3, 2, 1, None)
    assert seen(ends) == ("total", 0, 2, 0, None)
    assert seen(ends + timedelta(days=400)) == ("total", 0, 2, 0, None)
    # check_credit agrees: no subscription is valid there, so a session draws on nothing.
    assert world.kit.usage.check_credit(T, ANA, at=starts - tick) is None
    assert world.kit.usage.check_credit(T, ANA, at=ends) is None
    inside = world.kit.usage.check_credit(T, ANA, at=ends - tick)
    assert inside == world.kit.usage.balance(T, sub, at=ends - tick)


def test_a_total_subscription_over_its_credits_owes_nothing_after_its_end(world: World) -> None:
    ends = NOW + timedelta(days=10)
    sub = world.subscribe(credits=1, per="total", on_limit="allow", ends=ends)
    world.complete(world.lesson(ANA))
    world.complete(world.lesson(ANA))
    inside = world.kit.usage.balance(T, sub, at=ends - timedelta(seconds=1))
    assert (inside.credits, inside.used, inside.remaining) == (1, 2, -1)
    after = world.kit.usage.balance(T, sub, at=ends)
    assert (after.credits, after.used, after.remaining, after.resets_at) == (0, 2, 0, None)


def test_in_force_at_reads_the_instant_of_a_total_subscription() -> None:
    starts, ends = datetime(2026, 4, 10, 9, tzinfo=UTC), datetime(2026, 5, 20, 9, tzinfo=UTC)
    month = Subscription(
        id="m",
        tenant=T,
        subscriber=ANA,
        credits=2,
        tz="Asia/Riyadh",
        starts=starts,
        ends=ends,
        created_at=NOW,
    )
    total = attrs.evolve(month, per="total")
    tick = timedelta(microseconds=1)
    # A month in force for part keeps its credits at every instant of it, as before.
    assert [month.in_force_at(at) for at in (starts - tick, ends, ends + timedelta(days=12))] == [
        True,
        True,
        False,
    ]
    assert [total.in_force_at(at) for at in (starts - tick, starts, ends - tick, ends)] == [
        False,
        True,
        True,
        False,
    ]
    assert total.in_force("total") is True  # the period itself is the whole life


def test_on_limit_allow_records_past_the_credits(world: World) -> None:
    sub = world.subscribe(credits=1, on_limit="allow")
    world.complete(world.lesson(ANA))
    world.complete(world.lesson(ANA))
    balance = world.kit.usage.balance(T, sub)
    assert (balance.used, balance.remaining) == (2, -1)
    assert world.kit.usage.check_credit(T, ANA, at=NOW) == balance


# -- corrections ---------------------------------------------------------------------


def test_correcting_completed_to_cancelled_returns_the_credit_once(world: World) -> None:
    sub = world.subscribe()
    lesson = world.complete(world.lesson(ANA))
    world.events.clear()
    corrected = world.kit.usage.correct(
        T, lesson.id, "CANCELLED", actor="admin", reason="the teacher never came"
    )
    assert corrected.status == "CANCELLED"
    assert world.kit.usage.correct(T, lesson.id, "CANCELLED", actor="admin") == corrected
    assert world.kit.usage.reverse(T, lesson.id, actor="admin")[0].reversed_at == NOW
    assert world.used(sub) == 0
    [entry] = world.kit.usage.entries(T, session_id=lesson.id)
    assert (entry.active, entry.reason) == (False, "the teacher never came")
    [cancel] = world.events.of_type(SessionCanceled)
    assert (cancel.change.transition, cancel.change.from_status) == ("correct", "COMPLETED")
    assert [e.change for e in world.events.of_type(UsageRecorded)] == ["reversed"]
    # ... and back: the correction into CANCELLED cancelled ana's booking, so nothing is
    # charged again (as after a plain cancel); a confirmed participant's entry is consumed
    # again, once (tests/unit/test_fix_usage_charges.py).
    world.kit.usage.correct(T, lesson.id, "COMPLETED", actor="admin")
    [again] = world.kit.usage.entries(T, session_id=lesson.id)
    assert (again.id, again.active) == (entry.id, False)
    assert world.used(sub) == 0


def test_correct_refuses_a_status_the_lifecycle_lacks(world: World) -> None:
    lesson = world.lesson(ANA)
    with pytest.raises(UnknownStatus):
        world.kit.usage.correct(T, lesson.id, "FINISHED", actor="admin")


# -- makeup sessions -------------------------------------------------------------------


def test_a_makeup_is_charged_as_the_session_it_replaces(world: World) -> None:
    sub = world.subscribe()
    cancelled = world.run(world.lesson(ANA), "cancel")
    makeup = world.lesson(ANA, start=datetime(2026, 4, 10, 9, tzinfo=UTC))
    marked = world.kit.usage.mark_makeup(T, makeup.id, replaces=cancelled.id, actor="admin")
    assert marked.metadata[MAKEUP_FIELD] == cancelled.id
    world.complete(marked)
    [entry] = world.kit.usage.entries(T, session_id=makeup.id)
    assert (entry.session_id, entry.used_by, entry.period) == (cancelled.id, makeup.id, "2026-03")
    assert world.used(sub) == 1
    another = world.lesson(ANA)
    with pytest.raises(InvalidValue, match="already made up"):
        world.kit.usage.mark_makeup(T, another.id, replaces=cancelled.id, actor="admin")


def test_a_makeup_marked_after_it_was_held_keeps_one_credit_through_replays(
    world: World,
) -> None:
    # Held first (charged as itself), marked after: a replayed consume then charged the
    # cancelled session's entry again, and the pair used two credits.
    sub = world.subscribe()
    cancelled = world.complete(world.lesson(ANA))
    world.kit.usage.correct(T, cancelled.id, "CANCELLED", actor="admin", reason="teacher ill")
    makeup = world.complete(world.lesson(ANA, start=datetime(2026, 4, 10, 9, tzinfo=UTC)))
    april = makeup.start
    assert (world.used(sub), world.used(sub, at=april)) == (0, 1)
    world.kit.usage.mark_makeup(T, makeup.id, replaces=cancelled.id, actor="admin")
    for _replay in range(2):
        [kept] = world.kit.usage.consume(T, makeup.id, actor="replay")
        assert (kept.session_id, kept.used_by, kept.active) == (makeup.id, makeup.id, True)
        assert (world.used(sub), world.used(sub, at=april)) == (0, 1)
    active = [e for e in world.kit.usage.entries(T, subscription_id=sub) if e.active]
    assert [(e.session_id, e.used_by) for e in active] == [(makeup.id, makeup.id)]


def test_a_cancelled_session_has_one_makeup_even_before_it_is_held(world: World) -> None:
    # The check looked at the ledger only: a second makeup marked before the first was
    # held was accepted, and both were then held against the one cancelled session.
    sub = world.subscribe()
    cancelled = world.run(world.lesson(ANA), "cancel")
    first = world.lesson(ANA, start=datetime(2026, 4, 10, 9, tzinfo=UTC))
    second = world.lesson(ANA, start=datetime(2026, 4, 17, 9, tzinfo=UTC))
    world.kit.usage.mark_makeup(T, first.id, replaces=cancelled.id, actor="admin")
    again = world.kit.usage.mark_makeup(T, first.id, replaces=cancelled.id, actor="admin")
    assert again.metadata[MAKEUP_FIELD] == cancelled.id  # marking twice is one mark
    with pytest.raises(InvalidValue, match="already made up by session") as caught:
        world.kit.usage.mark_makeup(T, second.id, replaces=cancelled.id, actor="admin")
    assert caught.value.value == cancelled.id
    assert MAKEUP_FIELD not in world.kit.queries.get(T, second.id).metadata
    world.complete(world.kit.queries.get(T, first.id))
    world.complete(world.kit.queries.get(T, second.id))
    entries = world.kit.usage.entries(T, subscription_id=sub)
    # The makeup's, charged as the cancelled session, and the second lesson's own.
    assert sorted((e.session_id, e.used_by) for e in entries) == sorted(
        [(cancelled.id, first.id), (second.id, second.id)]
    )


def test_a_held_makeup_is_not_marked_for_a_second_session(world: World) -> None:
    # A makeup held as one cancelled lesson's was re-marked for another: its own field
    # named the second while the ledger charged the first, and both were blocked for
    # any other makeup with one credit used.
    sub = world.subscribe()
    first = world.run(world.lesson(ANA), "cancel")
    second = world.run(world.lesson(ANA), "cancel")
    makeup = world.lesson(ANA, start=datetime(2026, 4, 10, 9, tzinfo=UTC))
    world.kit.usage.mark_makeup(T, makeup.id, replaces=first.id, actor="admin")
    world.complete(world.kit.queries.get(T, makeup.id))
    with pytest.raises(InvalidValue, match="held as the makeup of") as refused:
        world.kit.usage.mark_makeup(T, makeup.id, replaces=second.id, actor="admin")
    assert refused.value.value == second.id
    assert world.kit.queries.get(T, makeup.id).metadata[MAKEUP_FIELD] == first.id
    assert MADE_UP_BY_FIELD not in world.kit.queries.get(T, second.id).metadata
    assert world.used(sub) == 1


def test_a_makeup_not_held_yet_moves_to_another_session(world: World) -> None:
    # Marked for the wrong lesson, before it was held: the mark moves, the first is free.
    first = world.run(world.lesson(ANA), "cancel")
    second = world.run(world.lesson(ANA), "cancel")
    makeup = world.lesson(ANA, start=datetime(2026, 4, 10, 9, tzinfo=UTC))
    world.kit.usage.mark_makeup(T, makeup.id, replaces=first.id, actor="admin")
    moved = world.kit.usage.mark_makeup(T, makeup.id, replaces=second.id, actor="admin")
    assert moved.metadata[MAKEUP_FIELD] == second.id
    assert MADE_UP_BY_FIELD not in world.kit.queries.get(T, first.id).metadata
    other = world.lesson(ANA, start=datetime(2026, 4, 17, 9, tzinfo=UTC))
    taken = world.kit.usage.mark_makeup(T, other.id, replaces=first.id, actor="admin")
    assert taken.metadata[MAKEUP_FIELD] == first.id


def test_a_makeup_marked_before_made_up_by_existed_still_counts(world: World) -> None:
    # Marks of earlier versions wrote makeup_of alone: the cancelled session names none.
    cancelled = world.run(world.lesson(ANA), "cancel")
    old = world.lesson(ANA, start=datetime(2026, 4, 10, 9, tzinfo=UTC))
    with world.kit.context.uow() as uow:  # as such a mark left it: set_fields refuses the field
        repository = uow.repository(SESSIONS)
        stored = repository.get(T, old.id)
        marked = attrs.evolve(stored, metadata={MAKEUP_FIELD: cancelled.id})
        repository.update(marked, expected_version=stored.version)
        uow.commit()
    newer = world.lesson(ANA, start=datetime(2026, 4, 17, 9, tzinfo=UTC))
    with pytest.raises(InvalidValue, match=f"already made up by session '{old.id}'"):
        world.kit.usage.mark_makeup(T, newer.id, replaces=cancelled.id, actor="admin")


def test_a_cancelled_makeup_leaves_its_session_to_another(world: World) -> None:
    cancelled = world.run(world.lesson(ANA), "cancel")
    first = world.lesson(ANA, start=datetime(2026, 4, 10, 9, tzinfo=UTC))
    world.kit.usage.mark_makeup(T, first.id, replaces=cancelled.id, actor="admin")
    world.run(world.kit.queries.get(T, first.id), "cancel")
    second = world.lesson(ANA, start=datetime(2026, 4, 17, 9, tzinfo=UTC))
    marked = world.kit.usage.mark_makeup(T, second.id, replaces=cancelled.id, actor="admin")
    assert marked.metadata[MAKEUP_FIELD] == cancelled.id


def test_a_held_session_corrected_then_made_up_consumes_one_credit(world: World) -> None:
    sub = world.subscribe()
    held = world.complete(world.lesson(ANA))
    world.kit.usage.correct(T, held.id, "CANCELLED", actor="admin")
    makeup = world.lesson(ANA)
    world.kit.usage.mark_makeup(T, makeup.id, replaces=held.id, actor="admin")
    world.complete(world.kit.queries.get(T, makeup.id))
    assert world.used(sub) == 1
    assert len(world.kit.usage.entries(T, subscription_id=sub)) == 1


def test_only_a_cancelled_session_is_made_up(world: World) -> None:
    original, makeup = world.lesson(ANA), world.lesson(ANA)
    with pytest.raises(InvalidValue, match="not cancelled"):
        world.kit.usage.mark_makeup(T, makeup.id, replaces=original.id, actor="admin")
    with pytest.raises(InvalidValue, match="itself"):
        world.kit.usage.mark_makeup(T, makeup.id, replaces=makeup.id, actor="admin")


# -- individual and circle sessions -------------------------------------------------------


def test_only_individual_sessions_are_marked_absent(world: World) -> None:
    world.subscribe()
    world.subscribe(BO)
    circle = world.run(world.lesson(ANA, BO), "ready")
    assert circle.capacity == 2
    with pytest.raises(ValueError, match="individual"):
        world.run(circle, "mark_absent")
    individual = world.lesson(ANA)
    world.clock.set(individual.start)
    assert world.run(individual, "ready", "mark_absent").status == "ABSENT"


# -- session codes ------------------------------------------------------------------------


def test_sessions_get_codes_per_tenant_in_the_chosen_format() -> None:
    world = World(codes=SessionCodes(prefix="QSE"))
    first, second = world.lesson(), world.lesson()
    assert (first.metadata[CODE_FIELD], second.metadata[CODE_FIELD]) == (
        "QSE-1-000001",
        "QSE-1-000002",
    )
    other = world.kit.sessions.create_extra(
        "2", actor="a", start=NOW, end=NOW + timedelta(hours=1), lifecycle="academy"
    )
    assert other.metadata[CODE_FIELD] == "QSE-2-000001"
    assert world.kit.usage.code_of(T, second.id) == "QSE-1-000002"
    found = world.kit.usage.by_code(T, "QSE-1-000001")
    assert found is not None
    assert found.id == first.id
    assert world.kit.usage.by_code(T, "QSE-1-000009") is None
    # A code no session can have is bad input, named, as every other lookup's argument.
    with pytest.raises(InvalidValue) as empty:
        world.kit.usage.by_code(T, "")
    assert (empty.value.value, empty.value.expected) == ("", "1 character or more")
    with pytest.raises(InvalidValue) as long:
        world.kit.usage.by_code(T, "Q" * 129)
    assert long.value.expected == "<= 128 characters"


def test_a_taken_session_id_is_the_session_duplicate_and_draws_no_code() -> None:
    world = World(codes=SessionCodes(prefix="QSE"))

    def extra() -> Session:
        return world.kit.sessions.create_extra(
            T,
            actor="a",
            start=NOW + timedelta(days=1),
            end=NOW + timedelta(days=1, hours=1),
            lifecycle="academy",
            session_id="makeup-1",
        )

    assert extra().metadata[CODE_FIELD] == "QSE-1-000001"
    with pytest.raises(DuplicateSession) as taken:
        extra()
    assert (taken.value.key, taken.value.session_id) == ("id", "makeup-1")
    assert world.lesson().metadata[CODE_FIELD] == "QSE-1-000002"  # no number was lost


def test_generated_sessions_are_numbered_in_start_order() -> None:
    picked = SessionCodes(prefix="C", format="{prefix}{group}/{n}", counter="circles")
    world = World(codes=lambda s: picked if s.group else None)
    rec = Recurrence.weekly(
        days=("TU", "TH"),
        at=time(16),
        duration=timedelta(hours=1),
        tz="UTC",
        start=date(2026, 3, 3),
    )
    _, report = world.kit.series.create(
        T,
        actor="admin",
        title="Circle",
        items=[ScheduleItem("c", rec, [ResourceRef("teacher", "t1")])],
        lifecycle="academy",
        capacity=10,
        group="7",
    )
    codes = [s.metadata[CODE_FIELD] for s in sorted(report.created, key=lambda s: s.start)]
    assert codes == [f"C7/{n}" for n in range(1, len(codes) + 1)]
    assert len(codes) > 4
    assert CODE_FIELD not in world.lesson().metadata  # no group: the picker said none


def test_two_templates_of_one_counter_are_numbered_together_in_start_order() -> None:
    # Arabic lessons coded AR-..., Quran QR-..., both off the default counter. Created in
    # one unit, each template drew its own block (AR 1-2, then QR 3-4), not the numbers
    # of their starts, though the counter promises start order.
    world = World(codes=lambda s: SessionCodes(prefix="AR" if s.title == "Arabic" else "QR"))

    def spec(title: str, day: str) -> SeriesSpec:
        rec = Recurrence.weekly(
            days=(day,), at=time(9), duration=timedelta(hours=1), tz="UTC",
            start=date(2026, 3, 2), count=2,
        )  # fmt: skip
        teacher = ResourceRef("teacher", title.lower())
        return SeriesSpec(
            title=title, lifecycle="academy", items=[ScheduleItem("x", rec, [teacher])]
        )

    made = world.kit.series.create_many(
        T, actor="admin", specs=[spec("Arabic", "TU"), spec("Quran", "MO")]
    )
    created = sorted((s for _, report in made for s in report.created), key=lambda s: s.start)
    assert [s.metadata[CODE_FIELD] for s in created] == [
        "QR-1-000001",
        "AR-1-000002",
        "QR-1-000003",
        "AR-1-000004",
    ]


def test_sessions_are_not_coded_without_codes(world: World) -> None:
    lesson = world.lesson()
    assert CODE_FIELD not in lesson.metadata
    assert world.kit.usage.code_of(T, lesson.id) is None


@pytest.mark.parametrize(
    "bad",
    [
        {"format": "{prefix}-{n"},
        {"format": "{prefix}"},
        {"format": "{n}-{year}"},
        # Accepted until a session was coded, which then raised a bare ValueError.
        {"format": "{prefix:d}-{n}"},
        {"format": "{n:s}"},
        {"format": "{n!z}"},
        {"format": "{n:{year}}"},  # a nested field: KeyError, AttributeError, IndexError
        {"format": "{n:{prefix.real}}"},
        {"format": "{n:{tenant[3]}}"},
        {"format": "{n:0200d}"},  # every code longer than an id may be
        {"prefix": ""},
        {"counter": "x" * 33},
    ],
)
def test_bad_code_formats_are_refused(bad: dict[str, str]) -> None:
    with pytest.raises(InvalidValue):
        SessionCodes(**bad)


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        # Accepted, and every code began with spaces: codes are shown and typed in.
        ({"format": "{group:>5}{n}"}, "'    g1'"),
        ({"format": "{n:>6}"}, "'     1'"),
        ({"format": "{prefix}-{n} "}, "'S-1 '"),
        ({"format": "{group} {n}"}, "' 1'"),  # a session without a group
        ({"prefix": " QSE", "format": "{prefix}{n}"}, "' QSE1'"),
        ({"format": "{n!s:.0}"}, "''"),
        ({"format": "{prefix}{n:c}"}, "'S\\x01'"),
    ],
)
def test_code_formats_rendering_untypeable_codes_are_refused(
    bad: dict[str, str], code: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        SessionCodes(**bad)
    assert caught.value.value == bad["format"]
    assert f"format {bad['format']!r} with prefix" in str(caught.value)
    assert str(caught.value).endswith(f": {code}")
    assert caught.value.expected.startswith("a template rendering codes of 1..128 characters")


def test_a_code_format_with_a_lone_surrogate_is_refused_saying_so() -> None:
    # It was said to render "a code with a control character".
    with pytest.raises(InvalidValue) as caught:
        SessionCodes(format="{n}\ud800x")
    assert str(caught.value) == (
        "format '{n}\\ud800x' with prefix 'S' renders a code with a lone surrogate for "
        "session 1 of tenant 't' of group 'g': '1\\ud800x'"
    )


def test_a_code_with_surrounding_whitespace_is_refused_when_rendered() -> None:
    # A group may have surrounding spaces; the code it renders may not.
    codes = SessionCodes(prefix="C", format="{group}/{n}")
    assert codes.render(tenant=T, n=3, group="7") == "7/3"
    with pytest.raises(InvalidValue) as caught:
        codes.render(tenant=T, n=3, group=" 7")
    assert caught.value.value == " 7/3"
    assert str(caught.value) == (
        "format '{group}/{n}' renders a code with leading or trailing whitespace for number 3 "
        "of tenant '1', group ' 7': ' 7/3'"
    )
    assert "without leading or trailing whitespace" in caught.value.expected
    world = World(codes=codes)
    rec = Recurrence.weekly(
        days=("TU",), at=time(16), duration=timedelta(hours=1), tz="UTC",
        start=date(2026, 3, 3), count=2,
    )  # fmt: skip
    with pytest.raises(InvalidValue, match="' 7/1'"):
        world.kit.series.create(
            T,
            actor="admin",
            title="Circle",
            items=[ScheduleItem("c", rec, [ResourceRef("teacher", "t1")])],
            lifecycle="academy",
            group=" 7",
        )
    assert world.kit.queries.list(T).items == ()


def test_bad_codes_and_subscriptions_are_refused(world: World) -> None:
    with pytest.raises(WrongType):
        SessionKit(uow=InMemoryStore().unit_of_work, clock=world.clock, codes="QSE")  # type: ignore[arg-type]  # the wrong type on purpose
    with pytest.raises(InvalidValue, match="credits"):
        world.subscribe(credits=0)
    with pytest.raises(InvalidValue, match="per"):
        world.subscribe(per="week")
    with pytest.raises(InvalidValue, match="end after"):
        world.subscribe(ends=NOW - timedelta(days=2))
    with pytest.raises(InvalidValue, match="at most 100"):
        world.subscribe(subscription_id="s" * 101)
    world.subscribe(subscription_id="sub1")
    with pytest.raises(DuplicateUsage):
        world.subscribe(subscription_id="sub1")
    with pytest.raises(SubscriptionNotFound):
        world.kit.usage.get(T, "nope")
    with pytest.raises(InvalidValue, match="exactly one"):
        world.kit.usage.entries(T)
    assert world.kit.usage.get(T, "sub1").credits == 8
    assert [s.id for s in world.kit.usage.subscriptions(T, "student:ana")] == ["sub1"]


@pytest.mark.parametrize("field", [MAKEUP_FIELD, MADE_UP_BY_FIELD, CODE_FIELD])
def test_the_fields_sessionkit_keeps_are_not_written_by_hand(world: World, field: str) -> None:
    # set_fields(makeup_of=<a held lesson>) made a second lesson ride on its credit; a
    # makeup_of naming no session made the lesson's completion fail for good.
    sub = world.subscribe()
    held = world.complete(world.lesson(ANA))
    other = world.lesson(ANA)
    with pytest.raises(InvalidValue, match=f"field '{field}' is kept by sessionkit") as caught:
        world.kit.sessions.set_fields(T, other.id, actor="admin", set={field: held.id})
    assert caught.value.value == field
    with pytest.raises(InvalidValue, match="kept by sessionkit"):
        world.kit.sessions.set_fields(T, held.id, actor="admin", remove=[field])
    with pytest.raises(InvalidValue, match="kept by sessionkit"):
        world.kit.sessions.create_extra(
            T,
            actor="admin",
            start=NOW + timedelta(days=9),
            end=NOW + timedelta(days=9, hours=1),
            lifecycle="academy",
            metadata={field: held.id},
        )
    assert world.kit.queries.get(T, other.id).metadata == other.metadata
    world.complete(world.kit.queries.get(T, other.id))
    assert world.used(sub) == 2


def test_a_cancelled_lesson_made_up_does_not_come_back_beside_its_makeup(world: World) -> None:
    # Corrected back to SCHEDULED and held, it rode on the credit its makeup was charged.
    sub = world.subscribe()
    cancelled = world.run(world.lesson(ANA), "cancel")
    makeup = world.lesson(ANA, start=datetime(2026, 4, 10, 9, tzinfo=UTC))
    world.kit.usage.mark_makeup(T, makeup.id, replaces=cancelled.id, actor="admin")
    world.complete(world.kit.queries.get(T, makeup.id))
    with pytest.raises(InvalidValue, match=f"session '{makeup.id}' is its makeup") as caught:
        world.kit.usage.correct(T, cancelled.id, "SCHEDULED", actor="admin")
    assert caught.value.value == "SCHEDULED"
    assert world.kit.queries.get(T, cancelled.id).status == "CANCELLED"
    # Once its makeup is cancelled (its credit returned), it may come back.
    world.kit.usage.correct(T, makeup.id, "CANCELLED", actor="admin")
    assert world.used(sub) == 0
    back = world.kit.usage.correct(T, cancelled.id, "SCHEDULED", actor="admin")
    assert back.status == "SCHEDULED"


def test_a_cancelled_makeup_does_not_come_back_beside_the_one_that_replaced_it(
    world: World,
) -> None:
    sub = world.subscribe()
    cancelled = world.run(world.lesson(ANA), "cancel")
    first = world.lesson(ANA, start=datetime(2026, 4, 10, 9, tzinfo=UTC))
    world.kit.usage.mark_makeup(T, first.id, replaces=cancelled.id, actor="admin")
    world.kit.usage.correct(T, first.id, "CANCELLED", actor="admin")
    second = world.lesson(ANA, start=datetime(2026, 4, 17, 9, tzinfo=UTC))
    world.kit.usage.mark_makeup(T, second.id, replaces=cancelled.id, actor="admin")
    world.complete(world.kit.queries.get(T, second.id))
    with pytest.raises(
        InvalidValue, match=f"session '{second.id}' makes up session '{cancelled.id}' in its place"
    ):
        world.kit.usage.correct(T, first.id, "SCHEDULED", actor="admin")
    assert world.kit.queries.get(T, first.id).status == "CANCELLED"
    assert world.used(sub) == 1
    # A cancelled makeup with no rival comes back as the makeup it was.
    world.kit.usage.correct(T, second.id, "CANCELLED", actor="admin")
    assert world.kit.usage.correct(T, first.id, "SCHEDULED", actor="admin").status == "SCHEDULED"


def test_a_makeup_of_a_cancelled_makeup_is_marked_for_the_session_both_replace(
    world: World,
) -> None:
    # Marked for the cancelled makeup, it was charged in that makeup's period (outside the
    # plan: nothing charged), and the first lesson could be made up once more.
    cancelled = world.run(world.lesson(ANA), "cancel")
    first = world.lesson(ANA, start=datetime(2026, 4, 10, 9, tzinfo=UTC))
    world.kit.usage.mark_makeup(T, first.id, replaces=cancelled.id, actor="admin")
    world.kit.usage.correct(T, first.id, "CANCELLED", actor="admin")
    second = world.lesson(ANA, start=datetime(2026, 4, 17, 9, tzinfo=UTC))
    with pytest.raises(InvalidValue, match=f"itself the makeup of session '{cancelled.id}'") as e:
        world.kit.usage.mark_makeup(T, second.id, replaces=first.id, actor="admin")
    assert (e.value.value, e.value.expected) == (first.id, cancelled.id)
    assert MAKEUP_FIELD not in world.kit.queries.get(T, second.id).metadata
    marked = world.kit.usage.mark_makeup(T, second.id, replaces=cancelled.id, actor="admin")
    assert marked.metadata[MAKEUP_FIELD] == cancelled.id


def test_a_cancelled_makeup_does_not_come_back_beside_the_lesson_brought_back_first(
    world: World,
) -> None:
    sub = world.subscribe()
    cancelled = world.run(world.lesson(ANA), "cancel")
    makeup = world.lesson(ANA, start=datetime(2026, 4, 10, 9, tzinfo=UTC))
    world.kit.usage.mark_makeup(T, makeup.id, replaces=cancelled.id, actor="admin")
    world.kit.usage.correct(T, makeup.id, "CANCELLED", actor="admin")
    world.kit.usage.correct(T, cancelled.id, "SCHEDULED", actor="admin")  # allowed: no makeup
    world.kit.bookings.book(T, cancelled.id, ANA, actor="admin", confirm=True)
    world.complete(world.kit.queries.get(T, cancelled.id))
    with pytest.raises(InvalidValue, match=f"the session it made up, '{cancelled.id}'"):
        world.kit.usage.correct(T, makeup.id, "SCHEDULED", actor="admin")
    assert world.kit.queries.get(T, makeup.id).status == "CANCELLED"
    assert world.used(sub) == 1


RESTORABLE = Lifecycle(
    "restorable",
    statuses=[
        Status("SCHEDULED", initial=True, busy=True, editable=True),
        Status("DONE", terminal=True, busy=True, counts_usage=True),
        Status("CANCELLED", cancelled=True),
    ],
    transitions=[
        Transition("finish", "SCHEDULED", "DONE"),
        Transition("cancel", "SCHEDULED", "CANCELLED"),
        Transition("restore", "CANCELLED", "SCHEDULED"),
    ],
)


@pytest.mark.parametrize("many", [False, True])
def test_a_lifecycle_s_own_way_back_from_cancelled_is_refused_while_a_makeup_stands(
    many: bool,
) -> None:
    # usage.correct refused it; a transition out of a cancelled status fired by hand did
    # not, and the lesson came back beside its makeup, two lessons on one credit.
    clock = ManualClock(NOW)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        lifecycles=PRESETS.with_lifecycle(RESTORABLE),
    )

    def lesson(day: int) -> Session:
        at = NOW + timedelta(days=day)
        return kit.sessions.create_extra(
            T, actor="admin", start=at, end=at + timedelta(minutes=45), lifecycle="restorable"
        )

    cancelled = kit.sessions.cancel(T, lesson(1).id, actor="admin")
    makeup = lesson(2)
    kit.usage.mark_makeup(T, makeup.id, replaces=cancelled.id, actor="admin")
    fire = kit.sessions.fire_many if many else kit.sessions.fire
    target = [cancelled.id] if many else cancelled.id
    with pytest.raises(InvalidValue, match=f"session '{makeup.id}' is its makeup"):
        fire(T, target, "restore", actor="admin")  # type: ignore[arg-type]
    assert kit.queries.get(T, cancelled.id).status == "CANCELLED"
    kit.sessions.cancel(T, makeup.id, actor="admin")  # the makeup goes: the lesson may come back
    assert kit.sessions.fire(T, cancelled.id, "restore", actor="admin").status == "SCHEDULED"


def test_entries_of_a_period_that_is_no_month_are_refused(world: World) -> None:
    # Read as any text before: "2026-13" or "March" matched no entry and answered [].
    sub = world.subscribe(ANA)
    world.complete(world.lesson(ANA))
    assert [
        e.period for e in world.kit.usage.entries(T, subscription_id=sub, period="2026-03")
    ] == ["2026-03"]
    assert world.kit.usage.entries(T, subscription_id=sub, period="total") == []
    for bad in ("2026-13", "March", "2026-3"):
        with pytest.raises(InvalidValue) as caught:
            world.kit.usage.entries(T, subscription_id=sub, period=bad)
        assert caught.value.value == bad
    with pytest.raises(WrongType) as wrong:
        world.kit.usage.entries(T, subscription_id=sub, period=202603)  # type: ignore[arg-type]
    assert wrong.value.name == "period"


def test_a_counter_refusing_the_credit_back_is_not_read_as_returned_first(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # reverse_in read any ConcurrentModification out of returning a credit as "a concurrent
    # writer returned it first", the counter's own too (its bump past its attempts): the
    # unit committed the entry returned while the balance still counted it.
    sub = world.subscribe()
    lesson = world.complete(world.lesson(ANA))
    assert world.used(sub) == 1
    bump = InMemoryCounterRepository.bump
    refusals: list[ConcurrentModification] = []

    def refused_once(self: InMemoryCounterRepository, *args: Any, **kwargs: Any) -> int | None:
        if not refusals:
            refusals.append(ConcurrentModification(args[1], 0, None))
            raise refusals[0]
        return bump(self, *args, **kwargs)

    monkeypatch.setattr(InMemoryCounterRepository, "bump", refused_once)
    [entry] = world.kit.usage.reverse(T, lesson.id, actor="admin")
    assert (len(refusals), refusals[0].attempts) == (1, 1)  # run again, once
    assert (entry.active, world.used(sub)) == (False, 0)
    [stored] = world.kit.usage.entries(T, session_id=lesson.id)
    assert stored.active is False


def test_a_transient_conflict_returning_a_credit_runs_the_reverse_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A TransientConflict is a ConcurrentModification: reverse_in read it as "a concurrent
    # writer returned it first", kept the entry written before the counter's bump failed
    # (SQLite's table lock, refused at once with the unit still open) and committed: the
    # credit read returned while the balance still counted it, and no retry ran.
    sub = world.subscribe()
    lesson = world.complete(world.lesson(ANA))
    assert world.used(sub) == 1
    bump = InMemoryCounterRepository.bump
    refusals: list[TransientConflict] = []

    def locked_once(self: InMemoryCounterRepository, *args: Any, **kwargs: Any) -> int | None:
        if not refusals:
            refusals.append(TransientConflict.aborted("locked", "sqlite", joined=False))
            raise refusals[0]
        return bump(self, *args, **kwargs)

    monkeypatch.setattr(InMemoryCounterRepository, "bump", locked_once)
    [entry] = world.kit.usage.reverse(T, lesson.id, actor="admin")
    assert (len(refusals), refusals[0].attempts) == (1, 1)  # run again, once
    assert (entry.active, world.used(sub)) == (False, 0)
    [stored] = world.kit.usage.entries(T, session_id=lesson.id)
    assert stored.active is False
