"""The expiry job asks about overdue reschedule requests once a page, not once a session.

``kit.bookings.expire_due`` (run every minute) and the tick's ``expire_holds``
pass answer a session's overdue request by silence before judging its
bookings (f6827186). Whether any request is overdue is one read per page of
sessions; a session's own request is read only when one is: a tenant with no
overdue request pays no read per session, as the tick's status pass does not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.adapters.memory._reschedules import InMemoryRescheduleRepository
from sessionkit.model import ResourceRef
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.policies import BookingRules, coaching_notice
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15))
LATER = datetime(2026, 3, 3, 8, 30, tzinfo=UTC)  # every hold ran out, no session started


def _held_sessions(kit: SessionKit, count: int) -> list[str]:
    """``count`` sessions a day apart from tomorrow, each with a hold that runs out at 08:15."""
    ids = []
    for day in range(count):
        start = datetime(2026, 3, 3 + day, 9, tzinfo=UTC)
        session = kit.sessions.create_extra(
            T,
            actor="cleo",
            lifecycle="lms",
            start=start,
            end=start + timedelta(hours=1),
            resources=[ResourceRef("coach", "cleo")],
            capacity=2,
        )
        kit.bookings.book(T, session.id, f"student:s{day}", actor="ana")
        ids.append(session.id)
    return ids


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The session ids ``pending_for`` is asked about, in the memory store."""
    return pending_reads(monkeypatch)


def pending_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the memory store's ``pending_for`` reads: the session ids asked about, in order."""
    asked: list[str] = []
    pending_for = InMemoryRescheduleRepository.pending_for

    def counted(
        self: InMemoryRescheduleRepository, tenant: str, session_id: str
    ) -> RescheduleRequest | None:
        asked.append(session_id)
        return pending_for(self, tenant, session_id)

    monkeypatch.setattr(InMemoryRescheduleRepository, "pending_for", counted)
    return asked


def _expire_due(kit: SessionKit) -> int:
    return kit.bookings.expire_due(T, now=LATER).expired


def _tick(kit: SessionKit) -> int:
    return kit.tick(T, now=LATER, kinds=["expire_holds"]).expired


JOBS: dict[str, Callable[[SessionKit], int]] = {"expire_due": _expire_due, "tick": _tick}


@pytest.mark.parametrize("job", sorted(JOBS))
def test_no_request_overdue_reads_no_request_per_session(reads: list[str], job: str) -> None:
    kit = kit_on(STORES["memory"](RecordingPublisher()), NOW, booking_rules=RULES)
    _held_sessions(kit, 3)
    assert JOBS[job](kit) == 3
    assert reads == []


@pytest.mark.parametrize("job", sorted(JOBS))
def test_an_overdue_request_is_still_answered_first(reads: list[str], job: str) -> None:
    # The first session's request (a time proposed) is overdue at LATER: silence
    # answered it at 08:00, an hour before the session's start.
    kit = kit_on(
        STORES["memory"](RecordingPublisher()), NOW, notice=coaching_notice(), booking_rules=RULES
    )
    first, *_ = sessions = _held_sessions(kit, 3)
    kit.bookings.book(T, first, "student:ana", actor="ana", confirm=True, now=NOW)
    request = kit.reschedules.request(
        T,
        first,
        role="student",
        actor="ana",
        reason="I have an exam that morning",
        proposed_start=datetime(2026, 3, 10, 9, tzinfo=UTC),
    )
    assert request.deadline == datetime(2026, 3, 3, 8, tzinfo=UTC)
    JOBS[job](kit)  # its report leaves out the hold the move expired (reported, not fixed)
    held = [kit.bookings.for_session(T, s) for s in sessions]
    assert [[b.status for b in h if b.participant.id.startswith("s")] for h in held] == [
        ["EXPIRED"]
    ] * 3
    assert kit.reschedules.get(T, request.id).status == "AUTO_APPROVED"
    assert kit.queries.get(T, first).start == datetime(2026, 3, 10, 9, tzinfo=UTC)
    assert first in reads
