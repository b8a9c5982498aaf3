"""A reschedule move reads its session's bookings once (review of d4274669).

d4274669 dated a silence move at the request's deadline and published it
between what had run out by then and what ran out since. It took the first
step of ``move_session_bookings`` (expire what ran out at the old time) ahead of
it in a copy of its own, which read the session's bookings once more on every
move, a person's approve too. The step is now split out of ``_seats`` and its
read handed on (``expire_before_move``, ``ran_out=``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import pytest

from sessionkit.adapters.memory._bookings import InMemoryBookingRepository
from sessionkit.model.booking import Booking
from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.model.events import SessionUpdated
from sessionkit.policies import coaching_notice
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on, memory_store
from .test_expiry_report_moves import AFTER, DEADLINE, MOVED, NOW, RULES, RUNS_OUT, T, moving


@pytest.fixture
def session_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...] | None]:
    """The statuses of each ``for_session`` read of the memory store (``None``: all)."""
    asked: list[tuple[str, ...] | None] = []
    for_session = InMemoryBookingRepository.for_session

    def counted(
        self: InMemoryBookingRepository,
        tenant: str,
        session_id: str,
        *,
        statuses: Iterable[str] | None = None,
        **options: object,
    ) -> list[Booking]:
        asked.append(None if statuses is None else tuple(statuses))
        return for_session(self, tenant, session_id, statuses=statuses, **options)  # type: ignore[arg-type]  # options as given

    monkeypatch.setattr(InMemoryBookingRepository, "for_session", counted)
    return asked


def test_a_persons_approve_reads_the_sessions_bookings_once(
    session_reads: list[tuple[str, ...] | None],
) -> None:
    kit = kit_on(
        memory_store(RecordingPublisher()), NOW, notice=coaching_notice(), booking_rules=RULES
    )
    session_id, _, _ = moving(kit, "hold", RUNS_OUT["after"])
    [request] = kit.reschedules.for_session(T, session_id)
    session_reads.clear()
    at = DEADLINE - timedelta(minutes=1)  # before silence, the hold still running
    approved = kit.reschedules.approve(T, request.id, role="coach", actor="cleo", now=at)
    assert approved.new_start == MOVED
    assert session_reads == [None]  # the move's one read of every booking of the session


def test_silence_in_expire_due_reads_the_sessions_bookings_three_times(
    session_reads: list[tuple[str, ...] | None],
) -> None:
    kit = kit_on(
        memory_store(RecordingPublisher()), NOW, notice=coaching_notice(), booking_rules=RULES
    )
    moving(kit, "hold", RUNS_OUT["before"])
    session_reads.clear()
    assert kit.bookings.expire_due(T, now=AFTER).expired == 1
    # Before the answer and after it (its count), and the move's own read: no fourth.
    assert session_reads == [("HELD", "OFFERED", "WAITLISTED"), None, ("EXPIRED", "OFFERED")]


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("when", sorted(RUNS_OUT))
def test_the_move_ends_each_run_out_booking_once_in_time_order(store: str, when: str) -> None:
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    session_id, ends, _ = moving(kit, "offer", RUNS_OUT[when])
    seen = len(events.events)
    report = kit.bookings.expire_due(T, now=AFTER)
    assert (report.expired, report.offered) == (1, 1)
    new = events.events[seen:]
    ended = [e for e in new if isinstance(e, BookingStatusChanged) and e.booking.id == ends]
    assert [(e.at, e.booking.status) for e in ended] == [(RUNS_OUT[when], "EXPIRED")]
    [moved] = [e for e in new if isinstance(e, SessionUpdated)]
    assert moved.at == DEADLINE
    stamps = [e.at for e in new]
    assert stamps == sorted(stamps)
    assert kit.queries.get(T, session_id).start == MOVED
    stored = kit.bookings.get(T, ends)
    assert (stored.status, stored.session_start) == ("EXPIRED", MOVED)
