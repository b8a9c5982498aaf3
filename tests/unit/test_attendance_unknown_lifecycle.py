"""``kit.attendance.outcomes`` reads a session of a lifecycle the kit does not know as
``for_session`` does: by the clock alone.

``for_session`` read it (nobody pending once its end had passed), while
``outcomes`` raised ``UnknownLifecycle``: a kit without the host's lifecycle
(an admin tool, a report job) could list the attendance but not the outcomes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.memory._journal import InMemoryJournalRepository
from sessionkit.lifecycle import PRESETS
from sessionkit.model.attendance import ABSENT, JOIN, PENDING, PRESENT, PresenceEvent
from sessionkit.model.journal import JournalEntry
from sessionkit.policies.no_shows import ATTENDED, NO_SHOW
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MINE = attrs.evolve(PRESETS.get("coaching"), name="mine")


def test_outcomes_of_an_unknown_lifecycle_are_read_by_the_clock_as_for_session() -> None:
    store = InMemoryStore()
    clock = ManualClock(START - timedelta(days=1))
    host = SessionKit(uow=store.unit_of_work, clock=clock, lifecycles=PRESETS.with_lifecycle(MINE))
    call = host.sessions.create_extra(
        T, actor="t", title="Call", start=START, end=START + timedelta(hours=1),
        lifecycle="mine", capacity=2,
    )  # fmt: skip
    for who in ("student:ana", "student:ben"):
        host.bookings.book(T, call.id, who, actor="admin", confirm=True)
    joined = PresenceEvent(
        provider="meet", event_id="e1", session_id=call.id, participant="student:ana",
        action=JOIN, at=START,
    )  # fmt: skip
    host.attendance.record_presence(T, [joined], now=START)
    report = SessionKit(uow=store.unit_of_work, clock=clock)  # knows the presets only
    clock.set(START + timedelta(minutes=30))
    shown = [(str(a.participant), a.status) for a in report.attendance.for_session(T, call.id)]
    told = [(str(o.participant), o.attendance, o.outcome) for o in report.attendance.outcomes(
        T, call.id
    )]  # fmt: skip
    assert shown == [("student:ana", PRESENT), ("student:ben", PENDING)]
    assert told == [("student:ana", PRESENT, ATTENDED), ("student:ben", PENDING, None)]
    clock.set(START + timedelta(hours=2))  # over by the clock
    told = [(str(o.participant), o.attendance, o.outcome) for o in report.attendance.outcomes(
        T, call.id
    )]  # fmt: skip
    assert told == [("student:ana", PRESENT, ATTENDED), ("student:ben", ABSENT, NO_SHOW)]
    assert [a.status for a in report.attendance.for_session(T, call.id)] == [PRESENT, ABSENT]


def test_an_unknown_lifecycle_read_as_of_before_its_last_change_is_not_refused() -> None:
    # Its status says nothing to a kit that does not know its lifecycle: read by the clock,
    # an as_of before the session's last change needs no journal (a known one's is refused).
    store = InMemoryStore()
    clock = ManualClock(START - timedelta(days=1))
    host = SessionKit(uow=store.unit_of_work, clock=clock, lifecycles=PRESETS.with_lifecycle(MINE))
    call = host.sessions.create_extra(
        T, actor="t", title="Call", start=START, end=START + timedelta(hours=1),
        lifecycle="mine", capacity=2,
    )  # fmt: skip
    host.bookings.book(T, call.id, "student:ana", actor="admin", confirm=True)
    joined = PresenceEvent(
        provider="meet", event_id="e1", session_id=call.id, participant="student:ana",
        action=JOIN, at=START,
    )  # fmt: skip
    host.attendance.record_presence(T, [joined], now=START)
    clock.set(START + timedelta(minutes=40))
    changed = host.sessions.set_fields(T, call.id, actor="t", set={"note": "ok"})  # after as_of
    assert changed.updated_at == START + timedelta(minutes=40)
    report = SessionKit(uow=store.unit_of_work, clock=clock)  # knows the presets only
    told = report.attendance.outcomes(T, call.id, as_of=START + timedelta(minutes=10))
    assert [(str(o.participant), o.attendance, o.outcome) for o in told] == [
        ("student:ana", PRESENT, ATTENDED)
    ]


def test_for_session_of_an_unknown_lifecycle_reads_no_journal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Its status, then or now, says nothing to a kit that does not know its lifecycle:
    # for_session read the journal for the status at as_of all the same, and dropped it.
    store = InMemoryStore()
    clock = ManualClock(START - timedelta(days=1))
    host = SessionKit(
        uow=store.unit_of_work, clock=clock, lifecycles=PRESETS.with_lifecycle(MINE), journal=True
    )
    call = host.sessions.create_extra(
        T, actor="t", title="Call", start=START, end=START + timedelta(hours=1),
        lifecycle="mine", capacity=2,
    )  # fmt: skip
    host.bookings.book(T, call.id, "student:ana", actor="admin", confirm=True)
    clock.set(START + timedelta(minutes=40))
    host.sessions.set_fields(T, call.id, actor="t", set={"note": "ok"})  # after the as_of
    reads: list[tuple[str, str] | None] = []
    history = InMemoryJournalRepository.history

    def counted(self: InMemoryJournalRepository, tenant: str, **kw: Any) -> list[JournalEntry]:
        reads.append(kw.get("subject"))
        return history(self, tenant, **kw)

    monkeypatch.setattr(InMemoryJournalRepository, "history", counted)
    report = SessionKit(uow=store.unit_of_work, clock=clock, journal=True)  # the presets only
    shown = report.attendance.for_session(T, call.id, as_of=START + timedelta(minutes=10))
    assert [(str(a.participant), a.status) for a in shown] == [("student:ana", PENDING)]
    assert reads == []
    # The host, who knows it, reads the status it had then from the journal.
    assert [a.status for a in host.attendance.for_session(T, call.id, as_of=START)] == [PENDING]
    assert reads == [("session", call.id)]
