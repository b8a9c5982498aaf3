"""Slips a user declaring lifecycles makes are refused at once, naming what was wrong.

Found following docs/lifecycle.md as a new user: a registry given two lifecycles of one
name kept the last silently, and ``roles()`` with no role built a guard that refused
everyone.
"""

from __future__ import annotations

import attrs
import pytest

from sessionkit.errors import InvalidValue
from sessionkit.lifecycle import (
    PRESETS,
    Lifecycle,
    LifecycleRegistry,
    Status,
    Transition,
    guard_roles,
    roles,
)

# -- the lifecycle registry: one lifecycle per name --------------------------------------


def _parking(target: str = "DONE") -> Lifecycle:
    return Lifecycle(
        "parking",
        statuses=[Status("OPEN", initial=True), Status(target, terminal=True)],
        transitions=[Transition("close", "OPEN", target)],
    )


def test_a_registry_of_two_lifecycles_of_one_name_is_refused() -> None:
    with pytest.raises(InvalidValue) as refused:
        LifecycleRegistry([_parking(), _parking("CLOSED")])
    assert refused.value.value == "parking"
    assert str(refused.value).startswith("two lifecycles are called 'parking'")
    assert isinstance(refused.value, ValueError)


def test_the_same_lifecycle_twice_is_one_entry() -> None:
    parking = _parking()
    registry = LifecycleRegistry([parking, parking])
    assert (list(registry), registry.get("parking")) == (["parking"], parking)


def test_with_lifecycle_still_replaces_one_of_the_same_name_in_its_place() -> None:
    own = PRESETS.with_lifecycle(_parking())
    replaced = own.with_lifecycle(_parking("CLOSED"))
    assert list(replaced) == [*PRESETS, "parking"]
    assert replaced.get("parking").terminal_statuses == frozenset({"CLOSED"})
    lms = attrs.evolve(PRESETS.get("lms"), description="mine")
    mine = PRESETS.with_lifecycle(lms)
    assert (list(mine), mine.get("lms").description) == (list(PRESETS), "mine")


# -- roles() with no role ------------------------------------------------------------------


def test_roles_with_no_role_is_refused() -> None:
    with pytest.raises(InvalidValue) as refused:
        roles()
    assert refused.value.value == ()
    assert "roles() names no role" in str(refused.value)


def test_roles_with_a_role_still_builds_a_guard() -> None:
    assert guard_roles([roles("coach", "admin")]) == frozenset({"coach", "admin"})
