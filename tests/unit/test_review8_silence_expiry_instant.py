"""A request with a proposed time that silence lets expire is answered at its deadline too.

15fd42cf dated silence's AUTO_APPROVED at the request's deadline, "as one
silence lets expire already was": a request without a time, expired by its
timer. One with a proposed time that silence cannot apply (the session was
moved since the request, the time is taken) expires by the same silence, the
time judged as at the deadline (docs/policies.md), but its answer was dated
when the job ran: after the deadline of a no-time request's, and published
before the holds that ran out between the deadline and the job
(``expire_due`` answers first), out of time order. Each case runs on the
in-memory store and on SQLite (review8).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs
import pytest

from sessionkit.model import ResourceRef
from sessionkit.model.reschedule import EXPIRED, RescheduleStatusChanged
from sessionkit.policies import coaching_notice
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._store_support import STORES
from .test_expiry_report_moves import AFTER, DEADLINE, MOVED, NOW, RULES, RUNS_OUT, START, T
from .test_silence_move_events import seen_in

JOBS: dict[str, Callable[[SessionKit], object]] = {
    "expire_due": lambda kit: kit.bookings.expire_due(T, now=AFTER),
    "tick": lambda kit: kit.tick(T, now=AFTER),
    "approve_reschedules": lambda kit: kit.approve_reschedules(T, now=AFTER),
}
"""The jobs that answer the request (the same answer, whichever finds it)."""

WHY = {
    "moved": "the session was moved since the request",
    "taken": "the proposed time could not be applied",
}
"""Why silence cannot apply the proposed time: the start of the answer's reason."""


def _asked(store: str, why: str) -> tuple[SessionKit, RecordingPublisher, str, ManualClock]:
    """A 09:00 lesson of 2 seats, Ana's (booked) asked on 2 March to move to ``MOVED``; the
    host then moves it half an hour (``"moved"``) or books the coach at ``MOVED`` elsewhere
    (``"taken"``); Cai's hold runs out at 08:10, after the 08:00 deadline, Dan waits. The
    kit, its events, the session's id and the kit's clock (at 08:00 the day before)."""
    events = RecordingPublisher()
    counter = itertools.count(1)
    clock = ManualClock(NOW)
    kit = SessionKit(
        uow=STORES[store](events),
        clock=clock,
        ids=lambda: f"x{next(counter)}",
        notice=coaching_notice(),
        booking_rules=attrs.evolve(RULES, lock_booked=False),
        journal=True,
    )
    coach = [ResourceRef("coach", "cleo")]
    hour = timedelta(hours=1)
    session = kit.sessions.create_extra(
        T, actor="cleo", lifecycle="lms", start=START, end=START + hour, resources=coach, capacity=2
    )
    kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)
    asked = kit.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason="I have an exam that morning",
        proposed_start=MOVED,
    )
    assert asked.deadline == DEADLINE
    if why == "moved":
        kit.sessions.update(T, session.id, actor="cleo", start=START + hour / 2)
    else:
        kit.sessions.create_extra(
            T, actor="cleo", lifecycle="lms", start=MOVED, end=MOVED + hour, resources=coach
        )
    at = RUNS_OUT["after"] - RULES.hold_for
    kit.bookings.book(T, session.id, "student:cai", actor="cai", now=at)
    kit.bookings.book(T, session.id, "student:dan", actor="dan", waitlist=True, now=at)
    return kit, events, session.id, clock


def _answer(
    kit: SessionKit, events: RecordingPublisher, session_id: str, why: str
) -> tuple[str, datetime]:
    """The answer's status and instant, as its event, its change and the journal say."""
    [answer] = [
        e for e in events.of_type(RescheduleStatusChanged) if e.change.transition != "request"
    ]
    assert answer.at == answer.change.at
    assert answer.reason is not None
    assert answer.reason.startswith(WHY[why]), answer.reason
    [entry] = [
        e
        for e in kit.journal.for_session(T, session_id)
        if e.subject == "reschedule" and e.transition != "request"
    ]
    assert (entry.transition, entry.at) == ("expire", answer.at)
    assert answer.request.updated_at == AFTER  # stored when the job ran
    return answer.request.status, answer.at


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("why", sorted(WHY))
@pytest.mark.parametrize("job", sorted(JOBS))
def test_silence_lets_an_unappliable_time_expire_at_the_deadline(
    store: str, why: str, job: str
) -> None:
    kit, events, session_id, _ = _asked(store, why)
    start = kit.queries.get(T, session_id).start
    JOBS[job](kit)
    assert kit.queries.get(T, session_id).start == start  # not moved
    assert _answer(kit, events, session_id, why) == (EXPIRED, DEADLINE)


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("why", sorted(WHY))
def test_the_expiry_job_publishes_the_answer_in_time_order(store: str, why: str) -> None:
    kit, events, _, _ = _asked(store, why)
    seen = len(events.events)
    kit.bookings.expire_due(T, now=AFTER)
    assert seen_in(events.events[seen:]) == [
        ("RescheduleStatusChanged", DEADLINE, ""),  # silence, at the deadline
        ("BookingExpired", RUNS_OUT["after"], "student:cai"),  # then Cai's hold ran out
        ("BookingOffered", AFTER, "student:dan"),  # the seat offered when the job ran
    ]


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_command_after_the_deadline_dates_silence_at_the_deadline(store: str) -> None:
    """``kit.sessions.update`` answers the request by silence first, in its own unit."""
    kit, events, session_id, clock = _asked(store, "moved")
    clock.set(AFTER)
    kit.sessions.update(T, session_id, actor="cleo", title="Maths")
    assert _answer(kit, events, session_id, "moved") == (EXPIRED, DEADLINE)
