"""Credits charged by who is confirmed now, and a refused credit that waiting cannot help.

A session's credit is charged to the period of its start: when that period's
credits are used up, ``UsageLimitReached.allows_at`` is ``None`` (the next
period's credits never pay for it). A correction back into a counting status
charges the participants whose booking is confirmed then, whatever the path
the session took (a correction into CANCELLED cancels the bookings, like a
plain cancel).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit import SessionKit, UsageLimitReached
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model import ResourceRef, Session
from sessionkit.model.usage import UsageRecorded
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

T = "1"
NOW = datetime(2026, 3, 28, 8, tzinfo=UTC)
ANA = ResourceRef("student", "ana")
BO = ResourceRef("student", "bo")


class World:
    def __init__(self) -> None:
        self.events = RecordingPublisher()
        self.clock = ManualClock(NOW)
        self.kit = SessionKit(uow=InMemoryStore(self.events).unit_of_work, clock=self.clock)
        self._n = 0

    def subscribe(self, who: ResourceRef = ANA, credits: int = 4) -> str:
        return self.kit.usage.subscribe(
            T,
            actor="admin",
            subscriber=who,
            credits=credits,
            starts=NOW - timedelta(days=30),
            tz="Europe/Berlin",
        ).id

    def lesson(self, *students: ResourceRef, hours: int) -> Session:
        self._n += 1
        at = NOW + timedelta(hours=hours)
        session = self.kit.sessions.create_extra(
            T,
            actor="admin",
            start=at,
            end=at + timedelta(minutes=45),
            lifecycle="academy",
            resources=[ResourceRef("teacher", f"t{self._n}")],
            capacity=max(1, len(students)),
        )
        for student in students:
            self.kit.bookings.book(T, session.id, student, actor="admin", confirm=True)
        return session

    def run(self, session: Session, *transitions: str) -> Session:
        for transition in transitions:
            session = self.kit.sessions.fire(T, session.id, transition, actor="teacher")
        return session

    def used(self, subscription_id: str) -> int:
        return self.kit.usage.balance(T, subscription_id, at=NOW).used

    def active(self, session: Session) -> list[tuple[ResourceRef, bool]]:
        return [(e.participant, e.active) for e in self.kit.usage.entries(T, session_id=session.id)]

    def changes(self) -> list[tuple[str, ResourceRef, str]]:
        return [
            (e.entry.used_by, e.entry.participant, e.change)
            for e in self.events.of_type(UsageRecorded)
        ]


@pytest.fixture
def world() -> World:
    return World()


# -- D3: waiting does not help a session whose period is used up ----------------------------


def test_a_refused_credit_has_no_allows_at_and_waiting_does_not_help(world: World) -> None:
    sub = world.subscribe(credits=1)
    first = world.run(world.lesson(ANA, hours=2), "ready", "start", "complete")
    second = world.run(world.lesson(ANA, hours=4), "ready", "start")
    for when in (NOW + timedelta(hours=5), datetime(2026, 4, 2, 9, tzinfo=UTC)):
        world.clock.set(when)
        with pytest.raises(UsageLimitReached) as caught:
            world.run(second, "complete")
        refused = caught.value
        assert (refused.rule, refused.subscription_id, refused.participant) == (
            "credits",
            sub,
            "student:ana",
        )
        assert (refused.period, refused.credits, refused.remaining) == ("2026-03", 1, 0)
        assert refused.allows_at is None
        assert world.kit.queries.get(T, second.id).status == "ONGOING"
    # What does help: a credit of March coming back.
    world.kit.usage.correct(T, first.id, "CANCELLED", actor="admin", reason="teacher ill")
    assert world.run(second, "complete").status == "COMPLETED"
    assert world.used(sub) == 1


def test_an_explicit_consume_past_the_credits_has_no_allows_at(world: World) -> None:
    world.subscribe(credits=1)
    world.run(world.lesson(ANA, hours=2), "ready", "start", "complete")
    other = world.lesson(ANA, hours=4)
    with pytest.raises(UsageLimitReached) as caught:
        world.kit.usage.consume(T, other.id, actor="admin")
    assert (caught.value.period, caught.value.remaining, caught.value.allows_at) == (
        "2026-03",
        0,
        None,
    )
    assert world.kit.usage.entries(T, session_id=other.id) == []


# -- D8: a correction charges who is confirmed now ----------------------------------------


def test_corrected_to_cancelled_and_back_charges_no_cancelled_booking(world: World) -> None:
    sub = world.subscribe()
    held = world.run(world.lesson(ANA, hours=2), "ready", "start", "complete")
    world.kit.usage.correct(T, held.id, "CANCELLED", actor="admin", reason="never came")
    world.kit.usage.correct(T, held.id, "COMPLETED", actor="admin", reason="he came")
    assert [b.status for b in world.kit.bookings.for_session(T, held.id)] == ["CANCELLED"]
    assert world.active(held) == [(ANA, False)]
    # The same as a session cancelled outright, then corrected to COMPLETED.
    cancelled = world.lesson(ANA, hours=4)
    world.kit.sessions.cancel(T, cancelled.id, actor="admin", reason="never came")
    world.kit.usage.correct(T, cancelled.id, "COMPLETED", actor="admin", reason="he came")
    assert world.active(cancelled) == []
    assert world.used(sub) == 0
    assert world.changes() == [(held.id, ANA, "consumed"), (held.id, ANA, "reversed")]


def test_a_replay_of_a_corrected_cancelled_session_charges_nobody(world: World) -> None:
    sub = world.subscribe()
    held = world.run(world.lesson(ANA, hours=2), "ready", "start", "complete")
    world.kit.usage.correct(T, held.id, "CANCELLED", actor="admin")
    assert world.kit.usage.consume(T, held.id, actor="replay") == []
    assert world.active(held) == [(ANA, False)]
    assert world.used(sub) == 0


def test_a_confirmed_participants_returned_credit_is_consumed_again_once(world: World) -> None:
    ana, bo = world.subscribe(ANA), world.subscribe(BO)
    circle = world.run(world.lesson(ANA, BO, hours=2), "ready", "start", "complete")
    [ana_entry, bo_entry] = world.kit.usage.entries(T, session_id=circle.id)
    world.kit.usage.correct(T, circle.id, "ONGOING", actor="admin")  # returns both credits
    [bo_booking] = [b for b in world.kit.bookings.for_session(T, circle.id) if b.participant == BO]
    world.kit.bookings.cancel(T, bo_booking.id, actor="admin")
    world.kit.usage.correct(T, circle.id, "COMPLETED", actor="admin")
    world.kit.usage.correct(T, circle.id, "COMPLETED", actor="admin")
    entries = world.kit.usage.entries(T, session_id=circle.id)
    assert [(e.id, e.participant, e.active) for e in entries] == [
        (ana_entry.id, ANA, True),
        (bo_entry.id, BO, False),
    ]
    assert (world.used(ana), world.used(bo)) == (1, 0)
    assert world.changes() == [
        (circle.id, ANA, "consumed"),
        (circle.id, BO, "consumed"),
        (circle.id, ANA, "reversed"),
        (circle.id, BO, "reversed"),
        (circle.id, ANA, "consumed"),
    ]


def test_a_participant_charged_without_a_booking_is_charged_again_after_a_correction() -> None:
    # A 1-to-1 lesson whose student is one of its resources: the host charges her by name.
    # Charging only confirmed bookings would have dropped her credit on the way back.
    now = datetime(2026, 3, 2, 8, tzinfo=UTC)
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(now))
    plan = kit.usage.subscribe(
        "1", actor="admin", subscriber="student:mariam", credits=4, starts=now, tz="UTC"
    )
    start = now + timedelta(hours=2)
    lesson = kit.sessions.create_extra(
        "1",
        actor="admin",
        start=start,
        end=start + timedelta(minutes=45),
        lifecycle="academy",
        resources=[ResourceRef("teacher", "t1"), ResourceRef("student", "mariam")],
    )
    for transition in ("ready", "start", "complete"):
        kit.sessions.fire("1", lesson.id, transition, actor="teacher")
    kit.usage.consume("1", lesson.id, actor="admin", participants=["student:mariam"])
    kit.usage.correct("1", lesson.id, "SCHEDULED", actor="admin", reason="wrong button")
    assert kit.usage.balance("1", plan.id).used == 0
    kit.usage.correct("1", lesson.id, "COMPLETED", actor="admin", reason="it took place")
    assert kit.usage.balance("1", plan.id).used == 1
    entries = kit.usage.entries("1", session_id=lesson.id)
    assert [(e.participant, e.active) for e in entries] == [
        (ResourceRef("student", "mariam"), True)
    ]


def test_a_returned_credit_charged_again_after_a_move_counts_in_the_new_month() -> None:
    # The entry came back with its old month while the new month's counter was bumped; a
    # cancel then took the old month to -1, and its one credit paid for two more lessons.
    clock = ManualClock(datetime(2026, 3, 2, 8, tzinfo=UTC))
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=clock)
    plan = kit.usage.subscribe(
        T, actor="admin", subscriber=ANA, credits=1, starts=clock.now(), tz="Europe/Berlin"
    )
    at = datetime(2026, 3, 30, 10, tzinfo=UTC)
    lesson = kit.sessions.create_extra(
        T,
        actor="admin",
        start=at,
        end=at + timedelta(minutes=45),
        lifecycle="academy",
        resources=[ResourceRef("teacher", "t1")],
    )
    kit.usage.correct(T, lesson.id, "COMPLETED", actor="admin")
    kit.usage.consume(T, lesson.id, actor="admin", participants=[ANA])
    kit.usage.correct(T, lesson.id, "SCHEDULED", actor="admin")  # the credit goes back
    kit.sessions.update(T, lesson.id, actor="admin", start=datetime(2026, 4, 6, 10, tzinfo=UTC))
    kit.usage.correct(T, lesson.id, "COMPLETED", actor="admin")

    def used(day: int, month: int) -> int:
        return kit.usage.balance(T, plan.id, at=datetime(2026, month, day, tzinfo=UTC)).used

    assert [(e.period, e.active) for e in kit.usage.entries(T, session_id=lesson.id)] == [
        ("2026-04", True)
    ]
    assert (used(15, 3), used(15, 4)) == (0, 1)
    kit.usage.correct(T, lesson.id, "CANCELLED", actor="admin")
    assert (used(15, 3), used(15, 4)) == (0, 0)
