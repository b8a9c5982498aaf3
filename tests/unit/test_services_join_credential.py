"""Join credentials: who may enter a session's room, when, and for how long (issue 14)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import ActionRefused, InvalidValue, JoinRefused, SessionNotFound, WrongType
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import JoinCredential, MeetingRooms, Room
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy, attendance_facts
from sessionkit.services.rooms import (
    NOT_A_PARTICIPANT,
    NOT_HELD,
    NOT_JOINABLE,
    ROOM_CLOSED,
    ROOM_ENDED,
    TOO_EARLY,
    JoinRules,
    RoomKeeper,
)
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)
ANA = ResourceRef("student", "ana")
TARA = ResourceRef("teacher", "tara")


class _NoReopen:
    """A provider that cannot open a closed room again: the fake without ``reopen_room``."""

    def __init__(self, fake: FakeMeetingRooms) -> None:
        self.fake = fake

    @property
    def name(self) -> str:
        return self.fake.name

    def ensure_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> Room:
        return self.fake.ensure_room(tenant=tenant, session_id=session_id, span=span)

    def issue_credential(
        self,
        *,
        tenant: str,
        session_id: str,
        participant: ResourceRef,
        role: str | None,
        expires_at: datetime,
    ) -> JoinCredential:
        return self.fake.issue_credential(
            tenant=tenant,
            session_id=session_id,
            participant=participant,
            role=role,
            expires_at=expires_at,
        )

    def close_room(self, *, tenant: str, session_id: str) -> None:
        self.fake.close_room(tenant=tenant, session_id=session_id)


class Academy:
    """An academy kit whose rooms follow the lifecycle, with one booked lesson."""

    def __init__(
        self,
        *,
        policy: AttendancePolicy | None = None,
        rooms: MeetingRooms | None = None,
        lifecycle: str = "academy",
        length: timedelta = timedelta(hours=1),
        reopens: bool = True,
    ) -> None:
        self.rooms = FakeMeetingRooms()
        # Without reopen_room (reopens=False): the provider the keeper and the kit call.
        provider: MeetingRooms = self.rooms if reopens else _NoReopen(self.rooms)
        self.clock = ManualClock(START - timedelta(days=1))
        counter = itertools.count(1)
        self.kit = SessionKit(
            uow=InMemoryStore(publisher=RoomKeeper(provider)).unit_of_work,
            clock=self.clock,
            ids=lambda: f"s{next(counter)}",
            facts=attendance_facts(),
            attendance=policy,
            rooms=provider if rooms is None else rooms,
        )
        self.lesson: Session = self.kit.sessions.create_extra(
            T,
            actor="tara",
            title="Tajweed",
            start=START,
            end=START + length,
            lifecycle=lifecycle,
            capacity=2,
            resources=[TARA],
        )
        self.booking = self.kit.bookings.book(T, self.lesson.id, ANA, actor="ana", confirm=True)

    def status(self) -> str:
        return self.kit.queries.get(T, self.lesson.id).status

    def refusal(self, who: ResourceRef | str, at: datetime) -> JoinRefused:
        with pytest.raises(JoinRefused) as refused:
            self.kit.attendance.join_credential(T, self.lesson.id, who, now=at)
        assert isinstance(refused.value, ActionRefused)
        assert (refused.value.session_id, refused.value.participant) == (self.lesson.id, str(who))
        return refused.value


@pytest.fixture
def a() -> Academy:
    return Academy()


def test_the_booked_student_and_the_teacher_get_credentials_in_their_roles(a: Academy) -> None:
    a.kit.advance_due(T, now=START - 15 * MIN)
    student = a.kit.attendance.join_credential(T, a.lesson.id, ANA, now=START - 5 * MIN)
    teacher = a.kit.attendance.join_credential(T, a.lesson.id, "teacher:tara", now=START)
    room = f"room-{T}-{a.lesson.id}"
    assert (student.room_ref, student.participant, student.token) == (
        room,
        ANA,
        f"token-{room}-student:ana-attendee",
    )
    assert teacher.token == f"token-{room}-teacher:tara-teacher"
    assert student.expires_at == teacher.expires_at == START + timedelta(minutes=75)
    host = a.kit.attendance.join_credential(T, a.lesson.id, ANA, role="host", now=START)
    assert host.token.endswith("-host")


def test_before_ready_the_refusal_says_when_the_room_opens(a: Academy) -> None:
    refused = a.refusal(ANA, START - timedelta(hours=1))
    assert (refused.rule, refused.allows_at) == (NOT_JOINABLE, START - 15 * MIN)
    assert "SCHEDULED" in refused.reason
    assert a.rooms.calls == []  # no room was made for a refusal


def test_a_join_before_the_ready_tick_ran_moves_the_session_on_first(a: Academy) -> None:
    credential = a.kit.attendance.join_credential(T, a.lesson.id, ANA, now=START - 10 * MIN)
    assert credential.expires_at == START + timedelta(minutes=75)
    assert a.status() == "READY"
    assert a.rooms.is_open(T, a.lesson.id)
    assert a.rooms.created == 1


def test_strangers_and_cancelled_bookings_are_not_let_in(a: Academy) -> None:
    a.kit.advance_due(T, now=START - 15 * MIN)
    stranger = a.refusal("student:omar", START)
    assert (stranger.rule, stranger.allows_at) == (NOT_A_PARTICIPANT, None)
    a.kit.bookings.cancel(T, a.booking.id, actor="ana", now=START - 20 * MIN)
    assert a.refusal(ANA, START).rule == NOT_A_PARTICIPANT


def test_the_people_of_a_cancelled_session_are_told_it_is_cancelled(a: Academy) -> None:
    # Its bookings were cancelled with it, so a booked student was told not_a_participant.
    a.kit.advance_due(T, now=START - 15 * MIN)
    a.kit.sessions.cancel(T, a.lesson.id, actor="tara", reason="teacher ill")
    assert a.kit.bookings.get(T, a.booking.id).status == "CANCELLED"
    for who in (ANA, TARA):
        refused = a.refusal(who, START)
        assert (refused.rule, refused.allows_at) == (NOT_HELD, None)
        assert refused.reason == (
            f"session '{a.lesson.id}' is CANCELLED: it is not held, so its room is not open"
        )
    assert a.refusal("student:omar", START).rule == NOT_A_PARTICIPANT  # never booked
    assert a.rooms.calls[-1][0] == "close"  # no room was asked for since


def test_an_ended_or_completed_session_refuses_for_good(a: Academy) -> None:
    a.kit.attendance.join_credential(T, a.lesson.id, ANA, now=START - 10 * MIN)  # READY
    a.kit.attendance.join_credential(T, a.lesson.id, TARA, now=START)
    a.kit.sessions.fire(T, a.lesson.id, "start", actor="tara")
    ended = a.refusal(ANA, START + timedelta(minutes=75))
    assert (ended.rule, ended.allows_at) == (NOT_JOINABLE, None)  # completed on the way...
    assert a.status() == "ONGOING"  # ...but a refusal writes nothing: the tick completes it
    a.kit.advance_due(T, now=START + timedelta(minutes=75))
    assert a.refusal(ANA, START + timedelta(minutes=75)).rule == NOT_JOINABLE


def test_a_status_corrected_back_to_ongoing_finds_the_room_closed() -> None:
    # The port's LookupError (no open room) came out raw: no SessionKitError, no rule.
    # A provider that cannot reopen a room (no reopen_room) keeps it closed.
    a = Academy(reopens=False)
    a.kit.attendance.join_credential(T, a.lesson.id, ANA, now=START - 10 * MIN)  # READY
    a.clock.set(START)
    a.kit.sessions.fire(T, a.lesson.id, "start", actor="tara")
    a.clock.set(START + timedelta(minutes=70))
    a.kit.sessions.fire(T, a.lesson.id, "complete", actor="tara")
    assert not a.rooms.is_open(T, a.lesson.id)
    a.kit.usage.correct(T, a.lesson.id, "ONGOING", actor="admin", reason="still in class")
    assert a.status() == "ONGOING"
    closed = a.refusal(ANA, START + 10 * MIN)
    assert (closed.rule, closed.allows_at) == (ROOM_CLOSED, None)
    assert closed.reason == (
        f"session '{a.lesson.id}' is ONGOING but its room was closed and not opened again "
        "(the meeting provider has no reopen_room)"
    )


def test_a_lesson_cancelled_then_corrected_back_opens_its_room_again(a: Academy) -> None:
    # A closed room was final: a lesson cancelled by mistake and corrected back to READY
    # (or to SCHEDULED, READY again by the tick) could never be joined, by anyone.
    a.kit.advance_due(T, now=START - 15 * MIN)  # READY: the keeper opens the room
    a.clock.set(START - 14 * MIN)
    a.kit.sessions.cancel(T, a.lesson.id, actor="tara", reason="by mistake")
    assert not a.rooms.is_open(T, a.lesson.id)
    assert a.refusal(ANA, START - 13 * MIN).rule == NOT_HELD
    a.clock.set(START - 12 * MIN)
    a.kit.usage.correct(T, a.lesson.id, "READY", actor="admin", reason="not cancelled")
    a.kit.bookings.book(T, a.lesson.id, ANA, actor="ana", confirm=True)  # cancelled with it
    # The keeper reopens nothing (its event may come again after a later cancel): its
    # ensure leaves the room closed, and the first credential, reading READY, reopens it.
    assert not a.rooms.is_open(T, a.lesson.id)
    assert a.rooms.calls[-1] == ("ensure", T, a.lesson.id)
    credential = a.kit.attendance.join_credential(T, a.lesson.id, ANA, now=START - 10 * MIN)
    assert credential.room_ref == f"room-{T}-{a.lesson.id}"
    assert a.rooms.is_open(T, a.lesson.id)
    assert a.rooms.created == 1  # the same room, open again
    assert [c[0] for c in a.rooms.calls[-3:]] == ["credential", "reopen", "credential"]
    a.rooms.join(T, a.lesson.id, ANA, at=START - 9 * MIN)
    assert a.rooms.inside(T, a.lesson.id) == {ANA}


def test_a_completed_lesson_corrected_back_to_ongoing_opens_its_room_again(a: Academy) -> None:
    a.kit.attendance.join_credential(T, a.lesson.id, ANA, now=START - 10 * MIN)  # READY
    a.clock.set(START)
    a.kit.sessions.fire(T, a.lesson.id, "start", actor="tara")
    a.clock.set(START + 30 * MIN)
    a.kit.sessions.fire(T, a.lesson.id, "complete", actor="tara")  # pressed too soon
    assert not a.rooms.is_open(T, a.lesson.id)
    a.kit.usage.correct(T, a.lesson.id, "ONGOING", actor="admin", reason="still in class")
    assert not a.rooms.is_open(T, a.lesson.id)  # the keeper reopens nothing
    later = a.kit.attendance.join_credential(T, a.lesson.id, ANA, now=START + 31 * MIN)
    assert later.expires_at == START + 75 * MIN
    assert a.rooms.is_open(T, a.lesson.id)  # the credential reopened it
    # Corrected between two statuses that close it (COMPLETED -> CANCELLED): still closed.
    a.kit.usage.correct(T, a.lesson.id, "COMPLETED", actor="admin")
    a.kit.usage.correct(T, a.lesson.id, "CANCELLED", actor="admin")
    assert not a.rooms.is_open(T, a.lesson.id)
    assert [c[0] for c in a.rooms.calls].count("reopen") == 1


def test_the_room_is_shut_after_the_end_plus_the_buffer_even_if_still_ongoing() -> None:
    a = Academy(policy=AttendancePolicy(join=JoinRules(buffer=timedelta(minutes=5))))
    a.kit.advance_due(T, now=START - 15 * MIN)
    a.kit.sessions.fire(T, a.lesson.id, "start", actor="tara")
    late = START + timedelta(minutes=65)  # ONGOING until end + 10 minutes
    refused = a.refusal(ANA, late)
    assert (refused.rule, refused.allows_at, a.status()) == (ROOM_ENDED, None, "ONGOING")
    ok = a.kit.attendance.join_credential(T, a.lesson.id, ANA, now=late - timedelta(seconds=1))
    assert ok.expires_at == START + timedelta(minutes=65)


def test_a_long_session_gets_a_bounded_credential() -> None:
    a = Academy(length=timedelta(hours=20))
    at = START - 10 * MIN
    credential = a.kit.attendance.join_credential(T, a.lesson.id, ANA, now=at)
    assert credential.expires_at == at + timedelta(hours=12)


def test_coaching_joins_while_scheduled_from_ten_minutes_before_the_start() -> None:
    rules = JoinRules(joinable={"SCHEDULED"}, early=10 * MIN)
    a = Academy(policy=AttendancePolicy(join=rules, join_transition=None), lifecycle="coaching")
    early = a.refusal(ANA, START - 11 * MIN)
    assert (early.rule, early.allows_at) == (TOO_EARLY, START - 10 * MIN)
    assert a.kit.attendance.join_credential(T, a.lesson.id, ANA, now=START - 10 * MIN).token


def test_a_kit_without_rooms_or_a_missing_session_is_an_error() -> None:
    clock = ManualClock(START)
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=clock)
    with pytest.raises(InvalidValue, match="no meeting rooms"):
        kit.attendance.join_credential(T, "s1", ANA)
    with pytest.raises(SessionNotFound):
        Academy().kit.attendance.join_credential(T, "nope", ANA, now=START)


def test_join_rules_are_checked() -> None:
    with pytest.raises(InvalidValue, match="buffer"):
        JoinRules(buffer=-MIN)
    with pytest.raises(InvalidValue, match="longest"):
        JoinRules(longest=timedelta(0))
    with pytest.raises(WrongType):
        JoinRules(early=10)
    assert JoinRules(joinable="READY").joinable == frozenset({"READY"})
    with pytest.raises(WrongType):
        AttendancePolicy(join="READY")  # type: ignore[arg-type]  # the wrong type is the point
