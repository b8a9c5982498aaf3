"""A lifecycle definition is checked when built; each unsound shape names its problem."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionkit.errors import InvalidLifecycle, LifecycleError
from sessionkit.lifecycle import ANY, Lifecycle, Status, Timer, Transition, has_started, roles
from sessionkit.lifecycles import marketplace


def build(statuses: list[Status], transitions: list[Transition]) -> Lifecycle:
    return Lifecycle("probe", statuses=statuses, transitions=transitions)


def failure(statuses: list[Status], transitions: list[Transition]) -> InvalidLifecycle:
    with pytest.raises(InvalidLifecycle) as info:
        build(statuses, transitions)
    return info.value


A = Status("A", initial=True)
B = Status("B")
END = Status("END", terminal=True)


def test_a_sound_definition_builds_and_expands_nothing() -> None:
    lifecycle = build([A, B, END], [Transition("go", "A", "B"), Transition("stop", "B", "END")])
    assert lifecycle.initial == "A"
    assert [t.sources for t in lifecycle.transitions] == [("A",), ("B",)]


def test_no_statuses() -> None:
    error = failure([], [])
    assert (error.problem, error.subject) == ("no_statuses", None)
    assert "declares no statuses" in str(error)


def test_no_initial_status() -> None:
    error = failure([Status("A"), END], [Transition("stop", "A", "END")])
    assert error.problem == "no_initial"
    assert "initial=True" in str(error)


def test_several_initial_statuses() -> None:
    error = failure(
        [A, Status("B", initial=True), END],
        [Transition("stop", ["A", "B"], "END")],
    )
    assert (error.problem, error.subject) == ("several_initial", ("A", "B"))


def test_duplicate_status() -> None:
    error = failure([A, Status("A"), END], [Transition("stop", "A", "END")])
    assert (error.problem, error.subject) == ("duplicate_status", "A")


def test_duplicate_transition_name() -> None:
    error = failure(
        [A, B, END],
        [Transition("go", "A", "B"), Transition("go", "B", "END")],
    )
    assert (error.problem, error.subject) == ("duplicate_transition", "go")


@pytest.mark.parametrize("name", ["", "two words", "1st", "dash-ed"])
def test_status_names_must_be_identifiers(name: str) -> None:
    error = failure([Status(name, initial=True, terminal=True)], [])
    assert (error.problem, error.subject) == ("invalid_name", name)


def test_transition_names_must_be_identifiers() -> None:
    error = failure([A, END], [Transition("go now", "A", "END")])
    assert (error.problem, error.subject) == ("invalid_name", "go now")


def test_unknown_target_status() -> None:
    error = failure([A, END], [Transition("go", "A", "NOWHERE")])
    assert (error.problem, error.subject) == ("unknown_status", ("go", "NOWHERE"))
    assert "unknown status 'NOWHERE'" in str(error)


def test_unknown_source_status() -> None:
    error = failure([A, END], [Transition("go", ["A", "GHOST"], "END")])
    assert (error.problem, error.subject) == ("unknown_status", ("go", "GHOST"))


def test_no_sources() -> None:
    error = failure([A, END], [Transition("go", "A", "END"), Transition("never", [], "END")])
    assert (error.problem, error.subject) == ("no_sources", "never")


def test_any_that_matches_nothing_is_no_sources() -> None:
    # ANY excludes terminal statuses and the target, so only A is left for the
    # first transition; for one whose target is A's only peer nothing is left.
    error = failure(
        [Status("A", initial=True), END],
        [Transition("stop", "A", "END"), Transition("loop", ANY, "A")],
    )
    assert (error.problem, error.subject) == ("no_sources", "loop")


def test_transition_out_of_terminal() -> None:
    error = failure([A, END], [Transition("stop", "A", "END"), Transition("undo", "END", "A")])
    assert (error.problem, error.subject) == ("transition_from_terminal", ("undo", "END"))
    assert "terminal statuses are final" in str(error)


def test_dead_end_must_be_terminal() -> None:
    error = failure([A, B, END], [Transition("go", "A", "B"), Transition("stop", "A", "END")])
    assert (error.problem, error.subject) == ("dead_end", "B")
    assert "mark it terminal=True" in str(error)


def test_unreachable_statuses() -> None:
    error = failure(
        [A, B, END, Status("LOST", terminal=True)],
        [Transition("go", "A", "B"), Transition("stop", "B", "END")],
    )
    assert (error.problem, error.subject) == ("unreachable", ("LOST",))
    assert "no path from 'A' reaches LOST" in str(error)


def test_timed_cycle() -> None:
    tick = Timer.after_start(timedelta(minutes=1))
    error = failure(
        [A, B, END],
        [
            Transition("go", "A", "B", timer=tick),
            Transition("back", "B", "A", timer=tick),
            Transition("stop", "B", "END"),
        ],
    )
    assert error.problem == "timed_cycle"
    assert error.subject == ("A", "B", "A")
    assert "the clock would never stop" in str(error)


def test_manual_cycles_and_self_loops_are_fine() -> None:
    lifecycle = build(
        [A, B, END],
        [
            Transition("go", "A", "B"),
            Transition("back", "B", "A", timer=Timer.after_end()),
            Transition("again", "A", "A"),
            Transition("stop", "B", "END"),
        ],
    )
    assert [t.name for t in lifecycle.transitions_from("A")] == ["go", "again"]


def test_any_expands_to_every_non_terminal_status_but_the_target() -> None:
    lifecycle = build(
        [A, B, END, Status("GONE", terminal=True)],
        [
            Transition("go", "A", "B"),
            Transition("stop", "B", "END"),
            Transition("drop", ANY, "GONE"),
        ],
    )
    assert lifecycle.transition("drop").sources == ("A", "B")


def test_invalid_lifecycle_is_a_lifecycle_error_and_a_value_error() -> None:
    error = failure([], [])
    assert isinstance(error, LifecycleError)
    assert isinstance(error, ValueError)
    assert str(error).startswith("lifecycle 'probe': ")


def test_a_timer_behind_a_role_guard_is_refused_as_never_firing() -> None:
    # The clock fires with no role, which roles() refuses: such a timer used to be
    # accepted, drawn in the diagram, and never fire (next_due None, advance nothing).
    with pytest.raises(InvalidLifecycle) as info:
        marketplace.replace_transition("end", timer=Timer.after_end())
    assert (info.value.problem, info.value.subject) == ("timer_never_fires", "end")
    assert "role in admin/host/provider refuses the clock" in str(info.value)
    error = failure(
        [A, END],
        [Transition("close", "A", "END", guards=[roles("host")], timer=Timer.after_end())],
    )
    assert (error.problem, error.subject) == ("timer_never_fires", "close")
    # Without the role guard the clock ends the slot.
    ending = marketplace.replace_transition("end", timer=Timer.after_end(), guards=[])
    assert ending.transition("end").timed


def test_a_timer_due_before_the_start_behind_has_started_is_refused() -> None:
    error = failure(
        [A, END],
        [
            Transition(
                "open",
                "A",
                "END",
                guards=[has_started],
                timer=Timer.before_start(timedelta(minutes=5)),
            )
        ],
    )
    assert (error.problem, error.subject) == ("timer_never_fires", "open")
    assert "has_started refuses it at start - 5 min" in str(error)
    # At or after the start it can fire, and is kept.
    for timer in (Timer.after_start(), Timer.after_end(timedelta(minutes=-5))):
        build([A, END], [Transition("open", "A", "END", guards=[has_started], timer=timer)])
