"""What the due-work race tests share: slots whose booking rules fail, and reads a writer beats.

A session whose rules raise stays due at the front of the expiry queue, so a
pass reads past its bookings; :func:`settled_elsewhere` then makes it vanish
from the reads after a given one, as if another writer had settled it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.memory._bookings import InMemoryBookingRepository
from sessionkit.model.booking import Booking
from sessionkit.model.session import Session
from sessionkit.policies import BookingRules
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def failing_kit() -> tuple[SessionKit, set[str]]:
    """A memory kit at :data:`NOW` whose booking rules raise for the session ids in the set."""
    broken: set[str] = set()

    def rules(session: Session) -> BookingRules:
        if session.id in broken:
            raise RuntimeError(f"rules service down for {session.id}")
        return BookingRules(waitlist=True)

    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW), booking_rules=rules)
    return kit, broken


def slots(kit: SessionKit, days: range | tuple[int, ...], capacity: int) -> list[Session]:
    """One-hour "lms" slots of tenant "acme", one on each of ``days`` after :data:`NOW`."""
    return [
        kit.sessions.create_extra(
            "acme",
            actor="t",
            start=s,
            end=s + timedelta(hours=1),
            lifecycle="lms",
            capacity=capacity,
        )
        for s in (NOW + timedelta(days=d) for d in days)
    ]


def holds(kit: SessionKit, plan: list[tuple[Session, str, int]]) -> list[Booking]:
    """Hold a seat for each (session, participant, minutes the hold lasts), in this order."""
    return [
        kit.bookings.book("acme", s.id, who, actor=None, hold_for=timedelta(minutes=minutes))
        for s, who, minutes in plan
    ]


def settled_elsewhere(
    monkeypatch: pytest.MonkeyPatch, session_id: str, from_read: int
) -> list[int]:
    """Make the memory store's expiry reads miss ``session_id`` from read ``from_read`` on.

    Returns the list each read's ``limit`` is appended to.
    """
    reads: list[int] = []
    real_expiring = InMemoryBookingRepository.expiring

    def expiring(self: Any, tenant: str | None, *, before: datetime, limit: int) -> Any:
        reads.append(limit)
        found = real_expiring(self, tenant, before=before, limit=10_000)
        if len(reads) >= from_read:  # another writer settled it after the read before
            found = [b for b in found if b.session_id != session_id]
        return found[:limit]

    monkeypatch.setattr(InMemoryBookingRepository, "expiring", expiring)
    return reads
