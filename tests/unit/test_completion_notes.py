"""Completion with notes (issue 13): either side completes after the start, notes are bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import InvalidValue, RescheduleNotFound, TransitionRefused, WrongType
from sessionkit.lifecycle import Transition
from sessionkit.lifecycle.presets import coaching
from sessionkit.model import ResourceRef, Session
from sessionkit.model.events import SessionStatusChanged
from sessionkit.model.fields import MAX_NOTES_LENGTH
from sessionkit.policies import coaching_notice
from sessionkit.testing.harness import Harness

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
START = NOW + timedelta(days=3)


def _lesson(h: Harness, lifecycle: str = "coaching") -> Session:
    return h.kit.sessions.create_extra(
        "acme",
        actor="cleo",
        title="Maths",
        lifecycle=lifecycle,
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
    )


@pytest.mark.parametrize("role", ["student", "coach"])
def test_either_side_completes_after_the_start_and_its_notes_are_its_own_field(role: str) -> None:
    h = Harness.in_memory(NOW)
    lesson = _lesson(h)
    with pytest.raises(TransitionRefused, match="has not started"):
        h.kit.sessions.fire("acme", lesson.id, "complete", actor="x", role=role, notes="early")
    assert h.kit.queries.get("acme", lesson.id).metadata == {}
    h.clock.set(START + timedelta(minutes=61))
    done = h.kit.sessions.fire(
        "acme", lesson.id, "complete", actor="x", role=role, notes="Fractions: done"
    )
    assert done.status == "COMPLETED"
    ended = (START + timedelta(minutes=61)).isoformat()  # when it entered COMPLETED
    assert done.metadata == {f"{role}_notes": "Fractions: done", "sealed_at": ended}
    assert h.kit.queries.get("acme", lesson.id).metadata == done.metadata
    event = h.events.events[-1]
    assert isinstance(event, SessionStatusChanged)
    assert event.session.metadata == done.metadata


def test_notes_without_a_role_are_notes_and_other_fields_are_kept() -> None:
    h = Harness.in_memory(NOW)
    lesson = _lesson(h)
    h.kit.sessions.set_fields("acme", lesson.id, actor="cleo", set={"topic": "algebra"})
    h.clock.set(START + timedelta(minutes=5))
    done = h.kit.sessions.fire("acme", lesson.id, "complete", actor="admin", notes="")
    ended = (START + timedelta(minutes=5)).isoformat()
    assert done.metadata == {"topic": "algebra", "notes": "", "sealed_at": ended}


def test_notes_are_bounded_and_a_refusal_writes_nothing() -> None:
    h = Harness.in_memory(NOW)
    lesson = _lesson(h)
    h.clock.set(START + timedelta(minutes=5))
    longest = "n" * MAX_NOTES_LENGTH
    # Both numbers grouped, as the other length messages group them (was "2000 ... 2001").
    with pytest.raises(InvalidValue) as error:
        h.kit.sessions.fire("acme", lesson.id, "complete", actor="a", notes=longest + "n")
    assert str(error.value) == "notes are at most 2,000 characters, got 2,001"
    assert error.value.expected == "a string of at most 2,000 characters"
    with pytest.raises(InvalidValue, match="notes must be a string") as error:
        h.kit.sessions.fire("acme", lesson.id, "complete", actor="a", notes=42)  # type: ignore[arg-type]
    assert error.value.expected == "a string of at most 2,000 characters"
    # The coaching preset's complete takes the seed's 1,000 (Transition(max_notes=1000)).
    with pytest.raises(InvalidValue, match="'complete' are at most 1,000 characters") as error:
        h.kit.sessions.fire("acme", lesson.id, "complete", actor="a", notes="n" * 1001)
    assert error.value.value == "1,001 characters"
    assert h.kit.queries.get("acme", lesson.id).status == "SCHEDULED"
    done = h.kit.sessions.fire(
        "acme", lesson.id, "complete", actor="a", role="coach", notes="n" * 1000
    )
    assert done.metadata["coach_notes"] == "n" * 1000


def test_a_transition_without_max_notes_takes_sessionkit_s_bound() -> None:
    h = Harness.in_memory(NOW)
    lesson = _lesson(h, lifecycle="consulting")
    h.kit.sessions.fire("acme", lesson.id, "confirm", actor="a")
    h.clock.set(START + timedelta(minutes=61))  # consulting completes only once started
    longest = "n" * MAX_NOTES_LENGTH
    done = h.kit.sessions.fire("acme", lesson.id, "complete", actor="a", notes=longest)
    assert done.metadata["notes"] == longest


@pytest.mark.parametrize(("bound", "error"), [(0, InvalidValue), ("10", WrongType)])
def test_a_transition_s_max_notes_is_checked_when_made(bound: object, error: type) -> None:
    with pytest.raises(error, match="max_notes"):
        Transition("complete", "A", "B", max_notes=bound)  # type: ignore[arg-type]


def test_reschedule_reads_give_a_sessions_history() -> None:
    h = Harness.in_memory(NOW, notice=coaching_notice())
    lesson = _lesson(h)
    assert h.kit.reschedules.for_session("acme", lesson.id) == []
    asked = h.kit.reschedules.request(
        "acme", lesson.id, role="student", actor="ana", reason="I have an exam that day"
    )
    h.kit.reschedules.decline("acme", asked.id, role="coach", actor="cleo")
    again = h.kit.reschedules.request(
        "acme", lesson.id, role="student", actor="ana", reason="Still the exam, sorry"
    )
    history = h.kit.reschedules.for_session("acme", lesson.id)
    assert [(r.id, r.status) for r in history] == [(asked.id, "DECLINED"), (again.id, "PENDING")]
    assert h.kit.reschedules.get("acme", again.id) == again
    with pytest.raises(RescheduleNotFound):
        h.kit.reschedules.get("other", again.id)


def test_a_copy_of_a_preset_takes_its_own_notes_bound() -> None:
    shorter = coaching.replace_transition("complete", max_notes=500)
    assert (
        shorter.transition("complete").max_notes,
        coaching.transition("complete").max_notes,
    ) == (
        500,
        1000,
    )
    assert (
        coaching.replace_transition("complete", max_notes=None).transition("complete").max_notes
        is None
    )
    assert shorter.replace_transition("complete").transition("complete").max_notes == 500  # kept
