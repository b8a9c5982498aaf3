"""The academy preset's conditions: an individual lesson or a circle that nobody attended.

Private to the lifecycle package: :mod:`sessionkit.lifecycle.presets` exports
these under its own name and sets their ``__module__`` to its own, so a
pickled lifecycle and a condition's repr name it as before this module was
split from it. The academy lifecycle itself and its timings stay there.
"""

from __future__ import annotations

from sessionkit.lifecycle.context import TransitionContext
from sessionkit.lifecycle.guards import Guard, nobody_attended, when

__all__ = ["circle_nobody_attended", "circle_only", "individual_nobody_attended"]


def individual_nobody_attended(value: object, context: TransitionContext) -> bool:
    """The academy's ABSENT condition: an individual session (capacity 1) nobody attended.

    The capacity is looked at first, so a circle never needs the ``attended`` fact.
    """
    return getattr(value, "capacity", None) == 1 and nobody_attended(value, context)


def _is_circle(session: object, _now: object = None) -> bool:
    capacity = getattr(session, "capacity", None)
    return isinstance(capacity, int) and not isinstance(capacity, bool) and capacity > 1


def circle_nobody_attended(value: object, context: TransitionContext) -> bool:
    """The academy's condition to cancel a circle (capacity over 1) nobody attended.

    Nobody joined its room, nobody was reported there, the teacher included
    (the ``attended`` fact is false). The capacity is looked at first, so an
    individual session never needs the fact.
    """
    return _is_circle(value) and nobody_attended(value, context)


circle_only: Guard = when(
    _is_circle,
    reason="only circles (capacity over 1) can do this; an individual lesson cannot",
    label="circle",
)
"""Allows only sessions whose ``capacity`` is over 1: the academy's circles."""
