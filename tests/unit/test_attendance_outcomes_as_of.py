"""``kit.attendance.outcomes(..., as_of=...)`` reads attendance at an instant, as ``for_session``.

``outcomes`` had no ``as_of``: it always judged the whole session (a stay
still open ran to its end), so an app showing a session's attendance as it
stood at 17:20 (``for_session(as_of=...)``) could not show the outcomes
beside it, and the two disagreed on who was pending.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import NaiveDatetime
from sessionkit.model.attendance import JOIN, LEAVE, Presence, PresenceEvent, derive_attendance
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock
from sessionkit.timespan import TimeSpan

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _circle() -> tuple[SessionKit, ManualClock, str]:
    """A circle 17:00-18:00: ana there from 17:00 (never leaves), ben 17:30-17:40."""
    clock = ManualClock(START - timedelta(days=1))
    # The journal tells the status at an as_of before the session's last change.
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=clock, facts=attendance_facts(), journal=True
    )
    circle = kit.sessions.create_extra(
        T, actor="t", title="C", start=START, end=START + 60 * MIN, lifecycle="academy",
        capacity=3, resources=["teacher:c"],
    )  # fmt: skip
    for who in ("student:ana", "student:ben"):
        kit.bookings.book(T, circle.id, who, actor="admin", confirm=True)
    kit.advance_due(T, now=START - 10 * MIN)
    events = [
        ("e1", "student:ana", JOIN, 0),
        ("e2", "student:ben", JOIN, 30),
        ("e3", "student:ben", LEAVE, 40),
    ]
    clock.set(START + 45 * MIN)
    kit.attendance.record_presence(
        T,
        [
            PresenceEvent(provider="meet", event_id=n, session_id=circle.id, participant=who,
                          action=action, at=START + minutes * MIN)
            for n, who, action, minutes in events
        ],
    )  # fmt: skip
    return kit, clock, circle.id


def _told(kit: SessionKit, session_id: str, **kw: datetime) -> dict[str, object]:
    return {
        str(o.participant): (o.attendance, o.outcome)
        for o in kit.attendance.outcomes(T, session_id, **kw)
    }


def test_outcomes_as_of_reads_the_session_as_it_stood_then() -> None:
    kit, clock, circle = _circle()
    clock.set(START + 70 * MIN)
    whole = {"student:ana": ("present", "attended"), "student:ben": ("partial", "attended")}
    assert _told(kit, circle) == whole
    # At 17:20 ana, there from the start, is present so far; ben is not there yet: pending,
    # no outcome, as for_session says at that instant.
    assert _told(kit, circle, as_of=START + 20 * MIN) == {
        "student:ana": ("present", "attended"),
        "student:ben": ("pending", None),
    }
    assert {
        str(a.participant): a.effective_status
        for a in kit.attendance.for_session(T, circle, as_of=START + 20 * MIN)
    } == {"student:ana": "present", "student:ben": "pending"}
    # Completed since, it was still ongoing at 17:20: ben is still pending then (its status
    # then, not now, says whether the session was over; test_attendance_status_as_of).
    kit.advance_due(T, now=START + 70 * MIN)
    assert kit.queries.get(T, circle).status == "COMPLETED"
    assert _told(kit, circle, as_of=START + 20 * MIN) == {
        "student:ana": ("present", "attended"),
        "student:ben": ("pending", None),
    }
    assert _told(kit, circle, as_of=START + 60 * MIN) == whole


def test_a_naive_as_of_is_refused() -> None:
    kit, _clock, circle = _circle()
    with pytest.raises(NaiveDatetime):
        kit.attendance.outcomes(T, circle, as_of=datetime(2026, 3, 2, 17, 20))  # naive: refused


def test_for_session_as_of_shows_the_stays_as_they_stood_then() -> None:
    # Joins and leaves recorded after as_of had not happened yet: ben's stay (17:30-17:40)
    # read at 17:35 was still open, and at 17:20 not begun; it showed 17:40 in both.
    kit, _clock, circle = _circle()

    def stays(at: datetime) -> dict[str, list[tuple[datetime, datetime | None]]]:
        return {
            str(a.participant): [(i.joined, i.left) for i in a.intervals]
            for a in kit.attendance.for_session(T, circle, as_of=at)
        }

    assert stays(START + 35 * MIN)["student:ben"] == [(START + 30 * MIN, None)]
    assert stays(START + 20 * MIN)["student:ben"] == []
    assert stays(START + 40 * MIN)["student:ben"] == [(START + 30 * MIN, START + 40 * MIN)]
    assert stays(START + 60 * MIN)["student:ana"] == [(START, None)]


def test_a_join_or_leave_at_as_of_itself_had_happened() -> None:
    # The boundary: an event at as_of counts (r.at <= as_of), one a microsecond later not.
    def record(n: int, action: str, minute: int, extra: timedelta = timedelta(0)) -> Presence:
        event = PresenceEvent(
            provider="meet", event_id=f"e{n}", session_id="s", participant="student:ana",
            action=action, at=START + minute * MIN + extra,
        )  # fmt: skip
        return Presence.of(T, event)

    records = [record(1, JOIN, 0), record(2, LEAVE, 20), record(3, JOIN, 40)]
    span = TimeSpan(START, START + 60 * MIN)

    def read(as_of: datetime) -> tuple[tuple[tuple[datetime, datetime | None], ...], int]:
        found = derive_attendance(
            records, span=span, session_id="s", participant="student:ana", as_of=as_of
        )
        return tuple((i.joined, i.left) for i in found.intervals), found.minutes

    assert read(START + 20 * MIN) == (((START, START + 20 * MIN),), 20)
    assert read(START + 20 * MIN - timedelta(microseconds=1)) == (((START, None),), 19)
    assert read(START + 40 * MIN) == (((START, START + 20 * MIN), (START + 40 * MIN, None)), 20)
    assert read(START + 40 * MIN - timedelta(microseconds=1)) == (
        ((START, START + 20 * MIN),),
        20,
    )
    # Before the start: nothing yet; after the end: everything, open stays closed at the end.
    assert read(START - MIN) == ((), 0)
    assert read(START + 90 * MIN) == (((START, START + 20 * MIN), (START + 40 * MIN, None)), 40)
