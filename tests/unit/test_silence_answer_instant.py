"""A request silence approved is answered at its deadline, as one silence lets expire.

Silence answers a reschedule request at its deadline, whenever a job finds it:
a request without a proposed time EXPIRED by its timer, its event and journal
entry dated at the deadline; one with a proposed time was AUTO_APPROVED fired
by hand, dated when the job ran, and published after what ran out at the new
time since the move. Its answer now comes with the move (d4274669), dated at
the deadline, after the move's ``SessionUpdated`` and before what ran out
since, so a session's events stay in time order. Each case runs on the
in-memory store and on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from sessionkit.model import ResourceRef
from sessionkit.model.reschedule import RescheduleStatusChanged
from sessionkit.policies import coaching_notice
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on
from .test_expiry_report_moves import AFTER, DEADLINE, MOVED, NOW, RULES, RUNS_OUT, START, T, moving
from .test_silence_move_events import seen_in

JOBS: dict[str, Callable[[SessionKit], object]] = {
    "expire_due": lambda kit: kit.bookings.expire_due(T, now=AFTER),
    "tick": lambda kit: kit.tick(T, now=AFTER),
    "approve_reschedules": lambda kit: kit.approve_reschedules(T, now=AFTER),
}
"""The jobs that answer the request (the same answer, whichever finds it)."""


def _answer(kit: SessionKit, events: RecordingPublisher, session_id: str) -> tuple[str, datetime]:
    """The answer's transition and instant, as its event, its change and the journal say."""
    [answer] = [
        e for e in events.of_type(RescheduleStatusChanged) if e.change.transition != "request"
    ]
    assert answer.at == answer.change.at
    [entry] = [
        e
        for e in kit.journal.for_session(T, session_id)
        if e.subject == "reschedule" and e.transition != "request"
    ]
    assert (entry.transition, entry.at) == (answer.change.transition, answer.at)
    return answer.change.transition, answer.at


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("job", sorted(JOBS))
def test_silence_approves_at_the_deadline(store: str, job: str) -> None:
    events = RecordingPublisher()
    kit = kit_on(
        STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES, journal=True
    )
    session_id, _, _ = moving(kit, "hold", RUNS_OUT["after"])
    JOBS[job](kit)
    assert kit.queries.get(T, session_id).start == MOVED
    assert _answer(kit, events, session_id) == ("auto_approve", DEADLINE)


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("job", ["approve_reschedules", "tick"])  # expire_due: no booking due
def test_silence_lets_a_request_without_a_time_expire_at_the_deadline(store: str, job: str) -> None:
    lapsing = RecordingPublisher()
    other = kit_on(STORES[store](lapsing), NOW, notice=coaching_notice(), journal=True)
    session = other.sessions.create_extra(
        T,
        actor="cleo",
        lifecycle="lms",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
    )
    asked = other.reschedules.request(
        T, session.id, role="student", actor="ana", reason="I have an exam that morning"
    )
    assert (asked.proposed_start, asked.deadline) == (None, DEADLINE)
    JOBS[job](other)
    assert _answer(other, lapsing, session.id) == ("expire", DEADLINE)  # as it was: a guard


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("when", sorted(RUNS_OUT))
def test_the_answer_comes_with_the_move_in_time_order(store: str, when: str) -> None:
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    _, ends, _ = moving(kit, "hold", RUNS_OUT[when])
    ender = str(kit.bookings.get(T, ends).participant)
    seen = len(events.events)
    kit.bookings.expire_due(T, now=AFTER)
    ran_out = ("BookingExpired", RUNS_OUT[when], ender)
    moved = [("SessionUpdated", DEADLINE, ""), ("RescheduleStatusChanged", DEADLINE, "")]
    offered = [("BookingOffered", AFTER, "student:dan")]
    assert seen_in(events.events[seen:]) == (
        [ran_out, *moved, *offered] if when == "before" else [*moved, ran_out, *offered]
    )
