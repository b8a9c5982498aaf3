"""A refusal says when waiting ends it: ``Verdict.allows_at``, ``TransitionRefused.allows_at``.

``has_started`` refuses until the session's start, so its refusal allows at the
start; a role, a capacity or a host's ``when()`` guard says nothing of time
(``None``). The error keeps it only where waiting alone helps: not when another
guard still refuses then, nor when the clock moves the session on first.
"""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from sessionkit import TimeSpan
from sessionkit.errors import InvalidValue, NaiveDatetime, TransitionRefused
from sessionkit.lifecycle import (
    Lifecycle,
    Status,
    Timer,
    Transition,
    Verdict,
    has_started,
    individual_only,
    roles,
    when,
)
from sessionkit.lifecycles import coaching, consulting

START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
BEFORE = START - timedelta(hours=1)


@attrs.frozen
class Call:
    id: str
    span: TimeSpan
    status: str = "SCHEDULED"
    capacity: int = 4


CALL = Call("c1", TimeSpan.from_start(START, timedelta(hours=1)))


def refused(
    lifecycle: Lifecycle, name: str, value: Call = CALL, *, role: str | None = None
) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as info:
        lifecycle.fire(value, name, now=BEFORE, role=role)
    return info.value


def test_has_started_refuses_until_the_start_and_says_so() -> None:
    verdict = has_started(CALL, now=BEFORE, actor=None, role=None)
    assert (verdict.allowed, verdict.allows_at) == (False, START)
    error = refused(coaching, "complete", role="coach")
    assert (error.transition, error.allows_at, error.guard) == ("complete", START, has_started)
    confirmed = attrs.evolve(CALL, status="CONFIRMED")
    assert refused(consulting, "no_show", confirmed).allows_at == START
    assert coaching.can(CALL, "complete", now=BEFORE).allows_at == START


def test_guards_waiting_does_not_end_allow_at_none() -> None:
    role = roles("coach")(CALL, now=BEFORE, actor="u1", role="student")
    capacity = individual_only(CALL, now=BEFORE, actor="u1", role=None)
    assert (role.allowed, role.allows_at, capacity.allowed, capacity.allows_at) == (
        False,
        None,
        False,
        None,
    )
    strict = coaching.replace_transition("cancel", guards=[roles("coach")])
    assert refused(strict, "cancel", role="student").allows_at is None


def test_a_user_made_when_guard_still_refuses_with_allows_at_none() -> None:
    small = when(lambda s, now: s.capacity < 2, reason="too big", label="small")
    assert small(CALL, now=BEFORE, actor=None, role=None) == Verdict(False, "too big")
    guarded = coaching.replace_transition("cancel", guards=[small])
    error = refused(guarded, "cancel")
    assert (error.reason, error.allows_at) == ("too big", None)


def test_no_allows_at_when_another_guard_still_refuses_by_then() -> None:
    both = coaching.replace_transition("complete", guards=[has_started, roles("coach")])
    assert refused(both, "complete", role="coach").allows_at == START
    student = refused(both, "complete", role="student")
    assert (student.guard, student.allows_at) == (has_started, None)
    assert both.can(CALL, "complete", now=BEFORE, role="student") == Verdict.no(student.reason)


def test_no_allows_at_when_the_clock_moves_the_session_on_first() -> None:
    early = Lifecycle(
        "early",
        statuses=[
            Status("SCHEDULED", initial=True),
            Status("READY"),
            Status("DONE", terminal=True),
        ],
        transitions=[
            Transition(
                "ready", "SCHEDULED", "READY", timer=Timer.before_start(timedelta(minutes=15))
            ),
            Transition("complete", ["SCHEDULED", "READY"], "DONE", guards=[has_started]),
        ],
    )
    assert refused(early, "complete").allows_at is None  # READY by the start
    ready = attrs.evolve(CALL, status="READY")
    assert refused(early, "complete", ready).allows_at == START
    # A timer whose instant cannot be told (no such field): still a refusal, no promise.
    unknown = early.replace_transition("ready", timer=Timer.at("expires_at"))
    error = refused(unknown, "complete")
    assert (error.guard, error.allows_at) == (has_started, None)


def test_a_pickled_transition_refused_keeps_allows_at() -> None:
    error = refused(coaching, "complete", role="coach")
    found = pickle.loads(pickle.dumps(error))
    assert type(found) is TransitionRefused
    assert (found.allows_at, found.reason, str(found)) == (START, error.reason, str(error))
    made = TransitionRefused(session_id="s1", status="A", transition="go", reason="no")
    assert made.allows_at is None
    assert pickle.loads(pickle.dumps(made)).allows_at is None


def test_a_verdict_allows_at_is_an_aware_instant_of_a_refusal() -> None:
    with pytest.raises(NaiveDatetime):
        Verdict.no("later", allows_at=datetime(2026, 3, 2, 17))
    with pytest.raises(InvalidValue, match="an allowing Verdict has no allows_at"):
        Verdict(True, allows_at=START)
    assert Verdict.no("later", allows_at=START) != Verdict.no("later")
