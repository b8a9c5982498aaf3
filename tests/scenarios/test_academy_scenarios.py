"""The Quran academy's workflows (seed 002), replayed on sessionkit with presence and rooms.

Sessions come from weekly schedules (a circle of capacity 8, individual lessons of
capacity 1) on the ``academy`` preset; the clock (``advance_due``) and the meeting
room's joins drive READY / ONGOING / COMPLETED / ABSENT; rooms open and close through
the lifecycle events; the teacher's report wins over the join / leave log. The
coaching no-show (seed 004) reads the same attended facts.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import TransitionRefused, UsageLimitReached
from sessionkit.lifecycles import ACADEMY_ABSENT_AFTER, ACADEMY_COMPLETE_AFTER, academy
from sessionkit.model import ResourceRef, ScheduleItem, Session, SessionQuery
from sessionkit.model.attendance import (
    ABSENT,
    JOIN,
    LATE,
    LEAVE,
    PARTIAL,
    PRESENT,
    PresenceEvent,
)
from sessionkit.model.events import SessionCanceled
from sessionkit.model.usage import SessionCodes
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.services.rooms import RoomKeeper
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.rooms import FakeMeetingRooms

T = "itqan"
RIYADH = "Asia/Riyadh"
TEACHER = ResourceRef("teacher", "ahmed")
MIN = timedelta(minutes=1)
NOW = datetime(2026, 3, 2, 6, tzinfo=UTC)


class Academy:
    def __init__(self) -> None:
        self.rooms = FakeMeetingRooms()
        self.events = RecordingPublisher()
        counter = itertools.count(1)
        self.clock = ManualClock(NOW)
        self.kit = SessionKit(
            uow=InMemoryStore(publisher=RoomKeeper(self.rooms, then=self.events)).unit_of_work,
            clock=self.clock,
            ids=lambda: f"x{next(counter)}",
            facts=attendance_facts(),
        )

    def schedule(self, series_id: str, at: time, capacity: int, *extra: str) -> list[Session]:
        self.kit.series.create(
            T,
            actor="admin",
            title=series_id,
            items=[
                ScheduleItem(
                    "weekly",
                    Recurrence.weekly(
                        days=("MO",),
                        at=at,
                        duration=timedelta(minutes=60),
                        tz=RIYADH,
                        start=date(2026, 3, 2),
                    ),
                    [TEACHER, *extra],
                )
            ],
            lifecycle="academy",
            capacity=capacity,
            series_id=series_id,
        )
        return list(self.kit.queries.list(T, SessionQuery(series_id=series_id, limit=20)).items)

    def status(self, session: Session) -> str:
        return self.kit.queries.get(T, session.id).status

    def room_join(self, session: Session, who: str, minutes: int) -> None:
        self.rooms.join(T, session.id, who, at=session.start + minutes * MIN)

    def deliver(self, at: datetime) -> None:
        self.kit.attendance.record_presence(
            T, self.rooms.drain(duplicate=True, shuffle=True), now=at
        )


@pytest.fixture
def a() -> Academy:
    return Academy()


def test_a_circle_from_its_schedule_goes_ready_ongoing_completed_with_its_room(a: Academy) -> None:
    circles = a.schedule("circle", time(16), 8)
    assert len(circles) >= 8
    assert {s.status for s in circles} == {"SCHEDULED"}
    first = circles[0]
    a.kit.advance_due(T, now=first.start - 15 * MIN)  # "READY ~15 min before": link appears
    assert (a.status(first), a.rooms.is_open(T, first.id)) == ("READY", True)
    assert a.status(circles[1]) == "SCHEDULED"
    a.room_join(first, "student:omar", -1)
    a.room_join(first, "student:sara", 2)
    a.deliver(first.start + 2 * MIN)  # "READY -> ONGOING (first participant joins)"
    assert a.status(first) == "ONGOING"
    assert a.kit.advance_due(T, now=first.end + 9 * MIN).advanced == ()
    done = a.kit.advance_due(T, now=first.end + 10 * MIN)  # "auto, after duration + buffer"
    assert [s.status for s in done.advanced] == ["COMPLETED"]
    assert "COMPLETED" in academy.usage_statuses  # "COMPLETED: counts"
    with pytest.raises(LookupError):  # "closeMeeting ... prevents late students from joining"
        a.room_join(first, "student:late", 61)


def test_an_individual_lesson_nobody_joined_is_absent_and_counts(a: Academy) -> None:
    lesson = a.schedule("ind", time(18), 1, "student:khalid")[0]
    circle = a.schedule("circle", time(19), 8)[0]
    sub = a.kit.usage.subscribe(
        T, actor="admin", subscriber="student:khalid", credits=4, starts=NOW, tz=RIYADH
    )
    a.kit.bookings.book(T, lesson.id, "student:khalid", actor="admin", confirm=True)
    a.kit.advance_due(T, now=circle.start - 15 * MIN)
    a.kit.advance_due(T, now=circle.start + 30 * MIN)
    assert (a.status(lesson), a.status(circle)) == ("ABSENT", "READY")  # "(individual only)"
    assert "ABSENT" in academy.usage_statuses  # "ABSENT: counts (student no-show)"
    assert a.kit.usage.balance(T, sub.id).used == 1
    assert not a.rooms.is_open(T, lesson.id)
    assert a.rooms.is_open(T, circle.id)


@pytest.mark.parametrize("joined", [False, True], ids=["nobody-joined", "held"])
def test_a_lesson_past_the_months_credits_still_ends_and_shows_the_overage(
    a: Academy, joined: bool
) -> None:
    """March 2026 has five Mondays; Khalid's subscription gives four lessons a month. The
    clock is never refused for credits: the fifth lesson goes ABSENT (or COMPLETED) all the
    same, its room closes, the tick reports nothing failing, and the balance shows the
    overage (used 5 of 4). The teacher's complete button is still refused."""
    lessons = a.schedule("ind", time(18), 1, "student:khalid")[:5]
    assert [s.start.month for s in lessons] == [3] * 5
    sub = a.kit.usage.subscribe(
        T, actor="admin", subscriber="student:khalid", credits=4, starts=NOW, tz=RIYADH
    )
    for lesson in lessons:
        a.kit.bookings.book(T, lesson.id, "student:khalid", actor="admin", confirm=True)
    for lesson in lessons[:4]:
        assert a.kit.tick(T, now=lesson.end + ACADEMY_COMPLETE_AFTER).failed == ()
    fifth = lessons[4]
    a.kit.tick(T, now=fifth.start - 15 * MIN)
    if joined:
        a.room_join(fifth, "student:khalid", 0)
        a.deliver(fifth.start + MIN)
        a.clock.set(fifth.end)
        with pytest.raises(UsageLimitReached):  # by hand: refused, as before
            a.kit.sessions.fire(T, fifth.id, "complete", actor="ahmed")
        assert a.status(fifth) == "ONGOING"
    report = a.kit.tick(T, now=fifth.end + ACADEMY_COMPLETE_AFTER)
    assert (report.failed, report.advanced) == ((), 1)
    assert a.status(fifth) == ("COMPLETED" if joined else "ABSENT")
    assert not a.rooms.is_open(T, fifth.id)
    balance = a.kit.usage.balance(T, sub.id, at=fifth.start)
    assert (balance.credits, balance.used, balance.remaining) == (4, 5, -1)
    [entry] = a.kit.usage.entries(T, session_id=fifth.id)
    assert (entry.active, entry.period) == (True, "2026-03")
    again = a.kit.tick(T, now=fifth.end + timedelta(hours=1))  # counted once, nothing due
    assert (again.failed, again.advanced) == ((), 0)
    assert a.kit.usage.balance(T, sub.id, at=fifth.start).used == 5
    assert a.kit.due_tenants(now=fifth.end + timedelta(hours=1)) == []


