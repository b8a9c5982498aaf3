"""A timer that fell due locks a session's time as its status would, whether the tick ran or not.

The academy's READY (15 minutes before the start) may not be moved: from then
on a lesson still stored SCHEDULED, its tick not run yet, is refused a request,
an approve and ``kit.sessions.update`` as it would be READY, with the same rule
and words. Silence still answers a request at its deadline (the READY instant)
ahead of the timer due then, as the tick orders them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from sessionkit.errors import RescheduleRefused, SessionLocked
from sessionkit.model import Session
from sessionkit.model.reschedule import AUTO_APPROVED
from sessionkit.ports import RESCHEDULES
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(hours=10)
READY_AT = START - timedelta(minutes=15)
LATER = START + timedelta(days=1)
REASON = "I have an exam that morning"
LOCKED = "status 'READY' is not editable (editable: SCHEDULED, UNSCHEDULED)"


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(NOW, id_prefix="x")


def lesson(h: Harness) -> Session:
    return h.kit.sessions.create_extra(
        T,
        actor="tara",
        title="Tajweed",
        lifecycle="academy",
        start=START,
        end=START + timedelta(hours=1),
        capacity=1,
    )


def ask(h: Harness, session: Session) -> None:
    h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=REASON, proposed_start=LATER
    )


def test_a_request_after_ready_fell_due_is_refused_tick_or_not(h: Harness) -> None:
    session = lesson(h)
    h.clock.set(START - timedelta(minutes=10))
    assert h.kit.queries.get(T, session.id).status == "SCHEDULED"  # the tick has not run
    with pytest.raises(RescheduleRefused) as refused:
        ask(h, session)
    assert (refused.value.rule, refused.value.allows_at) == ("not_reschedulable", None)
    assert refused.value.reason == f"session {session.id!r} cannot be moved: its {LOCKED}"
    assert h.kit.reschedules.for_session(T, session.id) == []  # nothing written
    answer = h.kit.reschedules.can_request(T, session.id, role="student")
    assert answer is not None
    assert (answer.rule, answer.reason) == ("not_reschedulable", refused.value.reason)
    shown = h.kit.reschedules.options(T, session.id, role="student")
    assert (shown.reschedule, shown.reschedule_until) == (answer, None)
    # The tick then stores READY; the answers stay the same, word for word.
    assert [s.status for s in h.kit.advance_due(T).advanced] == ["READY"]
    assert h.kit.reschedules.can_request(T, session.id, role="student") == answer


def test_an_update_after_ready_fell_due_is_refused_tick_or_not(h: Harness) -> None:
    session = lesson(h)
    h.clock.set(READY_AT - timedelta(seconds=1))  # not due yet: the host may still move it
    moved = h.kit.sessions.update(T, session.id, actor="tara", start=START + timedelta(minutes=5))
    assert moved.start == START + timedelta(minutes=5)
    h.clock.set(START - timedelta(minutes=5))  # READY fell due at START - 10 min
    for change in ({"start": LATER}, {"title": "Hifz"}):
        with pytest.raises(SessionLocked) as locked:
            h.kit.sessions.update(T, session.id, actor="tara", **change)
        assert (locked.value.session_id, locked.value.reason) == (session.id, LOCKED)
    stored = h.kit.queries.get(T, session.id)
    assert (stored.status, stored.start, stored.title) == ("SCHEDULED", moved.start, "Tajweed")


def test_an_approve_after_ready_fell_due_does_not_move_the_lesson(h: Harness) -> None:
    session = lesson(h)
    h.clock.set(START - timedelta(hours=1))
    ask(h, session)
    [request] = h.kit.reschedules.for_session(T, session.id)
    assert request.deadline == READY_AT
    # As an older version stored it: answered by silence at the start, past READY.
    with h.kit.context.transaction(NOW) as tx:
        repo = tx.repository(RESCHEDULES)
        repo.update(attrs.evolve(request, deadline=START), expected_version=request.version)
    h.clock.set(START - timedelta(minutes=10))
    with pytest.raises(SessionLocked) as locked:
        h.kit.reschedules.approve(T, request.id, role="teacher", actor="tara")
    assert locked.value.reason == LOCKED
    assert h.kit.queries.get(T, session.id).start == START
    assert h.kit.reschedules.get(T, request.id).status == "PENDING"


def test_silence_at_the_ready_instant_still_moves_the_lesson(h: Harness) -> None:
    session = lesson(h)
    h.clock.set(START - timedelta(hours=1))
    ask(h, session)
    report = h.kit.approve_reschedules(now=READY_AT)  # the deadline: before READY is taken
    assert [(r.status, r.new_start) for r in report.approved] == [(AUTO_APPROVED, LATER)]
    assert h.kit.queries.get(T, session.id).start == LATER
