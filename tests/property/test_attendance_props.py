"""Attendance depends on the set of presence events, never on their order or repeats.

Any permutation and duplication of a presence log, recorded in any batches,
yields the attendance a plain oracle computes from the deduplicated log:
walk the instants in time order counting open connections (a join opens one,
a leave ends one, the joins and leaves at one instant cancel out), count the
time "in" (any connection open) inside the session, and classify it under
the thresholds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model.attendance import (
    ABSENT,
    JOIN,
    LATE,
    LEAVE,
    LEFT_EARLY,
    PARTIAL,
    PENDING,
    PRESENT,
    AttendanceThresholds,
    PresenceEvent,
)
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
END = START + timedelta(minutes=60)
PEOPLE = ("student:ana", "student:ben")
RULES = AttendanceThresholds()


@st.composite
def logs(draw: st.DrawFn) -> list[PresenceEvent]:
    """A log of distinct events: whole minutes from 20 before the start to 20 after the end."""
    size = draw(st.integers(0, 12))
    return [
        PresenceEvent(
            provider="meet",
            event_id=f"e{n}",
            session_id="s1",
            participant=draw(st.sampled_from(PEOPLE)),
            action=draw(st.sampled_from((JOIN, LEAVE))),
            at=START + timedelta(minutes=draw(st.integers(-20, 80))),
        )
        for n in range(size)
    ]


def oracle(log: list[PresenceEvent], who: str) -> tuple[str, int]:
    """The status and whole minutes of ``who``, computed the plain way, minute by minute."""
    # Each join opens a connection, each leave ends one (none open: ignored); the joins and
    # leaves at one instant cancel out pair by pair. In while any connection is open.
    net: dict[datetime, int] = {}
    for e in log:
        if str(e.participant) == who:
            net[e.at] = net.get(e.at, 0) + (1 if e.action == JOIN else -1)
    inside = False
    since = START
    stays: list[tuple[datetime, datetime | None]] = []
    seconds = 0.0
    connections = 0
    for at in sorted(net):
        connections = max(0, connections + net[at])
        if connections and not inside:
            inside, since = True, at
        elif not connections and inside:
            inside = False
            seconds += max(0.0, (min(at, END) - max(since, START)).total_seconds())
            stays.append((since, at))
    if inside:
        seconds += max(0.0, (END - max(since, START)).total_seconds())
        stays.append((since, None))
    # Lateness and leaving early read only the stays that overlap the session.
    during = [(j, left) for j, left in stays if j < END and (left is None or left > START)]
    first_join = during[0][0] if during else None
    last_leave = during[-1][1] if during else None
    attended = timedelta(seconds=seconds)
    if first_join is None or attended < RULES.absent_below:
        status = ABSENT
    elif attended / (END - START) < RULES.partial_below:
        status = PARTIAL
    elif first_join > START + RULES.late_after:
        status = LATE
    elif last_leave is not None and last_leave < END - RULES.left_early_before:
        status = LEFT_EARLY
    else:
        status = PRESENT
    return status, int(seconds // 60)


@given(log=logs(), data=st.data())
def test_any_order_and_duplication_gives_the_oracles_attendance(
    log: list[PresenceEvent], data: st.DataObject
) -> None:
    replayed = data.draw(
        st.permutations(log + data.draw(st.lists(st.sampled_from(log)) if log else st.just([])))
    )
    cut = data.draw(st.integers(0, len(replayed)))
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(START))
    kit.sessions.create_extra(
        T, actor="t", start=START, end=END, lifecycle="lms", capacity=8, title="Circle"
    )
    session_id = kit.queries.list(T).items[0].id
    moved = [
        PresenceEvent(
            provider=e.provider,
            event_id=e.event_id,
            session_id=session_id,
            participant=e.participant,
            action=e.action,
            at=e.at,
        )
        for e in replayed
    ]
    first = kit.attendance.record_presence(T, moved[:cut])
    second = kit.attendance.record_presence(T, moved[cut:])
    assert first.recorded + second.recorded == len(log)
    found = {
        str(a.participant): (a.status, a.minutes)
        for a in kit.attendance.for_session(T, session_id, as_of=END)
    }
    expected = {who: oracle(log, who) for who in {str(e.participant) for e in log}}
    assert found == expected
    # Read at the kit's clock (the start), whoever is not there yet may still come.
    running = {
        str(a.participant): (a.status, a.minutes) for a in kit.attendance.for_session(T, session_id)
    }
    assert running == {
        who: (PENDING if status == ABSENT else status, minutes)
        for who, (status, minutes) in expected.items()
    }