def test_a_circle_nobody_attended_is_cancelled_at_its_end_plus_the_grace(a: Academy) -> None:
    """Nobody came to the circle, the teacher included, and nobody reported anyone there.
    It is not held, so it does not stay READY with its room open and its academy due at
    every tick: the clock cancels it at its end plus the completion's buffer, with a reason
    saying nobody attended; it uses no credit and its room closes. A circle someone joined
    still completes, and an individual lesson nobody joined still goes ABSENT."""
    empty, held = a.schedule("circle", time(16), 8)[:2]
    joined = a.schedule("joined", time(20), 8)[0]
    lesson = a.schedule("ind", time(18), 1, "student:khalid")[0]
    subs = {
        who: a.kit.usage.subscribe(
            T, actor="admin", subscriber=who, credits=4, starts=NOW, tz=RIYADH
        ).id
        for who in ("student:omar", "student:sara", "student:khalid")
    }
    a.kit.bookings.book(T, empty.id, "student:omar", actor="admin", confirm=True)
    a.kit.bookings.book(T, joined.id, "student:sara", actor="admin", confirm=True)
    a.kit.bookings.book(T, lesson.id, "student:khalid", actor="admin", confirm=True)
    a.kit.advance_due(T, now=empty.start - 15 * MIN)
    assert (a.status(empty), a.rooms.is_open(T, empty.id)) == ("READY", True)
    assert a.kit.tick(T, now=empty.end + 9 * MIN).advanced == 0  # not before the grace
    assert a.status(empty) == "READY"
    report = a.kit.tick(T, now=empty.end + ACADEMY_COMPLETE_AFTER)
    assert (report.advanced, report.failed) == (1, ())
    assert a.status(empty) == "CANCELLED"
    [cancelled] = [e for e in a.events.of_type(SessionCanceled) if e.session.id == empty.id]
    assert cancelled.change.transition == "cancel_unattended"
    assert cancelled.change.at == empty.end + ACADEMY_COMPLETE_AFTER
    assert cancelled.reason == "timed: end + 10 min if circle_nobody_attended"
    assert not a.rooms.is_open(T, empty.id)
    assert a.kit.usage.entries(T, session_id=empty.id) == []
    assert [b.status for b in a.kit.bookings.for_session(T, empty.id)] == ["CANCELLED"]
    # Nothing due until the next session's READY: the academy is not listed meanwhile.
    assert a.kit.due_tenants(now=lesson.start - 16 * MIN) == []
    # By hand, a circle only: the teacher's button refuses an individual lesson.
    a.kit.tick(T, now=lesson.start - 15 * MIN)
    with pytest.raises(TransitionRefused):
        a.kit.sessions.fire(T, lesson.id, "cancel_unattended", actor="ahmed")
    # An individual lesson nobody joined: ABSENT, as before (one credit).
    a.kit.tick(T, now=lesson.start + ACADEMY_ABSENT_AFTER)
    assert a.status(lesson) == "ABSENT"
    # A circle someone joined: ONGOING, then COMPLETED by the clock, as before (one credit).
    a.kit.tick(T, now=joined.start - 15 * MIN)
    a.room_join(joined, "student:sara", 1)
    a.deliver(joined.start + 2 * MIN)
    a.kit.tick(T, now=joined.end + ACADEMY_COMPLETE_AFTER)
    assert (a.status(joined), a.rooms.is_open(T, joined.id)) == ("COMPLETED", False)
    used = {who: a.kit.usage.balance(T, sub).used for who, sub in subs.items()}
    assert used == {"student:omar": 0, "student:sara": 1, "student:khalid": 1}
    assert a.kit.tick(T, now=held.start - 16 * MIN).failed == ()
    assert a.kit.due_tenants(now=held.start - 16 * MIN) == []


