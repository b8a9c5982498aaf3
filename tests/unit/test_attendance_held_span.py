"""A lesson ended early is attended against the span it was held, not its scheduled length.

The teacher ended a 60-minute lesson after 30 minutes: the student there the
whole 30 was ``left_early`` (and one there 20 of them ``partial``), judged
against the hour that was never held. The session's actual end is the one
recorded with its terminal status (its own field ``sealed_at``);
``kit.attendance`` (``for_session``, ``outcomes``, ``override``) and the
analytics of every store now judge the share, and leaving early, against its
start to that end.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import mysql_database, postgres_schema
from sessionkit.model.attendance import (
    ABSENT,
    JOIN,
    LATE,
    PRESENT,
    PresenceEvent,
    held_span,
    held_until,
)
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.timespan import TimeSpan

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
END = START + timedelta(hours=1)
MIN = timedelta(minutes=1)


@contextlib.contextmanager
def _engine(store: str) -> Iterator[Engine]:
    """A fresh SQLite database, or a schema / database of its own on a server."""
    if store == "sqlite":
        engine = create_engine("sqlite://", poolclass=StaticPool)
        create_schema(engine)
        yield engine
        return
    url = os.environ.get(f"SESSIONKIT_TEST_{store.upper()}_URL")
    if not url:
        pytest.skip(f"set SESSIONKIT_TEST_{store.upper()}_URL to run on {store}")
    with (postgres_schema if store == "postgres" else mysql_database)(url) as engine:
        yield engine


def _event(n: int, who: str, action: str, minutes: int, session_id: str) -> PresenceEvent:
    at = START + minutes * MIN
    return PresenceEvent(
        provider="meet", event_id=f"e{n}", session_id=session_id, participant=who,
        action=action, at=at,
    )  # fmt: skip


@pytest.mark.parametrize("store", ["memory", "sqlite", "postgres", "mysql"])
def test_a_lesson_ended_after_30_of_60_minutes_is_judged_against_the_30(store: str) -> None:
    with contextlib.ExitStack() as stack:
        uow: UnitOfWorkFactory = InMemoryStore().unit_of_work
        if store != "memory":
            uow = SqlAlchemyStore(stack.enter_context(_engine(store))).unit_of_work
        clock = ManualClock(START - timedelta(days=1))
        kit = SessionKit(uow=uow, clock=clock)
        lesson = kit.sessions.create_extra(
            T, actor="t", title="Maths", start=START, end=END, lifecycle="lms", capacity=4,
        )  # fmt: skip
        for who in ("student:ana", "student:ben", "student:cy"):
            kit.bookings.book(T, lesson.id, who, actor="admin", confirm=True)
        kit.attendance.record_presence(
            T,
            [
                _event(1, "student:ana", JOIN, 0, lesson.id),
                _event(2, "student:ben", JOIN, 10, lesson.id),
            ],
            now=START + 10 * MIN,
        )
        clock.set(START + 30 * MIN)
        ended = kit.sessions.fire(T, lesson.id, "finish", actor="t")
        assert held_span(ended) == TimeSpan(START, START + 30 * MIN)
        clock.set(END + timedelta(hours=1))
        shown = {
            str(a.participant): (a.status, a.minutes)
            for a in kit.attendance.for_session(T, lesson.id)
        }
        # Before: ana (30 of 60) left early, ben (20 of 60) partial.
        assert shown == {
            "student:ana": (PRESENT, 30),
            "student:ben": (LATE, 20),
            "student:cy": (ABSENT, 0),
        }
        told = {str(o.participant): o.attendance for o in kit.attendance.outcomes(T, lesson.id)}
        assert told == {"student:ana": PRESENT, "student:ben": LATE, "student:cy": ABSENT}
        stats = kit.analytics.attendance(T, by="participant")
        figures = {
            who: ([k for k, v in stats.get(who).by_status().items() if v], stats.get(who).minutes)
            for who in shown
        }
        assert figures == {
            "student:ana": ([PRESENT], 30),
            "student:ben": ([LATE], 20),
            "student:cy": ([ABSENT], 0),
        }
        ben = kit.attendance.override(T, lesson.id, "student:ben", status=LATE, actor="t")
        assert (ben.status, ben.minutes) == (LATE, 20)


def test_held_until_reads_only_an_end_inside_the_schedule() -> None:
    early = (START + 30 * MIN).isoformat()
    assert held_until(START, END, early) == START + 30 * MIN
    assert held_until(START, END, None) == END  # not ended
    assert held_until(START, END, (END + MIN).isoformat()) == END  # ended late: the schedule
    assert held_until(START, END, (START - MIN).isoformat()) == END  # cancelled before it began
    assert held_until(START, END, START.isoformat()) == END  # nothing held
    assert held_until(START, END, "yesterday") == END  # not an instant
    assert held_until(START, END, "2026-03-02T17:30:00") == END  # no offset
    assert held_until(START, END, 5) == END
