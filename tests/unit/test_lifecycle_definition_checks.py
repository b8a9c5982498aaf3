"""Every part of a lifecycle definition is type-checked when built, not on the first fire.

A guard that cannot be called, a timer that is a bare ``timedelta`` or a single
string where a collection belongs used to be accepted and fail later with a
bare ``TypeError`` or ``AttributeError``; each is now a ``WrongType`` (or an
``InvalidLifecycle``) naming the field, raised by the line that declared it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import attrs
import pytest

from sessionkit import TimeSpan
from sessionkit.errors import InvalidDuration, InvalidLifecycle, NotADatetime, WrongType
from sessionkit.lifecycle import (
    PRESETS,
    Lifecycle,
    LifecycleRegistry,
    Status,
    Timer,
    Transition,
    has_started,
    roles,
    when,
)
from sessionkit.recurrence import Recurrence

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
STATUSES = [Status("A", initial=True), Status("B", terminal=True)]


@attrs.frozen
class Item:
    id: str
    span: TimeSpan
    status: object = "A"


ITEM = Item("i1", TimeSpan.from_start(NOW, timedelta(hours=1)))


def build(*transitions: Transition, **options: Any) -> Lifecycle:
    return Lifecycle("probe", statuses=STATUSES, transitions=transitions, **options)


GO = build(Transition("go", "A", "B"))


def bad(value: object) -> Any:
    """Return ``value`` typed as ``Any``: the wrongly typed argument is the point of the test."""
    return value


def refused(make: Callable[[], object]) -> WrongType:
    with pytest.raises(WrongType) as info:
        make()
    return info.value


# -- Status -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"initial": "yes"}, "initial"),
        ({"terminal": None}, "terminal"),
        ({"busy": 1}, "busy"),
        ({"editable": "False"}, "editable"),
        ({"counts_usage": 0}, "counts_usage"),
        ({"cancelled": []}, "cancelled"),
        ({"no_show": "no"}, "no_show"),
        ({"description": 5}, "description"),
    ],
)
def test_status_refuses_a_wrongly_typed_field(options: dict[str, Any], field: str) -> None:
    error = refused(lambda: Status("A", **options))
    assert error.name == f"Status('A').{field}"
    assert error.value == options[field]
    assert f"Status('A').{field} must be" in str(error)


# -- Timer ------------------------------------------------------------------------------


@pytest.mark.parametrize("condition", [5, "nobody_attended", True])
def test_timer_refuses_a_condition_that_cannot_be_called(condition: object) -> None:
    def make() -> object:
        return Timer.after_start(timedelta(0), condition=bad(condition))

    error = refused(make)
    assert (error.name, error.value) == ("Timer.condition", condition)
    assert "condition(value, context)" in str(error)


def test_timer_with_condition_checks_the_new_condition() -> None:
    error = refused(lambda: Timer.after_end().with_condition(bad(5)))
    assert error.name == "Timer.condition"


@pytest.mark.parametrize(
    "make",
    [
        lambda: Timer.before_start(bad("10 min")),
        lambda: Timer.before("held_until", bad(10)),
    ],
    ids=["before_start", "before"],
)
def test_timer_before_refuses_a_delta_that_is_no_timedelta(make: Callable[[], object]) -> None:
    with pytest.raises(NotADatetime) as info:
        make()
    assert info.value.name == "delta"


@pytest.mark.parametrize(
    "make",
    [
        lambda: Timer.after_end(timedelta.max),
        lambda: Timer.before_start(timedelta(days=10**6)),
        lambda: Timer("start", timedelta(days=36_601)),
    ],
    ids=["timedelta.max", "a million days before", "a century and a day"],
)
def test_timer_refuses_an_offset_past_a_century(make: Callable[[], object]) -> None:
    # Else anchor + offset overflowed (a bare OverflowError) at the first next_due or tick.
    with pytest.raises(InvalidDuration, match="at most 36,600 days") as info:
        make()
    assert info.value.expected == "-36600 days <= offset <= 36600 days"
    assert Timer.before_start(timedelta(days=36_600)).offset == -timedelta(days=36_600)


# -- Transition -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"sources": None}, "Transition.sources"),
        ({"sources": 5}, "Transition.sources"),
        ({"sources": [["A"]]}, "Transition('go').sources[0]"),
        ({"sources": ["A", 5]}, "Transition('go').sources[1]"),
        ({"target": ["B"]}, "Transition('go').target"),
        ({"target": None}, "Transition('go').target"),
        ({"guards": "has_started"}, "Transition.guards"),
        ({"guards": 5}, "Transition.guards"),
        ({"guards": has_started}, "Transition.guards"),
        ({"guards": [5]}, "Transition('go').guards[0]"),
        ({"guards": [has_started, None]}, "Transition('go').guards[1]"),
        ({"guards": ["has_started"]}, "Transition('go').guards[0]"),
        ({"timer": timedelta(minutes=5)}, "Transition('go').timer"),
        ({"timer": 5}, "Transition('go').timer"),
        ({"timer": "start"}, "Transition('go').timer"),
        ({"description": 5}, "Transition('go').description"),
    ],
)
def test_transition_refuses_a_wrongly_typed_field(options: dict[str, Any], field: str) -> None:
    fields: dict[str, Any] = {"name": "go", "sources": "A", "target": "B"} | options
    error = refused(lambda: Transition(**fields))
    assert error.name == field
    assert str(error).startswith(f"{field} must be")


def test_a_transition_still_takes_one_status_or_several_or_enum_members() -> None:
    class Stage(StrEnum):
        A = "A"
        B = "B"

    assert Transition("go", "A", "B").sources == ("A",)
    assert Transition("go", ["A", "B"], "B", guards=(has_started,)).sources == ("A", "B")
    assert Transition("go", Stage.A, Stage.B).sources == (Stage.A,)


# -- Lifecycle --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"statuses": None}, "Lifecycle.statuses"),
        ({"statuses": "AB"}, "Lifecycle.statuses"),
        ({"statuses": STATUSES[0]}, "Lifecycle.statuses"),
        ({"statuses": [STATUSES[0], "B"]}, "Lifecycle('probe').statuses[1]"),
        ({"transitions": None}, "Lifecycle.transitions"),
        ({"transitions": "go"}, "Lifecycle.transitions"),
        ({"transitions": [("go", "A", "B")]}, "Lifecycle('probe').transitions[0]"),
        ({"scheduled": ["A"]}, "Lifecycle('probe').scheduled"),
        ({"scheduled": 5}, "Lifecycle('probe').scheduled"),
        ({"description": 5}, "Lifecycle.description"),
    ],
)
def test_lifecycle_refuses_a_wrongly_typed_part(options: dict[str, Any], field: str) -> None:
    parts: dict[str, Any] = {"statuses": STATUSES, "transitions": [Transition("go", "A", "B")]}
    error = refused(lambda: Lifecycle("probe", **(parts | options)))
    assert error.name == field
    assert str(error).startswith(f"{field} must be")


@pytest.mark.parametrize("field", [5, None, "two words", ""])
def test_lifecycle_refuses_a_field_that_names_no_attribute(field: object) -> None:
    with pytest.raises(InvalidLifecycle) as info:
        build(Transition("go", "A", "B"), field=field)
    assert (info.value.problem, info.value.subject) == ("invalid_field", field)
    assert f"field {field!r} must be an identifier" in str(info.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"guards": [None]}, "Transition('go').guards[0]"),
        ({"guards": [5]}, "Transition('go').guards[0]"),
        ({"guards": "has_started"}, "Transition.guards"),
        ({"guards": 5}, "Transition.guards"),
        ({"timer": 5}, "Transition('go').timer"),
        ({"timer": timedelta(minutes=5)}, "Transition('go').timer"),
        ({"timer": "later"}, "Transition('go').timer"),
        ({"description": 5}, "Transition('go').description"),
    ],
)
def test_replace_transition_refuses_a_wrongly_typed_part(
    changes: dict[str, Any], field: str
) -> None:
    error = refused(lambda: GO.replace_transition("go", **changes))
    assert error.name == field


def test_replace_transition_still_keeps_sets_and_drops_the_timer() -> None:
    timed = GO.replace_transition("go", timer=Timer.after_end(), guards=(has_started,))
    assert timed.transition("go").timer == Timer.after_end()
    assert timed.replace_transition("go", timer="keep").transition("go").timer == Timer.after_end()
    assert timed.replace_transition("go").transition("go").guards == (has_started,)
    assert timed.replace_transition("go", timer=None).transition("go").timer is None


# -- the registry and the guard builders ------------------------------------------------


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: LifecycleRegistry(bad(None)), "lifecycles"),
        (lambda: LifecycleRegistry(bad("lms")), "lifecycles"),
        (lambda: LifecycleRegistry([GO, bad("lms")]), "lifecycles[1]"),
        (lambda: PRESETS.with_lifecycle(bad(5)), "lifecycles[6]"),
    ],
)
def test_registry_refuses_what_is_no_lifecycle(make: Callable[[], object], field: str) -> None:
    assert refused(make).name == field


def test_registry_membership_of_an_unhashable_name_is_false() -> None:
    assert ["lms"] not in PRESETS
    assert "lms" in PRESETS


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: roles(bad(["coach", "admin"])), "roles()[0]"),
        (lambda: roles("coach", bad(None)), "roles()[1]"),
        (lambda: when(bad(5), reason="no", label="x"), "when(predicate)"),
        (lambda: when(lambda s, now: True, reason=bad(5), label="x"), "when(reason)"),
        (lambda: when(lambda s, now: True, reason="no", label=bad(None)), "when(label)"),
    ],
)
def test_guard_builders_refuse_wrongly_typed_arguments(
    make: Callable[[], object], field: str
) -> None:
    assert refused(make).name == field


# -- at run time ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ask",
    [
        lambda value: GO.allowed(value, now=NOW),
        lambda value: GO.can(value, "go", now=NOW),
        lambda value: GO.fire(value, "go", now=NOW),
        lambda value: GO.next_due(value),
        lambda value: GO.advance(value, NOW),
    ],
    ids=["allowed", "can", "fire", "next_due", "advance"],
)
@pytest.mark.parametrize("status", [["A"], {"A": 1}, None, 5])
def test_a_value_whose_status_is_no_name_is_wrong_type(
    ask: Callable[[Item], object], status: object
) -> None:
    error = refused(lambda: ask(attrs.evolve(ITEM, status=status)))
    assert (error.name, error.value) == ("Item.status", status)
    assert "a status name of lifecycle 'probe'" in str(error)


# -- recurrence EXDATEs and RDATEs ------------------------------------------------------


@pytest.mark.parametrize("field", ["exdates", "rdates"])
@pytest.mark.parametrize("bad", [None, "2026-03-03", date(2026, 3, 3), 5])
def test_recurrence_dates_must_be_a_collection(field: str, bad: object) -> None:
    def make() -> object:
        options: dict[str, Any] = {field: bad}
        return Recurrence.from_rrule(
            "FREQ=DAILY;COUNT=3",
            start=datetime(2026, 3, 2, 9),
            tz="Europe/Berlin",
            duration=timedelta(hours=1),
            **options,
        )

    error = refused(make)
    assert (error.name, error.value) == (field, bad)
    assert "() for none" in str(error)
