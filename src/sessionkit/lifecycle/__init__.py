"""Declarative, typed status lifecycles for immutable sessions, and the seed platforms' presets.

:mod:`~sessionkit.lifecycle.machine` holds the machine (statuses, transitions,
timers, events), :mod:`~sessionkit.lifecycle.guards` the rules that may refuse a
transition, and :mod:`~sessionkit.lifecycle.presets` the ready-made lifecycles
(also importable as :mod:`sessionkit.lifecycles`). The user guide is ``docs/lifecycle.md``.

A lifecycle never holds a value: :meth:`~Lifecycle.fire` and
:meth:`~Lifecycle.advance` take one and return a changed copy with the
:class:`StatusChanged` events that describe what happened.

>>> from datetime import UTC, datetime, timedelta
>>> import attrs
>>> from sessionkit import TimeSpan
>>> @attrs.frozen
... class Lesson:
...     id: str
...     span: TimeSpan
...     status: str = "SCHEDULED"
>>> door = Lifecycle(
...     "door",
...     statuses=[Status("SCHEDULED", initial=True), Status("OPEN"), Status("DONE", terminal=True)],
...     transitions=[
...         Transition("open", "SCHEDULED", "OPEN", timer=Timer.before_start(timedelta(minutes=5))),
...         Transition("close", "OPEN", "DONE"),
...     ],
... )
>>> start = datetime(2026, 3, 2, 17, tzinfo=UTC)
>>> lesson = Lesson("l1", TimeSpan.from_start(start, timedelta(hours=1)))
>>> door.next_due(lesson)
datetime.datetime(2026, 3, 2, 16, 55, tzinfo=datetime.timezone.utc)
>>> lesson, events = door.advance(lesson, start)
>>> lesson.status, [e.transition for e in events]
('OPEN', ['open'])
>>> lesson, event = door.fire(lesson, "close", now=start + timedelta(hours=1), actor="t1")
>>> event.from_status, event.to_status, event.actor
('OPEN', 'DONE', 't1')
"""

from __future__ import annotations

from sessionkit.lifecycle.context import TransitionContext
from sessionkit.lifecycle.guards import (
    Condition,
    Guard,
    Verdict,
    guard_roles,
    has_started,
    individual_only,
    nobody_attended,
    roles,
    when,
)
from sessionkit.lifecycle.machine import (
    ANY,
    Anchor,
    Lifecycle,
    SessionLike,
    SpanAnchor,
    Status,
    StatusChanged,
    Timer,
    Transition,
)
from sessionkit.lifecycle.presets import PRESETS, LifecycleRegistry, get_lifecycle

__all__ = [
    # the machine
    "Lifecycle",
    "Status",
    "Transition",
    "Timer",
    "Anchor",
    "SpanAnchor",
    "ANY",
    "StatusChanged",
    "SessionLike",
    # guards and conditions
    "Guard",
    "Verdict",
    "Condition",
    "TransitionContext",
    "when",
    "roles",
    "guard_roles",
    "has_started",
    "individual_only",
    "nobody_attended",
    # presets
    "LifecycleRegistry",
    "PRESETS",
    "get_lifecycle",
]
