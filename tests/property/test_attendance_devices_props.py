"""A participant on several devices at once attended the union of their stays, counted once.

Hypothesis draws, per participant, one to three devices (a phone, a laptop, a
tablet), each with its own stays around a lesson: in order, touching (a
reconnect), of no length (a join that failed at once) or left open. The
provider reports only the participant, never the device, so the joins and
leaves of the devices interleave. The oracle merges every device's stays
into their union, clips it to the lesson, and classifies it under the
thresholds; ``kit.attendance`` (memory) and ``kit.analytics.attendance``
(memory, SQLite, and PostgreSQL / MariaDB when their URLs are set) must give
its time and status.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.model.attendance import (
    ABSENT,
    JOIN,
    LATE,
    LEAVE,
    LEFT_EARLY,
    PARTIAL,
    PRESENT,
    AttendanceThresholds,
    PresenceEvent,
)
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy
from sessionkit.testing.clocks import ManualClock

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
END = START + timedelta(minutes=60)
PEOPLE = ("student:ana", "student:ben")
RULES = AttendanceThresholds()

Stay = tuple[int, int | None]
"""Minutes from the start: joined, left (``None``: never left)."""


@st.composite
def devices(draw: st.DrawFn) -> list[list[Stay]]:
    """One to three devices, each with stays in order (touching, empty or open allowed)."""
    found: list[list[Stay]] = []
    for _device in range(draw(st.integers(1, 3))):
        bounds = sorted(draw(st.lists(st.integers(-20, 80), max_size=6)))
        pairs = [bounds[n : n + 2] for n in range(0, len(bounds), 2)]
        found.append([(p[0], p[1] if len(p) == 2 else None) for p in pairs])
    return found


def oracle(stays: list[Stay]) -> tuple[str, timedelta]:
    """The status and time of the union of ``stays``, clipped to the lesson, the plain way."""
    spans = sorted(
        (START + timedelta(minutes=j), END if left is None else START + timedelta(minutes=left))
        for j, left in stays
        if left is None or left > j  # a join that failed at once is no stay
    )
    merged: list[list[datetime]] = []
    for joined, left in spans:
        if merged and joined <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], left)
        else:
            merged.append([joined, left])
    during = [(j, left) for j, left in merged if j < END and left > START]
    attended = sum((min(left, END) - max(j, START) for j, left in during), start=timedelta(0))
    if not during or attended < RULES.absent_below:
        return ABSENT, attended
    if attended / (END - START) < RULES.partial_below:
        return PARTIAL, attended
    if during[0][0] > START + RULES.late_after:
        return LATE, attended
    if during[-1][1] < END - RULES.left_early_before:
        return LEFT_EARLY, attended
    return PRESENT, attended


def events(session_id: str, who: str, phones: list[list[Stay]]) -> list[PresenceEvent]:
    """The provider's events of ``who``'s devices: the participant's, never the device's."""
    moves = [
        (action, minutes)
        for stays in phones
        for joined, left in stays
        for action, minutes in ((JOIN, joined), (LEAVE, left))
        if minutes is not None
    ]
    return [
        PresenceEvent(
            provider="meet",
            event_id=f"{who}-{n}",
            session_id=session_id,
            participant=who,
            action=action,
            at=START + timedelta(minutes=minutes),
        )
        for n, (action, minutes) in enumerate(moves)
    ]


def figures(uow: UnitOfWorkFactory, people: dict[str, list[list[Stay]]]) -> dict[str, object]:
    """Store the lesson and its presence in ``uow``; return the analytics' status and minutes."""
    clock = ManualClock(START - timedelta(days=1))
    kit = SessionKit(uow=uow, clock=clock, attendance=AttendancePolicy(join_transition=None))
    lesson = kit.sessions.create_extra(
        T, actor="t", start=START, end=END, lifecycle="lms", capacity=8, title="Circle"
    )
    for who, phones in people.items():
        kit.attendance.record_presence(T, events(lesson.id, who, phones), now=START)
    clock.set(END + timedelta(hours=1))
    stats = kit.analytics.attendance(T, by="participant")
    found: dict[str, object] = {}
    for who in (w for w, phones in people.items() if events(lesson.id, w, phones)):
        row = stats.get(who)
        [status] = [k for k, v in row.by_status().items() if v]
        found[who] = (status, row.minutes)
    found["shown"] = {
        str(a.participant): (a.status, a.attended) for a in kit.attendance.for_session(T, lesson.id)
    }
    return found


@settings(
    # Each example stores the lesson in every backend: fewer examples, more when thorough.
    max_examples=25 * (10 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 1),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(people=st.fixed_dictionaries({who: devices() for who in PEOPLE}))
def test_several_devices_count_the_union_of_their_stays_once(
    engines: list[Engine], people: dict[str, list[list[Stay]]]
) -> None:
    union = {
        who: oracle([s for stays in phones for s in stays])
        for who, phones in people.items()
        if events("s", who, phones)  # someone with no event is nobody's record
    }
    expected: dict[str, object] = {
        who: (status, int(attended.total_seconds() // 60))
        for who, (status, attended) in union.items()
    }
    memory = figures(InMemoryStore().unit_of_work, people)
    assert memory == {**expected, "shown": union}, "memory"
    for engine in engines:
        clear_tables(engine)
        sql = figures(SqlAlchemyStore(engine).unit_of_work, people)
        assert sql == {**expected, "shown": union}, engine.url
