"""AttendancePolicy checks every field when it is built, not at the first record_presence."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.attendance import AttendanceThresholds
from sessionkit.services.attendance import AttendancePolicy
from sessionkit.services.rooms import JoinRules


@pytest.mark.parametrize("value", [5, True, b"start", ["start"], object()])
def test_a_join_transition_that_is_not_a_name_is_refused_when_built(value: object) -> None:
    with pytest.raises(WrongType) as refused:
        AttendancePolicy(join_transition=value)  # type: ignore[arg-type]  # the point
    assert (refused.value.name, refused.value.value) == ("join_transition", value)
    assert isinstance(refused.value, TypeError)
    assert "join_transition" in str(refused.value)


@pytest.mark.parametrize("value", ["", "start now", " start", "start\x00", "9lives", "a" * 65])
def test_a_join_transition_no_lifecycle_can_have_is_refused_when_built(value: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        AttendancePolicy(join_transition=value)
    assert refused.value.value == value
    assert "AttendancePolicy.join_transition" in str(refused.value)
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize("value", [None, "start", "begin_lesson", "a" * 64])
def test_a_join_transition_name_or_none_is_kept(value: str | None) -> None:
    assert AttendancePolicy(join_transition=value).join_transition == value


@pytest.mark.parametrize("value", [5, None, "late_after=5", {"late_after": 5}])
def test_thresholds_must_be_attendance_thresholds(value: object) -> None:
    with pytest.raises(WrongType) as refused:
        AttendancePolicy(thresholds=value)  # type: ignore[arg-type]  # the wrong type is the point
    assert (refused.value.name, refused.value.value) == ("thresholds", value)
    assert "AttendanceThresholds" in str(refused.value)


def test_attendee_kinds_must_be_kinds_a_resource_can_have() -> None:
    with pytest.raises(WrongType) as wrong:
        AttendancePolicy(attendee_kinds=5)
    assert (wrong.value.name, wrong.value.value) == ("attendee_kinds", 5)
    for bad in ["", "teacher ", "room:1", "te\tacher"]:
        with pytest.raises(InvalidValue) as refused:
            AttendancePolicy(attendee_kinds={bad})
        assert refused.value.value == bad
        assert "attendee_kinds" in str(refused.value)
    assert AttendancePolicy(attendee_kinds="coach").attendee_kinds == frozenset({"coach"})


def test_join_must_be_join_rules() -> None:
    with pytest.raises(WrongType) as refused:
        AttendancePolicy(join={"buffer": timedelta(0)})  # type: ignore[arg-type]  # the point
    assert refused.value.name == "join"


def test_evolve_is_checked_too() -> None:
    policy = AttendancePolicy()
    with pytest.raises(WrongType):
        attrs.evolve(policy, join_transition=5)  # type: ignore[arg-type]  # the point
    with pytest.raises(WrongType):
        attrs.evolve(policy, thresholds=5)  # type: ignore[arg-type]  # the point


def test_the_defaults_and_good_values_are_kept() -> None:
    policy = AttendancePolicy(
        thresholds=AttendanceThresholds(late_after=timedelta(minutes=10)),
        join_transition="start",
        attendee_kinds={"coach", "student"},
        join=JoinRules(joinable={"SCHEDULED"}),
    )
    assert policy.thresholds.late_after == timedelta(minutes=10)
    assert policy.attendee_kinds == frozenset({"coach", "student"})
    default = AttendancePolicy()
    assert (default.join_transition, default.attendee_kinds) == ("start", frozenset())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("late_after", 5),
        ("left_early_before", timedelta(seconds=-1)),
        ("absent_below", "1m"),
        ("partial_below", 75),
    ],
)
def test_a_bad_threshold_is_named(field: str, value: object) -> None:
    # "an attendance threshold must be ..." left the host to guess which of the four it was
    with pytest.raises(InvalidValue, match=rf"^AttendanceThresholds\.{field} must be ") as bad:
        AttendanceThresholds(**{field: value})
    assert bad.value.value == value


def test_thresholds_are_importable_beside_the_policy() -> None:
    from sessionkit.services import attendance

    assert attendance.AttendanceThresholds is AttendanceThresholds
