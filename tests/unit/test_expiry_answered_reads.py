"""The expiry job settles a session that silence's answer settled already no second time.

``kit.bookings.expire_due`` and the tick's ``expire_holds`` answer a session's overdue
reschedule request first (f6827186); the answer expires what ran out, offers the seats it
freed and releases the session when that emptied it (aa458a6c). The job then settled the
session again, one more read of its seats that found nothing left to do, for every session
with an overdue request. Now the answer's settling is the job's: one read of the session's
seats, the same counts and states.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from sessionkit.adapters.memory._bookings import InMemoryBookingRepository
from sessionkit.model import ResourceRef
from sessionkit.model.booking import Seating
from sessionkit.policies import coaching_notice
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on
from .test_expiry_report_moves import AFTER, MOVED, NOW, RULES, RUNS_OUT, START, T, moving


def _expire_due(kit: SessionKit) -> tuple[int, int]:
    report = kit.bookings.expire_due(T, now=AFTER)
    return report.expired, report.offered


def _tick(kit: SessionKit) -> tuple[int, int]:
    report = kit.tick(T, now=AFTER, kinds=["expire_holds"])
    return report.expired, report.offered


JOBS: dict[str, Callable[[SessionKit], tuple[int, int]]] = {
    "expire_due": _expire_due,
    "tick": _tick,
}


@pytest.fixture
def seatings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The session ids the memory store's ``seating`` (a settling's read) is asked about."""
    asked: list[str] = []
    seating = InMemoryBookingRepository.seating

    def counted(
        self: InMemoryBookingRepository,
        tenant: str,
        session_id: str,
        *,
        at: datetime,
        participant: ResourceRef | None = None,
    ) -> Seating:
        asked.append(session_id)
        return seating(self, tenant, session_id, at=at, participant=participant)

    monkeypatch.setattr(InMemoryBookingRepository, "seating", counted)
    return asked


@pytest.mark.parametrize("job", sorted(JOBS))
@pytest.mark.parametrize("ending", ["hold", "offer"])
@pytest.mark.parametrize("when", sorted(RUNS_OUT), ids=lambda w: f"ran-out-{w}-the-move")
def test_a_session_silence_moved_is_settled_once(
    seatings: list[str], job: str, ending: str, when: str
) -> None:
    kit = kit_on(
        STORES["memory"](RecordingPublisher()), NOW, notice=coaching_notice(), booking_rules=RULES
    )
    session_id, ends, waits = moving(kit, ending, RUNS_OUT[when])
    seatings.clear()
    assert JOBS[job](kit) == (1, 1)
    assert seatings == [session_id]
    assert kit.queries.get(T, session_id).start == MOVED
    assert kit.bookings.get(T, ends).status == "EXPIRED"
    assert kit.bookings.get(T, waits).status == "OFFERED"


@pytest.mark.parametrize("job", sorted(JOBS))
def test_a_session_whose_request_silence_let_expire_is_settled_once(
    seatings: list[str], job: str
) -> None:
    kit = kit_on(
        STORES["memory"](RecordingPublisher()), NOW, notice=coaching_notice(), booking_rules=RULES
    )
    session = kit.sessions.create_extra(
        T,
        actor="cleo",
        lifecycle="lms",
        start=START,
        end=START.replace(hour=START.hour + 1),
        resources=[ResourceRef("coach", "cleo")],
        capacity=1,
    )
    held = kit.bookings.book(T, session.id, "student:cai", actor="cai")
    waits = kit.bookings.book(T, session.id, "student:dan", actor="dan", waitlist=True)
    asked = kit.reschedules.request(
        T, session.id, role="student", actor="cai", reason="I have an exam that morning"
    )
    seatings.clear()
    assert JOBS[job](kit) == (1, 1)
    assert seatings == [session.id]
    assert kit.reschedules.get(T, asked.id).status == "EXPIRED"
    assert (kit.bookings.get(T, held.id).status, kit.bookings.get(T, waits.id).status) == (
        "EXPIRED",
        "OFFERED",
    )
