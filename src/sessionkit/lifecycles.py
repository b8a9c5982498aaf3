"""The preset lifecycles of the five seed platforms: ``from sessionkit.lifecycles import lms``.

A shorter path to :mod:`sessionkit.lifecycle.presets`; see ``docs/lifecycle.md``.

>>> from sessionkit.lifecycles import academy
>>> academy.transition("ready").timer.describe()
'start - 15 min'
"""

from __future__ import annotations

from sessionkit.lifecycle.presets import (
    ACADEMY_ABSENT_AFTER,
    ACADEMY_COMPLETE_AFTER,
    ACADEMY_READY_BEFORE,
    COACHING_MISSED_AFTER,
    MARKETPLACE_RUNNERS,
    PRESETS,
    LifecycleRegistry,
    academy,
    circle_nobody_attended,
    circle_only,
    coaching,
    consulting,
    consulting_payment,
    get_lifecycle,
    individual_nobody_attended,
    lms,
    marketplace,
)

__all__ = [
    "lms",
    "academy",
    "consulting",
    "consulting_payment",
    "coaching",
    "marketplace",
    "ACADEMY_READY_BEFORE",
    "ACADEMY_ABSENT_AFTER",
    "ACADEMY_COMPLETE_AFTER",
    "COACHING_MISSED_AFTER",
    "MARKETPLACE_RUNNERS",
    "PRESETS",
    "LifecycleRegistry",
    "get_lifecycle",
    "individual_nobody_attended",
    "circle_nobody_attended",
    "circle_only",
]
