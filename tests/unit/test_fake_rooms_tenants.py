"""FakeMeetingRooms: draining one tenant's presence, a closed room emptied by leave events,
and refused joins and leaves that change nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model import ResourceRef, Session
from sessionkit.model.attendance import JOIN, LEAVE
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.services.rooms import RoomKeeper
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
ANA = ResourceRef("student", "ana")
BEN = ResourceRef("student", "ben")


class School:
    """A kit whose rooms follow the academy lifecycle; ``clock`` is shared with the fake."""

    def __init__(self, *, rooms_clock: bool = False) -> None:
        self.clock = ManualClock(START - timedelta(days=1))
        self.rooms = FakeMeetingRooms(clock=self.clock) if rooms_clock else FakeMeetingRooms()
        counter = itertools.count(1)
        self.kit = SessionKit(
            uow=InMemoryStore(publisher=RoomKeeper(self.rooms)).unit_of_work,
            clock=self.clock,
            ids=lambda: f"s{next(counter)}",
            facts=attendance_facts(),
        )

    def circle(self, tenant: str) -> Session:
        return self.kit.sessions.create_extra(
            tenant,
            actor="tara",
            title="Hifz circle",
            start=START,
            end=START + HOUR,
            lifecycle="academy",
            capacity=8,
            resources=["teacher:tara"],
        )

    def minutes(self, tenant: str, session: Session) -> dict[str, tuple[str, int]]:
        return {
            str(a.participant): (a.status, a.minutes)
            for a in self.kit.attendance.for_session(tenant, session.id)
        }


def _two_tenants() -> tuple[School, Session, Session]:
    s = School()
    acme, globex = s.circle("acme"), s.circle("globex")
    s.kit.advance_due("acme", now=START - 15 * MIN)
    s.kit.advance_due("globex", now=START - 15 * MIN)
    s.rooms.join("acme", acme.id, ANA, at=START)
    s.rooms.join("globex", globex.id, BEN, at=START + MIN)
    s.rooms.leave("acme", acme.id, ANA, at=START + 30 * MIN)
    return s, acme, globex


# -- drain(tenant=...) ---------------------------------------------------------------------


def test_draining_one_tenant_takes_only_its_events_and_leaves_the_others_queued() -> None:
    s, acme, globex = _two_tenants()
    mine = s.rooms.drain(tenant="acme")
    assert [(e.session_id, str(e.participant), e.action) for e in mine] == [
        (acme.id, "student:ana", JOIN),
        (acme.id, "student:ana", LEAVE),
    ]
    report = s.kit.attendance.record_presence("acme", mine, now=START + 30 * MIN)
    assert (report.recorded, report.unknown) == (2, ())
    theirs = s.rooms.drain(tenant="globex")
    assert [(e.session_id, str(e.participant), e.action) for e in theirs] == [
        (globex.id, "student:ben", JOIN)
    ]
    report = s.kit.attendance.record_presence("globex", theirs, now=START + MIN)
    assert (report.recorded, report.unknown) == (1, ())
    assert s.rooms.drain() == []
    assert s.minutes("acme", acme) == {"student:ana": ("left_early", 30)}
    assert s.minutes("globex", globex)["student:ben"][1] == 59


def test_draining_every_tenant_is_as_before() -> None:
    s, acme, globex = _two_tenants()
    every = s.rooms.drain()
    assert [(e.session_id, e.action) for e in every] == [
        (acme.id, JOIN),
        (globex.id, JOIN),
        (acme.id, LEAVE),
    ]
    assert s.rooms.drain() == []
    assert s.rooms.drain(tenant="acme") == []


def test_a_tenant_with_nothing_queued_drains_nothing_and_keeps_the_rest() -> None:
    s, _acme, _globex = _two_tenants()
    assert s.rooms.drain(tenant="initech") == []
    assert len(s.rooms.drain()) == 3


def test_one_tenants_drain_is_duplicated_and_shuffled_when_asked() -> None:
    s, _acme, _globex = _two_tenants()
    twice = s.rooms.drain(tenant="acme", duplicate=True, shuffle=True)
    assert sorted(e.event_id for e in twice) == ["ev1", "ev1", "ev3", "ev3"]
    assert [e.event_id for e in s.rooms.drain()] == ["ev2"]


def test_drain_checks_the_tenant() -> None:
    rooms = FakeMeetingRooms()
    with pytest.raises(WrongType) as wrong:
        rooms.drain(tenant=5)  # type: ignore[arg-type]  # the point
    assert (wrong.value.name, wrong.value.value) == ("tenant", 5)
    with pytest.raises(InvalidValue):
        rooms.drain(tenant="acme ")


# -- close_room: everyone inside leaves ----------------------------------------------------


def _room(rooms: FakeMeetingRooms, tenant: str = "acme", session_id: str = "s1") -> None:
    rooms.ensure_room(tenant=tenant, session_id=session_id, span=TimeSpan(START, START + HOUR))


def test_closing_a_room_queues_a_leave_at_the_close_for_everyone_inside() -> None:
    rooms = FakeMeetingRooms()
    _room(rooms)
    rooms.join("acme", "s1", ANA, at=START)
    rooms.join("acme", "s1", BEN, at=START + 5 * MIN)
    rooms.leave("acme", "s1", BEN, at=START + 10 * MIN)
    rooms.join("acme", "s1", BEN, at=START + 12 * MIN)
    rooms.drain()
    rooms.close_room(tenant="acme", session_id="s1", at=START + 40 * MIN)
    left = rooms.drain()
    assert [(str(e.participant), e.action, e.at, e.session_id) for e in left] == [
        ("student:ana", LEAVE, START + 40 * MIN, "s1"),
        ("student:ben", LEAVE, START + 40 * MIN, "s1"),
    ]
    assert len({e.event_id for e in left}) == 2
    assert not rooms.is_open("acme", "s1")
    rooms.close_room(tenant="acme", session_id="s1", at=START + 50 * MIN)  # closed: nothing
    assert rooms.drain() == []


def test_the_close_leaves_are_the_rooms_tenants() -> None:
    rooms = FakeMeetingRooms()
    _room(rooms, "acme")
    _room(rooms, "globex")
    rooms.join("acme", "s1", ANA, at=START)
    rooms.join("globex", "s1", BEN, at=START)
    rooms.drain()
    rooms.close_room(tenant="acme", session_id="s1", at=START + 20 * MIN)
    assert rooms.drain(tenant="globex") == []
    assert [str(e.participant) for e in rooms.drain(tenant="acme")] == ["student:ana"]
    assert rooms.is_open("globex", "s1")


def test_a_closed_room_is_empty() -> None:
    rooms = FakeMeetingRooms()
    _room(rooms)
    rooms.join("acme", "s1", ANA, at=START)
    assert rooms.inside("acme", "s1") == frozenset({ANA})
    rooms.close_room(tenant="acme", session_id="s1", at=START + 20 * MIN)
    assert rooms.inside("acme", "s1") == frozenset()
    assert rooms.inside("acme", "nowhere") == frozenset()


def test_without_an_instant_or_a_clock_the_close_is_at_the_rooms_end() -> None:
    rooms = FakeMeetingRooms()
    _room(rooms)
    rooms.join("acme", "s1", ANA, at=START)
    rooms.drain()
    rooms.close_room(tenant="acme", session_id="s1")
    assert [(e.action, e.at) for e in rooms.drain()] == [(LEAVE, START + HOUR)]


def test_with_a_clock_the_close_is_at_its_now() -> None:
    clock = ManualClock(START + 25 * MIN)
    rooms = FakeMeetingRooms(clock=clock)
    _room(rooms)
    rooms.join("acme", "s1", ANA, at=START)
    rooms.drain()
    rooms.close_room(tenant="acme", session_id="s1")
    assert [(e.action, e.at) for e in rooms.drain()] == [(LEAVE, START + 25 * MIN)]


def test_close_checks_its_instant() -> None:
    rooms = FakeMeetingRooms()
    _room(rooms)
    bad: object = "17:30"
    with pytest.raises(WrongType):
        rooms.close_room(tenant="acme", session_id="s1", at=bad)  # type: ignore[arg-type]  # the point
    naive = datetime(2026, 3, 2, 17, 30)  # naive on purpose
    with pytest.raises(InvalidValue):
        rooms.close_room(tenant="acme", session_id="s1", at=naive)
    assert rooms.is_open("acme", "s1")


# -- a refused join or leave changes nothing -----------------------------------------------


_NAIVE = datetime(2026, 3, 2, 17, 10)  # naive on purpose: refused


@pytest.mark.parametrize(("at", "event_id"), [(_NAIVE, None), (START, ""), (START, 5)])
def test_a_refused_join_leaves_nobody_inside_and_queues_nothing(
    at: datetime, event_id: object
) -> None:
    rooms = FakeMeetingRooms()
    _room(rooms)
    with pytest.raises(InvalidValue):
        rooms.join("acme", "s1", ANA, at=at, event_id=event_id)  # type: ignore[arg-type]  # the point
    assert rooms.inside("acme", "s1") == frozenset()
    rooms.close_room(tenant="acme", session_id="s1", at=START + 30 * MIN)
    assert rooms.drain() == []  # no leave for a join that never happened


@pytest.mark.parametrize(("at", "event_id"), [(_NAIVE, None), (START + 10 * MIN, "")])
def test_a_refused_leave_keeps_the_participant_inside(at: datetime, event_id: str | None) -> None:
    rooms = FakeMeetingRooms()
    _room(rooms)
    rooms.join("acme", "s1", BEN, at=START)
    with pytest.raises(InvalidValue):
        rooms.leave("acme", "s1", BEN, at=at, event_id=event_id)
    assert rooms.inside("acme", "s1") == frozenset({BEN})
    rooms.close_room(tenant="acme", session_id="s1", at=START + 30 * MIN)
    assert [(e.event_id, e.action, e.at) for e in rooms.drain()] == [
        ("ev1", JOIN, START),
        ("ev2", LEAVE, START + 30 * MIN),  # numbered on: the refused leave took no number
    ]


def test_a_session_cancelled_midway_ends_the_stays_at_the_cancel() -> None:
    s = School(rooms_clock=True)
    circle = s.circle("acme")
    s.kit.advance_due("acme", now=START - 15 * MIN)
    s.rooms.join("acme", circle.id, ANA, at=START)
    s.rooms.join("acme", circle.id, BEN, at=START + 10 * MIN)
    s.kit.attendance.record_presence("acme", s.rooms.drain(), now=START + 10 * MIN)
    s.clock.set(START + 30 * MIN)
    s.kit.sessions.cancel("acme", circle.id, actor="tara", reason="power cut")
    assert not s.rooms.is_open("acme", circle.id)
    report = s.kit.attendance.record_presence("acme", s.rooms.drain(tenant="acme"))
    assert (report.recorded, report.unknown) == (2, ())
    # Judged against the 30 minutes it was held: ana was there all of them, ben 20 from 10.
    assert s.minutes("acme", circle) == {
        "student:ana": ("present", 30),
        "student:ben": ("late", 20),
    }


def test_a_completed_session_closes_with_everyone_out_at_its_end() -> None:
    s = School()
    circle = s.circle("acme")
    s.kit.advance_due("acme", now=START - 15 * MIN)
    s.rooms.join("acme", circle.id, ANA, at=START)
    s.kit.attendance.record_presence("acme", s.rooms.drain(), now=START)
    s.kit.advance_due("acme", now=START + 70 * MIN)
    left = s.rooms.drain()
    assert [(str(e.participant), e.action, e.at) for e in left] == [
        ("student:ana", LEAVE, START + HOUR)
    ]
    s.kit.attendance.record_presence("acme", left, now=START + 70 * MIN)
    assert s.minutes("acme", circle) == {"student:ana": ("present", 60)}


@pytest.mark.parametrize("flags", [{"duplicate": "no"}, {"shuffle": 1}, {"duplicate": None}])
def test_drain_refuses_a_flag_that_is_no_bool_and_takes_nothing(flags: dict[str, object]) -> None:
    # A truthy "no" duplicated every event all the same, and the events were gone.
    rooms = FakeMeetingRooms()
    rooms.ensure_room(tenant="acme", session_id="s1", span=TimeSpan(START, START + HOUR))
    rooms.join("acme", "s1", ANA, at=START)
    with pytest.raises(WrongType, match=r"FakeMeetingRooms\.drain\((duplicate|shuffle)\)"):
        rooms.drain(**flags)  # type: ignore[arg-type]  # the bad value under test
    assert [(e.action, e.participant) for e in rooms.drain()] == [(JOIN, ANA)]