def test_a_join_in_a_circles_room_after_its_end_holds_and_charges_nothing(a: Academy) -> None:
    """Nobody came to the circle; a student who wanders into its room after its end, while it
    is still open, is not the circle being held: it stays READY, and the clock cancels it at
    the end of the grace (a stay after the end is no attendance). Nobody's subscription is
    charged for it, and the join is still stored."""
    circle = a.schedule("circle", time(16), 8)[0]
    a.kit.usage.subscribe(
        T, actor="admin", subscriber="student:omar", credits=4, starts=NOW, tz=RIYADH
    )
    a.kit.bookings.book(T, circle.id, "student:omar", actor="admin", confirm=True)
    a.kit.advance_due(T, now=circle.start - 15 * MIN)
    late = circle.end + 5 * MIN
    a.rooms.join(T, circle.id, "student:omar", at=late)
    a.deliver(late)
    assert a.status(circle) == "READY"
    a.kit.advance_due(T, now=circle.end + ACADEMY_COMPLETE_AFTER)
    assert (a.status(circle), a.rooms.is_open(T, circle.id)) == ("CANCELLED", False)
    assert a.kit.usage.entries(T, session_id=circle.id) == []
    assert [p.participant for p in a.kit.attendance.presence(T, circle.id)] == [
        ResourceRef("student", "omar")
    ]


