"""Asking guards, and finding the next timed step: the machine's two questions.

:func:`first_refusal` asks a transition's guards in order; :func:`next_step` finds
the earliest timed transition (among those leaving the current status) whose
timer is due, whose condition holds given the caller's facts, and whose guards
pass as of its due instant.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TypeAlias

from sessionkit.errors import WrongType
from sessionkit.lifecycle._values import SessionLike
from sessionkit.lifecycle.context import TransitionContext
from sessionkit.lifecycle.definition import Transition
from sessionkit.lifecycle.guards import Guard, Verdict

__all__ = ["Facts", "first_refusal", "next_step"]

Facts: TypeAlias = Mapping[str, object]
"""What the caller knows about a value that the value does not hold (``{"attended": True}``)."""


def first_refusal(
    transition: Transition, value: object, now: datetime, actor: object, role: str | None
) -> tuple[Guard, Verdict] | None:
    """Return the first guard of ``transition`` that refuses, with its verdict, or ``None``.

    A guard answering anything but a :class:`~sessionkit.lifecycle.Verdict` (a
    plain ``False``, ``None``) raises :class:`~sessionkit.errors.WrongType`
    naming the guard and the transition: a refusal must carry its reason.
    """
    for guard in transition.guards:
        verdict: object = guard(value, now=now, actor=actor, role=role)  # a host's: checked
        if not isinstance(verdict, Verdict):
            label = getattr(guard, "label", None) or getattr(guard, "__name__", repr(guard))
            raise WrongType(
                verdict,
                name=f"the answer of guard {label} of transition {transition.name!r}",
                expected="a Verdict: Verdict.yes(), or Verdict.no(reason)",
            )
        if not verdict:
            return guard, verdict
    return None


def next_step(
    lifecycle: str,
    leaving: tuple[Transition, ...],
    value: SessionLike,
    limit: datetime | None,
    facts: Facts | None,
) -> tuple[Transition, datetime] | None:
    """Return the earliest timed transition of ``leaving`` that may fire, and when it falls due.

    Only timers due by ``limit`` (any, if ``None``) count; ties go to the one
    declared first. Conditions and guards are asked in due order and the
    first step that passes wins, so a condition due later than that step is
    never asked (nor are its facts needed).
    """
    timed = [(t, t.timer.due(value)) for t in leaving if t.timer is not None]
    candidates = sorted(
        ((t, due) for t, due in timed if limit is None or due <= limit), key=lambda step: step[1]
    )
    for transition, due in candidates:
        context = TransitionContext(
            now=due,
            facts=facts,
            lifecycle=lifecycle,
            transition=transition.name,
            value_id=value.id,
        )
        assert transition.timer is not None
        if not transition.timer.holds(value, context):
            continue
        if first_refusal(transition, value, due, None, None) is not None:
            continue
        return transition, due
    return None
