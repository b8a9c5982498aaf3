"""``expire_due`` reads at most ``limit`` bookings of the sessions it settles, races or not.

A failed session's bookings stay due at the front of the queue, so the call
reads past them. When another writer settles that session between two reads,
the read that asked past its bookings finds that many more bookings of other
sessions: they were all settled in the one call, past ``limit``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.memory._bookings import InMemoryBookingRepository
from sessionkit.model.booking import EXPIRED, HELD
from sessionkit.model.session import Session
from sessionkit.policies import BookingRules
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_bookings_found_past_a_session_settled_elsewhere_wait_for_the_next_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken: set[str] = set()

    def rules(session: Session) -> BookingRules:
        if session.id in broken:
            raise RuntimeError(f"rules service down for {session.id}")
        return BookingRules(waitlist=True)

    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW), booking_rules=rules)
    slots = [
        kit.sessions.create_extra(
            "acme", actor="t", start=s, end=s + timedelta(hours=1), lifecycle="lms", capacity=2
        )
        for s in (NOW + timedelta(days=d) for d in range(1, 6))
    ]
    first = slots[0]
    holds = [
        kit.bookings.book("acme", s.id, who, actor=None, hold_for=timedelta(minutes=minutes))
        for s, who, minutes in [
            (first, "student:a", 1),
            (first, "student:b", 1),
            *((s, "student:c", 4 + n) for n, s in enumerate(slots[1:])),  # in this order
        ]
    ]
    broken.add(first.id)  # its two holds run out first and fill the first read

    reads: list[int] = []
    real_expiring = InMemoryBookingRepository.expiring

    def expiring(self: Any, tenant: str | None, *, before: datetime, limit: int) -> Any:
        reads.append(limit)
        found = real_expiring(self, tenant, before=before, limit=10_000)
        if len(reads) >= 2:  # another writer settled the first slot after the first read
            found = [b for b in found if b.session_id != first.id]
        return found[:limit]

    monkeypatch.setattr(InMemoryBookingRepository, "expiring", expiring)
    later = NOW + timedelta(hours=1)
    with pytest.raises(RuntimeError, match="rules service down") as raised:
        kit.bookings.expire_due("acme", now=later, limit=2)

    # The second read asked past the first slot's two holds and found four other slots' holds:
    # the first two are settled, the other two stay due.
    assert reads == [2, 4]
    report = raised.value.__notes__
    assert any("expired=2" in note and "more=True" in note for note in report), report
    statuses = [kit.bookings.get("acme", b.id).status for b in holds]
    assert statuses == [HELD] * 2 + [EXPIRED] * 2 + [HELD] * 2

    again = kit.bookings.expire_due("acme", now=later, limit=2)
    assert (again.expired, again.sessions, again.more) == (2, 2, True)
    assert reads[2:] == [2]
    assert [kit.bookings.get("acme", b.id).status for b in holds] == [HELD] * 2 + [EXPIRED] * 4


def test_a_session_with_more_bookings_than_the_limit_cut_off_is_settled_by_the_next_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The cut can leave a call with nothing settled: the first new session alone holds more
    # bookings than are left of ``limit``. The next call's first read asks for ``limit``
    # rows only, so it never cuts: that session is settled there, all of its holds.
    broken: set[str] = set()

    def rules(session: Session) -> BookingRules:
        if session.id in broken:
            raise RuntimeError(f"rules service down for {session.id}")
        return BookingRules(waitlist=True)

    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW), booking_rules=rules)
    first, big = (
        kit.sessions.create_extra(
            "acme", actor="t", start=s, end=s + timedelta(hours=1), lifecycle="lms", capacity=5
        )
        for s in (NOW + timedelta(days=d) for d in (1, 2))
    )
    holds = [
        kit.bookings.book("acme", s.id, who, actor=None, hold_for=timedelta(minutes=minutes))
        for s, who, minutes in [
            (first, "student:a", 1),
            (first, "student:b", 1),
            *((big, f"student:{n}", 4 + n) for n in range(5)),
        ]
    ]
    broken.add(first.id)
    reads: list[int] = []
    real_expiring = InMemoryBookingRepository.expiring

    def expiring(self: Any, tenant: str | None, *, before: datetime, limit: int) -> Any:
        reads.append(limit)
        found = real_expiring(self, tenant, before=before, limit=10_000)
        if len(reads) >= 2:  # another writer settled the first slot after the first read
            found = [b for b in found if b.session_id != first.id]
        return found[:limit]

    monkeypatch.setattr(InMemoryBookingRepository, "expiring", expiring)
    later = NOW + timedelta(hours=1)
    with pytest.raises(RuntimeError, match="rules service down") as raised:
        kit.bookings.expire_due("acme", now=later, limit=2)
    notes = raised.value.__notes__
    assert any("expired=0" in n and "sessions=0" in n and "more=True" in n for n in notes), notes
    assert reads == [2, 4]

    again = kit.bookings.expire_due("acme", now=later, limit=2)
    assert (again.expired, again.sessions, again.more) == (5, 1, True)
    assert reads[2:] == [2]
    assert [kit.bookings.get("acme", b.id).status for b in holds] == [HELD] * 2 + [EXPIRED] * 5
