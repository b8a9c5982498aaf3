"""``as_of`` judges by the session's status then, not by its status now.

``outcomes(as_of=...)`` judged by the session's status now: read as of 17:20, a
circle completed or cancelled at 17:45 made ben, not there yet at 17:20, an
absent no-show, and a lesson marked ABSENT at 17:15 made its student a no-show
at 17:10, when she might still come. With a journal (``journal=True``) the
status then is known; without one, and the session changed since, ``outcomes``
refuses rather than guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import InvalidValue
from sessionkit.model.attendance import JOIN
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy, attendance_facts
from sessionkit.testing.clocks import ManualClock

from ._attendance_support import MIN, START, T, lesson_kit, presence


def _circle(*, journal: bool) -> tuple[SessionKit, ManualClock, str]:
    """A circle 17:00-18:00, ana there from 17:00, ben and teacher c never there, at 17:30."""
    clock = ManualClock(START - timedelta(days=1))
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        facts=attendance_facts(),
        attendance=AttendancePolicy(attendee_kinds={"teacher"}),
        journal=journal,
    )
    circle = kit.sessions.create_extra(
        T, actor="t", title="C", start=START, end=START + 60 * MIN, lifecycle="academy",
        capacity=3, resources=["teacher:c"],
    )  # fmt: skip
    for who in ("student:ana", "student:ben"):
        kit.bookings.book(T, circle.id, who, actor="admin", confirm=True)
    kit.advance_due(T, now=START - 10 * MIN)
    kit.attendance.record_presence(
        T, [presence(1, "student:ana", JOIN, 0, circle.id)], now=START + 30 * MIN
    )
    clock.set(START + 30 * MIN)
    return kit, clock, circle.id


def _told(kit: SessionKit, session_id: str, as_of: datetime) -> dict[str, tuple[object, ...]]:
    return {
        str(o.participant): (o.attendance, o.outcome)
        for o in kit.attendance.outcomes(T, session_id, as_of=as_of)
    }


def _listed(kit: SessionKit, session_id: str, as_of: datetime) -> dict[str, str]:
    return {
        str(a.participant): a.effective_status
        for a in kit.attendance.for_session(T, session_id, as_of=as_of)
    }


THEN = {
    "student:ana": ("present", "attended"),
    "student:ben": ("pending", None),
    "teacher:c": ("pending", None),
}


@pytest.mark.parametrize("end", ["complete", "cancel"])
def test_a_session_ended_after_as_of_is_read_as_it_stood_then(end: str) -> None:
    kit, clock, circle = _circle(journal=True)
    assert _told(kit, circle, START + 20 * MIN) == THEN
    if end == "complete":
        clock.set(START + 75 * MIN)
        kit.advance_due(T)
        assert kit.queries.get(T, circle).status == "COMPLETED"
    else:
        clock.set(START + 45 * MIN)
        assert kit.sessions.cancel(T, circle, actor="t").status == "CANCELLED"
    # At 17:20 the circle was ONGOING: ben and the teacher might still come (they read
    # absent, no-shows). The cancel cancelled the bookings at 17:45: at 17:20 they were
    # confirmed, so ana and ben are listed either way (the bookings confirmed then).
    told, listed = _told(kit, circle, START + 20 * MIN), _listed(kit, circle, START + 20 * MIN)
    assert told == THEN
    assert listed["teacher:c"] == "pending"
    # Read as of an instant after it ended, the end counts: nobody is pending. Held, the
    # absent teacher is a no-show; cancelled, it took place for nobody: nobody was expected.
    after = _told(kit, circle, clock.now()).get("teacher:c")
    assert after == (("absent", "no_show") if end == "complete" else None)


def test_a_no_show_status_counts_from_when_it_fell_due() -> None:
    # The academy marks a lesson nobody attended ABSENT 15 minutes past its start; the tick
    # ran at 17:40. At 17:10 the lesson was READY: ana might still come (she read a no-show).
    kit, lesson = lesson_kit(InMemoryStore().unit_of_work, journal=True)
    kit.bookings.book(T, lesson, "student:ana", actor="admin", confirm=True)
    kit.advance_due(T, now=START - 10 * MIN)
    assert [s.status for s in kit.advance_due(T, now=START + 40 * MIN).advanced] == ["ABSENT"]
    assert _told(kit, lesson, START + 10 * MIN) == {"student:ana": (None, None)}
    # Dated when it fell due (17:15), not when the tick stored it (17:40).
    assert _told(kit, lesson, START + 20 * MIN) == {"student:ana": (None, "no_show")}


def test_without_a_journal_an_as_of_before_the_last_change_is_refused() -> None:
    kit, clock, circle = _circle(journal=False)
    clock.set(START + 75 * MIN)
    kit.advance_due(T)  # COMPLETED, stored at 18:15
    with pytest.raises(InvalidValue) as refused:
        kit.attendance.outcomes(T, circle, as_of=START + 20 * MIN)
    assert refused.value.value == START + 20 * MIN
    assert refused.value.expected == "an instant at or after 2026-03-02T18:15:00+00:00"
    assert "journal=True" in str(refused.value)
    # Not changed since: its status now is the one it had then.
    assert _told(kit, circle, START + 75 * MIN) == {
        "student:ana": ("present", "attended"),
        "student:ben": ("absent", "no_show"),
        "teacher:c": ("absent", "no_show"),
    }
    # for_session only tells pending from absent by it: it judges by the status now.
    assert _listed(kit, circle, START + 20 * MIN)["student:ben"] == "absent"


@pytest.fixture(params=["memory", "sqlite"])
def uow(request: pytest.FixtureRequest) -> Iterator[UnitOfWorkFactory]:
    """The in-memory store's units of work, or SQLite's (the journal's ``seq`` stored)."""
    if request.param == "memory":
        yield InMemoryStore().unit_of_work
        return
    engine = create_engine("sqlite://", poolclass=StaticPool)
    create_schema(engine)
    yield SqlAlchemyStore(engine).unit_of_work
    engine.dispose()


def test_a_session_created_after_its_start_is_read_from_its_journal(
    uow: UnitOfWorkFactory,
) -> None:
    # Created at 19:00 for 17:00-17:45: the tick walks it READY (due 16:45) and ABSENT (due
    # 17:15), dated before its creation. Its journal (kept from its creation) tells that; the
    # replay cut its life at the creation by date, left no change after it and refused.
    clock = ManualClock(START + 120 * MIN)
    kit = SessionKit(
        uow=uow,
        clock=clock,
        facts=attendance_facts(),
        attendance=AttendancePolicy(attendee_kinds={"teacher"}),
        journal=True,
    )
    lesson = kit.sessions.create_extra(
        T, actor="admin", title="L", start=START, end=START + 45 * MIN, lifecycle="academy",
        capacity=1, resources=["teacher:t1"],
    ).id  # fmt: skip
    clock.set(START + 125 * MIN)
    assert [s.status for s in kit.advance_due(T).advanced] == ["ABSENT"]
    assert _told(kit, lesson, START + 10 * MIN) == {"teacher:t1": (None, None)}
    assert _told(kit, lesson, START + 20 * MIN) == {"teacher:t1": (None, "no_show")}
    assert _listed(kit, lesson, START + 10 * MIN) == {"teacher:t1": "pending"}
    assert _listed(kit, lesson, START + 20 * MIN) == {"teacher:t1": "absent"}
    # Before any step fell due, the status it was created in.
    assert _told(kit, lesson, START - 30 * MIN) == {"teacher:t1": (None, None)}
