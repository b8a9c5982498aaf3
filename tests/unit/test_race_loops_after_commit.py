"""A command's own race loop does not run its unit again for an error raised after it committed.

``record_presence``, ``override`` and ``join_credential`` run their unit again
while a racing writer moved a record first. A ``ConcurrentModification`` an
event handler raised once the unit committed (its own write losing a race)
was taken for such a race: the unit ran again on what it had just stored,
recorded nothing (``record_presence`` answered ``recorded=0``) or wrote the
override twice, and the handler's error was lost. It is raised, marked
``raised_after_commit``, as any command's is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from tests.unit._attendance_support import START, T, presence

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import ConcurrentModification
from sessionkit.model.attendance import JOIN, PRESENT
from sessionkit.model.events import DomainEvent, SessionStatusChanged
from sessionkit.services import SessionKit, raised_after_commit
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms


class _LosingHandler:
    """Publishes nowhere; raises ``ConcurrentModification`` on the first status change, once."""

    def __init__(self) -> None:
        self.seen: list[DomainEvent] = []
        self.armed = False

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.seen.extend(events)
        if self.armed and any(isinstance(e, SessionStatusChanged) for e in events):
            self.armed = False
            raise ConcurrentModification("host-row-1", 3, 4)


def _kit(rooms: FakeMeetingRooms | None = None) -> tuple[SessionKit, _LosingHandler, str]:
    handler = _LosingHandler()
    store = InMemoryStore(publisher=handler)
    kit = SessionKit(
        uow=store.unit_of_work, clock=ManualClock(START - timedelta(days=1)),
        facts=attendance_facts(), rooms=rooms,
    )  # fmt: skip
    lesson = kit.sessions.create_extra(
        T, actor="admin", start=START, end=START + timedelta(minutes=45), lifecycle="academy",
        capacity=1, resources=["teacher:t1"],
    )  # fmt: skip
    handler.seen.clear()
    handler.armed = True
    return kit, handler, lesson.id


def test_record_presence_raises_a_handlers_error_after_its_commit() -> None:
    kit, _, lesson = _kit()
    with pytest.raises(ConcurrentModification) as raised:
        kit.attendance.record_presence(T, [presence(1, "student:ana", JOIN, 1, lesson)], now=START)
    assert raised_after_commit(raised.value) is True
    assert kit.queries.get(T, lesson).status == "ONGOING"
    again = kit.attendance.record_presence(
        T, [presence(1, "student:ana", JOIN, 1, lesson)], now=START
    )
    assert (again.recorded, again.duplicates) == (0, 1)  # stored once, by the first run


def test_override_raises_a_handlers_error_after_its_commit() -> None:
    kit, _, lesson = _kit()
    with pytest.raises(ConcurrentModification) as raised:
        kit.attendance.override(
            T, lesson, "student:ana", status=PRESENT, actor="t1", now=START + timedelta(minutes=1)
        )
    assert raised_after_commit(raised.value) is True
    (found,) = kit.attendance.for_session(T, lesson, as_of=START + timedelta(minutes=45))
    assert found.override is not None
    assert (str(found.participant), found.override.status, found.override.version) == (
        "student:ana", PRESENT, 1,
    )  # fmt: skip  # written once: run again, it was version 2


def test_join_credential_raises_a_handlers_error_after_its_commit() -> None:
    rooms = FakeMeetingRooms()
    kit, handler, lesson = _kit(rooms)
    with pytest.raises(ConcurrentModification) as raised:
        kit.attendance.join_credential(T, lesson, "teacher:t1", now=START)
    assert raised_after_commit(raised.value) is True
    changes = [e for e in handler.seen if isinstance(e, SessionStatusChanged)]
    assert [e.session.status for e in changes] == ["READY"]  # the clock's move, published once
    assert rooms.is_open(T, lesson) is False  # nor did a run again go on to the provider
