"""Declarative, typed status lifecycles for immutable sessions, and the seed platforms' presets.

:mod:`~sessionkit.lifecycle.machine` holds the machine (statuses, transitions,
timers, events), :mod:`~sessionkit.lifecycle.guards` the rules that may refuse a
transition, and :mod:`~sessionkit.lifecycle.presets` the ready-made lifecycles
(also importable as :mod:`sessionkit.lifecycles`). The user guide is ``docs/lifecycle.md``.
"""

from __future__ import annotations

from sessionkit.lifecycle.guards import (
    Condition,
    Guard,
    Verdict,
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
    "ANY",
    "StatusChanged",
    "SessionLike",
    # guards and conditions
    "Guard",
    "Verdict",
    "Condition",
    "when",
    "roles",
    "has_started",
    "individual_only",
    "nobody_attended",
    # presets
    "LifecycleRegistry",
    "PRESETS",
    "get_lifecycle",
]
