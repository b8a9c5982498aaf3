"""``outcomes(as_of=...)`` refuses without a journal only when the status then is unknown.

A kit with no journal refused every ``as_of`` before the session's last
write, ``created_at`` too: a session never written since its creation (a
lesson entered after it took place, read before any tick) has had one status
all its life, the one a journal would replay, yet a read as of its start was
refused. And the refusal's message said "no journal of the kit's tells its
status then" whether the kit kept none or its journal lacked the session's
entries; it now names which.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import InvalidValue
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy, attendance_facts
from sessionkit.testing.clocks import ManualClock

from ._attendance_support import MIN, START, T, attendance_kit

STORES = ["memory", "sqlite"]
TEACHERS = AttendancePolicy(attendee_kinds={"teacher"})


def _told(kit: SessionKit, lesson: str, minutes: int) -> list[tuple[str, object, object]]:
    found = kit.attendance.outcomes(T, lesson, as_of=START + minutes * MIN)
    return [(str(o.participant), o.attendance, o.outcome) for o in found]


def _entered_late(kit: SessionKit) -> str:
    """A lesson 17:00-17:45 made at 19:00, after it took place; no tick ran since."""
    return kit.sessions.create_extra(
        T, actor="admin", start=START, end=START + 45 * MIN, lifecycle="academy", capacity=1,
        resources=["teacher:t1"],
    ).id  # fmt: skip


@pytest.mark.parametrize("store", STORES)
def test_a_session_never_written_since_its_creation_is_read_without_a_journal(
    store: str,
) -> None:
    found = {}
    for journal in (False, True):
        with attendance_kit(store, attendance=TEACHERS, journal=journal) as (kit, clock):
            clock.set(START + 120 * MIN)
            lesson = _entered_late(kit)
            # SCHEDULED all its life, with no attendance records: its status alone decides,
            # and SCHEDULED makes no one a no-show, during it or after its end.
            found[journal] = (_told(kit, lesson, 10), _told(kit, lesson, 50))
    assert found[False] == found[True]
    assert found[False] == ([("teacher:t1", None, None)], [("teacher:t1", None, None)])


def test_the_refusal_names_the_missing_journal() -> None:
    clock = ManualClock(START - timedelta(days=1))
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=clock, facts=attendance_facts(),
        attendance=TEACHERS,
    )  # fmt: skip
    lesson = _entered_late(kit)
    clock.set(START + 60 * MIN)
    kit.advance_due(T)  # READY, then ABSENT: written at 18:00
    with pytest.raises(InvalidValue) as refused:
        kit.attendance.outcomes(T, lesson, as_of=START + 10 * MIN)
    assert refused.value.value == START + 10 * MIN
    assert refused.value.expected == "an instant at or after 2026-03-02T18:00:00+00:00"
    assert "the kit keeps no journal to tell its status then" in str(refused.value)


def test_the_refusal_names_a_journal_kept_only_since_later() -> None:
    """A kit that keeps a journal, reading a session made and ticked by one that kept none."""
    store = InMemoryStore()
    clock = ManualClock(START - timedelta(days=1))
    plain = SessionKit(uow=store.unit_of_work, clock=clock, facts=attendance_facts())
    kept = SessionKit(uow=store.unit_of_work, clock=clock, facts=attendance_facts(), journal=True)
    lesson = _entered_late(plain)
    clock.set(START + 60 * MIN)
    plain.advance_due(T)  # READY, then ABSENT: written at 18:00, unjournalled
    with pytest.raises(InvalidValue) as refused:
        kept.attendance.outcomes(T, lesson, as_of=START + 10 * MIN)
    assert refused.value.value == START + 10 * MIN
    assert "the kit's journal holds no account of its status then" in str(refused.value)
    assert "the kit keeps no journal" not in str(refused.value)
