"""A status its lifecycle does not let move, final or not, refuses reschedule requests.

Such a request could never be applied: ``approve`` raises ``SessionLocked``
and silence lets it expire. ``request``, ``can_request`` and ``options`` say
so alike (rule ``"not_reschedulable"``, ``allows_at`` ``None``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import RescheduleRefused
from sessionkit.lifecycle import Lifecycle, Status, Transition
from sessionkit.lifecycle.presets import PRESETS
from sessionkit.model import Session
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = datetime(2026, 3, 6, 10, tzinfo=UTC)
REASON = "I have an exam that morning"

held = Lifecycle(
    "held",
    statuses=[
        Status("SCHEDULED", initial=True, busy=True, editable=True),
        Status("HELD", busy=True),
        Status("DONE", terminal=True, busy=True),
    ],
    transitions=[
        Transition("hold", "SCHEDULED", "HELD"),
        Transition("release", "HELD", "SCHEDULED"),
        Transition("finish", "HELD", "DONE"),
    ],
)
"""A custom lifecycle whose HELD locks a session's time until it is released."""


def create(h: Harness, lifecycle: str, start: datetime = START) -> Session:
    return h.kit.sessions.create_extra(
        T,
        actor="hal",
        title="Maths",
        lifecycle=lifecycle,
        start=start,
        end=start + timedelta(hours=1),
        capacity=1,
    )


def assert_not_reschedulable(h: Harness, session: Session, locked: str) -> None:
    """``request``, ``can_request`` and ``options`` all refuse ``session``, in ``locked``."""
    assert h.kit.queries.get(T, session.id).status == locked
    reason = f"session {session.id!r} cannot be moved: its status {locked!r} is not editable"
    with pytest.raises(RescheduleRefused) as refused:
        h.kit.reschedules.request(
            T,
            session.id,
            role="student",
            actor="ana",
            reason=REASON,
            proposed_start=session.start + timedelta(days=1),
        )
    assert (refused.value.rule, refused.value.allows_at) == ("not_reschedulable", None)
    assert refused.value.reason.startswith(reason)
    assert h.kit.reschedules.for_session(T, session.id) == []  # nothing written
    answer = h.kit.reschedules.can_request(T, session.id, role="student")
    assert answer is not None
    assert (answer.rule, answer.allows_at) == ("not_reschedulable", None)
    assert answer.reason == refused.value.reason
    shown = h.kit.reschedules.options(T, session.id, role="student")
    assert (shown.reschedule, shown.reschedule_until) == (answer, None)


def test_an_lms_session_conducting_refuses_requests() -> None:
    h = Harness.in_memory(NOW, id_prefix="x")
    session = create(h, "lms")
    h.kit.sessions.fire(T, session.id, "start", actor="hal")  # started early, by the host
    assert_not_reschedulable(h, session, "CONDUCTING")


def test_an_academy_session_ready_refuses_requests() -> None:
    start = NOW + timedelta(hours=10)
    h = Harness.in_memory(NOW, id_prefix="x")
    session = create(h, "academy", start)
    h.clock.set(start - timedelta(minutes=10))  # READY 15 minutes before its start
    assert [s.status for s in h.kit.advance_due(T).advanced] == ["READY"]
    assert_not_reschedulable(h, session, "READY")


def test_a_marketplace_slot_in_progress_refuses_requests() -> None:
    h = Harness.in_memory(NOW, id_prefix="x")
    session = create(h, "marketplace")
    h.kit.sessions.fire(T, session.id, "start", actor="tina", role="provider")
    assert_not_reschedulable(h, session, "IN_PROGRESS")


def test_a_custom_status_locks_requests_until_its_session_may_move_again() -> None:
    h = Harness.in_memory(NOW, id_prefix="x", lifecycles=PRESETS.with_lifecycle(held))
    session = create(h, "held")
    h.kit.sessions.fire(T, session.id, "hold", actor="hal")
    assert_not_reschedulable(h, session, "HELD")
    h.kit.sessions.fire(T, session.id, "release", actor="hal")  # movable again: asked and moved
    assert h.kit.reschedules.can_request(T, session.id, role="student") is None
    moved_to = START + timedelta(days=1)
    asked = h.kit.reschedules.request(
        T, session.id, role="student", actor="ana", reason=REASON, proposed_start=moved_to
    )
    approved = h.kit.reschedules.approve(T, asked.id, role="host", actor="hal")
    assert (approved.status, approved.new_start) == ("APPROVED", moved_to)
    assert h.kit.queries.get(T, session.id).start == moved_to
