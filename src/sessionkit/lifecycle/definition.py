"""The values a lifecycle is declared with, and the event it emits.

:class:`Status` (with its flags), :class:`Transition` (with guards and an
optional :class:`Timer`) and :class:`StatusChanged`. They are plain frozen
attrs values; :class:`~sessionkit.lifecycle.machine.Lifecycle` checks how they fit together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final, Literal

import attrs

from sessionkit.errors import InvalidValue, NotADatetime
from sessionkit.lifecycle.guards import Condition, Guard
from sessionkit.timespan import TimeSpan

__all__ = [
    "ANY",
    "Anchor",
    "Status",
    "StatusChanged",
    "Timer",
    "Transition",
]

ANY: Final = "*"
"""A transition source meaning "every non-terminal status except the target" (academy cancel)."""

Anchor = Literal["start", "end"]
"""The end of the session's span a :class:`Timer` counts from."""


@attrs.frozen
class Status:
    """One status of a lifecycle, with the flags the rest of sessionkit reads.

    ``initial``: new sessions start here (exactly one per lifecycle).
    ``terminal``: nothing leaves it. ``busy``: the session occupies its
    resources (conflict checks count it). ``editable``: it may still be moved
    or retitled. ``counts_usage``: it consumes a subscription credit.
    ``name`` may be a plain string or a StrEnum member; sessions get exactly
    this value when they enter the status.
    """

    name: str
    initial: bool = attrs.field(default=False, kw_only=True)
    terminal: bool = attrs.field(default=False, kw_only=True)
    busy: bool = attrs.field(default=False, kw_only=True)
    editable: bool = attrs.field(default=False, kw_only=True)
    counts_usage: bool = attrs.field(default=False, kw_only=True)
    cancelled: bool = attrs.field(default=False, kw_only=True)
    description: str = attrs.field(default="", kw_only=True)


def _format_delta(delta: timedelta) -> str:
    seconds = int(abs(delta).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


@attrs.frozen
class Timer:
    """When a timed transition falls due: ``anchor`` (start or end of the span) plus ``offset``.

    The offset is elapsed time, so "15 minutes before start" is exact across a
    DST change. ``condition``, if given, must hold for the session when the
    clock fires the transition (for instance :func:`~sessionkit.lifecycle.nobody_attended`);
    firing the same transition by hand ignores it.
    """

    anchor: Anchor
    offset: timedelta = timedelta(0)
    condition: Condition | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.anchor not in ("start", "end"):
            raise InvalidValue(
                f"a timer counts from 'start' or 'end', got {self.anchor!r}",
                value=self.anchor,
                expected="'start' or 'end'",
            )
        if not isinstance(self.offset, timedelta):
            raise NotADatetime(self.offset, name="offset", expected="timedelta")

    @classmethod
    def before_start(cls, delta: timedelta, *, condition: Condition | None = None) -> Timer:
        """Return a timer due ``delta`` before the start."""
        return cls("start", -delta, condition=condition)

    @classmethod
    def after_start(
        cls, delta: timedelta = timedelta(0), *, condition: Condition | None = None
    ) -> Timer:
        """Return a timer due ``delta`` after the start (at the start by default)."""
        return cls("start", delta, condition=condition)

    @classmethod
    def after_end(
        cls, delta: timedelta = timedelta(0), *, condition: Condition | None = None
    ) -> Timer:
        """Return a timer due ``delta`` after the end (at the end by default)."""
        return cls("end", delta, condition=condition)

    def due(self, span: TimeSpan) -> datetime:
        """Return the instant (UTC) this timer falls due for a session spanning ``span``."""
        return (span.start if self.anchor == "start" else span.end) + self.offset

    def holds(self, session: object) -> bool:
        """Return whether the condition (if any) lets the clock fire for ``session``."""
        return self.condition is None or bool(self.condition(session))

    def with_condition(self, condition: Condition | None) -> Timer:
        """Return this timer with ``condition`` instead of its own (``None`` drops it)."""
        return attrs.evolve(self, condition=condition)

    def describe(self) -> str:
        """Return the timing in words, e.g. ``"start - 15 min if nobody_attended"``."""
        text: str = self.anchor
        if self.offset:
            sign = "-" if self.offset < timedelta(0) else "+"
            text = f"{text} {sign} {_format_delta(self.offset)}"
        if self.condition is not None:
            text += f" if {_label(self.condition)}"
        return text


def _to_sources(value: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _to_guards(value: Iterable[Guard]) -> tuple[Guard, ...]:
    return tuple(value)


def _label(thing: object) -> str:
    return str(getattr(thing, "label", None) or getattr(thing, "__name__", type(thing).__name__))


@attrs.frozen
class Transition:
    """A named move from one or more ``sources`` to ``target``.

    ``sources`` is a status, several, or :data:`ANY`. ``guards`` are all asked,
    in order, before the transition fires; the first refusal wins. With a
    ``timer`` the transition also fires on its own when due
    (:meth:`Lifecycle.advance`); it can still be fired by hand.
    """

    name: str
    sources: tuple[str, ...] = attrs.field(converter=_to_sources)
    target: str
    guards: tuple[Guard, ...] = attrs.field(default=(), converter=_to_guards, kw_only=True)
    timer: Timer | None = attrs.field(default=None, kw_only=True)
    description: str = attrs.field(default="", kw_only=True)

    @property
    def timed(self) -> bool:
        """Whether the clock fires this transition."""
        return self.timer is not None

    def label(self) -> str:
        """Return the diagram label: the name, the timing and the guards."""
        text = str(self.name)
        if self.timer is not None:
            text += f" at {self.timer.describe()}"
        if self.guards:
            text += " [" + ", ".join(_label(guard) for guard in self.guards) + "]"
        return text


@attrs.frozen(kw_only=True)
class StatusChanged:
    """The event of one transition: who moved which session from what to what, when and why.

    ``at`` is in UTC. For a timed step ``at`` is the instant the transition fell
    due (not when :meth:`Lifecycle.advance` happened to run), ``actor`` and
    ``role`` are ``None`` and ``timed`` is true.
    """

    session_id: object
    lifecycle: str
    transition: str
    from_status: str
    to_status: str
    at: datetime
    actor: object = None
    role: str | None = None
    reason: str | None = None
    timed: bool = False