def test_the_teachers_report_wins_over_the_meeting_log(a: Academy) -> None:
    circle = a.schedule("circle", time(16), 8)[0]
    a.kit.advance_due(T, now=circle.start - 15 * MIN)
    a.room_join(circle, "student:yusuf", 0)
    a.rooms.leave(T, circle.id, "student:yusuf", at=circle.start + 15 * MIN)
    a.room_join(circle, "student:omar", 0)
    a.deliver(circle.start + 15 * MIN)
    # "Always check StudentSessionReport FIRST": both sources visible, the report counts.
    after = circle.end  # the teacher files the report after the circle
    a.kit.attendance.override(
        T, circle.id, "student:yusuf", status=PRESENT, actor="ahmed", now=after
    )
    a.kit.attendance.override(T, circle.id, "student:omar", status=ABSENT, actor="ahmed", now=after)
    found = {str(x.participant): x for x in a.kit.attendance.for_session(T, circle.id)}
    assert (found["student:yusuf"].status, found["student:yusuf"].effective_status) == (
        PARTIAL,
        PRESENT,
    )
    assert (found["student:omar"].status, found["student:omar"].effective_status) == (
        PRESENT,
        ABSENT,
    )


@pytest.mark.parametrize(
    ("status", "reported_at", "ticked_at"),
    [
        (PRESENT, 20 * MIN, None),  # during the lesson
        (LATE, 0 * MIN, None),  # at its start
        (PRESENT, 61 * MIN, None),  # only after its end
        (PRESENT, 61 * MIN, 10 * MIN),  # after its end, a tick inside the grace between
        (PARTIAL, timedelta(days=1), None),  # the next day
    ],
)
def test_a_lesson_nobody_joined_the_teacher_reports_held_completes_and_counts(
    a: Academy, status: str, reported_at: timedelta, ticked_at: timedelta | None
) -> None:
    """Nobody joined the room (the provider reported nothing); the teacher's report,
    "PRIMARY SOURCE OF TRUTH", says the student was there. The report starts the READY
    lesson, so it does not stay READY (room open, due for good): the clock completes it
    and it uses its credit."""
    lesson, next_week = a.schedule("ind", time(18), 1, "student:khalid")[:2]
    sub = a.kit.usage.subscribe(
        T, actor="admin", subscriber="student:khalid", credits=4, starts=NOW, tz=RIYADH
    )
    a.kit.bookings.book(T, lesson.id, "student:khalid", actor="admin", confirm=True)
    a.kit.advance_due(T, now=lesson.start - 15 * MIN)
    assert (a.status(lesson), a.rooms.is_open(T, lesson.id)) == ("READY", True)
    if ticked_at is not None:
        assert a.kit.advance_due(T, now=lesson.start + ticked_at).advanced == ()
    reported = lesson.start + reported_at
    a.kit.attendance.override(
        T, lesson.id, "student:khalid", status=status, actor="ahmed", now=reported
    )
    assert a.status(lesson) == "ONGOING"
    done = max(lesson.end, reported) + ACADEMY_COMPLETE_AFTER + ACADEMY_ABSENT_AFTER
    a.kit.advance_due(T, now=done)
    assert a.status(lesson) == "COMPLETED"
    assert a.kit.usage.balance(T, sub.id).used == 1
    assert not a.rooms.is_open(T, lesson.id)
    assert a.kit.due_tenants(now=next_week.start - 16 * MIN) == []  # nothing due till next week


