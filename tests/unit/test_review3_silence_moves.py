"""A reschedule move reads its session's bookings once (review of d4274669).

d4274669 dated a silence move at the request's deadline and published it
between what had run out by then and what ran out since. It took the first
step of ``move_session_bookings`` (expire what ran out at the old time) ahead of
it in a copy of its own, which read the session's bookings once more on every
move, a person's approve too. The step is now split out of ``_seats`` and its
read handed on (``expire_before_move``, ``ran_out=``). Beside the read
counts, checks that the move still ends each run-out hold once, in time order
around the move (ties and a hold ending at the deadline included), alike in
memory and SQLite, and that ``expire_due`` counts them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import pytest

from sessionkit.adapters.memory._bookings import InMemoryBookingRepository
from sessionkit.model import ResourceRef
from sessionkit.model.booking import Booking
from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.model.events import SessionUpdated
from sessionkit.policies import coaching_notice
from sessionkit.services.reports import ExpiryReport
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


HOLDS = {
    "around the deadline": (-20, -5, 0, 5, 10),
    "tied": (-5, -5, 10, 10),
    "after it only": (25, 30, 45),
    "all before": (-30, -15),
}
"""When each hold runs out, in minutes from the deadline (the job runs 30 minutes after it)."""


Seen = tuple[str, datetime, str, str]


def _silence_with_holds(store: str, minutes: tuple[int, ...]) -> tuple[list[Seen], ExpiryReport]:
    """A session moved by silence in ``expire_due`` with holds running out at ``minutes``:
    its events from the job on (class, instant, booking id, its status) and the report.
    """
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    session = kit.sessions.create_extra(
        T,
        actor="cleo",
        lifecycle="lms",
        start=DEADLINE + timedelta(hours=1),
        end=DEADLINE + timedelta(hours=2),
        resources=[ResourceRef("coach", "cleo")],
        capacity=1 + len(minutes),
    )
    kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)
    kit.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason="I have an exam then",
        proposed_start=MOVED,
    )
    made = DEADLINE - timedelta(minutes=45)  # all held at once, none run out before the job
    for n, minute in enumerate(minutes):
        until = DEADLINE + timedelta(minutes=minute)
        kit.bookings.book(
            T, session.id, f"student:h{n}", actor=f"h{n}", hold_for=until - made, now=made
        )
    for n in range(3):
        kit.bookings.book(T, session.id, f"student:w{n}", actor=f"w{n}", waitlist=True, now=made)
    seen = len(events.events)
    report = kit.bookings.expire_due(T, now=AFTER)
    stream = [
        (
            type(e).__name__,
            e.at,
            e.booking.id if isinstance(e, BookingStatusChanged) else "",
            e.booking.status if isinstance(e, BookingStatusChanged) else "",
        )
        for e in events.events[seen:]
    ]
    return stream, report


@pytest.mark.parametrize("holds", sorted(HOLDS))
def test_a_silence_move_publishes_in_time_order_and_alike_in_both_stores(holds: str) -> None:
    minutes = HOLDS[holds]
    streams = {store: _silence_with_holds(store, minutes) for store in STORES}
    (stream, report), *others = streams.values()
    assert all(other == (stream, report) for other in others)
    stamps = [at for _, at, _, _ in stream]
    assert stamps == sorted(stamps)
    ran_out = sorted(DEADLINE + timedelta(minutes=m) for m in minutes if m <= 30)
    moved = stream.index(("SessionUpdated", DEADLINE, "", ""))
    expiries = [at for name, at, _, _ in stream if name == "BookingExpired"]
    assert expiries == ran_out  # each once, when it ran out
    assert [at for name, at, _, _ in stream[:moved] if name == "BookingExpired"] == [
        at for at in ran_out if at <= DEADLINE
    ]
    assert (report.expired, report.offered) == (len(ran_out), min(len(ran_out), 3))
