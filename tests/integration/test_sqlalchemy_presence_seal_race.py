"""A presence batch and a session's early end at once: the end closes the batch's stay too.

A batch of presence events reads its sessions, stores the events and starts
sessions on a join; a command ending a session early (a cancel during it)
closes every stay still open then. When the batch read the session before
the end committed and stored a join after the end read the stays, the join's
stay was left open and counted to the scheduled end (docs/attendance.md
called it a known gap). The batch now locks its sessions' rows before it
reads them, so one of the two waits for the other.

Deterministic, not a lottery: the batch is held inside its transaction (after
its reads, before its writes) while the end runs in another thread, then let
go. Before the fix the end committed meanwhile; now it waits for the batch.
On a SQLite file (writers are serialised: the end waits for the batch's
``BEGIN IMMEDIATE`` either way), PostgreSQL and MariaDB.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy._attendance import SqlAlchemyPresenceRepository
from sessionkit.model.attendance import JOIN, PresenceEvent
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)
HOLD = 2.0
"""Seconds the batch is held in its transaction: time enough for an end that does not wait."""


def _join(session_id: str, who: str, at: datetime) -> PresenceEvent:
    return PresenceEvent(
        provider="meet",
        event_id=f"join-{who}-{at.isoformat()}",
        session_id=session_id,
        participant=who,
        action=JOIN,
        at=at,
    )


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Hold the first presence write of the thread named ``batch`` until ``go`` is set."""
    reached, go = threading.Event(), threading.Event()
    original = SqlAlchemyPresenceRepository.add_many

    def add_many(self: Any, records: Any) -> None:
        if threading.current_thread().name == "batch" and not reached.is_set():
            reached.set()
            assert go.wait(30), "the test never let the batch go"
        original(self, records)

    monkeypatch.setattr(SqlAlchemyPresenceRepository, "add_many", add_many)
    yield reached, go
    go.set()


def test_a_join_stored_while_the_session_ends_is_closed_at_the_end(
    race_engine: Engine, held: tuple[threading.Event, threading.Event]
) -> None:
    reached, go = held
    clock = ManualClock(START - timedelta(days=1))
    kit = SessionKit(
        uow=SqlAlchemyStore(race_engine).unit_of_work, clock=clock, facts=attendance_facts()
    )
    session_id = kit.sessions.create_extra(
        T,
        actor="tara",
        start=START,
        end=START + timedelta(hours=1),
        resources=["teacher:tara"],
        lifecycle="academy",
        capacity=2,
        title="Circle",
    ).id
    clock.set(START + 5 * MIN)
    kit.attendance.record_presence(T, [_join(session_id, "teacher:tara", START + 5 * MIN)])
    assert kit.queries.get(T, session_id).status == "ONGOING"
    clock.set(START + 20 * MIN)
    late = _join(session_id, "student:sami", START + 19 * MIN)
    errors: list[BaseException] = []

    def run(work: Any) -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001  # reported by the test below
            errors.append(error)

    batch = threading.Thread(
        target=run, args=(lambda: kit.attendance.record_presence(T, [late]),), name="batch"
    )
    batch.start()
    assert reached.wait(30), "the batch never reached its write"
    end = threading.Thread(
        target=run,
        args=(lambda: kit.sessions.cancel(T, session_id, actor="tara", reason="storm"),),
        name="end",
    )
    end.start()
    end.join(HOLD)  # before the fix it committed here, while the batch still held its read
    go.set()
    batch.join(60)
    end.join(60)
    assert not batch.is_alive()
    assert not end.is_alive()
    assert errors == []
    assert kit.queries.get(T, session_id).status == "CANCELLED"
    stays = {
        str(record.participant): [(i.joined, i.left) for i in record.intervals]
        for record in kit.attendance.for_session(T, session_id)
    }
    ended = START + 20 * MIN
    assert stays == {
        "teacher:tara": [(START + 5 * MIN, ended)],
        "student:sami": [(START + 19 * MIN, ended)],
    }
