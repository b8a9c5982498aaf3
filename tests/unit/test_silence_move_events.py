"""When a silence move's events say it happened, and in what order they come.

A reschedule request's silence moves its session at the request's deadline,
whenever a job answers it. The move's ``SessionUpdated`` was dated when the
job answered and published after the expiries of the holds and offers that
ran out at the new time only after the move; it now comes after what had run
out by the deadline, dated at the deadline, and before what ran out since.
So does the request's answer, right after the move (test_silence_answer_instant.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.model.events import DomainEvent, SessionUpdated
from sessionkit.policies import coaching_notice
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on
from .test_expiry_report_moves import AFTER, DEADLINE, NOW, RULES, RUNS_OUT, START, T, moving


def seen_in(events: list[DomainEvent]) -> list[tuple[str, datetime, str]]:
    """Each event's class, instant and what it is about (a booking's participant)."""
    return [
        (
            type(e).__name__,
            e.at,
            str(e.booking.participant) if isinstance(e, BookingStatusChanged) else "",
        )
        for e in events
    ]


JOBS: dict[str, Callable[[SessionKit], object]] = {
    "expire_due": lambda kit: kit.bookings.expire_due(T, now=AFTER),
    "tick": lambda kit: kit.tick(T, now=AFTER),
    "approve_reschedules": lambda kit: kit.approve_reschedules(T, now=AFTER),
}
"""The jobs that answer the request (the same move, whichever answers it)."""


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("ending", ["hold", "offer"])
@pytest.mark.parametrize("job", sorted(JOBS))
def test_the_move_is_published_at_the_deadline_before_what_ran_out_after_it(
    store: str, ending: str, job: str
) -> None:
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    _, ends, _ = moving(kit, ending, RUNS_OUT["after"])
    ender = str(kit.bookings.get(T, ends).participant)
    seen = len(events.events)
    JOBS[job](kit)
    assert seen_in(events.events[seen:]) == [
        ("SessionUpdated", DEADLINE, ""),  # silence moved it at the deadline
        ("RescheduleStatusChanged", DEADLINE, ""),  # its answer, with the move
        ("BookingExpired", RUNS_OUT["after"], ender),  # then it ran out, at the new time
        ("BookingOffered", AFTER, "student:dan"),  # the seat offered when the job ran
    ]


@pytest.mark.parametrize("store", sorted(STORES))
def test_what_ran_out_before_the_move_is_published_before_it(store: str) -> None:
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    moving(kit, "hold", RUNS_OUT["before"])
    seen = len(events.events)
    kit.bookings.expire_due(T, now=AFTER)
    assert seen_in(events.events[seen:]) == [
        ("BookingExpired", RUNS_OUT["before"], "student:cai"),
        ("SessionUpdated", DEADLINE, ""),
        ("RescheduleStatusChanged", DEADLINE, ""),
        ("BookingOffered", AFTER, "student:dan"),
    ]
    [moved] = events.of_type(SessionUpdated)
    assert dict(moved.old) == {"start": START, "end": START + timedelta(hours=1)}
