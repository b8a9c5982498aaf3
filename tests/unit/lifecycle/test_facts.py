"""Conditions with a context: facts reach them, and a missing fact refuses instead of guessing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from sessionkit import TimeSpan
from sessionkit.errors import MissingFact, NaiveDatetime, SessionKitError, WrongType
from sessionkit.lifecycle import (
    Lifecycle,
    Status,
    Timer,
    Transition,
    TransitionContext,
    nobody_attended,
)

START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
SPAN = TimeSpan.from_start(START, timedelta(hours=1))


@attrs.frozen
class Lesson:
    id: str
    span: TimeSpan = SPAN
    status: str = "SCHEDULED"


MISSABLE = Lifecycle(
    "missable",
    statuses=[
        Status("SCHEDULED", initial=True),
        Status("DONE", terminal=True),
        Status("MISSED", terminal=True),
    ],
    transitions=[
        Transition("finish", "SCHEDULED", "DONE", timer=Timer.after_end(timedelta(hours=1))),
        Transition(
            "miss",
            "SCHEDULED",
            "MISSED",
            timer=Timer.after_start(30 * MIN, condition=nobody_attended),
        ),
    ],
)


def test_missing_fact_is_a_sessionkit_lookup_error() -> None:
    assert issubclass(MissingFact, SessionKitError)
    assert issubclass(MissingFact, LookupError)


def test_advance_raises_missing_fact_with_its_fields() -> None:
    with pytest.raises(MissingFact) as info:
        MISSABLE.advance(Lesson("s7"), START + 31 * MIN)
    error = info.value
    assert (error.fact, error.lifecycle, error.transition, error.value_id) == (
        "attended",
        "missable",
        "miss",
        "s7",
    )
    assert "pass it, e.g. facts={'attended': ...}" in str(error)


def test_next_due_raises_missing_fact_too() -> None:
    with pytest.raises(MissingFact) as info:
        MISSABLE.next_due(Lesson("s7"), facts={"attendees": 0})
    assert info.value.fact == "attended"


def test_no_facts_are_needed_before_the_conditional_timer_is_due() -> None:
    lesson = Lesson("s1")
    assert MISSABLE.advance(lesson, START + 29 * MIN) == (lesson, ())


def test_the_condition_with_facts_decides() -> None:
    lesson = Lesson("s1")
    missed, events = MISSABLE.advance(lesson, START + 31 * MIN, facts={"attended": False})
    assert (missed.status, [e.transition for e in events]) == ("MISSED", ["miss"])
    kept, none = MISSABLE.advance(lesson, START + 31 * MIN, facts={"attended": True})
    assert (kept, none) == (lesson, ())
    assert MISSABLE.next_due(lesson, facts={"attended": True}) == START + 2 * timedelta(hours=1)
    assert MISSABLE.next_due(lesson, facts={"attended": False}) == START + 30 * MIN


def test_a_condition_due_later_than_the_winning_step_is_never_asked() -> None:
    asked: list[str] = []

    def spy(value: object, context: TransitionContext) -> bool:
        asked.append(context.transition)
        return bool(context.fact("late"))

    early = MISSABLE.replace_transition(
        "miss", timer=Timer.after_start(30 * MIN)
    ).replace_transition("finish", timer=Timer.after_end(timedelta(hours=1), condition=spy))
    missed, _ = early.advance(Lesson("s1"), START + timedelta(days=1))  # no facts needed
    assert (missed.status, asked) == ("MISSED", [])


def test_the_context_holds_the_due_instant_the_facts_and_who_asks() -> None:
    seen: list[TransitionContext] = []

    def record(value: object, context: TransitionContext) -> bool:
        seen.append(context)
        return False

    watched = MISSABLE.replace_transition(
        "miss", timer=Timer.after_start(30 * MIN, condition=record)
    )
    watched.advance(Lesson("s1"), START + 40 * MIN, facts={"attendees": 3})
    assert seen == [
        TransitionContext(
            now=START + 30 * MIN,
            facts={"attendees": 3},
            lifecycle="missable",
            transition="miss",
            value_id="s1",
        )
    ]
    assert seen[0].knows("attendees")
    assert not seen[0].knows("attended")
    with pytest.raises(TypeError):
        seen[0].facts["attended"] = True  # type: ignore[index]


def test_facts_passed_are_copied_not_kept() -> None:
    facts: dict[str, object] = {"attended": False}
    context = TransitionContext(now=START, facts=facts)
    facts["attended"] = True
    assert context.fact("attended") is False


def test_fact_statuses_are_those_whose_timed_way_forward_meets_a_condition_or_guard() -> None:
    from sessionkit.lifecycle import PRESETS

    # academy: READY -> ABSENT has a condition and a guard; SCHEDULED -> READY leads there.
    assert PRESETS.get("academy").fact_statuses == frozenset({"SCHEDULED", "READY"})
    assert PRESETS.get("coaching").fact_statuses == frozenset({"SCHEDULED"})
    assert PRESETS.get("lms").fact_statuses == frozenset()


@pytest.mark.parametrize("facts", [5, "attended", ["attended"], {"attended"}, [("attended", 1)]])
def test_facts_that_are_no_mapping_are_refused_by_name_at_once(facts: object) -> None:
    """Before, a wrong ``facts`` was looked at only once a condition fell due, then failed
    with a bare ``TypeError``/``ValueError`` (or a list of pairs passed as a mapping)."""
    for call in (
        lambda: MISSABLE.advance(Lesson("s7"), START + 31 * MIN, facts=facts),  # type: ignore[arg-type]
        lambda: MISSABLE.advance(Lesson("s7"), START, facts=facts),  # type: ignore[arg-type]
        lambda: MISSABLE.next_due(Lesson("s7"), facts=facts),  # type: ignore[arg-type]
    ):
        with pytest.raises(WrongType) as info:
            call()
        assert (info.value.name, info.value.value) == ("facts", facts)
        assert "a mapping" in info.value.expected


def test_facts_named_by_anything_but_text_are_refused() -> None:
    with pytest.raises(WrongType) as info:
        MISSABLE.advance(Lesson("s7"), START + 31 * MIN, facts={1: True})  # type: ignore[dict-item]
    assert info.value.name == "facts"


def test_a_naive_by_is_named_by() -> None:
    with pytest.raises(NaiveDatetime) as info:
        MISSABLE.next_due(Lesson("s7"), by=datetime(2026, 3, 2, 17))
    assert info.value.name == "by"
    assert str(info.value).startswith("by must be timezone-aware")


class RowFacts:
    """Facts with ``keys()`` and ``[]`` but no ``Mapping`` base, as ``dict()`` accepts them."""

    def __init__(self, **facts: object) -> None:
        self._facts = facts

    def keys(self) -> object:
        return self._facts.keys()

    def __getitem__(self, name: str) -> object:
        return self._facts[name]


def test_facts_shaped_as_a_mapping_are_still_taken() -> None:
    facts: Any = RowFacts(attended=False)
    _, events = MISSABLE.advance(Lesson("s7"), START + 31 * MIN, facts=facts)
    assert [e.transition for e in events] == ["miss"]
    assert MISSABLE.next_due(Lesson("s7"), facts=facts) == START + 30 * MIN