def test_cancelling_a_ready_session_closes_its_room_and_does_not_count(a: Academy) -> None:
    lesson = a.schedule("ind", time(18), 1, "student:mariam")[0]
    sub = a.kit.usage.subscribe(
        T, actor="admin", subscriber="student:mariam", credits=4, starts=NOW, tz=RIYADH
    )
    a.kit.bookings.book(T, lesson.id, "student:mariam", actor="admin", confirm=True)
    a.kit.advance_due(T, now=lesson.start - 15 * MIN)
    cancelled = a.kit.sessions.cancel(T, lesson.id, actor="ahmed", reason="Teacher conflict")
    assert cancelled.status == "CANCELLED"
    assert cancelled.status not in academy.usage_statuses
    a.kit.advance_due(T, now=lesson.end + timedelta(hours=1))  # no timer charges it later
    assert (a.status(lesson), a.kit.usage.balance(T, sub.id).used) == ("CANCELLED", 0)
    assert a.rooms.calls == [("ensure", T, lesson.id), ("close", T, lesson.id)]


def test_the_coaching_no_show_reads_the_same_attended_facts(a: Academy) -> None:
    made = [
        a.kit.sessions.create_extra(
            T,
            actor="leo",
            start=NOW + timedelta(hours=2 + n),
            end=NOW + timedelta(hours=3 + n),
            lifecycle="coaching",
            title=f"coaching {n}",
        )
        for n in range(2)
    ]
    joined = made[0]
    a.kit.attendance.record_presence(
        T,
        [
            presence(joined, "student:mia", JOIN, joined.start),
            presence(joined, "student:mia", LEAVE, joined.start + 40 * MIN),
        ],
        now=joined.start,
    )
    a.kit.advance_due(T, now=NOW + timedelta(hours=6))
    assert [a.status(s) for s in made] == ["SCHEDULED", "MISSED"]


def presence(session: Session, who: str, action: str, at: datetime) -> PresenceEvent:
    return PresenceEvent(
        provider="meet",
        event_id=f"{session.id}-{who}-{action}",
        session_id=session.id,
        participant=who,
        action=action,
        at=at,
    )


def test_the_academy_counts_attended_minutes_and_subscription_use(a: Academy) -> None:
    """Issue 15: "the academy counts attended minutes and subscription use", by the store.

    A circle of three (one late, one reported present by the teacher after a dropped
    connection) and an individual lesson nobody joined: the figures agree with what
    ``kit.attendance`` shows per session and with the balance ``kit.usage`` keeps.
    """
    for student in ("student:omar", "student:sara", "student:yusuf", "student:khalid"):
        a.kit.usage.subscribe(
            T,
            actor="admin",
            subscriber=student,
            credits=8,
            starts=NOW - timedelta(days=1),
            tz=RIYADH,
        )
    circle = a.schedule("circle", time(16), 8)[0]
    lesson = a.schedule("ind", time(18), 1, "student:khalid")[0]
    for session, who in [(circle, s) for s in ("student:omar", "student:sara", "student:yusuf")] + [
        (lesson, "student:khalid")
    ]:
        a.kit.bookings.book(T, session.id, who, actor="admin", confirm=True)
    a.kit.advance_due(T, now=circle.start - 15 * MIN)
    a.room_join(circle, "student:omar", 0)
    a.room_join(circle, "student:sara", 10)
    a.room_join(circle, "student:yusuf", 0)
    a.rooms.leave(T, circle.id, "student:yusuf", at=circle.start + 20 * MIN)
    a.deliver(circle.start + 20 * MIN)
    a.kit.advance_due(T, now=circle.end + 10 * MIN)  # COMPLETED; the still-open stays end with it
    a.kit.attendance.override(
        T,
        circle.id,
        "student:yusuf",
        status=PRESENT,
        minutes=60,
        actor="ahmed",
        now=circle.end + 10 * MIN,
    )
    a.kit.advance_due(T, now=lesson.start + 15 * MIN)  # nobody joined: ABSENT
    assert (a.status(circle), a.status(lesson)) == ("COMPLETED", "ABSENT")

    by_student = a.kit.analytics.attendance(T, by="participant")
    none = by_student.get("nobody").by_status()  # an empty group's: every status 0
    assert [(r.key, r.minutes, r.by_status()) for r in by_student.rows if r.records] == [
        ("student:khalid", 0, {**none, ABSENT: 1}),
        ("student:omar", 60, {**none, PRESENT: 1}),
        ("student:sara", 50, {**none, "late": 1}),
        ("student:yusuf", 60, {**none, PRESENT: 1}),
    ]
    assert by_student.get() == a.kit.analytics.attendance(T).get()  # no key: every student
    shown = [x for s in (circle, lesson) for x in a.kit.attendance.for_session(T, s.id)]
    assert by_student.minutes == sum(x.effective_minutes for x in shown) == 170
    whole = a.kit.analytics.attendance(T).get()
    assert (whole.records, whole.held, whole.held_absent, whole.overridden) == (4, 4, 1, 1)
    assert whole.no_show_rate == 0.25

    use = a.kit.analytics.usage(T, by="period")
    assert [(r.subscriber, r.period, r.used, r.remaining) for r in use.rows] == [
        ("student:khalid", "2026-03", 1, 7),
        ("student:omar", "2026-03", 1, 7),
        ("student:sara", "2026-03", 1, 7),
        ("student:yusuf", "2026-03", 1, 7),
    ]
    for row in use.rows:
        assert row.subscription_id is not None
        assert row.remaining == a.kit.usage.balance(T, row.subscription_id).remaining


