"""fire, allowed and can: transitions by hand on immutable session values."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import attrs
import pytest

from sessionkit import TimeSpan
from sessionkit.errors import (
    InvalidTransition,
    InvalidValue,
    NaiveDatetime,
    NotADatetime,
    TransitionRefused,
    UnknownStatus,
    UnknownTransitionName,
)
from sessionkit.lifecycle import (
    Lifecycle,
    Status,
    StatusChanged,
    Transition,
    Verdict,
    has_started,
    roles,
)
from sessionkit.lifecycles import consulting, consulting_payment, lms

START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
SPAN = TimeSpan.from_start(START, timedelta(hours=1))


@attrs.frozen
class Lesson:
    id: str
    span: TimeSpan
    status: str = "SCHEDULED"
    payment_status: str = "PENDING"
    title: str = "Organic Chemistry Intro"


def test_fire_returns_a_changed_copy_and_the_event() -> None:
    lesson = Lesson("s1", SPAN)
    started, event = lms.fire(lesson, "start", now=START, actor="teacher-7", role="teacher")
    assert lesson.status == "SCHEDULED"  # never mutated
    assert started == attrs.evolve(lesson, status="CONDUCTING")
    assert event == StatusChanged(
        session_id="s1",
        lifecycle="lms",
        transition="start",
        from_status="SCHEDULED",
        to_status="CONDUCTING",
        at=START,
        actor="teacher-7",
        role="teacher",
        reason=None,
        timed=False,
    )


def test_event_time_is_normalised_to_utc() -> None:
    berlin = START.astimezone(ZoneInfo("Europe/Berlin"))
    _, event = lms.fire(Lesson("s1", SPAN), "cancel", now=berlin, reason="teacher ill")
    assert event.at == START
    assert event.at.tzinfo is UTC
    assert event.reason == "teacher ill"


def test_events_are_frozen_values() -> None:
    _, event = lms.fire(Lesson("s1", SPAN), "start", now=START)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.to_status = "FINISHED"  # type: ignore[misc]
    assert hash(event) == hash(attrs.evolve(event))


def test_invalid_transition_carries_session_status_and_allowed_names() -> None:
    finished = Lesson("s1", SPAN, status="CONDUCTING")
    with pytest.raises(InvalidTransition) as info:
        lms.fire(finished, "start", now=START)
    error = info.value
    assert error.session_id == "s1"
    assert error.status == "CONDUCTING"
    assert error.transition == "start"
    assert error.allowed == ("finish", "cancel")
    assert str(error) == (
        "cannot 'start' session 's1' in status 'CONDUCTING'; allowed now: finish, cancel"
    )


def test_unknown_transition_name_is_an_invalid_transition() -> None:
    with pytest.raises(InvalidTransition) as info:
        lms.fire(Lesson("s1", SPAN), "teleport", now=START)
    assert info.value.transition == "teleport"
    assert info.value.allowed == ("start", "cancel")


def test_nothing_is_allowed_from_a_terminal_status() -> None:
    with pytest.raises(InvalidTransition) as info:
        lms.fire(Lesson("s1", SPAN, status="CANCELED"), "cancel", now=START)
    assert info.value.allowed == ()
    assert str(info.value).endswith("allowed now: none")


GUARDED = Lifecycle(
    "guarded",
    statuses=[Status("SCHEDULED", initial=True), Status("DONE", terminal=True)],
    transitions=[
        Transition("complete", "SCHEDULED", "DONE", guards=[roles("coach"), has_started]),
        Transition("drop", "SCHEDULED", "DONE"),
    ],
)


def test_failing_guard_raises_transition_refused_with_its_reason() -> None:
    lesson = Lesson("s1", SPAN)
    with pytest.raises(TransitionRefused) as info:
        GUARDED.fire(lesson, "complete", now=START - timedelta(minutes=1), role="coach")
    error = info.value
    assert error.session_id == "s1"
    assert error.status == "SCHEDULED"
    assert error.transition == "complete"
    assert error.reason == (
        "the session has not started yet (it starts at 2026-03-02T17:00:00+00:00)"
    )
    assert error.guard is has_started
    assert str(error) == ("cannot 'complete' session 's1' in status 'SCHEDULED': " + error.reason)


def test_first_refusing_guard_wins() -> None:
    with pytest.raises(TransitionRefused) as info:
        GUARDED.fire(Lesson("s1", SPAN), "complete", now=START, role="student")
    assert info.value.reason == "role 'student' may not do this; allowed roles: coach"


def test_guards_that_pass_let_the_transition_fire() -> None:
    done, event = GUARDED.fire(Lesson("s1", SPAN), "complete", now=START, role="coach")
    assert (done.status, event.role) == ("DONE", "coach")


def test_allowed_asks_the_guards() -> None:
    lesson = Lesson("s1", SPAN)
    assert GUARDED.allowed(lesson, now=START, role="coach") == ("complete", "drop")
    assert GUARDED.allowed(lesson, now=START, role="student") == ("drop",)
    assert GUARDED.allowed(attrs.evolve(lesson, status="DONE"), now=START) == ()


def test_invalid_transition_lists_only_what_the_guards_allow() -> None:
    with pytest.raises(InvalidTransition) as info:
        GUARDED.fire(Lesson("s1", SPAN), "nope", now=START, role="student")
    assert info.value.allowed == ("drop",)


def test_can_answers_without_raising() -> None:
    lesson = Lesson("s1", SPAN)
    assert GUARDED.can(lesson, "complete", now=START, role="coach") == Verdict.yes()
    assert GUARDED.can(lesson, "complete", now=START) == Verdict.no(
        "a role is required; allowed roles: coach"
    )
    assert GUARDED.can(lesson, "nope", now=START) == Verdict.no(
        "'nope' is not possible from 'SCHEDULED'"
    )


def test_naive_now_is_rejected() -> None:
    naive = datetime(2026, 3, 2, 17, 0)
    with pytest.raises(NaiveDatetime) as info:
        lms.fire(Lesson("s1", SPAN), "start", now=naive)
    assert info.value.name == "now"
    assert info.value.value == naive
    for call in (
        lambda: lms.allowed(Lesson("s1", SPAN), now=naive),
        lambda: lms.can(Lesson("s1", SPAN), "start", now=naive),
        lambda: lms.advance(Lesson("s1", SPAN), naive),
    ):
        with pytest.raises(NaiveDatetime):
            call()


def test_now_must_be_a_datetime() -> None:
    with pytest.raises(NotADatetime) as info:
        lms.fire(Lesson("s1", SPAN), "start", now="2026-03-02T17:00Z")  # type: ignore[arg-type]
    assert info.value.name == "now"


def test_unknown_current_status_is_reported() -> None:
    with pytest.raises(InvalidValue) as info:
        lms.fire(Lesson("s1", SPAN, status="ARCHIVED"), "start", now=START)
    assert info.value.value == "ARCHIVED"
    assert info.value.expected == "SCHEDULED, CONDUCTING, FINISHED, CANCELED"
    # The value is named, and the way out: a lifecycle changed under stored sessions.
    assert str(info.value).startswith(
        "Lesson 's1' is in status 'ARCHIVED', which is not a status of lifecycle 'lms'; "
        "a lifecycle changed under stored values must keep the statuses they are in"
    )


class PlainSession:
    def __init__(self) -> None:
        self.id = "p1"
        self.span = SPAN
        self.status = "SCHEDULED"


def test_values_that_cannot_be_copied_are_refused() -> None:
    with pytest.raises(InvalidValue) as info:
        lms.fire(PlainSession(), "start", now=START)
    assert info.value.expected == "an attrs instance with id, span and a status field"
    assert "got PlainSession" in str(info.value)


@attrs.frozen
class NoStatus:
    id: str
    span: TimeSpan


def test_a_session_without_the_status_field_is_refused() -> None:
    with pytest.raises(InvalidValue) as info:
        lms.fire(NoStatus("n1", SPAN), "start", now=START)
    assert info.value.expected == "a 'status' field"


@dataclasses.dataclass(frozen=True)
class DataLesson:
    id: int
    span: TimeSpan
    status: str


def test_dataclasses_work_too() -> None:
    lesson = DataLesson(5, SPAN, "SCHEDULED")
    started, event = lms.fire(lesson, "start", now=START)
    assert started == DataLesson(5, SPAN, "CONDUCTING")
    assert event.session_id == 5


class Phase(StrEnum):
    PLANNED = "PLANNED"
    HELD = "HELD"


ENUM_LIFECYCLE = Lifecycle(
    "enum",
    statuses=[Status(Phase.PLANNED, initial=True), Status(Phase.HELD, terminal=True)],
    transitions=[Transition("hold", Phase.PLANNED, Phase.HELD)],
)


@attrs.frozen
class EnumLesson:
    id: str
    span: TimeSpan
    status: Phase = Phase.PLANNED


def test_strenum_statuses_are_kept_as_enum_members() -> None:
    held, event = ENUM_LIFECYCLE.fire(EnumLesson("e1", SPAN), "hold", now=START)
    assert held.status is Phase.HELD
    assert event.to_status is Phase.HELD
    assert event.to_status == "HELD"
    assert ENUM_LIFECYCLE.initial == "PLANNED"


def test_plain_string_status_works_with_an_enum_lifecycle() -> None:
    lesson = Lesson("s1", SPAN, status="PLANNED")
    held, event = ENUM_LIFECYCLE.fire(lesson, "hold", now=START)
    assert held.status is Phase.HELD
    assert event.from_status is Phase.PLANNED


def test_a_lifecycle_on_another_field_leaves_status_alone() -> None:
    lesson = Lesson("c1", SPAN, status="CONFIRMED")
    paid, event = consulting_payment.fire(lesson, "pay", now=START)
    assert (paid.status, paid.payment_status) == ("CONFIRMED", "PAID")
    assert (event.lifecycle, event.from_status, event.to_status) == (
        "consulting_payment",
        "PENDING",
        "PAID",
    )
    done, _ = consulting.fire(paid, "complete", now=START)
    assert (done.status, done.payment_status) == ("COMPLETED", "PAID")


def test_replace_transition_changes_guards_and_revalidates() -> None:
    strict = lms.replace_transition("start", guards=[has_started])
    assert strict.transition("start").guards == (has_started,)
    assert lms.transition("start").guards == ()
    with pytest.raises(TransitionRefused):
        strict.fire(Lesson("s1", SPAN), "start", now=START - timedelta(seconds=1))
    assert strict.transition("cancel").sources == ("SCHEDULED", "CONDUCTING")
    assert strict.replace_transition("start", guards=[]) == lms


def test_reading_the_definition() -> None:
    assert lms.status("FINISHED").counts_usage is True
    assert lms.transition("cancel").target == "CANCELED"
    assert [t.name for t in lms.transitions_from("CONDUCTING")] == ["finish", "cancel"]
    assert lms.reachable_from("CONDUCTING") == {"CONDUCTING", "FINISHED", "CANCELED"}
    assert lms.reachable_from("FINISHED") == {"FINISHED"}
    assert lms.terminal_statuses == {"FINISHED", "CANCELED"}
    assert lms.busy_statuses == {"SCHEDULED", "CONDUCTING", "FINISHED"}
    assert lms.editable_statuses == {"SCHEDULED"}
    assert lms.usage_statuses == {"FINISHED"}
    assert (
        repr(lms) == "<Lifecycle 'lms': SCHEDULED, CONDUCTING, FINISHED, CANCELED; 3 transitions>"
    )


def test_looking_up_unknown_names() -> None:
    with pytest.raises(UnknownStatus) as status_info:
        lms.status("NOPE")
    assert status_info.value.value == "NOPE"
    with pytest.raises(UnknownTransitionName) as transition_info:
        lms.transition("nope")
    assert transition_info.value.expected == "start, finish, cancel"
    with pytest.raises(InvalidValue):
        lms.transitions_from("NOPE")
    with pytest.raises(UnknownStatus):
        lms.reachable_from("NOPE")
