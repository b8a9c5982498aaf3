"""Attendance on the in-memory store: presence once, derivation, overrides, the lifecycle."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import cast

import attrs
import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import (
    ActionRefused,
    InvalidValue,
    NaiveDatetime,
    SessionNotFound,
    WrongType,
)
from sessionkit.model import ResourceRef, Session
from sessionkit.model.attendance import (
    ABSENT,
    JOIN,
    LATE,
    LEAVE,
    LEFT_EARLY,
    PARTIAL,
    PENDING,
    PRESENT,
    AttendanceOverride,
    AttendanceThresholds,
    Presence,
    PresenceEvent,
    derive_attendance,
)
from sessionkit.model.events import SessionStatusChanged
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy, attendance_facts
from sessionkit.services.rooms import RoomKeeper
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)
ANA = ResourceRef("student", "ana")
BEN = ResourceRef("student", "ben")


class World:
    def __init__(self, *, policy: AttendancePolicy | None = None) -> None:
        self.rooms = FakeMeetingRooms()
        self.events = RecordingPublisher()
        self.store = InMemoryStore(publisher=RoomKeeper(self.rooms, then=self.events))
        self.clock = ManualClock(START - timedelta(days=1))
        counter = itertools.count(1)
        self.kit = SessionKit(
            uow=self.store.unit_of_work,
            clock=self.clock,
            ids=lambda: f"s{next(counter)}",
            facts=attendance_facts(),
            attendance=policy,
        )
        self._ids = itertools.count(1)

    def lesson(self, capacity: int = 1, start: datetime = START) -> Session:
        created = self.kit.sessions.create_extra(
            T,
            actor="t",
            start=start,
            end=start + timedelta(hours=1),
            lifecycle="academy",
            capacity=capacity,
            resources=["teacher:tara"],
            title="Quran",
        )
        assert created.status == "SCHEDULED"
        return created

    def event(self, session: Session, who: ResourceRef, action: str, at: datetime) -> PresenceEvent:
        return PresenceEvent(
            provider="meet",
            event_id=f"e{next(self._ids)}",
            session_id=session.id,
            participant=who,
            action=action,
            at=at,
        )

    def status(self, session: Session) -> str:
        return self.kit.queries.get(T, session.id).status


@pytest.fixture
def w() -> World:
    return World()


def test_a_replayed_batch_is_a_no_op_and_repeats_in_a_batch_count_once(w: World) -> None:
    s = w.lesson()
    join = w.event(s, ANA, JOIN, START)
    first = w.kit.attendance.record_presence(T, [join, join], now=START)
    assert (first.recorded, first.duplicates) == (1, 1)
    again = w.kit.attendance.record_presence(T, [join], now=START + MIN)
    assert (again.recorded, again.duplicates, again.started) == (0, 1, ())
    assert [p.id for p in w.kit.attendance.presence(T, s.id)] == ["meet:" + join.event_id]


def test_the_first_join_makes_a_ready_session_ongoing_in_the_same_unit(w: World) -> None:
    s = w.lesson()
    w.kit.advance_due(T, now=START - 15 * MIN)
    assert w.status(s) == "READY"
    assert w.rooms.is_open(T, s.id)  # ensured on READY, through the lifecycle event
    report = w.kit.attendance.record_presence(
        T, [w.event(s, ANA, JOIN, START - 2 * MIN)], now=START - 2 * MIN
    )
    assert [(x.id, x.status) for x in report.started] == [(s.id, "ONGOING")]
    later = w.kit.attendance.record_presence(T, [w.event(s, BEN, JOIN, START)], now=START)
    assert later.started == ()  # only the first join moves it
    changes = [e.change.transition for e in w.events.events if isinstance(e, SessionStatusChanged)]
    assert changes == ["ready", "start"]


def test_a_join_before_the_tick_ran_catches_up_then_starts(w: World) -> None:
    s = w.lesson()
    report = w.kit.attendance.record_presence(
        T, [w.event(s, ANA, JOIN, START - 5 * MIN)], now=START - 5 * MIN
    )
    assert [x.status for x in report.started] == ["ONGOING"]
    changes = [e.change.transition for e in w.events.events if isinstance(e, SessionStatusChanged)]
    assert changes == ["ready", "start"]


def test_nobody_joined_an_individual_lesson_is_absent_and_its_room_closed(w: World) -> None:
    s = w.lesson()
    w.kit.advance_due(T, now=START - 15 * MIN)
    assert w.kit.advance_due(T, now=START + 14 * MIN).advanced == ()
    report = w.kit.advance_due(T, now=START + 15 * MIN)
    assert [(x.id, x.status) for x in report.advanced] == [(s.id, "ABSENT")]
    assert not w.rooms.is_open(T, s.id)
    assert w.rooms.calls == [("ensure", T, s.id), ("close", T, s.id)]


def test_a_circle_nobody_joined_is_never_absent(w: World) -> None:
    s = w.lesson(capacity=8)
    w.kit.advance_due(T, now=START - 15 * MIN)
    assert w.kit.advance_due(T, now=START + 30 * MIN).advanced == ()
    assert w.status(s) == "READY"
    # Not held: cancelled by the clock 10 min past its end (no credit), never ABSENT.
    [cancelled] = w.kit.advance_due(T, now=START + timedelta(hours=3)).advanced
    assert (cancelled.id, cancelled.status) == (s.id, "CANCELLED")


def test_the_teachers_present_starts_a_lesson_no_join_was_heard_of(w: World) -> None:
    # The teacher's report is the primary source: it kept the lesson from ABSENT but
    # left it READY for good (only a join fired start), its room open and no credit used.
    s = w.lesson()
    w.kit.advance_due(T, now=START - 15 * MIN)
    w.kit.attendance.override(T, s.id, ANA, status=PRESENT, actor="tara", now=START + 10 * MIN)
    assert w.status(s) == "ONGOING"
    assert w.kit.advance_due(T, now=START + 20 * MIN).advanced == ()
    report = w.kit.advance_due(T, now=START + 70 * MIN)
    assert [x.status for x in report.advanced] == ["COMPLETED"]
    assert not w.rooms.is_open(T, s.id)
    changes = [e.change.transition for e in w.events.events if isinstance(e, SessionStatusChanged)]
    assert changes == ["ready", "start", "complete"]
    # The start is the teacher's doing: her override names her, on the event and the change.
    [started] = [
        e
        for e in w.events.events
        if isinstance(e, SessionStatusChanged) and e.change.transition == "start"
    ]
    assert (started.actor, started.change.actor) == ("tara", "tara")


def test_an_override_moves_nothing_before_the_start_nor_when_it_says_absent(w: World) -> None:
    early, absent = w.lesson(), w.lesson(start=START + timedelta(days=1))
    w.kit.advance_due(T, now=START - 15 * MIN)
    # That someone was there is no report before the start: stored, it started nothing, and
    # blocked the ABSENT timer: the lesson stayed READY for good, no credit counted.
    with pytest.raises(ActionRefused) as refused:
        w.kit.attendance.override(T, early.id, ANA, status=PRESENT, actor="tara", now=START - MIN)
    assert (refused.value.rule, refused.value.allows_at) == ("not_started", START)
    assert all(a.override is None for a in w.kit.attendance.for_session(T, early.id))
    assert w.status(early) == "READY"
    told = w.kit.attendance.override(T, early.id, ANA, status=ABSENT, actor="tara", now=START - MIN)
    assert told.effective_status == ABSENT  # that nobody will come may be said before
    assert w.status(early) == "READY"
    day = timedelta(days=1)
    w.kit.advance_due(T, now=START + day - 15 * MIN)
    w.kit.attendance.override(T, absent.id, ANA, status=ABSENT, actor="tara", now=START + day)
    assert w.status(absent) == "READY"
    report = w.kit.advance_due(T, now=START + day + 20 * MIN)
    assert [x.status for x in report.advanced] == ["ABSENT"]


def test_a_lesson_cancelled_before_its_start_takes_no_word_that_someone_came(w: World) -> None:
    # Cancelled at once, nothing lay ahead of it: a report that Ana was there, even before
    # the start, was stored, and the analytics counted a present record of 45 minutes.
    s = w.lesson()
    w.kit.sessions.cancel(T, s.id, actor="tara", reason="teacher ill")
    for at in (START - MIN, START + 70 * MIN):  # before its start, and after its end
        with pytest.raises(ActionRefused) as refused:
            w.kit.attendance.override(
                T, s.id, ANA, status=PRESENT, minutes=45, actor="tara", now=at
            )
        assert (refused.value.rule, refused.value.allows_at) == ("not_held", None)
        assert f"{ANA} was not there (present)" in refused.value.reason
    assert w.kit.attendance.for_session(T, s.id, as_of=START + 70 * MIN) == []
    told = w.kit.attendance.override(T, s.id, ANA, status=ABSENT, actor="tara")
    assert told.effective_status == ABSENT  # that nobody came may still be said
    w.clock.set(START + 70 * MIN)
    whole = w.kit.analytics.attendance(T).get()
    assert (whole.records, whole.by_status()[PRESENT], whole.minutes) == (1, 0, 0)
    # One cancelled during it was held until then: the word that someone came stands.
    held = w.lesson(start=START + timedelta(days=1))
    w.kit.advance_due(T, now=held.start - 15 * MIN)
    w.clock.set(held.start + 20 * MIN)
    w.kit.sessions.cancel(T, held.id, actor="tara", reason="the power went")
    came = w.kit.attendance.override(T, held.id, ANA, status=PRESENT, minutes=20, actor="tara")
    assert (came.effective_status, came.effective_minutes) == (PRESENT, 20)


def test_a_lesson_an_early_join_started_takes_the_report_before_its_start(w: World) -> None:
    s = w.lesson(capacity=2)
    w.kit.advance_due(T, now=START - 15 * MIN)
    w.kit.attendance.record_presence(T, [w.event(s, ANA, JOIN, START - 2 * MIN)], now=START)
    assert w.status(s) == "ONGOING"  # the join started it, early
    told = w.kit.attendance.override(
        T, s.id, "student:ben", status=PRESENT, actor="tara", now=START - MIN
    )
    assert told.effective_status == PRESENT


def test_a_join_that_failed_at_once_is_no_attendance_for_the_timer() -> None:
    # A join and a leave in one second make no stay (kit.attendance says not there), yet the
    # attended fact counted the join: a lesson whose presence starts nothing stayed READY
    # for good, kept from ABSENT by a student who was never there.
    w = World(policy=AttendancePolicy(join_transition=None))
    s = w.lesson()
    w.kit.advance_due(T, now=START - 15 * MIN)
    blip = [w.event(s, ANA, JOIN, START + 2 * MIN), w.event(s, ANA, LEAVE, START + 2 * MIN)]
    w.kit.attendance.record_presence(T, blip, now=START + 2 * MIN)
    [ana] = w.kit.attendance.for_session(T, s.id, as_of=START + 2 * MIN)
    assert (ana.effective_status, ana.attended_effectively) == (PENDING, False)
    [ana] = w.kit.attendance.for_session(T, s.id, as_of=START + 60 * MIN)
    assert (ana.effective_status, ana.attended_effectively) == (ABSENT, False)
    report = w.kit.advance_due(T, now=START + 20 * MIN)
    assert [x.status for x in report.advanced] == ["ABSENT"]


def test_a_join_that_failed_at_once_in_one_batch_starts_nothing(w: World) -> None:
    s = w.lesson()
    w.kit.advance_due(T, now=START - 15 * MIN)
    blip = [w.event(s, ANA, JOIN, START + 2 * MIN), w.event(s, ANA, LEAVE, START + 2 * MIN)]
    assert w.kit.attendance.record_presence(T, blip, now=START + 2 * MIN).started == ()
    report = w.kit.advance_due(T, now=START + 20 * MIN)
    assert [x.status for x in report.advanced] == ["ABSENT"]
    # A reconnect of one who is in, or a join beside another's leave, still starts.
    other = w.lesson(start=START + timedelta(days=1))
    day = timedelta(days=1)
    w.kit.advance_due(T, now=START + day - 15 * MIN)
    mixed = [w.event(other, ANA, JOIN, START + day), w.event(other, BEN, LEAVE, START + day)]
    started = w.kit.attendance.record_presence(T, mixed, now=START + day).started
    assert [x.status for x in started] == ["ONGOING"]


def test_ongoing_completes_after_the_end_and_closes_the_room(w: World) -> None:
    s = w.lesson()
    w.kit.advance_due(T, now=START - 15 * MIN)
    w.kit.attendance.record_presence(T, [w.event(s, ANA, JOIN, START)], now=START)
    report = w.kit.advance_due(T, now=START + 70 * MIN)
    assert [x.status for x in report.advanced] == ["COMPLETED"]
    assert not w.rooms.is_open(T, s.id)
    with pytest.raises(LookupError):  # a late student cannot get in
        w.rooms.join(T, s.id, BEN, at=START + 71 * MIN)


def test_attendance_is_derived_from_intervals_under_the_thresholds(w: World) -> None:
    s = w.lesson(capacity=8)
    cara, dan, eve = (ResourceRef("student", n) for n in ("cara", "dan", "eve"))
    events = [
        w.event(s, ANA, JOIN, START - 3 * MIN),
        w.event(s, ANA, LEAVE, START + 60 * MIN),
        w.event(s, BEN, JOIN, START + 10 * MIN),
        w.event(s, cara, JOIN, START),
        w.event(s, cara, LEAVE, START + 40 * MIN),
        w.event(s, dan, JOIN, START),
        w.event(s, dan, LEAVE, START + 10 * MIN),
        w.event(s, dan, JOIN, START + 50 * MIN),
        w.event(s, eve, LEAVE, START + 5 * MIN),  # a leave without a join: ignored
    ]
    w.kit.attendance.record_presence(T, events, now=START + 61 * MIN)
    w.clock.set(START + 61 * MIN)
    found = {str(a.participant): a for a in w.kit.attendance.for_session(T, s.id)}
    assert {k: (a.status, a.minutes) for k, a in found.items()} == {
        "student:ana": (PRESENT, 60),
        "student:ben": (LATE, 50),
        "student:cara": (LEFT_EARLY, 40),
        "student:dan": (PARTIAL, 20),
        "student:eve": (ABSENT, 0),
    }
    assert len(found["student:dan"].intervals) == 2
    mid = w.kit.attendance.for_session(T, s.id, as_of=START + 30 * MIN)
    assert {str(a.participant): a.minutes for a in mid}["student:ben"] == 20


def test_an_as_of_inside_the_session_judges_the_time_elapsed_so_far(w: World) -> None:
    # Read at 17:20 of a 17:00-18:00 lesson, ana there since the start read partial (20 of
    # 60 minutes): the share was taken of the whole hour, not of the 20 minutes elapsed.
    s = w.lesson(capacity=8)
    cara = ResourceRef("student", "cara")
    events = [
        w.event(s, ANA, JOIN, START),
        w.event(s, BEN, JOIN, START + 10 * MIN),
        w.event(s, cara, JOIN, START),
        w.event(s, cara, LEAVE, START + 5 * MIN),
    ]
    w.kit.attendance.record_presence(T, events, now=START + 10 * MIN)

    def read(as_of: datetime) -> dict[str, tuple[str, int]]:
        found = w.kit.attendance.for_session(T, s.id, as_of=as_of)
        return {str(a.participant): (a.status, a.minutes) for a in found}

    assert read(START - 10 * MIN) == {
        "student:ana": (PENDING, 0),
        "student:ben": (PENDING, 0),
        "student:cara": (PENDING, 0),
    }
    assert read(START + 20 * MIN) == {
        "student:ana": (PRESENT, 20),
        "student:ben": (LATE, 10),
        "student:cara": (PARTIAL, 5),
    }
    assert read(START + 90 * MIN) == {
        "student:ana": (PRESENT, 60),
        "student:ben": (LATE, 50),
        "student:cara": (PARTIAL, 5),
    }


def test_a_visit_outside_the_session_hides_no_lateness_nor_an_early_leave(w: World) -> None:
    # ana pops in before the start and comes back 20 minutes late; ben leaves at 40 of 60
    # minutes and pops back after the end. They used to read present: the first join and
    # the last leave were taken over every stay, those wholly outside the session too.
    s = w.lesson(capacity=8)
    events = [
        w.event(s, ANA, JOIN, START - 10 * MIN),
        w.event(s, ANA, LEAVE, START - 5 * MIN),
        w.event(s, ANA, JOIN, START + 20 * MIN),
        w.event(s, ANA, LEAVE, START + 60 * MIN),
        w.event(s, BEN, JOIN, START),
        w.event(s, BEN, LEAVE, START + 40 * MIN),
        w.event(s, BEN, JOIN, START + 62 * MIN),
        w.event(s, BEN, LEAVE, START + 64 * MIN),
    ]
    w.kit.attendance.record_presence(T, events, now=START + 65 * MIN)
    found = {str(a.participant): a for a in w.kit.attendance.for_session(T, s.id)}
    assert {k: (a.status, a.minutes) for k, a in found.items()} == {
        "student:ana": (LATE, 40),
        "student:ben": (LEFT_EARLY, 40),
    }
    assert [len(a.intervals) for a in found.values()] == [2, 2]


def test_the_override_wins_and_the_automatic_record_stays_visible(w: World) -> None:
    s = w.lesson()
    w.kit.attendance.record_presence(T, [w.event(s, ANA, JOIN, START + 20 * MIN)], now=START)
    w.clock.set(START + 70 * MIN)  # the teacher reports after the lesson
    told = w.kit.attendance.override(
        T, s.id, ANA, status=PRESENT, minutes=55, reason="camera trouble", actor="tara"
    )
    assert (told.status, told.effective_status, told.effective_minutes) == (LATE, PRESENT, 55)
    assert told.minutes == 40
    again = w.kit.attendance.override(T, s.id, "student:ana", status=ABSENT, actor="tara")
    assert (again.effective_status, again.override and again.override.version) == (ABSENT, 2)
    [read] = w.kit.attendance.for_session(T, s.id)
    assert (read.status, read.effective_status) == (LATE, ABSENT)
    assert w.kit.attendance.clear_override(T, s.id, ANA, actor="tara") is True
    assert w.kit.attendance.clear_override(T, s.id, ANA, actor="tara") is False
    assert w.kit.attendance.for_session(T, s.id)[0].override is None
    with pytest.raises(SessionNotFound):
        w.kit.attendance.clear_override(T, "no-such-session", ANA, actor="tara")
    with pytest.raises(SessionNotFound):
        w.kit.attendance.clear_override("other-tenant", s.id, ANA, actor="tara")


def test_an_override_names_who_decided_it_and_stays_within_the_session(w: World) -> None:
    s = w.lesson()  # one hour
    w.clock.set(START + 70 * MIN)  # the teacher reports after the lesson
    with pytest.raises(InvalidValue) as nobody:
        w.kit.attendance.override(T, s.id, ANA, status=PRESENT, actor=None)
    assert (nobody.value.value, nobody.value.expected) == (None, "the deciding user's id")
    for minutes in (99_999, 61, -1):
        with pytest.raises(InvalidValue) as beyond:
            w.kit.attendance.override(T, s.id, ANA, status=PRESENT, minutes=minutes, actor="tara")
        assert (beyond.value.value, beyond.value.expected) == (minutes, "0..60")
        assert str(minutes) in str(beyond.value)
    for wrong in (True, False, 5.0, "5"):  # no count of minutes: its type, as check_int says
        told = cast("int", wrong)
        with pytest.raises(WrongType) as typed:
            w.kit.attendance.override(T, s.id, ANA, status=PRESENT, minutes=told, actor="tara")
        assert (typed.value.value, typed.value.name) == (wrong, "minutes")
    assert w.kit.attendance.for_session(T, s.id) == []  # nothing was stored
    with pytest.raises(SessionNotFound):
        w.kit.attendance.override(T, "nope", ANA, status=PRESENT, minutes=5, actor="tara")
    whole = w.kit.attendance.override(T, s.id, ANA, status=PRESENT, minutes=60, actor="tara")
    assert whole.override is not None
    assert (whole.effective_minutes, whole.override.decided_by) == (60, "tara")
    none = w.kit.attendance.override(T, s.id, ANA, status=ABSENT, minutes=0, actor="tara")
    assert none.effective_minutes == 0


def test_booked_participants_who_never_came_are_absent(w: World) -> None:
    s = w.lesson(capacity=4)
    w.kit.bookings.book(T, s.id, "student:zoe", actor="zoe", confirm=True)
    w.clock.set(START + 60 * MIN)
    [zoe] = w.kit.attendance.for_session(T, s.id)
    assert (str(zoe.participant), zoe.status, zoe.intervals) == ("student:zoe", ABSENT, ())


def test_booked_participants_not_there_yet_are_pending_until_the_end(w: World) -> None:
    # The roster of a session still to come listed every booked student as absent.
    s = w.lesson(capacity=4)
    w.kit.bookings.book(T, s.id, "student:zoe", actor="zoe", confirm=True)
    seen = []
    for now in (START - 60 * MIN, START + 30 * MIN, START + 60 * MIN - timedelta(seconds=1)):
        w.clock.set(now)
        [zoe] = w.kit.attendance.for_session(T, s.id)
        seen.append((zoe.status, zoe.effective_status, zoe.attended_effectively))
    assert seen == [(PENDING, PENDING, False)] * 3
    # An earlier as_of reads the session as it stood then, whatever the clock says.
    w.clock.set(START + 2 * 60 * MIN)
    [zoe] = w.kit.attendance.for_session(T, s.id, as_of=START + 10 * MIN)
    assert zoe.status == PENDING
    [zoe] = w.kit.attendance.for_session(T, s.id)
    assert zoe.status == ABSENT


def test_a_session_over_by_its_status_has_nobody_pending() -> None:
    w = World(policy=AttendancePolicy(attendee_kinds={"teacher"}))
    s = w.lesson(capacity=4)
    w.clock.set(START + 10 * MIN)
    [tara] = w.kit.attendance.for_session(T, s.id)
    assert (str(tara.participant), tara.status) == ("teacher:tara", PENDING)
    w.kit.sessions.cancel(T, s.id, actor="t")
    # Over by its status, before its end: nobody is pending; cancelled, nobody was expected,
    # so the teacher is not listed absent either (test_attendance_cancelled_expects_nobody).
    assert w.kit.attendance.for_session(T, s.id) == []


def test_events_for_unknown_sessions_are_reported_not_stored(w: World) -> None:
    s = w.lesson()
    ghost = PresenceEvent(
        provider="meet", event_id="g1", session_id="nope", participant=ANA, action=JOIN, at=START
    )
    report = w.kit.attendance.record_presence(T, [ghost, w.event(s, ANA, LEAVE, START)], now=START)
    assert (report.recorded, report.unknown) == (1, ("meet:g1",))


def test_a_policy_without_a_join_transition_leaves_the_status_alone() -> None:
    w = World(policy=AttendancePolicy(join_transition=None))
    s = w.lesson()
    w.kit.advance_due(T, now=START - 15 * MIN)
    w.kit.attendance.record_presence(T, [w.event(s, ANA, JOIN, START)], now=START)
    assert w.status(s) == "READY"


def test_bad_input_is_refused_with_what_was_expected(w: World) -> None:
    s = w.lesson()
    with pytest.raises(WrongType):
        w.kit.attendance.record_presence(T, w.event(s, ANA, JOIN, START))  # type: ignore[arg-type]
    with pytest.raises(InvalidValue) as bad:
        PresenceEvent(
            provider="meet", event_id="x", session_id=s.id, participant=ANA, action="wave", at=START
        )
    assert bad.value.expected == "'join' or 'leave'"
    w.clock.set(START + 70 * MIN)  # the teacher reports after the lesson
    with pytest.raises(InvalidValue):
        w.kit.attendance.override(T, s.id, ANA, status="sleepy", actor="tara")
    with pytest.raises(SessionNotFound):
        w.kit.attendance.override(T, "nope", ANA, status=PRESENT, actor="tara")
    with pytest.raises(InvalidValue):
        AttendanceThresholds(partial_below=1.5)
    with pytest.raises(InvalidValue, match="actor is required"):  # '' was stored as who decided
        w.kit.attendance.override(T, s.id, ANA, status=PRESENT, actor="")


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("session_id", 5, WrongType),
        ("session_id", "s\x00", InvalidValue),
        ("session_id", "x" * 129, InvalidValue),
        ("event_id", "e\x00", InvalidValue),
        ("event_id", "e\ud800", InvalidValue),
        ("provider", "m\x00", InvalidValue),
        ("event_id", "e\x01", InvalidValue),  # the stored id's rules: no control character
        ("event_id", "e1 ", InvalidValue),  # nor surrounding spaces
    ],
)
def test_a_presence_event_refuses_what_no_store_can_keep(
    field: str, value: object, error: type[Exception]
) -> None:
    # Accepted here, these reached the SQL stores and came back as the driver's errors
    # (ProgrammingError, DataError, UnicodeEncodeError).
    fields: dict[str, object] = {
        "provider": "meet",
        "event_id": "e1",
        "session_id": "s1",
        "participant": ANA,
        "action": JOIN,
        "at": START,
    }
    with pytest.raises(error) as caught:
        PresenceEvent(**{**fields, field: value})  # type: ignore[arg-type]
    # The value named: the field's, or the stored id it makes ("meet:<event_id>").
    assert caught.value.value in (value, f"meet:{value}")  # type: ignore[attr-defined]


def test_the_rooms_follow_cancel_once_per_session(w: World) -> None:
    s = w.lesson()
    w.kit.advance_due(T, now=START - 15 * MIN)
    w.kit.sessions.cancel(T, s.id, actor="tara", reason="teacher ill")
    assert not w.rooms.is_open(T, s.id)
    assert w.rooms.created == 1
    again = w.rooms.ensure_room(tenant=T, session_id=s.id, span=s.span)
    assert (again.session_id, w.rooms.created) == (s.id, 1)  # idempotent per session


def test_derive_attendance_checks_now_whatever_the_presence_says(w: World) -> None:
    # now was checked only for a participant measured absent: one who was there let a naive
    # or non-datetime now through.
    s = w.lesson()
    joined = Presence.of(T, w.event(s, ANA, JOIN, START))
    span = TimeSpan(START, START + 60 * MIN)
    for now, error in ((datetime(2026, 3, 2, 17, 30), NaiveDatetime), ("soon", WrongType)):
        with pytest.raises(error, match="now"):
            derive_attendance(
                [joined],
                span=span,
                session_id=s.id,
                participant=ANA,
                now=now,  # type: ignore[arg-type]
            )
    seen = derive_attendance([joined], span=span, session_id=s.id, participant=ANA, now=START)
    assert seen.status == PRESENT


def test_a_naive_presence_time_is_refused_naming_its_field() -> None:
    # A webhook handler passing the provider's naive time read "instant must be
    # timezone-aware": no field of the event is called that.
    naive = datetime(2026, 3, 2, 17, 0)
    with pytest.raises(NaiveDatetime, match=r"^at must be timezone-aware"):
        PresenceEvent(
            provider="meet", event_id="e1", session_id="s1", participant=ANA, action=JOIN, at=naive
        )
    joined = Presence(
        id="meet:e1", tenant=T, session_id="s1", participant=ANA, action=JOIN, at=START,
        received_at=START,
    )  # fmt: skip
    with pytest.raises(NaiveDatetime, match=r"^received_at must be timezone-aware"):
        attrs.evolve(joined, received_at=naive)
    with pytest.raises(NaiveDatetime, match=r"^decided_at must be timezone-aware"):
        AttendanceOverride(
            id="o1", tenant=T, session_id="s1", participant=ANA, status=PRESENT, decided_at=naive
        )