def coded_academy() -> SessionKit:
    counter = itertools.count(1)
    return SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
        facts=attendance_facts(),
        codes=SessionCodes(prefix="QSE"),
    )


def lessons(kit: SessionKit, tenant: str, student: str = "student:mariam") -> list[Session]:
    kit.series.create(
        tenant,
        actor="admin",
        title="Tajweed",
        items=[
            ScheduleItem(
                "weekly",
                Recurrence.weekly(
                    days=("MO",),
                    at=time(18),
                    duration=timedelta(minutes=45),
                    tz=RIYADH,
                    start=date(2026, 3, 2),
                ),
                [TEACHER, student],
            )
        ],
        lifecycle="academy",
        capacity=1,
        series_id="ind",
    )
    return list(kit.queries.list(tenant, SessionQuery(series_id="ind", limit=20)).items)


def test_each_academy_numbers_its_session_codes_on_its_own() -> None:
    # "session_code: Unique per academy (e.g., "QSE-1-000001")": academies 1 and 2 are tenants
    # of one kit; each numbers from 1, and a code is found only in its own academy.
    kit = coded_academy()
    one, two = lessons(kit, "1"), lessons(kit, "2")
    assert [kit.usage.code_of("1", s.id) for s in one[:2]] == ["QSE-1-000001", "QSE-1-000002"]
    assert [kit.usage.code_of("2", s.id) for s in two[:2]] == ["QSE-2-000001", "QSE-2-000002"]
    found = kit.usage.by_code("1", "QSE-1-000002")
    assert found is not None
    assert found.id == one[1].id
    assert kit.usage.by_code("2", "QSE-1-000002") is None


def test_a_lesson_counts_against_the_subscription_exactly_once() -> None:
    # "subscription_counted ... prevent double-counting": a tick run again, and the admin's
    # correction ABSENT -> COMPLETED, use no second credit; a correction to CANCELLED gives it
    # back ("CANCELLED: Does NOT count").
    kit = coded_academy()
    lesson = lessons(kit, "1")[0]
    sub = kit.usage.subscribe(
        "1", actor="admin", subscriber="student:mariam", credits=4, starts=NOW, tz=RIYADH
    )
    kit.bookings.book("1", lesson.id, "student:mariam", actor="admin", confirm=True)
    for minutes in (-15, 15, 15, 60):
        kit.advance_due("1", now=lesson.start + minutes * MIN)
    assert kit.queries.get("1", lesson.id).status == "ABSENT"
    assert kit.usage.balance("1", sub.id).used == 1
    kit.usage.correct("1", lesson.id, "COMPLETED", actor="admin", reason="she was there")
    assert kit.usage.balance("1", sub.id).used == 1
    kit.usage.correct("1", lesson.id, "CANCELLED", actor="admin", reason="teacher conflict")
    assert kit.usage.balance("1", sub.id).used == 0


