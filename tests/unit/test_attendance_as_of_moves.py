"""Attendance reads of a cancelled session, of one moved since ``as_of``, and their journal reads.

Three findings in ``kit.attendance``:

- ``outcomes`` listed a cancelled session's booking left confirmed (with no
  outcome) where ``for_session`` (and the analytics) list nobody expected: a
  cancelled session expected nobody, so ``outcomes`` lists nobody either. Read
  ``as_of`` an instant it was cancelled at by the journal, the same; before
  the cancel it was running, and its bookings are listed as before.
- Read ``as_of`` an instant before the session was moved, presence was judged
  against the span it has now, the moved one: a lesson of 17:00-18:00 put
  off to 17:30 at 17:25 judged ana (there 17:00-17:10) in a read as of 17:20
  against 17:30-18:30, not yet begun then. The kit's journal keeps each move
  (the old start and end of each ``SessionUpdated``): the span the session had
  then is its span now with the moves after ``as_of`` undone. Without a
  journal it is judged against its span now, as documented.
- ``outcomes(as_of=...)`` (and ``for_session``) read the session's journal
  twice, once for its status then and once for its bookings' status then; one
  read of the session's history serves both (and the span).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, cast

import attrs
import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Transition
from sessionkit.model.attendance import ABSENT, JOIN, LEAVE, LEFT_EARLY, PENDING, PRESENT
from sessionkit.model.booking import CONFIRMED
from sessionkit.policies import BookingRules
from sessionkit.ports import BOOKINGS, JOURNAL, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy, attendance_facts
from sessionkit.testing.clocks import ManualClock

from ._attendance_support import MIN, START, T, presence
from ._wrapped_unit import WrappedUnit

STORES = ["memory", "sqlite"]

# A club night: open and editable until it is done or called off, nothing timed, no ``start``
# transition (a join moves nothing), so it can be moved while it runs.
CLUB = Lifecycle(
    name="club",
    statuses=[
        Status("OPEN", initial=True, editable=True, busy=True),
        Status("DONE", terminal=True, busy=True),
        Status("OFF", terminal=True, cancelled=True),
    ],
    transitions=[Transition("done", "OPEN", "DONE"), Transition("cancel", "OPEN", "OFF")],
)
LIFECYCLES = PRESETS.with_lifecycle(CLUB)


class _Counted:
    """A journal repository counting its ``history`` reads."""

    def __init__(self, inner: Any, reads: list[str]) -> None:
        self._inner = inner
        self._reads = reads

    def history(self, *args: Any, **kwargs: Any) -> Any:
        self._reads.append("history")
        return self._inner.history(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@attrs.frozen
class _World:
    kit: SessionKit
    clock: ManualClock
    store: UnitOfWorkFactory
    reads: list[str]


@contextlib.contextmanager
def _world(store: str, *, journal: bool = True) -> Iterator[_World]:
    """A kit on ``store`` (memory or SQLite) counting its journal reads, a day before 17:00."""
    clock = ManualClock(START - timedelta(days=1))
    reads: list[str] = []
    engine = None
    inner: UnitOfWorkFactory
    if store == "memory":
        inner = InMemoryStore().unit_of_work
    else:
        engine = create_engine("sqlite://", poolclass=StaticPool)
        create_schema(engine)
        inner = SqlAlchemyStore(engine).unit_of_work
    units = cast(
        "UnitOfWorkFactory",
        lambda: WrappedUnit(inner(), JOURNAL, lambda found: _Counted(found, reads)),
    )
    try:
        kit = SessionKit(
            uow=units, clock=clock, facts=attendance_facts(), journal=journal,
            lifecycles=LIFECYCLES, attendance=AttendancePolicy(attendee_kinds={"teacher"}),
            booking_rules=BookingRules(lock_booked=False),  # the host moves a booked night
        )  # fmt: skip
        yield _World(kit, clock, inner, reads)
    finally:
        if engine is not None:
            engine.dispose()


def _listed(w: _World, session_id: str, as_of: datetime | None = None) -> list[tuple[str, str]]:
    found = w.kit.attendance.for_session(T, session_id, as_of=as_of)
    return [(str(a.participant), a.effective_status) for a in found]


def _told(
    w: _World, session_id: str, as_of: datetime | None = None
) -> list[tuple[str, str | None, str | None]]:
    found = w.kit.attendance.outcomes(T, session_id, as_of=as_of)
    return [(str(o.participant), o.attendance, o.outcome) for o in found]


def _club(w: _World, *students: str) -> str:
    """A club night 17:00-18:00 taught by ``teacher:t1``, ``students`` booked."""
    night = w.kit.sessions.create_extra(
        T, actor="admin", start=START, end=START + 60 * MIN, lifecycle="club", capacity=4,
        resources=["teacher:t1"],
    ).id  # fmt: skip
    for who in students:
        w.kit.bookings.book(T, night, who, actor="admin", confirm=True)
    return night


# -- a cancelled session lists nobody in outcomes, as in for_session ---------------------------


@pytest.mark.parametrize("store", STORES)
def test_a_cancelled_sessions_booking_left_confirmed_has_no_row(store: str) -> None:
    with _world(store) as w:
        night = _club(w, "student:ana")
        w.clock.set(START + 10 * MIN)
        w.kit.sessions.cancel(T, night, actor="host")
        # A booking the cancel left confirmed (written before cancels reached bookings, or
        # by a host's own tools): the session expected nobody all the same.
        with w.store() as uow:
            bookings = uow.repository(BOOKINGS)
            [ana] = bookings.for_session(T, night)
            bookings.update(attrs.evolve(ana, status=CONFIRMED), expected_version=ana.version)
            uow.commit()
        w.clock.set(START + 2 * 60 * MIN)
        assert _listed(w, night) == []
        assert _told(w, night) == []


@pytest.mark.parametrize("store", STORES)
def test_a_session_cancelled_at_as_of_lists_nobody_though_its_bookings_were_cancelled_later(
    store: str,
) -> None:
    with _world(store) as w:
        circle = w.kit.sessions.create_extra(
            T, actor="admin", start=START, end=START + 60 * MIN, lifecycle="academy",
            capacity=4, resources=["teacher:t1"],
        ).id  # fmt: skip
        w.kit.bookings.book(T, circle, "student:ana", actor="admin", confirm=True)
        w.kit.advance_due(T, now=START - 10 * MIN)  # READY
        # Nobody came: the circle is cancelled when that fell due, at 18:10, by a tick that
        # ran at 19:00 and cancelled ana's booking then. At 18:30 the circle was cancelled and
        # ana's booking, by its own journal, still confirmed.
        w.kit.advance_due(T, now=START + 120 * MIN)
        assert w.kit.queries.get(T, circle).status == "CANCELLED"
        at = START + 90 * MIN
        assert _listed(w, circle, as_of=at) == []
        assert _told(w, circle, as_of=at) == []
        # Before the cancel it was running: ana booked and not there, the teacher expected.
        before = START + 30 * MIN
        assert _listed(w, circle, as_of=before) == [
            ("student:ana", PENDING),
            ("teacher:t1", PENDING),
        ]
        # No attendance record then: no outcome yet, by the status alone.
        assert _told(w, circle, as_of=before) == [
            ("student:ana", None, None),
            ("teacher:t1", None, None),
        ]


# -- as_of before a move: judged against the span the session had then -------------------------


def _moved_night(w: _World) -> str:
    """A club night 17:00-18:00, ana and ben booked; ana there 17:00-17:10; at 17:25 put off to
    17:30-18:30. The clock is left at 17:40."""
    night = _club(w, "student:ana", "student:ben")
    w.clock.set(START)
    w.kit.attendance.record_presence(
        T,
        [presence(1, "student:ana", JOIN, 0, night), presence(2, "student:ana", LEAVE, 10, night)],
        now=START + 10 * MIN,
    )
    w.clock.set(START + 25 * MIN)
    moved = w.kit.sessions.update(T, night, actor="host", start=START + 30 * MIN)
    assert (moved.start, moved.end) == (START + 30 * MIN, START + 90 * MIN)
    w.clock.set(START + 40 * MIN)
    return night


@pytest.mark.parametrize("store", STORES)
def test_a_read_as_of_before_a_move_judges_the_span_the_session_had_then(store: str) -> None:
    with _world(store) as w:
        night = _moved_night(w)
        at = START + 20 * MIN
        # At 17:20 the night ran from 17:00: ana was there from its start and left after 10
        # of its 20 minutes so far; ben and the teacher not there yet. Against 17:30-18:30,
        # the span it has now, ana's stay lay before it: pending, no minutes.
        [ana, ben, teacher] = w.kit.attendance.for_session(T, night, as_of=at)
        assert (ana.status, ana.minutes) == (LEFT_EARLY, 10)
        assert (ben.status, teacher.status) == (PENDING, PENDING)
        assert _told(w, night, as_of=at) == [
            ("student:ana", LEFT_EARLY, "attended"),
            ("student:ben", PENDING, None),
            ("teacher:t1", PENDING, None),
        ]
        # Read now (17:40), the night runs from 17:30: ana's stay lies before it.
        assert _listed(w, night) == [
            ("student:ana", PENDING),
            ("student:ben", PENDING),
            ("teacher:t1", PENDING),
        ]


@pytest.mark.parametrize("store", STORES)
def test_after_the_moved_span_a_read_as_of_before_the_move_is_still_judged_then(
    store: str,
) -> None:
    with _world(store) as w:
        night = _moved_night(w)
        w.clock.set(START + 120 * MIN)
        w.kit.sessions.fire(T, night, "done", actor="host")
        # As of 18:00 (after the move, the night ran 17:30-18:30): nobody there yet but ana's
        # stay before it; as of 17:20 (before it) the night ran from 17:00, as above.
        assert _listed(w, night, as_of=START + 60 * MIN) == [
            ("student:ana", PENDING),
            ("student:ben", PENDING),
            ("teacher:t1", PENDING),
        ]
        assert _listed(w, night, as_of=START + 20 * MIN)[0] == ("student:ana", LEFT_EARLY)
        assert _listed(w, night) == [
            ("student:ana", ABSENT),
            ("student:ben", ABSENT),
            ("teacher:t1", ABSENT),
        ]


@pytest.mark.parametrize("store", STORES)
def test_between_two_moves_a_read_as_of_judges_the_span_between_them(store: str) -> None:
    with _world(store) as w:
        night = _moved_night(w)  # 17:30-18:30 since 17:25
        w.kit.attendance.record_presence(
            T, [presence(3, "student:ben", JOIN, 30, night)], now=START + 40 * MIN
        )
        w.kit.sessions.update(T, night, actor="host", start=START + 45 * MIN)  # at 17:40
        w.clock.set(START + 50 * MIN)
        # At 17:35 it had run from 17:30: ben there since its start, present so far; now it
        # runs from 17:45, so 17:35 was before it.
        assert _listed(w, night, as_of=START + 35 * MIN) == [
            ("student:ana", PENDING),
            ("student:ben", PRESENT),
            ("teacher:t1", PENDING),
        ]
        assert _listed(w, night, as_of=START + 20 * MIN)[0] == ("student:ana", LEFT_EARLY)
        assert _listed(w, night, as_of=START + 42 * MIN)[1] == ("student:ben", PENDING)


@pytest.mark.parametrize("store", STORES)
def test_without_a_journal_a_read_as_of_before_a_move_judges_the_span_now(store: str) -> None:
    with _world(store, journal=False) as w:
        night = _moved_night(w)
        # Nothing keeps the span it had then: judged against 17:30-18:30, as documented.
        [ana, _ben, _teacher] = w.kit.attendance.for_session(T, night, as_of=START + 20 * MIN)
        assert (ana.status, ana.minutes) == (PENDING, 0)
        assert w.reads == []


# -- one journal read per attendance read --------------------------------------------------------


@pytest.mark.parametrize("store", STORES)
def test_a_read_as_of_reads_the_sessions_journal_once(store: str) -> None:
    with _world(store) as w:
        night = _moved_night(w)
        w.clock.set(START + 35 * MIN)
        [ben] = [b for b in w.kit.bookings.for_session(T, night) if b.participant.id == "ben"]
        w.kit.bookings.cancel(T, ben.id, actor="admin")  # written since 17:20: the journal tells
        w.clock.set(START + 40 * MIN)
        w.reads.clear()
        told = _told(w, night, as_of=START + 20 * MIN)
        assert told == [
            ("student:ana", LEFT_EARLY, "attended"),
            ("student:ben", PENDING, None),
            ("teacher:t1", PENDING, None),
        ]
        assert w.reads == ["history"]
        w.reads.clear()
        assert [p for p, _ in _listed(w, night, as_of=START + 20 * MIN)] == [
            "student:ana",
            "student:ben",
            "teacher:t1",
        ]
        assert w.reads == ["history"]
        # Read now, or as of an instant nothing changed since, the journal is not read.
        w.reads.clear()
        _told(w, night)
        _listed(w, night, as_of=START + 40 * MIN)
        assert w.reads == []
