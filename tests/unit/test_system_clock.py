"""The shipped production clock: the system's time, aware, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import sessionkit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.ports import Clock, SystemClock


def test_the_system_clock_reads_the_system_time_in_utc() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert before <= now <= after
    assert isinstance(SystemClock(), Clock)
    assert sessionkit.SystemClock is SystemClock


def test_a_kit_on_the_system_clock_stamps_records_with_it() -> None:
    kit = sessionkit.SessionKit(uow=InMemoryStore().unit_of_work, clock=SystemClock())
    before = datetime.now(UTC)
    made = kit.sessions.create_extra(
        "acme",
        actor="tina",
        start=datetime(2030, 1, 7, 9, tzinfo=UTC),
        end=datetime(2030, 1, 7, 10, tzinfo=UTC),
        resources=["teacher:ana"],
        lifecycle="lms",
    )
    assert before <= made.created_at <= datetime.now(UTC)