def test_a_makeup_for_a_cancelled_lesson_uses_one_credit_for_the_pair() -> None:
    # "is_makeup_session": the teacher cancels (no credit) and gives a makeup, which is charged
    # as the lesson it replaces.
    kit = coded_academy()
    lesson = lessons(kit, "1")[0]
    sub = kit.usage.subscribe(
        "1", actor="admin", subscriber="student:mariam", credits=4, starts=NOW, tz=RIYADH
    )
    kit.sessions.cancel("1", lesson.id, actor="ahmed", reason="teacher travelling")
    start = lesson.start + timedelta(days=3)
    makeup = kit.sessions.create_extra(
        "1",
        actor="ahmed",
        start=start,
        end=start + timedelta(minutes=45),
        resources=[TEACHER, "student:mariam"],
        lifecycle="academy",
        capacity=1,
        title="Tajweed makeup",
    )
    kit.usage.mark_makeup("1", makeup.id, replaces=lesson.id, actor="ahmed")
    kit.bookings.book("1", makeup.id, "student:mariam", actor="admin", confirm=True)
    kit.advance_due("1", now=start - 15 * MIN)
    kit.attendance.record_presence(
        "1", [presence(makeup, "student:mariam", JOIN, start)], now=start + MIN
    )
    kit.advance_due("1", now=makeup.end + 10 * MIN)
    assert kit.queries.get("1", makeup.id).status == "COMPLETED"
    assert kit.usage.balance("1", sub.id).used == 1
    assert kit.usage.code_of("1", makeup.id) is not None


def test_the_clock_keeps_the_seeds_minutes_and_only_a_held_session_uses_a_credit(
    a: Academy,
) -> None:
    # "SCHEDULED -> READY (~15 min before)", the link "only after READY"; ABSENT 15 minutes
    # past the start; "All other statuses: Do NOT count": READY and ONGOING use no credit,
    # COMPLETED and ABSENT one each.
    circle = a.schedule("circle", time(16), 8)[0]
    lesson = a.schedule("ind", time(18), 1, "student:khalid")[0]
    subs = {
        who: a.kit.usage.subscribe(
            T, actor="admin", subscriber=who, credits=4, starts=NOW, tz=RIYADH
        ).id
        for who in ("student:omar", "student:khalid")
    }
    a.kit.bookings.book(T, circle.id, "student:omar", actor="admin", confirm=True)
    a.kit.bookings.book(T, lesson.id, "student:khalid", actor="admin", confirm=True)

    def used() -> dict[str, int]:
        return {who: a.kit.usage.balance(T, sub).used for who, sub in subs.items()}

    a.kit.advance_due(T, now=circle.start - 16 * MIN)
    assert (a.status(circle), a.rooms.calls) == ("SCHEDULED", [])
    a.kit.advance_due(T, now=circle.start - 15 * MIN)
    assert (a.status(circle), a.rooms.is_open(T, circle.id), used()) == (
        "READY",
        True,
        {"student:omar": 0, "student:khalid": 0},
    )
    a.room_join(circle, "student:omar", 0)
    a.deliver(circle.start)
    assert (a.status(circle), used()["student:omar"]) == ("ONGOING", 0)
    a.kit.advance_due(T, now=lesson.start + 14 * MIN)
    assert (a.status(circle), a.status(lesson), used()) == (
        "COMPLETED",
        "READY",
        {"student:omar": 1, "student:khalid": 0},
    )
    a.kit.advance_due(T, now=lesson.start + 15 * MIN)
    assert (a.status(lesson), used()) == ("ABSENT", {"student:omar": 1, "student:khalid": 1})


def test_cancelling_a_circle_under_way_closes_its_room_and_uses_no_credit(a: Academy) -> None:
    # "CANCELLED (any status)": an ONGOING circle too; its room closes, nobody is charged,
    # the clock does not complete it later, and who had joined stays on record.
    circle = a.schedule("circle", time(16), 8)[0]
    sub = a.kit.usage.subscribe(
        T, actor="admin", subscriber="student:omar", credits=4, starts=NOW, tz=RIYADH
    )
    a.kit.bookings.book(T, circle.id, "student:omar", actor="admin", confirm=True)
    a.kit.advance_due(T, now=circle.start - 15 * MIN)
    a.room_join(circle, "student:omar", 0)
    a.deliver(circle.start + 5 * MIN)
    assert a.status(circle) == "ONGOING"
    a.clock.set(circle.start + 20 * MIN)
    cancelled = a.kit.sessions.cancel(T, circle.id, actor="ahmed", reason="power cut")
    assert cancelled.status == "CANCELLED"
    assert not a.rooms.is_open(T, circle.id)
    assert a.kit.advance_due(T, now=circle.end + 10 * MIN).advanced == ()
    assert (a.status(circle), a.kit.usage.balance(T, sub.id).used) == ("CANCELLED", 0)
    assert a.kit.usage.entries(T, session_id=circle.id) == []
    # His stay ends with the cancel: twenty minutes on record.
    assert [
        (str(x.participant), x.minutes) for x in a.kit.attendance.for_session(T, circle.id)
    ] == [("student:omar", 20)]


