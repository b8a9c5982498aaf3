"""A late approve's move is silence's: dated at the deadline and credited to no one.

An approve after a request's deadline may only agree with what silence answered there, and
its move is judged and dated as at the deadline. It was credited to the late approver: the
session's ``SessionUpdated``, its ``updated_by`` and the journal said Cleo moved the lesson
at 08:00, half an hour before she acted. Now the move reads as the tick's does (no actor,
at the deadline) and Cleo's own entries are her approve and what it did when she gave it.
"""

from __future__ import annotations

import pytest

from sessionkit.model.events import SessionUpdated
from sessionkit.model.reschedule import APPROVED
from sessionkit.policies import coaching_notice
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on
from .test_expiry_report_moves import AFTER, DEADLINE, MOVED, NOW, RULES, RUNS_OUT, T, moving


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_late_approve_leaves_the_move_to_silence(store: str) -> None:
    events = RecordingPublisher()
    kit = kit_on(
        STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES, journal=True
    )
    session_id, _, _ = moving(kit, "hold", RUNS_OUT["after"])
    [asked] = kit.reschedules.for_session(T, session_id)
    approved = kit.reschedules.approve(T, asked.id, role="coach", actor="cleo", now=AFTER)
    assert (approved.status, approved.decided_by, approved.new_start) == (APPROVED, "cleo", MOVED)
    [move] = events.of_type(SessionUpdated)
    assert (move.actor, move.at, move.session.updated_by) == (None, DEADLINE, None)
    assert kit.queries.get(T, session_id).updated_by is None
    assert {b.updated_by for b in kit.bookings.for_session(T, session_id)} == {None, "cleo"}
    cleos = kit.journal.for_session(T, session_id, actor="cleo", since=DEADLINE)
    assert [(e.subject, e.transition, e.at) for e in cleos] == [
        ("reschedule", "approve", AFTER),
        ("booking", "offer", AFTER),  # Dan is offered the seat of Cai's hold, run out since
    ]
    moved = [e for e in kit.journal.for_session(T, session_id) if e.at == DEADLINE]
    assert {e.actor for e in moved} == {None}
