"""Verdicts and the built-in guards and conditions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from sessionkit import TimeSpan
from sessionkit.errors import MissingFact
from sessionkit.lifecycle import (
    TransitionContext,
    Verdict,
    has_started,
    individual_only,
    nobody_attended,
    roles,
    when,
)

START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
SESSION = SimpleNamespace(span=TimeSpan.from_start(START, timedelta(hours=1)), capacity=1)


def ask(
    guard: object, session: object = SESSION, *, now: datetime = START, role: str | None = None
) -> Verdict:
    assert callable(guard)
    verdict = guard(session, now=now, actor="someone", role=role)
    assert isinstance(verdict, Verdict)
    return verdict


def test_verdicts_are_truthy_only_when_allowing() -> None:
    assert bool(Verdict.yes()) is True
    assert bool(Verdict.no("because")) is False
    assert Verdict.no("because") == Verdict(allowed=False, reason="because")
    assert Verdict.yes("fine").reason == "fine"


def test_has_started_allows_from_the_start_on() -> None:
    assert ask(has_started, now=START) == Verdict.yes()
    assert ask(has_started, now=START + timedelta(days=1)) == Verdict.yes()
    assert ask(has_started, now=START - timedelta(seconds=1)) == Verdict.no(
        "the session has not started yet (it starts at 2026-03-02T17:00:00+00:00)",
        allows_at=START,  # waiting ends it: from the start on
    )


def test_individual_only_reads_capacity() -> None:
    assert ask(individual_only) == Verdict.yes()
    circle = SimpleNamespace(span=SESSION.span, capacity=12)
    refused = ask(individual_only, circle)
    assert refused.allowed is False
    assert refused.reason == (
        "only individual sessions (capacity 1) can do this; group sessions cannot"
    )
    assert ask(individual_only, SimpleNamespace(span=SESSION.span)).allowed is False


def test_roles_allow_only_the_named_roles() -> None:
    coach_or_student = roles("student", "coach")
    assert ask(coach_or_student, role="coach") == Verdict.yes()
    assert ask(coach_or_student, role="student") == Verdict.yes()
    assert ask(coach_or_student, role="admin") == Verdict.no(
        "role 'admin' may not do this; allowed roles: coach, student"
    )
    assert ask(coach_or_student) == Verdict.no("a role is required; allowed roles: coach, student")
    assert repr(coach_or_student) == "<guard role in coach/student>"


def test_when_builds_a_guard_with_a_fixed_or_computed_reason() -> None:
    fixed = when(lambda s, now: s.capacity < 2, reason="too big", label="small")
    computed = when(
        lambda s, now: s.capacity < 2,
        reason=lambda s, now: f"capacity {s.capacity} at {now:%H:%M}",
        label="small",
    )
    big = SimpleNamespace(span=SESSION.span, capacity=5)
    assert ask(fixed) == Verdict.yes()
    assert ask(fixed, big) == Verdict.no("too big")
    assert ask(computed, big) == Verdict.no("capacity 5 at 17:00")
    assert repr(fixed) == "<guard small>"


def test_nobody_attended_reads_the_attended_fact_not_the_value() -> None:
    def context(**facts: object) -> TransitionContext:
        return TransitionContext(
            now=datetime(2026, 3, 2, tzinfo=UTC),
            facts=facts,
            lifecycle="coaching",
            transition="miss",
            value_id="s1",
        )

    value = SimpleNamespace(attended=True)  # ignored: the host's facts decide
    assert nobody_attended(value, context(attended=False)) is True
    assert nobody_attended(value, context(attended=0)) is True
    assert nobody_attended(value, context(attended=True)) is False
    assert nobody_attended(value, context(attended=2)) is False
    with pytest.raises(MissingFact) as info:
        nobody_attended(value, context(attendees=3))
    error = info.value
    assert (error.fact, error.lifecycle, error.transition, error.value_id) == (
        "attended",
        "coaching",
        "miss",
        "s1",
    )