def test_the_teachers_report_says_who_overrode_what_and_why_beside_the_log(a: Academy) -> None:
    # "manually_overridden", "overridden_by"; "left_early" from the log. The report is kept
    # apart from what the room measured, one per student, and a second report replaces it.
    circle = a.schedule("circle", time(16), 8)[0]
    a.kit.advance_due(T, now=circle.start - 15 * MIN)
    a.room_join(circle, "student:omar", 0)
    a.rooms.leave(T, circle.id, "student:omar", at=circle.start + 40 * MIN)
    a.deliver(circle.start + 40 * MIN)
    a.kit.advance_due(T, now=circle.end + 10 * MIN)
    [before] = a.kit.attendance.for_session(T, circle.id)
    assert (before.status, before.minutes, before.override) == ("left_early", 40, None)
    reported = circle.end + 20 * MIN
    a.kit.attendance.override(
        T,
        circle.id,
        "student:omar",
        status=LATE,
        actor="ahmed",
        reason="came late, I let him go early",
        now=reported,
    )
    a.kit.attendance.override(
        T,
        circle.id,
        "student:omar",
        status=PRESENT,
        minutes=60,
        actor="ahmed",
        reason="he was sent out by me to fetch the mushaf",
        now=reported + MIN,
    )
    [after] = a.kit.attendance.for_session(T, circle.id)
    assert after.override is not None
    told = after.override
    assert (after.status, after.minutes, after.effective_status, after.effective_minutes) == (
        "left_early",
        40,
        PRESENT,
        60,
    )
    assert (told.decided_by, told.decided_at, told.reason) == (
        "ahmed",
        reported + MIN,
        "he was sent out by me to fetch the mushaf",
    )


def test_only_an_individual_lesson_is_marked_absent_by_hand_too(a: Academy) -> None:
    # "ABSENT (individual only)": the teacher's button refuses a circle, not a lesson.
    circle = a.schedule("circle", time(17), 8)[0]  # still READY when the lesson is
    lesson = a.schedule("ind", time(18), 1, "student:khalid")[0]
    a.kit.advance_due(T, now=circle.start - 15 * MIN)
    a.kit.advance_due(T, now=lesson.start - 15 * MIN)
    a.clock.set(lesson.start)
    with pytest.raises(TransitionRefused):
        a.kit.sessions.fire(T, circle.id, "mark_absent", actor="ahmed")
    absent = a.kit.sessions.fire(T, lesson.id, "mark_absent", actor="ahmed")
    assert (a.status(circle), absent.status) == ("READY", "ABSENT")


def test_nobody_is_marked_absent_by_hand_from_a_lesson_that_has_not_started(a: Academy) -> None:
    # The button marked a READY lesson ABSENT 15 minutes before its start, the credit with it.
    lesson = a.schedule("ind", time(18), 1, "student:khalid")[0]
    a.kit.advance_due(T, now=lesson.start - 15 * MIN)
    a.clock.set(lesson.start - MIN)
    with pytest.raises(TransitionRefused) as refused:
        a.kit.sessions.fire(T, lesson.id, "mark_absent", actor="ahmed")
    assert (refused.value.transition, refused.value.status, refused.value.allows_at) == (
        "mark_absent",
        "READY",
        lesson.start,
    )
    assert "has not started" in refused.value.reason
    assert a.status(lesson) == "READY"
    a.clock.set(lesson.start)
    assert a.kit.sessions.fire(T, lesson.id, "mark_absent", actor="ahmed").status == "ABSENT"
